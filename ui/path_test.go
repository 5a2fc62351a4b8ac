package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// startPathServer runs a real queue-server on loopback with the demo
// centre open around the clock, a clerk and an administrator. The centre's
// time zone is one where it is now between 01:00 and 22:00, so there is a
// slot today within the hour the kiosk's check-in allows.
func startPathServer(t *testing.T) (base string, centre queue.Centre) {
	t.Helper()
	centre, err := demo.Centre()
	if err != nil {
		t.Fatal(err)
	}
	for _, tz := range []string{"Asia/Ho_Chi_Minh", "Europe/Paris", "America/New_York", "Pacific/Honolulu"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		if h := time.Now().In(loc).Hour(); h >= 1 && h < 22 {
			centre.Timezone = tz
			break
		}
	}
	storetest.AlwaysOpen(&centre)
	return serveCentres(t, centre), centre
}

// kioskd is a real kioskd process.
type kioskd struct {
	base string // http://127.0.0.1:port
	data string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  strings.Builder
}

func (k *kioskd) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.log.Write(p)
}

// buildKioskd builds kioskd (with the pages as they are now) into dir.
func buildKioskd(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "kioskd")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "xephang/kiosk").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build kioskd: %v\n%s", err, out)
	}
	return bin, nil
}

// startKioskd enrols kioskd to the server with a token the administrator
// creates, and runs it with simulated devices and the flags given.
func startKioskd(t *testing.T, ctx context.Context, bin, base, centre string, flags ...string) *kioskd {
	t.Helper()
	adm := apiv1.NewClient(base)
	must(t, "sign the administrator in", adm.Login(ctx, admin, password))
	var tok struct{ Token string }
	_, err := adm.Do(ctx, "POST", "/api/v1/enrollment-tokens", map[string]string{"centre": centre}, &tok)
	must(t, "create an enrolment token", err)
	k := &kioskd{data: t.TempDir()}
	if out, err := exec.CommandContext(ctx, bin, "enroll", "-server", base, "-token", tok.Token, "-data", k.data, "-name", "Ki-ốt sảnh").CombinedOutput(); err != nil {
		t.Fatalf("kioskd enroll: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, "find a free port", err)
	addr := ln.Addr().String()
	ln.Close()
	k.base = "http://" + addr
	k.cmd = exec.CommandContext(ctx, bin, append([]string{"-addr", addr, "-data", k.data, "-simulate", "-heartbeat", "500ms"}, flags...)...)
	k.cmd.Stdout, k.cmd.Stderr = k, k
	must(t, "start kioskd", k.cmd.Start())
	done := make(chan struct{})
	go func() { k.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		k.cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			k.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			k.mu.Lock()
			t.Logf("kioskd:\n%s", k.log.String())
			k.mu.Unlock()
		}
	})
	// Ready once it serves its status and has reached the server.
	for {
		var st struct {
			Link struct {
				Online bool `json:"online"`
			} `json:"link"`
		}
		if res, err := http.Get(k.base + "/api/status"); err == nil {
			json.NewDecoder(res.Body).Decode(&st)
			res.Body.Close()
			if st.Link.Online {
				return k
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("kioskd did not come up online")
		case <-done:
			t.Fatalf("kioskd exited: %s", k.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tap clicks a key of an on-screen keyboard.
func tapKeys(keyboard string, keys ...string) []chromedp.Action[chromedp.Void] {
	var out []chromedp.Action[chromedp.Void]
	for _, k := range keys {
		out = append(out, chromedp.Click(chromedp.CSS(fmt.Sprintf(`%s button[data-key=%q]`, keyboard, k))))
	}
	return out
}

// TestWholePathInChromium: a citizen books online (the page solves the
// real proof of work), checks in at a real kioskd by typing the booking
// code on the kiosk's on-screen keyboard, the simulated printer prints the
// ticket, the counter console calls it, the hall display shows it and
// announces it. On the way the kiosk's Telex keyboard types "Nguyễn".
// Every page loads with no console error.
func TestWholePathInChromium(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base, centre := startPathServer(t)
	type result struct {
		bin string
		err error
	}
	built := make(chan result, 1)
	binDir := t.TempDir()
	go func() { bin, err := buildKioskd(ctx, binDir); built <- result{bin, err} }() // while the citizen books

	browser, logs := newBrowser(t, ctx)
	shots := os.Getenv("XEPHANG_SCREENSHOTS") == "1"

	// 1. Book online, on a phone, today's first free slot of Hộ tịch (A).
	phone := tab(t, browser, logs, "booking")
	loc, err := time.LoadLocation(centre.Timezone)
	must(t, "load the centre's time zone", err)
	today := time.Now().In(loc).Format(time.DateOnly)
	must(t, "open the booking page and choose the service", chromedp.Do(phone,
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#services button[data-service="A"]`)),
		chromedp.Click(chromedp.CSS(`#services button[data-service="A"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#dates button[data-date=%q]`, today))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#dates button[data-date=%q]`, today))),
		chromedp.WaitVisible(chromedp.CSS(`#slots button.slot:not(:disabled)`)),
	))
	slot, err := chromedp.Run(phone, chromedp.Evaluate[string](`document.querySelector('#slots button.slot:not(:disabled)').dataset.start`))
	must(t, "read the first free slot", err)
	slotStart, err := time.Parse(time.RFC3339, slot)
	must(t, "parse the slot", err)
	if until := time.Until(slotStart); until > 60*time.Minute {
		t.Fatalf("the first free slot today starts in %v: the kiosk's check-in opens 60 minutes before", until)
	}
	must(t, "book it", chromedp.Do(phone,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#slots button.slot[data-start=%q]`, slot))),
		chromedp.WaitVisible(chromedp.ID("id-number")),
		chromedp.SendKeys(chromedp.ID("id-number"), "001090000123"),
		chromedp.SendKeys(chromedp.ID("full-name"), "Nguyễn Văn Thành"),
		chromedp.SendKeys(chromedp.ID("phone"), "0912345678"),
		chromedp.Click(chromedp.ID("book-submit")),
		chromedp.WaitVisible(chromedp.ID("done-code")),
	))
	shown, err := chromedp.Run(phone, chromedp.Text(chromedp.ID("done-code")))
	must(t, "read the booking code", err)
	code := strings.ReplaceAll(shown, "-", "")
	if len(code) != 8 {
		t.Fatalf("booking code %q", shown)
	}
	t.Logf("booked %s at %s (%v)", shown, slot, time.Since(start).Round(time.Millisecond))

	// The hall display and the counter console are open before the citizen arrives.
	display := tab(t, browser, logs, "display")
	must(t, "open the hall display", chromedp.Do(display,
		chromedp.EmulateViewport(1920, 1080),
		chromedp.Navigate(base+"/display/?centre="+centre.ID),
		chromedp.Poll[chromedp.Void](`document.body.dataset.stream === 'live' && !!window.xephangAnnouncer`),
	))
	console := tab(t, browser, logs, "counter")
	must(t, "sign in at counter 1", chromedp.Do(console,
		append(atCounter(base, clerk, 5, 1),
			chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`))...,
	))

	// 2. At the kiosk (portrait): the Telex keyboard, then check in by code.
	b := <-built
	must(t, "build kioskd", b.err)
	k := startKioskd(t, ctx, b.bin, base, centre.ID)
	kiosk := tab(t, browser, logs, "kiosk")
	// The simulated printer renders a ticket's picture a moment after its
	// last byte: the page asks again until it is there.
	logs.expectRefusal("/api/demo/tickets/latest.png")
	// The machine's zone is not the centre's (Debian installs in UTC): the
	// tab runs in Kathmandu's (UTC+5:45, whose minutes no centre zone of
	// this test shares); the clock must still show the centre's time.
	must(t, "open the kiosk", chromedp.Do(kiosk,
		inZone("Asia/Kathmandu"),
		chromedp.EmulateViewport(1080, 1920),
		chromedp.Navigate(k.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-start="check-in"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('link').dataset.state === 'live' && ['printer', 'card-reader', 'chip-reader', 'scanner', 'a4printer'].every((k) => document.querySelector('#devices li[data-kind="' + k + '"]')) && document.querySelectorAll('#devices li').length === 5 && document.querySelector('#devices li[data-kind="a4printer"]').textContent.includes('Máy in A4')`),
	))
	now := time.Now().In(loc)
	clockWant := []string{now.Format("15:04"), now.Add(-time.Minute).Format("15:04"), now.Add(time.Minute).Format("15:04")} // ticks every 15 s
	if err := chromedp.Do(kiosk, chromedp.Poll[chromedp.Void](fmt.Sprintf(`%q.split(' ').some((hm) => document.getElementById('clock').textContent.includes(hm))`, strings.Join(clockWant, " ")), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		shown, _ := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("clock")))
		t.Errorf("kiosk clock %q in a Kathmandu browser, want the centre's time (%s, %s)", shown, clockWant[0], centre.Timezone)
	}
	checkTargets(t, kiosk, "kiosk home, portrait")
	assertAccessible(t, kiosk, "kiosk home, portrait")
	if shots {
		saveScreenshot(t, kiosk, "kiosk-portrait.png")
	}
	must(t, "type Nguyễn on the Telex keyboard", chromedp.Do(kiosk,
		append(append([]chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS(`[data-start="lookup"]`)),
			chromedp.WaitVisible(chromedp.ID("proc-search")),
			chromedp.Click(chromedp.ID("proc-search")),
			chromedp.WaitVisible(chromedp.CSS(`#s-lookup-list .osk button[data-key="shift"]`)),
		}, tapKeys(`#s-lookup-list .osk`, "shift", "n", "g", "u", "y", "e", "e", "n", "x")...),
			chromedp.Poll[chromedp.Void](`document.getElementById('proc-search').value === 'Nguyễn'`, chromedp.WithPollingTimeout(2*time.Second)))...,
	))
	typed, err := chromedp.Run(kiosk, chromedp.Evaluate[string](`(() => { const v = document.getElementById('proc-search').value; return v === v.normalize('NFC') ? v : 'not NFC: ' + v; })()`))
	must(t, "read the search box", err)
	if typed != "Nguyễn" {
		t.Errorf("the Telex keyboard typed %q, want Nguyễn", typed)
	}
	assertAccessible(t, kiosk, "kiosk look-up, typing on the Telex keyboard")
	// Clear it, ask about a procedure without diacritics: the answer shows.
	clear := tapKeys(`#s-lookup-list .osk`, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
	must(t, "search a procedure", chromedp.Do(kiosk, append(append(clear,
		tapKeys(`#s-lookup-list .osk`, "k", "h", "a", "i", "space", "s", "i", "n", "h")...),
		chromedp.Poll[chromedp.Void](`document.getElementById('proc-search').value === 'khai sinh'`, chromedp.WithPollingTimeout(2*time.Second)),
		chromedp.Poll[chromedp.Void](`document.getElementById('ask-best')?.textContent === 'Đăng ký khai sinh'`),
	)...))
	if shots {
		saveScreenshot(t, kiosk, "kiosk-keyboard.png")
	}
	assertAccessible(t, kiosk, "kiosk look-up, procedures found")
	must(t, "go home and start the check-in", chromedp.Do(kiosk,
		chromedp.Click(chromedp.ID("home-btn")),
		chromedp.WaitVisible(chromedp.ID("s-home")),
		chromedp.Click(chromedp.CSS(`[data-start="check-in"]`)),
		chromedp.WaitVisible(chromedp.ID("code")),
	))
	keys := make([]string, 0, 8)
	for _, c := range code {
		keys = append(keys, string(c))
	}
	must(t, "type the booking code on the keypad", chromedp.Do(kiosk, append(tapKeys(`#keypad .osk`, keys...),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('code').value === %q && !document.getElementById('code-submit').disabled`, code), chromedp.WithPollingTimeout(2*time.Second)))...,
	))
	checkTargets(t, kiosk, "kiosk check-in, portrait")
	assertAccessible(t, kiosk, "kiosk check-in, code typed")
	if shots {
		saveScreenshot(t, kiosk, "kiosk-checkin.png")
	}
	must(t, "check in", chromedp.Do(kiosk,
		chromedp.Click(chromedp.ID("code-submit")),
		chromedp.WaitVisible(chromedp.ID("s-printed")),
		chromedp.Poll[chromedp.Void](`document.getElementById('number').textContent !== ''`),
		chromedp.Poll[chromedp.Void](`!document.getElementById('demo-ticket-img').hidden && document.getElementById('demo-ticket-img').naturalWidth > 0`),
	))
	number, err := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("number")))
	must(t, "read the printed number", err)
	if !strings.HasPrefix(number, "A") {
		t.Errorf("printed number %q, want one of Hộ tịch (A)", number)
	}
	if badges, _ := chromedp.Run(kiosk, chromedp.TextContent(chromedp.ID("printed-badges"))); !strings.Contains(badges, "Đã xác nhận lịch hẹn") {
		t.Errorf("printed badges %q: the booking is not shown", badges)
	}
	pngs, _ := filepath.Glob(filepath.Join(k.data, "sim", "printer", "*.png"))
	if len(pngs) != 1 {
		t.Fatalf("the simulated printer has %d ticket images, want 1", len(pngs))
	}
	if fi, err := os.Stat(pngs[0]); err != nil || fi.Size() < 1000 {
		t.Errorf("ticket image %s: %v", pngs[0], err)
	}
	if shots {
		saveScreenshot(t, kiosk, "kiosk-printed.png")
	}
	t.Logf("checked in and printed %s (%v)", number, time.Since(start).Round(time.Millisecond))
	assertAccessible(t, kiosk, "kiosk, ticket printed")

	// 3. The counter calls it.
	must(t, "see the ticket at the counter", chromedp.Do(console,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!!document.querySelector('#waiting li[data-number=%q]')`, number)),
		chromedp.Click(chromedp.ID("btn-next")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, number)),
	))

	// 4. The hall display shows it and says it, with the counter.
	must(t, "see the call on the hall display", chromedp.Do(display,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('latest-number').textContent === %q`, number)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`window.xephangAnnouncer.played.some((p) => p.number === %q && p.counter === 1)`, number), chromedp.WithPollingTimeout(20*time.Second)),
	))
	spoken, err := chromedp.Run(display, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const p = window.xephangAnnouncer.played.find((p) => p.number === %q); return document.body.dataset.speech + ' ' + p.spoken.join(' '); })()`, number)))
	must(t, "read what was said", err)
	if strings.HasPrefix(spoken, "on ") && !strings.HasSuffix(spoken, "to_counter number.1") {
		t.Errorf("the display said %q, want the call to counter 1", spoken)
	}
	t.Logf("called and announced (%s) in %v", spoken, time.Since(start).Round(time.Millisecond))

	// The kiosk in landscape, and its printer-out and offline states (the
	// simulator cannot run out of paper: the states are given to the page).
	must(t, "turn the kiosk to landscape", chromedp.Do(kiosk,
		chromedp.EmulateViewport(1920, 1080),
		chromedp.Click(chromedp.ID("home-btn")),
		chromedp.WaitVisible(chromedp.ID("s-home")),
	))
	checkTargets(t, kiosk, "kiosk home, landscape")
	assertAccessible(t, kiosk, "kiosk home, landscape")
	if shots {
		saveScreenshot(t, kiosk, "kiosk-landscape.png")
	}
	must(t, "show the printer out of paper and the link down", chromedp.Do(kiosk,
		chromedp.Evaluate[chromedp.Void](`window.xephangKiosk.event({type: 'printer', printer: {paper_out: true, paper_near_end: true}, reason: 'Máy in hết giấy'});
			window.xephangKiosk.event({type: 'devices', devices: [{name: 'printer', kind: 'printer', status: 'error', detail: 'Máy in hết giấy'}, {name: 'reader', kind: 'card-reader', status: 'ok'}, {name: 'scanner', kind: 'scanner', status: 'ok'}]});
			window.xephangKiosk.event({type: 'link', link: {online: false, outbox_pending: 2, numbers_left: {A: 18, B: 20}}});`),
		chromedp.WaitVisible(chromedp.ID("printer")),
		chromedp.WaitVisible(chromedp.ID("offline")),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-start="take-number"]').disabled && document.body.dataset.printer === 'stopped'`),
	))
	banner, err := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("printer")))
	must(t, "read the printer banner", err)
	if !strings.Contains(banner, "Máy in hết giấy") || !strings.Contains(banner, "quầy hướng dẫn") {
		t.Errorf("printer banner %q", banner)
	}
	assertAccessible(t, kiosk, "kiosk home, printer out and offline")
	if shots {
		saveScreenshot(t, kiosk, "kiosk-printer-out.png")
	}
	must(t, "the printer is back", chromedp.Do(kiosk,
		chromedp.Evaluate[chromedp.Void](`window.xephangKiosk.event({type: 'printer', printer: {}}); window.xephangKiosk.event({type: 'link', link: {online: true}});
			fetch('/api/devices').then((r) => r.json()).then((d) => window.xephangKiosk.event({type: 'devices', devices: d}))`),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#devices li[data-status="error"]')`),
		chromedp.WaitNotVisible(chromedp.ID("printer")),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[data-start="take-number"]').disabled`),
		// The larger-text switch.
		chromedp.Click(chromedp.ID("text-size")),
		chromedp.Poll[chromedp.Void](`document.documentElement.classList.contains('large-text') && document.getElementById('text-size').getAttribute('aria-pressed') === 'true'`),
	))
	checkTargets(t, kiosk, "kiosk home, larger text")
	assertAccessible(t, kiosk, "kiosk home, larger text")
	if shots {
		must(t, "open the services with larger text", chromedp.Do(kiosk,
			chromedp.Click(chromedp.CSS(`[data-start="take-number"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#services button.service`)),
		))
		saveScreenshot(t, kiosk, "kiosk-services-large.png")
		reports(t, browser, logs, base, centre.ID)
	}
	t.Logf("whole path in %v", time.Since(start).Round(time.Millisecond))
}

// checkTargets fails for any visible button of the page smaller than
// 57×57 CSS px (15 mm at 96 dpi).
func checkTargets(t *testing.T, page context.Context, where string) {
	t.Helper()
	small, err := chromedp.Run(page, chromedp.Evaluate[[]string](`[...document.querySelectorAll('button, input')].filter((b) => {
		const r = b.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && (r.width < 57 || r.height < 57);
	}).map((b) => (b.id || b.dataset.key || b.textContent.trim()) + ' ' + Math.round(b.getBoundingClientRect().width) + '×' + Math.round(b.getBoundingClientRect().height))`))
	must(t, "measure the targets", err)
	for _, s := range small {
		t.Errorf("%s: target smaller than 15 mm: %s", where, s)
	}
}

// reports saves the reports page of the day's activity.
func reports(t *testing.T, browser context.Context, logs *consoleLog, base, centre string) {
	t.Helper()
	page := tab(t, browser, logs, "reports")
	must(t, "open the reports", chromedp.Do(page, append(append([]chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(base + "/admin/reports.html"),
	}, signInAt(admin)...),
		chromedp.WaitVisible(chromedp.ID("reports")),
		chromedp.Poll[chromedp.Void](`document.getElementById('centre').value !== ''`),
		chromedp.Click(chromedp.ID("show")),
		chromedp.Poll[chromedp.Void](`document.getElementById('result').children.length > 0`),
		chromedp.Sleep(300*time.Millisecond),
	)...))
	saveScreenshot(t, page, "reports.png")
}
