package pgstore

// Migrations: the SQL files of migrations/, applied in order, each once,
// in a transaction of its own, under a lock (see the package comment).

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the key of the session advisory lock under which
// migrations are applied ("xephang" and 1).
const migrationLock int64 = 0x78657068616e6701

// migration is one file of migrations/: NNNN_name.sql.
type migration struct {
	version  int
	name     string
	sql      string
	checksum string // hex SHA-256 of the file
}

// migrations returns the embedded migrations in order of version.
func migrations() ([]migration, error) {
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("pgstore: migration file %s: want NNNN_name.sql", f)
		}
		raw, err := migrationFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		out = append(out, migration{version: v, name: name, sql: string(raw), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := range out {
		if out[i].version != i+1 {
			return nil, fmt.Errorf("pgstore: migrations: version %d where %d was expected", out[i].version, i+1)
		}
	}
	return out, nil
}

const createMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    int PRIMARY KEY,
	name       text NOT NULL,
	checksum   text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// applied is a row of schema_migrations.
type applied struct {
	version  int
	name     string
	checksum string
	at       time.Time
}

// readApplied reads schema_migrations, nil when it does not exist yet.
func readApplied(ctx context.Context, conn *pgx.Conn) ([]applied, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := conn.Query(ctx, "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (applied, error) {
		var a applied
		err := r.Scan(&a.version, &a.name, &a.checksum, &a.at)
		return a, err
	})
}

// check refuses a database whose applied migrations are not the
// program's: changed since, or unknown (a newer program's).
func check(done []applied, ms []migration) error {
	for _, a := range done {
		if a.version > len(ms) {
			return fmt.Errorf("%w: the database is at migration %d (%s), this program knows %d: a newer queue-server migrated it; run that version",
				ErrMigration, a.version, a.name, len(ms))
		}
		if m := ms[a.version-1]; a.checksum != m.checksum {
			return fmt.Errorf("%w: migration %d (%s) applied to the database differs from this program's (checksum %.12s, program %.12s): "+
				"a migration must never change once released", ErrMigration, a.version, a.name, a.checksum, m.checksum)
		}
	}
	return nil
}

// migrate applies the migrations the database lacks, on a connection of
// its own that holds the migration lock throughout (closing it releases
// the lock, whatever happens).
func migrate(ctx context.Context, cfg *pgx.ConnConfig, log *slog.Logger) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	if _, err := conn.Exec(ctx, createMigrations); err != nil {
		return fmt.Errorf("pgstore: schema_migrations: %w", err)
	}
	done, err := readApplied(ctx, conn)
	if err != nil {
		return fmt.Errorf("pgstore: schema_migrations: %w", err)
	}
	if err := check(done, ms); err != nil {
		return err
	}
	have := map[int]bool{}
	for _, a := range done {
		have[a.version] = true
	}
	for _, m := range ms {
		if have[m.version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if err := tx.Conn().PgConn().Exec(ctx, m.sql).Close(); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", m.version, m.name, m.checksum)
			return err
		})
		if err != nil {
			return fmt.Errorf("pgstore: migration %d (%s): %w", m.version, m.name, err)
		}
		log.Info("applied a database migration", "version", m.version, "name", m.name)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	return nil
}

// MigrationStatus is where a database stands with one migration.
type MigrationStatus struct {
	Version   int
	Name      string
	State     string    // "applied", "pending", "changed" (applied, differs from the program's) or "unknown" (a newer program's)
	AppliedAt time.Time // zero when pending
}

// Migration states.
const (
	MigrationApplied = "applied"
	MigrationPending = "pending"
	MigrationChanged = "changed"
	MigrationUnknown = "unknown"
)

// Status reports every migration of the program and of the database at
// url, applying none.
func Status(ctx context.Context, url string) ([]MigrationStatus, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	setParams(cfg)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	done, err := readApplied(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: schema_migrations: %w", err)
	}
	byVersion := map[int]applied{}
	for _, a := range done {
		byVersion[a.version] = a
	}
	var out []MigrationStatus
	for _, m := range ms {
		st := MigrationStatus{Version: m.version, Name: m.name, State: MigrationPending}
		if a, ok := byVersion[m.version]; ok {
			st.State, st.AppliedAt = MigrationApplied, a.at
			if a.checksum != m.checksum {
				st.State = MigrationChanged
			}
		}
		out = append(out, st)
	}
	for _, a := range done {
		if a.version > len(ms) {
			out = append(out, MigrationStatus{Version: a.version, Name: a.name, State: MigrationUnknown, AppliedAt: a.at})
		}
	}
	return out, nil
}

// FormatStatus prints a table of migrations: version, name, state, when
// applied.
func FormatStatus(w io.Writer, st []MigrationStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	for _, m := range st {
		at := "-"
		if !m.AppliedAt.IsZero() {
			at = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\t%s\n", m.Version, m.Name, m.State, at)
	}
	return tw.Flush()
}

// checkSchema refuses a database whose schema is not exactly this
// program's, all applied: what a read-only connection (a standby) needs,
// since it cannot migrate.
func checkSchema(ctx context.Context, url string) error {
	st, err := Status(ctx, url)
	if err != nil {
		return err
	}
	for _, m := range st {
		if m.State != MigrationApplied {
			return fmt.Errorf("%w: migration %04d %s is %s (open the primary with this program first)", ErrMigration, m.Version, m.Name, m.State)
		}
	}
	return nil
}
