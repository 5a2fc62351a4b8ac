package pgstore

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
	"xephang/queue-server/testsrv"
)

// A URL of several hosts with target_session_attrs=read-write reaches the
// primary, whichever comes first; a standby alone is not ready.
func TestMultiHost(t *testing.T) {
	primaryURL := db(t)
	u, err := url.Parse(primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	// pg_basebackup asks for a spread checkpoint: make it one with
	// nothing left to write.
	cluster.SQL(t, "postgres", "CHECKPOINT")
	standby := cluster.Standby(t, false)
	multi := fmt.Sprintf("postgres://%s@127.0.0.1:%d,127.0.0.1:%d/%s?sslmode=disable&target_session_attrs=read-write",
		testsrv.Superuser, standby.Port, cluster.Port, dbName)
	s := open(t, multi)
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping through the multi-host URL: %v", err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	// The standby alone: it takes no writes, and says so.
	standbyURL := standby.URL(dbName)
	if _, err := Open(ctx, standbyURL, Options{Log: quiet}); err == nil {
		t.Fatal("Open on a standby succeeded")
	}
	st, err := Status(ctx, standbyURL) // read-only: works on a standby
	if err != nil || len(st) == 0 {
		t.Fatalf("Status on the standby: %v %v", st, err)
	}
}

// The primary dies, the synchronous standby is promoted: what was
// acknowledged is there, the pool and Watch reach the new primary through
// the multi-host URL, and Watch says it reconnected.
func TestFailover(t *testing.T) {
	primary := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true}) // synchronous_commit off by default: the store sets it on
	u, err := url.Parse(primary.CreateDB(t))
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	primary.SQL(t, "postgres", "CHECKPOINT")
	standby := primary.Standby(t, true)
	multi := fmt.Sprintf("postgres://%s@127.0.0.1:%d,127.0.0.1:%d/%s?sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		testsrv.Superuser, primary.Port, standby.Port, dbName)
	s := open(t, multi)
	var sc string
	if err := s.pool.QueryRow(context.Background(), "SHOW synchronous_commit").Scan(&sc); err != nil || sc != "on" {
		t.Fatalf("synchronous_commit %q %v, want on", sc, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	heard := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Watch(ctx, func(centre string, rev uint64) { heard <- fmt.Sprint(centre, " ", rev) }, func() {})
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool {
		return count(t, s, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'queue-server watch'") > 0
	})
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	tk, _ := l.Issue(now, queue.IssueRequest{Service: "A"})
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	if n := hear(t, heard); n != "c1 1" {
		t.Fatalf("heard %q", n)
	}
	primary.Kill(t)
	standby.Promote(t)
	if n := hear(t, heard); n != " 0" {
		t.Fatalf("heard %q, want the reconnection notice", n)
	}
	// The pool's connections to the dead primary fail once each (at most
	// MaxConns of them), then it connects to the new one.
	var got queue.Ticket
	for range 5 {
		if got, err = s.Ticket(tk.ID); err == nil {
			break
		}
	}
	if err != nil || got.Number != "A001" {
		t.Fatalf("the acknowledged ticket after the failover: %+v %v", got, err)
	}
	l.Issue(now, queue.IssueRequest{Service: "A"})
	batch := &queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}
	for range 5 {
		if err = s.Commit(batch); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("commit on the new primary: %v", err)
	}
	if n := hear(t, heard); n != "c1 2" {
		t.Fatalf("heard %q", n)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// waitFor waits until ok, 30 seconds at most.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hear returns what Watch heard next, waiting 60 seconds at most.
func hear(t *testing.T, heard chan string) string {
	t.Helper()
	select {
	case n := <-heard:
		return n
	case <-time.After(60 * time.Second):
		t.Fatal("Watch heard nothing")
		return ""
	}
}
