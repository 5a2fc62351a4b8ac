package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"xephang/kiosk/outbox"
	"xephang/queue-server/httpapi"
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
	beats     []HeartbeatRequest
	configGet int
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
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v1/centres/c":
		f.configGet++
		reply(200, queue.Centre{ID: "c", Name: "Trung tâm", Timezone: "Asia/Ho_Chi_Minh",
			Services: []queue.Service{{Code: "A", Name: "Hộ tịch"}, {Code: "B", Name: "Đất đai"}}})
	case "GET /api/v1/centres/c/queue":
		reply(200, httpapi.QueueView{LastSeq: 7})
	case "POST /api/v1/kiosks/heartbeat":
		var hb HeartbeatRequest
		json.NewDecoder(r.Body).Decode(&hb)
		f.beats = append(f.beats, hb)
		reply(200, map[string]any{"server_time": time.Now().Add(time.Hour)})
	case "POST /api/v1/centres/c/number-blocks":
		var b BlockRequest
		json.NewDecoder(r.Body).Decode(&b)
		f.next += 100
		reply(201, BlockResponse{ID: fmt.Sprint("blk", f.next), Service: b.Service, Day: b.Day, From: f.next, To: f.next + b.Size - 1})
	case "POST /api/v1/centres/c/tickets":
		var t OfflineIssue
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
		reply(201, httpapi.TicketView{ID: "T-" + t.IdempotencyKey, Number: t.Number})
	default:
		http.NotFound(w, r)
	}
}

func newLink(t *testing.T, f *fakeServer) (*Link, *outbox.Store) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	st, err := outbox.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cl := httpapi.NewClient(srv.URL)
	cl.Token = "kiosk-token"
	l := New(Config{Client: cl, Store: st, Centre: "c", Version: "test", Log: slog.New(slog.DiscardHandler),
		BlockSize: 5, Heartbeat: 50 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		Devices: func() []Device { return []Device{{Name: "printer", Kind: "printer", Status: "ok"}} }})
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
		{&httpapi.APIError{Status: 502}, true},
		{&httpapi.APIError{Status: 409}, false},
		{nil, false},
	} {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("Unreachable(%v) = %v", tc.err, got)
		}
	}
}
