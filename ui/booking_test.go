package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// startBookingServer runs a real queue-server like startServer, with the
// demo centre open every day 00:00–24:00 (the server keeps the real clock,
// so there are slots whatever the time) and a second centre, so the page
// asks which one.
func startBookingServer(t *testing.T) (base string, centre queue.Centre) {
	t.Helper()
	centre, err := demo.Centre()
	if err != nil {
		t.Fatal(err)
	}
	storetest.AlwaysOpen(&centre)
	centre.Services[0].Papers = []string{"Tờ khai đăng ký khai sinh", "Giấy chứng sinh"}
	other := centre
	other.ID, other.Name = "ba-dinh", "Trung tâm Phục vụ hành chính công phường Ba Đình"
	return serveCentres(t, centre, other), centre
}

// TestBookingPageInChromium books an appointment on the public page the
// way a citizen does on a phone (centre, service, day, time, details, with
// the page solving the real proof of work), meets a slot filled meanwhile,
// then looks the code up, moves it and cancels it; the server agrees at
// each step.
func TestBookingPageInChromium(t *testing.T) {
	needChromium(t)
	base, centre := startBookingServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	staff := apiv1.NewClient(base)
	must(t, "sign in the clerk", staff.Login(ctx, clerk, password))

	allocCtx, cancelAlloc := chromiumAllocator(ctx, t, 360, 740, false)
	defer cancelAlloc()
	var logs consoleLog
	defer logs.check(t)
	page, cancelPage := chromedp.NewContext(allocCtx)
	defer cancelPage()
	logs.watch(page, "booking")

	// do runs actions on the page and, when they fail, says what it shows.
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		err := chromedp.Do(page, actions...)
		if err == nil {
			return
		}
		state, _ := chromedp.Run(page, chromedp.Evaluate[string](`JSON.stringify({url: location.href,
			step: [...document.querySelectorAll('.step')].filter((s) => !s.hidden).map((s) => s.id),
			error: document.getElementById('error').textContent, notice: document.getElementById('notice').textContent,
			pow: document.getElementById('pow-text').textContent, progress: document.getElementById('pow-progress').value})`))
		t.Fatalf("%s: %v\npage: %s", what, err, state)
	}
	shots := os.Getenv("XEPHANG_SCREENSHOTS") == "1"
	shot := func(name string) {
		t.Helper()
		if !shots {
			return
		}
		dir := filepath.Join("..", "docs", "screenshots")
		must(t, "make the screenshot folder", os.MkdirAll(dir, 0o755))
		do("settle", chromedp.Sleep(200*time.Millisecond))
		png, err := chromedp.Run(page, chromedp.CaptureScreenshot())
		must(t, "screenshot "+name, err)
		must(t, "save "+name, os.WriteFile(filepath.Join(dir, name), png, 0o644))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(page, chromedp.TextContent(chromedp.CSS(sel)))
		must(t, "read "+sel, err)
		return s
	}
	// firstFree waits for a bookable slot in box and returns its start.
	firstFree := func(box string) string {
		t.Helper()
		sel := box + ` button.slot:not(:disabled)`
		do("wait for a free slot in "+box, chromedp.WaitVisible(chromedp.CSS(sel)))
		start, err := chromedp.Run(page, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).dataset.start`, sel)))
		must(t, "find a free slot in "+box, err)
		return start
	}
	slotButton := func(box, start string) chromedp.CSS {
		return chromedp.CSS(fmt.Sprintf(`%s button.slot[data-start=%q]`, box, start))
	}

	loc, err := time.LoadLocation(centre.Timezone)
	must(t, "load the centre's time zone", err)
	today := time.Now().In(loc)
	day1 := today.AddDate(0, 0, 1).Format(time.DateOnly)
	day2 := today.AddDate(0, 0, 2).Format(time.DateOnly)

	// 1. Centre → service → day → time, on a phone.
	do("open the booking page",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#centres button[data-centre="hoan-kiem"]`)),
	)
	if got := text("#stepno"); got != "Bước 1/5" {
		t.Errorf("step = %q, want Bước 1/5", got)
	}
	assertAccessible(t, page, "booking, step 1: centre")
	do("choose the centre",
		chromedp.Click(chromedp.CSS(`#centres button[data-centre="hoan-kiem"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#services button[data-service="D"]`)),
	)
	if n, err := chromedp.Run(page, chromedp.Evaluate[int](`document.querySelectorAll('#services button').length`)); err != nil || n != 5 {
		t.Errorf("services shown = %d (%v), want the 5 bookable ones", n, err)
	}
	if got := text("#centre-name"); got != centre.Name {
		t.Errorf("centre name = %q", got)
	}
	assertAccessible(t, page, "booking, step 2: service")
	shot("booking-service.png")
	do("choose a service and tomorrow",
		chromedp.Click(chromedp.CSS(`#services button[data-service="D"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#dates button[data-date=%q]`, day1))),
	)
	if n, err := chromedp.Run(page, chromedp.Evaluate[int](`document.querySelectorAll('#dates button').length`)); err != nil || n != 7 {
		t.Errorf("days shown = %d (%v), want 7 (booking_days)", n, err)
	}
	wantDay := []string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}[today.AddDate(0, 0, 1).Weekday()]
	if got := text(fmt.Sprintf(`#dates button[data-date=%q]`, day1)); !strings.Contains(got, wantDay) || !strings.Contains(got, today.AddDate(0, 0, 1).Format("02/01")) || !strings.Contains(got, "Ngày mai") {
		t.Errorf("tomorrow's button = %q, want %s and the date", got, wantDay)
	}
	assertAccessible(t, page, "booking, step 3: day")
	do("choose tomorrow",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#dates button[data-date=%q]`, day1))),
	)
	first := firstFree("#slots")
	if !strings.HasPrefix(first, day1+"T") || !strings.HasSuffix(first, "+07:00") {
		t.Errorf("slot start %q: want tomorrow in the centre's offset", first)
	}
	assertAccessible(t, page, "booking, step 4: time")
	shot("booking-slot.png")

	// 2. Details. While the citizen types, someone else takes the last place.
	const idNumber, name, phone = "001090000123", "Nguyễn Văn Thành", "0912 345 678"
	do("choose the slot and fill the form",
		chromedp.Click(slotButton("#slots", first)),
		chromedp.WaitVisible(chromedp.ID("id-number")),
		chromedp.SendKeys(chromedp.ID("id-number"), idNumber),
		chromedp.SendKeys(chromedp.ID("full-name"), name),
		chromedp.SendKeys(chromedp.ID("phone"), phone),
		// Messages by Zalo/SMS to that phone, with consent.
		chromedp.Click(chromedp.ID("bk-sms")),
		chromedp.Click(chromedp.ID("bk-consent")),
	)
	if got := text("#privacy"); !strings.Contains(got, "chỉ dùng cho lịch hẹn này") || !strings.Contains(got, "30 ngày") {
		t.Errorf("privacy note = %q", got)
	}
	assertAccessible(t, page, "booking, step 5: details filled")
	var taken apiv1.BookingView
	_, err = staff.Do(ctx, "POST", "/api/v1/centres/"+centre.ID+"/bookings", apiv1.BookRequest{
		Service: "D", Start: first, Citizen: apiv1.CitizenRequest{IDNumber: "001090000456", Name: "Trần Thị Bình", Phone: "0987654321"},
	}, &taken)
	must(t, "fill the slot from the counter", err)
	logs.expectRefusal("/api/v1/centres/" + centre.ID + "/bookings")
	do("submit into a full slot",
		chromedp.Click(chromedp.ID("book-submit")),
		chromedp.Poll[chromedp.Void](`document.getElementById('notice').textContent.includes('vừa hết chỗ')`),
		chromedp.WaitVisible(chromedp.ID("slots")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const b = document.querySelector('#slots button.slot[data-start=%q]'); return b && b.disabled; })()`, first)),
	)
	second := firstFree("#slots")
	if second == first {
		t.Fatalf("the full slot %s is still offered", first)
	}
	assertAccessible(t, page, "booking, the slot just filled")
	do("book the next slot",
		chromedp.Click(slotButton("#slots", second)),
		chromedp.WaitVisible(chromedp.ID("book-submit")),
		chromedp.Click(chromedp.ID("book-submit")),
		chromedp.WaitVisible(chromedp.ID("done-code")),
	)
	shown := text("#done-code")
	if !regexp.MustCompile(`^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$`).MatchString(shown) {
		t.Fatalf("booking code shown as %q, want ABCD-EFGH", shown)
	}
	code := strings.ReplaceAll(shown, "-", "")
	if got := text("#done-facts"); !strings.Contains(got, "Xây dựng") || !strings.Contains(got, second[11:16]) {
		t.Errorf("confirmation facts = %q, want the service and %s", got, second[11:16])
	}
	if got := text("#done-bring"); !strings.Contains(got, "thẻ căn cước") {
		t.Errorf("bring note = %q", got)
	}
	docs, err := chromedp.Run(page, chromedp.Evaluate[string](`Promise.all(['done-pdf', 'done-ics'].map((id) =>
		fetch(document.getElementById(id).href).then((r) => r.status + ' ' + r.headers.get('content-type')))).then((a) => a.join(', '))`, chromedp.EvalAwaitPromise))
	must(t, "fetch the PDF and ICS links", err)
	if !strings.Contains(docs, "200 application/pdf") || !strings.Contains(docs, "200 text/calendar") {
		t.Errorf("document links answer %q", docs)
	}
	if id, _ := chromedp.Run(page, chromedp.Value(chromedp.ID("id-number"))); id != "" {
		t.Errorf("the ID number stays in the form after booking")
	}
	assertAccessible(t, page, "booking, confirmation")
	shot("booking-confirmation.png")

	booking := func() apiv1.BookingView {
		t.Helper()
		var b apiv1.BookingView
		_, err := staff.Do(ctx, "GET", "/api/v1/bookings/"+code, nil, &b)
		must(t, "read the booking", err)
		return b
	}
	b := booking()
	if b.Service != "D" || b.Start != second || b.Status != queue.BookingActive || b.Citizen == nil ||
		b.Citizen.Name != name || b.Citizen.Phone != "0912345678" || b.Citizen.IDMasked != "••••••••••23" {
		t.Fatalf("server has %+v (citizen %+v)", b, b.Citizen)
	}

	// The citizen's choice of notifications reached the server: its audit
	// says which channel, never the number.
	adminClient := apiv1.NewClient(base)
	must(t, "sign in the administrator", adminClient.Login(ctx, admin, password))
	var audit []queue.Audit
	_, err = adminClient.Do(ctx, "GET", "/api/v1/centres/"+centre.ID+"/audit", nil, &audit)
	must(t, "read the audit log", err)
	notified := false
	for _, a := range audit {
		if a.Action == "notify.set" && a.Booking == code && a.Reason == "phone" {
			notified = true
		}
	}
	if !notified {
		t.Errorf("no record of the booking's notifications by phone: %+v", audit)
	}

	// 3. Look it up (from the confirmation), move it to the day after.
	do("look the booking up",
		chromedp.Click(chromedp.ID("done-manage")),
		chromedp.WaitVisible(chromedp.ID("found")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('found-code').dataset.code === %q && document.getElementById('found-status').dataset.status === 'booked'`, code)),
		chromedp.Poll[chromedp.Void](`new URLSearchParams(location.search).get('code') !== null`),
	)
	if got := text("#found-changes"); got != "2 trên 2 lần" {
		t.Errorf("changes left = %q, want 2 trên 2 lần", got)
	}
	assertAccessible(t, page, "booking, looked up")
	do("open the reschedule panel",
		chromedp.Click(chromedp.ID("btn-reschedule")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#rs-dates button[data-date=%q]`, day2))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#rs-dates button[data-date=%q]`, day2))),
	)
	moved := firstFree("#rs-slots")
	assertAccessible(t, page, "booking, reschedule panel")
	do("reschedule",
		chromedp.Click(slotButton("#rs-slots", moved)),
		chromedp.SendKeys(chromedp.ID("rs-id"), idNumber),
		chromedp.Click(chromedp.ID("resched-submit")),
		chromedp.Poll[chromedp.Void](`document.getElementById('notice').textContent.includes('Đã đổi lịch hẹn sang')`),
		chromedp.Poll[chromedp.Void](`document.getElementById('found-changes').dataset.left === '1'`),
		chromedp.WaitNotVisible(chromedp.ID("resched-panel")),
	)
	if got := text("#found-facts"); !strings.Contains(got, moved[11:16]) {
		t.Errorf("after the move the page shows %q, want %s", got, moved[11:16])
	}
	if b := booking(); b.Start != moved || b.Reschedules != 1 || b.Status != queue.BookingActive {
		t.Errorf("after the move the server has start %s, %d changes, %s", b.Start, b.Reschedules, b.Status)
	}
	assertAccessible(t, page, "booking, rescheduled")

	// 4. Cancel it: a wrong number is refused, the right one cancels.
	logs.expectRefusal("/api/v1/bookings/" + code + "/cancel")
	do("cancel with a wrong number",
		chromedp.Click(chromedp.ID("btn-cancel")),
		chromedp.WaitVisible(chromedp.ID("cancel-id")),
		chromedp.SendKeys(chromedp.ID("cancel-id"), "12345"),
		chromedp.Click(chromedp.ID("cancel-submit")),
		chromedp.WaitVisible(chromedp.ID("cancel-id-err")),
		chromedp.SetValue(chromedp.ID("cancel-id"), "001090000999"),
		chromedp.Click(chromedp.ID("cancel-submit")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if got := text("#error"); !strings.Contains(got, "Không có lịch hẹn") {
		t.Errorf("wrong-number error = %q", got)
	}
	assertAccessible(t, page, "booking, cancel refused")
	if b := booking(); b.Status != queue.BookingActive {
		t.Fatalf("a wrong number changed the booking: %s", b.Status)
	}
	do("cancel",
		chromedp.SetValue(chromedp.ID("cancel-id"), idNumber),
		chromedp.Click(chromedp.ID("cancel-submit")),
		chromedp.Poll[chromedp.Void](`document.getElementById('found-status').dataset.status === 'cancelled'`),
		chromedp.Poll[chromedp.Void](`document.getElementById('notice').textContent.includes('Đã hủy lịch hẹn')`),
		chromedp.WaitNotVisible(chromedp.ID("found-actions")),
	)
	if b := booking(); b.Status != queue.BookingCancelled {
		t.Errorf("after cancelling the server has %s", b.Status)
	}
	assertAccessible(t, page, "booking, cancelled")

	// 5. The deep link opens the look-up; English by the switch.
	do("open the deep link and switch to English",
		chromedp.Navigate(base+"/?code="+strings.ToLower(shown)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('found-code').dataset.code === %q && !document.getElementById('found').hidden`, code)),
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.documentElement.lang === 'en' && document.getElementById('found-status').textContent === 'Cancelled'`),
	)
	if got := text("#tab-lookup"); got != "Look up / change / cancel" {
		t.Errorf("English tab = %q", got)
	}
	assertAccessible(t, page, "booking, in English")
	do("back to Vietnamese",
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.documentElement.lang === 'vi'`),
	)
}
