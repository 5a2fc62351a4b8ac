package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/ui"
)

// TestTelexInChromium runs assets/telex.js in headless Chromium on a table
// of keystrokes (marks, tones by the modern rule, undo by a second press,
// NFC output), then taps "Nguyễn" on assets/osk.js's keys.
func TestTelexInChromium(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", ui.KioskHandler())
	mux.HandleFunc("/blank.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="vi"><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/app.css"><link rel="stylesheet" href="/assets/osk.css"></head><body><input id="name"></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "telex")
	// A blank page of the origin to import the modules from.
	must(t, "open a page", chromedp.Do(page, chromedp.Navigate(srv.URL+"/blank.html")))

	cases := [][2]string{
		{"Nguyeenx", "Nguyễn"}, {"Nguyeexn", "Nguyễn"}, {"NGUYEENX", "NGUYỄN"}, {"tieengs", "tiếng"},
		{"Vieetj Nam", "Việt Nam"}, {"Hoof Chis Minh", "Hồ Chí Minh"}, {"ddoongf", "đồng"}, {"DDaf Naüng", "Đà Naüng"},
		{"ddi", "đi"}, {"dduwowngf", "đường"}, {"nguoiwf", "người"}, {"nguwowif", "người"}, {"thuongw", "thương"},
		{"hoaf", "hoà"}, {"khoer", "khoẻ"}, {"thuyr", "thuỷ"}, {"hoangf", "hoàng"}, {"thuyeenf", "thuyền"},
		{"mias", "mía"}, {"muas", "múa"}, {"muaw", "mưa"}, {"cuwar", "cửa"}, {"huwu", "hưu"}, {"khuyur", "khuỷu"},
		{"quys", "quý"}, {"quaf", "quà"}, {"gias", "giá"}, {"gif", "gì"}, {"giuwx", "giữ"}, {"hoawcj", "hoặc"},
		{"aa", "â"}, {"aw", "ă"}, {"ee", "ê"}, {"oo", "ô"}, {"ow", "ơ"}, {"uw", "ư"}, {"w", "ư"}, {"nhw", "như"},
		{"ww", "w"}, {"aaa", "aa"}, {"ass", "as"}, {"asz", "a"}, {"awa", "â"}, {"z", "z"}, {"ho tich", "ho tich"},
		{"2024 s", "2024 s"},
	}
	keys := make([]string, len(cases))
	for i, c := range cases {
		keys[i] = c[0]
	}
	in, _ := json.Marshal(keys)
	got, err := chromedp.Run(page, chromedp.Evaluate[[]string](fmt.Sprintf(`import('/assets/telex.js').then((m) =>
		%s.map((k) => { const s = m.telex(k); return s === s.normalize('NFC') ? s : 'not NFC: ' + s; }))`, in), chromedp.EvalAwaitPromise))
	must(t, "run telex.js", err)
	for i, c := range cases {
		if got[i] != c[1] {
			t.Errorf("telex(%q) = %q, want %q", c[0], got[i], c[1])
		}
	}

	// Backspace keeps the word editable: Nguyễn ⌫ → Nguyễ, then n again.
	word, err := chromedp.Run(page, chromedp.Evaluate[string](`import('/assets/telex.js').then((m) => {
		const w = new m.Word();
		for (const k of 'Nguyeenx') w.key(k);
		w.backspace();
		const a = w.text();
		w.key('n');
		const b = new m.Word('người'); b.key('s');
		return a + ' ' + w.text() + ' ' + b.text();
	})`, chromedp.EvalAwaitPromise))
	must(t, "edit a word", err)
	if word != "Nguyễ Nguyễn ngưới" {
		t.Errorf("editing gives %q, want \"Nguyễ Nguyễn ngưới\"", word)
	}

	// The keyboard's keys type it.
	must(t, "build a keyboard", chromedp.Do(page, chromedp.Evaluate[chromedp.Void](`import('/assets/osk.js').then((m) => {
		const kb = new m.Keyboard({ capitalize: true }).attach(document.getElementById('name'));
		document.body.append(kb.element);
	})`, chromedp.EvalAwaitPromise), chromedp.WaitVisible(chromedp.CSS(`.osk button[data-key="n"]`))))
	must(t, "tap Nguyễn Văn", chromedp.Do(page, append(tapKeys(".osk", "n", "g", "u", "y", "e", "e", "n", "x", "space", "v", "a", "w", "n"),
		chromedp.Poll[chromedp.Void](`document.getElementById('name').value === 'Nguyễn Văn'`, chromedp.WithPollingTimeout(2*time.Second)))...))
}
