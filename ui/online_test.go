package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// TestOnlineNumberInChromium takes a same-day number on the booking page
// as a citizen does on a phone: a centre outside its online window says
// the hours, a CCCD number the server refuses is marked at its field, the
// page solves the real proof of work, the number is issued and the
// tracking page shows its position and the notification channel asked
// for; a number beyond the citizen's daily limit is refused with the
// limit said.
func TestOnlineNumberInChromium(t *testing.T) {
	needChromium(t)
	centre, err := demo.Centre()
	must(t, "load the demo centre", err)
	storetest.AlwaysOpen(&centre)
	loc, err := time.LoadLocation(centre.Timezone)
	must(t, "load the centre's time zone", err)
	// The centre's clock starts at noon today, inside the default online
	// window (08:00–16:00), whatever the hour the test runs.
	start := time.Now()
	y, m, d := start.In(loc).Date()
	noon := time.Date(y, m, d, 12, 0, 0, 0, loc)
	closed := centre
	closed.ID, closed.Name = "ba-dinh", "Trung tâm Phục vụ hành chính công phường Ba Đình"
	const from, until = "20:00", "21:00"
	closed.Rules.OnlineFrom, closed.Rules.OnlineUntil = from, until
	base := serveWith(t, serveOptions{now: func() time.Time { return noon.Add(time.Since(start)) }}, centre, closed).base

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	staff := apiv1.NewClient(base)
	must(t, "sign in the clerk", staff.Login(ctx, clerk, password))

	allocCtx, cancelAlloc := chromiumAllocator(ctx, t, 360, 740, false)
	defer cancelAlloc()
	var logs consoleLog
	defer logs.check(t)
	page, cancelPage := chromedp.NewContext(allocCtx)
	defer cancelPage()
	logs.watch(page, "online")

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(page, 20*time.Second)
		defer cancel()
		err := chromedp.Do(step, actions...)
		if err == nil {
			return
		}
		state, _ := chromedp.Run(page, chromedp.Evaluate[string](`JSON.stringify({url: location.href,
			error: (document.getElementById('error') || {}).textContent, notice: (document.getElementById('notice') || {}).textContent,
			fields: [...document.querySelectorAll('.field-error:not([hidden])')].map((e) => e.id + ': ' + e.textContent),
			pow: (document.getElementById('on-pow-text') || {}).textContent})`))
		t.Fatalf("%s: %v\npage: %s", what, err, state)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(page, chromedp.TextContent(chromedp.CSS(sel)))
		must(t, "read "+sel, err)
		return s
	}
	// pickCentre chooses a centre in the form's list, as a change by hand does.
	pickCentre := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById('on-centre'); s.value = %q; s.dispatchEvent(new Event('change')); })()`, id))
	}
	serviceOf := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById('on-service'); return s.options.length > 0 && document.getElementById('online-intro').textContent !== '' && (s.value = 'A') === 'A' && document.getElementById('on-centre').value === %q; })()`, id))
	}

	// 1. The tab, on a phone; a centre whose window is closed says its hours.
	logs.expectRefusal("/api/v1/centres/ba-dinh/online-tickets")
	do("open the same-day number form",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#centres button[data-centre="hoan-kiem"]`)),
		chromedp.Click(chromedp.ID("tab-online")),
		chromedp.WaitVisible(chromedp.ID("online-form")),
		chromedp.Poll[chromedp.Void](`new URLSearchParams(location.search).get('online') === '1'`),
		pickCentre("ba-dinh"),
		serviceOf("ba-dinh"),
	)
	if got := text("#online-intro"); !strings.Contains(got, from) || !strings.Contains(got, until) || !strings.Contains(got, "tối đa 2 số") {
		t.Errorf("intro = %q, want the window %s–%s and the limit", got, from, until)
	}
	assertAccessible(t, page, "same-day number, the form")
	const idNumber = "001090000123"
	do("ask outside the window",
		chromedp.SendKeys(chromedp.ID("on-id"), idNumber),
		chromedp.Click(chromedp.ID("online-submit")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if got := text("#error"); !strings.Contains(got, "từ "+from+" đến "+until) {
		t.Errorf("outside the window the page says %q, want the hours %s–%s", got, from, until)
	}
	assertAccessible(t, page, "same-day number, outside the window")

	// 2. A number the server refuses (no such province code) is marked at its field.
	logs.expectRefusal("/api/v1/centres/hoan-kiem/online-tickets")
	do("give a CCCD number of no province",
		pickCentre("hoan-kiem"),
		serviceOf("hoan-kiem"),
		chromedp.SetValue(chromedp.ID("on-id"), "999090000123"),
		chromedp.Click(chromedp.ID("online-submit")),
		chromedp.WaitVisible(chromedp.ID("on-id-err")),
	)
	if got := text("#on-id-err"); !strings.Contains(got, "mã tỉnh") {
		t.Errorf("the refused CCCD number is marked %q", got)
	}
	assertAccessible(t, page, "same-day number, the CCCD number refused")

	// 3. Notifications without consent are not sent.
	do("ask for messages without consent",
		chromedp.SetValue(chromedp.ID("on-id"), idNumber),
		chromedp.SendKeys(chromedp.ID("on-phone"), "0912 345 678"),
		chromedp.Click(chromedp.ID("on-sms")),
		chromedp.Click(chromedp.ID("online-submit")),
		chromedp.WaitVisible(chromedp.ID("on-consent-err")),
	)
	assertAccessible(t, page, "same-day number, consent missing")

	// 4. The citizen already took a number at a kiosk with the card today;
	// the online one is the second of two.
	_, err = staff.Do(ctx, "POST", "/api/v1/centres/"+centre.ID+"/tickets", map[string]any{"service": "B", "citizen": map[string]string{"id_number": idNumber}}, nil)
	must(t, "issue a number identified by the card", err)
	do("take the number",
		chromedp.Click(chromedp.ID("on-consent")),
		chromedp.Click(chromedp.ID("online-submit")),
	)
	// The page goes to the tracking page: wait for it between evaluations.
	for i := 0; ; i++ {
		url, _ := chromedp.Run(page, chromedp.Evaluate[string](`document.readyState === 'complete' && document.getElementById('ticket') && !document.getElementById('ticket').hidden ? location.pathname : ''`))
		if strings.HasPrefix(url, "/track/") {
			break
		}
		if i == 200 {
			t.Fatalf("the page did not go to the tracking page")
		}
		time.Sleep(100 * time.Millisecond)
	}
	do("see the tracking page",
		chromedp.WaitVisible(chromedp.ID("ticket")),
		chromedp.Poll[chromedp.Void](`document.getElementById('notify-state').dataset.channels === 'phone'`),
	)
	id, err := chromedp.Run(page, chromedp.Evaluate[string](`decodeURIComponent(location.pathname.slice('/track/'.length))`))
	must(t, "read the ticket id", err)
	var tk apiv1.TicketView
	_, err = staff.Do(ctx, "GET", "/api/v1/tickets/"+id, nil, &tk)
	must(t, "read the ticket", err)
	if tk.Source != queue.SourceOnline || tk.Service != "A" || tk.Status != queue.StatusWaiting {
		t.Fatalf("the server has %+v", tk)
	}
	if got := text("#number"); got != tk.Number {
		t.Errorf("the tracking page shows %q, the server issued %s", got, tk.Number)
	}
	if got := text("#position"); got != fmt.Sprint(tk.Position-1) && !(tk.Position <= 1 && strings.Contains(got, "tiếp theo")) {
		t.Errorf("position shown %q, the server says %d", got, tk.Position)
	}
	if got := text("#notify-state"); !strings.Contains(got, "Zalo/SMS") {
		t.Errorf("the notifications panel says %q, want Zalo/SMS on", got)
	}
	assertAccessible(t, page, "same-day number, the tracking page")

	// 5. A third number that day is over the limit of two.
	do("ask for a third number",
		chromedp.Navigate(base+"/?online=1"),
		chromedp.WaitVisible(chromedp.ID("online-form")),
		pickCentre("hoan-kiem"),
		serviceOf("hoan-kiem"),
		chromedp.SendKeys(chromedp.ID("on-id"), idNumber),
		chromedp.Click(chromedp.ID("online-submit")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if got := text("#error"); !strings.Contains(got, "đã lấy đủ 2 số") {
		t.Errorf("over the limit the page says %q", got)
	}
	assertAccessible(t, page, "same-day number, over the daily limit")
}
