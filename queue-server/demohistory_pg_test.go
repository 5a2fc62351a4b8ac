package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/testsrv"
)

// TestMainDemoHistoryOnPostgres: -demo -demo-history on a shared
// PostgreSQL store (make run-postgres) imports the past through
// pgstore.ImportPast: the tickets are there and the forecast learns from
// them, and the change log the servers catch up from holds none of them.
func TestMainDemoHistoryOnPostgres(t *testing.T) {
	url := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true}).CreateDB(t)
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Database: url, Demo: true, DemoHistory: 28, AdminPassword: "admin-secret"},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	must(t, m.Run(ctx))
	defer m.Close()
	past := 0
	for i := 1; i <= 7; i++ {
		ts, err := m.Store.Tickets("hoan-kiem", time.Now().AddDate(0, 0, -i).Format(time.DateOnly))
		must(t, err)
		past += len(ts)
	}
	if past < 300 {
		t.Fatalf("the demo's last week holds %d tickets", past)
	}
	pool, err := pgxpool.New(ctx, url)
	must(t, err)
	defer pool.Close()
	var logged, tickets int
	must(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM changes WHERE doc::text LIKE '%"tickets"%'), (SELECT count(*) FROM tickets)`).Scan(&logged, &tickets))
	if logged != 0 || tickets < 1000 {
		t.Errorf("%d change-log rows with tickets, %d tickets stored", logged, tickets)
	}
	admin := apiv1.NewClient("http://" + m.Addr())
	must(t, admin.Login(ctx, "admin", "admin-secret"))
	f, err := admin.Forecast(ctx, "hoan-kiem", apiv1.ForecastQuery{})
	must(t, err)
	if f.Plan == nil || len(f.Points) == 0 {
		t.Fatalf("no forecast from the imported history: %+v", f)
	}
}
