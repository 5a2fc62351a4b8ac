package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestKioskChipMessagesInChromium: kioskd's "chip" events (its chip
// reader waiting for the card, reading it, done, failed) show on every
// screen in a banner announced politely to screen readers, in kioskd's
// words and the kiosk's language, busy while it reads, a warning when
// the chip's data was altered or the read failed; going home clears it.
// The demo panel offers the chip cards (altered, unknown issuer). axe
// checks each state. The events are given to the page's own handler
// (window.xephangKiosk.event), as kioskd's socket would.
func TestKioskChipMessagesInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ks := startKioskScreen(t, ctx)
	kiosk := ks.tab
	chip := func(state, vi, en, auth string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.xephangKiosk.event({type: 'chip', chip: {state: %q, message: %q, message_en: %q, authenticity: %q}})`, state, vi, en, auth))
	}
	banner := func() (text, state, class, busy, live, role string) {
		t.Helper()
		s, err := chromedp.Run(kiosk, chromedp.Evaluate[[]string](`(() => { const el = document.getElementById('chip');
			return [el.hidden ? '' : el.textContent.trim(), el.dataset.state, el.className, el.getAttribute('aria-busy') || '', el.getAttribute('aria-live') || '', el.getAttribute('role') || '']; })()`))
		must(t, "read the banner", err)
		return s[0], s[1], s[2], s[3], s[4], s[5]
	}
	must(t, "take a number: the card screen", chromedp.Do(kiosk,
		chromedp.WaitVisible(chromedp.CSS(`[data-start="take-number"]`)),
		chromedp.Click(chromedp.CSS(`[data-start="take-number"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#s-take-number-choose-service button`)),
	))

	must(t, "the chip reader waits", chromedp.Do(kiosk, chip("waiting", "Giữ thẻ trên đầu đọc…", "Hold the card on the reader…", ""), chromedp.WaitVisible(chromedp.ID("chip"))))
	if text, state, _, busy, live, role := banner(); text != "Giữ thẻ trên đầu đọc…" || state != "waiting" || busy != "true" || live != "polite" || role != "status" {
		t.Errorf("waiting: %q %s busy=%s live=%s role=%s", text, state, busy, live, role)
	}
	assertAccessible(t, kiosk, "kiosk, the chip reader waiting for the card")

	must(t, "reading", chromedp.Do(kiosk, chip("reading", "", "", ""),
		chromedp.Poll[chromedp.Void](`document.getElementById('chip').dataset.state === 'reading'`)))
	if text, _, _, busy, _, _ := banner(); text != "Đang đọc chip của thẻ, vui lòng giữ nguyên thẻ…" || busy != "true" {
		t.Errorf("reading without kioskd's words: %q busy=%s", text, busy)
	}
	assertAccessible(t, kiosk, "kiosk, reading the chip")

	must(t, "done, the data altered", chromedp.Do(kiosk, chip("done", "Đã đọc chip: dữ liệu trên chip không khớp chữ ký của cơ quan cấp.", "Chip read: its data does not match the issuer's signature.", "data_altered"),
		chromedp.Poll[chromedp.Void](`document.getElementById('chip').dataset.state === 'done'`)))
	if text, _, class, busy, _, _ := banner(); !strings.Contains(text, "không khớp chữ ký") || !strings.Contains(class, "warn") || busy != "false" {
		t.Errorf("done, altered: %q %q busy=%s", text, class, busy)
	}
	assertAccessible(t, kiosk, "kiosk, a chip whose data was altered")
	saveScreenshot(t, kiosk, "kiosk-chip.png")

	// A cloned chip (signed data, chip authentication failed) warns too.
	must(t, "done, a cloned chip", chromedp.Do(kiosk,
		chromedp.Evaluate[chromedp.Void](`window.xephangKiosk.event({type: 'chip', chip: {state: 'done', message: 'Chip có thể bị sao chép: nhân viên sẽ kiểm tra thẻ tại quầy.', message_en: 'The chip may be a copy.', authenticity: 'genuine', chip_auth: 'failed'}})`),
		chromedp.Poll[chromedp.Void](`document.getElementById('chip').dataset.chipAuth === 'failed'`)))
	if text, _, class, _, _, _ := banner(); !strings.Contains(text, "sao chép") || !strings.Contains(class, "warn") {
		t.Errorf("done, cloned: %q %q", text, class)
	}
	must(t, "the altered chip again", chromedp.Do(kiosk, chip("done", "Đã đọc chip: dữ liệu trên chip không khớp chữ ký của cơ quan cấp.", "Chip read: its data does not match the issuer's signature.", "data_altered"),
		chromedp.Poll[chromedp.Void](`document.getElementById('chip').dataset.chipAuth === ''`)))

	must(t, "in English", chromedp.Do(kiosk,
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.getElementById('chip-text').textContent === "Chip read: its data does not match the issuer's signature."`)))
	must(t, "failed", chromedp.Do(kiosk, chip("failed", "Không đọc được chip: thẻ đã rời đầu đọc.", "The chip could not be read: the card left the reader.", ""),
		chromedp.Poll[chromedp.Void](`document.getElementById('chip').dataset.state === 'failed'`)))
	if text, _, class, _, _, _ := banner(); text != "The chip could not be read: the card left the reader." || !strings.Contains(class, "warn") {
		t.Errorf("failed in English: %q %q", text, class)
	}
	assertAccessible(t, kiosk, "kiosk, a chip read failed, in English")
	must(t, "back in Vietnamese", chromedp.Do(kiosk, chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.getElementById('chip-text').textContent === 'Không đọc được chip: thẻ đã rời đầu đọc.'`)))
	if s, _, _, _, _, _ := banner(); strings.Contains(s, "undefined") || strings.Contains(s, "null") {
		t.Errorf("the banner: %q", s)
	}
	// A state kioskd does not send is ignored.
	must(t, "an unknown state", chromedp.Do(kiosk, chip("exploded", "x", "x", "")))
	if _, state, _, _, _, _ := banner(); state != "failed" {
		t.Errorf("an unknown state changed the banner to %q", state)
	}

	// Home: the next citizen does not see it.
	must(t, "go home", chromedp.Do(kiosk,
		chromedp.Click(chromedp.ID("home-btn")),
		chromedp.WaitVisible(chromedp.ID("s-home")),
		chromedp.WaitNotVisible(chromedp.ID("chip")),
	))

	// The demo panel: the chip cards.
	names, err := chromedp.Run(kiosk, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#demo [data-card^="chip-"]')].map((b) => b.dataset.card + ': ' + b.textContent)`))
	must(t, "the demo's chip cards", err)
	if strings.Join(names, " | ") != "chip-altered: Thẻ có chip bị sửa dữ liệu | chip-unknown: Thẻ có chip không rõ nơi cấp | chip-cloned: Thẻ có chip bị sao chép" {
		t.Errorf("the demo panel's chip cards: %q", names)
	}
	assertAccessible(t, kiosk, "kiosk home with the demo's chip cards")
}

// TestKioskChipToCounterInChromium, end to end with a real kioskd
// (-simulate: its chip reader holds chipsim's card) and a real server: a
// citizen taps the demo's card whose chip data was altered; the
// touchscreen shows the chip being read, then the read, as a warning,
// without the holder's data; the number printed, the kiosk sends the
// identity; the clerk calls the number and the console's "Căn cước" panel
// shows the face, "Dữ liệu trên chip bị sửa đổi" and the chip's fields.
func TestKioskChipToCounterInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	ks := startKioskScreen(t, ctx)
	kiosk := ks.tab
	must(t, "choose a service", chromedp.Do(kiosk,
		chromedp.Click(chromedp.ID("tile-take")),
		chromedp.WaitVisible(chromedp.CSS(`#services button.service`)),
		chromedp.Click(chromedp.CSS(`#services button.service`)),
		chromedp.WaitVisible(chromedp.ID("print")),
		// Record the banner's states as they come.
		chromedp.Evaluate[chromedp.Void](`window.chipStates = []; new MutationObserver(() => { const s = document.getElementById('chip').dataset.state;
			if (s && window.chipStates[window.chipStates.length - 1] !== s) window.chipStates.push(s); }).observe(document.getElementById('chip'), { attributes: true })`),
	))
	must(t, "tap the card whose chip was altered", chromedp.Do(kiosk,
		chromedp.Click(chromedp.CSS(`#demo button[data-card="chip-altered"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('chip').dataset.state === 'done'`, chromedp.WithPollingTimeout(20*time.Second)),
	))
	seen, err := chromedp.Run(kiosk, chromedp.Evaluate[[]string](`[...window.chipStates, document.getElementById('chip').dataset.authenticity, document.getElementById('chip').className, document.getElementById('chip-text').textContent]`))
	must(t, "read the banner", err)
	if len(seen) < 4 || seen[len(seen)-4] != "done" || seen[len(seen)-3] != "data_altered" || !strings.Contains(seen[len(seen)-2], "warn") || seen[len(seen)-1] == "" {
		t.Errorf("the banner went %q", seen)
	}
	assertAccessible(t, kiosk, "kiosk, a card whose chip data was altered, read")
	must(t, "print", chromedp.Do(kiosk,
		chromedp.Click(chromedp.ID("print")),
		chromedp.WaitVisible(chromedp.ID("s-printed")),
		chromedp.Poll[chromedp.Void](`document.getElementById('number').textContent !== ''`),
	))
	number, err := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("number")))
	must(t, "read the number", err)

	browser, logs := newBrowser(t, ctx)
	console := tab(t, browser, logs, "counter")
	must(t, "call the number", chromedp.Do(console, append(atCounter(ks.base, clerk, 5, 1),
		chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`),
		chromedp.Click(chromedp.ID("btn-next")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, strings.TrimSpace(number))),
		chromedp.WaitVisible(chromedp.ID("identity")),
		chromedp.Poll[chromedp.Void](`document.getElementById('identity').dataset.authenticity === 'data_altered' && (() => { const i = document.querySelector('#identity-face img'); return !!i && i.complete && i.naturalWidth > 0; })()`, chromedp.WithPollingTimeout(10*time.Second)),
	)...))
	panel, err := chromedp.Run(console, chromedp.Evaluate[[]string](`[document.getElementById('identity-badge').textContent, (document.querySelector('#identity-fields [data-k="name"] dd') || {}).textContent || '', (document.querySelector('#identity-fields [data-k="residence"] dd') || {}).textContent || '']`))
	must(t, "read the panel", err)
	if !strings.Contains(panel[0], "Dữ liệu trên chip bị sửa đổi") || panel[1] == "" || panel[2] == "" {
		t.Errorf("the panel: %q", panel)
	}
	assertAccessible(t, console, "counter, the identity a kiosk read from an altered chip")
	// The touchscreen never showed the holder's data.
	body, err := chromedp.Run(kiosk, chromedp.Evaluate[string](`document.body.innerText + document.body.innerHTML`))
	must(t, "read the kiosk's page", err)
	for _, secret := range panel[1:] {
		if strings.Contains(body, secret) {
			t.Errorf("the touchscreen shows %q", secret)
		}
	}
}
