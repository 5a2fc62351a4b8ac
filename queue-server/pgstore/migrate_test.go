package pgstore

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Servers starting together on a new database apply each migration once.
func TestMigrateConcurrently(t *testing.T) {
	url := db(t)
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, url, Options{MaxConns: 2, Log: quiet})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	s := stores[0]
	if n := count(t, s, "SELECT count(*) FROM schema_migrations"); n != int64(len(ms)) {
		t.Fatalf("%d migrations recorded, want %d", n, len(ms))
	}
	st, err := Status(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != len(ms) {
		t.Fatalf("status: %+v", st)
	}
	for _, m := range st {
		if m.State != MigrationApplied || m.AppliedAt.IsZero() {
			t.Fatalf("status: %+v", m)
		}
	}
	var out bytes.Buffer
	if err := FormatStatus(&out, st); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^0001\s+init\s+applied\s+\d{4}-\d\d-\d\dT`).Match(out.Bytes()) {
		t.Fatalf("FormatStatus:\n%s", &out)
	}
}

func TestStatusOfANewDatabase(t *testing.T) {
	st, err := Status(context.Background(), db(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 || st[0].Version != 1 || st[0].State != MigrationPending || !st[0].AppliedAt.IsZero() {
		t.Fatalf("status: %+v", st)
	}
	var out bytes.Buffer
	FormatStatus(&out, st)
	if !strings.Contains(out.String(), "pending") {
		t.Fatalf("FormatStatus:\n%s", &out)
	}
}

// A server refuses a database whose applied migration differs from its
// own, or that a newer server migrated further.
func TestMigrationRefused(t *testing.T) {
	for _, c := range []struct {
		name, sql, state, says string
	}{
		{"changed", "UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1", MigrationChanged, "differs from this program's"},
		{"newer", "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')", MigrationUnknown, "newer queue-server"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := db(t)
			s := open(t, url)
			if _, err := s.pool.Exec(context.Background(), c.sql); err != nil {
				t.Fatal(err)
			}
			s.Close()
			_, err := Open(context.Background(), url, Options{Log: quiet})
			if !errors.Is(err, ErrMigration) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Open: %v", err)
			}
			st, err := Status(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, m := range st {
				found = found || m.State == c.state
			}
			if !found {
				t.Fatalf("status: %+v, want one %s", st, c.state)
			}
		})
	}
}
