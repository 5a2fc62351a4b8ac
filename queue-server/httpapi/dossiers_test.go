package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/forms"
	"xephang/queue-server/queue"
)

// The citizen of the dossier tests: what only staff of the centre see.
const (
	dossierName    = "Đặng Thị Thuỷ"
	dossierChild   = "Lê Hoàng Ánh Dương"
	dossierAddress = "Số 7 ngõ 12 phố Đặng Thai Mai, phường Tây Hồ, Hà Nội"
)

var dossierID = cccd(4242)

// khaiSinh is a valid filled form of khai-sinh, the applicant's fields
// as read from a card.
func khaiSinh() apiv1.FilledForm {
	return apiv1.FilledForm{Procedure: "khai-sinh", Version: forms.Default().Forms()[0].Version,
		Values: map[string]string{
			"applicant_name": dossierName, "applicant_id_number": dossierID, "applicant_address": dossierAddress,
			"applicant_relation": "Mẹ", "child_name": dossierChild, "child_birth_date": "2026-11-20", "child_sex": "F",
			"child_ethnicity": "Kinh", "child_nationality": "Việt Nam", "child_birth_place": "Bệnh viện Phụ sản Hà Nội",
		},
		Sources: map[string]string{"applicant_name": "card", "applicant_id_number": "card", "applicant_address": "card"}}
}

func formVersion(t *testing.T, procedure string) string {
	t.Helper()
	f, err := forms.Default().Form(procedure)
	must(t, err)
	return f.Version
}

// pdfOf makes a small real PDF holding text (a document as the kiosk
// digitises it, for what these tests need: bytes and a hash).
func pdfOf(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + text + "\n%%EOF\n")
}

func metaOf(id, kind string, pdf []byte, fields map[string]string) apiv1.DocumentMeta {
	sum := sha256.Sum256(pdf)
	return apiv1.DocumentMeta{ID: id, Name: "Giấy chứng sinh", Kind: kind, Pages: 1, Status: "present", Fields: fields, SHA256: hex.EncodeToString(sum[:])}
}

// dossierEnv is a centre in service with a kiosk, a ticket taken at the
// kiosk, and a clerk of another centre.
type dossierEnv struct {
	e      *env
	ck     *clock
	kiosk  *apiv1.Client
	other  *apiv1.Client // clerk of phuong-khac
	ticket apiv1.TicketView
}

func newDossierEnv(t *testing.T) *dossierEnv {
	t.Helper()
	e, ck := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)) // Monday 08:00 local
	ctx := context.Background()
	kiosk, _ := enrollKiosk(t, e, "Ki-ốt 1")
	_, err := e.admin.PutCentre(ctx, envCentreWith("phuong-khac"))
	must(t, err)
	must(t, e.admin.PutUser(ctx, "canbo9", apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: "phuong-khac", Password: "other-secret"}))
	other := apiv1.NewClient(e.srv.URL)
	must(t, other.Login(ctx, "canbo9", "other-secret"))
	tk, err := kiosk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", IdempotencyKey: "k-1"})
	must(t, err)
	return &dossierEnv{e: e, ck: ck, kiosk: kiosk, other: other, ticket: tk}
}

func envCentreWith(id string) queue.Centre {
	c := envCentre()
	c.ID = id
	return c
}

func TestFormsArePublic(t *testing.T) {
	e := newEnv(t)
	anon := apiv1.NewClient(e.srv.URL)
	ctx := context.Background()
	list, err := anon.Forms(ctx)
	must(t, err)
	var procs []string
	for _, f := range list {
		procs = append(procs, f.Procedure)
		if f.Title == "" || f.Version == "" {
			t.Errorf("form %+v", f)
		}
	}
	want := []string{"chung-thuc-ban-sao", "dat-dai-lan-dau", "ket-hon", "khai-sinh", "thuong-tru", "trich-luc-ho-tich"}
	if !slices.Equal(procs, want) {
		t.Errorf("forms %v, want %v", procs, want)
	}
	raw, err := anon.FormDefinition(ctx, "khai-sinh")
	must(t, err)
	var def forms.Form
	must(t, json.Unmarshal(raw, &def))
	if def.Title != "TỜ KHAI ĐĂNG KÝ KHAI SINH" || len(def.Sections) == 0 {
		t.Errorf("definition: %s", raw)
	}
	if _, err := anon.FormDefinition(ctx, "khong-co"); apiCode(err) != "404 not_found" {
		t.Errorf("unknown procedure: %v", err)
	}
}

// A kiosk keeps a form with its centre's ticket but cannot read it back;
// a form found wrong is refused field by field in Vietnamese; staff of
// the centre read it, staff of another centre do not.
func TestTicketForm(t *testing.T) {
	d := newDossierEnv(t)
	ctx := context.Background()
	bad := khaiSinh()
	bad.Values["applicant_id_number"] = "123"
	bad.Values["child_birth_date"] = "2027-01-01"
	delete(bad.Values, "child_name")
	bad.Values["favourite_colour"] = "xanh"
	_, err := d.kiosk.PutTicketForm(ctx, d.ticket.ID, bad)
	var ae *apiv1.APIError
	if !errors.As(err, &ae) || ae.Status != 422 || ae.Code != "invalid" {
		t.Fatalf("a wrong form: %v, want 422 invalid", err)
	}
	codes := map[string]string{}
	for _, f := range ae.Fields {
		codes[f.Field] = f.Code
		if f.Message == "" || f.Message == f.MessageEN {
			t.Errorf("field %s: message %q, want Vietnamese", f.Field, f.Message)
		}
	}
	for field, code := range map[string]string{"applicant_id_number": "invalid", "child_birth_date": "future_date", "child_name": "required", "favourite_colour": "unknown_field"} {
		if codes[field] != code {
			t.Errorf("field %s: %q, want %s (all: %v)", field, codes[field], code, codes)
		}
	}
	// Not NFC as sent (decomposed), kept in NFC.
	good := khaiSinh()
	good.Values["applicant_name"] = "Đặng Thị Thuỷ"
	good.Values["applicant_name"] = "\u0110a\u0323\u0306ng Thi\u0323 Thuy\u0309"
	v, err := d.kiosk.PutTicketForm(ctx, d.ticket.ID, good)
	must(t, err)
	if v.Values["applicant_name"] != dossierName || v.Procedure != "khai-sinh" || v.UpdatedAt == "" {
		t.Errorf("kept: %+v", v)
	}
	if _, err := d.kiosk.TicketForm(ctx, d.ticket.ID); apiCode(err) != "403 forbidden" {
		t.Errorf("the kiosk reading the form back: %v, want 403", err)
	}
	if _, err := d.other.TicketForm(ctx, d.ticket.ID); apiCode(err) != "403 forbidden" {
		t.Errorf("another centre's clerk: %v, want 403", err)
	}
	if _, err := d.other.PutTicketForm(ctx, d.ticket.ID, khaiSinh()); apiCode(err) != "403 forbidden" {
		t.Errorf("another centre's clerk writing: %v, want 403", err)
	}
	got, err := d.e.clerk.TicketForm(ctx, d.ticket.ID)
	must(t, err)
	if got.Values["child_name"] != dossierChild || got.Sources["applicant_name"] != "card" {
		t.Errorf("the clerk reads %+v", got)
	}
	tv, err := d.e.clerk.Ticket(ctx, d.ticket.ID)
	must(t, err)
	if tv.Dossier == nil || !tv.Dossier.Form {
		t.Errorf("the ticket's mark for staff: %+v", tv.Dossier)
	}
	pub, err := apiv1.NewClient(d.e.srv.URL).Ticket(ctx, d.ticket.ID)
	must(t, err)
	if pub.Dossier != nil {
		t.Errorf("the public view shows the dossier mark: %+v", pub.Dossier)
	}
	// The official PDF holds every value.
	pdf, err := d.e.clerk.TicketFormPDF(ctx, d.ticket.ID)
	must(t, err)
	text := pdfText(t, pdf)
	for _, want := range []string{dossierName, dossierID, dossierChild, "20/11/2026", d.ticket.Number} {
		if !strings.Contains(text, want) {
			t.Errorf("the form's PDF lacks %q", want)
		}
	}
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.pdf")
	must(t, os.WriteFile(p, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-layout", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// Documents: the kiosk sends, sends again (same answer), cannot read;
// wrong hashes, non-PDFs and a PDF over 20 MB are refused clearly; the
// clerk reads, corrects (what the OCR read is kept, the audit names the
// field only) and confirms; another centre's clerk reads nothing.
func TestDossierDocuments(t *testing.T) {
	d := newDossierEnv(t)
	ctx := context.Background()
	pdf := pdfOf("giấy chứng sinh")
	meta := metaOf("doc-0001", "giay-chung-sinh", pdf, map[string]string{"ho_ten_me": "Dang Thi Thuy", "ngay_sinh": "20/11/2026"})
	v, err := d.kiosk.AddDocument(ctx, d.ticket.ID, meta, pdf)
	must(t, err)
	if v.ID != "doc-0001" || v.Size != len(pdf) || v.SHA256 != meta.SHA256 || v.Fields["ho_ten_me"].Value != "Dang Thi Thuy" {
		t.Fatalf("kept: %+v", v)
	}
	again, err := d.kiosk.AddDocument(ctx, d.ticket.ID, meta, pdf)
	if err != nil || again.CreatedAt != v.CreatedAt {
		t.Errorf("sent again: %+v %v", again, err)
	}
	for _, tc := range []struct {
		name string
		meta apiv1.DocumentMeta
		pdf  []byte
		want string
	}{
		{"hash of another file", metaOf("doc-x", "khac", pdfOf("a"), nil), pdfOf("b"), "422 invalid"},
		{"not a PDF", metaOf("doc-y", "khac", []byte("<html>"), nil), []byte("<html>"), "422 invalid"},
		{"bad id", metaOf("../../etc", "khac", pdf, nil), pdf, "422 invalid"},
		{"over 20 MB", metaOf("doc-z", "khac", nil, nil), append([]byte("%PDF-"), make([]byte, queue.MaxDossierDocumentBytes)...), "413 too_large"},
	} {
		_, err := d.kiosk.AddDocument(ctx, d.ticket.ID, tc.meta, tc.pdf)
		if apiCode(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
		if tc.want == "413 too_large" && !strings.Contains(err.Error(), "20 MB") {
			t.Errorf("%s: %v does not name the limit", tc.name, err)
		}
	}
	if _, err := d.other.AddDocument(ctx, d.ticket.ID, metaOf("doc-o", "khac", pdf, nil), pdf); apiCode(err) != "403 forbidden" {
		t.Errorf("another centre's clerk adding: %v", err)
	}
	if _, err := d.kiosk.DocumentPDF(ctx, d.ticket.ID, "doc-0001"); apiCode(err) != "403 forbidden" {
		t.Errorf("the kiosk reading a document: %v, want 403", err)
	}
	if _, err := d.kiosk.Dossier(ctx, d.ticket.ID); apiCode(err) != "403 forbidden" {
		t.Errorf("the kiosk reading the dossier: %v, want 403", err)
	}
	for _, c := range []*apiv1.Client{d.other, apiv1.NewClient(d.e.srv.URL)} {
		if _, err := c.Dossier(ctx, d.ticket.ID); err == nil {
			t.Errorf("the dossier shown to a stranger")
		}
		if _, err := c.DossierZIP(ctx, d.ticket.ID); err == nil {
			t.Errorf("the package shown to a stranger")
		}
		if _, err := c.DocumentPDF(ctx, d.ticket.ID, "doc-0001"); err == nil {
			t.Errorf("the document shown to a stranger")
		}
	}
	for _, name := range []string{"doc-0001", "doc-0001.pdf"} {
		got, err := d.e.clerk.DocumentPDF(ctx, d.ticket.ID, name)
		if err != nil || !bytes.Equal(got, pdf) {
			t.Errorf("the clerk's PDF by %s: %d bytes, %v", name, len(got), err)
		}
	}
	if _, err := d.e.clerk.DocumentPDF(ctx, d.ticket.ID, "nope"); apiCode(err) != "404 not_found" {
		t.Errorf("no such document: %v", err)
	}
	if _, err := d.kiosk.CorrectDocument(ctx, d.ticket.ID, "doc-0001", map[string]string{"ho_ten_me": "x"}); apiCode(err) != "403 forbidden" {
		t.Errorf("the kiosk correcting: %v", err)
	}
	fixed, err := d.e.clerk.CorrectDocument(ctx, d.ticket.ID, "doc-0001", map[string]string{"ho_ten_me": dossierName})
	must(t, err)
	f := fixed.Fields["ho_ten_me"]
	if f.Value != dossierName || f.Read != "Dang Thi Thuy" || f.CorrectedBy != "canbo1" || f.CorrectedAt == "" {
		t.Errorf("corrected: %+v", f)
	}
	// Corrected again: what the OCR read stays.
	fixed, err = d.e.clerk.CorrectDocument(ctx, d.ticket.ID, "doc-0001", map[string]string{"ho_ten_me": "Đặng Thị Thủy"})
	must(t, err)
	if f := fixed.Fields["ho_ten_me"]; f.Read != "Dang Thi Thuy" || f.Value != "Đặng Thị Thủy" {
		t.Errorf("corrected twice: %+v", f)
	}
	dv, err := d.e.clerk.ConfirmDossier(ctx, d.ticket.ID)
	must(t, err)
	if dv.ConfirmedBy != "canbo1" || dv.ConfirmedAt == "" || len(dv.Documents) != 1 || dv.Ticket.Number != d.ticket.Number {
		t.Errorf("confirmed: %+v", dv)
	}
	audit, err := d.e.store.Audit(centreID, 50)
	must(t, err)
	var actions []string
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "dossier.") {
			actions = append(actions, a.Action+" "+a.Reason)
		}
	}
	raw, _ := json.Marshal(audit)
	if !slices.Contains(actions, "dossier.correct doc-0001/ho_ten_me") || !slices.Contains(actions, "dossier.confirm ") || strings.Contains(string(raw), "Thủy") {
		t.Errorf("audit: %v (%s)", actions, raw)
	}
	tv, err := d.e.clerk.Ticket(ctx, d.ticket.ID)
	must(t, err)
	if tv.Dossier == nil || tv.Dossier.Documents != 1 || !tv.Dossier.Confirmed {
		t.Errorf("the mark: %+v", tv.Dossier)
	}
	// The event stream tells which ticket, nothing of the dossier.
	stream := publicStream(t, d.e, `"ticket.dossier"`)
	if !strings.Contains(stream, `"ticket.dossier"`) {
		t.Errorf("no ticket.dossier event")
	}
	for _, secret := range []string{"Thủy", "Thuy", "doc-0001", "giay-chung-sinh", meta.SHA256} {
		if strings.Contains(stream, secret) {
			t.Errorf("the public stream shows %q", secret)
		}
	}
}

// The limit of documents per ticket is answered 422 with the count.
func TestDossierDocumentCount(t *testing.T) {
	d := newDossierEnv(t)
	ctx := context.Background()
	for i := range queue.MaxDossierDocuments {
		pdf := pdfOf(fmt.Sprint(i))
		_, err := d.kiosk.AddDocument(ctx, d.ticket.ID, metaOf(fmt.Sprintf("d%02d", i), "khac", pdf, nil), pdf)
		must(t, err)
	}
	pdf := pdfOf("one more")
	_, err := d.kiosk.AddDocument(ctx, d.ticket.ID, metaOf("d99", "khac", pdf, nil), pdf)
	if apiCode(err) != "422 invalid" || !strings.Contains(err.Error(), "40") {
		t.Errorf("document 41: %v", err)
	}
}

// A booking's form: filled at home through the signed form_url (the code
// alone is refused), shown with the ticket of its check-in.
func TestBookingForm(t *testing.T) {
	d := newDossierEnv(t)
	ctx := context.Background()
	b, err := bookAs(d.e.clerk, "2026-11-23T09:30:00+07:00", 77, nil)
	must(t, err)
	if b.FormURL == "" || !strings.Contains(b.FormURL, "sig=") {
		t.Fatalf("form_url %q", b.FormURL)
	}
	u, err := url.Parse(b.FormURL)
	must(t, err)
	citizen := apiv1.NewClient(d.e.srv.URL)
	if _, err := citizen.PutBookingForm(ctx, b.Code, "", khaiSinh()); apiCode(err) != "403 forbidden" {
		t.Errorf("by code alone: %v", err)
	}
	// The PDF link's signature opens no form.
	pu, _ := url.Parse(b.PDFURL)
	if _, err := citizen.PutBookingForm(ctx, b.Code, pu.RawQuery, khaiSinh()); apiCode(err) != "403 forbidden" {
		t.Errorf("with the PDF's link: %v", err)
	}
	if _, err := d.kiosk.PutBookingForm(ctx, b.Code, "", khaiSinh()); apiCode(err) != "403 forbidden" {
		t.Errorf("a kiosk by code: %v", err)
	}
	v, err := citizen.PutBookingForm(ctx, b.Code, u.RawQuery, khaiSinh())
	must(t, err)
	if v.Values["applicant_name"] != dossierName {
		t.Errorf("kept %+v", v)
	}
	back, err := citizen.BookingForm(ctx, b.Code, u.RawQuery)
	if err != nil || back.Values["child_name"] != dossierChild {
		t.Errorf("read back through the link: %+v %v", back, err)
	}
	if _, err := d.other.BookingForm(ctx, b.Code, ""); apiCode(err) != "403 forbidden" {
		t.Errorf("another centre's clerk: %v", err)
	}
	pdf, err := citizen.Get(ctx, "/api/v1/bookings/"+b.Code+"/form.pdf?"+u.RawQuery)
	must(t, err)
	if !strings.Contains(pdfText(t, pdf), dossierChild) {
		t.Errorf("the booking's form PDF lacks the child's name")
	}
	d.ck.Set(time.Date(2026, 11, 23, 2, 20, 0, 0, time.UTC)) // 09:20 local
	ci, err := d.e.clerk.CheckIn(ctx, b.Code)
	must(t, err)
	tv, err := d.e.clerk.Ticket(ctx, ci.ID)
	must(t, err)
	if tv.Dossier == nil || !tv.Dossier.Form {
		t.Errorf("the ticket of the check-in: mark %+v", tv.Dossier)
	}
	dv, err := d.e.clerk.Dossier(ctx, ci.ID)
	must(t, err)
	if dv.Form == nil || dv.Form.Values["child_name"] != dossierChild || dv.Booking != b.Code || dv.Citizen["name"] != dossierName || dv.Citizen["id_number"] != dossierID {
		t.Errorf("the check-in's dossier: %+v", dv)
	}
	// Moved to another day, its form expires with the new day.
	b2, err := bookAs(d.e.clerk, "2026-11-24T09:30:00+07:00", 78, nil)
	must(t, err)
	u2, _ := url.Parse(b2.FormURL)
	_, err = citizen.PutBookingForm(ctx, b2.Code, u2.RawQuery, khaiSinh())
	must(t, err)
	_, err = d.e.clerk.Do(ctx, "POST", "/api/v1/bookings/"+b2.Code+"/reschedule", apiv1.RescheduleRequest{Start: "2026-11-26T09:30:00+07:00"}, nil)
	must(t, err)
	kept, err := d.e.store.Form(queue.DossierBooking(b2.Code))
	must(t, err)
	if want := time.Date(2026, 12, 27, 0, 0, 0, 0, hcmLoc(t)); !kept.Expires.Equal(want) {
		t.Errorf("the form of a booking moved to 26/11 expires %v, want %v", kept.Expires, want)
	}
	// Once cancelled, a booking's form no longer changes.
	_, err = d.e.clerk.Do(ctx, "POST", "/api/v1/bookings/"+b2.Code+"/cancel", apiv1.CancelRequest{}, nil)
	must(t, err)
	if _, err := citizen.PutBookingForm(ctx, b2.Code, u2.RawQuery, khaiSinh()); apiCode(err) != "409 conflict" {
		t.Errorf("the form of a cancelled booking: %v", err)
	}
}

// The dossier package: a ZIP whose manifest validates against
// docs/dossier-manifest.schema.json and names every file with its size
// and SHA-256; the form's PDF holds the values.
func TestDossierZIP(t *testing.T) {
	d := newDossierEnv(t)
	ctx := context.Background()
	_, err := d.kiosk.PutTicketForm(ctx, d.ticket.ID, khaiSinh())
	must(t, err)
	for i, kind := range []string{"giay-chung-sinh", "cccd-me"} {
		pdf := pdfOf(kind)
		_, err := d.kiosk.AddDocument(ctx, d.ticket.ID, metaOf(fmt.Sprintf("doc-%d", i), kind, pdf, map[string]string{"so": fmt.Sprint(i)}), pdf)
		must(t, err)
	}
	_, err = d.e.clerk.CorrectDocument(ctx, d.ticket.ID, "doc-1", map[string]string{"so": "9"})
	must(t, err)
	_, err = d.e.clerk.ConfirmDossier(ctx, d.ticket.ID)
	must(t, err)
	raw, err := d.e.clerk.DossierZIP(ctx, d.ticket.ID)
	must(t, err)
	m := checkPackage(t, raw)
	if m["procedure"].(map[string]any)["id"] != "khai-sinh" || m["confirmed_by"] != "canbo1" {
		t.Errorf("manifest: %v", m)
	}
	c := m["citizen"].(map[string]any)
	if c["name"] != dossierName || c["id_number"] != dossierID || c["address"] != dossierAddress {
		t.Errorf("citizen: %v", c)
	}
	docs := m["documents"].([]any)
	if len(docs) != 2 || docs[0].(map[string]any)["file"] != "documents/01-giay-chung-sinh.pdf" ||
		fmt.Sprint(docs[1].(map[string]any)["corrected"]) != "[so]" || docs[1].(map[string]any)["fields"].(map[string]any)["so"] != "9" {
		t.Errorf("documents: %v", docs)
	}
	// A dossier with nothing but the ticket is a valid package too.
	tk, err := d.kiosk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", IdempotencyKey: "k-2"})
	must(t, err)
	raw, err = d.e.clerk.DossierZIP(ctx, tk.ID)
	must(t, err)
	if m := checkPackage(t, raw); m["form"] != nil || len(m["documents"].([]any)) != 0 {
		t.Errorf("empty dossier: %v", m)
	}
}

// checkPackage validates a dossier package: its manifest against the
// schema, every file it names present with its size and SHA-256, no file
// it does not name; it returns the manifest.
func checkPackage(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	must(t, err)
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		must(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		must(t, err)
		files[f.Name] = b
	}
	mraw, ok := files["manifest.json"]
	if !ok {
		t.Fatal("no manifest.json")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(mraw))
	must(t, err)
	if err := manifestSchema(t).Validate(inst); err != nil {
		t.Fatalf("manifest.json does not validate: %v\n%s", err, mraw)
	}
	var m map[string]any
	must(t, json.Unmarshal(mraw, &m))
	named := map[string]bool{"manifest.json": true}
	check := func(entry map[string]any) {
		name := entry["file"].(string)
		named[name] = true
		b, ok := files[name]
		if !ok {
			t.Errorf("%s: named, not in the package", name)
			return
		}
		sum := sha256.Sum256(b)
		if entry["sha256"] != hex.EncodeToString(sum[:]) || entry["size"] != float64(len(b)) {
			t.Errorf("%s: manifest says %v bytes %v, file is %d bytes %x", name, entry["size"], entry["sha256"], len(b), sum)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("%s is not a PDF", name)
		}
	}
	if f, ok := m["form"].(map[string]any); ok {
		check(f)
		text := pdfText(t, files["form.pdf"])
		for _, v := range f["values"].(map[string]any) {
			if s := v.(string); s != "F" && !strings.Contains(text, strings.SplitN(s, "-", 2)[0]) {
				t.Errorf("form.pdf lacks %q", s)
			}
		}
	}
	for _, doc := range m["documents"].([]any) {
		check(doc.(map[string]any))
	}
	for name := range files {
		if !named[name] {
			t.Errorf("%s: in the package, not in the manifest", name)
		}
	}
	return m
}

func manifestSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile("../../docs/dossier-manifest.schema.json")
	if err != nil {
		t.Fatalf("docs/dossier-manifest.schema.json: %v", err)
	}
	return s
}

var _ = http.StatusOK

func hcmLoc(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	must(t, err)
	return loc
}
