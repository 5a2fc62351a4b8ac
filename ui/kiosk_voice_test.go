package ui_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"xephang/queue-server/queue"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// recordSpeech replaces the page's speechSynthesis.speak with a recorder:
// headless Chromium has no voice, and what matters is what the page asks
// it to say, in which language and how loud.
const recordSpeech = `window.said = [];
speechSynthesis.speak = (u) => { window.said.push({text: u.text, lang: u.lang, volume: u.volume}); };`

type utterance struct {
	Text   string  `json:"text"`
	Lang   string  `json:"lang"`
	Volume float64 `json:"volume"`
}

// kioskScreen is a queue-server and a kioskd built from this tree, with
// the touchscreen open in a tab at the kiosk's size and its link live.
type kioskScreen struct {
	base   string       // the queue-server
	centre queue.Centre // the centre the kiosk is enrolled in
	k      *kioskd
	tab    context.Context
	logs   *consoleLog // checked when the test ends (newBrowser)
}

// stepper gives a test its do(what, actions…): the actions run on the
// kiosk's tab, and a failure says the kiosk's flow, the screens shown, the
// failure message and what extra (fields of a JavaScript object literal)
// gives.
func (ks kioskScreen) stepper(t *testing.T, extra string) func(string, ...chromedp.Action[chromedp.Void]) {
	return func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ks.tab, actions...); err != nil {
			state, _ := chromedp.Run(ks.tab, chromedp.Evaluate[string](`JSON.stringify({flow: window.xephangKiosk.state(),
				screen: [...document.querySelectorAll('.screen')].filter((s) => !s.hidden).map((s) => s.id),
				failed: document.getElementById('failed-msg').textContent, `+extra+`})`))
			t.Fatalf("%s: %v\nkiosk: %s", what, err, state)
		}
	}
}

// startKioskScreen starts the kiosk (with kioskd's flags) and its screen.
func startKioskScreen(t *testing.T, ctx context.Context, flags ...string) kioskScreen {
	t.Helper()
	base, centre := startPathServer(t)
	bin, err := buildKioskd(ctx, t.TempDir())
	must(t, "build kioskd", err)
	k := startKioskd(t, ctx, bin, base, centre.ID, flags...)
	browser, logs := newBrowser(t, ctx)
	kiosk := tab(t, browser, logs, "kiosk")
	logs.expectRefusal("/api/demo/tickets/latest.png")
	must(t, "open the kiosk", chromedp.Do(kiosk,
		chromedp.EmulateViewport(1080, 1920),
		chromedp.Navigate(k.base+"/"),
		chromedp.Poll[chromedp.Void](`document.getElementById('link').dataset.state === 'live'`),
	))
	return kioskScreen{base: base, centre: centre, k: k, tab: kiosk, logs: logs}
}

// openKiosk starts the kiosk's screen (startKioskScreen), waits for home
// (the element home) and installs the speech recorder.
func openKiosk(t *testing.T, ctx context.Context, home string, flags ...string) (context.Context, *consoleLog) {
	t.Helper()
	ks := startKioskScreen(t, ctx, flags...)
	must(t, "see the kiosk's home", chromedp.Do(ks.tab,
		chromedp.WaitVisible(chromedp.CSS(home)),
		chromedp.Evaluate[chromedp.Void](recordSpeech),
	))
	return ks.tab, ks.logs
}

// TestKioskWithoutSight: a citizen who cannot see the screen takes a
// number at a real kioskd with the keys alone. The first key offers voice
// guidance; Tab and Enter turn it on and the screen is read (title and
// choices) in Vietnamese; + makes it louder; the arrows go to "take a
// number", a service and "print", each said as it is reached, and every
// screen starts with the key focus on its title. Mid-step, the idle
// warning comes at least 20 s before the kiosk would go home, is said,
// has the key focus, and Enter gives more time without losing the step.
// Then, still by keys: look-up, a procedure, check-in, a refused code (read
// before its idle warning), the pre-check, English. axe checks each screen.
func TestKioskWithoutSight(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	// 40 s without a key: the warning (30 s before) comes 10 s after the last one.
	kiosk, logs := openKiosk(t, ctx, `[data-start="check-in"]`, "-idle", "40s")
	assertAccessible(t, kiosk, "kiosk home, voice guidance off")

	said := func() []utterance {
		t.Helper()
		u, err := chromedp.Run(kiosk, chromedp.Evaluate[[]utterance](`window.said`))
		must(t, "read what was said", err)
		return u
	}
	// waitSaid waits until the page has said a text containing each of want.
	waitSaid := func(what string, want ...string) {
		t.Helper()
		js := fmt.Sprintf(`%q.split('\n').every((w) => window.said.some((u) => u.text.includes(w)))`, strings.Join(want, "\n"))
		if err := chromedp.Do(kiosk, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			var texts []string
			for _, u := range said() {
				texts = append(texts, u.Text)
			}
			t.Fatalf("%s: want %q said, the page said %q", what, want, texts)
		}
	}
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(kiosk, chromedp.Evaluate[string](js))
		must(t, "read "+js, err)
		return s
	}
	forget := func() {
		must(t, "forget what was said", chromedp.Do(kiosk, chromedp.Evaluate[chromedp.Void](`window.said = []`)))
	}
	// arrowTo presses ↓ until the key focus is on sel, each stop said.
	arrowTo := func(sel string) {
		t.Helper()
		for range 30 {
			if text(fmt.Sprintf(`String(document.activeElement === document.querySelector(%q))`, sel)) == "true" {
				return
			}
			must(t, "press ↓", chromedp.Do(kiosk, chromedp.KeyEvent(kb.ArrowDown)))
		}
		t.Fatalf("30 presses of ↓ never reached %s (focus on %s)", sel, text(`document.activeElement.outerHTML.slice(0, 120)`))
	}

	// The first key offers the voice, in Vietnamese and English; Tab has
	// reached its switch, Enter turns it on and the home screen is read.
	must(t, "press Tab", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Tab),
		chromedp.Poll[chromedp.Void](`document.activeElement.id === 'voice'`, chromedp.WithPollingTimeout(2*time.Second)),
	))
	waitSaid("the offer", "Để nghe hướng dẫn bằng giọng nói", "For voice guidance")
	if text(`String(document.activeElement.matches(':focus-visible') && getComputedStyle(document.activeElement).outlineStyle !== 'none')`) != "true" {
		t.Error("the key focus on the voice switch is not visible")
	}
	forget()
	must(t, "press Enter", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](`document.getElementById('voice').getAttribute('aria-pressed') === 'true' && !document.getElementById('volume').hidden`),
	))
	takeName := text(`document.querySelector('[data-start="take-number"] .big').textContent`)
	waitSaid("the home screen", "Đã bật hướng dẫn bằng giọng nói", "Xin chào! Bạn cần làm gì?", takeName, "phím Enter để chọn")
	for _, u := range said() {
		if u.Lang != "vi-VN" {
			t.Errorf("said %q in %q, want vi-VN", u.Text, u.Lang)
		}
	}
	assertAccessible(t, kiosk, "kiosk home, voice guidance on")
	saveScreenshot(t, kiosk, "kiosk-voice.png")

	// + is louder, up to the top.
	forget()
	must(t, "press +", chromedp.Do(kiosk, chromedp.KeyEvent("+")))
	waitSaid("the volume", "Âm lượng 100%")
	if u := said(); len(u) == 0 || u[len(u)-1].Volume != 1 {
		t.Errorf("after + the page said %+v, want volume 1", u)
	}

	// ↓ to "take a number", said; Enter opens the services with the focus
	// on their title, and the screen is read with its choices.
	forget()
	arrowTo(`[data-start="take-number"]`)
	waitSaid("the tile", takeName)
	forget()
	must(t, "choose take a number", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("s-take-number-choose-service")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#services button').length > 0`),
		chromedp.Poll[chromedp.Void](`document.activeElement.matches('#s-take-number-choose-service h1')`, chromedp.WithPollingTimeout(2*time.Second)),
	))
	title := text(`document.querySelector('#s-take-number-choose-service h1').textContent`)
	first := text(`document.querySelector('#services button .name').textContent`)
	waitSaid("the services screen", title, first)
	assertAccessible(t, kiosk, "kiosk services, voice guidance on")

	// ↓ past the search box to the first service, said; Enter chooses it.
	forget()
	arrowTo(`#services button`)
	waitSaid("the first service", first)
	must(t, "choose the service", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("s-take-number-card")),
		chromedp.Poll[chromedp.Void](`document.activeElement.id === 'chosen'`, chromedp.WithPollingTimeout(2*time.Second)),
	))
	chosen := text(`document.getElementById('chosen').textContent`)
	waitSaid("the card screen", chosen, text(`document.getElementById('print').textContent`))
	assertAccessible(t, kiosk, "kiosk card, voice guidance on")

	// No key for a while: the warning, at least 20 s before going home.
	forget()
	must(t, "wait for the idle warning", chromedp.Do(kiosk,
		chromedp.Poll[chromedp.Void](`!document.getElementById('idle-bar').hidden`, chromedp.WithPollingTimeout(15*time.Second)),
	))
	left := text(`String((new Date(window.xephangKiosk.state().until) - Date.now()) / 1000)`)
	var secs float64
	fmt.Sscan(left, &secs)
	if secs < 20 {
		t.Errorf("the idle warning came %.1f s before going home, want at least 20 s", secs)
	}
	waitSaid("the idle warning", "Bạn có cần thêm thời gian không?", "Nhấn phím Enter để thêm thời gian")
	if id := text(`document.activeElement.id`); id != "idle-continue" {
		t.Errorf("during the idle warning the key focus is on %q, want the more-time button", id)
	}
	assertAccessible(t, kiosk, "kiosk card, idle warning")
	saveScreenshot(t, kiosk, "kiosk-idle-warning.png")
	untilBefore := text(`window.xephangKiosk.state().until`)
	forget()
	must(t, "press Enter for more time", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](`document.getElementById('idle-bar').hidden`, chromedp.WithPollingTimeout(5*time.Second)),
	))
	waitSaid("more time", "Đã thêm thời gian")
	if st := text(`JSON.stringify([window.xephangKiosk.state().flow, window.xephangKiosk.state().step, document.getElementById('chosen').textContent, document.getElementById('s-take-number-card').hidden])`); st != fmt.Sprintf(`["take-number","card",%q,false]`, chosen) {
		t.Errorf("after more time the kiosk is at %s, want the same step and service", st)
	}
	if after := text(`window.xephangKiosk.state().until`); after <= untilBefore {
		t.Errorf("more time: until %s, was %s", after, untilBefore)
	}
	if id := text(`document.activeElement.id`); id == "idle-continue" || id == "" {
		t.Errorf("after more time the key focus is on %q, want back on the screen", id)
	}

	// ↓ to print; the ticket's number is said.
	arrowTo(`#print`)
	forget()
	must(t, "print", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("s-printed")),
		chromedp.Poll[chromedp.Void](`document.getElementById('number').textContent !== ''`),
	))
	number := text(`document.getElementById('number').textContent`)
	waitSaid("the printed screen", strings.Join(strings.Split(number, ""), " ")) // A 9 0 1, sign by sign
	// It goes home in 20 s: with voice on, after the number, the warning.
	waitSaid("the warning after the number", "Bạn có cần thêm thời gian không?")
	assertAccessible(t, kiosk, "kiosk printed, voice guidance on")
	if slices.ContainsFunc(said(), func(u utterance) bool { return u.Volume != 1 }) {
		t.Errorf("the volume changed by itself: %+v", said())
	}

	// The other screens, by keys too, each read and checked by axe.
	home := func() {
		t.Helper()
		arrowTo(`#home-btn`)
		must(t, "go home", chromedp.Do(kiosk, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("s-home"))))
	}
	// open chooses the home tile of flow and waits for the screen's title
	// to have the key focus and be said.
	open := func(flow, screen string) {
		t.Helper()
		arrowTo(fmt.Sprintf(`[data-start=%q]`, flow))
		forget()
		must(t, "open "+flow, chromedp.Do(kiosk,
			chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(chromedp.ID(screen)),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.activeElement.matches('#%s h1')`, screen), chromedp.WithPollingTimeout(3*time.Second)),
		))
		waitSaid(screen, text(fmt.Sprintf(`document.querySelector('#%s h1').textContent`, screen)))
	}
	home()
	open("lookup", "s-lookup-list")
	must(t, "wait for the procedures", chromedp.Do(kiosk, chromedp.Poll[chromedp.Void](`document.querySelectorAll('#procedures button').length > 0`)))
	assertAccessible(t, kiosk, "kiosk look-up, voice guidance on")
	arrowTo(`#procedures button`)
	forget()
	must(t, "open a procedure", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("s-lookup-detail")),
		chromedp.Poll[chromedp.Void](`document.activeElement.id === 'proc-name' && document.getElementById('proc-papers').children.length > 0`, chromedp.WithPollingTimeout(3*time.Second)),
	))
	waitSaid("the procedure", text(`document.getElementById('proc-name').textContent`), text(`document.querySelector('#proc-papers li').textContent`))
	assertAccessible(t, kiosk, "kiosk procedure, voice guidance on")

	home()
	open("check-in", "s-check-in-scan")
	assertAccessible(t, kiosk, "kiosk check-in, voice guidance on")
	logs.expectRefusal("/api/check-in")
	forget()
	must(t, "check in with a code that is no booking", chromedp.Do(kiosk, append(tapKeys(`#keypad .osk`, "A", "B", "C", "D", "E", "F", "G", "H"),
		chromedp.Click(chromedp.ID("code-submit")),
		chromedp.WaitVisible(chromedp.ID("s-failed")),
		chromedp.Poll[chromedp.Void](`document.getElementById('failed-msg').textContent !== ''`),
	)...))
	refusal := text(`document.getElementById('failed-msg').textContent`)
	waitSaid("the refusal", text(`document.querySelector('#s-failed h1').textContent`), refusal)
	// An error shows for 20 s: the idle bar comes with it, and is said
	// after the screen, with the key focus on "more time".
	waitSaid("the warning after the refusal", "Bạn có cần thêm thời gian không?")
	order := slices.IndexFunc(said(), func(u utterance) bool { return strings.Contains(u.Text, refusal) }) <
		slices.IndexFunc(said(), func(u utterance) bool { return strings.Contains(u.Text, "Bạn có cần thêm thời gian không?") })
	if !order {
		t.Errorf("the refusal and the idle warning were said in this order: %+v", said())
	}
	if id := text(`document.activeElement.id`); id != "idle-continue" {
		t.Errorf("on the refusal with the idle bar up, the key focus is on %q, want the more-time button", id)
	}
	assertAccessible(t, kiosk, "kiosk check-in refused, voice guidance on")

	home()
	arrowTo(`[data-start="precheck"]`)
	forget()
	must(t, "open the pre-check", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](`['s-precheck-choose-procedure', 's-precheck-unavailable'].some((id) => { const s = document.getElementById(id); return s && !s.hidden && s.contains(document.activeElement); })`, chromedp.WithPollingTimeout(3*time.Second)),
	))
	waitSaid("the pre-check", text(`document.querySelector('main .screen:not([hidden]) h1').textContent`))
	assertAccessible(t, kiosk, "kiosk pre-check, voice guidance on")
	if text(`String(!document.getElementById('s-precheck-choose-procedure').hidden)`) == "true" {
		arrowTo(`#s-precheck-choose-procedure button`)
		forget()
		must(t, "choose a procedure to check", chromedp.Do(kiosk,
			chromedp.KeyEvent(kb.Enter),
			chromedp.Poll[chromedp.Void](`!document.getElementById('s-precheck-insert').hidden`, chromedp.WithPollingTimeout(5*time.Second)),
			chromedp.Poll[chromedp.Void](`document.getElementById('s-precheck-insert').contains(document.activeElement)`, chromedp.WithPollingTimeout(3*time.Second)),
		))
		waitSaid("the scanner's guidance", text(`document.querySelector('#s-precheck-insert h1').textContent`))
		assertAccessible(t, kiosk, "kiosk pre-check insert, voice guidance on")
		// The simulated scanner's pages are test patterns: nothing is recognised.
		arrowTo(`#s-precheck-insert button.huge`)
		forget()
		must(t, "scan the papers", chromedp.Do(kiosk,
			chromedp.KeyEvent(kb.Enter),
			chromedp.Poll[chromedp.Void](`['s-precheck-result', 's-failed'].some((id) => { const s = document.getElementById(id); return s && !s.hidden && s.contains(document.activeElement); })`, chromedp.WithPollingTimeout(60*time.Second)),
		))
		first := text(`(() => { const li = document.querySelector('#s-precheck-result li'); return li.querySelector('.badge').textContent + ', ' + li.querySelector('strong').textContent.trim(); })()`)
		waitSaid("the pre-check result", text(`document.querySelector('#s-precheck-result h1').textContent`), first)
		assertAccessible(t, kiosk, "kiosk pre-check result, voice guidance on")
	}
	home()

	// English, by the keys: the screen is read again, in English.
	arrowTo(`#lang`)
	forget()
	must(t, "switch to English", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](`document.documentElement.lang === 'en'`),
	))
	waitSaid("the home screen in English", "Hello! What do you need?", "choices")
	if u := said(); !slices.ContainsFunc(u, func(u utterance) bool { return u.Lang == "en-GB" && strings.Contains(u.Text, "Hello!") }) {
		t.Errorf("the English home screen was said %+v, want in en-GB", u)
	}
	assertAccessible(t, kiosk, "kiosk home in English, voice guidance on")

	// A banner over every screen (the printer stopped) is read with it: *
	// reads the screen again.
	forget()
	must(t, "stop the printer and press *", chromedp.Do(kiosk,
		chromedp.Evaluate[chromedp.Void](`window.xephangKiosk.event({type: 'printer', printer: {paper_out: true}, reason: 'Máy in hết giấy'})`),
		chromedp.WaitVisible(chromedp.ID("printer")),
		chromedp.KeyEvent("*"),
	))
	waitSaid("the printer banner", "Hello! What do you need?", text(`document.getElementById('printer-reason').textContent`))
	must(t, "the printer is back", chromedp.Do(kiosk,
		chromedp.Evaluate[chromedp.Void](`window.xephangKiosk.event({type: 'printer', printer: {}})`),
		chromedp.WaitNotVisible(chromedp.ID("printer")),
	))
}

// TestKioskVoiceEndsWithTheCitizen: voice guidance, its volume and the
// larger text are one citizen's; when the kiosk goes home by itself after
// the printed number, the next citizen finds them off.
func TestKioskVoiceEndsWithTheCitizen(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	kiosk, _ := openKiosk(t, ctx, `[data-start="take-number"]`, "-result", "2s")
	must(t, "take a number with voice, louder, larger text", chromedp.Do(kiosk,
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(kb.Enter),
		chromedp.KeyEvent("+"),
		chromedp.Click(chromedp.ID("text-size")),
		chromedp.Poll[chromedp.Void](`document.body.dataset.voice === 'on' && window.xephangVoice.state().volume === 1 && document.documentElement.classList.contains('large-text')`),
		chromedp.Click(chromedp.CSS(`[data-start="take-number"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#services button`)),
		chromedp.Click(chromedp.CSS(`#services button`)),
		chromedp.WaitVisible(chromedp.ID("print")),
		chromedp.Click(chromedp.ID("print")),
		chromedp.WaitVisible(chromedp.ID("s-printed")),
	))
	must(t, "the kiosk goes home by itself, everything off", chromedp.Do(kiosk,
		chromedp.WaitVisible(chromedp.ID("s-home")),
		chromedp.Poll[chromedp.Void](`document.body.dataset.voice === 'off' && document.getElementById('voice').getAttribute('aria-pressed') === 'false' && document.getElementById('volume').hidden && window.xephangVoice.state().volume === 0.8 && !document.documentElement.classList.contains('large-text')`, chromedp.WithPollingTimeout(5*time.Second)),
	))
}
