package httpapi

// The dossier package (issue 19): a ZIP of manifest.json (described by
// docs/dossier-manifest.schema.json), the form printed (form.pdf) and the
// documents' PDFs, for upload to the province's one-stop software.

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"xephang/queue-server/forms"
	"xephang/queue-server/queue"
)

// ManifestSchema names the manifest's schema (its $id).
const ManifestSchema = "https://xephang.vn/schemas/dossier-manifest/v1"

// Manifest is manifest.json of a dossier package.
type Manifest struct {
	Schema      string             `json:"schema"`
	Centre      ManifestCentre     `json:"centre"`
	Ticket      ManifestTicket     `json:"ticket"`
	Booking     string             `json:"booking,omitempty"`
	Procedure   ManifestProcedure  `json:"procedure"`
	CreatedAt   string             `json:"created_at"`
	Citizen     map[string]string  `json:"citizen"`
	Form        *ManifestForm      `json:"form"`
	Documents   []ManifestDocument `json:"documents"`
	ConfirmedBy string             `json:"confirmed_by,omitempty"`
	ConfirmedAt string             `json:"confirmed_at,omitempty"`
}

// ManifestCentre is the centre that received the dossier.
type ManifestCentre struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ManifestTicket is the ticket the dossier came with.
type ManifestTicket struct {
	ID      string `json:"id"`
	Number  string `json:"number"`
	Service string `json:"service"`
	Day     string `json:"day"`
}

// ManifestProcedure is the procedure: its id in the catalogue and the
// name the form gives it.
type ManifestProcedure struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// ManifestForm is the filled form, and its file.
type ManifestForm struct {
	Version string            `json:"version"`
	Values  map[string]string `json:"values"`
	Sources map[string]string `json:"sources,omitempty"`
	File    string            `json:"file"`
	SHA256  string            `json:"sha256"`
	Size    int               `json:"size"`
}

// ManifestDocument is one digitised document, and its file.
type ManifestDocument struct {
	File      string            `json:"file"`
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Pages     int               `json:"pages"`
	SHA256    string            `json:"sha256"`
	Size      int               `json:"size"`
	Status    string            `json:"status,omitempty"`
	Reasons   []string          `json:"reasons,omitempty"`
	Fields    map[string]string `json:"fields"`
	Corrected []string          `json:"corrected"`
}

// documentFileName is where the n-th document (1, 2…) of a package goes;
// 0: its name alone.
func documentFileName(n int, d queue.DossierDocument) string {
	if n == 0 {
		return d.Kind + ".pdf"
	}
	return fmt.Sprintf("documents/%02d-%s.pdf", n, d.Kind)
}

// renderForm prints a kept form in the official layout, the ticket's
// number as its reference.
func (s *Server) renderForm(filled forms.Filled, ref string, at time.Time, loc *time.Location) ([]byte, error) {
	def, err := s.forms.Form(filled.Procedure)
	if err != nil {
		return nil, errNoForm
	}
	return def.PDF(&filled, forms.RenderOptions{Ref: ref, Now: at.In(loc)})
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// handleDossierZIP answers a ticket's dossier package.
func (s *Server) handleDossierZIP(w http.ResponseWriter, r *http.Request) {
	d, err := s.findDossierTicket(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data, err := s.dossierZIP(d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeFile(w, "application/zip", "ho-so-"+d.t.Number+"-"+d.t.Day+".zip", data)
}

func (s *Server) dossierZIP(d dossierTicket) ([]byte, error) {
	ds := d.ds
	v, err := s.dossierView(d)
	if err != nil {
		return nil, err
	}
	m := Manifest{Schema: ManifestSchema, Centre: ManifestCentre{ID: d.cfg.ID, Name: d.cfg.Name},
		Ticket:  ManifestTicket{ID: d.t.ID, Number: d.t.Number, Service: d.t.Service, Day: d.t.Day},
		Booking: d.t.Booking, Procedure: ManifestProcedure{ID: v.Procedure}, CreatedAt: s.now().UTC().Format(timeLayout),
		Citizen: v.Citizen, Documents: []ManifestDocument{}, ConfirmedBy: v.ConfirmedBy, ConfirmedAt: v.ConfirmedAt}
	if svc, ok := d.cfg.Service(d.t.Service); ok {
		m.Procedure.Name = svc.Name
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte, at time.Time) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at})
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	}
	if f, ok, err := s.ticketForm(ds, d.t); err != nil {
		return nil, err
	} else if ok {
		fv, filled, err := formView(f)
		if err != nil {
			return nil, err
		}
		if def, err := s.forms.Form(filled.Procedure); err == nil {
			m.Procedure.Name = def.Title
		}
		pdf, err := s.renderForm(filled, d.t.Number, f.UpdatedAt, d.cfg.Location())
		if err != nil {
			return nil, err
		}
		m.Form = &ManifestForm{Version: fv.Version, Values: fv.Values, Sources: fv.Sources, File: "form.pdf", SHA256: hexSHA256(pdf), Size: len(pdf)}
		if err := add("form.pdf", pdf, f.UpdatedAt); err != nil {
			return nil, err
		}
	}
	docs, err := ds.Documents(d.owner())
	if err != nil {
		return nil, err
	}
	for i, doc := range docs {
		pdf, err := ds.DocumentPDF(d.owner(), doc.ID)
		if err != nil {
			return nil, err
		}
		md := ManifestDocument{File: documentFileName(i+1, doc), Name: doc.Name, Kind: doc.Kind, Pages: doc.Pages,
			SHA256: hexSHA256(pdf), Size: len(pdf), Status: doc.Status, Reasons: doc.Reasons,
			Fields: map[string]string{}, Corrected: []string{}}
		for k, f := range doc.Fields {
			md.Fields[k] = f.Value
			if f.CorrectedBy != "" {
				md.Corrected = append(md.Corrected, k)
			}
		}
		slices.Sort(md.Corrected)
		m.Documents = append(m.Documents, md)
		if err := add(md.File, pdf, doc.CreatedAt); err != nil {
			return nil, err
		}
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := add("manifest.json", raw, s.now()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
