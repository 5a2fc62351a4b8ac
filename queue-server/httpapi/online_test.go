package httpapi_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/queue"
)

// mondayNine is 09:00 local on Monday 23 November 2026: within the
// centre's hours and its window of online numbers (08:00–16:00).
var mondayNine = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// solved returns a fresh solution of the server's proof of work.
func solved(t *testing.T, e *env) string {
	t.Helper()
	var ch httpapi.Challenge
	_, err := apiv1.NewClient(e.srv.URL).Do(context.Background(), "GET", "/api/v1/challenge", nil, &ch)
	must(t, err)
	sol, ok := httpapi.SolveChallenge(ch)
	if !ok {
		t.Fatal("challenge not solved")
	}
	return sol
}

// rawDo sends body and returns the answer's raw JSON.
func rawDo(t *testing.T, c *apiv1.Client, method, path string, body any) (json.RawMessage, error) {
	t.Helper()
	var raw json.RawMessage
	_, err := c.Do(context.Background(), method, path, body, &raw)
	return raw, err
}

func apiField(err error) string {
	if ae, ok := err.(*apiv1.APIError); ok {
		return ae.Field
	}
	return ""
}

func onlinePath() string { return "/api/v1/centres/" + centreID + "/online-tickets" }

func TestOnlineNumber(t *testing.T) {
	e, ck := bookingEnv(t, mondayNine)
	ctx := context.Background()
	pub := apiv1.NewClient(e.srv.URL)
	const phone = "0912345678"
	req := apiv1.OnlineTicketRequest{Service: "a", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(1), Phone: phone},
		Notify: &apiv1.NotifyRequest{Consent: true}, Altcha: solved(t, e), IdempotencyKey: "phone-1"}
	raw, err := rawDo(t, pub, "POST", onlinePath(), req)
	must(t, err)
	var tk apiv1.TicketView
	must(t, json.Unmarshal(raw, &tk))
	if tk.Source != queue.SourceOnline || tk.Number != "A001" || tk.TrackURL != "/track/"+tk.ID || tk.Position != 1 || tk.Status != queue.StatusWaiting {
		t.Fatalf("online number %s", raw)
	}
	if strings.Contains(string(raw), phone) || strings.Contains(string(raw), cccd(1)) {
		t.Fatalf("the answer shows the phone or the CCCD number: %s", raw)
	}
	// The citizen's phone was taken for the notifications, with consent.
	status, body, _ := publicGet(t, e.srv.URL, "/api/v1/tickets/"+tk.ID)
	if status != 200 || strings.Contains(body, phone) || strings.Contains(body, cccd(1)) {
		t.Fatalf("public ticket %d %s", status, body)
	}
	// A retry with the same key (a lost answer) gets the same number, without a new proof.
	again, err := e.clerk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(1)}, IdempotencyKey: "phone-1"})
	if err != nil || again.ID != tk.ID {
		t.Fatalf("retry with the key: %+v %v", again, err)
	}
	// The key is the citizen's: someone else's number under the same key
	// is a new number, not theirs.
	other, err := e.clerk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(3)}, IdempotencyKey: "phone-1"})
	if err != nil || other.ID == tk.ID {
		t.Fatalf("another citizen with the same key: %+v %v", other, err)
	}

	// Refusals.
	if _, err := pub.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(2)}}); apiCode(err) != "403 challenge_failed" {
		t.Errorf("without the proof of work: %v", err)
	}
	if _, err := pub.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(2)}, Altcha: req.Altcha}); apiCode(err) != "403 challenge_failed" {
		t.Errorf("with a spent proof of work: %v", err)
	}
	_, err = rawDo(t, e.clerk, "POST", onlinePath(), map[string]any{"service": "A", "priority": "elderly", "citizen": map[string]string{"id_number": cccd(2)}})
	if apiCode(err) != "400 bad_request" || apiField(err) != "priority" {
		t.Errorf("a priority claimed online: %v (field %q)", err, apiField(err))
	}
	kiosk, _ := enrollKiosk(t, e, "Ki-ốt 1")
	if _, err := kiosk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(2)}}); apiCode(err) != "403 forbidden" {
		t.Errorf("a kiosk's token: %v", err)
	}
	if _, err := e.clerk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: "0010900"}}); apiCode(err) != "422 invalid" || apiField(err) != "citizen.id_number" {
		t.Errorf("a bad CCCD number: %v", err)
	}
	_, err = e.clerk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(2)},
		Notify: &apiv1.NotifyRequest{Phone: phone}})
	if apiCode(err) != "422 invalid" || apiField(err) != "notify.consent" {
		t.Errorf("a phone without consent: %v (field %q)", err, apiField(err))
	}
	ck.Set(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)) // 16:30 local: the centre is open, online numbers are not
	if _, err := e.clerk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(2)}}); apiCode(err) != "409 outside_hours" {
		t.Errorf("after online_until: %v", err)
	}
	if _, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Citizen: &apiv1.IssueCitizen{IDNumber: cccd(2)}}); err != nil {
		t.Errorf("a walk-in number then: %v", err)
	}
}

// The public's online numbers have their own per-address limit; staff
// taking one for a citizen on the phone are not held by it.
func TestOnlineNumberPerAddressLimit(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	pub := apiv1.NewClient(e.srv.URL)
	req := apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(1)}}
	for i := range 10 {
		if _, err := pub.OnlineTicket(ctx, centreID, req); apiCode(err) != "403 challenge_failed" {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	req.Altcha = solved(t, e)
	if _, err := pub.OnlineTicket(ctx, centreID, req); apiCode(err) != "429 rate_limited" {
		t.Fatalf("the 11th request from one address: %v", err)
	}
	// Bookings keep their own allowance.
	if _, err := bookAs(pub, "2026-11-24T09:00:00+07:00", 3, nil); apiCode(err) != "403 challenge_failed" {
		t.Fatalf("a booking from the same address: %v", err)
	}
	if _, err := e.clerk.OnlineTicket(ctx, centreID, req); err != nil {
		t.Fatalf("staff: %v", err)
	}
}

// One daily limit per citizen counts the walk-in numbers of a card read at
// the kiosk, the online numbers and the bookings of the day together.
func TestDailyLimitAcrossKioskOnlineAndBooking(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	kiosk, _ := enrollKiosk(t, e, "Ki-ốt 1")
	if _, err := kiosk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Citizen: &apiv1.IssueCitizen{IDNumber: "12"}}); apiCode(err) != "422 invalid" || apiField(err) != "citizen.id_number" {
		t.Fatalf("a kiosk sending a bad number: %v", err)
	}
	if _, err := kiosk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Citizen: &apiv1.IssueCitizen{IDNumber: cccd(5)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := bookAs(e.clerk, "2026-11-23T14:00:00+07:00", 5, nil); err != nil {
		t.Fatalf("a booking for later today: %v", err)
	}
	pub := apiv1.NewClient(e.srv.URL)
	req := apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(5)}, Altcha: solved(t, e)}
	if _, err := pub.OnlineTicket(ctx, centreID, req); apiCode(err) != "429 limit_reached" {
		t.Fatalf("a third number of the day online: %v", err)
	}
	if _, err := kiosk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Citizen: &apiv1.IssueCitizen{IDNumber: cccd(5)}}); apiCode(err) != "429 limit_reached" {
		t.Fatalf("a third number of the day at the kiosk: %v", err)
	}
	if _, err := e.clerk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(5)}}); apiCode(err) != "429 limit_reached" {
		t.Fatalf("staff are held by the citizen's limit too: %v", err)
	}
	// Without a card read the kiosk's number is anonymous: no limit.
	if _, err := kiosk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"}); err != nil {
		t.Fatal(err)
	}
	// Another citizen is not held.
	req.Citizen.IDNumber, req.Altcha = cccd(6), solved(t, e)
	if _, err := pub.OnlineTicket(ctx, centreID, req); err != nil {
		t.Fatal(err)
	}
}

// 50 requests at once for one CCCD number, half card reads at a kiosk and
// half online numbers: exactly numbers_per_day of them get a number.
func TestDailyLimitUnderParallelRequests(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	kiosk, _ := enrollKiosk(t, e, "Ki-ốt 1")
	c, err := e.admin.Centre(ctx, centreID)
	must(t, err)
	const n = 50
	var wg sync.WaitGroup
	results := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = kiosk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Citizen: &apiv1.IssueCitizen{IDNumber: cccd(9)}})
			} else {
				_, err = e.clerk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(9)}})
			}
			results <- apiCode(err)
		}()
	}
	wg.Wait()
	close(results)
	count := map[string]int{}
	for r := range results {
		count[r]++
	}
	if want := c.Rules.NumbersPerDay; want < 1 || count["<nil>"] != want || count["429 limit_reached"] != n-want {
		t.Fatalf("%d parallel numbers for one citizen, %d a day: %v", n, want, count)
	}
	ts, err := e.clerk.Tickets(ctx, centreID, false)
	must(t, err)
	if len(ts) != c.Rules.NumbersPerDay {
		t.Fatalf("%d tickets issued", len(ts))
	}
}

// pushSubscription is a browser's subscription as toJSON gives it.
func pushSubscription(t *testing.T) map[string]any {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	must(t, err)
	auth := make([]byte, 16)
	rand.Read(auth)
	return map[string]any{"endpoint": "https://fcm.googleapis.com/fcm/send/dGVzdA", "expirationTime": nil,
		"keys": map[string]string{"p256dh": base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), "auth": base64.RawURLEncoding.EncodeToString(auth)}}
}

// auditActions returns the centre's audit log as "action by actor" lines.
func auditActions(t *testing.T, e *env) []string {
	t.Helper()
	var log []queue.Audit
	_, err := e.admin.Do(context.Background(), "GET", "/api/v1/centres/"+centreID+"/audit", nil, &log)
	must(t, err)
	var out []string
	for _, a := range log {
		if strings.HasPrefix(a.Action, "notify.") || strings.HasPrefix(a.Action, "webhook.") || a.Action == "centre.close_day" {
			out = append(out, a.Action+" by "+a.Actor+" "+a.Ticket+a.Booking)
		}
	}
	return out
}

func TestTicketNotify(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	pub := apiv1.NewClient(e.srv.URL)
	tk, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	const phone, email = "0987654321", "hoa.tran@example.vn"
	path := "/api/v1/tickets/" + tk.ID + "/notify"
	raw, err := rawDo(t, pub, "PUT", path, map[string]any{"consent": true, "phone": phone, "email": email, "push": pushSubscription(t)})
	must(t, err)
	var nv apiv1.NotifyView
	must(t, json.Unmarshal(raw, &nv))
	if strings.Join(nv.Channels, ",") != "phone,email,push" || strings.Contains(string(raw), phone) || strings.Contains(string(raw), email) || strings.Contains(string(raw), "fcm") {
		t.Fatalf("notify answers %s", raw)
	}
	status, body, _ := publicGet(t, e.srv.URL, "/api/v1/tickets/"+tk.ID)
	if status != 200 || strings.Contains(body, phone) || strings.Contains(body, email) || strings.Contains(body, "fcm") {
		t.Fatalf("the ticket shows an address: %s", body)
	}
	if !strings.Contains(body, `"notify":{"channels":["phone","email","push"]}`) {
		t.Fatalf("the ticket does not say its channels: %s", body)
	}
	staff, err := e.clerk.Ticket(ctx, tk.ID)
	must(t, err)
	if b, _ := json.Marshal(staff); strings.Contains(string(b), phone) || strings.Contains(string(b), email) {
		t.Fatalf("even staff's ticket view shows no address: %s", b)
	}
	// Refusals: no consent, a bad address, a bad push key, an unknown field.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"consent": false, "email": email}, "notify.consent"},
		{map[string]any{"consent": true, "phone": "12345"}, "notify.phone"},
		{map[string]any{"consent": true, "email": "Hoa <hoa@example.vn>"}, "notify.email"},
		{map[string]any{"consent": true, "push": map[string]any{"endpoint": "http://push.example/x", "keys": map[string]string{"p256dh": "AA", "auth": "AA"}}}, "notify.push.endpoint"},
		{map[string]any{"consent": true, "push": map[string]any{"endpoint": "https://push.example/x", "keys": map[string]string{"p256dh": "AA", "auth": "AA"}}}, "notify.push.keys.p256dh"},
	} {
		if _, err := rawDo(t, pub, "PUT", path, c.body); apiCode(err) != "422 invalid" || apiField(err) != c.field {
			t.Errorf("%v: %v (field %q), want 422 on %s", c.body, err, apiField(err), c.field)
		}
	}
	if _, err := rawDo(t, pub, "PUT", path, map[string]any{"consent": true, "sms": phone}); apiCode(err) != "400 bad_request" {
		t.Errorf("an unknown field: %v", err)
	}
	// Staff change it for the citizen; the citizen stops it.
	nv, err = e.clerk.SetTicketNotify(ctx, tk.ID, apiv1.NotifyRequest{Consent: true, Email: email})
	if err != nil || strings.Join(nv.Channels, ",") != "email" {
		t.Fatalf("staff set: %+v %v", nv, err)
	}
	must(t, pub.RemoveTicketNotify(ctx, tk.ID))
	if got, want := strings.Join(auditActions(t, e), "\n"), strings.Join([]string{
		"notify.set by public " + tk.ID, "notify.set by canbo1 " + tk.ID, "notify.remove by public " + tk.ID}, "\n"); !sameLines(got, want) {
		t.Errorf("audit:\n%s\nwant:\n%s", got, want)
	}
	// Not found, or no longer open.
	if _, err := pub.SetTicketNotify(ctx, "nosuchticket", apiv1.NotifyRequest{Consent: true, Email: email}); apiCode(err) != "404 not_found" {
		t.Errorf("an unknown ticket: %v", err)
	}
	_, _, err = e.clerk.Next(ctx, centreID, 1)
	must(t, err)
	_, err = e.clerk.Counter(ctx, centreID, 1, "finish", nil)
	must(t, err)
	if _, err := pub.SetTicketNotify(ctx, tk.ID, apiv1.NotifyRequest{Consent: true, Email: email}); apiCode(err) != "404 not_found" {
		t.Errorf("a finished ticket: %v", err)
	}
	if err := pub.RemoveTicketNotify(ctx, tk.ID); apiCode(err) != "404 not_found" {
		t.Errorf("removing on a finished ticket: %v", err)
	}
}

// sameLines compares two sets of lines, in any order.
func sameLines(a, b string) bool {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, l := range x {
		seen[l]++
	}
	for _, l := range y {
		if seen[l]--; seen[l] < 0 {
			return false
		}
	}
	return true
}

func TestBookingNotify(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	pub := apiv1.NewClient(e.srv.URL)
	const phone, email = "0987654321", "hoa.tran@example.vn"
	// A booking made with notifications.
	var b apiv1.BookingView
	_, err := pub.Do(ctx, "POST", "/api/v1/centres/"+centreID+"/bookings", apiv1.BookRequest{Service: "A", Start: "2026-11-24T09:00:00+07:00",
		Citizen: apiv1.CitizenRequest{IDNumber: cccd(3), Name: "Trần Thị Hoa", Phone: phone}, Altcha: solved(t, e),
		Notify: &apiv1.NotifyRequest{Consent: true, Email: email}}, &b)
	must(t, err)
	_, err = pub.Do(ctx, "POST", "/api/v1/centres/"+centreID+"/bookings", apiv1.BookRequest{Service: "A", Start: "2026-11-24T09:30:00+07:00",
		Citizen: apiv1.CitizenRequest{IDNumber: cccd(4), Name: "Trần Thị Hoa", Phone: phone}, Altcha: solved(t, e),
		Notify: &apiv1.NotifyRequest{Email: email}}, nil)
	if apiCode(err) != "422 invalid" || apiField(err) != "notify.consent" {
		t.Fatalf("a booking with an address but no consent: %v", err)
	}
	path := "/api/v1/bookings/" + b.Code + "/notify"
	if _, err := rawDo(t, pub, "PUT", path, map[string]any{"id_number": cccd(4), "consent": true, "phone": phone}); apiCode(err) != "404 not_found" {
		t.Fatalf("another citizen's number: %v", err)
	}
	if _, err := rawDo(t, pub, "PUT", path, map[string]any{"consent": true, "phone": phone}); apiCode(err) != "422 invalid" {
		t.Fatalf("without the number: %v", err)
	}
	raw, err := rawDo(t, pub, "PUT", path, map[string]any{"id_number": cccd(3), "consent": true, "phone": phone})
	must(t, err)
	if strings.TrimSpace(string(raw)) != `{"channels":["phone"]}` {
		t.Fatalf("notify answers %s", raw)
	}
	status, body, _ := publicGet(t, e.srv.URL, "/api/v1/bookings/"+b.Code)
	if status != 200 || strings.Contains(body, phone) || strings.Contains(body, email) {
		t.Fatalf("the public look-up shows an address: %s", body)
	}
	if err := pub.RemoveBookingNotify(ctx, b.Code, cccd(4)); apiCode(err) != "404 not_found" {
		t.Fatalf("removing with another citizen's number: %v", err)
	}
	must(t, pub.RemoveBookingNotify(ctx, b.Code, cccd(3)))
	nv, err := e.clerk.SetBookingNotify(ctx, b.Code, apiv1.BookingNotifyRequest{NotifyRequest: apiv1.NotifyRequest{Consent: true, Email: email}})
	if err != nil || strings.Join(nv.Channels, ",") != "email" {
		t.Fatalf("staff set: %+v %v", nv, err)
	}
	must(t, e.clerk.RemoveBookingNotify(ctx, b.Code, ""))
	want := []string{"notify.set by public " + b.Code, "notify.set by public " + b.Code, "notify.remove by public " + b.Code,
		"notify.set by canbo1 " + b.Code, "notify.remove by canbo1 " + b.Code}
	if got := strings.Join(auditActions(t, e), "\n"); !sameLines(got, strings.Join(want, "\n")) {
		t.Errorf("audit:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	// A cancelled booking takes no more.
	_, err = pub.Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/cancel", apiv1.CancelRequest{IDNumber: cccd(3)}, nil)
	must(t, err)
	if _, err := rawDo(t, pub, "PUT", path, map[string]any{"id_number": cccd(3), "consent": true, "phone": phone}); apiCode(err) != "409 conflict" {
		t.Fatalf("a cancelled booking: %v", err)
	}
}

func TestPushKey(t *testing.T) {
	e := newEnv(t)
	if _, err := apiv1.NewClient(e.srv.URL).PushKey(context.Background()); apiCode(err) != "404 not_found" {
		t.Fatalf("a server without Web Push: %v", err)
	}
	const key = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
	e = newEnvTuned(t, nil, func(c *httpapi.Config) { c.PushPublicKey = func() string { return key } })
	got, err := apiv1.NewClient(e.srv.URL).PushKey(context.Background())
	if err != nil || got != key {
		t.Fatalf("push key %q %v", got, err)
	}
}

func TestWebhooksCRUD(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const secret = "s3cr3t-of-the-integrator-0123456789"
	req := apiv1.WebhookRequest{Centre: centreID, URL: "https://hooks.example.vn/xephang", Events: []string{"ticket.called", "booking.created"}, Secret: secret}
	if _, err := e.clerk.AddWebhook(ctx, req); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk: %v", err)
	}
	if _, err := apiv1.NewClient(e.srv.URL).AddWebhook(ctx, req); apiCode(err) != "401 unauthorized" {
		t.Fatalf("anonymous: %v", err)
	}
	raw, err := rawDo(t, e.admin, "POST", "/api/v1/webhooks", req)
	must(t, err)
	var h apiv1.WebhookView
	must(t, json.Unmarshal(raw, &h))
	if h.ID == "" || h.Centre != centreID || h.URL != req.URL || strings.Join(h.Events, ",") != "ticket.called,booking.created" || h.CreatedBy != "admin" || h.CreatedAt == "" {
		t.Fatalf("webhook %s", raw)
	}
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), "secret") {
		t.Fatalf("the secret comes back: %s", raw)
	}
	for _, c := range []struct {
		mod   func(*apiv1.WebhookRequest)
		field string
	}{
		{func(r *apiv1.WebhookRequest) { r.URL = "http://hooks.example.vn/x" }, "url"},
		{func(r *apiv1.WebhookRequest) { r.URL = "https://10.1.2.3/x" }, "url"},
		{func(r *apiv1.WebhookRequest) { r.URL = "https://localhost/x" }, "url"},
		{func(r *apiv1.WebhookRequest) { r.URL = "hooks.example.vn" }, "url"},
		{func(r *apiv1.WebhookRequest) { r.Secret = "short" }, "secret"},
		{func(r *apiv1.WebhookRequest) { r.Secret = strings.Repeat("x", 257) }, "secret"},
		{func(r *apiv1.WebhookRequest) { r.Secret = "with a space in the middle" }, "secret"},
		{func(r *apiv1.WebhookRequest) { r.Secret = "bí-mật-có-dấu-tiếng-việt" }, "secret"},
		{func(r *apiv1.WebhookRequest) { r.Events = []string{"ticket.called", "ticket.eaten"} }, "events[1]"},
		{func(r *apiv1.WebhookRequest) { r.Centre = "nowhere" }, "centre"},
	} {
		r := req
		c.mod(&r)
		if _, err := e.admin.AddWebhook(ctx, r); apiCode(err) != "422 invalid" || apiField(err) != c.field {
			t.Errorf("%+v: %v (field %q), want 422 on %s", r, err, apiField(err), c.field)
		}
	}
	list, err := e.admin.Webhooks(ctx, centreID)
	if err != nil || len(list) != 1 || list[0].ID != h.ID {
		t.Fatalf("list %+v %v", list, err)
	}
	raw, err = rawDo(t, e.admin, "GET", "/api/v1/centres/"+centreID+"/webhooks", nil)
	must(t, err)
	if strings.Contains(string(raw), secret) {
		t.Fatalf("the list shows the secret: %s", raw)
	}
	if _, err := e.clerk.Webhooks(ctx, centreID); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk lists: %v", err)
	}
	msg, err := e.admin.TestWebhook(ctx, h.ID)
	if err != nil || msg == "" {
		t.Fatalf("test: %q %v", msg, err)
	}
	if _, err := e.clerk.TestWebhook(ctx, h.ID); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk tests: %v", err)
	}
	if err := e.clerk.DeleteWebhook(ctx, h.ID); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk deletes: %v", err)
	}
	if err := apiv1.NewClient(e.srv.URL).DeleteWebhook(ctx, h.ID); apiCode(err) != "401 unauthorized" {
		t.Fatalf("anonymous deletes: %v", err)
	}
	must(t, e.admin.DeleteWebhook(ctx, h.ID))
	if err := e.admin.DeleteWebhook(ctx, h.ID); apiCode(err) != "404 not_found" {
		t.Fatalf("deleted twice: %v", err)
	}
	if _, err := e.admin.TestWebhook(ctx, h.ID); apiCode(err) != "404 not_found" {
		t.Fatalf("test of a deleted webhook: %v", err)
	}
	if list, err := e.admin.Webhooks(ctx, centreID); err != nil || len(list) != 0 {
		t.Fatalf("after delete: %+v %v", list, err)
	}
	// At most 20 a centre.
	for i := range 20 {
		if _, err := e.admin.AddWebhook(ctx, req); err != nil {
			t.Fatalf("webhook %d: %v", i+1, err)
		}
	}
	if _, err := e.admin.AddWebhook(ctx, req); apiCode(err) != "409 conflict" {
		t.Fatalf("the 21st: %v", err)
	}
	// A lab's server may allow plain http to a private address.
	lab := newEnvTuned(t, nil, func(c *httpapi.Config) { c.AllowPrivateWebhooks = true })
	req.URL = "http://127.0.0.1:9/hook"
	if _, err := lab.admin.AddWebhook(ctx, req); err != nil {
		t.Fatalf("with private webhooks allowed: %v", err)
	}
}

func TestCloseDay(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	for i, start := range []string{"2026-11-24T09:00:00+07:00", "2026-11-24T13:30:00+07:00", "2026-11-25T09:00:00+07:00"} {
		_, err := bookAs(e.clerk, start, 20+i, nil)
		must(t, err)
	}
	if _, err := e.clerk.CloseDay(ctx, centreID, "2026-11-24", "Mất điện"); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk: %v", err)
	}
	for _, c := range []struct{ date, msg, field string }{
		{"24/11/2026", "Mất điện", "date"}, {"2026-11-20", "Mất điện", "date"}, {"2026-11-24", "", "message"},
	} {
		if _, err := e.admin.CloseDay(ctx, centreID, c.date, c.msg); apiCode(err) != "422 invalid" || apiField(err) != c.field {
			t.Errorf("%q %q: %v (field %q)", c.date, c.msg, err, apiField(err))
		}
	}
	n, err := e.admin.CloseDay(ctx, centreID, "2026-11-24", "Trung tâm mất điện, xin lỗi quý khách.")
	if err != nil || n != 2 {
		t.Fatalf("close-day: %d %v", n, err)
	}
	var bs []apiv1.BookingView
	_, err = e.clerk.Do(ctx, "GET", "/api/v1/centres/"+centreID+"/bookings?date=2026-11-24", nil, &bs)
	must(t, err)
	for _, b := range bs {
		if b.Status != queue.BookingCancelled {
			t.Errorf("booking %s is %s", b.Code, b.Status)
		}
	}
	if s := slotsOf(t, e.clerk, "2026-11-25"); len(s) == 0 {
		t.Fatal("the next day is still bookable")
	}
	if n, err := e.admin.CloseDay(ctx, centreID, "2026-11-24", "Vẫn mất điện."); err != nil || n != 0 {
		t.Fatalf("closing again: %d %v", n, err)
	}
}

func TestPauseMinutesAndAlerts(t *testing.T) {
	e, ck := bookingEnv(t, mondayNine)
	ctx := context.Background()
	_, err := e.clerk.Counter(ctx, centreID, 1, "resume", nil) // open
	must(t, err)
	if _, err := e.clerk.Counter(ctx, centreID, 1, "pause", &apiv1.CounterRequest{Reason: "Họp", Minutes: 601}); apiCode(err) != "422 invalid" || apiField(err) != "minutes" {
		t.Fatalf("601 minutes: %v", err)
	}
	if _, err := e.clerk.Counter(ctx, centreID, 1, "pause", &apiv1.CounterRequest{Reason: "Họp", Minutes: 5}); err != nil {
		t.Fatal(err)
	}
	alerts, err := e.clerk.Alerts(ctx, centreID)
	if err != nil || len(alerts) != 0 {
		t.Fatalf("alerts at once: %+v %v", alerts, err)
	}
	// Six minutes later the engine's ticker finds the pause overlong.
	ck.Add(6 * time.Minute)
	due := func() {
		_, err := e.eng.Write(ctx, func(tx *engine.Tx) (any, error) {
			l, err := tx.Live(centreID)
			if err == nil {
				l.Due(tx.Now)
			}
			return nil, err
		})
		must(t, err)
	}
	due()
	alerts, err = e.clerk.Alerts(ctx, centreID)
	if err != nil || len(alerts) != 1 || alerts[0].Kind != queue.AlertPause || alerts[0].Counter != 1 || alerts[0].Limit != 5 || !strings.HasSuffix(alerts[0].Since, "+07:00") {
		t.Fatalf("alerts: %+v %v", alerts, err)
	}
	if _, err := apiv1.NewClient(e.srv.URL).Alerts(ctx, centreID); apiCode(err) != "401 unauthorized" {
		t.Fatalf("anonymous: %v", err)
	}
	kiosk, _ := enrollKiosk(t, e, "Ki-ốt 1")
	if _, err := kiosk.Alerts(ctx, centreID); apiCode(err) != "403 forbidden" {
		t.Fatalf("kiosk: %v", err)
	}
	_, err = e.clerk.Counter(ctx, centreID, 1, "resume", nil)
	must(t, err)
	due()
	if alerts, err := e.admin.Alerts(ctx, centreID); err != nil || len(alerts) != 0 {
		t.Fatalf("after resume: %+v %v", alerts, err)
	}
}

// storeOnly hides every interface of a store but queue.Store.
type storeOnly struct{ queue.Store }

// A store that keeps no outbox: the messages views answer 503, the rest
// of the API works.
func TestMessagesWithoutOutbox(t *testing.T) {
	e := newEnvTuned(t, nil, func(c *httpapi.Config) { c.Store = storeOnly{c.Store} })
	ctx := context.Background()
	if _, err := e.admin.Messages(ctx, centreID, "", "", 0); apiCode(err) != "503 unavailable" {
		t.Fatalf("messages: %v", err)
	}
	if _, err := e.admin.WebhookDeliveries(ctx, centreID, "any", 0); apiCode(err) != "503 unavailable" {
		t.Fatalf("deliveries: %v", err)
	}
	h, err := e.admin.AddWebhook(ctx, apiv1.WebhookRequest{Centre: centreID, URL: "https://hooks.example.vn/x", Secret: "integrator-secret-0123456789"})
	must(t, err)
	must(t, e.admin.DeleteWebhook(ctx, h.ID)) // found among the live centres
}

// A phone or e-mail address given by the public for notifications is
// limited per day, whatever the ticket (ticket ids are on the public
// event stream): no one turns the centre's SMS gateway on someone's phone.
// Staff are not limited; another address is not.
func TestNotifyAddressLimit(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	pub := apiv1.NewClient(e.srv.URL)
	var ids []string
	for range 7 {
		tk, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
		must(t, err)
		ids = append(ids, tk.ID)
	}
	const victim = "0987654321"
	for i, id := range ids[:5] {
		if _, err := pub.SetTicketNotify(ctx, id, apiv1.NotifyRequest{Consent: true, Phone: victim}); err != nil {
			t.Fatalf("ticket %d: %v", i+1, err)
		}
	}
	_, err := pub.SetTicketNotify(ctx, ids[5], apiv1.NotifyRequest{Consent: true, Phone: "+84 98 765 4321"}) // the same phone, written otherwise
	if apiCode(err) != "429 rate_limited" {
		t.Fatalf("sixth time the same phone: %v", err)
	}
	if _, err := pub.SetTicketNotify(ctx, ids[5], apiv1.NotifyRequest{Consent: true, Phone: "0912345678"}); err != nil {
		t.Fatalf("another phone: %v", err)
	}
	if _, err := e.clerk.SetTicketNotify(ctx, ids[6], apiv1.NotifyRequest{Consent: true, Phone: victim}); err != nil {
		t.Fatalf("staff: %v", err)
	}
	if tk, _ := e.clerk.Ticket(ctx, ids[5]); len(auditActions(t, e)) != 7 || tk.ID == "" {
		t.Fatalf("audit %v", auditActions(t, e))
	}
}
