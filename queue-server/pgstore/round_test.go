package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

var hcm, _ = time.LoadLocation("Asia/Ho_Chi_Minh")

// count returns a number a query gives.
func count(t *testing.T, s *Store, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// tables counts the rows of the tables a commit of tickets writes.
func tables(t *testing.T, s *Store) string {
	t.Helper()
	var out []string
	for _, tb := range []string{"tickets", "events", "numbers", "changes", "counters", "audit"} {
		out = append(out, fmt.Sprintf("%s=%d", tb, count(t, s, "SELECT count(*) FROM "+tb)))
	}
	out = append(out, fmt.Sprintf("rev=%d", count(t, s, "SELECT coalesce(sum(rev), 0) FROM centres")))
	return strings.Join(out, " ")
}

// today is a Live's tickets of the day in a comparable form.
func today(l *queue.Live) []string {
	var out []string
	for _, tk := range l.Today() {
		out = append(out, tk.ID+" "+tk.Number+" "+tk.Status)
	}
	slices.Sort(out)
	return out
}

func mustLock(t *testing.T, r queue.Round, centres []string) map[string]uint64 {
	t.Helper()
	revs, ok, err := r.Lock(centres, true)
	if err != nil || !ok {
		t.Fatalf("Lock(%v): %v %v", centres, ok, err)
	}
	return revs
}

// Two servers (two Stores) on one database take turns on a centre: the
// locks exclude each other, each catches up from the change log, and a
// commit on a stale revision writes nothing.
func TestRounds(t *testing.T) {
	url := db(t)
	a, b := open(t, url), open(t, url)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	newID := ids()
	la := queue.NewLive(storetest.Centre("c1"), now, newID)
	la.Issue(now, queue.IssueRequest{Service: "A", Key: "k1"})
	first := la.TakeChanges()
	if err := a.Commit(&queue.Batch{Centres: []*queue.Changes{first}}); err != nil {
		t.Fatal(err)
	}
	if first.Rev != 1 {
		t.Fatalf("first commit made rev %d, want 1 (the store assigns it)", first.Rev)
	}
	la.SetRev(1)
	// Server B and an observer restore the centre at revision 1.
	snap, err := b.LoadCentre("c1")
	if err != nil || snap.Rev != 1 {
		t.Fatalf("LoadCentre: rev %d %v", snap.Rev, err)
	}
	lb := queue.Restore(snap, now, newID)
	observer := queue.Restore(snap, now, newID)

	// A's round holds c1: B cannot take it without waiting, and waits.
	ra, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if revs := mustLock(t, ra, []string{"c1"}); revs["c1"] != 1 {
		t.Fatalf("A's lock: revs %v", revs)
	}
	rb, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if revs, ok, err := rb.Lock([]string{"c1"}, false); err != nil || ok || revs != nil {
		t.Fatalf("B's lock without waiting while A holds it: %v %v %v", revs, ok, err)
	}
	got := make(chan map[string]uint64, 1)
	go func() {
		revs, ok, err := rb.Lock([]string{"c1"}, true)
		if err != nil || !ok {
			t.Errorf("B's waiting lock: %v %v", ok, err)
		}
		got <- revs
	}()
	waitLockWaiter(t, a)
	select {
	case revs := <-got:
		t.Fatalf("B took the lock while A held it: %v", revs)
	default:
	}
	la.Issue(now.Add(time.Minute), queue.IssueRequest{Service: "A"})
	la.Issue(now.Add(time.Minute), queue.IssueRequest{Service: "B", Key: "k2"})
	ch := la.TakeChanges()
	ch.Rev = la.Rev() + 1
	if err := ra.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
		t.Fatal(err)
	}
	la.SetRev(ch.Rev)
	ra.Rollback() // after Commit: nothing
	ra.Rollback()
	revs := <-got
	if revs["c1"] != 2 {
		t.Fatalf("B's lock after A's commit: revs %v, want c1 at 2", revs)
	}
	// B catches up from the log, then changes the centre.
	chs, ok, err := b.Since(ctx, "c1", lb.Rev())
	if err != nil || !ok || len(chs) != 1 || chs[0].Rev != 2 {
		t.Fatalf("Since(1): %d changes, %v %v", len(chs), ok, err)
	}
	for _, ch := range chs {
		lb.Absorb(ch)
	}
	tk, err := lb.Issue(now.Add(2*time.Minute), queue.IssueRequest{Service: "A"})
	if err != nil || tk.Number != "A003" {
		t.Fatalf("B issued %s %v after catching up, want A003", tk.Number, err)
	}
	if _, _, err := lb.Next(now.Add(3*time.Minute), 1, "canbo"); err != nil {
		t.Fatal(err)
	}
	ch = lb.TakeChanges()
	ch.Rev = lb.Rev() + 1
	if err := rb.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
		t.Fatal(err)
	}
	lb.SetRev(ch.Rev)
	rb.Rollback()

	// A has not caught up: a commit on its stale revision writes nothing.
	before := tables(t, a)
	ra, _ = a.Begin(ctx)
	if revs := mustLock(t, ra, []string{"c1"}); revs["c1"] != 3 {
		t.Fatalf("revs %v, want c1 at 3", revs)
	}
	la.Issue(now.Add(4*time.Minute), queue.IssueRequest{Service: "A"})
	stale := la.TakeChanges()
	stale.Rev = la.Rev() + 1 // 3, taken
	err = ra.Commit(&queue.Batch{Centres: []*queue.Changes{stale}, Users: []queue.User{{Username: "stale", Role: queue.RoleAdmin}}})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("commit on a stale revision: %v, want ErrConflict", err)
	}
	ra.Rollback()
	if after := tables(t, a); after != before {
		t.Fatalf("a refused commit wrote: %s, before %s", after, before)
	}
	if _, err := a.User("stale"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("the refused commit's user: %v", err)
	}
	// Store.Commit checks a revision given too.
	if err := a.Commit(&queue.Batch{Centres: []*queue.Changes{stale}}); !errors.Is(err, ErrConflict) {
		t.Fatalf("Store.Commit on a stale revision: %v", err)
	}

	// The observer restored at revision 1 absorbs every change since and
	// holds what the store holds.
	chs, ok, err = a.Since(ctx, "c1", observer.Rev())
	if err != nil || !ok || len(chs) != 2 || chs[0].Rev != 2 || chs[1].Rev != 3 {
		t.Fatalf("Since(1): %d changes, %v %v", len(chs), ok, err)
	}
	for _, ch := range chs {
		if len(ch.Audit) != 0 {
			t.Fatalf("the change log holds audit records: %+v", ch.Audit)
		}
		observer.Absorb(ch)
	}
	snap, err = a.LoadCentre("c1")
	if err != nil {
		t.Fatal(err)
	}
	reloaded := queue.Restore(snap, now.Add(5*time.Minute), newID)
	if g, w := today(observer), today(reloaded); !slices.Equal(g, w) || observer.Rev() != 3 || reloaded.Rev() != 3 {
		t.Fatalf("absorbed %v (rev %d), reloaded %v (rev %d)", g, observer.Rev(), w, reloaded.Rev())
	}
	if tk, err := b.TicketByKey("c1", "k2"); err != nil || tk.Number != "B001" {
		t.Fatalf("TicketByKey(k2): %+v %v", tk, err)
	}
	if chs, ok, err := a.Since(ctx, "c1", 3); err != nil || !ok || len(chs) != 0 {
		t.Fatalf("Since(current): %v %v %v", chs, ok, err)
	}
	if revs, err := a.Revs(ctx, nil); err != nil || len(revs) != 1 || revs["c1"] != 3 {
		t.Fatalf("Revs: %v %v", revs, err)
	}
	if revs, err := a.Revs(ctx, []string{"c1", "nope"}); err != nil || len(revs) != 1 || revs["c1"] != 3 {
		t.Fatalf("Revs: %v %v", revs, err)
	}

	// Past ChangeLogKeep the log no longer reaches back.
	if _, err := a.Purge("c1", "2026-11-01", now.AddDate(0, 0, -60), time.Now().Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if chs, ok, err := a.Since(ctx, "c1", 1); err != nil || ok || chs != nil {
		t.Fatalf("Since after the log was trimmed: %v %v %v, want ok false", chs, ok, err)
	}
	if chs, ok, err := a.Since(ctx, "c1", 3); err != nil || !ok || len(chs) != 0 {
		t.Fatalf("Since(current) after the log was trimmed: %v %v %v", chs, ok, err)
	}
	if chs, ok, err := a.Since(ctx, "nope", 0); err != nil || !ok || len(chs) != 0 {
		t.Fatalf("Since of an unknown centre: %v %v %v", chs, ok, err)
	}
}

// waitLockWaiter waits until a session of the database waits for an
// advisory lock.
func waitLockWaiter(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for count(t, s, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nobody waits for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A lock without waiting that fails leaves the round holding what it held
// and nothing of the failed call; the round can go on.
func TestLockWithoutWaiting(t *testing.T) {
	url := db(t)
	a, b := open(t, url), open(t, url)
	ctx := context.Background()
	ra, _ := a.Begin(ctx)
	defer ra.Rollback()
	mustLock(t, ra, []string{"c2"})
	rb, _ := b.Begin(ctx)
	defer rb.Rollback()
	mustLock(t, rb, []string{"c0"})
	if _, ok, err := rb.Lock([]string{"c1", "c2"}, false); ok || err != nil {
		t.Fatalf("Lock(c1, c2) while A holds c2: %v %v", ok, err)
	}
	// c1 was released with the failed call, c0 is still B's.
	rc, _ := a.Begin(ctx)
	defer rc.Rollback()
	if _, ok, err := rc.Lock([]string{"c1"}, false); !ok || err != nil {
		t.Fatalf("c1 after B's failed call: %v %v", ok, err)
	}
	if _, ok, err := rc.Lock([]string{"c0"}, false); ok || err != nil {
		t.Fatalf("c0, B's: %v %v", ok, err)
	}
	if _, ok, err := rb.Lock([]string{"c3"}, false); !ok || err != nil {
		t.Fatalf("B goes on: %v %v", ok, err)
	}
	// A round that locked without waiting commits.
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c3"), now, ids())
	ch := l.TakeChanges()
	ch.Rev = 1
	if err := rb.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
		t.Fatal(err)
	}
	if revs, err := a.Revs(ctx, []string{"c3"}); err != nil || revs["c3"] != 1 {
		t.Fatalf("Revs: %v %v", revs, err)
	}
}

// Server B's Watch hears server A's commits.
func TestWatch(t *testing.T) {
	url := db(t)
	a, b := open(t, url), open(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	type notice struct {
		centre string
		rev    uint64
	}
	heard := make(chan notice, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Watch(ctx, func(centre string, rev uint64) { heard <- notice{centre, rev} }, func() { heard <- notice{"accounts", 0} })
	}()
	defer func() { cancel(); <-done }()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	committed := map[uint64]bool{}
	// Watch listens soon after it starts: commit until it hears one.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		l.Issue(now, queue.IssueRequest{Service: "A"})
		ch := l.TakeChanges()
		if err := a.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
			t.Fatal(err)
		}
		committed[ch.Rev] = true
		select {
		case n := <-heard:
			if n.centre != "c1" || !committed[n.rev] {
				t.Fatalf("heard %+v, committed %v", n, committed)
			}
			// A change of accounts is told apart from a centre's.
			if err := a.Commit(&queue.Batch{DeleteSessions: []string{"no-such-session"}}); err != nil {
				t.Fatal(err)
			}
			wait := time.After(10 * time.Second)
			for {
				select {
				case n := <-heard:
					if n.centre == "accounts" {
						return
					}
					if n.centre != "c1" {
						t.Fatalf("heard %+v", n)
					}
				case <-wait:
					t.Fatal("B's Watch did not hear A's change of sessions")
				}
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("B's Watch heard none of A's commits")
}

// The database refuses a ticket number given twice in a day, whatever the
// code does, and a refused commit writes nothing.
func TestDuplicateNumber(t *testing.T) {
	s := open(t, db(t))
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	tk, _ := l.Issue(now, queue.IssueRequest{Service: "A"})
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	before := tables(t, s)
	forged := tk
	forged.ID = queue.TicketID(tk.Day, "forged")
	err := s.Commit(&queue.Batch{Centres: []*queue.Changes{{
		Centre: "c1", Tickets: []queue.Ticket{forged},
		Events: []queue.Event{{Seq: l.LastSeq() + 1, Type: queue.EventIssued, At: now}},
	}}})
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("a forged duplicate number: %v", err)
	}
	if after := tables(t, s); after != before {
		t.Fatalf("the refused commit wrote: %s, before %s", after, before)
	}
	if _, err := s.Ticket(forged.ID); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("forged ticket: %v", err)
	}
	// The same number on another day is another ticket.
	other := tk
	other.ID, other.Day = queue.TicketID("2026-11-24", "next"), "2026-11-24"
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{{Centre: "c1", Tickets: []queue.Ticket{other}}}}); err != nil {
		t.Fatal(err)
	}
}

// An idempotency key used again (on another day) goes to the newer
// ticket, as in the bbolt store, instead of failing the commit.
func TestKeyReused(t *testing.T) {
	s := open(t, db(t))
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), mon, ids())
	l.Issue(mon, queue.IssueRequest{Service: "A", Key: "kiosk-1/1"})
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	tue := mon.AddDate(0, 0, 1)
	tk, err := l.Issue(tue, queue.IssueRequest{Service: "A", Key: "kiosk-1/1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TicketByKey("c1", "kiosk-1/1"); err != nil || got.ID != tk.ID {
		t.Fatalf("TicketByKey: %s %v, want %s", got.ID, err, tk.ID)
	}
}

// Watch connects again when its connection is lost, says so with
// changed("", 0), and hears commits again.
func TestWatchReconnects(t *testing.T) {
	url := db(t)
	a, b := open(t, url), open(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	heard := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Watch(ctx, func(centre string, rev uint64) { heard <- fmt.Sprint(centre, " ", rev) }, func() {})
	}()
	defer func() { cancel(); <-done }()
	// Kill the watch's connection as soon as it is there.
	deadline := time.Now().Add(10 * time.Second)
	for count(t, a, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'queue-server watch' AND datname = current_database()") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no watch connection")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case n := <-heard:
		if n != " 0" {
			t.Fatalf("heard %q, want the reconnection notice", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnection notice")
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	if err := a.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-heard:
		if n != "c1 1" {
			t.Fatalf("heard %q, want c1 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing heard after the reconnection")
	}
}

// Four servers (two stores each used by two) issue on one centre at once,
// each catching up from the change log before it acts: every number is
// given once, in order, without a gap.
func TestRoundsRace(t *testing.T) {
	url := db(t)
	stores := []*Store{open(t, url), open(t, url)}
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	newID := func(server int) func() string {
		n := 0
		return func() string { n++; return fmt.Sprintf("s%d-%05d", server, n) }
	}
	l := queue.NewLive(storetest.Centre("c1"), now, newID(9))
	if err := stores[0].Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	first := l.LastSeq() // the events of the centre's creation
	const servers, each = 4, 25
	errs := make(chan error, servers)
	for i := range servers {
		go func() {
			errs <- func() error {
				s := stores[i%2]
				snap, err := s.LoadCentre("c1")
				if err != nil {
					return err
				}
				l := queue.Restore(snap, now, newID(i))
				for range each {
					r, err := s.Begin(ctx)
					if err != nil {
						return err
					}
					revs, ok, err := r.Lock([]string{"c1"}, true)
					if err != nil || !ok {
						r.Rollback()
						return fmt.Errorf("lock: %v %v", ok, err)
					}
					if l.Rev() < revs["c1"] {
						chs, ok, err := s.Since(ctx, "c1", l.Rev())
						if err != nil || !ok {
							r.Rollback()
							return fmt.Errorf("since: %v %v", ok, err)
						}
						for _, ch := range chs {
							l.Absorb(ch)
						}
					}
					if _, err := l.Issue(now, queue.IssueRequest{Service: "A"}); err != nil {
						r.Rollback()
						return err
					}
					ch := l.TakeChanges()
					ch.Rev = l.Rev() + 1
					if err := r.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
						return err
					}
					l.SetRev(ch.Rev)
				}
				return nil
			}()
		}()
	}
	for range servers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ts, err := stores[1].Tickets("c1", "2026-11-23")
	if err != nil || len(ts) != servers*each {
		t.Fatalf("%d tickets %v, want %d", len(ts), err, servers*each)
	}
	seen := map[string]bool{}
	for _, tk := range ts {
		seen[tk.Number] = true
	}
	for n := 1; n <= servers*each; n++ {
		if num := queue.FormatNumber("A", n); !seen[num] {
			t.Fatalf("number %s missing of %d tickets", num, len(ts))
		}
	}
	evs, err := stores[0].Events("c1", 0, 1000)
	if err != nil || len(evs) != servers*each+int(first) {
		t.Fatalf("%d events %v", len(evs), err)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
}

// LockSince hands a server, with the lock, the changes it missed: every
// revision after the one it has, in order, complete; none for a centre it
// does not know; incomplete once the log was trimmed.
func TestLockSince(t *testing.T) {
	url := db(t)
	a, b := open(t, url), open(t, url)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	newID := ids()
	la := queue.NewLive(storetest.Centre("c1"), now, newID)
	for i := 0; i < 4; i++ {
		la.Issue(now.Add(time.Duration(i)*time.Minute), queue.IssueRequest{Service: "A"})
		ch := la.TakeChanges()
		if err := a.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
			t.Fatal(err)
		}
	}
	lockSince := func(have map[string]uint64) map[string]queue.Locked {
		t.Helper()
		r, err := b.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Rollback()
		locked, ok, err := r.LockSince([]string{"c1", "c9"}, have, true)
		if err != nil || !ok {
			t.Fatalf("LockSince: %v %v", ok, err)
		}
		return locked
	}
	got := lockSince(map[string]uint64{"c1": 1})
	c1 := got["c1"]
	if !c1.Exists || c1.Rev != 4 || !c1.Complete || len(c1.Missed) != 3 || c1.Missed[0].Rev != 2 || c1.Missed[2].Rev != 4 {
		t.Fatalf("c1 from rev 1: %+v", c1)
	}
	if len(c1.Missed[0].Tickets) != 1 || c1.Missed[0].Tickets[0].Number != "A002" {
		t.Fatalf("the change of rev 2 holds %+v, want ticket A002", c1.Missed[0].Tickets)
	}
	if c9, ok := got["c9"]; ok && c9.Exists {
		t.Fatalf("a centre not stored: %+v", c9)
	}
	// Without locks, the same in one round trip, for reads.
	for _, ids := range [][]string{{"c1", "c9"}, nil} {
		fresh, err := b.Fresh(ctx, ids, map[string]uint64{"c1": 1})
		if c1 := fresh["c1"]; err != nil || !c1.Complete || c1.Rev != 4 || len(c1.Missed) != 3 || c1.Missed[2].Rev != 4 || fresh["c9"].Exists {
			t.Fatalf("Fresh(%v): %+v %v", ids, fresh, err)
		}
	}
	if c1 := lockSince(nil)["c1"]; c1.Complete || c1.Missed != nil || c1.Rev != 4 {
		t.Fatalf("c1 unknown to the caller: %+v", c1)
	}
	if c1 := lockSince(map[string]uint64{"c1": 4})["c1"]; !c1.Complete || len(c1.Missed) != 0 {
		t.Fatalf("c1 up to date: %+v", c1)
	}
	if _, err := a.pool.Exec(ctx, "DELETE FROM changes WHERE centre = 'c1' AND rev = 2"); err != nil {
		t.Fatal(err)
	}
	if c1 := lockSince(map[string]uint64{"c1": 1})["c1"]; c1.Complete {
		t.Fatalf("c1 from rev 1 with rev 2 trimmed from the log: %+v", c1)
	}
}

// A booking code another centre holds is refused, whatever the code does:
// the commit fails whole and the first centre's booking stays.
func TestBookingCodeOfAnotherCentre(t *testing.T) {
	s := open(t, db(t))
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	newID := ids()
	var lives [2]*queue.Live
	for i, id := range []string{"c1", "c2"} {
		c := storetest.Centre(id)
		c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 30, 2
		c.Normalize()
		lives[i] = queue.NewLive(c, now, newID)
		if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{lives[i].TakeChanges()}}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 11, 23, 14, 0, 0, 0, hcm)
	book := func(l *queue.Live, key string) *queue.Changes {
		t.Helper()
		if _, err := l.Book(now, queue.BookRequest{Code: "ABCD2345", Service: "A", Start: start,
			Citizen: queue.Citizen{Key: key, Name: "Nguyễn Văn An", Phone: "0912345678"}, Source: queue.BookedOnline}); err != nil {
			t.Fatal(err)
		}
		return l.TakeChanges()
	}
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{book(lives[0], "k1")}}); err != nil {
		t.Fatal(err)
	}
	before := tables(t, s)
	err := s.Commit(&queue.Batch{Centres: []*queue.Changes{book(lives[1], "k2")}})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("a booking code of another centre: %v", err)
	}
	if after := tables(t, s); after != before {
		t.Fatalf("a refused commit wrote: %s → %s", before, after)
	}
	if b, err := s.Booking("ABCD2345"); err != nil || b.Centre != "c1" || b.Citizen.Key != "k1" {
		t.Fatalf("the first centre's booking: %+v %v", b, err)
	}
}
