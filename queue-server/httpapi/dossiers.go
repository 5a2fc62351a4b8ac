package httpapi

// Dossiers (issue 19): the digitised documents of a ticket, its dossier
// view, a clerk's corrections and confirmation, and the dossier package.
// Personal data: staff of the ticket's centre read it; a kiosk of the
// centre writes documents and forms but reads nothing back.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
	"xephang/queue-server/strictjson"
)

var errNoDossiers = queue.Errorf(queue.EUnavailable, "this server's store keeps no dossiers", "kho dữ liệu của máy chủ này không lưu hồ sơ")

// dossierStore returns the store of dossiers.
func (s *Server) dossierStore() (queue.Dossiers, error) {
	if s.dossiers == nil {
		return nil, errNoDossiers
	}
	return s.dossiers, nil
}

// dossierTicket is a ticket found for a dossier route, with what the
// route needs of its centre.
type dossierTicket struct {
	t   queue.Ticket
	cfg queue.Centre
	ds  queue.Dossiers // where its dossier is kept
}

func (d dossierTicket) owner() string { return queue.DossierTicket(d.t.ID) }

// expires is when the ticket's dossier expires.
func (d dossierTicket) expires() time.Time { return queue.DossierExpires(d.cfg, d.t.Day) }

// findDossierTicket finds the ticket {id} (live, or of a past day in the
// store) and checks that the caller acts for its centre. Kiosks only
// write (write true); the access table keeps them from the reads too.
func (s *Server) findDossierTicket(r *http.Request, write bool) (dossierTicket, error) {
	ds, err := s.dossierStore()
	if err != nil {
		return dossierTicket{}, err
	}
	u, _ := principal(r)
	if u.Role == queue.RoleKiosk && !write {
		return dossierTicket{}, queue.Errorf(queue.EForbidden, "a kiosk sends dossiers but does not read them", "ki-ốt chỉ gửi hồ sơ, không được xem hồ sơ")
	}
	id := r.PathValue("id")
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		l, t, err := centreTicket(tx, u, id)
		if err != nil {
			return nil, err
		}
		return dossierTicket{t: t, cfg: l.Config(), ds: ds}, nil
	})
	if err != nil {
		return dossierTicket{}, err
	}
	return v.(dossierTicket), nil
}

// markDossier tells the counter what the ticket's dossier now holds (a
// live ticket's mark and its ticket.dossier event); a ticket of a past
// day has no live state to mark.
func (s *Server) markDossier(r *http.Request, d dossierTicket) {
	ds := d.ds
	var m queue.DossierMark
	_, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(d.t.Centre)
		if err != nil {
			return nil, err
		}
		t, ok := l.Ticket(d.t.ID)
		if !ok {
			return nil, nil
		}
		// Read here, in the engine's order: two documents sent at once
		// mark the count of both.
		docs, err := ds.Documents(d.owner())
		if err != nil {
			return nil, err
		}
		m.Documents = len(docs)
		if _, err := ds.Form(d.owner()); err == nil {
			m.Form = true
		} else if t.Booking != "" {
			_, err := ds.Form(queue.DossierBooking(t.Booking))
			m.Form = err == nil
		}
		_, err = ds.Confirmed(d.owner())
		m.Confirmed = err == nil
		return l.MarkDossier(tx.Now, d.t.ID, m)
	})
	if err != nil {
		s.log.Warn("dossier mark", "ticket", d.t.ID, "err", err)
	}
}

// Bounds of a document's description.
const (
	maxDocumentMeta  = 64 << 10
	maxDocumentPages = 500
	maxDocFields     = 60
	maxDocReasons    = 30
	maxDocText       = 300
)

var (
	documentIDRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	documentKindRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	fieldNameRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	sha256RE       = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// documentStatuses are the pre-check's statuses of a document.
var documentStatuses = []string{"", "present", "missing", "unreadable", "inconsistent"}

func invalidMeta(field, en, vi string, args ...any) error {
	return queue.Errorf(queue.EInvalid, en, vi, args...).At(field)
}

// checkText reports whether s is short UTF-8 text without control
// characters, and returns it in NFC.
func checkText(s string, max int) (string, bool) {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", false
		}
	}
	return norm.NFC.String(s), true
}

// checkDocumentMeta checks a document's description and normalises its
// texts (NFC).
func checkDocumentMeta(m *apiv1.DocumentMeta) error {
	if !documentIDRE.MatchString(m.ID) {
		return invalidMeta("id", "a document's id is 1 to 64 letters, digits, - or _, made once by the sender", "mã giấy tờ (id) gồm 1 đến 64 chữ, số, - hoặc _, do bên gửi tạo một lần")
	}
	if !documentKindRE.MatchString(m.Kind) {
		return invalidMeta("kind", "a document's kind is 1 to 64 lower-case letters, digits, - or _", "loại giấy tờ (kind) gồm 1 đến 64 chữ thường, số, - hoặc _")
	}
	var ok bool
	if m.Name, ok = checkText(m.Name, 200); !ok || m.Name == "" {
		return invalidMeta("name", "a document's name is 1 to 200 characters of text", "tên giấy tờ dài từ 1 đến 200 ký tự")
	}
	if m.Pages < 1 || m.Pages > maxDocumentPages {
		return invalidMeta("pages", "a document has 1 to %d pages", "mỗi giấy tờ có từ 1 đến %d trang", maxDocumentPages)
	}
	if !slices.Contains(documentStatuses, m.Status) {
		return invalidMeta("status", "document status %q: present, missing, unreadable or inconsistent", "trạng thái giấy tờ %q không hợp lệ", m.Status)
	}
	if len(m.Reasons) > maxDocReasons {
		return invalidMeta("reasons", "at most %d reasons", "tối đa %d lý do", maxDocReasons)
	}
	for i := range m.Reasons {
		if m.Reasons[i], ok = checkText(m.Reasons[i], maxDocText); !ok {
			return invalidMeta("reasons", "a reason is at most %d characters of text", "mỗi lý do tối đa %d ký tự", maxDocText)
		}
	}
	if err := checkFieldValues(m.Fields); err != nil {
		return err
	}
	if !sha256RE.MatchString(m.SHA256) {
		return invalidMeta("sha256", "sha256 is the PDF's SHA-256, 64 lower-case hexadecimal digits", "sha256 là mã băm SHA-256 của tệp PDF, gồm 64 chữ số thập lục phân viết thường")
	}
	return nil
}

// checkFieldValues checks (and normalises to NFC) the fields read from a
// document or corrected by a clerk.
func checkFieldValues(fields map[string]string) error {
	if len(fields) > maxDocFields {
		return invalidMeta("fields", "at most %d fields", "tối đa %d trường", maxDocFields)
	}
	for k, v := range fields {
		if !fieldNameRE.MatchString(k) {
			return invalidMeta("fields", "field name %q: lower-case letters, digits and _", "tên trường %q chỉ gồm chữ thường, số và _", k)
		}
		nv, ok := checkText(v, maxDocText)
		if !ok {
			return invalidMeta("fields."+k, "a field's value is at most %d characters of text", "giá trị mỗi trường tối đa %d ký tự", maxDocText)
		}
		fields[k] = nv
	}
	return nil
}

var errDocumentTooLarge = queue.Errorf(queue.ETooLarge, "a document's PDF may be at most %d MB", "tệp PDF của mỗi giấy tờ tối đa %d MB", queue.MaxDossierDocumentBytes>>20)

// readDocument reads the multipart body of POST …/documents: its meta and
// its PDF, checked against each other.
func readDocument(w http.ResponseWriter, r *http.Request) (apiv1.DocumentMeta, []byte, error) {
	var meta apiv1.DocumentMeta
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return meta, nil, queue.Errorf(queue.EBadRequest, "a document is sent as multipart/form-data with a part meta (JSON) and a part pdf", "giấy tờ được gửi dạng multipart/form-data gồm phần meta (JSON) và phần pdf")
	}
	r.Body = http.MaxBytesReader(w, r.Body, queue.MaxDossierDocumentBytes+maxDocumentMeta+16<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return meta, nil, queue.Errorf(queue.EBadRequest, "the multipart body could not be read", "không đọc được nội dung multipart")
	}
	var rawMeta, pdf []byte
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return meta, nil, bodyError(err)
		}
		switch p.FormName() {
		case "meta":
			if rawMeta, err = readPart(p, maxDocumentMeta); err != nil {
				return meta, nil, err
			}
		case "pdf":
			if pdf, err = readPart(p, queue.MaxDossierDocumentBytes); err != nil {
				return meta, nil, err
			}
		default:
			return meta, nil, queue.Errorf(queue.EBadRequest, "unknown part %q: meta and pdf only", "phần %q không hợp lệ: chỉ có meta và pdf", p.FormName())
		}
	}
	if rawMeta == nil || pdf == nil {
		return meta, nil, queue.Errorf(queue.EBadRequest, "a document needs both parts: meta and pdf", "giấy tờ cần đủ hai phần: meta và pdf")
	}
	if err := strictjson.Unmarshal(rawMeta, &meta); err != nil {
		return meta, nil, decodeError(err)
	}
	if err := checkDocumentMeta(&meta); err != nil {
		return meta, nil, err
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return meta, nil, invalidMeta("pdf", "the part pdf is not a PDF (it must begin with %%PDF-)", "phần pdf không phải tệp PDF (phải bắt đầu bằng %%PDF-)")
	}
	sum := sha256.Sum256(pdf)
	if hex.EncodeToString(sum[:]) != meta.SHA256 {
		return meta, nil, invalidMeta("sha256", "the PDF's SHA-256 is not the meta's sha256: the file was damaged on the way", "mã SHA-256 của tệp PDF không khớp với sha256 trong meta: tệp đã bị hỏng khi gửi")
	}
	return meta, pdf, nil
}

// readPart reads a part of at most max bytes.
func readPart(p io.Reader, max int) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(p, int64(max)+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if len(raw) > max {
		if max == queue.MaxDossierDocumentBytes {
			return nil, errDocumentTooLarge
		}
		return nil, queue.Errorf(queue.ETooLarge, "the part meta is over %d bytes", "phần meta vượt quá %d byte", max)
	}
	return raw, nil
}

// bodyError explains a failed read of a request body.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errDocumentTooLarge
	}
	return queue.Errorf(queue.EBadRequest, "the request body could not be read", "không đọc được nội dung yêu cầu")
}

func documentView(d queue.DossierDocument) apiv1.DocumentView {
	v := apiv1.DocumentView{ID: d.ID, Name: d.Name, Kind: d.Kind, Pages: d.Pages, SHA256: d.SHA256, Size: d.Size,
		Status: d.Status, Reasons: d.Reasons, Fields: map[string]apiv1.DocumentField{}, CreatedAt: d.CreatedAt.UTC().Format(timeLayout)}
	for k, f := range d.Fields {
		df := apiv1.DocumentField{Value: f.Value, Read: f.Read, CorrectedBy: f.CorrectedBy}
		if !f.CorrectedAt.IsZero() {
			df.CorrectedAt = f.CorrectedAt.UTC().Format(timeLayout)
		}
		v.Fields[k] = df
	}
	return v
}

// handleAddDocument keeps a digitised document with a ticket: 201, or
// 200 with the document kept before when its id was sent already.
func (s *Server) handleAddDocument(w http.ResponseWriter, r *http.Request) {
	meta, pdf, err := readDocument(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.findDossierTicket(r, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds := d.ds
	u, _ := principal(r)
	doc := queue.DossierDocument{ID: meta.ID, Owner: d.owner(), Centre: d.t.Centre, Name: meta.Name, Kind: meta.Kind,
		Pages: meta.Pages, SHA256: meta.SHA256, Size: len(pdf), Status: meta.Status, Reasons: meta.Reasons,
		CreatedAt: s.now(), CreatedBy: u.Username, Expires: d.expires()}
	if len(meta.Fields) > 0 {
		doc.Fields = map[string]queue.DossierField{}
		for k, v := range meta.Fields {
			doc.Fields[k] = queue.DossierField{Value: v}
		}
	}
	if prev, ok, err := findDocument(ds, d.owner(), meta.ID); err != nil {
		s.writeError(w, r, err)
		return
	} else if ok {
		writeJSON(w, http.StatusOK, documentView(prev))
		return
	}
	if err := ds.PutDocument(doc, pdf); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.markDossier(r, d)
	kept, _, err := findDocument(ds, d.owner(), meta.ID)
	s.reply(w, r, http.StatusCreated, documentView(kept), err)
}

// findDocument finds a document of an owner by id.
func findDocument(ds queue.Dossiers, owner, id string) (queue.DossierDocument, bool, error) {
	docs, err := ds.Documents(owner)
	if err != nil {
		return queue.DossierDocument{}, false, err
	}
	for _, d := range docs {
		if d.ID == id {
			return d, true, nil
		}
	}
	return queue.DossierDocument{}, false, nil
}

var errNoDocument = queue.Errorf(queue.ENotFound, "this ticket's dossier has no such document", "hồ sơ của số này không có giấy tờ này")

// handleDocumentPDF answers a document's PDF (GET …/documents/{doc}, or
// …/documents/{doc}.pdf).
func (s *Server) handleDocumentPDF(w http.ResponseWriter, r *http.Request) {
	d, err := s.findDossierTicket(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds := d.ds
	// "{doc}.pdf" names the same file: an id has no dot.
	doc, ok, err := findDocument(ds, d.owner(), strings.TrimSuffix(r.PathValue("doc"), ".pdf"))
	if err == nil && !ok {
		err = errNoDocument
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pdf, err := ds.DocumentPDF(d.owner(), doc.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeFile(w, "application/pdf", documentFileName(0, doc)+"", pdf)
}

// writeFile answers a file for download, never cached.
func writeFile(w http.ResponseWriter, ctype, name string, data []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(data)
}

// handleCorrectDocument corrects fields of a document: each value
// changed keeps what the OCR read (Read) and who corrected it when; the
// centre's audit records which fields, never their values.
func (s *Server) handleCorrectDocument(w http.ResponseWriter, r *http.Request) {
	var req apiv1.DocumentPatch
	if !s.decodeBody(w, r, &req) {
		return
	}
	if err := checkFieldValues(req.Fields); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.findDossierTicket(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds := d.ds
	doc, ok, err := findDocument(ds, d.owner(), r.PathValue("doc"))
	if err == nil && !ok {
		err = errNoDocument
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _ := principal(r)
	now := s.now()
	if doc.Fields == nil {
		doc.Fields = map[string]queue.DossierField{}
	}
	var changed []string
	for k, v := range req.Fields {
		f := doc.Fields[k]
		if f.Value == v {
			continue
		}
		if f.CorrectedBy == "" {
			f.Read = f.Value // what the OCR read, kept once
		}
		f.Value, f.CorrectedBy, f.CorrectedAt = v, u.Username, now
		doc.Fields[k] = f
		changed = append(changed, k)
	}
	if len(doc.Fields) > maxDocFields {
		s.writeError(w, r, invalidMeta("fields", "at most %d fields", "tối đa %d trường", maxDocFields))
		return
	}
	if len(changed) > 0 {
		if err := ds.UpdateDocument(doc); err != nil {
			s.writeError(w, r, err)
			return
		}
		slices.Sort(changed)
		_, err := s.write(r, func(tx *engine.Tx) (any, error) {
			l, err := tx.Live(d.t.Centre)
			if err != nil {
				return nil, err
			}
			for _, k := range changed {
				l.AuditDossier(tx.Now, d.t.ID, u.Username, queue.AuditDossierCorrect, doc.ID+"/"+k)
			}
			return nil, nil
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.markDossier(r, d)
	}
	writeJSON(w, http.StatusOK, documentView(doc))
}

// handleDossier answers a ticket's dossier.
func (s *Server) handleDossier(w http.ResponseWriter, r *http.Request) {
	d, err := s.findDossierTicket(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.dossierView(d)
	s.reply(w, r, http.StatusOK, v, err)
}

// handleConfirmDossier records that the clerk checked the dossier.
func (s *Server) handleConfirmDossier(w http.ResponseWriter, r *http.Request) {
	d, err := s.findDossierTicket(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds := d.ds
	u, _ := principal(r)
	if err := ds.Confirm(queue.DossierConfirm{Owner: d.owner(), Centre: d.t.Centre, By: u.Username, At: s.now(), Expires: d.expires()}); err != nil {
		s.writeError(w, r, err)
		return
	}
	_, err = s.write(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(d.t.Centre)
		if err != nil {
			return nil, err
		}
		l.AuditDossier(tx.Now, d.t.ID, u.Username, queue.AuditDossierConfirm, "")
		return nil, nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.markDossier(r, d)
	v, err := s.dossierView(d)
	s.reply(w, r, http.StatusOK, v, err)
}

// dossierView gathers a ticket's dossier: its form (or its booking's),
// documents, pre-check and confirmation.
func (s *Server) dossierView(d dossierTicket) (apiv1.DossierView, error) {
	v := apiv1.DossierView{Ticket: apiv1.DossierTicket{ID: d.t.ID, Number: d.t.Number, Service: d.t.Service},
		Booking: d.t.Booking, Citizen: map[string]string{}, Documents: []apiv1.DocumentView{}, Precheck: json.RawMessage("null")}
	ds := d.ds
	if len(d.t.Precheck) > 0 {
		v.Precheck = json.RawMessage(d.t.Precheck)
		var p struct {
			Procedure string `json:"procedure"`
		}
		json.Unmarshal(d.t.Precheck, &p)
		v.Procedure = p.Procedure
	}
	f, ok, err := s.ticketForm(ds, d.t)
	if err != nil {
		return v, err
	}
	if ok {
		fv, filled, err := formView(f)
		if err != nil {
			return v, err
		}
		v.Form, v.Procedure = &fv, f.Procedure
		v.Citizen = s.citizen(filled)
	}
	docs, err := ds.Documents(d.owner())
	if err != nil {
		return v, err
	}
	for _, doc := range docs {
		v.Documents = append(v.Documents, documentView(doc))
	}
	c, err := ds.Confirmed(d.owner())
	switch {
	case err == nil:
		v.ConfirmedBy, v.ConfirmedAt = c.By, c.At.UTC().Format(timeLayout)
	case queue.ErrorCode(err) != queue.ENotFound:
		return v, err
	}
	return v, nil
}

// ticketForm returns the form kept with a ticket, else with its booking.
func (s *Server) ticketForm(ds queue.Dossiers, t queue.Ticket) (queue.DossierForm, bool, error) {
	owners := []string{queue.DossierTicket(t.ID)}
	if t.Booking != "" {
		owners = append(owners, queue.DossierBooking(t.Booking))
	}
	for _, o := range owners {
		f, err := ds.Form(o)
		if err == nil {
			return f, true, nil
		}
		if queue.ErrorCode(err) != queue.ENotFound {
			return f, false, err
		}
	}
	return queue.DossierForm{}, false, nil
}
