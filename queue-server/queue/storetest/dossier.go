package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// Dossiers returns the store's queue.Dossiers, failing the test when it
// has none.
func Dossiers(t testing.TB, s queue.Store) queue.Dossiers {
	t.Helper()
	d, ok := s.(queue.Dossiers)
	if !ok {
		t.Fatalf("%T is not a queue.Dossiers", s)
	}
	return d
}

func runDossiers(t *testing.T, open Open) {
	t.Run("DossierForm", func(t *testing.T) { testDossierForm(t, open) })
	t.Run("DossierDocuments", func(t *testing.T) { testDossierDocuments(t, open) })
	t.Run("DossierLimits", func(t *testing.T) { testDossierLimits(t, open) })
	t.Run("DossierPurge", func(t *testing.T) { testDossierPurge(t, open) })
}

// Document returns a document of an owner for tests, with its PDF.
func Document(owner, id string, created time.Time) (queue.DossierDocument, []byte) {
	pdf := []byte("%PDF-1.4\n% " + owner + " " + id + "\n%%EOF\n")
	return queue.DossierDocument{
		ID: id, Owner: owner, Centre: "phuong-d", Name: "Giấy chứng sinh", Kind: "giay-chung-sinh", Pages: 2,
		SHA256: fmt.Sprintf("%x", id), Size: len(pdf), Status: "present", Reasons: []string{"thiếu dấu"},
		Fields:    map[string]queue.DossierField{"ho_ten": {Value: "Nguyễn Thị Hoà"}},
		CreatedAt: created, CreatedBy: "kiosk-1", Expires: created.Add(31 * 24 * time.Hour),
	}, pdf
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	var gv, wv any
	json.Unmarshal(g, &gv)
	json.Unmarshal(w, &wv)
	if !reflect.DeepEqual(gv, wv) {
		t.Errorf("%s:\n have %s\n want %s", what, g, w)
	}
}

// testDossierForm: a form is kept whole (its values in Vietnamese), the
// next one replaces it, and another owner's is not found; the same for
// confirmations; a store reopened has them.
func testDossierForm(t *testing.T, open Open) {
	s, reopen := open(t)
	d := Dossiers(t, s)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	owner := queue.DossierTicket("t-form")
	if _, err := d.Form(owner); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("Form of nothing: %v, want not found", err)
	}
	f := queue.DossierForm{Owner: owner, Centre: "phuong-d", Procedure: "khai-sinh",
		Filled:    json.RawMessage(`{"procedure":"khai-sinh","version":"2026-12-05","values":{"applicant_name":"Đặng Thị Thuỷ"}}`),
		UpdatedAt: now, UpdatedBy: "kiosk-1", Expires: now.Add(30 * 24 * time.Hour)}
	if err := d.PutForm(f); err != nil {
		t.Fatal(err)
	}
	f.Filled = json.RawMessage(`{"procedure":"khai-sinh","version":"2026-12-05","values":{"applicant_name":"Đặng Thị Thủy"}}`)
	f.UpdatedBy = "canbo1"
	if err := d.PutForm(f); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Form(queue.DossierBooking("t-form")); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("another owner's form: %v, want not found", err)
	}
	if _, err := d.Confirmed(owner); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("Confirmed before any: %v, want not found", err)
	}
	c := queue.DossierConfirm{Owner: owner, Centre: "phuong-d", By: "canbo1", At: now, Expires: f.Expires}
	if err := d.Confirm(c); err != nil {
		t.Fatal(err)
	}
	if reopen != nil {
		d = Dossiers(t, reopen())
	}
	got, err := d.Form(owner)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "form", got, f)
	gc, err := d.Confirmed(owner)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "confirmation", gc, c)
}

// testDossierDocuments: documents come back in the order they came, each
// PDF byte for byte; the same id again changes nothing; a correction
// replaces the description and keeps the PDF.
func testDossierDocuments(t *testing.T, open Open) {
	s, reopen := open(t)
	d := Dossiers(t, s)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	owner := queue.DossierTicket("t-docs")
	if ds, err := d.Documents(owner); err != nil || len(ds) != 0 {
		t.Fatalf("Documents of nothing: %v %v, want none", ds, err)
	}
	var want []queue.DossierDocument
	var pdfs [][]byte
	for i, id := range []string{"zz-first", "aa-second", "mm-third"} {
		doc, pdf := Document(owner, id, now.Add(time.Duration(i)*time.Minute))
		if err := d.PutDocument(doc, pdf); err != nil {
			t.Fatal(err)
		}
		want, pdfs = append(want, doc), append(pdfs, pdf)
	}
	// Sent again (a kiosk's outbox replayed), even with other content.
	again, _ := Document(owner, "zz-first", now.Add(time.Hour))
	again.Name = "changed"
	if err := d.PutDocument(again, []byte("%PDF-other")); err != nil {
		t.Fatalf("the same id again: %v", err)
	}
	other, otherPDF := Document(queue.DossierTicket("t-else"), "zz-first", now)
	if err := d.PutDocument(other, otherPDF); err != nil {
		t.Fatal(err)
	}
	fixed := want[1]
	fixed.Fields = map[string]queue.DossierField{"ho_ten": {Value: "Nguyễn Thị Hòa", Read: "Nguyễn Thị Hoà", CorrectedBy: "canbo1", CorrectedAt: now}}
	if err := d.UpdateDocument(fixed); err != nil {
		t.Fatal(err)
	}
	want[1] = fixed
	missing, _ := Document(owner, "nope", now)
	if err := d.UpdateDocument(missing); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("UpdateDocument of nothing: %v, want not found", err)
	}
	if reopen != nil {
		d = Dossiers(t, reopen())
	}
	got, err := d.Documents(owner)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "documents", got, want)
	for i, doc := range want {
		pdf, err := d.DocumentPDF(owner, doc.ID)
		if err != nil || !bytes.Equal(pdf, pdfs[i]) {
			t.Errorf("PDF of %s: %q %v, want %q", doc.ID, pdf, err, pdfs[i])
		}
	}
	if pdf, _ := d.DocumentPDF(other.Owner, "zz-first"); !bytes.Equal(pdf, otherPDF) {
		t.Errorf("the other owner's PDF of the same id: %q", pdf)
	}
	if _, err := d.DocumentPDF(owner, "nope"); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("DocumentPDF of nothing: %v, want not found", err)
	}
}

// testDossierLimits: a PDF over the limit, and a document past the count
// of an owner, are refused with clear errors and keep nothing.
func testDossierLimits(t *testing.T, open Open) {
	s, _ := open(t)
	d := Dossiers(t, s)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	owner := queue.DossierTicket("t-limits")
	big, _ := Document(owner, "big", now)
	err := d.PutDocument(big, make([]byte, queue.MaxDossierDocumentBytes+1))
	if queue.ErrorCode(err) != queue.ETooLarge || !strings.Contains(err.Error(), "20 MB") {
		t.Errorf("a PDF over 20 MB: %v, want too_large naming the limit", err)
	}
	for i := range queue.MaxDossierDocuments {
		doc, pdf := Document(owner, fmt.Sprintf("d%02d", i), now)
		if err := d.PutDocument(doc, pdf); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
	}
	doc, pdf := Document(owner, "one-more", now)
	if err := d.PutDocument(doc, pdf); queue.ErrorCode(err) != queue.EInvalid {
		t.Errorf("document %d: %v, want invalid", queue.MaxDossierDocuments+1, err)
	}
	// A document sent again is no new one.
	doc, pdf = Document(owner, "d00", now)
	if err := d.PutDocument(doc, pdf); err != nil {
		t.Errorf("a document sent again at the limit: %v", err)
	}
	got, err := d.Documents(owner)
	if err != nil || len(got) != queue.MaxDossierDocuments {
		t.Errorf("%d documents kept (%v), want %d", len(got), err, queue.MaxDossierDocuments)
	}
}

// testDossierPurge: what expired goes (forms, documents and their PDFs,
// confirmations); what has not stays; a second purge finds nothing.
func testDossierPurge(t *testing.T, open Open) {
	s, reopen := open(t)
	d := Dossiers(t, s)
	now := time.Date(2026, 12, 25, 0, 0, 0, 0, hcm)
	old, fresh := queue.DossierTicket("t-old"), queue.DossierTicket("t-fresh")
	for _, o := range []struct {
		owner string
		exp   time.Time
	}{{old, now}, {fresh, now.Add(time.Second)}} {
		f := queue.DossierForm{Owner: o.owner, Centre: "phuong-d", Procedure: "khai-sinh", Filled: json.RawMessage(`{}`), UpdatedAt: now.AddDate(0, 0, -31), Expires: o.exp}
		if err := d.PutForm(f); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"a", "b"} {
			doc, pdf := Document(o.owner, id, now.AddDate(0, 0, -31))
			doc.Expires = o.exp
			if err := d.PutDocument(doc, pdf); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Confirm(queue.DossierConfirm{Owner: o.owner, Centre: "phuong-d", By: "canbo1", At: now.AddDate(0, 0, -31), Expires: o.exp}); err != nil {
			t.Fatal(err)
		}
	}
	// A form filled again later expires later.
	f, _ := d.Form(fresh)
	f.Expires = now.AddDate(0, 0, 5)
	if err := d.PutForm(f); err != nil {
		t.Fatal(err)
	}
	n, err := d.PurgeDossiers(now)
	if err != nil || n != 3 {
		t.Fatalf("PurgeDossiers: %d %v, want 3 (a form and two documents)", n, err)
	}
	if reopen != nil {
		d = Dossiers(t, reopen())
	}
	if _, err := d.Form(old); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("expired form: %v, want gone", err)
	}
	if ds, _ := d.Documents(old); len(ds) != 0 {
		t.Errorf("expired documents: %d left", len(ds))
	}
	if _, err := d.DocumentPDF(old, "a"); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("expired PDF: %v, want gone", err)
	}
	if _, err := d.Confirmed(old); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("expired confirmation: %v, want gone", err)
	}
	if ds, _ := d.Documents(fresh); len(ds) != 2 {
		t.Errorf("documents not expired: %d left, want 2", len(ds))
	}
	if n, err := d.PurgeDossiers(now); err != nil || n != 0 {
		t.Errorf("second purge: %d %v, want 0", n, err)
	}
	n, err = d.PurgeDossiers(now.Add(time.Second))
	if err != nil || n != 2 {
		t.Errorf("purge a second later: %d %v, want the two documents", n, err)
	}
	if _, err := d.Form(fresh); err != nil {
		t.Errorf("the form filled again: %v, want it kept", err)
	}
	if _, err := d.Confirmed(fresh); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("confirmation expired: %v, want gone", err)
	}
}

// BenchPutDocument is the benchmark of a store keeping one document of
// size bytes (a digitised paper's PDF): each op a new ticket's first
// document, so the owner's limits are read as in service.
func BenchPutDocument(b *testing.B, s queue.Store, size int) {
	d := Dossiers(b, s)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{'x'}, size-9)...)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		doc, _ := Document(queue.DossierTicket(fmt.Sprint("t-", i)), "d", now)
		doc.Size = size
		if err := d.PutDocument(doc, pdf); err != nil {
			b.Fatal(err)
		}
	}
}
