package ui_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/apiv1"
)

// TestKioskFormInChromium: at a real kioskd, a citizen chooses "Điền tờ
// khai", the birth registration, and taps the ID card: the form opens
// with the card's name, ID number and address, marked; the rest is typed
// on the on-screen Telex keyboard (Vietnamese, NFC) and the date picker;
// a wrong ID number gets kioskd's message as it is typed and loses it once
// cleared; "Lấy số kèm tờ khai" prints a number, and the counter console
// shows the form with the ticket. axe and the 15 mm targets on each screen.
func TestKioskFormInChromium(t *testing.T) {
	// kioskd is built first: on a busy machine with a cold cache that alone
	// takes a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	ks := startKioskScreen(t, ctx)
	kiosk := ks.tab
	do := ks.stepper(t, `status: document.getElementById('form-status')?.textContent,
		errors: [...document.querySelectorAll('.fm-error:not([hidden])')].map((e) => e.closest('.fm-field').dataset.field + ': ' + e.textContent)`)
	do("choose the birth registration's form",
		chromedp.WaitVisible(chromedp.CSS(`[data-start="form"]`)),
		chromedp.Click(chromedp.CSS(`[data-start="form"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#s-form-choose-procedure button[data-procedure="khai-sinh"]`)),
	)
	checkTargets(t, kiosk, "kiosk forms, choose a procedure")
	noStray(t, kiosk, "#s-form-choose-procedure", "kiosk forms")
	assertAccessible(t, kiosk, "kiosk forms, choose a procedure")
	do("open it", chromedp.Click(chromedp.CSS(`#s-form-choose-procedure button[data-procedure="khai-sinh"]`)),
		chromedp.WaitVisible(chromedp.ID("form-by-hand")))
	checkTargets(t, kiosk, "kiosk forms, put the card")
	noStray(t, kiosk, "#s-form-card", "kiosk forms")
	assertAccessible(t, kiosk, "kiosk forms, put the card")
	saveScreenshot(t, kiosk, "kiosk-form-card.png")

	// The card is tapped: the form opens filled.
	do("tap the card",
		chromedp.Click(chromedp.CSS(`#demo button[data-card="adult"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#s-form-fill .fm-field[data-field="child_name"] input`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#s-form-fill .fm-field[data-field="applicant_name"] input').value !== ''`),
	)
	value := func(field string) string {
		t.Helper()
		v, err := chromedp.Run(kiosk, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const v = document.querySelector('#s-form-fill .fm-field[data-field=%q] input').value; return v === v.normalize('NFC') ? v : 'not NFC: ' + v; })()`, field)))
		must(t, "read "+field, err)
		return v
	}
	for k, want := range map[string]string{"applicant_name": "Nguyễn Văn An", "applicant_id_number": "001095012345", "applicant_address": "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội"} {
		if v := value(k); v != want {
			t.Errorf("%s = %q, want the card's %q", k, v, want)
		}
	}
	marks, err := chromedp.Run(kiosk, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#s-form-fill .fm-source:not([hidden])')].map((m) => m.closest('.fm-field').dataset.field + ':' + m.textContent)`))
	must(t, "read the marks", err)
	if strings.Join(marks, " ") != "applicant_name:từ thẻ CCCD applicant_id_number:từ thẻ CCCD applicant_address:từ thẻ CCCD" {
		t.Errorf("marks %q", marks)
	}
	checkTargets(t, kiosk, "kiosk form, filled from the card")
	noStray(t, kiosk, "#s-form-fill", "kiosk forms")
	assertAccessible(t, kiosk, "kiosk form, filled from the card")

	// typeInto taps keys into a field on its on-screen keyboard.
	typeInto := func(field, want string, keys ...string) {
		t.Helper()
		sel := fmt.Sprintf(`#s-form-fill .fm-field[data-field=%q] input`, field)
		err := chromedp.Do(kiosk, append(append([]chromedp.Action[chromedp.Void]{
			// Above the keyboard docked at the bottom, as a citizen scrolls to it.
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: 'center'})`, sel)),
			chromedp.Click(chromedp.CSS(sel)),
			chromedp.WaitVisible(chromedp.CSS(`#s-form-fill .fm-dock`)),
		}, tapKeys(`#s-form-fill .fm-dock .osk:not([hidden])`, keys...)...),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value === %q`, sel, want), chromedp.WithPollingTimeout(3*time.Second)))...)
		if err != nil {
			t.Fatalf("%s: %v: typed %q, want %q", field, err, value(field), want)
		}
	}
	typeInto("applicant_relation", "cha", "c", "h", "a")
	typeInto("child_name", "Nguyễn Minh Khôi", "n", "g", "u", "y", "e", "e", "n", "x", "space", "m", "i", "n", "h", "space", "k", "h", "o", "o", "i")
	assertAccessible(t, kiosk, "kiosk form, typing on the Telex keyboard")
	saveScreenshot(t, kiosk, "kiosk-form-keyboard.png")
	// The applicant's name changed by hand, then the card tapped again: the
	// card's values come back, marked; what was typed elsewhere stays.
	do("change the name and tap the card again",
		chromedp.Evaluate[chromedp.Void](`(() => { const i = document.querySelector('#s-form-fill .fm-field[data-field="applicant_name"] input'); i.value = 'Nguyễn Văn'; i.dispatchEvent(new Event('input')); })()`),
		chromedp.WaitNotVisible(chromedp.CSS(`#s-form-fill .fm-field[data-field="applicant_name"] .fm-source`)),
		chromedp.Click(chromedp.CSS(`#demo button[data-card="adult"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#s-form-fill .fm-field[data-field="applicant_name"] .fm-source`)),
	)
	if v := value("applicant_name"); v != "Nguyễn Văn An" {
		t.Errorf("after the card again, applicant_name = %q", v)
	}
	if v := value("child_name"); v != "Nguyễn Minh Khôi" {
		t.Errorf("after the card again, child_name = %q", v)
	}
	typeInto("child_ethnicity", "Kinh", "shift", "k", "i", "n", "h")
	typeInto("child_nationality", "Việt Nam", "shift", "v", "i", "e", "e", "t", "j", "space", "shift", "n", "a", "m")
	typeInto("child_birth_place", "Hà Nội", "shift", "h", "a", "f", "space", "shift", "n", "o", "o", "i", "j")

	// kioskd's check as it is typed: a wrong ID number of the mother.
	mother := `#s-form-fill .fm-field[data-field="mother_id_number"]`
	typeInto("mother_id_number", "999", "9", "9", "9")
	do("leave the field", chromedp.Click(chromedp.CSS(`#s-form-fill .fm-dock .osk-digits button[data-key="done"]`)),
		chromedp.WaitVisible(chromedp.CSS(mother+" .fm-error")))
	msg, err := chromedp.Run(kiosk, chromedp.Text(chromedp.CSS(mother+" .fm-error")))
	must(t, "read kioskd's message", err)
	if !strings.Contains(msg, "12 chữ số") {
		t.Errorf("the mother's ID number: message %q", msg)
	}
	checkTargets(t, kiosk, "kiosk form, a message")
	assertAccessible(t, kiosk, "kiosk form, a message")
	typeInto("mother_id_number", "", "backspace", "backspace", "backspace")
	do("the message goes", chromedp.WaitNotVisible(chromedp.CSS(mother+" .fm-error")))

	// The date and the sex.
	date := `#s-form-fill .fm-field[data-field="child_birth_date"]`
	do("choose the birth date",
		chromedp.Click(chromedp.CSS(date+" .fm-date-open")),
		chromedp.Click(chromedp.CSS(date+` button[data-day="2"]`)),
		chromedp.Click(chromedp.CSS(date+` button[data-month="6"]`)),
		chromedp.Click(chromedp.CSS(date+` button[data-decade="2020"]`)),
		chromedp.Click(chromedp.CSS(date+` button[data-year="2025"]`)),
	)
	checkTargets(t, kiosk, "kiosk form, the date picker")
	assertAccessible(t, kiosk, "kiosk form, the date picker")
	saveScreenshot(t, kiosk, "kiosk-form-date.png")
	do("close the picker and choose the sex",
		chromedp.Click(chromedp.CSS(date+" .fm-date-done")),
		chromedp.Click(chromedp.CSS(`#s-form-fill .fm-field[data-field="child_sex"] input[value="M"]`)),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('form-ticket').scrollIntoView({block: 'center'})`),
	)
	if n, _ := chromedp.Run(kiosk, chromedp.Evaluate[int](`document.querySelectorAll('#s-form-fill .fm-error:not([hidden])').length`)); n != 0 {
		t.Errorf("%d messages left on a complete form", n)
	}
	assertAccessible(t, kiosk, "kiosk form, complete")
	do("turn the kiosk to landscape", chromedp.EmulateViewport(1920, 1080))
	checkTargets(t, kiosk, "kiosk form, landscape")
	assertAccessible(t, kiosk, "kiosk form, landscape")
	do("back to portrait", chromedp.EmulateViewport(1080, 1920))
	// In English: the screen's words change, the form and what was typed stay.
	do("switch to English",
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.getElementById('form-print').textContent === 'Print the form' && document.querySelector('#s-form-fill .fm-field[data-field="applicant_name"] .fm-source').textContent === 'from the ID card'`),
	)
	if v := value("child_name"); v != "Nguyễn Minh Khôi" {
		t.Errorf("in English, child_name = %q", v)
	}
	assertAccessible(t, kiosk, "kiosk form, in English")
	do("back to Vietnamese",
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.getElementById('form-print').textContent === 'In tờ khai'`),
	)

	// Printed on the A4 printer (kioskd -simulate keeps each job as a PDF).
	do("print the form",
		chromedp.Click(chromedp.ID("form-print")),
		chromedp.Poll[chromedp.Void](`document.getElementById('form-status').textContent.startsWith('Đã in tờ khai')`, chromedp.WithPollingTimeout(20*time.Second)),
	)
	jobs, _ := filepath.Glob(filepath.Join(ks.k.data, "sim", "a4", "*.pdf"))
	if len(jobs) != 1 {
		t.Fatalf("the A4 printer has %d jobs, want 1", len(jobs))
	}
	out, err := exec.CommandContext(ctx, "pdftotext", "-enc", "UTF-8", jobs[0], "-").Output()
	must(t, "pdftotext the printed form", err)
	printed := norm.NFC.String(string(out))
	for _, want := range []string{"TỜ KHAI ĐĂNG KÝ KHAI SINH", "Nguyễn Văn An", "001095012345", "Nguyễn Minh Khôi", "02/06/2025", "Việt Nam", "Hà Nội"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the printed form lacks %q", want)
		}
	}
	assertAccessible(t, kiosk, "kiosk form, printed")

	// A number with the form.
	do("take a number with the form",
		chromedp.Click(chromedp.ID("form-ticket")),
		chromedp.WaitVisible(chromedp.ID("s-printed")),
		chromedp.Poll[chromedp.Void](`document.getElementById('number').textContent !== ''`),
	)
	number, err := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("number")))
	must(t, "read the number", err)
	if note, _ := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("form-printed"))); !strings.Contains(note, "gửi tới quầy") {
		t.Errorf("the printed screen says %q of the form", note)
	}
	assertAccessible(t, kiosk, "kiosk, a number with the form")
	// Home: nothing of this citizen stays on the page.
	do("go home",
		// The printed number goes home by itself after 20 s: the button only if it is still there.
		chromedp.Evaluate[chromedp.Void](`document.getElementById('home-btn').hidden || document.getElementById('home-btn').click()`),
		chromedp.WaitVisible(chromedp.ID("s-home")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#s-form-fill input, #s-form-fill .fm').length === 0`),
	)
	if left, _ := chromedp.Run(kiosk, chromedp.Evaluate[bool](`['Nguyễn Minh Khôi', 'Nguyễn Văn An', '001095012345'].some((s) => document.body.innerHTML.includes(s))`)); left {
		t.Error("the citizen's values stay in the kiosk's page after going home")
	}

	// The next citizen fills by hand, then taps the card on the form itself.
	do("fill by hand",
		chromedp.Click(chromedp.CSS(`[data-start="form"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#s-form-choose-procedure button[data-procedure="khai-sinh"]`)),
		chromedp.Click(chromedp.CSS(`#s-form-choose-procedure button[data-procedure="khai-sinh"]`)),
		chromedp.WaitVisible(chromedp.ID("form-by-hand")),
		chromedp.Click(chromedp.ID("form-by-hand")),
		chromedp.WaitVisible(chromedp.CSS(`#s-form-fill .fm-field[data-field="applicant_name"] input`)),
	)
	if v := value("applicant_name"); v != "" {
		t.Errorf("by hand, applicant_name = %q before any card", v)
	}
	if note, _ := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("form-card-note"))); !strings.Contains(note, "bất cứ lúc nào") {
		t.Errorf("by hand, the card note says %q", note)
	}
	do("tap the card on the form",
		chromedp.Click(chromedp.CSS(`#demo button[data-card="adult"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#s-form-fill .fm-field[data-field="applicant_name"] input').value === 'Nguyễn Văn An'`),
		chromedp.WaitVisible(chromedp.CSS(`#s-form-fill .fm-field[data-field="applicant_name"] .fm-source`)),
	)
	assertAccessible(t, kiosk, "kiosk form, by hand then the card")

	staff := apiv1.NewClient(ks.base)
	must(t, "sign in the clerk", staff.Login(ctx, clerk, password))
	var ticketID string
	for deadline := time.Now().Add(10 * time.Second); ticketID == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		list, err := staff.Tickets(ctx, ks.centre.ID, false)
		must(t, "list the tickets", err)
		for _, tk := range list {
			if tk.Number == number && tk.Dossier != nil && tk.Dossier.Form {
				ticketID = tk.ID
			}
		}
	}
	if ticketID == "" {
		t.Fatalf("ticket %s has no form on the server", number)
	}
	form, err := staff.TicketForm(ctx, ticketID)
	must(t, "read the ticket's form", err)
	for k, v := range map[string]string{"applicant_name": "Nguyễn Văn An", "child_name": "Nguyễn Minh Khôi", "child_nationality": "Việt Nam", "child_birth_place": "Hà Nội", "child_birth_date": "2025-06-02", "child_sex": "M"} {
		if form.Values[k] != v {
			t.Errorf("the ticket's form: %s = %q, want %q", k, form.Values[k], v)
		}
	}
	if form.Sources["applicant_name"] != "card" {
		t.Errorf("the ticket's form sources %v", form.Sources)
	}

	// The counter calls it and sees the form.
	console := tab(t, kiosk, ks.logs, "counter")
	must(t, "call it at the counter", chromedp.Do(console, append(atCounter(ks.base, clerk, 5, 1),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!!document.querySelector('#waiting li[data-number=%q]')`, number)),
		chromedp.Click(chromedp.ID("btn-next")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, number)),
		chromedp.WaitVisible(chromedp.ID("dossier")),
		chromedp.Poll[chromedp.Void](`(document.querySelector('#dossier-form-values tr[data-field="child_name"]') || {}).textContent?.includes('Nguyễn Minh Khôi')`),
	)...))
	assertAccessible(t, console, "counter, the kiosk's form")
}
