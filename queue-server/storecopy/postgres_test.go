package storecopy_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"xephang/queue-server/pgstore"
	"xephang/queue-server/testsrv"
)

// TestCopyMonthPostgres is TestCopyMonth into a PostgreSQL database, and
// TestCopyRefusesNonEmptyTarget on PostgreSQL.
func TestCopyMonthPostgres(t *testing.T) {
	pg := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
	open := func(t *testing.T, url string) store {
		s, err := pgstore.Open(context.Background(), url, pgstore.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	t.Run("Month", func(t *testing.T) {
		url := pg.CreateDB(t)
		copyMonth(t, open(t, url), func(s store) store { s.Close(); return open(t, url) })
	})
	t.Run("NonEmptyTarget", func(t *testing.T) {
		refusesNonEmpty(t, func(t *testing.T) store { return open(t, pg.CreateDB(t)) })
	})
}

// BenchmarkCopyMonthPostgres is BenchmarkCopyMonth into PostgreSQL (a
// throwaway cluster on this machine, durable: fsync on).
func BenchmarkCopyMonthPostgres(b *testing.B) {
	pg := testsrv.StartPostgres(b, testsrv.PGOptions{})
	benchCopyMonth(b, func() store {
		s, err := pgstore.Open(context.Background(), pg.CreateDB(b), pgstore.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
