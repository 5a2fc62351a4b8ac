package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
	"xephang/queue-server/testsrv"
)

// One throwaway cluster (fsync off) serves every test of the binary, each
// test in a database of its own; TestMain removes it at the end.
var (
	clusterOnce sync.Once
	cluster     *testsrv.Cluster
	clusterErr  error
	clusterEnd  []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(clusterEnd) - 1; i >= 0; i-- {
		clusterEnd[i]()
	}
	os.Exit(code)
}

// mainTB is the testing.TB of the shared cluster: it outlives the test
// that started it, so its cleanups run in TestMain and a failure fails
// the test that asked for it.
type mainTB struct {
	testing.TB // nil: only the methods below are called
}

type setupFailed struct{ msg string }

func (mainTB) Helper()                         {}
func (mainTB) Cleanup(f func())                { clusterEnd = append(clusterEnd, f) }
func (mainTB) Fatal(args ...any)               { panic(setupFailed{fmt.Sprint(args...)}) }
func (mainTB) Fatalf(format string, a ...any)  { panic(setupFailed{fmt.Sprintf(format, a...)}) }
func (mainTB) Logf(format string, args ...any) {}

// db returns the URL of a new database on the shared cluster.
func db(t testing.TB) string {
	t.Helper()
	clusterOnce.Do(func() {
		clusterErr = shared(func() { cluster = testsrv.StartPostgres(mainTB{}, testsrv.PGOptions{Fast: true}) })
	})
	if clusterErr != nil {
		t.Fatal(clusterErr)
	}
	var url string
	if err := shared(func() { url = cluster.CreateDB(mainTB{}) }); err != nil {
		t.Fatal(err)
	}
	return url
}

// shared runs f, which uses a mainTB, and returns its failure.
func shared(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			failed, ok := p.(setupFailed)
			if !ok {
				panic(p)
			}
			err = errors.New(failed.msg)
		}
	}()
	f()
	return nil
}

// open opens a store on url, closed at the end of the test.
func open(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, Options{MaxConns: 4, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (queue.Store, func() queue.Store) {
		url := db(t)
		s := open(t, url)
		return s, func() queue.Store {
			s.Close()
			s = open(t, url)
			return s
		}
	})
}

func TestNotFound(t *testing.T) {
	s := open(t, db(t))
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	_, checks[`Ticket("")`] = s.Ticket("")
	_, checks["Ticket(unknown)"] = s.Ticket(queue.TicketID("2026-11-23", "nope"))
	_, checks["TicketByKey(known centre, unknown key)"] = s.TicketByKey("c1", "nope")
	_, checks[`TicketByKey(known centre, "")`] = s.TicketByKey("c1", "")
	_, checks["Tickets(unknown centre)"] = s.Tickets("nope", "2026-11-23")
	_, checks["Bookings(unknown centre)"] = s.Bookings("nope", "2026-11-23")
	_, checks["Audit(unknown centre)"] = s.Audit("nope", 10)
	_, checks["Booking"] = s.Booking("")
	_, checks["Kiosk"] = s.Kiosk("")
	_, checks["Enrollment"] = s.Enrollment("")
	_, checks["Purge"] = s.Purge("nope", "2026-11-23", now, now)
	checks["Commit to an unknown centre"] = s.Commit(&queue.Batch{Centres: []*queue.Changes{{Centre: "ghost", Stats: []queue.ServiceStat{{Service: "A"}}}}})
	for name, err := range checks {
		if queue.ErrorCode(err) != queue.ENotFound {
			t.Errorf("%s: %v, want a not_found error", name, err)
		}
	}
	if ts, err := s.Tickets("c1", "2026-11-23"); err != nil || len(ts) != 0 {
		t.Errorf("Tickets of a day without any: %v %v", ts, err)
	}
	if evs, err := s.Events("c1", 0, 0); err != nil || len(evs) != 0 {
		t.Errorf("Events with limit 0: %v %v", evs, err)
	}
}

func TestRefusedCommitChangesNothing(t *testing.T) {
	s := open(t, db(t))
	err := s.Commit(&queue.Batch{
		Users:   []queue.User{{Username: "u1", Role: queue.RoleAdmin}},
		Centres: []*queue.Changes{{Centre: "ghost", Events: []queue.Event{{Seq: 1, Type: queue.EventIssued}}}},
	})
	if err == nil {
		t.Fatal("commit for an unknown centre succeeded")
	}
	if _, err := s.User("u1"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("user of the refused batch was written: %v", err)
	}
}

func TestSpendChallenge(t *testing.T) {
	s := open(t, db(t))
	now := time.Now()
	exp := now.Add(time.Minute)
	for i, want := range []bool{true, false} {
		if fresh, err := s.SpendChallenge("c1", exp, now); err != nil || fresh != want {
			t.Fatalf("spend %d: %v %v, want %v", i, fresh, err, want)
		}
	}
	// Expired ones are deleted by later spends.
	if fresh, err := s.SpendChallenge("old", now.Add(-time.Hour), now.Add(-2*time.Hour)); err != nil || !fresh {
		t.Fatalf("old: %v %v", fresh, err)
	}
	if fresh, err := s.SpendChallenge("c2", exp, now); err != nil || !fresh {
		t.Fatalf("c2: %v %v", fresh, err)
	}
	var n int
	if err := s.pool.QueryRow(context.Background(), "SELECT count(*) FROM spent_challenges WHERE challenge = 'old'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("expired challenge kept: %d %v", n, err)
	}
}

func TestKeyID(t *testing.T) {
	url := db(t)
	s := open(t, url)
	if id, err := s.KeyID("citizen"); err != nil || id != "" {
		t.Fatalf("KeyID of none: %q %v", id, err)
	}
	for _, id := range []string{"k1", "k2"} {
		if err := s.SetKeyID("citizen", id); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = open(t, url)
	if id, err := s.KeyID("citizen"); err != nil || id != "k2" {
		t.Fatalf("KeyID: %q %v", id, err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var quiet = slog.New(slog.DiscardHandler)

func ids() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("id%05d", n) }
}

// A read-only store (a standby for reports) applies no migration: on a
// database without the schema it refuses to open, saying why; on one
// with it, it reads.
func TestReadOnly(t *testing.T) {
	url := db(t)
	if _, err := Open(context.Background(), url, Options{ReadOnly: true}); !errors.Is(err, ErrMigration) {
		t.Fatalf("read-only on a database without the schema: %v", err)
	}
	open(t, url) // migrates
	ro, err := Open(context.Background(), url, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.LoadCentres(); err != nil {
		t.Fatal(err)
	}
}
