package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// stepper runs actions on a page with a bound per step and, when they
// fail, says what the page shows (state is a JavaScript expression).
func stepper(t *testing.T, page context.Context, state string) func(string, ...chromedp.Action[chromedp.Void]) {
	return func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(page, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			s, _ := chromedp.Run(page, chromedp.Evaluate[string](state))
			t.Fatalf("%s: %v\npage: %s", what, err, s)
		}
	}
}

// TestAdminNotificationsInChromium: an administrator adds a webhook with a
// generated secret (shown once), sends it a test event and reads its
// delivery log, reads the notifications sent per channel and filters
// them, deletes the webhook after confirming, sees no staff alert, and
// closes a day with a message after a confirmation that says how many
// bookings it cancels; the server agrees at each step. The delivery log
// and the notifications are read from the store's outbox (bbolt's).
func TestAdminNotificationsInChromium(t *testing.T) {
	centre, err := demo.Centre()
	must(t, "load the demo centre", err)
	storetest.AlwaysOpen(&centre)
	centre.Rules.OnlineFrom, centre.Rules.OnlineUntil = "00:00", "23:59"
	base := serveWith(t, serveOptions{privateHooks: true}, centre).base
	var hits atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	hookURL := receiver.URL + "/xephang"

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	staff := apiv1.NewClient(base)
	must(t, "sign in the administrator", staff.Login(ctx, admin, password))
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "admin")
	do := stepper(t, page, `JSON.stringify({hash: location.hash, toast: document.getElementById('toast').textContent,
		errors: [...document.querySelectorAll('.alert.error:not([hidden])')].map((e) => e.id + ': ' + e.textContent)})`)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(page, chromedp.TextContent(chromedp.CSS(sel)))
		must(t, "read "+sel, err)
		return s
	}

	// 1. A webhook with two events and a generated secret.
	do("open the webhooks", append(append([]chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base + "/admin/#webhooks"),
	}, signInAt(admin)...),
		chromedp.WaitVisible(chromedp.ID("hook-form")),
		chromedp.WaitVisible(chromedp.ID("hook-empty")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#hook-events input').length === %d`, len(queue.EventTypes))),
	)...)
	assertAccessible(t, page, "admin, webhooks (none)")
	do("fill the webhook form",
		chromedp.SendKeys(chromedp.ID("hook-url"), hookURL),
		chromedp.Click(chromedp.CSS(`#hook-events input[value="ticket.called"]`)),
		chromedp.Click(chromedp.CSS(`#hook-events input[value="alert.raised"]`)),
		chromedp.Click(chromedp.ID("hook-generate")),
	)
	secret, err := chromedp.Run(page, chromedp.Value(chromedp.ID("hook-secret")))
	must(t, "read the secret", err)
	if len(secret) != 43 || strings.ContainsAny(secret, "+/= ") {
		t.Errorf("generated secret %q: want 43 base64url characters", secret)
	}
	do("save the webhook",
		chromedp.Click(chromedp.ID("hook-save")),
		chromedp.WaitVisible(chromedp.ID("hook-created")),
		chromedp.WaitVisible(chromedp.CSS(`#hook-list tr[data-webhook]`)),
	)
	if got := text("#hook-created-secret"); got != secret {
		t.Errorf("secret shown once = %q, want %q", got, secret)
	}
	if v, _ := chromedp.Run(page, chromedp.Value(chromedp.ID("hook-secret"))); v != "" {
		t.Errorf("the secret stays in the form")
	}
	hooks, err := staff.Webhooks(ctx, centre.ID)
	must(t, "list the webhooks", err)
	if len(hooks) != 1 || hooks[0].URL != hookURL || strings.Join(hooks[0].Events, ",") != "ticket.called,alert.raised" || hooks[0].CreatedBy != admin {
		t.Fatalf("server has %+v", hooks)
	}
	if got := text(`#hook-list tr[data-webhook]`); !strings.Contains(got, hookURL) || !strings.Contains(got, "ticket.called, alert.raised") {
		t.Errorf("webhook row = %q", got)
	}
	assertAccessible(t, page, "admin, webhook added")

	// 2. A test event, in its delivery log.
	do("send a test event",
		chromedp.Click(chromedp.CSS(`#hook-list button[data-act="test"]`)),
		chromedp.WaitVisible(chromedp.ID("hook-log")),
		chromedp.WaitVisible(chromedp.CSS(`#hook-log-list tr[data-message]`)),
	)
	if got := text("#hook-log-list"); !strings.Contains(got, "Sự kiện thử") {
		t.Errorf("delivery log = %q, want the test event", got)
	}
	log, err := staff.WebhookDeliveries(ctx, centre.ID, hooks[0].ID, 10)
	must(t, "read the delivery log", err)
	if len(log) != 1 || log[0].Topic != "test" || log[0].Channel != "webhook" {
		t.Errorf("server's delivery log: %+v", log)
	}
	assertAccessible(t, page, "admin, webhook delivery log")

	// 3. Notifications sent: an online number with a phone to tell.
	_, err = staff.OnlineTicket(ctx, centre.ID, apiv1.OnlineTicketRequest{Service: "A",
		Citizen: apiv1.IdentifiedCitizen{IDNumber: "001090000123"}, Notify: &apiv1.NotifyRequest{Consent: true, Phone: "0912345678"}})
	must(t, "take an online number with a phone", err)
	want, err := staff.Messages(ctx, centre.ID, "", "", 100)
	must(t, "read the messages", err)
	do("open the notifications",
		chromedp.Navigate(base+"/admin/#messages"),
		chromedp.WaitVisible(chromedp.CSS(`#msg-summary tr[data-channel="webhook"]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#msg-list tr[data-message]').length === %d`, len(want.Messages))),
	)
	for ch, n := range want.Summary {
		got := text(fmt.Sprintf(`#msg-summary tr[data-channel=%q] td[data-k="pending"]`, ch))
		if got != fmt.Sprint(n.Pending) {
			t.Errorf("pending %s shown %s, server says %d", ch, got, n.Pending)
		}
	}
	if want.Summary["phone"].Pending == 0 {
		t.Errorf("no phone message for the online number: %+v", want)
	}
	if got := text("#msg-list"); !strings.Contains(got, "Zalo/SMS") || strings.Contains(got, "0912345678") {
		t.Errorf("message list = %q: want the phone channel, never the number", got)
	}
	assertAccessible(t, page, "admin, notifications")
	do("show only webhook deliveries",
		chromedp.SetValue(chromedp.ID("msg-channel"), "webhook"),
		chromedp.Click(chromedp.CSS(`#msg-filter button[type="submit"]`)),
		chromedp.Poll[chromedp.Void](`(() => { const r = [...document.querySelectorAll('#msg-list tr[data-message]')]; return r.length === 1 && r[0].dataset.channel === 'webhook'; })()`),
	)
	assertAccessible(t, page, "admin, notifications filtered")

	// 4. Delete the webhook, after confirming.
	do("ask to delete the webhook",
		chromedp.Navigate(base+"/admin/#webhooks"),
		chromedp.WaitVisible(chromedp.CSS(`#hook-list button[data-act="delete"]`)),
		chromedp.Click(chromedp.CSS(`#hook-list button[data-act="delete"]`)),
		chromedp.WaitVisible(chromedp.ID("dlg-confirm")),
	)
	if got := text("#confirm-text"); !strings.Contains(got, hookURL) {
		t.Errorf("confirmation = %q", got)
	}
	assertAccessible(t, page, "admin, delete a webhook?")
	do("delete the webhook",
		chromedp.Click(chromedp.ID("confirm-ok")),
		chromedp.WaitVisible(chromedp.ID("hook-empty")),
	)
	if hooks, err := staff.Webhooks(ctx, centre.ID); err != nil || len(hooks) != 0 {
		t.Errorf("after deleting the server has %+v (%v)", hooks, err)
	}

	// 5. No staff alert.
	do("open the alerts",
		chromedp.Navigate(base+"/admin/#alerts"),
		chromedp.WaitVisible(chromedp.ID("alert-empty")),
	)
	assertAccessible(t, page, "admin, no alerts")

	// 6. Close tomorrow: its one booking is cancelled.
	loc, err := time.LoadLocation(centre.Timezone)
	must(t, "load the centre's time zone", err)
	tomorrow := time.Now().In(loc).AddDate(0, 0, 1)
	day := tomorrow.Format(time.DateOnly)
	var slots []apiv1.SlotView
	_, err = staff.Do(ctx, "GET", "/api/v1/centres/"+centre.ID+"/slots?service=A&date="+day, nil, &slots)
	must(t, "read tomorrow's slots", err)
	if len(slots) == 0 {
		t.Fatalf("no slot tomorrow")
	}
	var booked apiv1.BookingView
	_, err = staff.Do(ctx, "POST", "/api/v1/centres/"+centre.ID+"/bookings", apiv1.BookRequest{
		Service: "A", Start: slots[0].Start, Citizen: apiv1.CitizenRequest{IDNumber: "001090000456", Name: "Trần Thị Bình", Phone: "0987654321"},
	}, &booked)
	must(t, "book tomorrow", err)
	do("ask to close tomorrow",
		chromedp.Navigate(base+"/admin/#closeday"),
		chromedp.WaitVisible(chromedp.ID("close-form")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#close-centre option').length === 1`),
		chromedp.SendKeys(chromedp.ID("close-date"), tomorrow.Format("02/01/2006")),
		chromedp.SendKeys(chromedp.ID("close-message"), "Trung tâm mất điện. Xin lỗi quý vị, vui lòng đặt lịch ngày khác."),
		chromedp.Click(chromedp.ID("close-submit")),
		chromedp.WaitVisible(chromedp.ID("dlg-confirm")),
	)
	if got := text("#confirm-text"); !strings.Contains(got, "1 lịch hẹn") || !strings.Contains(got, tomorrow.Format("02/01/2006")) {
		t.Errorf("confirmation = %q, want 1 booking and the day", got)
	}
	assertAccessible(t, page, "admin, close a day?")
	do("close tomorrow",
		chromedp.Click(chromedp.ID("confirm-ok")),
		chromedp.WaitVisible(chromedp.ID("close-result")),
	)
	if got := text("#close-result"); !strings.Contains(got, "đã huỷ 1 lịch hẹn") {
		t.Errorf("result = %q", got)
	}
	assertAccessible(t, page, "admin, a day closed")
	var after apiv1.BookingView
	_, err = staff.Do(ctx, "GET", "/api/v1/bookings/"+booked.Code, nil, &after)
	must(t, "read the booking", err)
	if after.Status != queue.BookingCancelled {
		t.Errorf("the booking is %s after closing its day", after.Status)
	}
	if hits.Load() != 0 {
		t.Logf("the receiver got %d deliveries (a sender runs)", hits.Load())
	}
}

// TestConsoleAlertsInChromium: a clerk pauses the counter for a planned
// minute; when the pause outlasts it the console and admin show the alert
// the event stream brings, and it goes when the counter resumes. The
// centre's clock is the test's, moved on by two minutes.
func TestConsoleAlertsInChromium(t *testing.T) {
	centre, err := demo.Centre()
	must(t, "load the demo centre", err)
	storetest.AlwaysOpen(&centre)
	var ahead atomic.Int64
	srv := serveWith(t, serveOptions{now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }}, centre)
	base := srv.base
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// due runs what time brings to the centre, as the engine's ticker does every 30 s.
	due := func() {
		t.Helper()
		_, err := srv.eng.Write(ctx, func(tx *engine.Tx) (any, error) {
			l, err := tx.Live(centre.ID)
			if err != nil {
				return nil, err
			}
			l.Due(tx.Now)
			return nil, nil
		})
		must(t, "run what time brings", err)
	}
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "counter")
	do := stepper(t, page, `JSON.stringify({alerts: document.getElementById('staff-alerts').textContent, banner: document.getElementById('banner').textContent,
		error: document.getElementById('error').textContent})`)

	adminPage := tab(t, browser, logs, "admin")
	adminDo := stepper(t, adminPage, `document.getElementById('alert-list').textContent`)
	adminDo("open admin's alerts", append(append([]chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base + "/admin/#alerts"),
	}, signInAt(admin)...),
		chromedp.WaitVisible(chromedp.ID("alert-empty")),
	)...)
	do("open the console", atCounter(base, clerk, len(centre.Counters), 1)...)
	if hidden, _ := chromedp.Run(page, chromedp.Evaluate[bool](`document.getElementById('staff-alerts').hidden`)); !hidden {
		t.Errorf("an alert shows before any")
	}
	do("open the pause dialog",
		chromedp.Click(chromedp.ID("btn-pause")), // the counter opens
		chromedp.Poll[chromedp.Void](`document.getElementById('pause-label').dataset.i18n === 'console.pause'`),
		chromedp.Click(chromedp.ID("btn-pause")),
		chromedp.WaitVisible(chromedp.ID("pause-minutes")),
	)
	assertAccessible(t, page, "console, pause with planned minutes")
	do("pause for a minute",
		chromedp.SendKeys(chromedp.ID("pause-minutes"), "1"),
		chromedp.Click(chromedp.CSS(`#pause-form button[type="submit"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('pause-label').dataset.i18n === 'console.resume'`),
	)
	ahead.Store(int64(2 * time.Minute))
	due()
	do("see the alert",
		chromedp.WaitVisible(chromedp.CSS(`#staff-alert-list li[data-kind="pause"][data-counter="1"]`)),
	)
	if got, _ := chromedp.Run(page, chromedp.TextContent(chromedp.ID("staff-alert-list"))); !strings.Contains(got, "tạm dừng") || !strings.Contains(got, "2 phút") {
		t.Errorf("alert = %q, want the pause of 2 minutes", got)
	}
	alerts, err := func() ([]apiv1.AlertView, error) {
		c := apiv1.NewClient(base)
		if err := c.Login(ctx, clerk, password); err != nil {
			return nil, err
		}
		return c.Alerts(ctx, centre.ID)
	}()
	must(t, "read the alerts", err)
	if len(alerts) != 1 || alerts[0].Kind != queue.AlertPause || alerts[0].Counter != 1 || alerts[0].Limit != 1 {
		t.Errorf("server's alerts: %+v", alerts)
	}
	do("see the threshold", chromedp.Poll[chromedp.Void](`document.getElementById('staff-alert-list').textContent.includes('1 phút')`))
	assertAccessible(t, page, "console, an alert")
	adminDo("see the alert in admin", chromedp.WaitVisible(chromedp.CSS(`#alert-list li[data-kind="pause"][data-counter="1"]`)))
	if got, _ := chromedp.Run(adminPage, chromedp.TextContent(chromedp.ID("alert-list"))); !strings.Contains(got, "Quầy 1 tạm dừng 2 phút") || !strings.Contains(got, "(1 phút)") {
		t.Errorf("admin's alert = %q", got)
	}
	assertAccessible(t, adminPage, "admin, an alert")
	do("resume",
		chromedp.Click(chromedp.ID("btn-pause")),
		chromedp.Poll[chromedp.Void](`document.getElementById('pause-label').dataset.i18n === 'console.pause'`),
	)
	due()
	do("see the alert go", chromedp.WaitNotVisible(chromedp.ID("staff-alerts")))
	adminDo("see the alert go in admin", chromedp.WaitVisible(chromedp.ID("alert-empty")))
}
