package ui_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/demo"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
	"xephang/ui"
)

// chromium is Debian's Chromium; `provisioning/dev-deps.sh test` installs it.
const chromium = "/usr/bin/chromium"

const (
	clerk    = "canbo1"
	password = "demo12345"
	// admin is an administrator of the test server (admin pages).
	admin = "quantri"
)

// startServer runs a real queue-server (bbolt store, engine, hub, API and
// the embedded pages) on loopback with the demo centre and one clerk.
func startServer(t *testing.T) (base string, centre queue.Centre) {
	t.Helper()
	centre, err := demo.Centre()
	if err != nil {
		t.Fatal(err)
	}
	storetest.AlwaysOpen(&centre) // the kiosk issues numbers whatever the hour the tests run
	return serveCentres(t, centre), centre
}

// enrolKiosk signs the administrator in and enrols a kiosk "Ki-ốt 1" at
// the centre with a token the administrator creates; it returns both
// clients.
func enrolKiosk(t *testing.T, ctx context.Context, base, centre string) (adminClient, kiosk *apiv1.Client) {
	t.Helper()
	adminClient = apiv1.NewClient(base)
	must(t, "admin signs in", adminClient.Login(ctx, admin, password))
	tok, err := adminClient.CreateEnrollmentToken(ctx, centre)
	must(t, "create an enrolment token", err)
	kiosk = apiv1.NewClient(base)
	_, err = kiosk.Enroll(ctx, tok.Token, "Ki-ốt 1")
	must(t, "enrol the kiosk", err)
	return adminClient, kiosk
}

// serveCentres runs a real queue-server on loopback (bbolt store, engine,
// hub, API and the embedded pages) with the centres, the clerk of the first
// and an administrator, and returns its URL.
func serveCentres(t *testing.T, centres ...queue.Centre) string {
	t.Helper()
	return serveWith(t, serveOptions{}, centres...).base
}

// serveOptions are what a test server may have that the others do not.
type serveOptions struct {
	now          func() time.Time // the engine's clock (default the real one)
	pushKey      string           // the Web Push (VAPID) public key, base64url (default: no Web Push)
	privateHooks bool             // webhooks may post to http://127.0.0.1
	history      int              // days of generated history (package demo) of the first centre before today
}

// served is a running test server: its URL and its engine.
type served struct {
	base string
	eng  *engine.Engine
}

// serveWith is serveCentres with options, returning the engine too.
func serveWith(t *testing.T, o serveOptions, centres ...queue.Centre) served {
	t.Helper()
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hub := engine.NewHub()
	eng, err := engine.New(engine.Config{Store: st, Publisher: hub, Now: o.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	cfg := httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, UI: ui.Handler(), AllowPrivateWebhooks: o.privateHooks}
	if o.pushKey != "" {
		cfg.PushPublicKey = func() string { return o.pushKey }
	}
	api := httpapi.New(cfg)
	ctx := context.Background()
	for _, c := range centres {
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutCentre(c, "test"); return nil, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := api.PutUser(ctx, clerk, apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centres[0].ID, Name: "Nguyễn Thị Lan", Password: password}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PutUser(ctx, admin, apiv1.PutUserRequest{Role: queue.RoleAdmin, Name: "Trần Văn Quản", Password: password}); err != nil {
		t.Fatal(err)
	}
	if o.history > 0 {
		hist := demo.History(centres[0], time.Now(), o.history, nil)
		for i := 0; i < len(hist); i += 7 {
			ch := &queue.Changes{Centre: centres[0].ID}
			for _, ts := range hist[i:min(i+7, len(hist))] {
				ch.Tickets = append(ch.Tickets, ts...)
			}
			if err := st.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv := httptest.NewServer(openapitest.Wrap(t, api)) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return served{base: srv.URL, eng: eng}
}

// needChromium fails the test when Debian's Chromium is not installed.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium is needed at %s for the browser tests (run provisioning/dev-deps.sh test): %v", chromium, err)
	}
}

// chromiumAllocator starts Debian's Chromium headless at the given window
// size, with the flags this closed network needs (no background traffic)
// and a fresh profile; sound lets pages play without a gesture, as the
// hall displays do.
func chromiumAllocator(ctx context.Context, t *testing.T, width, height int, sound bool) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	if sound {
		opts = append(opts, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	}
	return chromedp.NewExecAllocator(ctx, opts...)
}

// consoleLog collects what the pages wrote to their consoles that a
// working page must not: errors, warnings and uncaught exceptions.
type consoleLog struct {
	mu       sync.Mutex
	problems []string
	refusals []string // API paths the test expects to answer 4xx
}

// expectRefusal lets the browser log a 4xx answer of an API path that the
// test provokes on purpose (the page shows the API's message instead).
func (l *consoleLog) expectRefusal(path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refusals = append(l.refusals, path)
}

func (l *consoleLog) expected(m chromedp.ConsoleMessage) bool {
	if m.Source != "network" || !strings.Contains(m.Text, "status of 4") {
		return false
	}
	u, _, _ := strings.Cut(m.URL, "?")
	for _, p := range l.refusals {
		if strings.HasSuffix(u, p) {
			return true
		}
	}
	return false
}

func (l *consoleLog) watch(ctx context.Context, page string) {
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				l.mu.Lock()
				if l.expected(m) {
					l.mu.Unlock()
					continue
				}
				l.problems = append(l.problems, fmt.Sprintf("%s: %s (%s:%d)", page, m, m.URL, m.Line))
				l.mu.Unlock()
			}
		}
	}()
}

func (l *consoleLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.problems {
		t.Errorf("console: %s", p)
	}
}

// TestPagesInChromium drives the counter console, the hall display and the
// tracking page in headless Chromium against a real server: a clerk signs
// in, a ticket is issued, N calls it, and the display and the tracking page
// show the call.
func TestPagesInChromium(t *testing.T) {
	needChromium(t)
	base, centre := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	client := apiv1.NewClient(base)
	if err := client.Login(ctx, clerk, password); err != nil {
		t.Fatal(err)
	}

	allocCtx, cancelAlloc := chromiumAllocator(ctx, t, 1366, 768, true)
	defer cancelAlloc()

	var logs consoleLog
	defer logs.check(t)

	// The hall display, first tab.
	display, cancelDisplay := chromedp.NewContext(allocCtx)
	defer cancelDisplay()
	logs.watch(display, "display")
	must(t, "open the hall display", chromedp.Do(display,
		chromedp.EmulateViewport(1920, 1080),
		chromedp.Navigate(base+"/display/?centre="+centre.ID),
		chromedp.Poll[chromedp.Void](`document.body.dataset.stream === 'live'`),
	))
	assertAccessible(t, display, "display, waiting for calls")

	// The counter console, second tab: sign in, choose counter 1.
	// The console on the clerk's own machine: a browser context of its
	// own, so its language switch (kept in localStorage) does not reach
	// the hall display, as it could not in a centre.
	console, cancelConsole := chromedp.NewContext(display, chromedp.WithNewBrowserContext())
	defer cancelConsole()
	logs.watch(console, "counter")
	must(t, "open the counter console", chromedp.Do(console,
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base+"/counter/"),
		chromedp.WaitVisible(chromedp.ID("username")),
	))
	assertAccessible(t, console, "counter, sign-in form")
	must(t, "sign in to the counter console", chromedp.Do(console,
		append(atCounter(base, clerk, 5, 1),
			chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`))...,
	))
	where, err := chromedp.Run(console, chromedp.Text(chromedp.ID("where")))
	must(t, "read the header", err)
	if !strings.Contains(where, "Hoàn Kiếm") || !strings.Contains(where, "Quầy 1") {
		t.Errorf("console header = %q, want the centre's name and Quầy 1", where)
	}
	assertAccessible(t, console, "counter, signed in at counter 1")

	// A ticket taken at a kiosk reaches the console through the event stream.
	tk, err := client.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "A"})
	must(t, "issue a ticket", err)
	must(t, "see the ticket in the waiting list", chromedp.Do(console,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!!document.querySelector('#waiting li[data-number=%q]')`, tk.Number)),
	))
	assertAccessible(t, console, "counter, a ticket waiting")

	// N (the keyboard shortcut) calls it.
	must(t, "press N", chromedp.Do(console,
		chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
		chromedp.KeyEvent("n"),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, tk.Number)),
	))
	shown, err := chromedp.Run(console, chromedp.Text(chromedp.ID("current-number")))
	must(t, "read the current number", err)
	if shown != tk.Number {
		t.Errorf("console shows %q, want %q", shown, tk.Number)
	}
	assertAccessible(t, console, "counter, serving a ticket")

	// A refused action shows the API's message, in the page's language.
	logs.expectRefusal("/counters/1/recall")
	must(t, "recall too soon", chromedp.Do(console,
		chromedp.KeyEvent("r"),
		chromedp.WaitVisible(chromedp.ID("error")),
	))
	msg, err := chromedp.Run(console, chromedp.Text(chromedp.ID("error")))
	must(t, "read the error", err)
	if !strings.Contains(msg, "vừa được gọi") {
		t.Errorf("recall error = %q, want the Vietnamese message", msg)
	}
	assertAccessible(t, console, "counter, an error shown")
	must(t, "switch to English and recall", chromedp.Do(console,
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.querySelector('#btn-next span').textContent === 'Call next'`),
		chromedp.Click(chromedp.ID("btn-recall")),
		chromedp.Poll[chromedp.Void](`document.getElementById('error').textContent.includes('recall in')`),
	))
	assertAccessible(t, console, "counter, in English")
	must(t, "switch back to Vietnamese", chromedp.Do(console,
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.documentElement.lang === 'vi' && document.querySelector('#btn-next span').textContent === 'Gọi số tiếp theo'`),
	))

	// The hall display shows the call, with the counter.
	must(t, "see the call on the hall display", chromedp.Do(display,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('latest-number').textContent === %q`, tk.Number)),
	))
	counterText, err := chromedp.Run(display, chromedp.Text(chromedp.ID("latest-counter")))
	must(t, "read the display's counter", err)
	if counterText != "Quầy 1" {
		t.Errorf("display counter = %q, want Quầy 1", counterText)
	}
	assertAccessible(t, display, "display, a call shown")

	// A call made while the display is disconnected appears once it is back:
	// the stream resumes with since=.
	must(t, "drop the display's stream", chromedp.Do(display,
		chromedp.Evaluate[chromedp.Void](`window.xephangStream.ws.close()`),
		chromedp.Poll[chromedp.Void](`document.body.dataset.stream === 'offline'`),
	))
	c1, err := client.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "C"})
	must(t, "issue a C ticket", err)
	if _, _, err := client.Next(ctx, centre.ID, 3); err != nil {
		t.Fatal(err)
	}
	must(t, "see the call made while offline", chromedp.Do(display,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('latest-number').textContent === %q && document.body.dataset.stream === 'live'`, c1.Number)),
	))

	// The tracking page tells the citizen where to go.
	track, cancelTrack := chromedp.NewContext(display)
	defer cancelTrack()
	logs.watch(track, "track")
	must(t, "open the tracking page", chromedp.Do(track,
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/track/"+tk.ID),
		chromedp.WaitVisible(chromedp.ID("callout")),
	))
	callout, err := chromedp.Run(track, chromedp.Text(chromedp.ID("callout")))
	must(t, "read the callout", err)
	if callout != "Mời bạn đến Quầy 1" {
		t.Errorf("tracking callout = %q", callout)
	}
	assertAccessible(t, track, "track, called to a counter")
	waiting, err := client.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "D"})
	must(t, "issue a D ticket", err)
	must(t, "track a waiting ticket", chromedp.Do(track,
		chromedp.Navigate(base+"/track/"+waiting.ID),
		chromedp.WaitVisible(chromedp.ID("position-row")),
		chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`),
	))
	assertAccessible(t, track, "track, waiting")

	if os.Getenv("XEPHANG_SCREENSHOTS") == "1" {
		screenshots(t, ctx, client, centre.ID, display, console, track, base)
	}

	// Calling a specific waiting ticket takes a reason, from a dialog.
	b, err := client.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "B"})
	must(t, "issue a B ticket", err)
	row := fmt.Sprintf(`#waiting li[data-number=%q]`, b.Number)
	must(t, "call a specific ticket", chromedp.Do(console,
		chromedp.WaitVisible(chromedp.CSS(row+" button")),
		chromedp.Click(chromedp.CSS(row+" button")),
		chromedp.WaitVisible(chromedp.ID("dlg-call")),
	))
	assertAccessible(t, console, "counter, call-this-ticket dialog")
	must(t, "give the reason", chromedp.Do(console,
		chromedp.Click(chromedp.CSS(`#call-form button[type=submit]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, b.Number)),
		chromedp.Poll[chromedp.Void](`!document.getElementById('dlg-call').open`),
	))

	// P pauses (with a reason) and resumes; Next is refused meanwhile.
	must(t, "pause and resume", chromedp.Do(console,
		chromedp.KeyEvent("p"),
		chromedp.WaitVisible(chromedp.ID("dlg-pause")),
	))
	assertAccessible(t, console, "counter, pause dialog")
	must(t, "pause", chromedp.Do(console,
		chromedp.Click(chromedp.CSS(`#pause-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("banner")),
		chromedp.Poll[chromedp.Void](`document.getElementById('btn-next').disabled && document.getElementById('banner').textContent.includes('Nghỉ trưa')`),
	))
	assertAccessible(t, console, "counter, paused")
	must(t, "resume", chromedp.Do(console,
		chromedp.KeyEvent("p"),
		chromedp.Poll[chromedp.Void](`!document.getElementById('btn-next').disabled && document.getElementById('banner').hidden`),
	))

	// Transfer sends the current ticket to another service's line.
	must(t, "transfer", chromedp.Do(console,
		chromedp.Click(chromedp.ID("btn-transfer")),
		chromedp.WaitVisible(chromedp.ID("dlg-transfer")),
	))
	assertAccessible(t, console, "counter, transfer dialog")
	must(t, "transfer to F", chromedp.Do(console,
		chromedp.SetValue(chromedp.ID("transfer-service"), "F"),
		chromedp.Click(chromedp.CSS(`#transfer-form button[type=submit]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('current-number').dataset.number === ''`),
	))
	moved, err := client.Ticket(ctx, b.ID)
	must(t, "read the transferred ticket", err)
	if moved.Service != "F" || moved.Status != queue.StatusWaiting {
		t.Errorf("after transfer: service %s status %s, want F waiting", moved.Service, moved.Status)
	}

	// Signing out returns to the sign-in form and forgets the token.
	must(t, "sign out", chromedp.Do(console,
		chromedp.Click(chromedp.ID("signout")),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.Poll[chromedp.Void](`sessionStorage.getItem('xephang.token') === null`),
	))
	assertAccessible(t, console, "counter, signed out")

	// The display of one counter, above its desk.
	must(t, "open the counter display", chromedp.Do(display,
		chromedp.Navigate(base+"/display/?centre="+centre.ID+"&counter=1"),
		chromedp.Poll[chromedp.Void](`document.body.dataset.stream === 'live'`),
	))
	assertAccessible(t, display, "counter display, counter 1")
}

// screenshots fills the centre with a morning's queue and saves the three
// pages to docs/screenshots.
func screenshots(t *testing.T, ctx context.Context, client *apiv1.Client, centre string, display, console, track context.Context, base string) {
	t.Helper()
	issue := func(service, priority string) apiv1.TicketView {
		tk, err := client.Issue(ctx, centre, apiv1.IssueRequest{Service: service, Priority: priority})
		must(t, "issue", err)
		return tk
	}
	for _, s := range []string{"B", "C", "A", "B", "C", "D", "E", "F", "B", "C", "A", "F"} {
		issue(s, "")
	}
	issue("A", queue.PriorityElderly)
	var last apiv1.TicketView
	for _, n := range []int{2, 3, 5, 4, 2} {
		tk, ok, err := client.Next(ctx, centre, n)
		must(t, "call next", err)
		if ok {
			last = tk
		}
	}
	waiting := issue("C", "")
	must(t, "let the display play the calls", chromedp.Do(display,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('latest-number').textContent === %q`, last.Number), chromedp.WithPollingTimeout(40*time.Second)), // each call is chimed and spoken in turn
		chromedp.Sleep(300*time.Millisecond),
	))
	must(t, "let the console catch up", chromedp.Do(console,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!!document.querySelector('#waiting li[data-number=%q]')`, "B003")),
		chromedp.Sleep(4*time.Second), // the toast fades
	))
	must(t, "open the tracking page of a waiting ticket", chromedp.Do(track,
		chromedp.Navigate(base+"/track/"+waiting.ID),
		chromedp.WaitVisible(chromedp.ID("ticket")),
		chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`),
	))
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		ctx  context.Context
		name string
	}{{console, "counter-console.png"}, {display, "hall-display.png"}, {track, "track.png"}} {
		png, err := chromedp.Run(s.ctx, chromedp.CaptureScreenshot())
		must(t, "screenshot "+s.name, err)
		if err := os.WriteFile(filepath.Join(dir, s.name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The single-counter variant, in the display's tab.
	must(t, "open the counter display", chromedp.Do(display,
		chromedp.Navigate(base+"/display/?centre="+centre+"&counter=1"),
		chromedp.Poll[chromedp.Void](`document.body.dataset.stream === 'live'`),
	))
	png, err := chromedp.Run(display, chromedp.CaptureScreenshot())
	must(t, "screenshot counter display", err)
	if err := os.WriteFile(filepath.Join(dir, "counter-display.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
