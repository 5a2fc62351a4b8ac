// Package pglimits keeps httpapi.Limits in PostgreSQL, for several
// queue-server instances behind one load balancer: the per-address token
// buckets and the delays of failed sign-ins are rows of the database they
// share, so a client has one allowance among all the instances rather
// than one per instance, and password guesses spread over instances are
// slowed down as if they all hit one.
//
// Every operation is one statement, atomic by itself: a take is an
// INSERT … ON CONFLICT DO UPDATE that refills the bucket and takes a token
// under the row's lock, so racing takes from any number of connections
// are each counted once. Times are the caller's (httpapi passes its
// clock), never the database's, so instances and tests agree on one
// clock per request.
//
// The tables are UNLOGGED: a take writes no WAL, so it costs no disk
// flush and no wait for a synchronous standby (PostgreSQL commits a
// transaction that wrote only unlogged tables asynchronously). The price
// is that a crash of the database or a failover to the standby empties
// them: every address and account starts with a fresh allowance, as it
// does today when a single server restarts. Counters are worth less than
// a flush per request.
package pglimits

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"xephang/queue-server/httpapi"
)

// Limits is httpapi.Limits on PostgreSQL.
type Limits struct {
	pool *pgxpool.Pool
}

var _ httpapi.Limits = (*Limits)(nil)

// New returns limits kept in pool's database, whose schema the PostgreSQL
// store's migrations made (pgstore/migrations/0002_limits.sql).
func New(pool *pgxpool.Pool) *Limits { return &Limits{pool: pool} }

// The bucket, refilled at now ($3) with burst $4 per window $5 (seconds):
// a clock behind the last take refills nothing (as in memory).
const refilled = `least($4::float8, b.tokens + greatest(0, extract(epoch FROM $3::timestamptz - b.taken_at)::float8) * $4::float8 / $5::float8)`

var takeSQL = strings.NewReplacer("{refilled}", refilled).Replace(`
INSERT INTO rate_buckets AS b (name, key, tokens, taken_at, idle_at, taken)
VALUES ($1, $2, $4::float8 - 1, $3, $3::timestamptz + make_interval(secs => $5), true)
ON CONFLICT (name, key) DO UPDATE SET
	tokens = CASE WHEN {refilled} >= 1 THEN {refilled} - 1 ELSE {refilled} END,
	taken = {refilled} >= 1,
	taken_at = greatest(b.taken_at, $3),
	idle_at = greatest(b.taken_at, $3) + make_interval(secs => $5)
RETURNING taken`)

// Take implements httpapi.Limits.
func (l *Limits) Take(ctx context.Context, r httpapi.Rate, key string, now time.Time) (bool, error) {
	var ok bool
	err := l.pool.QueryRow(ctx, takeSQL, r.Name, key, now, float64(r.Burst), r.Window.Seconds()).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("pglimits: take %s: %w", r.Name, err)
	}
	return ok, nil
}

// delay is BackoffPolicy's wait after n failures, with the policy's
// parameters numbered from first (Free, then Base and Max in seconds):
// Base doubling from the first failure past the free ones, capped (the
// exponent too, so that it cannot overflow).
func delay(n string, first int) string {
	free, base, max := fmt.Sprintf("$%d::int", first), fmt.Sprintf("$%d::float8", first+1), fmt.Sprintf("$%d::float8", first+2)
	return strings.NewReplacer("{n}", "("+n+")", "{free}", free, "{base}", base, "{max}", max).Replace(
		`make_interval(secs => CASE WHEN {n} <= {free} THEN 0 ELSE least({base} * power(2::float8, least({n} - {free} - 1, 60)), {max}) END)`)
}

// The failures of a key after one more at $3: one past Forget that does
// not wait starts afresh.
const failures = `CASE WHEN $3::timestamptz > s.forget_at AND $3::timestamptz >= s.wait_until THEN 1 ELSE s.failures + 1 END`

// failSQL: $1 policy, $2 key, $3 now, $4 Free, $5 Base, $6 Max, $7 Forget.
var failSQL = `
INSERT INTO backoff_strikes AS s (policy, key, failures, last_failure, wait_until, forget_at)
VALUES ($1, $2, 1, $3, $3::timestamptz + ` + delay("1", 4) + `, $3::timestamptz + make_interval(secs => $7))
ON CONFLICT (policy, key) DO UPDATE SET
	failures = ` + failures + `,
	last_failure = $3,
	wait_until = $3::timestamptz + ` + delay(failures, 4) + `,
	forget_at = $3::timestamptz + make_interval(secs => $7)`

// undoSQL: $1 policy, $2 key, $3 Free, $4 Base, $5 Max.
var undoSQL = `
UPDATE backoff_strikes SET failures = failures - 1, wait_until = last_failure + ` + delay("failures - 1", 3) + `
WHERE policy = $1 AND key = $2 AND failures > 0`

// Wait implements httpapi.Limits.
func (l *Limits) Wait(ctx context.Context, p httpapi.BackoffPolicy, key string, now time.Time) (time.Duration, error) {
	var until time.Time
	err := l.pool.QueryRow(ctx, `SELECT wait_until FROM backoff_strikes WHERE policy = $1 AND key = $2`, p.Name, key).Scan(&until)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("pglimits: wait %s: %w", p.Name, err)
	case !now.Before(until):
		return 0, nil
	}
	return until.Sub(now), nil
}

// Fail implements httpapi.Limits.
func (l *Limits) Fail(ctx context.Context, p httpapi.BackoffPolicy, key string, now time.Time) error {
	if _, err := l.pool.Exec(ctx, failSQL, p.Name, key, now, p.Free, p.Base.Seconds(), p.Max.Seconds(), p.Forget.Seconds()); err != nil {
		return fmt.Errorf("pglimits: fail %s: %w", p.Name, err)
	}
	return nil
}

// Undo implements httpapi.Limits.
func (l *Limits) Undo(ctx context.Context, p httpapi.BackoffPolicy, key string) error {
	if _, err := l.pool.Exec(ctx, undoSQL, p.Name, key, p.Free, p.Base.Seconds(), p.Max.Seconds()); err != nil {
		return fmt.Errorf("pglimits: undo %s: %w", p.Name, err)
	}
	return nil
}

// Reset implements httpapi.Limits.
func (l *Limits) Reset(ctx context.Context, p httpapi.BackoffPolicy, key string) error {
	if _, err := l.pool.Exec(ctx, `DELETE FROM backoff_strikes WHERE policy = $1 AND key = $2`, p.Name, key); err != nil {
		return fmt.Errorf("pglimits: reset %s: %w", p.Name, err)
	}
	return nil
}

// Sweep deletes, as of now, the buckets idle for longer than their window
// (full again: a missing row is the same) and the failures older than
// their policy's Forget that make nobody wait (a new failure would start
// afresh anyway), returning how many rows went. The server calls it
// hourly; nothing depends on it but the tables' size.
func (l *Limits) Sweep(ctx context.Context, now time.Time) (int64, error) {
	b, err := l.pool.Exec(ctx, `DELETE FROM rate_buckets WHERE idle_at < $1`, now)
	if err != nil {
		return 0, fmt.Errorf("pglimits: sweep: %w", err)
	}
	s, err := l.pool.Exec(ctx, `DELETE FROM backoff_strikes WHERE forget_at < $1 AND wait_until <= $1`, now)
	if err != nil {
		return b.RowsAffected(), fmt.Errorf("pglimits: sweep: %w", err)
	}
	return b.RowsAffected() + s.RowsAffected(), nil
}
