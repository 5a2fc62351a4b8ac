package queue

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

var phoneNotify = &NotifyRequest{Phone: "0912345678", Consent: true}

func online(l *Live, at time.Time, svc, citizen string, n *NotifyRequest) (Ticket, error) {
	return l.Issue(at, IssueRequest{Service: svc, Source: SourceOnline, Citizen: citizen, Notify: n, Actor: "citizen"})
}

// topics lists the outbox of ch as "topic@ref" in order.
func topics(ch *Changes) []string {
	var out []string
	for _, m := range ch.Outbox {
		out = append(out, m.Topic+"@"+m.Ref)
	}
	return out
}

func TestOnlineNumbers(t *testing.T) {
	l := newTestLive(t, func(c *Centre) { c.Rules.AlertWaitMinutes = 600 })
	// Monday 07:59: the online window opens at 08:00.
	if _, err := online(l, day0.Add(-time.Minute), "A", "k1", nil); ErrorCode(err) != EOutsideHours {
		t.Fatalf("before 08:00: %v, want outside_hours", err)
	}
	if _, err := online(l, day0.Add(8*time.Hour), "A", "k1", nil); ErrorCode(err) != EOutsideHours {
		t.Fatalf("at 16:00: %v, want outside_hours", err)
	}
	if _, err := l.Issue(day0, IssueRequest{Service: "A", Source: SourceOnline, Citizen: "k1", Priority: PriorityElderly}); ErrorCode(err) != EInvalid {
		t.Fatalf("priority online: %v, want invalid", err)
	}
	if _, err := l.Issue(day0, IssueRequest{Service: "A", Source: SourceOnline}); ErrorCode(err) != EInvalid {
		t.Fatalf("no citizen: %v, want invalid", err)
	}
	// Walk-in and online numbers share one line, in the order taken.
	w := issue(t, l, day0, "A", "")
	o, err := online(l, day0.Add(time.Second), "A", "k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Number != "A002" || o.Source != SourceOnline || o.Citizen != "k1" {
		t.Fatalf("online ticket %+v", o)
	}
	if next, _, _ := l.Next(day0.Add(time.Minute), 2, "c"); next.ID != w.ID {
		t.Fatalf("first called %s, want the walk-in taken first", next.Number)
	}
	// The line keeps going after the window; unused online numbers expire at closing.
	o2, _ := online(l, day0.Add(2*time.Second), "B", "k2", nil)
	l.TakeChanges()
	if l.DueNow(day0.Add(8*time.Hour + 59*time.Minute)) {
		t.Fatal("due before closing")
	}
	closing := day0.Add(9 * time.Hour) // 17:00
	if !l.DueNow(closing) {
		t.Fatal("not due at closing")
	}
	l.Due(closing)
	for _, id := range []string{o.ID, o2.ID} {
		if tk, _ := l.Ticket(id); tk.Status != StatusExpired {
			t.Fatalf("%s at closing: %s, want expired", tk.Number, tk.Status)
		}
	}
	if tk, _ := l.Ticket(w.ID); tk.Status != StatusCalled {
		t.Fatalf("the walk-in being served: %s", tk.Status)
	}
}

func TestDailyLimitAcrossChannels(t *testing.T) {
	l := bookingLive(t, nil)
	kiosk := func(at time.Time, key string) (Ticket, error) {
		return l.Issue(at, IssueRequest{Service: "B", Source: SourceKiosk, Citizen: key})
	}
	if _, err := kiosk(day0, "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := online(l, day0, "A", "k1", nil); err != nil {
		t.Fatal(err)
	}
	_, err := online(l, day0, "C", "k1", nil)
	if ErrorCode(err) != ELimitReached {
		t.Fatalf("third number: %v, want limit_reached", err)
	}
	if !strings.Contains(err.(*Error).VI, "tối đa 2 số") {
		t.Fatalf("message %q", err.(*Error).VI)
	}
	if _, err := kiosk(day0, "k1"); ErrorCode(err) != ELimitReached {
		t.Fatalf("third by card read: %v", err)
	}
	// A booking today counts too; tomorrow is another day.
	if _, err := book(l, day0, day0.Add(2*time.Hour), "k1"); ErrorCode(err) != ELimitReached {
		t.Fatalf("booking today: %v", err)
	}
	if _, err := book(l, day0, day0.Add(26*time.Hour), "k1"); err != nil {
		t.Fatalf("booking tomorrow: %v", err)
	}
	// Another citizen, and an anonymous walk-in, are not limited.
	if _, err := online(l, day0, "A", "k2", nil); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		issue(t, l, day0, "A", "")
	}
	// A voided ticket gives its place back.
	l2 := bookingLive(t, nil)
	a, _ := l2.Issue(day0, IssueRequest{Service: "A", Source: SourceKiosk, Kiosk: "k", Key: "x1", Citizen: "k3"})
	l2.Issue(day0, IssueRequest{Service: "A", Source: SourceKiosk, Citizen: "k3"})
	if _, err := l2.VoidTicket(day0, a.Key, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Issue(day0, IssueRequest{Service: "A", Source: SourceKiosk, Citizen: "k3"}); err != nil {
		t.Fatalf("after a void: %v", err)
	}
}

func TestTicketNotifications(t *testing.T) {
	l := newTestLive(t, func(c *Centre) { c.Rules.NearPosition = 2; c.Rules.NearMinutes = 1 })
	var ids []string
	for i := range 5 {
		tk := issue(t, l, day0.Add(time.Duration(i)*time.Second), "A", "")
		ids = append(ids, tk.ID)
	}
	l.TakeChanges()
	// Consent is required; a bad address changes nothing.
	if _, err := l.SetTicketNotify(day0, ids[4], NotifyRequest{Phone: "0912345678"}, "citizen"); ErrorCode(err) != EInvalid {
		t.Fatalf("without consent: %v", err)
	}
	if _, err := l.SetTicketNotify(day0, ids[4], NotifyRequest{Email: "not an address", Consent: true}, "citizen"); ErrorCode(err) != EInvalid {
		t.Fatalf("bad e-mail: %v", err)
	}
	if ch := l.TakeChanges(); !ch.Empty() {
		t.Fatalf("refused requests changed %+v", ch)
	}
	tk, err := l.SetTicketNotify(day0, ids[4], NotifyRequest{Phone: "0912 345 678", Email: "an@example.vn", Consent: true}, "citizen")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tk.Notify, []string{ChannelPhone, ChannelEmail}) {
		t.Fatalf("channels %v", tk.Notify)
	}
	ch := l.TakeChanges()
	if len(ch.Contacts) != 1 || ch.Contacts[0].Phone != "0912345678" || ch.Contacts[0].Ref != "ticket:"+ids[4] {
		t.Fatalf("contacts %+v", ch.Contacts)
	}
	if want := time.Date(2026, 11, 24, 0, 0, 0, 0, hcm); !ch.Contacts[0].Expires.Equal(want) {
		t.Fatalf("contact expires %v, want the end of the ticket's day", ch.Contacts[0].Expires)
	}
	if len(ch.Audit) != 1 || ch.Audit[0].Action != "notify.set" || ch.Audit[0].Actor != "citizen" {
		t.Fatalf("audit %+v", ch.Audit)
	}
	if len(ch.Outbox) != 0 {
		t.Fatalf("position 5 of 5 is not near: %v", topics(ch))
	}
	// Calls move it up: at position 2 it is told once, on each channel.
	at := day0.Add(time.Minute)
	l.Next(at, 1, "c")
	l.Next(at, 2, "c")
	if ch := l.TakeChanges(); len(ch.Outbox) != 0 {
		t.Fatalf("position 3: %v", topics(ch))
	}
	l.Next(at, 1, "c")
	ch = l.TakeChanges()
	if got := topics(ch); !slices.Equal(got, []string{"near@ticket:" + ids[4], "near@ticket:" + ids[4]}) {
		t.Fatalf("at position 2: %v", got)
	}
	m := ch.Outbox[0]
	if m.Data["position"] != "2" || m.Data["number"] != "A005" || m.Channel != ChannelPhone || ch.Outbox[1].Channel != ChannelEmail || m.Status != MessagePending || !m.NextAt.Equal(at) {
		t.Fatalf("near message %+v", m)
	}
	l.Next(at, 2, "c")
	if ch := l.TakeChanges(); len(ch.Outbox) != 0 {
		t.Fatalf("near told twice: %v", topics(ch))
	}
	// Called, with the counter; transferred; absent.
	l.Next(at.Add(time.Minute), 1, "c")
	ch = l.TakeChanges()
	if got := topics(ch); len(got) != 2 || got[0] != "called@ticket:"+ids[4] || ch.Outbox[0].Data["counter"] != "1" || ch.Outbox[0].Data["counter_name"] != "Quầy 1" {
		t.Fatalf("called: %v %+v", got, ch.Outbox)
	}
	l.Transfer(at.Add(2*time.Minute), 1, "B")
	ch = l.TakeChanges()
	if got := topics(ch); len(got) != 2 || got[0] != "transferred@ticket:"+ids[4] || ch.Outbox[0].Data["service"] != "B" || ch.Outbox[0].Data["from"] != "A" {
		t.Fatalf("transferred: %v %+v", got, ch.Outbox)
	}
	l.Next(at.Add(3*time.Minute), 1, "c")
	l.Recall(at.Add(4*time.Minute), 1)
	l.TakeChanges()
	if _, err := l.NoShow(at.Add(5*time.Minute), 1); err != nil {
		t.Fatal(err)
	}
	ch = l.TakeChanges()
	if got := topics(ch); len(got) != 2 || got[0] != "absent@ticket:"+ids[4] {
		t.Fatalf("absent: %v", got)
	}
	// The outbox never enters the change log's JSON.
	b, _ := json.Marshal(ch)
	if strings.Contains(string(b), "absent") || strings.Contains(string(b), "0912345678") {
		t.Fatalf("change JSON holds the outbox: %s", b)
	}
	// Removing: no address, audited.
	l2 := newTestLive(t, nil)
	x := issue(t, l2, day0, "A", "")
	l2.SetTicketNotify(day0, x.ID, NotifyRequest{Phone: "0912345678", Consent: true}, "citizen")
	l2.TakeChanges()
	x, _ = l2.SetTicketNotify(day0, x.ID, NotifyRequest{}, "clerk1")
	ch = l2.TakeChanges()
	if len(x.Notify) != 0 || len(ch.Contacts) != 1 || !ch.Contacts[0].Empty() || ch.Audit[0].Action != "notify.remove" || ch.Audit[0].Actor != "clerk1" {
		t.Fatalf("remove: %+v %+v %+v", x, ch.Contacts, ch.Audit)
	}
}

func TestNearByEstimateAsTimePasses(t *testing.T) {
	l := newTestLive(t, func(c *Centre) { c.Rules.NearPosition = 1; c.Rules.NearMinutes = 8 })
	issue(t, l, day0, "B", "") // 5 minutes each, counter 1 alone serves B
	issue(t, l, day0, "B", "")
	l.Next(day0, 1, "c")
	tk, err := online(l, day0, "B", "k1", phoneNotify)
	if err != nil {
		t.Fatal(err)
	}
	ch := l.TakeChanges()
	if got := topics(ch); !slices.Equal(got, []string{"issued@ticket:" + tk.ID}) {
		t.Fatalf("online number told: %v", got)
	}
	// Position 2, about 10 minutes: not near until the estimate falls to
	// 8 minutes, which only time brings.
	if l.DueNow(day0.Add(time.Minute)) {
		t.Fatal("near due with 9 minutes to wait")
	}
	at := day0.Add(2 * time.Minute)
	if !l.DueNow(at) {
		t.Fatal("near not due")
	}
	l.Due(at)
	ch = l.TakeChanges()
	if got := topics(ch); !slices.Equal(got, []string{"near@ticket:" + tk.ID}) || ch.Outbox[0].Data["position"] != "2" || ch.Outbox[0].Data["minutes"] != "8" {
		t.Fatalf("due: %v %+v", got, ch.Outbox)
	}
	if l.DueNow(at.Add(time.Minute)) {
		t.Fatal("due again")
	}
}

func TestWebhookDeliveries(t *testing.T) {
	l := newTestLive(t, nil)
	if _, err := l.AddWebhook(day0, Webhook{URL: "https://x.example/h", Secret: "s", Events: []string{"ticket.nope"}}, "admin"); ErrorCode(err) != EInvalid {
		t.Fatalf("unknown event: %v", err)
	}
	all, _ := l.AddWebhook(day0, Webhook{URL: "https://x.example/all", Secret: "s"}, "admin")
	called, _ := l.AddWebhook(day0, Webhook{URL: "https://x.example/c", Secret: "s", Events: []string{EventCalled}}, "admin")
	ch := l.TakeChanges()
	if len(ch.Webhooks) != 2 || ch.Webhooks[0].CreatedBy != "admin" {
		t.Fatalf("webhooks %+v", ch.Webhooks)
	}
	tk := issue(t, l, day0, "A", "")
	l.Next(day0, 1, "c")
	ch = l.TakeChanges()
	var got []string
	for _, m := range ch.Outbox {
		got = append(got, m.Topic+"@"+m.Ref)
		if m.Channel != ChannelWebhook || !m.Expires.Equal(m.CreatedAt.Add(24*time.Hour)) {
			t.Fatalf("message %+v", m)
		}
	}
	// Event order: opened (first call of the shift) comes with the call.
	want := []string{EventIssued + "@" + all.ID, EventOpened + "@" + all.ID, EventCalled + "@" + all.ID, EventCalled + "@" + called.ID}
	if !slices.Equal(got, want) {
		t.Fatalf("deliveries %v, want %v", got, want)
	}
	var body map[string]any
	if err := json.Unmarshal(ch.Outbox[2].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["id"] != ch.Outbox[2].ID || body["type"] != EventCalled || body["centre"] != "phuong-test" || body["ticket"].(map[string]any)["number"] != tk.Number || body["counter"] != 1.0 {
		t.Fatalf("body %s", ch.Outbox[2].Body)
	}
	// Deleted: no more deliveries; the deletion is a change others absorb.
	if err := l.DeleteWebhook(day0, all.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	issue(t, l, day0, "A", "")
	ch = l.TakeChanges()
	if len(ch.Outbox) != 0 || len(ch.Webhooks) != 1 || !ch.Webhooks[0].Deleted {
		t.Fatalf("after delete: %v %+v", topics(ch), ch.Webhooks)
	}
	m, err := l.TestWebhook(day0, called.ID, "admin")
	if err != nil || m.Topic != TopicTest || m.Ref != called.ID {
		t.Fatalf("test event %+v %v", m, err)
	}
}

func TestAlerts(t *testing.T) {
	l := newTestLive(t, func(c *Centre) { c.Services[1].AlertWaitMinutes = 20 })
	issue(t, l, day0, "A", "")
	issue(t, l, day0, "B", "")
	l.TakeChanges()
	if l.DueNow(day0.Add(19 * time.Minute)) {
		t.Fatal("alert before 20 minutes")
	}
	l.Due(day0.Add(20 * time.Minute))
	ch := l.TakeChanges()
	if len(ch.Events) != 1 || ch.Events[0].Type != EventAlertRaised || ch.Events[0].Service != "B" || ch.Events[0].Reason != AlertWait || ch.Events[0].Minutes != 20 {
		t.Fatalf("B's alert: %+v", ch.Events)
	}
	if a := l.Alerts(); len(a) != 1 || a[0].Limit != 20 {
		t.Fatalf("alerts %+v", a)
	}
	l.Due(day0.Add(30 * time.Minute))
	if ch := l.TakeChanges(); len(ch.Events) != 0 {
		t.Fatalf("raised twice: %+v", ch.Events)
	}
	// A (default 45) joins; serving B clears B's.
	at := day0.Add(46 * time.Minute)
	var b Ticket
	for _, w := range l.Waiting(at) {
		if w.Service == "B" {
			b = w
		}
	}
	if _, err := l.Call(at, 1, b.ID, "test", "c"); err != nil {
		t.Fatal(err)
	}
	l.Due(at)
	var got []string
	for _, e := range l.TakeChanges().Events {
		got = append(got, e.Type+":"+e.Service)
	}
	if !slices.Contains(got, "alert.raised:A") || !slices.Contains(got, "alert.cleared:B") {
		t.Fatalf("events %v", got)
	}
	// A pause longer than announced.
	if _, err := l.PauseFor(at, 1, "họp", 5); err != nil {
		t.Fatal(err)
	}
	l.Due(at.Add(4 * time.Minute))
	for _, e := range l.TakeChanges().Events {
		if e.Reason == AlertPause {
			t.Fatalf("pause alert early: %+v", e)
		}
	}
	l.Due(at.Add(5 * time.Minute))
	evs := l.TakeChanges().Events
	if len(evs) != 1 || evs[0].Type != EventAlertRaised || evs[0].Counter != 1 || evs[0].Reason != AlertPause {
		t.Fatalf("pause alert: %+v", evs)
	}
	l.Resume(at.Add(6*time.Minute), 1, "c")
	l.Due(at.Add(6 * time.Minute))
	evs = l.TakeChanges().Events
	if evs[len(evs)-1].Type != EventAlertCleared || evs[len(evs)-1].Counter != 1 {
		t.Fatalf("pause alert cleared: %+v", evs)
	}
}

func TestBookingNotices(t *testing.T) {
	l := bookingLive(t, nil)
	// Monday 08:00; Tuesday 09:00 slot.
	start := day0.Add(25 * time.Hour)
	b, err := l.Book(day0, BookRequest{Code: "R1", Service: "A", Start: start, Citizen: Citizen{Key: "k1", Name: "Nguyễn Văn An", Phone: "0912345678"}, Source: BookedOnline, Notify: &NotifyRequest{Phone: "0912345678", Consent: true}})
	if err != nil {
		t.Fatal(err)
	}
	ch := l.TakeChanges()
	if got := topics(ch); !slices.Equal(got, []string{"booked@booking:R1"}) || ch.Outbox[0].Data["start"] != "09:00 24/11/2026" || !ch.Outbox[0].Expires.Equal(start) {
		t.Fatalf("confirmation: %v %+v", got, ch.Outbox)
	}
	if len(ch.Contacts) != 1 || !ch.Contacts[0].Expires.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, hcm)) {
		t.Fatalf("contact %+v", ch.Contacts)
	}
	eve := time.Date(2026, 11, 23, 17, 0, 0, 0, hcm)
	if l.DueNow(eve.Add(-time.Second)) {
		t.Fatal("reminder before 17:00")
	}
	l.Due(eve)
	if got := topics(l.TakeChanges()); !slices.Equal(got, []string{"reminder_day@booking:R1"}) {
		t.Fatalf("day before: %v", got)
	}
	l.Roll(start.Add(-2 * time.Hour))
	l.TakeChanges()
	if l.DueNow(start.Add(-61 * time.Minute)) {
		t.Fatal("hour reminder early")
	}
	l.Due(start.Add(-59 * time.Minute))
	if got := topics(l.TakeChanges()); !slices.Equal(got, []string{"reminder_hour@booking:R1"}) {
		t.Fatalf("hour before: %v", got)
	}
	if l.DueNow(start.Add(-30 * time.Minute)) {
		t.Fatal("reminded twice")
	}
	// Cancelled by staff: told; by the citizen: not.
	l.Book(day0, BookRequest{Code: "R2", Service: "A", Start: start.Add(30 * time.Minute), Citizen: Citizen{Key: "k2", Name: "Trần Thị Bình", Phone: "0912345679"}, Source: BookedOnline, Notify: &NotifyRequest{Email: "b@example.vn", Consent: true}})
	l.TakeChanges()
	l.CancelBooking(day0, "R2", "", true, "clerk1")
	if got := topics(l.TakeChanges()); !slices.Equal(got, []string{"cancelled@booking:R2"}) {
		t.Fatalf("staff cancel: %v", got)
	}
	_ = b
}

func TestCloseDay(t *testing.T) {
	l := bookingLive(t, nil)
	tue := day0.Add(25 * time.Hour)
	for i, code := range []string{"C1", "C2", "C3"} {
		var n *NotifyRequest
		if i < 2 {
			n = &NotifyRequest{Phone: "0912345678", Consent: true}
		}
		if _, err := l.Book(day0, BookRequest{Code: code, Service: "A", Start: tue.Add(time.Duration(i/2) * 30 * time.Minute), Citizen: Citizen{Key: code, Name: "Lê Văn Cường", Phone: "0912345678"}, Source: BookedOnline, Notify: n}); err != nil {
			t.Fatal(err)
		}
	}
	l.TakeChanges()
	if _, err := l.CloseDay(day0, "2026-11-24", "", "admin"); ErrorCode(err) != EInvalid {
		t.Fatalf("no message: %v", err)
	}
	if _, err := l.CloseDay(day0, "2026-11-22", "x", "admin"); ErrorCode(err) != EInvalid {
		t.Fatalf("past day: %v", err)
	}
	n, err := l.CloseDay(day0, "2026-11-24", "Mất điện, xin lỗi quý khách", "admin")
	if err != nil || n != 3 {
		t.Fatalf("close day: %d %v", n, err)
	}
	ch := l.TakeChanges()
	if got := topics(ch); !slices.Equal(got, []string{"centre_closed@booking:C1", "centre_closed@booking:C2"}) || ch.Outbox[0].Data["message"] != "Mất điện, xin lỗi quý khách" {
		t.Fatalf("told: %v", got)
	}
	if ch.Config == nil || !slices.Contains(ch.Config.ClosedDates, "2026-11-24") {
		t.Fatal("day not closed")
	}
	if _, err := book(l, day0, tue.Add(time.Hour), "k9"); err == nil {
		t.Fatal("booked a closed day")
	}
}

// A ticket's message is worth the rules' notify_expiry_minutes, never past
// the end of its day.
func TestTicketMessageExpiry(t *testing.T) {
	l := newTestLive(t, func(c *Centre) { c.Rules.NotifyExpiryMinutes = 10 })
	tk, err := online(l, day0, "A", "k1", phoneNotify)
	if err != nil {
		t.Fatal(err)
	}
	ch := l.TakeChanges()
	for _, m := range ch.Outbox {
		if d := m.Expires.Sub(m.CreatedAt); d > 10*time.Minute || d < 10*time.Minute-time.Millisecond {
			t.Fatalf("%s expires %v, created %v", m.Topic, m.Expires, m.CreatedAt)
		}
	}
	late := time.Date(2026, 11, 23, 23, 55, 0, 0, hcm)
	l.Next(late, 1, "c")
	ch = l.TakeChanges()
	if len(ch.Outbox) != 1 || ch.Outbox[0].Topic != TopicCalled || !ch.Outbox[0].Expires.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, hcm)) {
		t.Fatalf("called at 23:55 of %s: %+v", tk.Number, ch.Outbox)
	}
}

// One Due does all that time brought: a reminder, an alert and the
// closing's expiry at once.
func TestDueDoesEverythingDue(t *testing.T) {
	l := bookingLive(t, func(c *Centre) { c.Hours[2].Close = "17:00" })
	tue := day0.Add(24 * time.Hour) // Tuesday 08:00
	l.Roll(tue)
	if _, err := l.Book(tue, BookRequest{Code: "R1", Service: "A", Start: tue.Add(25 * time.Hour), Citizen: Citizen{Key: "k1", Name: "Nguyễn Văn An", Phone: "0912345678"}, Source: BookedOnline, Notify: phoneNotify}); err != nil {
		t.Fatal(err)
	}
	if _, err := online(l, tue, "B", "k2", nil); err != nil {
		t.Fatal(err)
	}
	l.TakeChanges()
	closing := time.Date(2026, 11, 24, 17, 0, 0, 0, hcm)
	l.Due(closing)
	ch := l.TakeChanges()
	var got []string
	for _, e := range ch.Events {
		got = append(got, e.Type)
	}
	if !slices.Contains(got, EventAlertRaised) || !slices.Contains(got, EventExpired) || !slices.Equal(topics(ch), []string{"reminder_day@booking:R1"}) {
		t.Fatalf("events %v, messages %v", got, topics(ch))
	}
}

// An identified ticket keeps its citizen's keyed hash for its day only.
func TestCitizenKeyLeavesWithTheDay(t *testing.T) {
	l := newTestLive(t, nil)
	tk, err := online(l, day0, "A", "k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Next(day0, 1, "c")
	l.Next(day0.Add(time.Minute), 1, "c") // served and done
	l.TakeChanges()
	l.Roll(day0.Add(24 * time.Hour))
	ch := l.TakeChanges()
	for _, x := range ch.Tickets {
		if x.ID == tk.ID && x.Citizen == "" && x.Status == StatusDone {
			return
		}
	}
	t.Fatalf("yesterday's ticket not written without its key: %+v", ch.Tickets)
}
