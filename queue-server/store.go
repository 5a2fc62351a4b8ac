package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/pglimits"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/queue"
)

// openStore opens the bbolt store of the data directory, or the
// PostgreSQL database of -database, and says how /readyz learns the
// store is healthy. reports is the store reports read (a replica of
// -report-database, or nil for the main one).
func (m *Main) openStore(ctx context.Context, metrics *httpapi.Metrics) (ready func() error, reports queue.Store, limits httpapi.Limits, err error) {
	if m.Config.Database == "" {
		if err := m.moveKeyOutOfStore(); err != nil {
			return nil, nil, nil, err
		}
		st, err := bolt.OpenWith(m.Config.DataDir, bolt.Options{Init: m.Config.Init})
		if err != nil {
			return nil, nil, nil, err
		}
		m.Store = st
		watch := &storeWatch{st: st, minFree: m.Config.MinFree, log: m.Log, metrics: metrics}
		var wctx context.Context
		wctx, m.stop = context.WithCancel(context.Background())
		go watch.run(wctx)
		return watch.problem, nil, nil, nil
	}
	st, err := pgstore.Open(ctx, m.Config.Database, pgstore.Options{Log: m.Log})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("database %s: %w", redact(m.Config.Database), err)
	}
	m.Store = st
	// The rate limits and sign-in back-off are the database's, shared by
	// every instance; swept of what no longer counts every hour.
	pl := pglimits.New(st.Pool())
	var wctx context.Context
	wctx, m.stop = context.WithCancel(context.Background())
	go sweepLimits(wctx, pl, m.Log)
	var mu sync.Mutex
	var logged time.Time // the last time the problem was logged: once a minute, not at every health check
	ready = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			mu.Lock()
			if time.Since(logged) >= time.Minute {
				m.Log.Error("STORE PROBLEM: not ready, the database does not answer", "err", err)
				logged = time.Now()
			}
			mu.Unlock()
			return queue.Errorf(queue.EUnavailable, "not ready: the database does not answer", "chưa sẵn sàng: cơ sở dữ liệu không phản hồi")
		}
		return nil
	}
	if m.Config.ReportDatabase != "" {
		rs, err := pgstore.Open(ctx, m.Config.ReportDatabase, pgstore.Options{Log: m.Log, ReadOnly: true})
		if err != nil {
			st.Close()
			return nil, nil, nil, fmt.Errorf("report database %s: %w", redact(m.Config.ReportDatabase), err)
		}
		m.closers = append(m.closers, rs)
		reports = rs
	}
	return ready, reports, pl, nil
}

// sweepLimits deletes, every hour until ctx ends, the rate-limit buckets
// and sign-in strikes that no longer count.
func sweepLimits(ctx context.Context, pl *pglimits.Limits, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			n, err := pl.Sweep(sctx, now)
			cancel()
			if err != nil {
				log.Warn("sweeping the shared rate limits", "err", err)
			} else if n > 0 {
				log.Debug("swept the shared rate limits", "rows", n)
			}
		}
	}
}

func (m *Main) storeKind() string {
	if m.Config.Database != "" {
		return "postgresql " + redact(m.Config.Database)
	}
	return "bbolt"
}

// redact hides a connection string's password in logs and errors: in a
// URL's user information or its password parameter, or in the key=value
// form's password.
func redact(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "(a connection string that does not parse)"
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		dsn = u.Redacted()
	}
	// Also whatever else reads "password=" (a host or path that does):
	// hiding too much costs nothing.
	return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
}

// kvPassword is the password of a key=value connection string, quoted or
// not (any key ending in "password": hiding too much costs nothing).
var kvPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// runMigrateStatus is `queue-server migrate-status -database URL`: where a
// PostgreSQL database stands against the migrations this binary carries.
// It changes nothing. Exit code 0: up to date; 1: migrations pending or
// an error; 2: bad usage.
func runMigrateStatus(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("queue-server migrate-status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("database", getenv("XEPHANG_DATABASE_URL"), "PostgreSQL connection string (XEPHANG_DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dsn == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: queue-server migrate-status -database postgres://… (hoặc biến môi trường XEPHANG_DATABASE_URL)")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := pgstore.Status(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "queue-server migrate-status: %s: %v\n", redact(*dsn), err)
		return 1
	}
	pgstore.FormatStatus(stdout, st)
	for _, s := range st {
		if s.State != pgstore.MigrationApplied {
			return 1
		}
	}
	return 0
}
