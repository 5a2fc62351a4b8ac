package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
)

// TestBookingFormInChromium: after booking on a phone, the citizen fills
// the procedure's form at home ("Điền tờ khai trước"): the booking's name,
// ID number and phone are in, marked; a required field left empty is said
// before anything is sent; a value the page lets through but the server
// refuses (an invisible character pasted in) comes back with the server's
// message on its field (422); once right, the form is kept with the
// booking, and staff read it. axe checks each state.
func TestBookingFormInChromium(t *testing.T) {
	base, centre := startBookingServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	staff := apiv1.NewClient(base)
	must(t, "sign in the clerk", staff.Login(ctx, clerk, password))
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "booking")
	loc, err := time.LoadLocation(centre.Timezone)
	must(t, "load the centre's time zone", err)
	day := time.Now().In(loc).AddDate(0, 0, 1).Format(time.DateOnly)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(page, actions...); err != nil {
			state, _ := chromedp.Run(page, chromedp.Evaluate[string](`JSON.stringify({step: [...document.querySelectorAll('.step')].filter((s) => !s.hidden).map((s) => s.id),
				error: document.getElementById('error').textContent, status: document.getElementById('form-status').textContent,
				errors: [...document.querySelectorAll('.fm-error:not([hidden])')].map((e) => e.textContent)})`))
			t.Fatalf("%s: %v\npage: %s", what, err, state)
		}
	}
	do("book",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/?centre="+centre.ID),
		chromedp.WaitVisible(chromedp.CSS(`#services button[data-service="A"]`)),
		chromedp.Click(chromedp.CSS(`#services button[data-service="A"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#dates button[data-date=%q]`, day))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#dates button[data-date=%q]`, day))),
		chromedp.WaitVisible(chromedp.CSS(`#slots button.slot:not(:disabled)`)),
		chromedp.Click(chromedp.CSS(`#slots button.slot:not(:disabled)`)),
		chromedp.WaitVisible(chromedp.ID("id-number")),
		chromedp.SendKeys(chromedp.ID("id-number"), "001090000123"),
		chromedp.SendKeys(chromedp.ID("full-name"), "Nguyễn Văn Thành"),
		chromedp.SendKeys(chromedp.ID("phone"), "0912 345 678"),
		chromedp.Click(chromedp.ID("book-submit")),
		chromedp.WaitVisible(chromedp.ID("done-code")),
		chromedp.WaitVisible(chromedp.ID("done-form")),
	)
	shown, err := chromedp.Run(page, chromedp.Text(chromedp.ID("done-code")))
	must(t, "read the code", err)
	code := strings.ReplaceAll(shown, "-", "")
	assertAccessible(t, page, "booking done, the form offered")

	do("open the form",
		chromedp.Click(chromedp.ID("done-form")),
		chromedp.WaitVisible(chromedp.ID("form-procedure")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#form-procedure option').length === 7`),
		chromedp.SetValue(chromedp.ID("form-procedure"), "khai-sinh"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('form-procedure').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(chromedp.CSS(`.fm-field[data-field="child_name"] input`)),
	)
	value := func(field string) string {
		t.Helper()
		v, err := chromedp.Run(page, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('.fm-field[data-field=%q] input').value`, field)))
		must(t, "read "+field, err)
		return v
	}
	if v := value("applicant_name"); v != "Nguyễn Văn Thành" {
		t.Errorf("applicant_name %q, want the booking's name", v)
	}
	if v := value("applicant_id_number"); v != "001090000123" {
		t.Errorf("applicant_id_number %q", v)
	}
	if v := value("applicant_phone"); v != "0912 345 678" {
		t.Errorf("applicant_phone %q", v)
	}
	marks, err := chromedp.Run(page, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.fm-source:not([hidden])')].map((m) => m.textContent)`))
	must(t, "read the marks", err)
	if len(marks) != 3 || marks[0] != "từ lịch hẹn" {
		t.Errorf("marks %q, want three from the booking", marks)
	}
	noStray(t, page, "#step-form", "booking form, prefilled")
	assertAccessible(t, page, "booking form, prefilled")

	field := func(name string) chromedp.CSS {
		return chromedp.CSS(fmt.Sprintf(`.fm-field[data-field=%q] input`, name))
	}
	do("fill the form but the birth place",
		chromedp.SendKeys(field("applicant_address"), "Số 12 ngõ 5 phố Huế, phường Hai Bà Trưng, Hà Nội"),
		chromedp.SendKeys(field("applicant_relation"), "cha"),
		chromedp.SendKeys(field("child_name"), "Nguyễn Thị Hoà"),
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="child_birth_date"] .fm-date-open`)),
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="child_birth_date"] button[data-day="21"]`)),
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="child_birth_date"] button[data-month="4"]`)),
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="child_birth_date"] button[data-decade="2020"]`)),
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="child_birth_date"] button[data-year="2024"]`)),
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="child_birth_date"] .fm-date-done`)),
		chromedp.Click(chromedp.CSS(`.fm-field[data-field="child_sex"] input[value="F"]`)),
		chromedp.SendKeys(field("child_ethnicity"), "Kinh"),
		chromedp.SendKeys(field("child_nationality"), "Việt Nam"),
		chromedp.Click(chromedp.ID("form-save")),
		chromedp.WaitVisible(chromedp.CSS(`.fm-field[data-field="child_birth_place"] .fm-error`)),
	)
	if words, _ := chromedp.Run(page, chromedp.Text(chromedp.CSS(`.fm-field[data-field="child_birth_date_words"] output`))); words != "Ngày hai mươi mốt tháng tư năm hai nghìn không trăm hai mươi bốn" {
		t.Errorf("date in words %q", words)
	}
	focused, err := chromedp.Run(page, chromedp.Evaluate[string](`document.activeElement.closest('.fm-field')?.dataset.field || ''`))
	must(t, "read the focus", err)
	if focused != "child_birth_place" {
		t.Errorf("focus on %q, want the field to fill", focused)
	}
	assertAccessible(t, page, "booking form, a required field empty")
	if _, err := staff.BookingForm(ctx, code, ""); err == nil {
		t.Error("a form was sent with a required field empty")
	}

	// A zero-width space pasted into the ethnicity: the server's word.
	logs.expectRefusal("/api/v1/bookings/" + code + "/form")
	do("send a value the server refuses",
		chromedp.SendKeys(field("child_birth_place"), "Bệnh viện Bạch Mai, Hà Nội"),
		chromedp.Evaluate[chromedp.Void](`(() => { const i = document.querySelector('.fm-field[data-field="child_ethnicity"] input'); i.value = 'Ki\u200bnh'; i.dispatchEvent(new Event('input')); })()`),
		chromedp.Click(chromedp.ID("form-save")),
		chromedp.WaitVisible(chromedp.CSS(`.fm-field[data-field="child_ethnicity"] .fm-error`)),
	)
	msg, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`.fm-field[data-field="child_ethnicity"] .fm-error`)))
	must(t, "read the server's message", err)
	if msg == "" || !strings.ContainsAny(msg, "ýẩịứ") {
		t.Errorf("the server's message on the field: %q", msg)
	}
	assertAccessible(t, page, "booking form, refused by the server")
	do("correct and save",
		chromedp.Evaluate[chromedp.Void](`(() => { const i = document.querySelector('.fm-field[data-field="child_ethnicity"] input'); i.value = 'Kinh'; i.dispatchEvent(new Event('input')); })()`),
		chromedp.Click(chromedp.ID("form-save")),
		chromedp.Poll[chromedp.Void](`document.getElementById('form-status').dataset.key === 'bform.saved'`),
		chromedp.WaitNotVisible(chromedp.CSS(`.fm-field[data-field="child_ethnicity"] .fm-error`)),
	)
	saved, err := staff.BookingForm(ctx, code, "")
	must(t, "read the booking's form", err)
	for k, v := range map[string]string{"applicant_name": "Nguyễn Văn Thành", "applicant_phone": "0912345678", "child_name": "Nguyễn Thị Hoà",
		"child_birth_date": "2024-04-21", "child_sex": "F", "child_ethnicity": "Kinh", "child_birth_place": "Bệnh viện Bạch Mai, Hà Nội"} {
		if saved.Values[k] != v {
			t.Errorf("kept %s = %q, want %q", k, saved.Values[k], v)
		}
	}
	if saved.Sources["applicant_name"] != "booking" || saved.Sources["applicant_id_number"] != "booking" {
		t.Errorf("kept sources %v", saved.Sources)
	}
	assertAccessible(t, page, "booking form, saved")
	do("in English",
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.getElementById('form-save').textContent === 'Save the form' && document.getElementById('form-status').textContent.startsWith('The form is saved') && document.querySelector('.fm-source:not([hidden])').textContent === 'from the booking'`),
	)
	if v := value("child_name"); v != "Nguyễn Thị Hoà" {
		t.Errorf("in English, child_name = %q", v)
	}
	assertAccessible(t, page, "booking form, in English")
	do("back to Vietnamese", chromedp.Click(chromedp.ID("lang")), chromedp.Poll[chromedp.Void](`document.getElementById('form-save').textContent === 'Lưu tờ khai'`))
	do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	saveScreenshot(t, page, "booking-form.png")
}
