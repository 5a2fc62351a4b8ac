package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/drivers/escpos/escpossim"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// TestEndToEndOfflineExactlyOnce runs the real binaries on loopback:
// queue-server, and kioskd -simulate talking to it through a TCP proxy the
// test cuts and restores. It prints tickets online, offline, kills -9
// kioskd in the middle of a print and queue-server while the link is cut,
// runs a block dry, kills kioskd again while it replays, and checks that
// every printed ticket reached the server exactly once and that no number
// was printed twice.
func TestEndToEndOfflineExactlyOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	bin := t.TempDir()
	build(t, ctx, bin)
	t.Logf("built in %v", time.Since(start).Round(time.Millisecond))

	dir := t.TempDir()
	serverAddr, kioskAddr := freeAddr(t), freeAddr(t)
	proxy := startProxy(t, serverAddr)
	srv := startProc(t, ctx, filepath.Join(bin, "queue-server"), []string{"XEPHANG_ADMIN_PASSWORD=secret-e2e-1"},
		"-addr", serverAddr, "-data", filepath.Join(dir, "server"))
	waitHTTP(t, ctx, "http://"+serverAddr+"/readyz")

	admin := apiv1.NewClient("http://" + serverAddr)
	if err := admin.Login(ctx, "admin", "secret-e2e-1"); err != nil {
		t.Fatal(err)
	}
	c := queue.Centre{ID: "e2e", Name: "Trung tâm Phục vụ hành chính công phường Thử", Timezone: "Asia/Ho_Chi_Minh",
		Services: []queue.Service{{Code: "A", Name: "Hộ tịch", Minutes: 10}, {Code: "B", Name: "Đất đai", Minutes: 20}},
		Counters: []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A", "B"}}}}
	storetest.AlwaysOpen(&c) // kiosks issue numbers only in the centre's window
	if _, err := admin.PutCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	if _, err := admin.Do(ctx, "POST", "/api/v1/enrollment-tokens", map[string]string{"centre": "e2e"}, &tok); err != nil {
		t.Fatal(err)
	}

	// Enrol through the proxy; the token works once.
	kdir := filepath.Join(dir, "kiosk")
	kioskd := filepath.Join(bin, "kioskd")
	if out, err := exec.CommandContext(ctx, kioskd, "enroll", "-server", proxy.URL(), "-token", tok.Token, "-data", kdir, "-name", "ki-ot-1").CombinedOutput(); err != nil {
		t.Fatalf("enroll: %v: %s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(kdir, credentialFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credential file: %v %v", fi.Mode(), err)
	}
	out, err := exec.CommandContext(ctx, kioskd, "enroll", "-server", proxy.URL(), "-token", tok.Token, "-data", filepath.Join(dir, "k2")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refused the token") {
		t.Errorf("a used token: %v: %s", err, out)
	}

	kargs := []string{"-addr", kioskAddr, "-data", kdir, "-simulate", "-heartbeat", "300ms", "-block-size", "2", "-blocks", "2"}
	kiosk := startProc(t, ctx, kioskd, nil, kargs...)
	k := &localClient{base: "http://" + kioskAddr}
	waitHTTP(t, ctx, k.base+"/api/status")
	k.waitStatus(t, ctx, "leased blocks", func(s statusView) bool {
		return s.Link.Online && s.Link.Left["A"] == 4 && s.Link.Left["B"] == 4
	})

	var printed []string // numbers the API said were printed
	jobsDir := filepath.Join(kdir, "sim", "printer")
	take := func(service string) (ticketView, int) {
		t.Helper()
		var tv ticketView
		code := k.post(t, ctx, "/api/tickets", map[string]string{"service": service}, &tv)
		if code == http.StatusCreated {
			printed = append(printed, tv.Number)
			// The simulated printer lives in kioskd's process: let it take
			// the whole job in, as a real printer would after a kill.
			waitJobs(t, ctx, jobsDir, len(printed))
		}
		return tv, code
	}
	for _, s := range []string{"A", "B"} {
		if tv, code := take(s); code != http.StatusCreated || tv.Offline {
			t.Fatalf("online ticket: %d %+v", code, tv)
		}
	}

	// Cut the link: tickets come from the blocks.
	proxy.Cut()
	for range 2 {
		if tv, code := take("A"); code != http.StatusCreated || !tv.Offline {
			t.Fatalf("offline ticket: %d %+v", code, tv)
		}
	}
	// A number with a filled form, offline: the form is in the outbox
	// with it when the screen says so, and survives the kill -9 below.
	var formTicket ticketView
	if code := k.post(t, ctx, "/api/forms/khai-sinh/ticket", map[string]any{"service": "B", "values": birthForm()}, &formTicket); code != http.StatusCreated || !formTicket.Offline {
		t.Fatalf("offline ticket with a form: %d %+v", code, formTicket)
	}
	printed = append(printed, formTicket.Number)
	waitJobs(t, ctx, jobsDir, len(printed))
	// kill -9 kioskd in the middle of a print: the ticket is in the
	// outbox (written before printing), it may or may not have come out.
	go func() {
		var tv ticketView
		k.post(t, context.Background(), "/api/tickets", map[string]string{"service": "A"}, &tv)
	}()
	k.waitStatus(t, ctx, "the third offline ticket of A in the outbox (the form's B is the fourth)", func(s statusView) bool { return s.Link.Pending == 4 })
	kiosk.Kill()
	// kill -9 the server too while the link is cut, and bring it back.
	srv.Kill()
	srv = startProc(t, ctx, filepath.Join(bin, "queue-server"), []string{"XEPHANG_ADMIN_PASSWORD=secret-e2e-1"},
		"-addr", serverAddr, "-data", filepath.Join(dir, "server"))
	waitHTTP(t, ctx, "http://"+serverAddr+"/readyz")

	kiosk = startProc(t, ctx, kioskd, nil, kargs...)
	waitHTTP(t, ctx, k.base+"/api/status")
	// Still cut: the last number of A's blocks, then the screen says so.
	if tv, code := take("A"); code != http.StatusCreated || !tv.Offline {
		t.Fatalf("offline ticket after restart: %d %+v", code, tv)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if code := k.post(t, ctx, "/api/tickets", map[string]string{"service": "A"}, &e); code != http.StatusServiceUnavailable || e.Error.Code != "no_numbers" || !strings.Contains(e.Error.Message, "hết số") {
		t.Fatalf("blocks run dry: %d %+v", code, e)
	}
	if tv, code := take("B"); code != http.StatusCreated || !tv.Offline {
		t.Fatalf("offline B: %d %+v", code, tv)
	}

	// Restore the link; kill -9 kioskd as soon as it is back (the replay
	// is under way or done), restart it, and let it finish.
	proxy.Restore()
	k.waitStatus(t, ctx, "link back", func(s statusView) bool { return s.Link.Online })
	kiosk.Kill()
	kiosk = startProc(t, ctx, kioskd, nil, kargs...)
	waitHTTP(t, ctx, k.base+"/api/status")
	k.waitStatus(t, ctx, "outbox delivered", func(s statusView) bool {
		return s.Link.Online && s.Link.Pending == 0 && s.Link.Left["A"] == 4
	})
	if tv, code := take("A"); code != http.StatusCreated || tv.Offline {
		t.Fatalf("online again: %d %+v", code, tv)
	}

	// The form taken offline reached the server with its ticket.
	found := false
	for _, tk := range mustTickets(t, ctx, admin) {
		if tk.Number != formTicket.Number {
			continue
		}
		found = true
		waitUntil(t, ctx, "the offline form on the server", func() bool {
			dv, err := admin.Dossier(ctx, tk.ID)
			return err == nil && dv.Form != nil && dv.Form.Values["child_name"] == birthForm()["child_name"]
		})
	}
	if !found {
		t.Errorf("the ticket taken with a form (%s) is not on the server", formTicket.Number)
	}

	// What the printer printed, from its job files, against the server.
	jobs := printedNumbers(t, jobsDir)
	sort.Strings(printed)
	if fmt.Sprint(jobs) != fmt.Sprint(printed) {
		t.Errorf("printer printed %v, the API said %v", jobs, printed)
	}
	seen := map[string]int{}
	for _, n := range jobs {
		seen[n]++
		if seen[n] > 1 {
			t.Errorf("number %s printed twice", n)
		}
	}
	tickets, err := admin.Tickets(ctx, "e2e", false)
	if err != nil {
		t.Fatal(err)
	}
	onServer := map[string]int{}
	for _, tk := range tickets {
		onServer[tk.Number]++
	}
	for n := range seen {
		if onServer[n] != 1 {
			t.Errorf("printed ticket %s is on the server %d times", n, onServer[n])
		}
	}
	for n, c := range onServer {
		if c > 1 {
			t.Errorf("the server has %s %d times", n, c)
		}
	}
	t.Logf("printed %d tickets %v; the server has %d (the one killed mid-print included); %v in all",
		len(jobs), jobs, len(tickets), time.Since(start).Round(time.Millisecond))
	kiosk.Stop(t)
	srv.Stop(t)
}

type ticketView struct {
	Number  string `json:"number"`
	Offline bool   `json:"offline"`
}

type statusView struct {
	Link struct {
		Online    bool           `json:"online"`
		Pending   int            `json:"outbox_pending"`
		Left      map[string]int `json:"numbers_left"`
		Suspended string         `json:"suspended"`
	} `json:"link"`
}

var numberLine = regexp.MustCompile(`^[A-Z][0-9]{3,}$`)

// printedNumbers decodes the simulated printer's jobs and returns the
// ticket numbers printed, sorted.
func printedNumbers(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.escpos"))
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, info := escpossim.Decode(raw, 576, nil)
		for _, l := range info.Lines {
			if l = strings.TrimSpace(l); numberLine.MatchString(l) {
				out = append(out, l)
			}
		}
	}
	sort.Strings(out)
	return out
}

// waitJobs waits until the simulated printer has written n job files.
func waitJobs(t *testing.T, ctx context.Context, dir string, n int) {
	t.Helper()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.escpos"))
		if len(files) >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the printer has %d jobs, want %d", len(files), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func build(t *testing.T, ctx context.Context, bin string) {
	t.Helper()
	var wg sync.WaitGroup
	for name, pkg := range map[string]string{"queue-server": "xephang/queue-server", "kioskd": "xephang/kiosk"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, name), pkg).CombinedOutput(); err != nil {
				t.Errorf("go build %s: %v: %s", pkg, err, out)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a started binary.
type proc struct {
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func startProc(t *testing.T, ctx context.Context, path string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			logs.mu.Lock()
			t.Logf("%s %v:\n%s", filepath.Base(path), args, logs.b.String())
			logs.mu.Unlock()
		}
	})
	return p
}

// Kill is kill -9.
func (p *proc) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// Stop is a graceful stop (SIGTERM), which must end cleanly.
func (p *proc) Stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
		if c := p.cmd.ProcessState.ExitCode(); c != 0 {
			t.Errorf("%s exited %d after SIGINT", p.cmd.Path, c)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not stop", p.cmd.Path)
	}
}

func waitHTTP(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never answered: %v", url, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type localClient struct{ base string }

func (k *localClient) post(t *testing.T, ctx context.Context, path string, body, out any) int {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", k.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	json.Unmarshal(data, out)
	return resp.StatusCode
}

func (k *localClient) waitStatus(t *testing.T, ctx context.Context, what string, ok func(statusView) bool) {
	t.Helper()
	var last statusView
	for {
		resp, err := http.Get(k.base + "/api/status")
		if err == nil {
			last = statusView{} // omitted members must not keep old values
			json.NewDecoder(resp.Body).Decode(&last)
			resp.Body.Close()
			if ok(last) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: last status %+v", what, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// proxy is a TCP proxy the test can cut (every connection closed, new
// ones refused at once) and restore.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		if !cut {
			p.conns[c] = struct{}{}
		}
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	u, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil {
		p.drop(c)
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		u.Close()
		p.drop(c)
		return
	}
	p.conns[u] = struct{}{}
	p.mu.Unlock()
	go func() { io.Copy(u, c); p.drop(u); p.drop(c) }()
	io.Copy(c, u)
	p.drop(c)
	p.drop(u)
}

func (p *proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

// Cut closes every connection and refuses new ones.
func (p *proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// Restore lets connections through again.
func (p *proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// birthForm is a birth registration form filled whole.
func birthForm() map[string]string {
	return map[string]string{"applicant_name": "Nguyễn Văn An", "applicant_id_number": "001095012345",
		"applicant_address": "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội", "applicant_relation": "Cha",
		"child_name": "Nguyễn Thị Thuỷ Tiên", "child_birth_date": time.Now().AddDate(0, 0, -3).Format(time.DateOnly),
		"child_sex": "F", "child_ethnicity": "Kinh", "child_nationality": "Việt Nam", "child_birth_place": "Bệnh viện Phụ sản Hà Nội"}
}

func mustTickets(t *testing.T, ctx context.Context, admin *apiv1.Client) []apiv1.TicketView {
	t.Helper()
	ts, err := admin.Tickets(ctx, "e2e", false)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
