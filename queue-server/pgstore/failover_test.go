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
