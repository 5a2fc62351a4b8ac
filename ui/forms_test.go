package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/forms"
	"xephang/ui"
)

// formJSON is the definition of a procedure's form as the server gives it.
func formJSON(t *testing.T, procedure string) string {
	t.Helper()
	f, err := forms.Default().Form(procedure)
	must(t, "the form of "+procedure, err)
	b, err := json.Marshal(f)
	must(t, "encode the form", err)
	return string(b)
}

// formPage serves the kiosk's pages and a blank page of the same origin
// that draws a form with assets/forms.js.
func formPage(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", ui.KioskHandler())
	mux.HandleFunc("/form.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Tờ khai</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css"><link rel="stylesheet" href="/assets/osk.css"><link rel="stylesheet" href="/assets/forms.css">
<style>html { font-size: 22px; } body { padding: 1rem; }</style></head><body><main><h1>Điền tờ khai</h1><div id="box"></div></main></body></html>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestFormRendererInChromium draws a form on a kiosk-sized page: the
// card's values are shown and marked, a name typed on the on-screen Telex
// keyboard comes out in Vietnamese (NFC), a wrong ID number typed on the
// keypad gets its message when the field is left and loses it once
// corrected, the date picker's big buttons give the date and its words,
// the choices are big buttons, and a send tried with fields missing
// shows every message. axe checks the screen.
func TestFormRendererInChromium(t *testing.T) {
	base := formPage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "form")
	must(t, "draw the form", chromedp.Do(page,
		chromedp.EmulateViewport(1080, 1920),
		chromedp.Navigate(base+"/form.html"),
		chromedp.Evaluate[chromedp.Void](`import('/assets/forms.js').then((m) => {
			window.fv = new m.FormView(`+formJSON(t, "khai-sinh")+`, {kiosk: true, today: '2026-12-05',
				values: {applicant_name: 'NGUYỄN THỊ THUỲ DƯƠNG', applicant_id_number: '001190012345', applicant_address: 'Số 5 phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội'},
				sources: {applicant_name: 'card', applicant_id_number: 'card', applicant_address: 'card'}});
			document.getElementById('box').append(window.fv.element);
		})`, chromedp.EvalAwaitPromise),
		chromedp.WaitVisible(chromedp.CSS(`.fm-field[data-field="child_name"] input`)),
	))
	value := func(field string) string {
		t.Helper()
		v, err := chromedp.Run(page, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('.fm-field[data-field=%q] input').value`, field)))
		must(t, "read "+field, err)
		return v
	}
	if v := value("applicant_name"); v != "NGUYỄN THỊ THUỲ DƯƠNG" {
		t.Errorf("applicant_name shows %q", v)
	}
	marks, err := chromedp.Run(page, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.fm-source:not([hidden])')].map((m) => m.closest('.fm-field').dataset.field + ':' + m.textContent)`))
	must(t, "read the marks", err)
	if fmt.Sprint(marks) != "[applicant_name:từ thẻ CCCD applicant_id_number:từ thẻ CCCD applicant_address:từ thẻ CCCD]" {
		t.Errorf("source marks %q", marks)
	}
	noStray(t, page, ".fm", "form, prefilled")
	assertAccessible(t, page, "form, prefilled from the card")

	// A name on the Telex keyboard: capitals at each word, Vietnamese marks.
	name := `.fm-field[data-field="child_name"] input`
	must(t, "type the child's name", chromedp.Do(page, append(append([]chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(name)),
		chromedp.WaitVisible(chromedp.CSS(`.fm-dock .osk-text button[data-key="n"]`)),
	}, tapKeys(`.fm-dock .osk-text`, "n", "g", "u", "y", "e", "e", "n", "x", "space", "m", "i", "n", "h", "space", "k", "h", "o", "o", "i")...),
		chromedp.Poll[chromedp.Void](`document.querySelector('.fm-field[data-field="child_name"] input').value === 'Nguyễn Minh Khôi'`, chromedp.WithPollingTimeout(2*time.Second)))...))
	typed := value("child_name")
	if typed != "Nguyễn Minh Khôi" {
		t.Errorf("typed %q", typed)
	}
	assertAccessible(t, page, "form, typing on the Telex keyboard")

	// A wrong ID number on the keypad: the message comes when the field is
	// left, and goes once it is right; the card's mark goes with the edit.
	id := `.fm-field[data-field="applicant_id_number"]`
	must(t, "spoil the ID number", chromedp.Do(page, append(append([]chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(id + " input")),
		chromedp.WaitVisible(chromedp.CSS(`.fm-dock .osk-digits button[data-key="0"]`)),
	}, tapKeys(`.fm-dock .osk-digits`, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "9", "9", "9")...),
		chromedp.Click(chromedp.CSS(`.fm-dock .osk-digits button[data-key="done"]`)),
		chromedp.WaitVisible(chromedp.CSS(id+" .fm-error")),
	)...))
	msg, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(id+" .fm-error")))
	must(t, "read the message", err)
	if !strings.Contains(msg, "12 chữ số") {
		t.Errorf("ID number message %q", msg)
	}
	if hidden, _ := chromedp.Run(page, chromedp.Evaluate[bool](`document.querySelector('.fm-field[data-field="applicant_id_number"] .fm-source').hidden`)); !hidden {
		t.Error("the card's mark stays on an ID number the citizen changed")
	}
	assertAccessible(t, page, "form, a message shown")
	must(t, "correct the ID number", chromedp.Do(page, append(append([]chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(id + " input")),
	}, tapKeys(`.fm-dock .osk-digits`, "backspace", "backspace", "backspace", "0", "0", "1", "1", "9", "0", "0", "1", "2", "3", "4", "5")...),
		chromedp.WaitNotVisible(chromedp.CSS(id+" .fm-error")),
	)...))

	// The date: day, month, decade and year, each a big button.
	date := `.fm-field[data-field="child_birth_date"]`
	must(t, "choose the birth date", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(date+" .fm-date-open")),
		chromedp.WaitVisible(chromedp.CSS(date+` button[data-day="15"]`)),
		chromedp.Click(chromedp.CSS(date+` button[data-day="15"]`)),
		chromedp.Click(chromedp.CSS(date+` button[data-month="6"]`)),
		chromedp.Click(chromedp.CSS(date+` button[data-decade="2020"]`)),
		chromedp.Click(chromedp.CSS(date+` button[data-year="2025"]`)),
		chromedp.Poll[chromedp.Void](`window.fv.values().child_birth_date === '2025-06-15'`, chromedp.WithPollingTimeout(2*time.Second)),
	))
	if y, _ := chromedp.Run(page, chromedp.Evaluate[string](`document.activeElement.dataset.year || ''`)); y != "2025" {
		t.Errorf("after choosing the year the key focus is on %q, want the year's button", y)
	}
	checkTargets(t, page, "form, date picker open")
	assertAccessible(t, page, "form, date picker open")
	words, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`.fm-field[data-field="child_birth_date_words"] output`)))
	must(t, "read the date in words", err)
	if words != "Ngày mười lăm tháng sáu năm hai nghìn không trăm hai mươi lăm" {
		t.Errorf("date in words %q", words)
	}
	must(t, "close the picker", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(date+" .fm-date-done")),
		chromedp.WaitNotVisible(chromedp.CSS(date+" .fm-date-panel")),
	))
	shown, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(date+" .fm-date-open")))
	must(t, "read the date", err)
	if !strings.Contains(shown, "15/06/2025") {
		t.Errorf("date button shows %q", shown)
	}

	// Sending with fields missing: every message, and the same as the server's.
	errs, err := chromedp.Run(page, chromedp.Evaluate[[]string](`window.fv.check({all: true}).then((e) => e.map((x) => x.field + ':' + x.code))`, chromedp.EvalAwaitPromise))
	must(t, "check all", err)
	want := []string{"applicant_relation:required", "child_sex:required", "child_ethnicity:required", "child_nationality:required", "child_birth_place:required"}
	if !slices.Equal(errs, want) {
		t.Errorf("errors %q, want %q", errs, want)
	}
	must(t, "see the messages", chromedp.Do(page,
		chromedp.WaitVisible(chromedp.CSS(`.fm-field[data-field="child_sex"] .fm-error`)),
		chromedp.WaitVisible(chromedp.CSS(`.fm-summary`)),
	))
	assertAccessible(t, page, "form, send tried with fields missing")
	must(t, "choose the sex and the copies", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="child_sex"] input[value="M"]`)),
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="copies_wanted"] input[value="yes"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`.fm-field[data-field="child_sex"] .fm-error`)),
	))
	checkTargets(t, page, "form, choices made")
	var filled forms.Filled
	raw, err := chromedp.Run(page, chromedp.Evaluate[string](`JSON.stringify(window.fv.filled())`))
	must(t, "read the filled form", err)
	must(t, "decode the filled form", json.Unmarshal([]byte(raw), &filled))
	for k, v := range map[string]string{"applicant_name": "NGUYỄN THỊ THUỲ DƯƠNG", "applicant_id_number": "001190012345", "child_name": "Nguyễn Minh Khôi",
		"child_birth_date": "2025-06-15", "child_sex": "M", "copies_wanted": "yes"} {
		if filled.Values[k] != v {
			t.Errorf("filled %s = %q, want %q", k, filled.Values[k], v)
		}
	}
	if filled.Sources["applicant_name"] != "card" || filled.Sources["applicant_address"] != "card" || filled.Sources["applicant_id_number"] != "" {
		t.Errorf("sources %v: want the card's untouched values only", filled.Sources)
	}
	must(t, "scroll to the top", chromedp.Do(page, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)))
	saveScreenshot(t, page, "form-renderer.png")

	// The page's rules and the server's (forms.Validate) find the same
	// faults, value by value.
	today := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	def, _ := forms.Default().Form("khai-sinh")
	for _, c := range []map[string]string{
		filled.Values,
		{"applicant_name": "Nguyễn Văn 3", "applicant_id_number": "999190012345", "child_birth_date": "2025-02-30", "mother_birth_year": "2030",
			"copies": "0", "child_sex": "X", "copies_wanted": "maybe", "applicant_phone": "0123", "father_birth_year": "19x0", "nonsense": "x"},
		{"applicant_name": "Lê Thị Hoà", "applicant_id_number": "079305000001", "child_birth_date": "2027-01-01", "copies": "12", "applicant_phone": "024 3825 1234",
			"child_sex": "Nữ", "applicant_relation": "mẹ", "child_ethnicity": "Kinh", "child_nationality": "Việt Nam", "child_birth_place": "Hà Nội", "applicant_address": "Hà Nội"},
	} {
		in, _ := json.Marshal(c)
		got, err := chromedp.Run(page, chromedp.Evaluate[[]string](fmt.Sprintf(`import('/assets/forms.js').then((m) => m.validate(window.fv.form, %s, '2026-12-05').map((e) => e.field + ':' + e.code))`, in), chromedp.EvalAwaitPromise))
		must(t, "validate in the page", err)
		f := forms.Filled{Procedure: "khai-sinh", Values: maps.Clone(c)}
		var server []string
		for _, e := range def.Validate(&f, today) {
			server = append(server, e.Field+":"+e.Code)
		}
		if _, spoilt := c["nonsense"]; spoilt && len(server) < 9 {
			t.Errorf("values %s: the server finds only %q", in, server)
		}
		slices.Sort(got)
		slices.Sort(server)
		if !slices.Equal(got, server) {
			t.Errorf("values %s:\n page finds %q\n server finds %q", in, got, server)
		}
	}
}

// noStray fails the test when the element sel shows a "null" or an
// "undefined" (a value a script forgot to leave out).
func noStray(t *testing.T, page context.Context, sel, where string) {
	t.Helper()
	text, err := chromedp.Run(page, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel)))
	must(t, where+": read "+sel, err)
	if strings.Contains(text, "null") || strings.Contains(text, "undefined") {
		t.Errorf("%s: %s shows a null or an undefined: %q", where, sel, text)
	}
}

// TestEveryFormDrawsInChromium draws every procedure's form on a kiosk
// and on a phone: no script error, nothing written as null, every field
// drawn once, the kiosk's targets at least 15 mm, and axe finds nothing.
func TestEveryFormDrawsInChromium(t *testing.T) {
	base := formPage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "forms")
	all := forms.Default().Forms()
	if len(all) < 6 {
		t.Fatalf("%d forms, want the catalogue's six at least", len(all))
	}
	for _, f := range all {
		fields := 0
		for _, s := range f.Sections {
			fields += len(s.Fields)
		}
		for _, kiosk := range []bool{true, false} {
			where := fmt.Sprintf("%s, kiosk %v", f.Procedure, kiosk)
			width, height := 1080, 1920
			if !kiosk {
				width, height = 360, 740
			}
			must(t, where+": draw", chromedp.Do(page,
				chromedp.EmulateViewport(int64(width), int64(height)),
				chromedp.Navigate(base+"/form.html"),
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`import('/assets/forms.js').then((m) => {
					window.fv = new m.FormView(%s, {kiosk: %v});
					document.getElementById('box').append(window.fv.element);
				})`, formJSON(t, f.Procedure), kiosk), chromedp.EvalAwaitPromise),
				chromedp.WaitVisible(chromedp.CSS(".fm-section")),
			))
			n, err := chromedp.Run(page, chromedp.Evaluate[int](`document.querySelectorAll('.fm-field').length`))
			must(t, where+": count the fields", err)
			if n != fields {
				t.Errorf("%s: %d fields drawn, want %d", where, n, fields)
			}
			noStray(t, page, ".fm", where)
			if kiosk {
				checkTargets(t, page, where)
			}
			assertAccessible(t, page, where)
		}
	}
}

// TestPrefillAsTheServer: the page's prefill (assets/forms.js) gives
// every form the values forms.Prefill gives it, for a woman's and a man's
// card and for a booking (no sex, no birth date), dates in words aside
// (the renderer writes them from their date).
func TestPrefillAsTheServer(t *testing.T) {
	base := formPage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "prefill")
	must(t, "open a page", chromedp.Do(page, chromedp.Navigate(base+"/form.html")))
	today := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	people := []forms.Person{
		{IDNumber: "001190012345", OldIDNumber: "012345678", Name: "NGUYỄN THỊ THUỲ DƯƠNG", BirthDate: "1990-03-12", Sex: "F",
			Address: "Số 5 phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội", IssueDate: "2021-06-01", ExpiryDate: "2030-03-12"},
		{IDNumber: "079095000001", Name: "Trần Văn Đức", BirthDate: "1995-01-01", Sex: "M", Address: "Quận 1, TP. Hồ Chí Minh"},
		{IDNumber: "001090000123", Name: "Nguyễn Văn Thành", Phone: "0912345678"},
	}
	for _, f := range forms.Default().Forms() {
		for _, p := range people {
			want := f.Prefill(p, "card", today)
			for _, sec := range f.Sections {
				for _, fd := range sec.Fields {
					if fd.Type == "date_words" {
						delete(want, fd.Name)
					}
				}
			}
			person, _ := json.Marshal(map[string]string{"id_number": p.IDNumber, "old_id_number": p.OldIDNumber, "name": p.Name, "birth_date": p.BirthDate,
				"sex": p.Sex, "address": p.Address, "issue_date": p.IssueDate, "expiry_date": p.ExpiryDate, "phone": p.Phone})
			got, err := chromedp.Run(page, chromedp.Evaluate[map[string]string](fmt.Sprintf(`import('/assets/forms.js').then((m) => m.prefill(%s, %s, '2026-12-05'))`,
				formJSON(t, f.Procedure), person), chromedp.EvalAwaitPromise))
			must(t, "prefill in the page", err)
			if !maps.Equal(got, want) {
				t.Errorf("%s, %s: the page fills\n %v\nthe server\n %v", f.Procedure, p.Name, got, want)
			}
		}
	}
}
