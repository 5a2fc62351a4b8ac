package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"xephang/drivers/ipp/ipptest"
	"xephang/drivers/pcsc/pcsctest"
	"xephang/drivers/scanner"
	"xephang/kiosk/devices"
	"xephang/kiosk/outbox"
	"xephang/kiosk/precheck/omptest"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/ca"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// TestMain runs the tests with OMP_THREAD_LIMIT=1, as kioskd's unit does.
// TestMain runs the tests with OMP_THREAD_LIMIT=1 (omptest), and stops
// the pcscd the chip tests start (pcsctest) at the end.
func TestMain(m *testing.M) {
	if os.Getenv("OMP_THREAD_LIMIT") == "1" {
		pcsctest.Main(m)
	}
	omptest.Main(m)
}

// dossierScanner is a scanner whose feeder holds the pages of a generated
// dossier (kiosk/precheck/gen: forms rendered with a font at 300 dpi).
type dossierScanner struct{ files []string }

func (d *dossierScanner) String() string { return "dossier" }

func (d *dossierScanner) Scan(ctx context.Context, opt scanner.Options, progress func(scanner.Progress)) ([]scanner.Page, error) {
	var out []scanner.Page
	for i, f := range d.files {
		b, err := os.ReadFile(f)
		if err != nil {
			return out, err
		}
		p := filepath.Join(opt.Dir, fmt.Sprintf("page-%d.png", i+1))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return out, err
		}
		progress(scanner.Progress{Page: i + 1, Percent: 100, Done: true})
		out = append(out, scanner.Page{Number: i + 1, Path: p, Format: scanner.PNG, Size: int64(len(b))})
	}
	return out, nil
}

// generatedDossier writes a clean khai-sinh dossier with the repo's generator.
func generatedDossier(t *testing.T, ctx context.Context) []string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.CommandContext(ctx, "go", "run", "../kiosk/precheck/gen", "-out", dir, "-dpi", "300", "-skew", "0", "-noise", "0", "-procedures", "khai-sinh").CombinedOutput()
	if err != nil {
		// go run resolves the path from the package's folder.
		out, err = exec.CommandContext(ctx, "go", "run", "./precheck/gen", "-out", dir, "-dpi", "300", "-skew", "0", "-noise", "0", "-procedures", "khai-sinh").CombinedOutput()
	}
	if err != nil {
		t.Fatalf("generating a dossier: %v: %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(files) < 3 {
		t.Fatalf("generated %v", files)
	}
	return files
}

// startKiosk runs kioskd in-process on loopback with simulated devices.
func startKiosk(t *testing.T, ctx context.Context, dir string, extra []string, prepare func(*Main)) (*Main, *localClient) {
	t.Helper()
	args := append([]string{"-data", dir, "-addr", "127.0.0.1:0", "-simulate", "-heartbeat", "200ms"}, extra...)
	cfg, err := ParseConfig(args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, testLog())
	if prepare != nil {
		prepare(m)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, &localClient{base: "http://" + m.Addr()}
}

// events collects the kiosk's WebSocket events.
type events struct {
	mu  sync.Mutex
	all []map[string]any
}

func (e *events) count(typ string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if ev["type"] == typ {
			n++
		}
	}
	return n
}

func listen(t *testing.T, k *localClient) *events {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(strings.Replace(k.base, "http", "ws", 1)+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ev := &events{}
	go func() {
		for {
			var m map[string]any
			if err := conn.ReadJSON(&m); err != nil {
				return
			}
			ev.mu.Lock()
			ev.all = append(ev.all, m)
			ev.mu.Unlock()
		}
	}()
	return ev
}

type precheckView struct {
	OK        bool `json:"ok"`
	Pages     int  `json:"pages"`
	Documents []struct {
		Name    string   `json:"name"`
		Status  string   `json:"status"`
		Reasons []string `json:"reasons"`
	} `json:"documents"`
	Service *struct {
		Code string `json:"code"`
	} `json:"service"`
	Checklist []string `json:"checklist"`
	Printed   *struct {
		Number   string `json:"number"`
		TicketID string `json:"ticket_id"`
		Offline  bool   `json:"offline"`
	} `json:"printed"`
	Error *struct{ Code, Message string } `json:"error"`
}

// TestPrecheckEndToEnd drives the pre-check through the local API, as the
// touchscreen does, with real Tesseract: choose the procedure, scan a
// generated dossier (progress on the WebSocket), read the result, take a
// number with it attached on the server and the checklist printed.
func TestPrecheckEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	files := generatedDossier(t, ctx)
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	m, k := startKiosk(t, ctx, dir, nil, func(m *Main) { m.Scanner = &dossierScanner{files: files} })
	if m.Checker == nil {
		t.Fatal("no Checker: is tesseract-ocr-vie installed?")
	}
	k.waitStatus(t, ctx, "online", func(s statusView) bool { return s.Link.Online && s.Link.Left["A"] > 0 })
	ev := listen(t, k)

	var st map[string]any
	if code := k.post(t, ctx, "/api/flow", map[string]string{"flow": "precheck"}, &st); code != 200 || st["step"] != "choose-procedure" {
		t.Fatalf("start: %d %v", code, st)
	}
	start := time.Now()
	var v precheckView
	if code := k.post(t, ctx, "/api/precheck/start", map[string]string{"procedure": "khai-sinh"}, &v); code != 200 {
		t.Fatalf("scan and check: %d %+v", code, v.Error)
	}
	t.Logf("3 pages scanned and checked in %v", time.Since(start).Round(time.Millisecond))
	if v.Pages != 3 || len(v.Documents) < 3 || v.Service == nil || v.Service.Code != "A" {
		t.Fatalf("result %+v", v)
	}
	for _, d := range v.Documents[:2] { // the form and the birth certificate
		if d.Status != "present" {
			t.Errorf("%s: %s %v", d.Name, d.Status, d.Reasons)
		}
	}
	waitUntil(t, ctx, "progress events", func() bool { return ev.count("scan") >= 3 && ev.count("check") >= 3 })
	if files, _ := os.ReadDir(filepath.Join(dir, "scans")); len(files) != 0 {
		t.Errorf("scanned pages left on disk: %v", files)
	}

	jobs, _ := filepath.Glob(filepath.Join(dir, "sim", "printer", "*.escpos"))
	if code := k.post(t, ctx, "/api/precheck/ticket", map[string]string{}, &v); code != 201 || v.Printed == nil || v.Printed.Offline {
		t.Fatalf("ticket: %d %+v", code, v)
	}
	if !strings.Contains(strings.Join(v.Checklist, "\n"), "Số thứ tự: "+v.Printed.Number) {
		t.Errorf("checklist %q", v.Checklist)
	}
	waitJobs(t, ctx, filepath.Join(dir, "sim", "printer"), len(jobs)+2) // the ticket, then the checklist
	var tv apiv1.TicketView
	all, err := admin.Tickets(ctx, "bench", false) // the staff's view, with pre-checks
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range all {
		if x.ID == v.Printed.TicketID {
			tv = x
		}
	}
	var res struct {
		Procedure string
		Documents []struct{ Status string }
	}
	if err := json.Unmarshal(tv.Precheck, &res); err != nil || res.Procedure != "khai-sinh" || len(res.Documents) != len(v.Documents) {
		t.Fatalf("the counter's ticket has no pre-check: %s %v", tv.Precheck, err)
	}
	if ts, _ := m.Store.Tickets(outbox.Sent); len(ts) != 1 || !ts[0].PrecheckAttached {
		t.Errorf("outbox %+v", ts)
	}
	// Online too, the digitised documents follow the ticket (the link is
	// kicked once it printed).
	waitUntil(t, ctx, "the documents in the counter's dossier", func() bool {
		dv, err := admin.Dossier(ctx, v.Printed.TicketID)
		return err == nil && len(dv.Documents) >= 3
	})
}

func waitUntil(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestVoidsOnlineTicketNotPrinted: kioskd died while printing a ticket the
// server issued (recorded before printing): at the next start the server
// withdraws it instead of calling a number nobody holds.
func TestVoidsOnlineTicketNotPrinted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	cred, _ := LoadCredential(dir)
	kc := apiv1.NewClient(admin.Base)
	kc.Token = cred.Credential
	tk, err := kc.Issue(ctx, "bench", apiv1.IssueRequest{Service: "A", IdempotencyKey: "kiosk-died-printing"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := outbox.Open(filepath.Join(dir, "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Record(outbox.Ticket{Key: "kiosk-died-printing", Centre: "bench", Service: "A", Number: tk.Number, ServerID: tk.ID, IssuedAt: time.Now()})
	st.Close()
	m, _ := startKiosk(t, ctx, dir, nil, nil)
	waitUntil(t, ctx, "the ticket withdrawn", func() bool {
		got, err := admin.Ticket(ctx, tk.ID)
		return err == nil && got.Status == "void"
	})
	waitUntil(t, ctx, "the outbox settled", func() bool { c, _ := m.Store.Counts(); return c[outbox.Void] == 1 })
}

// TestBrowserWatchdog: when the page stops pinging, the configured
// command runs (a fake here); while it pings, nothing runs.
func TestBrowserWatchdog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	log := filepath.Join(t.TempDir(), "restarts")
	script := filepath.Join(t.TempDir(), "restart-browser")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> "+log+"\n"), 0o755)
	m, k := startKiosk(t, ctx, dir, []string{"-browser-restart", script + " kiosk-browser.service", "-browser-timeout", "1s"}, nil)
	time.Sleep(1500 * time.Millisecond)
	if m.BrowserRestarts() != 0 {
		t.Fatal("restarted before the page ever pinged")
	}
	// The page pings every 300 ms for 2 s: no restart.
	for range 7 {
		if code := k.post(t, ctx, "/api/ping", nil, nil); code != http.StatusNoContent {
			t.Fatalf("ping: %d", code)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if m.BrowserRestarts() != 0 {
		t.Fatal("restarted while the page pinged")
	}
	waitUntil(t, ctx, "a restart", func() bool { return m.BrowserRestarts() == 1 })
	b, _ := os.ReadFile(log)
	if string(b) != "kiosk-browser.service\n" {
		t.Errorf("the command ran with %q", b)
	}
	// Default: systemctl, except in a demo; "off" disables.
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{}, nil, DefaultBrowserRestart},
		{[]string{"-simulate"}, nil, ""},
		{[]string{}, map[string]string{"XEPHANG_BROWSER_RESTART": "off"}, ""},
		{[]string{}, map[string]string{"XEPHANG_BROWSER_RESTART": "/usr/local/bin/restart-browser"}, "/usr/local/bin/restart-browser"},
	} {
		cfg, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] })
		if err != nil || cfg.BrowserRestart != tc.want {
			t.Errorf("%v %v: %q %v", tc.args, tc.env, cfg.BrowserRestart, err)
		}
	}
}

// mtlsServer is a queue server in-process with its CA: the public listener
// (enrolment, admin) and a TLS listener like -kiosk-addr (the kiosks'
// routes, a client certificate required). It returns the kiosk listener
// and the admin on the public one.
func mtlsServer(t *testing.T) (*httptest.Server, *apiv1.Client) {
	t.Helper()
	dir := t.TempDir()
	st, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ca.Open(filepath.Join(dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	hub := engine.NewHub()
	log := slog.New(slog.DiscardHandler)
	eng, err := engine.New(engine.Config{Store: st, Publisher: hub, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, CA: auth, Log: log})
	pub := httptest.NewServer(openapitest.Wrap(t, api))
	srv := httptest.NewUnstartedServer(openapitest.WrapKioskListener(t, api.KioskHandler()))
	if srv.TLS, err = auth.ServerTLS([]string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	srv.StartTLS()
	t.Cleanup(func() { srv.Close(); pub.Close(); eng.Close(); st.Close() })
	ctx := context.Background()
	if _, err := api.PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "secret-mtls-1"}); err != nil {
		t.Fatal(err)
	}
	admin := apiv1.NewClient(pub.URL)
	if err := admin.Login(ctx, "admin", "secret-mtls-1"); err != nil {
		t.Fatal(err)
	}
	c := queue.Centre{ID: "tls", Name: "Trung tâm Phục vụ hành chính công phường Thử", Timezone: "Asia/Ho_Chi_Minh",
		Services: []queue.Service{{Code: "A", Name: "Hộ tịch", Minutes: 10}},
		Counters: []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A"}}}}
	storetest.AlwaysOpen(&c) // kiosks issue numbers only in the centre's window
	if _, err := admin.PutCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	return srv, admin
}

func serialOf(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for b, rest := pem.Decode(raw); b != nil; b, rest = pem.Decode(rest) {
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			return c.SerialNumber.Text(16)
		}
	}
	t.Fatalf("no certificate in %s", path)
	return ""
}

// TestMutualTLS: enrolment with a key made on the kiosk and a CSR over
// https, waiting for approval ("pending" on screen, nothing issued), every
// call over mutual TLS once approved (tickets, heartbeat, event stream),
// renewal replacing the pair on disk, revocation putting the kiosk out of
// service.
func TestMutualTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, admin := mtlsServer(t)
	var tok apiv1.EnrollmentTokenResponse
	if _, err := admin.Do(ctx, "POST", "/api/v1/enrollment-tokens", apiv1.EnrollmentTokenRequest{Centre: "tls", Approval: true}, &tok); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out, errb stringWriter
	// Enrolment on the public listener: the kiosk listener admits only
	// enrolled kiosks.
	if code := enroll(ctx, []string{"-server", srv.URL, "-token", tok.Token, "-data", dir}, &out, &errb, func(string) string { return "" }); code != exitProblem {
		t.Fatalf("enrolling at the kiosk listener: %d %s", code, errb)
	}
	errb = stringWriter{}
	if code := enroll(ctx, []string{"-server", srv.URL, "-mtls", "-token", tok.Token, "-data", dir}, &out, &errb, func(string) string { return "" }); code != exitUsage ||
		!strings.Contains(errb.String(), "-kiosk-server") {
		t.Fatalf("-mtls without -kiosk-server: %d %s", code, errb)
	}
	errb = stringWriter{}
	if code := enroll(ctx, []string{"-server", admin.Base, "-kiosk-server", srv.URL, "-token", tok.Token, "-data", dir, "-name", "ki-ốt TLS"}, &out, &errb, func(string) string { return "" }); code != exitOK {
		t.Fatalf("enroll: %d %s", code, errb)
	}
	if !strings.Contains(out.String(), "waiting for approval") {
		t.Errorf("enroll output: %s", out)
	}
	fi, err := os.Stat(filepath.Join(dir, identityFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	cred, err := LoadCredential(dir)
	if err != nil || !cred.MTLS || cred.Credential != "" || cred.CertExpires.IsZero() {
		t.Fatalf("credential %+v %v", cred, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, credentialFile))
	if strings.Contains(string(raw), "PRIVATE") {
		t.Fatal("the key is in kiosk.json")
	}

	m, k := startKiosk(t, ctx, dir, nil, nil)
	k.waitStatus(t, ctx, "pending", func(s statusView) bool { return s.Link.Suspended == "pending" })
	var e map[string]map[string]string
	if code := k.post(t, ctx, "/api/tickets", map[string]string{"service": "A"}, &e); code != 503 || e["error"]["code"] != "kiosk_pending" {
		t.Fatalf("pending kiosk issued: %d %v", code, e)
	}
	if _, err := admin.Do(ctx, "POST", "/api/v1/kiosks/"+cred.Kiosk+"/approve", nil, nil); err != nil {
		t.Fatal(err)
	}
	k.waitStatus(t, ctx, "approved, config and blocks over mTLS", func(s statusView) bool {
		return s.Link.Online && s.Link.Suspended == "" && s.Link.Left["A"] > 0
	})
	var tv ticketView
	if code := k.post(t, ctx, "/api/tickets", map[string]string{"service": "A"}, &tv); code != 201 || tv.Offline {
		t.Fatalf("ticket over mTLS: %d %+v", code, tv)
	}
	// The event stream runs over mutual TLS: a configuration change arrives.
	c, _ := admin.Centre(ctx, "tls")
	c.Services = append(c.Services, queue.Service{Code: "B", Name: "Đất đai", Minutes: 20})
	c.Counters[0].Services = []string{"A", "B"}
	if _, err := admin.PutCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the new service by the event stream", func() bool {
		c, _ := m.Link.Centre()
		_, ok := c.Service("B")
		return ok
	})

	// Renewal: a new key and certificate replace the pair; calls go on.
	old := serialOf(t, filepath.Join(dir, identityFile))
	if err := m.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	if serialOf(t, filepath.Join(dir, identityFile)) == old {
		t.Fatal("the certificate on disk did not change")
	}
	if fi, _ := os.Stat(filepath.Join(dir, identityFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("renewed key file mode %v", fi.Mode())
	}
	if code := k.post(t, ctx, "/api/tickets", map[string]string{"service": "A"}, &tv); code != 201 || tv.Offline {
		t.Fatalf("ticket after renewal: %d %+v", code, tv)
	}
	list, _ := admin.Kiosks(ctx)
	if len(list) != 1 || list[0].CertSerial != serialOf(t, filepath.Join(dir, identityFile)) {
		t.Errorf("server's serial %+v", list)
	}

	// Revoked: out of service on screen; nothing issued, not even offline.
	if _, err := admin.Do(ctx, "POST", "/api/v1/kiosks/"+cred.Kiosk+"/revoke", nil, nil); err != nil {
		t.Fatal(err)
	}
	k.waitStatus(t, ctx, "revoked", func(s statusView) bool { return s.Link.Suspended == "revoked" })
	if code := k.post(t, ctx, "/api/tickets", map[string]string{"service": "A"}, &e); code != 503 || e["error"]["code"] != "out_of_service" {
		t.Fatalf("revoked kiosk issued: %d %v", code, e)
	}
	resp, err := http.Get(k.base + "/api/status")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"suspended":"revoked"`) {
			t.Errorf("status %s", b)
		}
	}

	// Bearer enrolment still works for http:// servers (make run uses it):
	// the other tests enrol that way.
}

// testLog discards kioskd's logs unless XEPHANG_TEST_LOG=1.
func testLog() *slog.Logger {
	if os.Getenv("XEPHANG_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// TestCardIdentifiedNumbers: a card read before taking a number sends its
// CCCD number with the ticket, so the citizen's daily limit (walk-in,
// online and booked numbers together, 2 by default) holds at the kiosk
// too: the third number of the day is refused, in Vietnamese, and nothing
// prints; a citizen who reads no card is not counted.
func TestCardIdentifiedNumbers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	_, k := startKiosk(t, ctx, dir, nil, nil)
	k.waitStatus(t, ctx, "online", func(s statusView) bool { return s.Link.Online })
	ev := listen(t, k)
	reads := 0
	take := func(card bool) (int, map[string]any) {
		var st map[string]any
		k.post(t, ctx, "/api/flow", map[string]string{"flow": "home"}, &st) // the next citizen
		if code := k.post(t, ctx, "/api/flow", map[string]string{"flow": "take-number"}, &st); code != 200 {
			t.Fatalf("flow: %d %v", code, st)
		}
		if card {
			if code := k.post(t, ctx, "/api/demo/card", map[string]string{"kind": "adult"}, &st); code != 202 {
				t.Fatalf("card: %d %v", code, st)
			}
			reads++
			waitUntil(t, ctx, "the card read", func() bool { return ev.count("card") >= reads })
		}
		var out map[string]any
		code := k.post(t, ctx, "/api/tickets", map[string]string{"service": "A"}, &out)
		return code, out
	}
	for i := range 2 {
		if code, out := take(true); code != 201 {
			t.Fatalf("number %d with the card: %d %v", i+1, code, out)
		}
	}
	// One card, one number: the next citizen, taking a number before the
	// screen went home by itself, is not counted as the last one (who
	// has reached the limit).
	var st, out map[string]any
	k.post(t, ctx, "/api/flow", map[string]string{"flow": "take-number"}, &st)
	if code := k.post(t, ctx, "/api/tickets", map[string]string{"service": "A"}, &out); code != 201 {
		t.Fatalf("the next citizen: %d %v", code, out)
	}
	code, out := take(true)
	e, _ := out["error"].(map[string]any)
	if code != 429 || e["code"] != "limit_reached" || !strings.Contains(fmt.Sprint(e["message"]), "tối đa 2 số") {
		t.Fatalf("third number with the card: %d %v", code, out)
	}
	if code, out := take(false); code != 201 {
		t.Fatalf("without a card: %d %v", code, out)
	}

	all, err := admin.Tickets(ctx, "bench", false)
	if err != nil || len(all) != 4 {
		t.Fatalf("server's tickets: %d %v", len(all), err)
	}
}

// TestA4PrinterDevice: kioskd with -a4-printer on CUPS's ippeveprinter
// lists it in GET /api/devices and in its heartbeat; the flow's printer
// (Devices.A4) prints a PDF that arrives in the spool.
func TestA4PrinterDevice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	printer := ipptest.Start(t, ipptest.Options{})
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	m, k := startKiosk(t, ctx, dir, []string{"-a4-printer", printer.URL}, nil)
	a4 := func() queue.DeviceStatus {
		var devs []queue.DeviceStatus
		resp, err := http.Get(k.base + "/api/devices")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&devs)
		for _, d := range devs {
			if d.Name == "a4printer" {
				return d
			}
		}
		return queue.DeviceStatus{}
	}
	waitUntil(t, ctx, "the A4 printer ready", func() bool { return a4().Status == "ok" })
	if st := a4(); st.Detail != "Máy in A4 sẵn sàng" {
		t.Errorf("a4printer %+v", st)
	}
	waitUntil(t, ctx, "the A4 printer in the heartbeat", func() bool {
		ks, err := admin.Kiosks(ctx)
		if err != nil || len(ks) != 1 {
			return false
		}
		for _, d := range ks[0].Devices {
			if d.Name == "a4printer" && d.Status == "ok" {
				return true
			}
		}
		return false
	})
	page, err := devices.A4TestPage(time.Now(), printer.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Devices.A4.PrintPDF(ctx, "trang-in-thu.pdf", page); err != nil {
		t.Fatal(err)
	}
	if docs, err := printer.Documents(); err != nil || len(docs) != 1 {
		t.Fatalf("spool: %d documents, %v", len(docs), err)
	}

	// -simulate without a URL: the simulated A4 printer keeps the job.
	dir2 := t.TempDir()
	enrollKiosk(t, admin, "bench", dir2)
	m2, _ := startKiosk(t, ctx, dir2, nil, nil)
	if err := m2.Devices.A4.PrintPDF(ctx, "trang-in-thu.pdf", page); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir2, "sim", "a4", "0001.pdf")); err != nil || !bytes.Equal(b, page) {
		t.Fatalf("simulated job: %v", err)
	}

	for _, bad := range []string{"http://printer/ipp", "lpr://printer"} {
		if _, err := ParseConfig([]string{"-a4-printer", bad}, func(string) string { return "" }); err == nil {
			t.Errorf("-a4-printer %s accepted", bad)
		}
	}
	cfg, err := ParseConfig(nil, func(k string) string {
		return map[string]string{"XEPHANG_KIOSK_A4_PRINTER": "ipps://printer.local/ipp/print", "XEPHANG_KIOSK_A4_PRINTER_CA": "/etc/xephang/a4.pem"}[k]
	})
	if err != nil || cfg.A4Printer != "ipps://printer.local/ipp/print" || cfg.A4CA != "/etc/xephang/a4.pem" {
		t.Errorf("from the environment: %q %q %v", cfg.A4Printer, cfg.A4CA, err)
	}
}
