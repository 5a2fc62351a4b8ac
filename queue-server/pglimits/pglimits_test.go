package pglimits_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/limitstest"
	"xephang/queue-server/pglimits"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/testsrv"
)

// newDB returns a pool on a fresh database of c with the schema.
func newDB(t testing.TB, c *testsrv.Cluster) (string, *pgxpool.Pool) {
	t.Helper()
	url := c.CreateDB(t)
	migrate(t, url)
	return url, newPool(t, url)
}

// migrate gives the database at url the schema, by the PostgreSQL store's
// migrations, as queue-server does.
func migrate(t testing.TB, url string) {
	t.Helper()
	st, err := pgstore.Open(context.Background(), url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// The limits on PostgreSQL keep the behaviour table of the in-memory ones.
func TestBehaviour(t *testing.T) {
	c := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
	_, pool := newDB(t, c)
	limitstest.Run(t, pglimits.New(pool), "pg")
}

// Two instances on two pools of one database: 200 racing takes of a
// burst-10 bucket give exactly 10 tokens, 200 racing failures count 200.
func TestRaceOverTwoPools(t *testing.T) {
	c := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
	url, a := newDB(t, c)
	b := newPool(t, url)
	limitstest.Concurrent(t, []httpapi.Limits{pglimits.New(a), pglimits.New(b)}, "pg")
}

// Sweep deletes the rows that make no difference any more, and only
// those: the behaviour after a sweep is the behaviour without one.
func TestSweep(t *testing.T) {
	c := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
	_, pool := newDB(t, c)
	ctx := context.Background()
	l := pglimits.New(pool)
	t0 := limitstest.Start
	hourly := httpapi.Rate{Name: "hourly", Burst: 10, Window: time.Hour}
	minutely := httpapi.Rate{Name: "minutely", Burst: 10, Window: time.Minute}
	pol := httpapi.BackoffPolicy{Name: "account", Free: 0, Base: time.Hour, Max: time.Hour, Forget: 15 * time.Minute}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	take := func(r httpapi.Rate, key string, at time.Time) bool {
		t.Helper()
		ok, err := l.Take(ctx, r, key, at)
		must(err)
		return ok
	}
	for range 10 {
		take(hourly, "a", t0)
		take(minutely, "a", t0)
	}
	must(l.Fail(ctx, pol, "waits", t0))                                                                   // waits an hour
	must(l.Fail(ctx, httpapi.BackoffPolicy{Name: "typo", Free: 3, Forget: 15 * time.Minute}, "free", t0)) // waits for nothing
	count := func() (n int) {
		t.Helper()
		must(pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM rate_buckets) + (SELECT count(*) FROM backoff_strikes)`).Scan(&n))
		return n
	}
	if n := count(); n != 4 {
		t.Fatalf("%d rows", n)
	}
	// 30 minutes on: the minute bucket is full again and the typo
	// forgotten; the hour bucket is not full, the delay still runs.
	at := t0.Add(30 * time.Minute)
	n, err := l.Sweep(ctx, at)
	must(err)
	if n != 2 || count() != 2 {
		t.Fatalf("swept %d, %d rows left, want 2 and 2", n, count())
	}
	if d, err := l.Wait(ctx, pol, "waits", at); err != nil || d != 30*time.Minute {
		t.Fatalf("the delay after a sweep: %v %v", d, err)
	}
	for i := range 5 { // 30 minutes refilled 5 tokens of the hour bucket
		if !take(hourly, "a", at) {
			t.Fatalf("take %d after the sweep refused", i+1)
		}
	}
	if take(hourly, "a", at) {
		t.Fatal("the hour bucket was swept: it refills more than 5 tokens in 30 minutes")
	}
	// Two hours on, nothing is left.
	n, err = l.Sweep(ctx, t0.Add(2*time.Hour))
	must(err)
	if n != 2 || count() != 0 {
		t.Fatalf("swept %d, %d rows left", n, count())
	}
}
