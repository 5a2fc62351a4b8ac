package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/idcard/idcardsim"
	"xephang/drivers/ipp/ipptest"
	"xephang/kiosk/outbox"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/forms/formstest"
)

// get reads a local API path as JSON.
func (k *localClient) get(t *testing.T, ctx context.Context, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", k.base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

type formView struct {
	Values   map[string]string `json:"values"`
	Sources  map[string]string `json:"sources"`
	CardRead bool              `json:"card_read"`
}

// TestFormEndToEnd: the card read at the form screen fills the form, the
// citizen completes it (checked as typed), prints it on the A4 printer
// (CUPS's ippeveprinter: the job's PDF holds every value), takes a number
// with it — once
// online, once while the server is cut off (kept in the outbox and put on
// replay) — and the counter's dossier view of each ticket holds the form,
// the card's fields marked as from the card.
func TestFormEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	admin := startServer(t)
	u, _ := url.Parse(admin.Base)
	proxy := startProxy(t, u.Host)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	a4 := ipptest.Start(t, ipptest.Options{})
	_, k := startKiosk(t, ctx, dir, []string{"-server", proxy.URL(), "-a4-printer", a4.URL}, nil)
	k.waitStatus(t, ctx, "online", func(s statusView) bool { return s.Link.Online && s.Link.Left["A"] > 0 })

	var st map[string]any
	if code := k.post(t, ctx, "/api/flow", map[string]string{"flow": "form"}, &st); code != 200 || st["step"] != "choose-procedure" {
		t.Fatalf("start: %d %v", code, st)
	}
	if code := k.post(t, ctx, "/api/flow", map[string]any{"flow": "form", "step": "card", "data": map[string]string{"procedure": "khai-sinh"}}, &st); code != 200 {
		t.Fatalf("card step: %d %v", code, st)
	}
	if code := k.post(t, ctx, "/api/demo/card", map[string]string{"kind": "adult"}, nil); code != http.StatusAccepted {
		t.Fatalf("tap: %d", code)
	}
	var fv formView
	waitUntil(t, ctx, "the form filled from the card", func() bool {
		k.get(t, ctx, "/api/forms/khai-sinh", &fv)
		return fv.CardRead
	})
	fields := strings.Split(idcardsim.SampleQR, "|")
	if fv.Values["applicant_name"] != fields[2] || fv.Values["applicant_id_number"] != fields[0] || fv.Sources["applicant_name"] != "card" {
		t.Fatalf("prefilled %+v %+v", fv.Values, fv.Sources)
	}
	var flowNow struct{ Flow struct{ Flow, Step string } }
	k.get(t, ctx, "/api/status", &flowNow)
	if flowNow.Flow.Flow != "form" || flowNow.Flow.Step != "fill" {
		t.Errorf("after the card: %+v", flowNow.Flow)
	}
	values := fv.Values
	for k, v := range map[string]string{"applicant_relation": "Cha", "child_name": "Nguyễn Thị Thuỷ Tiên", "child_birth_date": time.Now().AddDate(0, 0, -3).Format(time.DateOnly),
		"child_sex": "F", "child_ethnicity": "Kinh", "child_nationality": "Việt Nam", "child_birth_place": "Bệnh viện Phụ sản Hà Nội"} {
		values[k] = v
	}
	var check struct{ Errors []map[string]string }
	if code := k.post(t, ctx, "/api/forms/khai-sinh/check", map[string]any{"values": values}, &check); code != 200 || len(check.Errors) != 0 {
		t.Fatalf("check: %d %+v", code, check)
	}
	var printed struct{ Printed bool }
	if code := k.post(t, ctx, "/api/forms/khai-sinh/print", map[string]any{"values": values}, &printed); code != 200 || !printed.Printed {
		t.Fatalf("print: %d %+v", code, printed)
	}
	var docs map[string][]byte
	waitUntil(t, ctx, "the A4 job in the spool", func() bool { docs, _ = a4.Documents(); return len(docs) == 1 })
	for _, pdf := range docs {
		text := formstest.PDFText(t, pdf)
		for _, want := range []string{fields[2], fields[0], "Nguyễn Thị Thuỷ Tiên", "Bệnh viện Phụ sản Hà Nội", "phường Thử", "TỜ KHAI ĐĂNG KÝ KHAI SINH"} {
			if !strings.Contains(text, want) {
				t.Errorf("the printed form lacks %q", want)
			}
		}
	}
	var p struct {
		Number   string `json:"number"`
		TicketID string `json:"ticket_id"`
		Offline  bool   `json:"offline"`
	}
	if code := k.post(t, ctx, "/api/forms/khai-sinh/ticket", map[string]any{"values": values}, &p); code != 201 || p.TicketID == "" || p.Offline {
		t.Fatalf("ticket: %d %+v", code, p)
	}
	dv, err := admin.Dossier(ctx, p.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if dv.Form == nil || dv.Form.Procedure != "khai-sinh" || dv.Form.Values["applicant_name"] != fields[2] ||
		dv.Form.Values["child_name"] != "Nguyễn Thị Thuỷ Tiên" || dv.Form.Sources["applicant_name"] != "card" || dv.Form.Sources["child_name"] != "" {
		t.Fatalf("the counter's dossier: %+v", dv.Form)
	}

	// Cut off: the number comes from a block, the form waits with it.
	proxy.Cut()
	k.waitStatus(t, ctx, "offline", func(s statusView) bool { return !s.Link.Online })
	values["child_name"] = "Trần Đức Hoà"
	if code := k.post(t, ctx, "/api/forms/khai-sinh/ticket", map[string]any{"values": values}, &p); code != 201 || !p.Offline {
		t.Fatalf("offline ticket: %d %+v", code, p)
	}
	proxy.Restore()
	k.waitStatus(t, ctx, "replayed", func(s statusView) bool { return s.Link.Online && s.Link.Pending == 0 })
	var id string
	waitUntil(t, ctx, "the offline ticket's form on the server", func() bool {
		all, err := admin.Tickets(ctx, "bench", false)
		if err != nil {
			return false
		}
		for _, x := range all {
			if x.Number == p.Number {
				id = x.ID
			}
		}
		if id == "" {
			return false
		}
		dv, err = admin.Dossier(ctx, id)
		return err == nil && dv.Form != nil
	})
	if dv.Form.Values["child_name"] != "Trần Đức Hoà" || dv.Form.Sources["applicant_id_number"] != "card" {
		t.Errorf("replayed form %+v", dv.Form)
	}
}

// TestPrecheckDocumentsEndToEnd: a pre-check with real Tesseract while the
// server is cut off; the number comes from a block with the digitised
// documents written beside the outbox (0600) before it prints; once the
// link is back the ticket, its pre-check and its documents reach the
// server, the files go, and the counter's dossier lists every document
// with the SHA-256 the kiosk computed, its PDF searchable.
func TestPrecheckDocumentsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	files := generatedDossier(t, ctx)
	admin := startServer(t)
	u, _ := url.Parse(admin.Base)
	proxy := startProxy(t, u.Host)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	m, k := startKiosk(t, ctx, dir, []string{"-server", proxy.URL()}, func(m *Main) { m.Scanner = &dossierScanner{files: files} })
	if m.Checker == nil {
		t.Fatal("no Checker: is tesseract-ocr-vie installed?")
	}
	k.waitStatus(t, ctx, "online", func(s statusView) bool { return s.Link.Online && s.Link.Left["A"] > 0 })
	proxy.Cut()
	k.waitStatus(t, ctx, "offline", func(s statusView) bool { return !s.Link.Online })

	var v precheckView
	start := time.Now()
	if code := k.post(t, ctx, "/api/precheck/start", map[string]string{"procedure": "khai-sinh"}, &v); code != 200 || v.Pages != 3 {
		t.Fatalf("scan and check: %d %+v", code, v)
	}
	t.Logf("3 pages scanned, checked and digitised in %v", time.Since(start).Round(time.Millisecond))
	if code := k.post(t, ctx, "/api/precheck/ticket", map[string]string{}, &v); code != 201 || v.Printed == nil || !v.Printed.Offline {
		t.Fatalf("ticket: %d %+v", code, v)
	}
	pending, _ := m.Store.Tickets(outbox.Pending)
	if len(pending) != 1 || len(pending[0].Documents) == 0 {
		t.Fatalf("outbox %+v", pending)
	}
	kept := map[string]string{} // id → sha256
	docsDir := filepath.Join(dir, "outbox-docs")
	for _, d := range pending[0].Documents {
		kept[d.ID] = d.SHA256
		fi, err := os.Stat(filepath.Join(docsDir, d.ID+".pdf"))
		if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != int64(d.Size) {
			t.Fatalf("document file %s: %v %v", d.ID, fi, err)
		}
	}
	t.Logf("%d documents kept offline: %v", len(kept), docNames(pending[0].Documents))
	var ls struct {
		Link struct {
			Documents int `json:"outbox_documents"`
		} `json:"link"`
	}
	if k.get(t, ctx, "/api/status", &ls); ls.Link.Documents != len(kept) {
		t.Errorf("status: %d documents waiting, want %d", ls.Link.Documents, len(kept))
	}

	proxy.Restore()
	// Sent, then each file removed (after its record is on disk).
	waitUntil(t, ctx, "documents sent and their files gone", func() bool {
		ts, _ := m.Store.DocumentsToSend()
		pend, _ := m.Store.Tickets(outbox.Pending)
		ents, _ := os.ReadDir(docsDir)
		return len(ts) == 0 && len(pend) == 0 && len(ents) == 0
	})
	sent, _ := m.Store.Tickets(outbox.Sent)
	if len(sent) != 1 || !sent[0].PrecheckAttached || sent[0].ServerID == "" {
		t.Fatalf("sent %+v", sent)
	}
	dv, err := admin.Dossier(ctx, sent[0].ServerID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dv.Documents) != len(kept) || len(dv.Precheck) == 0 {
		t.Fatalf("dossier: %d documents, want %d; pre-check %s", len(dv.Documents), len(kept), dv.Precheck)
	}
	for _, d := range dv.Documents {
		if kept[d.ID] != d.SHA256 {
			t.Errorf("%s %q: sha256 %s on the server, %s at the kiosk", d.ID, d.Name, d.SHA256, kept[d.ID])
		}
		pdf, err := admin.DocumentPDF(ctx, sent[0].ServerID, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pdf)
		if hex.EncodeToString(sum[:]) != d.SHA256 || len(pdf) != d.Size {
			t.Errorf("%s: the PDF served does not match its sha256", d.Name)
		}
		// Searchable: what the pre-check read on it, pdftotext finds.
		if name := d.Fields["child_name"].Value; name != "" {
			path := filepath.Join(t.TempDir(), "doc.pdf")
			os.WriteFile(path, pdf, 0o600)
			out, err := exec.CommandContext(ctx, "pdftotext", "-enc", "UTF-8", path, "-").Output()
			if err != nil || !strings.Contains(norm.NFC.String(string(out)), name) {
				t.Errorf("%s: pdftotext does not find %q: %v", d.Name, name, err)
			}
		}
	}
	i := slices.IndexFunc(dv.Documents, func(d apiv1.DocumentView) bool { return strings.HasPrefix(d.Name, "Giấy chứng sinh") })
	if i < 0 || dv.Documents[i].Fields["child_name"].Value == "" || dv.Documents[i].Pages != 1 || dv.Documents[i].Status != "present" {
		t.Errorf("the birth certificate with its fields: %+v", dv.Documents)
	}
}

func docNames(ds []outbox.Document) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}
