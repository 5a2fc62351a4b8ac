package engine_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// flakyStore fails commits on demand and counts them.
type flakyStore struct {
	queue.Store
	fail    atomic.Bool
	commits atomic.Int64
	delay   time.Duration
}

func (s *flakyStore) Commit(b *queue.Batch) error {
	s.commits.Add(1)
	time.Sleep(s.delay)
	if s.fail.Load() {
		return errors.New("disk on fire")
	}
	return s.Store.Commit(b)
}

type recorder struct {
	mu           sync.Mutex
	events       []queue.Event
	centreEvents []centreEvent
}

type centreEvent struct {
	centre string
	seq    uint64
}

func (r *recorder) Publish(centre string, evs []queue.Event) {
	r.mu.Lock()
	r.events = append(r.events, evs...)
	for _, ev := range evs {
		r.centreEvents = append(r.centreEvents, centreEvent{centre, ev.Seq})
	}
	r.mu.Unlock()
}

func setup(t *testing.T, delay time.Duration) (*engine.Engine, *flakyStore, *recorder) {
	t.Helper()
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fs := &flakyStore{Store: st, delay: delay}
	rec := &recorder{}
	e, err := engine.New(engine.Config{Store: fs, Publisher: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(); st.Close() })
	_, err = e.Write(context.Background(), func(tx *engine.Tx) (any, error) {
		tx.PutCentre(storetest.Centre("c1"), "test")
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, fs, rec
}

func issue(e *engine.Engine) (queue.Ticket, error) {
	v, err := e.Write(context.Background(), func(tx *engine.Tx) (any, error) {
		l, err := tx.Live("c1")
		if err != nil {
			return nil, err
		}
		return l.Issue(tx.Now, queue.IssueRequest{Service: "A"})
	})
	if err != nil {
		return queue.Ticket{}, err
	}
	return v.(queue.Ticket), nil
}

func TestGroupCommit(t *testing.T) {
	// Each commit takes 20 ms: 100 concurrent writes must share commits.
	e, fs, rec := setup(t, 20*time.Millisecond)
	before := fs.commits.Load()
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := issue(e); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n := fs.commits.Load() - before
	if n >= 50 {
		t.Fatalf("100 concurrent writes took %d commits; group commit should need far fewer", n)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := 1; i < len(rec.events); i++ {
		if rec.events[i].Seq != rec.events[i-1].Seq+1 {
			t.Fatalf("published events out of order or with a gap at %d: %d after %d", i, rec.events[i].Seq, rec.events[i-1].Seq)
		}
	}
}

func TestFailedCommitAcknowledgesNothing(t *testing.T) {
	e, fs, rec := setup(t, 0)
	a, err := issue(e)
	if err != nil || a.Number != "A001" {
		t.Fatalf("%+v %v", a, err)
	}
	rec.mu.Lock()
	published := len(rec.events)
	rec.mu.Unlock()
	fs.fail.Store(true)
	if _, err := issue(e); queue.ErrorCode(err) != queue.EUnavailable {
		t.Fatalf("write during a failing commit: %v, want unavailable", err)
	}
	fs.fail.Store(false)
	// The refused ticket left no trace: the number is given again, no event went out.
	b, err := issue(e)
	if err != nil || b.Number != "A002" {
		t.Fatalf("after recovery got %+v %v, want A002", b, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) != published+1 {
		t.Fatalf("%d events published, want %d (none for the failed commit)", len(rec.events), published+1)
	}
}

func TestPanicDoesNotStopTheEngine(t *testing.T) {
	e, _, _ := setup(t, 0)
	_, err := e.Write(context.Background(), func(tx *engine.Tx) (any, error) {
		l, _ := tx.Live("c1")
		l.Issue(tx.Now, queue.IssueRequest{Service: "A"}) // mutates, then the bug strikes
		panic("bug")
	})
	if queue.ErrorCode(err) != queue.EInternal {
		t.Fatalf("panicking request: %v", err)
	}
	tk, err := issue(e)
	if err != nil || tk.Number != "A001" {
		t.Fatalf("after a panic: %+v %v (the half-done issue must be rolled back)", tk, err)
	}
}

func TestReadsSeeOnlyCommitted(t *testing.T) {
	e, _, _ := setup(t, 0)
	tk, _ := issue(e)
	v, err := e.Read(context.Background(), func(tx *engine.Tx) (any, error) {
		l, _ := tx.Live("c1")
		t, ok := l.Ticket(tk.ID)
		return ok && t.Number == "A001", nil
	})
	if err != nil || v != true {
		t.Fatalf("read after write: %v %v", v, err)
	}
	if _, err := e.Read(context.Background(), func(tx *engine.Tx) (any, error) { return tx.Live("nowhere") }); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("unknown centre: %v", err)
	}
}

func TestClose(t *testing.T) {
	e, _, _ := setup(t, 0)
	e.Close()
	if _, err := issue(e); !errors.Is(err, engine.ErrStopped) {
		t.Fatalf("write after Close: %v", err)
	}
}

func TestHubDropsSlowSubscriber(t *testing.T) {
	h := engine.NewHub()
	slow := h.Subscribe("c1")
	fast := h.Subscribe("c1")
	other := h.Subscribe("c2")
	done := make(chan int)
	var read atomic.Int64
	go func() {
		n := 0
		for range fast.C {
			n++
			read.Store(int64(n))
		}
		done <- n
	}()
	total := engine.SubscriberBuffer + 10
	for i := 1; i <= total; i++ {
		h.Publish("c1", []queue.Event{{Seq: uint64(i)}}) // never blocks, whoever lags
		for int64(i)-read.Load() > engine.SubscriberBuffer/2 {
			time.Sleep(time.Millisecond) // keep the reading subscriber within its buffer
		}
	}
	if !slow.Dropped() {
		t.Fatal("a subscriber that never reads was not dropped")
	}
	n := 0
	for range slow.C { // closed after what fitted in its buffer
		n++
	}
	if n != engine.SubscriberBuffer {
		t.Fatalf("slow subscriber got %d buffered events, want %d", n, engine.SubscriberBuffer)
	}
	fast.Close()
	if got := <-done; got != total || fast.Dropped() {
		t.Fatalf("reading subscriber got %d of %d events (dropped %v)", got, total, fast.Dropped())
	}
	if len(other.C) != 0 || h.Subscribers() != 1 {
		t.Fatalf("other centre's subscriber got %d events; %d subscribers left", len(other.C), h.Subscribers())
	}
	other.Close()
	other.Close() // twice is harmless
}

// Close while many writers wait for the lead: every call returns, either
// committed or ErrStopped, and what was acknowledged is in the store.
func TestCloseUnderLoad(t *testing.T) {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &flakyStore{Store: st, delay: 2 * time.Millisecond}
	e, err := engine.New(engine.Config{Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	e.Write(context.Background(), func(tx *engine.Tx) (any, error) { tx.PutCentre(storetest.Centre("c1"), "test"); return nil, nil })
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []queue.Ticket
	)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				tk, err := issue(e)
				if errors.Is(err, engine.ErrStopped) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, tk)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	e.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("writers still waiting 10 s after Close")
	}
	if len(acked) == 0 {
		t.Fatal("no ticket was issued before Close")
	}
	for _, tk := range acked {
		if _, err := st.Ticket(tk.ID); err != nil {
			t.Fatalf("acknowledged ticket %s: %v", tk.Number, err)
		}
	}
}

// A request replayed with its idempotency key gets the ticket it had, the
// same day from the live state and later from the store.
func TestIssueOnce(t *testing.T) {
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e, err := engine.New(engine.Config{Store: st, Publisher: &recorder{}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(); st.Close() })
	ctx := context.Background()
	if _, err := e.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutCentre(storetest.Centre("c1"), "test"); return nil, nil }); err != nil {
		t.Fatal(err)
	}
	issueKey := func(key string) queue.Ticket {
		t.Helper()
		v, err := e.Write(ctx, func(tx *engine.Tx) (any, error) {
			_, tk, err := tx.IssueOnce("c1", queue.IssueRequest{Service: "A", Key: key})
			return tk, err
		})
		if err != nil {
			t.Fatal(err)
		}
		return v.(queue.Ticket)
	}
	first := issueKey("k-1")
	if again := issueKey("k-1"); again.ID != first.ID {
		t.Fatalf("same day: %s, then %s", first.ID, again.ID)
	}
	if other := issueKey("k-2"); other.ID == first.ID {
		t.Fatalf("another key got the same ticket %s", other.ID)
	}
	mu.Lock()
	now = now.Add(48 * time.Hour)
	mu.Unlock()
	if _, err := e.Write(ctx, func(tx *engine.Tx) (any, error) { // the day rolls, yesterday's tickets leave
		l, _ := tx.Live("c1")
		l.Roll(tx.Now)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Read(ctx, func(tx *engine.Tx) (any, error) {
		l, _ := tx.Live("c1")
		if _, live := l.TicketByKey("k-1"); live {
			t.Error("the ticket of two days ago is still live")
		}
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if later := issueKey("k-1"); later.ID != first.ID {
		t.Fatalf("two days later: %s, then %s", first.ID, later.ID)
	}
	fresh := issueKey("k-3")
	if _, err := e.Write(ctx, func(tx *engine.Tx) (any, error) {
		_, _, err := tx.IssueOnce("nope", queue.IssueRequest{Service: "A", Key: "k-1"})
		return nil, err
	}); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("unknown centre: %v", err)
	}
	// FindTicket finds it too, no longer live, with its centre.
	if _, err := e.Read(ctx, func(tx *engine.Tx) (any, error) {
		l, tk, err := tx.FindTicket(first.ID)
		if err != nil || tk.ID != first.ID || l.Config().ID != "c1" {
			t.Errorf("FindTicket(%s) = %+v, %v", first.ID, tk, err)
		}
		today := fresh.ID
		if _, tk, err := tx.FindTicket(today); err != nil || tk.ID != today {
			t.Errorf("FindTicket(%s), live: %+v, %v", today, tk, err)
		}
		if _, _, err := tx.FindTicket("nope"); queue.ErrorCode(err) != queue.ENotFound {
			t.Errorf("FindTicket(nope): %v", err)
		}
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestReadsOfTheRound: an account or a kiosk changed by an earlier request
// of a round is read as it left them by the next request of the round,
// not as stored: two changes in one round never undo each other.
func TestReadsOfTheRound(t *testing.T) {
	e, _, _ := setup(t, 0)
	ctx := context.Background()
	if _, err := e.Write(ctx, func(tx *engine.Tx) (any, error) {
		tx.PutUser(queue.User{Username: "kiosk-1", Role: queue.RoleKiosk, Centre: "c1"})
		tx.PutKiosk(queue.Kiosk{ID: "kiosk-1", Centre: "c1"})
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	v, err := e.Write(ctx, func(tx *engine.Tx) (any, error) {
		// The first request revokes…
		u, err := tx.User("kiosk-1")
		if err != nil {
			return nil, err
		}
		k, err := tx.Kiosk("kiosk-1")
		if err != nil {
			return nil, err
		}
		u.Disabled, k.Revoked = true, true
		u.EndSessions()
		tx.PutUser(u)
		tx.PutKiosk(k)
		// …the next one of the round reads what it left.
		u2, err := tx.User("kiosk-1")
		if err != nil {
			return nil, err
		}
		k2, err := tx.Kiosk("kiosk-1")
		if err != nil {
			return nil, err
		}
		return [2]bool{u2.Disabled && u2.Epoch == 1, k2.Revoked}, nil
	})
	if err != nil || v.([2]bool) != [2]bool{true, true} {
		t.Fatalf("the round's own changes read back: %v %v", v, err)
	}
}
