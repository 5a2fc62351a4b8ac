package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

const centreID = "phuong-thu"

type env struct {
	srv    *httptest.Server
	api    *httpapi.Server
	store  *bolt.Store
	eng    *engine.Engine
	admin  *apiv1.Client
	clerk  *apiv1.Client
	secret []byte
}

func newEnv(t testing.TB) *env { return newEnvAt(t, nil) }

// newEnvAt starts a server whose engine and handlers read the clock now
// (nil: the real clock), with centre phuong-thu and clerk canbo1.
func newEnvAt(t testing.TB, now func() time.Time) *env { return newEnvTuned(t, now, nil) }

// newEnvTuned is newEnvAt with tune (nil: none) changing the server's
// configuration.
func newEnvTuned(t testing.TB, now func() time.Time, tune func(*httpapi.Config)) *env {
	t.Helper()
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hub := engine.NewHub()
	m := httpapi.NewMetrics()
	eng, err := engine.New(engine.Config{Store: st, Publisher: hub, Now: now, Observer: engine.Observer{Commit: m.ObserveCommit, Committed: m.ObserveChanges}})
	if err != nil {
		t.Fatal(err)
	}
	// The server's key (hashes of CCCD numbers, signed challenges and
	// links), kept so a test can restart a server that still knows them.
	secret := make([]byte, 32)
	rand.Read(secret)
	cfg := httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, Metrics: m, Now: now, Secret: secret}
	if tune != nil {
		tune(&cfg)
	}
	api := httpapi.New(cfg)
	srv := httptest.NewServer(openapitest.Wrap(t, api))
	t.Cleanup(func() { srv.Close(); eng.Close(); st.Close() })
	ctx := context.Background()
	if _, err := api.PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "admin-secret"}); err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv, api: api, store: st, eng: eng, secret: secret, admin: apiv1.NewClient(srv.URL), clerk: apiv1.NewClient(srv.URL)}
	must(t, e.admin.Login(ctx, "admin", "admin-secret"))
	if _, err := e.admin.PutCentre(ctx, envCentre()); err != nil {
		t.Fatal(err)
	}
	must(t, e.admin.PutUser(ctx, "canbo1", apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centreID, Password: "clerk-secret"}))
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret"))
	return e
}

// envCentre is the test centre: open Mondays 07:30–17:00, two counters.
func envCentre() queue.Centre {
	c := storetest.Centre(centreID)
	c.Counters = append(c.Counters, queue.CounterConfig{Number: 2, Name: "Quầy 2", Services: []string{"A"}})
	return c
}

// alwaysOpen opens the test centre round the clock, for tests of kiosks
// on the real clock (kiosks issue numbers only in the centre's window).
func (e *env) alwaysOpen(t testing.TB) {
	t.Helper()
	c := envCentre()
	storetest.AlwaysOpen(&c)
	if _, err := e.admin.PutCentre(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func apiCode(err error) string {
	var ae *apiv1.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%d %s", ae.Status, ae.Code)
	}
	return fmt.Sprint(err)
}

func TestTicketFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a1, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	a2, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "a", Priority: "elderly", IdempotencyKey: "k-1"})
	must(t, err)
	again, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", IdempotencyKey: "k-1"})
	must(t, err)
	if a1.Number != "A001" || a2.Number != "A002" || again.ID != a2.ID || a1.Status != "waiting" || a1.IssuedAt == "" || !strings.HasSuffix(a1.IssuedAt, "+07:00") {
		t.Fatalf("issued %+v, %+v, again %+v", a1, a2, again)
	}
	// The public tracking needs no token.
	pub := apiv1.NewClient(e.srv.URL)
	tr, err := pub.Ticket(ctx, a1.ID)
	must(t, err)
	if tr.Number != "A001" || tr.Position != 2 || tr.ServiceName != "Hộ tịch" {
		t.Fatalf("tracked %+v (the elderly ticket is ahead)", tr)
	}
	called, ok, err := e.clerk.Next(ctx, centreID, 1)
	if err != nil || !ok || called.ID != a2.ID || called.Counter != 1 || called.Status != "called" {
		t.Fatalf("next: %+v %v %v", called, ok, err)
	}
	called, _, _ = e.clerk.Next(ctx, centreID, 1)
	if called.ID != a1.ID {
		t.Fatalf("second next called %s", called.Number)
	}
	if tr, _ := pub.Ticket(ctx, a2.ID); tr.Status != "done" {
		t.Fatalf("the first called ticket is %s after next", tr.Status)
	}
	_, ok, err = e.clerk.Next(ctx, centreID, 1)
	if err != nil || ok {
		t.Fatalf("next on an empty queue: ok=%v err=%v (want 204)", ok, err)
	}
	q, err := pub.Queue(ctx, centreID)
	must(t, err)
	if q.LastSeq == 0 || len(q.Counters) != 2 || q.Counters[0].Status != "open" || q.Services[0].Code != "A" {
		t.Fatalf("queue %+v", q)
	}
	// Transfer and pause with a reason; actions on an idle counter are refused.
	b, _ := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	e.clerk.Next(ctx, centreID, 2)
	resp, err := e.clerk.Counter(ctx, centreID, 2, "transfer", &apiv1.CounterRequest{Service: "B"})
	if err != nil || resp.Ticket.Service != "B" || resp.Ticket.Number != b.Number || resp.Ticket.Status != "waiting" {
		t.Fatalf("transfer: %+v %v", resp.Ticket, err)
	}
	if _, err := e.clerk.Counter(ctx, centreID, 2, "finish", nil); apiCode(err) != "409 no_current_ticket" {
		t.Fatalf("finish on idle counter: %v", err)
	}
	resp, err = e.clerk.Counter(ctx, centreID, 2, "pause", &apiv1.CounterRequest{Reason: "Họp"})
	if err != nil || resp.Counter.Status != "paused" || resp.Counter.Reason != "Họp" {
		t.Fatalf("pause: %+v %v", resp.Counter, err)
	}
	if _, err := e.clerk.Counter(ctx, centreID, 2, "next", nil); apiCode(err) != "409 counter_paused" {
		t.Fatalf("next while paused: %v", err)
	}
	if _, err := e.clerk.Counter(ctx, centreID, 9, "next", nil); apiCode(err) != "404 not_found" {
		t.Fatalf("unknown counter: %v", err)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	anon := apiv1.NewClient(e.srv.URL)
	if _, err := anon.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"}); apiCode(err) != "401 unauthorized" {
		t.Fatalf("anonymous issue: %v", err)
	}
	if err := anon.Login(ctx, "canbo1", "wrong-password"); apiCode(err) != "401 unauthorized" {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := e.clerk.PutCentre(ctx, storetest.Centre(centreID)); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk configuring: %v", err)
	}
	// A clerk acts only on counters of their own centre.
	_, err := e.admin.PutCentre(ctx, storetest.Centre("phuong-khac"))
	must(t, err)
	if _, err := e.clerk.Counter(ctx, "phuong-khac", 1, "next", nil); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk at another centre: %v", err)
	}
	// Passwords are stored as bcrypt hashes.
	u, _ := e.store.User("canbo1")
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte("clerk-secret")) != nil || bytes.Contains(u.PasswordHash, []byte("clerk-secret")) {
		t.Fatal("password not stored as a bcrypt hash")
	}
	// Messages follow Accept-Language.
	en := apiv1.NewClient(e.srv.URL)
	en.Language = "en-US,en;q=0.9"
	_, err = en.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	var ae *apiv1.APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "Sign in") {
		t.Fatalf("English message: %v", err)
	}
	_, err = anon.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "Vui lòng đăng nhập") {
		t.Fatalf("Vietnamese message by default: %v", err)
	}
	// Logout ends the token.
	if _, err := e.clerk.Do(ctx, "POST", "/api/v1/logout", nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"}); apiCode(err) != "401 unauthorized" {
		t.Fatalf("after logout: %v", err)
	}
}

func TestTokenExpires(t *testing.T) {
	st, _ := bolt.Open(t.TempDir())
	hub := engine.NewHub()
	eng, _ := engine.New(engine.Config{Store: st, Publisher: hub})
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	api := httpapi.New(httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, TokenTTL: time.Hour, Now: clock})
	srv := httptest.NewServer(openapitest.Wrap(t, api))
	defer func() { srv.Close(); eng.Close(); st.Close() }()
	ctx := context.Background()
	api.PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "admin-secret"})
	c := apiv1.NewClient(srv.URL)
	must(t, c.Login(ctx, "admin", "admin-secret"))
	if _, err := c.Do(ctx, "GET", "/api/v1/users", nil, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(61 * time.Minute)
	mu.Unlock()
	if _, err := c.Do(ctx, "GET", "/api/v1/users", nil, nil); apiCode(err) != "401 unauthorized" {
		t.Fatalf("expired token: %v", err)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	before, _ := e.clerk.Queue(ctx, centreID)
	raw := func(method, path, body string) string {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.admin.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var eb apiv1.ErrorBody
		buf := new(bytes.Buffer)
		buf.ReadFrom(resp.Body)
		if resp.StatusCode < 400 {
			return fmt.Sprint(resp.StatusCode)
		}
		if err := jsonUnmarshal(buf.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("%s %s: error body %q is not {error:{code,message}}", method, path, buf.String())
		}
		return fmt.Sprintf("%d %s", resp.StatusCode, eb.Error.Code)
	}
	tickets := "/api/v1/centres/" + centreID + "/tickets"
	cases := []struct{ method, path, body, want string }{
		{"POST", tickets, `{"service":`, "400 bad_request"},
		{"POST", tickets, `{"service":"A","colour":"red"}`, "400 bad_request"},
		{"POST", tickets, `{"service":"A"} {"service":"A"}`, "400 bad_request"},
		{"POST", tickets, `{"service":"Z"}`, "404 not_found"},
		{"POST", tickets, `{"service":"A","priority":"vip"}`, "422 invalid"},
		{"POST", tickets, `{"service":"A","idempotency_key":"` + strings.Repeat("x", 200) + `"}`, "422 invalid"},
		{"POST", tickets, `{"service":"` + strings.Repeat("A", 70<<10) + `"}`, "413 too_large"},
		{"POST", "/api/v1/centres/nowhere/tickets", `{"service":"A"}`, "404 not_found"},
		{"PUT", "/api/v1/centres/" + centreID, `{"name":"","services":[]}`, "422 invalid"},
		{"PUT", "/api/v1/centres/" + centreID, `{"id":"other","name":"x"}`, "422 invalid"},
		{"PUT", "/api/v1/users/Bad Name", `{"role":"clerk"}`, "422 invalid"},
		{"PUT", "/api/v1/users/newclerk", `{"role":"clerk","centre":"` + centreID + `","password":"short"}`, "422 invalid"},
		{"POST", "/api/v1/centres/" + centreID + "/counters/1/call", `{"ticket":"nope","reason":"x"}`, "404 not_found"},
		{"POST", "/api/v1/centres/" + centreID + "/counters/x/next", ``, "404 not_found"},
		{"GET", "/api/v1/tickets/nope", ``, "404 not_found"},
		{"GET", "/api/v1/centres/" + centreID + "/events?since=abc", ``, "422 invalid"},
	}
	for _, c := range cases {
		if got := raw(c.method, c.path, c.body); got != c.want {
			t.Errorf("%s %s %.40q: got %s, want %s", c.method, c.path, c.body, got, c.want)
		}
	}
	after, _ := e.clerk.Queue(ctx, centreID)
	if after.LastSeq != before.LastSeq {
		t.Fatalf("bad requests changed the centre: last_seq %d → %d", before.LastSeq, after.LastSeq)
	}
	cfg, _ := e.admin.Centre(ctx, centreID)
	if cfg.Name == "" || len(cfg.Services) != 2 {
		t.Fatalf("centre changed by a refused PUT: %+v", cfg)
	}
}

// TestDecodeErrorsNameTheField: a body the API cannot read is answered in
// its own words (JSON names and kinds, not the server's Go types), in both
// languages, with the field at fault named for a form to point at.
func TestDecodeErrorsNameTheField(t *testing.T) {
	e := newEnv(t)
	tickets := "/api/v1/centres/" + centreID + "/tickets"
	post := func(path, body, lang string) (int, apiv1.ErrorBody) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.admin.Token)
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var eb apiv1.ErrorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, eb
	}
	cases := []struct {
		path, body, field, en, vi string
	}{
		{tickets, `{"service":5}`, "service", `Field "service" must be a string, not number`, `Trường "service" phải là chuỗi, không phải số`},
		{tickets, `{"service":"A","offline":"yes"}`, "offline", `Field "offline" must be a boolean, not string`, `Trường "offline" phải là giá trị đúng/sai, không phải chuỗi`},
		{tickets, `{"service":"A","colour":"red"}`, "colour", `Unknown field "colour"`, `Trường không được hỗ trợ "colour"`},
		{tickets, `["A"]`, "", `The body must be a JSON object, not array`, `Nội dung phải là đối tượng JSON, không phải mảng`},
		{tickets, ``, "", `The request body is empty`, `Nội dung yêu cầu trống`},
		{tickets, `{"service":`, "", `ends before the object does`, `kết thúc trước khi đối tượng kết thúc`},
		{tickets, `{"service" "A"}`, "", `Malformed JSON at byte 12`, `JSON không hợp lệ ở byte 12`},
		{"/api/v1/centres/" + centreID + "/bookings", `{"service":"A","start":"2026-11-24T09:00:00+07:00","citizen":{"id_number":1}}`, "citizen.id_number", `Field "citizen.id_number" must be a string, not number`, `Trường "citizen.id_number" phải là chuỗi`},
	}
	for _, c := range cases {
		for _, lang := range []string{"en", "vi"} {
			code, eb := post(c.path, c.body, lang)
			want := c.vi
			if lang == "en" {
				want = c.en
			}
			if code != http.StatusBadRequest || eb.Error.Code != "bad_request" || eb.Error.Field != c.field || !strings.Contains(eb.Error.Message, want) {
				t.Errorf("%.50s (%s): %d %+v, want 400 bad_request field %q message with %q", c.body, lang, code, eb.Error, c.field, want)
			}
			if strings.Contains(eb.Error.Message, "Go ") || strings.Contains(eb.Error.Message, "httpapi.") || strings.Contains(eb.Error.Message, "%!") {
				t.Errorf("%.50s (%s): message %q shows the server's internals", c.body, lang, eb.Error.Message)
			}
		}
	}
	// The Go client carries the field.
	_, err := e.clerk.Do(context.Background(), "POST", tickets, map[string]any{"service": true}, nil)
	var ae *apiv1.APIError
	if !errors.As(err, &ae) || ae.Field != "service" {
		t.Errorf("client error %v, want one naming the field service", err)
	}
}

func TestConcurrentIssueUniqueNumbers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const clients, each = 32, 20
	var mu sync.Mutex
	var numbers []string
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				tk, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "B"})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				numbers = append(numbers, tk.Number)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sort.Strings(numbers)
	for i, n := range numbers {
		if want := queue.FormatNumber("B", i+1); n != want {
			t.Fatalf("numbers not unique and contiguous: position %d holds %s, want %s", i, n, want)
		}
	}
}

func TestEventStreamResumes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	q, _ := e.clerk.Queue(ctx, centreID)
	start := q.LastSeq
	s, err := e.clerk.Events(ctx, centreID, start)
	must(t, err)
	e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	e.clerk.Next(ctx, centreID, 1)
	var got []queue.Event
	for len(got) < 3 { // issued, opened, called
		ev, err := s.Next(time.Now().Add(5 * time.Second))
		must(t, err)
		got = append(got, ev)
	}
	if got[0].Type != queue.EventIssued || got[2].Type != queue.EventCalled || got[2].Counter != 1 || got[2].Ticket.Number != "A001" {
		t.Fatalf("live events %+v", got)
	}
	s.Close()
	// While the display is away, more calls happen; it resumes from its last seq.
	last := got[len(got)-1].Seq
	e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	e.clerk.Next(ctx, centreID, 1)
	s2, err := e.clerk.Events(ctx, centreID, last)
	must(t, err)
	defer s2.Close()
	want := []string{queue.EventIssued, queue.EventFinished, queue.EventCalled}
	for i, w := range want {
		ev, err := s2.Next(time.Now().Add(5 * time.Second))
		must(t, err)
		if ev.Seq != last+uint64(i)+1 || ev.Type != w {
			t.Fatalf("resumed event %d: seq %d type %s, want seq %d type %s", i, ev.Seq, ev.Type, last+uint64(i)+1, w)
		}
	}
	// Then live again, with no gap.
	e.clerk.Counter(ctx, centreID, 1, "finish", nil)
	ev, err := s2.Next(time.Now().Add(5 * time.Second))
	if err != nil || ev.Seq != last+4 || ev.Type != queue.EventFinished {
		t.Fatalf("live after replay: %+v %v", ev, err)
	}
	// Events carry no personal data and the stream needs no token.
	anon := apiv1.NewClient(e.srv.URL)
	s3, err := anon.Events(ctx, centreID, 0)
	must(t, err)
	defer s3.Close()
	first, err := s3.Next(time.Now().Add(5 * time.Second))
	if err != nil || first.Seq != 1 {
		t.Fatalf("anonymous replay from 0: %+v %v", first, err)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(e.srv.URL + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	e.clerk.Issue(context.Background(), centreID, apiv1.IssueRequest{Service: "A"})
	resp, _ := http.Get(e.srv.URL + "/metrics")
	buf := new(bytes.Buffer)
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`xephang_tickets_total{centre="phuong-thu",event="ticket.issued",service="A"} 1`, "xephang_http_request_duration_seconds_bucket"} {
		if !strings.Contains(buf.String(), m) {
			t.Errorf("metrics lack %s", m)
		}
	}
}
