package notify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/notify"
	"xephang/queue-server/notify/notifytest"
	"xephang/queue-server/queue"
)

const secret = "whsec_0123456789abcdef"

func TestSignVerify(t *testing.T) {
	at := time.Unix(1764842400, 0)
	body := []byte(`{"id":"d-1","type":"ticket.called"}`)
	h := notify.Sign(secret, at, body)
	if !strings.HasPrefix(h, "t=1764842400,v1=") || len(h) != len("t=1764842400,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	if err := notify.Verify(secret, h, body, at.Add(4*time.Minute), 0); err != nil {
		t.Fatalf("valid: %v", err)
	}
	// Secret rotation: signed with the old and the new secret, either verifies.
	rotated := h + ",v1=" + strings.TrimPrefix(notify.Sign("new secret", at, body), "t=1764842400,v1=")
	for _, s := range []string{secret, "new secret"} {
		if err := notify.Verify(s, rotated, body, at, 0); err != nil {
			t.Errorf("rotation, secret %q: %v", s, err)
		}
	}
	other := notify.Sign(secret, at.Add(time.Second), body)
	for _, c := range []struct {
		name   string
		header string
		body   string
		now    time.Time
		want   error
	}{
		{"tampered body", h, `{"id":"d-1","type":"ticket.finished"}`, at, notify.ErrSignatureMismatch},
		{"other secret", notify.Sign("guess", at, body), string(body), at, notify.ErrSignatureMismatch},
		{"time changed", strings.Replace(h, "t=1764842400", "t=1764842401", 1), string(body), at, notify.ErrSignatureMismatch},
		{"another time's signature", "t=1764842400," + other[strings.Index(other, "v1="):], string(body), at, notify.ErrSignatureMismatch},
		{"old", h, string(body), at.Add(5*time.Minute + time.Second), notify.ErrSignatureExpired},
		{"from the future", h, string(body), at.Add(-6 * time.Minute), notify.ErrSignatureExpired},
		{"empty", "", string(body), at, notify.ErrSignatureHeader},
		{"no t", h[strings.Index(h, "v1="):], string(body), at, notify.ErrSignatureHeader},
		{"no v1", "t=1764842400", string(body), at, notify.ErrSignatureHeader},
		{"t twice", "t=1764842400," + h, string(body), at, notify.ErrSignatureHeader},
		{"t not a number", strings.Replace(h, "t=1764842400", "t=-1764842400", 1), string(body), at, notify.ErrSignatureHeader},
		{"v1 short", "t=1764842400,v1=abcd", string(body), at, notify.ErrSignatureHeader},
		{"v1 not hex", "t=1764842400,v1=" + strings.Repeat("zz", 32), string(body), at, notify.ErrSignatureHeader},
		{"not key=value", h + ",junk", string(body), at, notify.ErrSignatureHeader},
		{"too many", h + strings.Repeat(","+h[strings.Index(h, "v1="):], 8), string(body), at, notify.ErrSignatureHeader},
	} {
		err := notify.Verify(secret, c.header, []byte(c.body), c.now, 0)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// Unknown schemes are ignored beside a valid v1.
	if err := notify.Verify(secret, h+",v0=abc", body, at, 0); err != nil {
		t.Errorf("unknown key: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	at := time.Unix(1764842400, 0)
	body := []byte(`{"id":"d-1"}`)
	good := notify.Sign(secret, at, body)
	for _, s := range []string{good, "", "t=", "v1=", "t=1,v1=00", good + "," + good, "t=99999999999999999999,v1=" + strings.Repeat("a", 64), " t = 1 , v1 = x"} {
		f.Add(s, body)
	}
	f.Fuzz(func(t *testing.T, header string, b []byte) {
		err := notify.Verify(secret, header, b, at, 0)
		if err == nil {
			// Accepted: then a v1 value is the signature of this body
			// (hexadecimal, in either case: the same bytes).
			if !strings.Contains(strings.ToLower(header), notify.Sign(secret, at, b)[len("t=1764842400,"):]) && !validAt(header, b, at) {
				t.Fatalf("accepted %q for %q", header, b)
			}
			return
		}
		if !errors.Is(err, notify.ErrSignatureHeader) && !errors.Is(err, notify.ErrSignatureMismatch) && !errors.Is(err, notify.ErrSignatureExpired) {
			t.Fatalf("%q: error %v wraps no sentinel", header, err)
		}
	})
}

// validAt reports whether header holds a v1 signing b at the t it gives.
func validAt(header string, b []byte, now time.Time) bool {
	for s := -300; s <= 300; s++ {
		sig := notify.Sign(secret, now.Add(time.Duration(s)*time.Second), b)
		if strings.Contains(strings.ToLower(header), sig[strings.Index(sig, "v1="):]) {
			return true
		}
	}
	return false
}

func BenchmarkWebhookSign(b *testing.B) {
	body, _ := queue.WebhookBody("d-1", "hn-bd", queue.Event{Seq: 42, Type: queue.EventCalled, At: time.Now(), Counter: 4, Ticket: &queue.EventTicket{ID: "t1", Number: "A012", Service: "A"}})
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		notify.Sign(secret, now, body)
	}
}

func webhookMessage(url, id string, body []byte) notify.Outgoing {
	return notify.Outgoing{ID: id, Centre: "hn-bd", Topic: queue.EventCalled, Body: body, Webhook: &queue.Webhook{ID: "w1", Centre: "hn-bd", URL: url, Secret: secret}}
}

// A delivery reaches the reference receiver, which verifies it; a
// tampered body, an old timestamp and a replay older than 5 minutes are
// refused.
func TestWebhookDelivery(t *testing.T) {
	r := notifytest.StartWebhookReceiver(t, secret)
	w := notify.NewWebhook(notify.WebhookConfig{AllowPrivate: true, Timeout: 5 * time.Second})
	body, err := queue.WebhookBody("d-1", "hn-bd", queue.Event{Seq: 7, Type: queue.EventCalled, At: time.Now(), Counter: 4, Ticket: &queue.EventTicket{ID: "t1", Number: "A012", Service: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(ctx(t), webhookMessage(r.URL+"/hook", "d-1", body)); err != nil {
		t.Fatalf("send: %v (refused %v)", err, r.Refused())
	}
	got := r.Wait(t, 1)
	if len(got) != 1 || r.Count("d-1") != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	d := got[0]
	if string(d.Body) != string(body) || d.Event != queue.EventCalled || d.ID != "d-1" {
		t.Errorf("delivery %+v", d)
	}
	if ct, ua := d.Header.Get("Content-Type"), d.Header.Get("User-Agent"); ct != "application/json" || !strings.HasPrefix(ua, "Xephang-Webhook/") {
		t.Errorf("Content-Type %q, User-Agent %q", ct, ua)
	}

	post := func(header string, b []byte) int {
		req, _ := http.NewRequest(http.MethodPost, r.URL+"/hook", strings.NewReader(string(b)))
		req.Header.Set(notify.SignatureHeader, header)
		req.Header.Set(notify.DeliveryHeader, "d-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sig := d.Header.Get(notify.SignatureHeader)
	tampered := []byte(strings.Replace(string(body), `"counter":4`, `"counter":5`, 1))
	if code := post(sig, tampered); code != http.StatusUnauthorized {
		t.Errorf("tampered body: %d", code)
	}
	if code := post(notify.Sign(secret, time.Now().Add(-6*time.Minute), body), body); code != http.StatusUnauthorized {
		t.Errorf("old timestamp: %d", code)
	}
	// The captured delivery replayed at once is a duplicate the receiver
	// drops by its id; replayed 6 minutes later, it is refused.
	if code := post(sig, body); code != http.StatusNoContent || r.Count("d-1") != 2 {
		t.Errorf("immediate replay: %d, count %d", code, r.Count("d-1"))
	}
	r.SetNow(func() time.Time { return time.Now().Add(6 * time.Minute) })
	if code := post(sig, body); code != http.StatusUnauthorized || r.Count("d-1") != 2 {
		t.Errorf("replay after 6 minutes: %d", code)
	}
	refused := r.Refused()
	if len(refused) != 3 || !errors.Is(refused[0], notify.ErrSignatureMismatch) || !errors.Is(refused[1], notify.ErrSignatureExpired) || !errors.Is(refused[2], notify.ErrSignatureExpired) {
		t.Errorf("refused %v", refused)
	}
	// The sender signs at sending time: its retry verifies.
	r.SetNow(time.Now)
	if err := w.Send(ctx(t), webhookMessage(r.URL+"/hook", "d-1", body)); err != nil {
		t.Errorf("retry signed anew: %v", err)
	}
}

// What each answer means: 2xx ok, 410 gone for good, everything else a
// temporary failure retried by the dispatcher; redirects are answers.
func TestWebhookAnswers(t *testing.T) {
	r := notifytest.StartWebhookReceiver(t, secret)
	w := notify.NewWebhook(notify.WebhookConfig{AllowPrivate: true, Timeout: 300 * time.Millisecond})
	m := webhookMessage(r.URL, "d-2", []byte(`{}`))
	r.SetMode(notifytest.Mode500)
	e := notifyErr(t, w.Send(ctx(t), m))
	if e.Permanent || e.Gone || !strings.Contains(e.Msg, "500") || strings.Contains(e.Msg, "\n") {
		t.Errorf("500: %+v", e)
	}
	r.SetMode(notifytest.ModeSlow)
	if err := w.Send(ctx(t), m); err == nil || notify.IsPermanent(err) {
		t.Errorf("slow receiver: %v, want a temporary error", err)
	}
	r.SetMode(notifytest.ModeOK)
	if err := w.Send(ctx(t), m); err != nil {
		t.Fatal(err)
	}
	if r.Count("d-2") != 2 {
		t.Errorf("count %d, want 2 (the 500 and the success; the slow one was never answered)", r.Count("d-2"))
	}

	var code int
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		hits++
		if req.URL.Path == "/elsewhere" {
			t.Error("a redirect was followed")
		}
		rw.Header().Set("Location", "/elsewhere")
		rw.Header().Set("Retry-After", "30")
		rw.WriteHeader(code)
		fmt.Fprint(rw, strings.Repeat("<html>a very long error page</html>\n", 10000))
	}))
	defer srv.Close()
	for _, c := range []struct {
		code       int
		perm, gone bool
		retry      time.Duration
	}{
		{code: 302},
		{code: 307},
		{code: 400},
		{code: 404},
		{code: 410, perm: true, gone: true},
		{code: 429, retry: 30 * time.Second},
		{code: 503, retry: 30 * time.Second},
	} {
		code = c.code
		e := notifyErr(t, w.Send(ctx(t), webhookMessage(srv.URL, "d-3", []byte(`{}`))))
		if e.Permanent != c.perm || e.Gone != c.gone || e.RetryAfter != c.retry || e.Gateway != "webhook" {
			t.Errorf("%d: %+v", c.code, e)
		}
		if len(e.Msg) > 300 {
			t.Errorf("%d: error of %d bytes", c.code, len(e.Msg))
		}
	}
	code = 200
	if err := w.Send(ctx(t), webhookMessage(srv.URL, "d-3", []byte(`{}`))); err != nil {
		t.Errorf("200: %v", err)
	}
	if hits != 8 {
		t.Errorf("%d requests, want 8", hits)
	}
	if e := notifyErr(t, w.Send(ctx(t), notify.Outgoing{ID: "x"})); !e.Permanent {
		t.Errorf("no webhook: %+v", e)
	}
}

// SSRF: without AllowPrivate, neither the URL check nor the dialler lets
// a webhook reach the server's own network.
func TestWebhookSSRF(t *testing.T) {
	r := notifytest.StartWebhookReceiver(t, secret)
	w := notify.NewWebhook(notify.WebhookConfig{Timeout: 5 * time.Second})
	// http to loopback: refused by the URL check, permanently.
	if e := notifyErr(t, w.Send(ctx(t), webhookMessage(r.URL, "d", []byte(`{}`)))); !e.Permanent {
		t.Errorf("http loopback: %+v", e)
	}
	// A name that resolves to the loopback interface at dialling time
	// (DNS rebinding): TestWebhookDNSRebinding.
	if len(r.Deliveries())+len(r.Refused()) != 0 {
		t.Error("the receiver was reached")
	}

	for _, c := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://hooks.example.vn/xephang", false, true},
		{"https://hooks.example.vn:8443/x?a=1", false, true},
		{"https://203.0.113.9/x", false, true},
		{"http://hooks.example.vn/x", false, false},
		{"http://hooks.example.vn/x", true, true},
		{"http://127.0.0.1:8080/x", true, true},
		{"https://user:pw@hooks.example.vn/x", false, false},
		{"https://user@hooks.example.vn/x", true, false},
		{"https:///x", false, false},
		{"hooks.example.vn/x", false, false},
		{"ftp://hooks.example.vn/x", true, false},
		{"https://127.0.0.1/x", false, false},
		{"https://[::1]/x", false, false},
		{"https://10.1.2.3/x", false, false},
		{"https://192.168.0.10/x", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://100.64.0.1/x", false, false},
		{"https://0.0.0.0/x", false, false},
		{"https://[::ffff:10.0.0.1]/x", false, false},
		{"https://[fd00::1]/x", false, false},
		{"https://224.0.0.1/x", false, false},
		{"https://localhost/x", false, false},
		{"https://a.localhost/x", false, false},
		{"https://hooks.example.vn/" + strings.Repeat("a", 2000), false, false},
	} {
		err := notify.CheckWebhookURL(c.url, c.allowPrivate)
		if (err == nil) != c.ok {
			t.Errorf("%s (allow private %v): %v", c.url, c.allowPrivate, err)
		}
		var qe *queue.Error
		if err != nil && (!errors.As(err, &qe) || qe.Code != queue.EInvalid || qe.VI == "") {
			t.Errorf("%s: %v is not an invalid error in both languages", c.url, err)
		}
	}
}

// The delivery JSON: the event's fields, the delivery id and the centre,
// nothing personal.
func TestWebhookBody(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	for _, c := range []struct {
		e    queue.Event
		keys []string
	}{
		{queue.Event{Seq: 12, Type: queue.EventCalled, At: at, Counter: 4, Ticket: &queue.EventTicket{ID: "t1", Number: "A012", Service: "A", Booked: true}},
			[]string{"at", "centre", "counter", "id", "seq", "ticket", "type"}},
		{queue.Event{Seq: 13, Type: queue.EventTransferred, At: at, Counter: 4, Service: "B", Ticket: &queue.EventTicket{ID: "t1", Number: "A012", Service: "A"}},
			[]string{"at", "centre", "counter", "id", "seq", "service", "ticket", "type"}},
		{queue.Event{Seq: 14, Type: queue.EventPaused, At: at, Counter: 2, Reason: "break"},
			[]string{"at", "centre", "counter", "id", "reason", "seq", "type"}},
		{queue.Event{Seq: 15, Type: queue.EventBooked, At: at, Booking: &queue.EventBooking{Service: "A", Start: at.Add(time.Hour)}},
			[]string{"at", "booking", "centre", "id", "seq", "type"}},
		{queue.Event{Seq: 16, Type: queue.EventAlertRaised, At: at, Service: "A", Reason: "wait", Minutes: 52},
			[]string{"at", "centre", "id", "minutes", "reason", "seq", "service", "type"}},
	} {
		b, err := queue.WebhookBody("d-9", "hn-bd", c.e)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, c.keys) {
			t.Errorf("%s: keys %v, want %v", c.e.Type, keys, c.keys)
		}
		if string(m["id"]) != `"d-9"` || string(m["centre"]) != `"hn-bd"` || string(m["type"]) != `"`+c.e.Type+`"` || string(m["at"]) != `"2026-12-04T02:30:00Z"` {
			t.Errorf("%s: %s", c.e.Type, b)
		}
		if tk, ok := m["ticket"]; ok {
			var ticket map[string]any
			json.Unmarshal(tk, &ticket)
			for k := range ticket {
				if !slices.Contains([]string{"id", "number", "service", "priority", "booked", "offline"}, k) {
					t.Errorf("ticket key %q", k)
				}
			}
			if ticket["number"] != "A012" || ticket["service"] != "A" || ticket["id"] != "t1" {
				t.Errorf("ticket %v", ticket)
			}
		}
	}
}
