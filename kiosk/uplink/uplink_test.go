package uplink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/kiosk/outbox"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// fakeServer is the part of the queue server's contract a link uses, with
// switches to fail: down answers 502 like a proxy with no upstream; lose
// commits a ticket and then drops the answer (the ambiguous case).
type fakeServer struct {
	mu        sync.Mutex
	down      bool
	lose      int
	next      int
	tickets   map[string]string // idempotency key → number
	issues    int
	beats     []apiv1.HeartbeatRequest
	configGet int
	days      map[string]int    // blocks leased per day
	voids     []string          // idempotency keys withdrawn
	prechecks map[string]string // ticket id → result
	forms     map[string]string // ticket id → form
	idents    map[string]string // ticket id → identity
	docs      []postedDoc       // documents received, in order (a repeated id once)
	loseDoc   int               // keep a document, then drop the answer
	refuseDoc string            // a document name answered 413
	refuse    string            // a day whose blocks are refused
	status    int               // answer every kiosk call with this status and code when set
	code      string
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	if f.status != 0 {
		reply(f.status, map[string]any{"error": map[string]string{"code": f.code, "message": "no"}})
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "POST /api/v1/centres/c/tickets/void":
		var v apiv1.VoidRequest
		json.NewDecoder(r.Body).Decode(&v)
		if _, ok := f.tickets[v.IdempotencyKey]; !ok {
			reply(404, map[string]any{"error": map[string]string{"code": "not_found", "message": "không có"}})
			return
		}
		f.voids = append(f.voids, v.IdempotencyKey)
		reply(200, apiv1.TicketView{ID: "T-" + v.IdempotencyKey, Status: "void"})
	case "PUT /api/v1/tickets/T-on1/precheck", "PUT /api/v1/tickets/T-key0/precheck":
		raw, _ := io.ReadAll(r.Body)
		if f.prechecks == nil {
			f.prechecks = map[string]string{}
		}
		f.prechecks[strings.Split(r.URL.Path, "/")[4]] = string(raw)
		w.WriteHeader(204)
	case "PUT /api/v1/tickets/T-key0/form", "PUT /api/v1/tickets/T-key1/form":
		raw, _ := io.ReadAll(r.Body)
		if f.forms == nil {
			f.forms = map[string]string{}
		}
		f.forms[strings.Split(r.URL.Path, "/")[4]] = string(raw)
		reply(200, json.RawMessage(raw))
	case "PUT /api/v1/tickets/T-key0/identity", "PUT /api/v1/tickets/T-key1/identity":
		raw, _ := io.ReadAll(r.Body)
		if f.idents == nil {
			f.idents = map[string]string{}
		}
		if strings.Contains(r.URL.Path, "key1") {
			reply(422, map[string]any{"error": map[string]string{"code": "invalid", "message": "face too large"}})
			return
		}
		f.idents[strings.Split(r.URL.Path, "/")[4]] = string(raw)
		w.WriteHeader(204)
	case "POST /api/v1/tickets/T-key0/documents", "POST /api/v1/tickets/T-key1/documents":
		f.document(w, r, reply)
	case "GET /api/v1/centres/c":
		f.configGet++
		reply(200, queue.Centre{ID: "c", Name: "Trung tâm", Timezone: "Asia/Ho_Chi_Minh",
			Services: []queue.Service{{Code: "A", Name: "Hộ tịch"}, {Code: "B", Name: "Đất đai"}}})
	case "GET /api/v1/centres/c/queue":
		reply(200, apiv1.QueueView{LastSeq: 7})
	case "POST /api/v1/kiosks/heartbeat":
		var hb apiv1.HeartbeatRequest
		json.NewDecoder(r.Body).Decode(&hb)
		f.beats = append(f.beats, hb)
		reply(200, map[string]any{"server_time": time.Now().Add(time.Hour)})
	case "POST /api/v1/centres/c/number-blocks":
		var b apiv1.BlockRequest
		json.NewDecoder(r.Body).Decode(&b)
		if b.Day == f.refuse {
			reply(422, map[string]any{"error": map[string]string{"code": "invalid", "message": "closed"}})
			return
		}
		if f.days == nil {
			f.days = map[string]int{}
		}
		f.days[b.Day]++
		f.next += 100
		reply(201, queue.NumberBlock{ID: fmt.Sprint("blk", f.next), Service: b.Service, Day: b.Day, From: f.next, To: f.next + b.Size - 1})
	case "POST /api/v1/centres/c/tickets":
		var t apiv1.IssueRequest
		json.NewDecoder(r.Body).Decode(&t)
		if t.Number == "A999" {
			reply(409, map[string]any{"error": map[string]string{"code": "conflict", "message": "đã có"}})
			return
		}
		if _, ok := f.tickets[t.IdempotencyKey]; !ok {
			f.tickets[t.IdempotencyKey] = t.Number
			f.issues++
		}
		if f.lose > 0 {
			f.lose--
			panic(http.ErrAbortHandler) // committed, answer lost
		}
		reply(201, apiv1.TicketView{ID: "T-" + t.IdempotencyKey, Number: t.Number})
	default:
		http.NotFound(w, r)
	}
}

// postedDoc is a document as the fake server received it.
type postedDoc struct {
	Ticket string
	Meta   map[string]any
	PDF    []byte
}

// document takes a multipart document as the server's contract says:
// part meta (JSON), part pdf whose SHA-256 is meta's.
func (f *fakeServer) document(w http.ResponseWriter, r *http.Request, reply func(int, any)) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		reply(400, map[string]any{"error": map[string]string{"code": "invalid", "message": err.Error()}})
		return
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(r.FormValue("meta")), &meta); err != nil {
		reply(400, map[string]any{"error": map[string]string{"code": "invalid", "message": "meta"}})
		return
	}
	file, fh, err := r.FormFile("pdf")
	if err != nil || fh.Header.Get("Content-Type") != "application/pdf" {
		reply(400, map[string]any{"error": map[string]string{"code": "invalid", "message": "pdf"}})
		return
	}
	pdf, _ := io.ReadAll(file)
	sum := sha256.Sum256(pdf)
	if meta["sha256"] != hex.EncodeToString(sum[:]) || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		reply(422, map[string]any{"error": map[string]string{"code": "invalid", "message": "sha256"}})
		return
	}
	if meta["name"] == f.refuseDoc {
		reply(413, map[string]any{"error": map[string]string{"code": "too_large", "message": "quá lớn"}})
		return
	}
	view := apiv1.DocumentView{ID: meta["id"].(string), SHA256: meta["sha256"].(string), Size: len(pdf)}
	for _, d := range f.docs {
		if d.Meta["id"] == meta["id"] {
			reply(200, view)
			return
		}
	}
	f.docs = append(f.docs, postedDoc{Ticket: strings.Split(r.URL.Path, "/")[4], Meta: meta, PDF: pdf})
	if f.loseDoc > 0 {
		f.loseDoc--
		panic(http.ErrAbortHandler)
	}
	reply(201, view)
}

func newLink(t *testing.T, f *fakeServer, opts ...func(*Config)) (*Link, *outbox.Store) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	st, err := outbox.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cl := apiv1.NewClient(srv.URL)
	cl.Token = "kiosk-token"
	cfg := Config{Client: cl, Store: st, Centre: "c", Version: "test", Log: slog.New(slog.DiscardHandler),
		BlockSize: 5, Heartbeat: 50 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		Devices: func() []queue.DeviceStatus {
			return []queue.DeviceStatus{{Name: "printer", Kind: "printer", Status: "ok"}}
		}}
	for _, o := range opts {
		o(&cfg)
	}
	l := New(cfg)
	return l, st
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLinkLeasesReplaysExactlyOnceAndBeats(t *testing.T) {
	f := &fakeServer{tickets: map[string]string{}}
	l, st := newLink(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "two blocks per service", func() bool {
		_, blocks, _ := st.Left(l.Today())
		return blocks["A"] == 2 && blocks["B"] == 2
	})
	if !l.Online() {
		t.Error("not online")
	}
	if d := l.Now().Sub(time.Now()); d < 59*time.Minute {
		t.Errorf("clock offset from the heartbeat: %v", d)
	}
	// Cut the link, issue offline, lose some answers after the server
	// committed: every ticket still arrives once.
	f.mu.Lock()
	f.down = true
	f.mu.Unlock()
	waitFor(t, "link down", func() bool { return !l.Online() })
	var keys []string
	for i := range 7 {
		tk, err := st.Take(outbox.Ticket{Key: fmt.Sprint("key", i), Centre: "c", Service: "A", Day: l.Today(), IssuedAt: l.Now()})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tk.Key)
		l.Kick()
	}
	if n, _, _ := st.Left(l.Today()); n["A"] != 3 {
		t.Errorf("numbers left %d, want 3", n["A"])
	}
	time.Sleep(100 * time.Millisecond)
	f.mu.Lock()
	f.down, f.lose = false, 3
	f.mu.Unlock()
	waitFor(t, "outbox drained", func() bool { p, _ := st.Tickets(outbox.Pending); return len(p) == 0 })
	f.mu.Lock()
	if f.issues != 7 || len(f.tickets) != 7 {
		t.Errorf("server has %d tickets from %d issues, want 7", len(f.tickets), f.issues)
	}
	f.mu.Unlock()
	sent, _ := st.Tickets(outbox.Sent)
	if len(sent) != 7 || sent[0].ServerID != "T-key0" {
		t.Errorf("sent %+v", sent)
	}
	waitFor(t, "refilled", func() bool { _, b, _ := st.Left(l.Today()); return b["A"] == 2 })
	f.mu.Lock()
	last := f.beats[len(f.beats)-1]
	f.mu.Unlock()
	if last.Version != "test" || len(last.Devices) != 1 {
		t.Errorf("heartbeat %+v", last)
	}
}

func TestReplayRejectsForGoodOnConflict(t *testing.T) {
	f := &fakeServer{tickets: map[string]string{}}
	l, st := newLink(t, f)
	st.AddBlock(outbox.Block{ID: "b", Service: "A", Day: "2026-11-24", From: 999, To: 1000})
	for i := range 2 {
		if _, err := st.Take(outbox.Ticket{Key: fmt.Sprint("k", i), Centre: "c", Service: "A", Day: "2026-11-24", IssuedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := l.Replay(context.Background())
	if n != 2 || err != nil {
		t.Fatalf("settled %d, %v", n, err)
	}
	c, _ := st.Counts()
	if c[outbox.Rejected] != 1 || c[outbox.Sent] != 1 {
		t.Errorf("counts %v", c)
	}
	if s := l.Status(); s.Rejected != 1 || s.LastError == "" {
		t.Errorf("status %+v", s)
	}
}

func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{context.DeadlineExceeded, true},
		{&apiv1.APIError{Status: 502}, true},
		{&apiv1.APIError{Status: 409}, false},
		{nil, false},
	} {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("Unreachable(%v) = %v", tc.err, got)
		}
	}
}

// clockAt is a kiosk clock at the local time hh:mm of the fake server's
// clock (an hour ahead of the kiosk's, which the heartbeat corrects).
func clockAt(hh, mm int) func() time.Time {
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	n := time.Now().In(loc)
	at := time.Date(n.Year(), n.Month(), n.Day(), hh, mm, 0, 0, loc).Add(-time.Hour)
	start := time.Now()
	return func() time.Time { return at.Add(time.Since(start)) }
}

func TestLinkLeasesTomorrowInTheEvening(t *testing.T) {
	for _, tc := range []struct {
		name     string
		hh, mm   int
		hours    bool // the centre closes at 17:00 today
		tomorrow bool
	}{
		{"morning", 9, 0, false, false},
		{"evening", 18, 30, false, true},
		{"after closing", 17, 10, true, true},
		{"before closing", 16, 50, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeServer{tickets: map[string]string{}}
			l, st := newLink(t, f, func(c *Config) { c.Clock = clockAt(tc.hh, tc.mm) })
			l.heartbeat(context.Background()) // learns the server's clock
			centre := queue.Centre{ID: "c", Name: "Trung tâm", Timezone: "Asia/Ho_Chi_Minh",
				Services: []queue.Service{{Code: "A", Name: "Hộ tịch"}, {Code: "B", Name: "Đất đai"}}}
			if tc.hours {
				now := l.Now().In(centre.Location())
				centre.Hours = []queue.Hours{{Weekday: int(now.Weekday()), Open: "07:30", Close: "17:00"}}
			}
			l.mu.Lock()
			l.centre = &centre
			l.mu.Unlock()
			if err := l.Refill(context.Background()); err != nil {
				t.Fatal(err)
			}
			today := l.Today()
			now := l.Now().In(centre.Location())
			tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 12, 0, 0, 0, now.Location()).Format(time.DateOnly)
			_, blocks, _ := st.Left(tomorrow)
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.days[today] != 4 {
				t.Errorf("today's blocks: %v", f.days)
			}
			want := 0
			if tc.tomorrow {
				want = 2
			}
			if blocks["A"] != want || blocks["B"] != want {
				t.Errorf("tomorrow (%s) blocks %v, want %d per service", tomorrow, blocks, want)
			}
		})
	}
	// At midnight tomorrow's blocks are today's: a kiosk offline from
	// the start of the day issues from them.
	f := &fakeServer{tickets: map[string]string{}}
	l, st := newLink(t, f, func(c *Config) { c.Clock = clockAt(19, 0) })
	l.heartbeat(context.Background())
	if err := l.fetchCentre(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Refill(context.Background()); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	next := l.Now().In(loc)
	day := time.Date(next.Year(), next.Month(), next.Day()+1, 7, 30, 0, 0, loc)
	tk, err := st.Take(outbox.Ticket{Key: "morning", Centre: "c", Service: "A", Day: day.Format(time.DateOnly), IssuedAt: day})
	if err != nil || tk.Number == "" {
		t.Fatalf("first ticket of tomorrow, offline: %+v %v", tk, err)
	}
	// A day the server will not lease (closed) is not asked again.
	f2 := &fakeServer{tickets: map[string]string{}}
	l2, _ := newLink(t, f2, func(c *Config) { c.Clock = clockAt(20, 0) })
	l2.heartbeat(context.Background())
	l2.fetchCentre(context.Background())
	now2 := l2.Now().In(loc)
	f2.mu.Lock()
	f2.refuse = time.Date(now2.Year(), now2.Month(), now2.Day()+1, 12, 0, 0, 0, loc).Format(time.DateOnly)
	f2.mu.Unlock()
	for range 2 {
		if err := l2.Refill(context.Background()); err != nil {
			t.Fatalf("a refusal for tomorrow is not a failure: %v", err)
		}
	}
	if l2.refusedDay != f2.refuse {
		t.Errorf("refused day %q", l2.refusedDay)
	}
}

func TestLinkWithdrawsUnprintedAndAttachesPrechecks(t *testing.T) {
	f := &fakeServer{tickets: map[string]string{"on1": "A001", "on2": "A002"}}
	l, st := newLink(t, f)
	ctx := context.Background()
	now := time.Now()
	pre := json.RawMessage(`{"procedure":"khai-sinh","ok":false}`)
	st.Record(outbox.Ticket{Key: "on1", Centre: "c", Service: "A", Number: "A001", ServerID: "T-on1", IssuedAt: now, Precheck: pre})
	st.Record(outbox.Ticket{Key: "on2", Centre: "c", Service: "A", Number: "A002", ServerID: "T-on2", IssuedAt: now})
	st.Record(outbox.Ticket{Key: "gone", Centre: "c", Service: "A", Number: "A003", ServerID: "T-gone", IssuedAt: now})
	st.Printed("on1", now)
	st.Withdraw("on2", "paper out")
	st.Recover() // "gone" was printing when kioskd died; the server never had it
	// An offline ticket with a pre-check: replayed, then its result attached.
	st.AddBlock(outbox.Block{ID: "b", Service: "A", Day: "2026-11-24", From: 50, To: 60})
	st.Take(outbox.Ticket{Key: "key0", Centre: "c", Service: "A", Day: "2026-11-24", IssuedAt: now, Precheck: pre})
	n, err := l.Replay(ctx)
	if err != nil || n != 5 {
		t.Fatalf("replay settled %d: %v", n, err)
	}
	f.mu.Lock()
	if len(f.voids) != 1 || f.voids[0] != "on2" {
		t.Errorf("voids %v", f.voids)
	}
	if f.prechecks["T-on1"] != string(pre) || f.prechecks["T-key0"] != string(pre) {
		t.Errorf("prechecks %v", f.prechecks)
	}
	f.mu.Unlock()
	if c, _ := st.Counts(); c[outbox.Void] != 2 || c[outbox.Voiding] != 0 || c[outbox.Sent] != 2 {
		t.Errorf("counts %v", c)
	}
	if todo, _ := st.PrechecksToAttach(); len(todo) != 0 {
		t.Errorf("left to attach %+v", todo)
	}
	if n, err := l.Replay(ctx); n != 0 || err != nil {
		t.Errorf("second replay %d %v", n, err)
	}
}

func TestLinkSuspendedWhenRevokedOrPending(t *testing.T) {
	f := &fakeServer{tickets: map[string]string{}, status: 403, code: "kiosk_pending"}
	l, _ := newLink(t, f)
	ctx := context.Background()
	l.heartbeat(ctx)
	if got := l.Status().Suspended; got != SuspendedPending {
		t.Fatalf("pending: %q", got)
	}
	f.mu.Lock()
	f.code = "kiosk_revoked"
	f.mu.Unlock()
	l.heartbeat(ctx)
	if got := l.Suspended(); got != SuspendedRevoked {
		t.Fatalf("revoked: %q", got)
	}
	f.mu.Lock()
	f.status = 0
	f.mu.Unlock()
	l.heartbeat(ctx)
	if got := l.Suspended(); got != "" {
		t.Fatalf("served again: %q", got)
	}
	l.SetSuspended(SuspendedExpired)
	l.heartbeat(ctx)
	if got := l.Suspended(); got != SuspendedExpired {
		t.Fatalf("an expired certificate is the kiosk's own finding: %q", got)
	}
}

// Offline tickets with a form and documents: nothing of them is sent
// while the server is down; once it is back the ticket goes first, then
// its form, then its documents in order, each once (a lost answer is
// retried with the same id), a refused one dropped, every file removed.
func TestLinkReplaysFormsAndDocumentsAfterTheirTicket(t *testing.T) {
	f := &fakeServer{tickets: map[string]string{}, down: true, loseDoc: 1, refuseDoc: "Quá lớn"}
	l, st := newLink(t, f)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	st.AddBlock(outbox.Block{ID: "b", Service: "A", Day: "2026-11-24", From: 50, To: 60})
	form := json.RawMessage(`{"procedure":"khai-sinh","version":"v1","values":{"applicant_name":"Lê Thị Thuỷ"}}`)
	doc := func(name string, body string) outbox.Document {
		return outbox.Document{ID: outbox.NewDocumentID(), Name: name, Kind: "k", Pages: 1, Status: "present",
			Fields: map[string]string{"name": "LÊ THỊ THUỶ"}, PDF: []byte("%PDF-1.4 " + body)}
	}
	t0 := outbox.Ticket{Key: "key0", Centre: "c", Service: "A", Day: "2026-11-24", IssuedAt: now, Form: form,
		Documents: []outbox.Document{doc("Tờ khai", "one"), doc("Quá lớn", "two"), doc("Giấy chứng sinh", "three")}}
	t1 := outbox.Ticket{Key: "key1", Centre: "c", Service: "A", Day: "2026-11-24", IssuedAt: now.Add(time.Second),
		Documents: []outbox.Document{doc("Khác", "four")}}
	for _, tk := range []outbox.Ticket{t0, t1} {
		if _, err := st.Take(tk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Replay(ctx); err == nil {
		t.Fatal("replayed with the server down")
	}
	if len(f.forms)+len(f.docs) != 0 {
		t.Fatalf("sent before the ticket: %v %v", f.forms, f.docs)
	}
	f.mu.Lock()
	f.down = false
	f.mu.Unlock()
	// The first document's answer is lost: the replay stops there and the
	// next one sends it again, with its id (no change on the server).
	for range 3 {
		if _, err := l.Replay(ctx); err == nil {
			break
		}
	}
	if f.forms["T-key0"] != string(form) || len(f.forms) != 1 {
		t.Errorf("forms %v", f.forms)
	}
	var got []string
	for _, d := range f.docs {
		got = append(got, d.Ticket+":"+d.Meta["name"].(string)+":"+string(d.PDF[9:]))
	}
	if fmt.Sprint(got) != "[T-key0:Tờ khai:one T-key0:Giấy chứng sinh:three T-key1:Khác:four]" {
		t.Errorf("documents %v", got)
	}
	if fields := f.docs[0].Meta["fields"].(map[string]any); fields["name"] != "LÊ THỊ THUỶ" {
		t.Errorf("meta %v", f.docs[0].Meta)
	}
	if left, _ := st.DocumentsToSend(); len(left) != 0 {
		t.Errorf("left %+v", left)
	}
	sent, _ := st.Tickets(outbox.Sent)
	if e := sent[0].Documents[1].Error; !strings.Contains(e, "413") && !strings.Contains(e, "quá lớn") {
		t.Errorf("refused document recorded %q", e)
	}
	if n, err := l.Replay(ctx); n != 0 || err != nil {
		t.Errorf("second replay %d %v", n, err)
	}
}

func TestLinkReplaysIdentitiesThenDeletesThem(t *testing.T) {
	f := &fakeServer{tickets: map[string]string{}, down: true}
	l, st := newLink(t, f)
	ctx := context.Background()
	now := time.Now()
	st.AddBlock(outbox.Block{ID: "b", Service: "A", Day: "2026-11-24", From: 50, To: 60})
	identity := json.RawMessage(`{"authenticity":"genuine","card":{"name":"Lê Thị Thuỷ"},"face":"/9j/4AAQ"}`)
	for i := range 2 {
		tk := outbox.Ticket{Key: fmt.Sprint("key", i), Centre: "c", Service: "A", Day: "2026-11-24", IssuedAt: now, Identity: identity}
		if _, err := st.Take(tk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Replay(ctx); err == nil {
		t.Fatal("replayed with the server down")
	}
	if len(f.idents) != 0 {
		t.Fatalf("sent before the ticket: %v", f.idents)
	}
	f.mu.Lock()
	f.down = false
	f.mu.Unlock()
	if _, err := l.Replay(ctx); err != nil {
		t.Fatal(err)
	}
	if f.idents["T-key0"] != string(identity) || len(f.idents) != 1 {
		t.Errorf("identities on the server %v", f.idents)
	}
	all, _ := st.Tickets("")
	for _, tk := range all {
		if len(tk.Identity) != 0 || !tk.IdentitySent {
			t.Errorf("%s: identity still kept", tk.Key)
		}
	}
	if !strings.Contains(all[1].IdentityError, "face too large") {
		t.Errorf("refusal recorded as %q", all[1].IdentityError)
	}
}
