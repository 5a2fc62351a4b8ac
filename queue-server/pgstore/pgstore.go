// Package pgstore keeps the queue server's data in PostgreSQL: a
// queue.Store, and a queue.SharedStore that several queue-server processes
// write at once, each serving every centre.
//
// # Writing from several servers
//
// A server changes a centre in a round (Begin): a transaction that first
// takes the centre's lock, pg_advisory_xact_lock of a 64-bit FNV-1a hash
// of "xephang-centre:"+id (released by COMMIT or ROLLBACK, even when the
// server dies: the database ends its session), then reads the centre's
// revision in the same transaction. A server whose live state is at an
// older revision catches up from the change log (Since) before it acts.
// Every commit raises the revision of each centre it changes by one
// (commit_centre in the schema: UPDATE ... WHERE rev = new - 1, so a
// commit made on a stale revision fails whole, ErrConflict), logs the
// changes under it and notifies the other servers (pg_notify on channel
// xephang_changes, payload "<rev> <centre>", a few bytes). Store.Commit,
// for a single process or tools, does the same without the lock.
//
// A round costs two round trips: Lock (BEGIN, the locks and the revisions,
// pipelined) and Commit (every write and COMMIT, pipelined: one multi-row
// statement per table, from arrays, whatever the number of centres).
//
// The change log (table changes) holds each commit's queue.Changes as
// JSON, without the audit records, which no server keeps in memory; it
// holds bookings' personal data too, so Purge trims it after
// Options.ChangeLogKeep (2 days, far less than any retention period). A
// server away longer than that reloads its centres whole (Since says
// so). Watch is the wake-up: a connection of its own that LISTENs to the
// notices; the change log, not the notice, carries the changes, so a
// notice missed (a reconnection) costs a poll of Revs, never a change.
//
// # Schema
//
// Migrations (migrations/*.sql, embedded) define it; a document is the
// JSON of its queue type (as the bbolt store writes it) in a jsonb column,
// beside the columns that are queried:
//
//	centres      id → config, meta, rev
//	tickets      id → centre, day, number, key, status, doc;
//	             UNIQUE (centre, day, number): a number is never given
//	             twice, whatever the code does; UNIQUE (centre, key) where
//	             key <> '' (a key reused goes to its newest ticket, as in bbolt)
//	counters     (centre, number); numbers (centre, "YYYY-MM-DD/A") → last;
//	stats        (centre, service)
//	events       (centre, seq) → at, doc: the event log
//	audit        (centre, id) → doc; noshows (centre, id) → at, doc
//	bookings     code → centre, day, purged, doc
//	blocks       (centre, day, id) → doc: number blocks leased to kiosks
//	users, sessions (hash → expires, doc), kiosks, enrollments
//	spent_challenges (challenge, expires); key_ids name → id
//	changes      (centre, rev) → doc, at: the change log
//	messages     id → centre, channel, status, created_at, next_at,
//	             lease_until, body, doc: the outbox (outbox.go), never in
//	             the change log; contacts ref → centre, expires, doc
//	             (personal data, never in the change log either);
//	             webhooks id → centre, deleted, doc (in the change log)
//	schema_migrations version → name, checksum, applied_at
//
// # Migrations
//
// A small runner of its own (migrate.go) rather than golang-migrate or
// goose: it needs no new dependency, runs on the same pgx connection
// settings (multi-host URLs included), applies each migration in one
// transaction under a session advisory lock, so that servers starting
// together apply it once, and keeps each file's SHA-256, so that a server
// refuses a database whose applied migrations differ from its own or
// that a newer server migrated further.
//
// The files: pgstore.go opens the store; migrate.go applies the
// migrations; commit.go writes a batch; round.go holds the rounds, the
// change log and Watch; load.go and records.go read; outbox.go claims
// messages and records their delivery; purge.go erases past retention
// and keeps spent challenges and key fingerprints.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"xephang/queue-server/queue"
)

// Store is a queue.SharedStore on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	conn *pgx.ConnConfig // of Watch's own connections
	log  *slog.Logger
	keep time.Duration
	// done ends the watchers when the store closes.
	done   context.Context
	cancel context.CancelFunc
}

var (
	_ queue.Store       = (*Store)(nil)
	_ queue.SharedStore = (*Store)(nil)
)

// Options tunes a store; the zero value is sensible.
type Options struct {
	MaxConns int32        // connections of the pool (16)
	Log      *slog.Logger // slog.Default()
	// ChangeLogKeep is how long the change log keeps a commit's changes
	// (2 days): a server that was away longer reloads its centres whole.
	ChangeLogKeep time.Duration
	// ReadOnly opens a database this program only reads (a standby, for
	// reports): no migration is applied, and the schema must be one this
	// program knows, all applied.
	ReadOnly bool
}

// Errors of the store.
var (
	// ErrConflict means a commit was made on a centre's stale revision:
	// another server committed to it since. Nothing was written.
	ErrConflict = errors.New("pgstore: the centre changed since its revision was read (another server committed to it)")
	// ErrMigration means the database's migrations are not this
	// program's: one was changed after it was applied, or a newer
	// program applied more.
	ErrMigration = errors.New("pgstore: the database schema is not this program's")
)

// Open connects to the database at url (pgx's URL or key=value form;
// several hosts with target_session_attrs=read-write reach the primary),
// applies the migrations it lacks and checks that it answers. Every commit
// waits for synchronous_commit = on.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.ChangeLogKeep <= 0 {
		o.ChangeLogKeep = 48 * time.Hour
	}
	cfg.MaxConns = o.MaxConns
	setParams(cfg.ConnConfig)
	if o.ReadOnly {
		if err := checkSchema(ctx, url); err != nil {
			return nil, err
		}
	} else if err := migrate(ctx, cfg.ConnConfig.Copy(), o.Log); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool, conn: cfg.ConnConfig.Copy(), log: o.Log, keep: o.ChangeLogKeep}
	s.done, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// setParams sets what every connection of the store needs.
func setParams(c *pgx.ConnConfig) {
	// An acknowledged write is committed (and, with synchronous standbys,
	// replicated) before the answer, whatever the server's default.
	c.RuntimeParams["synchronous_commit"] = "on"
	if c.RuntimeParams["application_name"] == "" {
		c.RuntimeParams["application_name"] = "queue-server"
	}
}

// Ping checks that the database answers and takes writes (readiness).
func (s *Store) Ping(ctx context.Context) error {
	var ro bool
	if err := s.pool.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&ro); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if ro {
		return errors.New("pgstore: the database is a standby: it takes no writes")
	}
	return nil
}

// Close ends the watchers and closes the connections.
func (s *Store) Close() error {
	s.cancel()
	s.pool.Close()
	return nil
}

// Pool exposes the connection pool for tools and tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// names gives the Vietnamese for what notFound reports.
var names = map[string]string{
	"centre": "trung tâm", "ticket": "số thứ tự", "idempotency key": "khóa chống trùng", "user": "tài khoản",
	"session": "phiên đăng nhập", "booking": "lịch hẹn", "kiosk": "ki-ốt", "enrolment token": "mã đăng ký ki-ốt",
	"contact": "thông tin liên lạc", "webhook": "webhook",
	"dossier form": "tờ khai", "dossier document": "giấy tờ của hồ sơ", "dossier confirmation": "xác nhận hồ sơ",
	"identity": "thông tin căn cước",
}

func notFound(what, id string) error {
	return queue.Errorf(queue.ENotFound, "no %[1]s %[3]q", "không tìm thấy %[2]s %[3]q", what, names[what], id)
}

// SQLSTATEs that commit_centre raises.
const (
	stateNoCentre = "XH404"
	stateConflict = "XH409"
)

// commitError explains an error of a commit's statement.
func commitError(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("pgstore: commit: %w", err)
	}
	switch {
	case pe.Code == stateConflict:
		return fmt.Errorf("%w: %s", ErrConflict, pe.Message)
	case pe.Code == stateNoCentre:
		return notFound("centre", strings.TrimPrefix(pe.Message, "no centre "))
	case pe.Code == "23505" && pe.ConstraintName == "tickets_number":
		return fmt.Errorf("pgstore: commit: a ticket number given twice in one day, refused: %s: %w", pe.Detail, err)
	}
	return fmt.Errorf("pgstore: commit: %w", err)
}
