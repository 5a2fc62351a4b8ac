package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/kiosk/outbox"
	"xephang/kiosk/precheck"
	"xephang/queue-server/apiv1"
)

// lockedBuffer is the agent's output, read while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCounterScan: the counter agent, enrolled like a kiosk, with real
// Tesseract against a real server: a batch while nobody is served at the
// counter is not sent (and says so); once a number is called there, the
// next batch is checked against the procedure of its service, digitised
// and posted to it, and the counter's dossier lists the documents with the
// agent's SHA-256; a service that fits no one procedure gets the pages as
// other papers.
func TestCounterScan(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	files := generatedDossier(t, ctx)
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	a, closeAll, err := newCounterAgent(dir, "", testLog())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	out := &lockedBuffer{}
	a.counter, a.scanner, a.out, a.services = 1, &dossierScanner{files: files}, out, map[string]string{"khai-sinh": "A"}
	if a.checker, err = precheck.NewChecker(precheck.Config{OCR: precheck.OCROptions{Workers: 1}}); err != nil {
		t.Fatal(err)
	}
	defer a.checker.Close()

	if err := a.run(ctx, true); err == nil || !strings.Contains(out.String(), "Quầy 1 không có số nào đang được phục vụ") {
		t.Fatalf("no ticket at the counter: %v\n%s", err, out)
	}
	if ents, _ := os.ReadDir(a.scanDir); len(ents) != 0 {
		t.Errorf("scans left on disk: %v", ents)
	}
	// It beats like a kiosk: the admin sees it alive, as the counter's scanner.
	ks, err := admin.Kiosks(ctx)
	if err != nil || len(ks) != 1 || !ks[0].Online || !strings.HasSuffix(ks[0].Version, "+counter-scan") {
		t.Errorf("kiosks %+v %v", ks, err)
	}
	if ts, _ := a.store.Tickets(""); len(ts) != 0 {
		t.Errorf("kept %+v", ts)
	}

	cred, _ := LoadCredential(dir)
	kc := apiv1.NewClient(admin.Base)
	kc.Token = cred.Credential
	tk, err := kc.Issue(ctx, "bench", apiv1.IssueRequest{Service: "A", IdempotencyKey: "counter-scan-1"})
	if err != nil {
		t.Fatal(err)
	}
	if called, ok, err := admin.Next(ctx, "bench", 1); err != nil || !ok || called.ID != tk.ID {
		t.Fatalf("next: %+v %v %v", called, ok, err)
	}
	start := time.Now()
	if err := a.run(ctx, true); err != nil {
		t.Fatalf("batch: %v\n%s", err, out)
	}
	t.Logf("3 pages read, checked, digitised and sent in %v", time.Since(start).Round(time.Millisecond))
	if want := "OK    Số " + tk.Number + " (khai-sinh): 3 trang → 3 giấy tờ, đã gửi"; !strings.Contains(out.String(), want) {
		t.Errorf("output %q, want %q", out, want)
	}
	sent, _ := a.store.Tickets(outbox.Sent)
	if len(sent) != 1 || sent[0].ServerID != tk.ID || len(sent[0].Documents) != 3 {
		t.Fatalf("outbox %+v", sent)
	}
	dv, err := admin.Dossier(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dv.Documents) != 3 {
		t.Fatalf("dossier documents %+v", dv.Documents)
	}
	for i, d := range dv.Documents {
		if k := sent[0].Documents[i]; d.ID != k.ID || d.SHA256 != k.SHA256 || d.Name != k.Name || d.Status != "present" {
			t.Errorf("document %d: server %+v, agent %+v", i, d, k)
		}
	}

	// A service no one procedure fits: the pages as other papers.
	a.services, a.scanner = nil, &dossierScanner{files: files[:1]}
	if err := a.run(ctx, true); err != nil || !strings.Contains(out.String(), "(khác): 1 trang → 1 giấy tờ, đã gửi") {
		t.Fatalf("other papers: %v\n%s", err, out)
	}
	if dv, err = admin.Dossier(ctx, tk.ID); err != nil || len(dv.Documents) != 4 || dv.Documents[3].Name != "Giấy tờ khác" || dv.Documents[3].Status != "present" {
		t.Errorf("dossier %+v %v", dv.Documents, err)
	}
}

// TestCounterScanCommand runs `kioskd counter-scan -once` as the clerk's
// PC would, with a folder the scanner saves into: the page dropped there
// after it started goes to the ticket served at the counter, and the
// command's usage errors say what is wanted.
func TestCounterScanCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for _, args := range [][]string{{}, {"-counter", "1"}, {"-counter", "0", "-scanner", "folder:/tmp"}, {"-counter", "1", "-scanner", "fax:1"}, {"-counter", "1", "-chip-reader", "auto"}} {
		if code, _, _ := runCmd(t, "", append([]string{"counter-scan"}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	files := generatedDossier(t, ctx)
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	cred, _ := LoadCredential(dir)
	kc := apiv1.NewClient(admin.Base)
	kc.Token = cred.Credential
	tk, err := kc.Issue(ctx, "bench", apiv1.IssueRequest{Service: "C", IdempotencyKey: "counter-scan-cmd"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := admin.Next(ctx, "bench", 1); !ok || err != nil {
		t.Fatalf("next: %v %v", ok, err)
	}
	inbox := t.TempDir()
	out := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		var errb lockedBuffer
		done <- run(ctx, []string{"counter-scan", "-data", dir, "-counter", "1", "-scanner", "folder:" + inbox, "-procedure", "khai-sinh", "-once"}, strings.NewReader(""), out, &errb)
	}()
	waitUntil(t, ctx, "the agent waiting", func() bool { return strings.Contains(out.String(), "Chờ giấy tờ của quầy 1") })
	b, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inbox+"/scan-0001.png", b, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != exitOK || !strings.Contains(out.String(), "OK    Số "+tk.Number+" (khai-sinh): 1 trang → 1 giấy tờ, đã gửi") {
			t.Fatalf("exit %d: %s", code, out)
		}
	case <-ctx.Done():
		t.Fatalf("no batch taken: %s", out)
	}
	if ents, _ := os.ReadDir(inbox); len(ents) != 0 {
		t.Errorf("the scanner's folder still holds %v", ents)
	}
	dv, err := admin.Dossier(ctx, tk.ID)
	if err != nil || len(dv.Documents) != 1 || !strings.HasPrefix(dv.Documents[0].Name, "Giấy chứng sinh") {
		t.Fatalf("dossier %+v %v", dv.Documents, err)
	}
}
