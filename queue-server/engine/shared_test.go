package engine_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/engine"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
	"xephang/queue-server/testsrv"
)

// Two engines on one PostgreSQL database, as two queue-server processes.

func sharedEngines(t *testing.T, n int) ([]*engine.Engine, []*recorder, *pgstore.Store) {
	t.Helper()
	db := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true}).CreateDB(t)
	var engs []*engine.Engine
	var recs []*recorder
	var first *pgstore.Store
	for i := 0; i < n; i++ {
		st, err := pgstore.Open(context.Background(), db, pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = st
		}
		rec := &recorder{}
		e, err := engine.New(engine.Config{Store: st, Publisher: rec})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close(); st.Close() })
		engs, recs = append(engs, e), append(recs, rec)
	}
	return engs, recs, first
}

func putCentre(t *testing.T, e *engine.Engine, id string) {
	t.Helper()
	c := storetest.Centre(id)
	storetest.AlwaysOpen(&c)
	c.Normalize()
	if _, err := e.Write(engine.WithCentres(context.Background(), id), func(tx *engine.Tx) (any, error) {
		tx.PutCentre(c, "test")
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestSharedNumbering issues from two engines at once on two centres, half
// the requests naming their centre and half not: numbers per centre and
// service are exactly 1…N, both engines end with the same tickets, and
// each engine published every event it learned, in order, once.
func TestSharedNumbering(t *testing.T) {
	engs, recs, _ := sharedEngines(t, 2)
	putCentre(t, engs[0], "c1")
	putCentre(t, engs[1], "c2")
	const workers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				e := engs[(w+i)%2]
				centre := []string{"c1", "c2"}[w%2]
				ctx := context.Background()
				if i%2 == 0 {
					ctx = engine.WithCentres(ctx, centre)
				}
				_, err := e.Write(ctx, func(tx *engine.Tx) (any, error) {
					l, err := tx.Live(centre)
					if err != nil {
						return nil, err
					}
					return l.Issue(tx.Now, queue.IssueRequest{Service: "A", Key: fmt.Sprintf("w%d-%d", w, i)})
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, centre := range []string{"c1", "c2"} {
		var views [2][]string
		for k, e := range engs {
			v, err := e.Read(engine.WithCentres(context.Background(), centre), func(tx *engine.Tx) (any, error) {
				l, err := tx.Live(centre)
				if err != nil {
					return nil, err
				}
				var nums []string
				for _, tk := range l.Today() {
					nums = append(nums, tk.Number)
				}
				return nums, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			views[k] = v.([]string)
			sort.Strings(views[k])
		}
		if len(views[0]) != workers/2*each {
			t.Fatalf("%s has %d tickets, want %d", centre, len(views[0]), workers/2*each)
		}
		for i, n := range views[0] {
			if want := queue.FormatNumber("A", i+1); n != want || views[1][i] != n {
				t.Fatalf("%s ticket %d: engine A says %s, engine B %s, want %s", centre, i, n, views[1][i], want)
			}
		}
	}
	// Events: each engine saw each centre's seqs contiguous and once, up
	// to the last (the follower delivers the other's within its poll).
	deadline := time.Now().Add(10 * time.Second)
	for k, rec := range recs {
		for {
			err := rec.contiguous(map[string]uint64{"c1": 1 + workers/2*each, "c2": 1 + workers/2*each})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("engine %d: %v", k, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestSharedLockOutOfOrder has a request lock c2 then c1 while another
// process holds c1: the round is undone and run again with both locks
// from the start, and its effect is applied once.
func TestSharedLockOutOfOrder(t *testing.T) {
	engs, _, st := sharedEngines(t, 1)
	e := engs[0]
	putCentre(t, e, "c1")
	putCentre(t, e, "c2")
	rnd, err := st.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := rnd.Lock([]string{"c1"}, true); !ok || err != nil {
		t.Fatal(ok, err)
	}
	releasing := make(chan struct{}) // closed just before the lock is let go
	go func() {
		time.Sleep(300 * time.Millisecond)
		close(releasing)
		rnd.Rollback()
	}()
	runs := 0
	v, err := e.Write(context.Background(), func(tx *engine.Tx) (any, error) {
		runs++
		var out []string
		for _, c := range []string{"c2", "c1"} {
			l, err := tx.Live(c)
			if err != nil {
				return nil, err
			}
			tk, err := l.Issue(tx.Now, queue.IssueRequest{Service: "B"})
			if err != nil {
				return nil, err
			}
			out = append(out, tk.Number)
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-releasing:
	default:
		t.Fatal("the write finished while c1 was locked elsewhere")
	}
	if got := v.([]string); got[0] != "B001" || got[1] != "B001" || runs != 2 {
		t.Fatalf("numbers %v after %d runs; want B001 in each centre after 2 runs (the first undone)", got, runs)
	}
	for _, c := range []string{"c1", "c2"} {
		tks, err := st.Tickets(c, time.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly))
		if err != nil || len(tks) != 1 {
			t.Fatalf("%s stores %d tickets (%v), want 1", c, len(tks), err)
		}
	}
}

// contiguous checks that the recorder saw, per centre, seqs rising by one
// from its first up to last.
func (r *recorder) contiguous(last map[string]uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := map[string]uint64{}
	for _, ce := range r.centreEvents {
		want, started := next[ce.centre]
		if started && ce.seq != want {
			return fmt.Errorf("%s: seq %d where %d was due", ce.centre, ce.seq, want)
		}
		next[ce.centre] = ce.seq + 1
	}
	for c, l := range last {
		if next[c] != l+1 {
			return fmt.Errorf("%s: published up to %d, the centre is at %d", c, next[c]-1, l)
		}
	}
	return nil
}
