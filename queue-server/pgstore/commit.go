package pgstore

// Commit: a batch written in one transaction, in one round trip: every
// statement pipelined, one multi-row statement per table from arrays.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"xephang/queue-server/queue"
)

// Commit writes the batch in one transaction, committed (synchronous_commit
// on) before it returns. It raises the revision of each centre it changes
// and logs the changes, as a round's Commit does, without taking the
// centres' locks: for a single process or tools. A Changes with Rev 0 gets
// the centre's next revision (written back into it); one with a Rev must
// make exactly the next, or the commit fails whole with ErrConflict.
func (s *Store) Commit(b *queue.Batch) error {
	if b.Empty() {
		return nil
	}
	ctx := context.Background()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: commit: %w", err)
	}
	defer conn.Release()
	return commitOn(ctx, conn.Conn(), b, true, nil)
}

// commitOn writes the batch on conn and commits: begin says whether to
// open the transaction first (a round's is already open), prefix are
// statements to run before the writes.
func commitOn(ctx context.Context, conn *pgx.Conn, b *queue.Batch, begin bool, prefix []string) error {
	pb := &pgx.Batch{}
	if begin {
		pb.Queue(beginTx)
	}
	for _, p := range prefix {
		pb.Queue(p)
	}
	w, err := queueWrites(pb, b)
	if err != nil {
		if !begin {
			rollback(ctx, conn)
		}
		return err
	}
	pb.Queue("COMMIT")
	err = w.read(conn.SendBatch(ctx, pb), begin, len(prefix))
	if err != nil {
		rollback(ctx, conn)
		return err
	}
	return nil
}

// beginTx opens a transaction: read committed, so that each statement
// sees what was committed before it began (a round reads revisions after
// its locks are granted).
const beginTx = "BEGIN ISOLATION LEVEL READ COMMITTED"

// rollback ends the transaction open on conn, if any.
func rollback(ctx context.Context, conn *pgx.Conn) {
	if conn.PgConn().TxStatus() != 'I' {
		conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	}
}

// writes are the statements of a batch on a pgx.Batch: the centres' first
// (commit_centre, one row each), then execs.
type writes struct {
	centres []*queue.Changes
	execs   int
}

// read reads the results of the batch sent: BEGIN if begun, the prefix,
// the writes, COMMIT. It sets each centre's Changes.Rev to the revision
// committed.
func (w *writes) read(br pgx.BatchResults, begun bool, prefix int) (err error) {
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = commitError(cerr)
		}
	}()
	n := prefix
	if begun {
		n++
	}
	for range n {
		if _, err := br.Exec(); err != nil {
			return commitError(err)
		}
	}
	revs := make([]int64, len(w.centres))
	for i := range w.centres {
		if err := br.QueryRow().Scan(&revs[i]); err != nil {
			return commitError(err)
		}
	}
	for range w.execs + 1 { // and COMMIT
		if _, err := br.Exec(); err != nil {
			return commitError(err)
		}
	}
	for i, ch := range w.centres {
		ch.Rev = uint64(revs[i])
	}
	return nil
}

// The statements of a commit, one per table, each writing any number of
// rows from arrays of the same length.
const (
	sqlCommitCentre = `SELECT commit_centre($1, $2, $3::text::jsonb, $4::text::jsonb, $5::text::jsonb)`
	sqlCounters     = `INSERT INTO counters (centre, number, doc)
		SELECT c, n, d::jsonb FROM unnest($1::text[], $2::int[], $3::text[]) AS x(c, n, d)
		ON CONFLICT (centre, number) DO UPDATE SET doc = EXCLUDED.doc`
	sqlRemoved = `DELETE FROM counters k USING unnest($1::text[], $2::int[]) AS x(c, n)
		WHERE k.centre = x.c AND k.number = x.n`
	// A key reused by another ticket goes to the newest (as bbolt's key
	// index): the older ticket gives it up first.
	sqlKeys = `UPDATE tickets t SET key = '' FROM unnest($1::text[], $2::text[], $3::text[]) AS x(c, k, id)
		WHERE t.centre = x.c AND t.key = x.k AND t.id <> x.id`
	sqlTickets = `INSERT INTO tickets (id, centre, day, number, key, status, doc)
		SELECT id, c, day, num, k, st, d::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS x(id, c, day, num, k, st, d)
		ON CONFLICT (id) DO UPDATE SET centre = EXCLUDED.centre, day = EXCLUDED.day, number = EXCLUDED.number,
			key = EXCLUDED.key, status = EXCLUDED.status, doc = EXCLUDED.doc`
	// Events are appended, never replaced: a seq written twice means two
	// writers diverged, and the commit fails.
	sqlEvents = `INSERT INTO events (centre, seq, at, doc)
		SELECT c, seq, at, d::jsonb FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[]) AS x(c, seq, at, d)`
	sqlNumbers = `INSERT INTO numbers (centre, key, last)
		SELECT c, k, n FROM unnest($1::text[], $2::text[], $3::int[]) AS x(c, k, n)
		ON CONFLICT (centre, key) DO UPDATE SET last = EXCLUDED.last`
	sqlStats = `INSERT INTO stats (centre, service, doc)
		SELECT c, svc, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS x(c, svc, d)
		ON CONFLICT (centre, service) DO UPDATE SET doc = EXCLUDED.doc`
	sqlBookings = `INSERT INTO bookings (code, centre, day, purged, doc)
		SELECT code, c, day, p, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[]) AS x(code, c, day, p, d)
		ON CONFLICT (code) DO UPDATE SET centre = EXCLUDED.centre, day = EXCLUDED.day, purged = EXCLUDED.purged, doc = EXCLUDED.doc`
	sqlBlocks = `INSERT INTO blocks (centre, day, id, doc)
		SELECT c, day, id, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(c, day, id, d)
		ON CONFLICT (centre, day, id) DO UPDATE SET doc = EXCLUDED.doc`
	sqlNoShows = `INSERT INTO noshows (centre, at, doc)
		SELECT c, at, d::jsonb FROM unnest($1::text[], $2::timestamptz[], $3::text[]) WITH ORDINALITY AS x(c, at, d, i) ORDER BY i`
	sqlAudit = `INSERT INTO audit (centre, doc)
		SELECT c, d::jsonb FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(c, d, i) ORDER BY i`
	sqlUsers = `INSERT INTO users (username, doc) SELECT k, d::jsonb FROM unnest($1::text[], $2::text[]) AS x(k, d)
		ON CONFLICT (username) DO UPDATE SET doc = EXCLUDED.doc`
	sqlSessions = `INSERT INTO sessions (hash, expires, doc)
		SELECT k, e, d::jsonb FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS x(k, e, d)
		ON CONFLICT (hash) DO UPDATE SET expires = EXCLUDED.expires, doc = EXCLUDED.doc`
	sqlDeleteSessions = `DELETE FROM sessions WHERE hash = ANY($1::text[])`
	sqlKiosks         = `INSERT INTO kiosks (id, doc) SELECT k, d::jsonb FROM unnest($1::text[], $2::text[]) AS x(k, d)
		ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`
	// A message is inserted once: a repeat keeps the delivery state
	// recorded (the sender's, not the repeat's).
	sqlMessages = `INSERT INTO messages (id, centre, channel, status, created_at, next_at, lease_until, body, doc)
		SELECT id, c, ch, st, cr, nx, lu, nullif(b, ''), d::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[])
			AS x(id, c, ch, st, cr, nx, lu, b, d)
		ON CONFLICT (id) DO NOTHING`
	sqlContacts = `INSERT INTO contacts (ref, centre, expires, doc)
		SELECT r, c, e, d::jsonb FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS x(r, c, e, d)
		ON CONFLICT (ref) DO UPDATE SET centre = EXCLUDED.centre, expires = EXCLUDED.expires, doc = EXCLUDED.doc`
	sqlDeleteContacts = `DELETE FROM contacts WHERE ref = ANY($1::text[])`
	sqlWebhooks       = `INSERT INTO webhooks (id, centre, deleted, doc)
		SELECT id, c, del, d::jsonb FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[]) AS x(id, c, del, d)
		ON CONFLICT (id) DO UPDATE SET centre = EXCLUDED.centre, deleted = EXCLUDED.deleted, doc = EXCLUDED.doc`
	sqlEnrollments = `INSERT INTO enrollments (hash, doc) SELECT k, d::jsonb FROM unnest($1::text[], $2::text[]) AS x(k, d)
		ON CONFLICT (hash) DO UPDATE SET doc = EXCLUDED.doc`
)

// rows gathers the rows of one table, column by column.
type rows struct {
	keys map[string]int // a row's key → its index: the last write of a key wins, as in bbolt
	cols [][]any
}

// add appends a row, or replaces the earlier row of the same key ("" for
// rows that are only appended).
func (r *rows) add(key string, vals ...any) {
	if r.cols == nil {
		r.cols = make([][]any, len(vals))
		r.keys = map[string]int{}
	}
	if i, ok := r.keys[key]; ok && key != "" {
		for c, v := range vals {
			r.cols[c][i] = v
		}
		return
	}
	if key != "" {
		r.keys[key] = len(r.cols[0])
	}
	for c, v := range vals {
		r.cols[c] = append(r.cols[c], v)
	}
}

// queue queues the statement with the columns as typed arrays, if there
// are rows.
func (r *rows) queue(pb *pgx.Batch, sql string, n *int) {
	if len(r.cols) == 0 {
		return
	}
	args := make([]any, len(r.cols))
	for c, col := range r.cols {
		args[c] = typed(col)
	}
	pb.Queue(sql, args...)
	*n++
}

// typed turns a column into a slice of its values' type, which pgx
// encodes as an array.
func typed(col []any) any {
	switch col[0].(type) {
	case string:
		return convert[string](col)
	case int32:
		return convert[int32](col)
	case int64:
		return convert[int64](col)
	case bool:
		return convert[bool](col)
	case time.Time:
		return convert[time.Time](col)
	}
	panic(fmt.Sprintf("pgstore: no array of %T", col[0]))
}

func convert[T any](col []any) []T {
	out := make([]T, len(col))
	for i, v := range col {
		out[i] = v.(T)
	}
	return out
}

// doc is the JSON of a value, as the bbolt store writes it.
func doc(v any) (string, error) {
	raw, err := json.Marshal(v)
	return string(raw), err
}

// queueWrites queues the statements that write the batch.
func queueWrites(pb *pgx.Batch, b *queue.Batch) (*writes, error) {
	w := &writes{}
	var (
		counters, removed, keys, tickets, events, numbers, stats rows
		bookings, blocks, noShows, audit                         rows
		users, sessions, kiosks, enrollments                     rows
		messages, contacts, dropContacts, webhooks               rows
	)
	for _, ch := range b.Centres {
		if ch.Empty() {
			continue
		}
		if err := queueCentre(pb, ch); err != nil {
			return nil, fmt.Errorf("pgstore: centre %s: %w", ch.Centre, err)
		}
		w.centres = append(w.centres, ch)
		c := ch.Centre
		for _, k := range ch.Counters {
			d, err := doc(k)
			if err != nil {
				return nil, err
			}
			counters.add(c+"\x00"+fmt.Sprint(k.Number), c, int32(k.Number), d)
		}
		for _, n := range ch.Removed {
			removed.add("", c, int32(n))
		}
		for i := range ch.Tickets {
			t := &ch.Tickets[i]
			if t.ID == "" || t.Day == "" {
				return nil, fmt.Errorf("pgstore: centre %s: ticket %q of day %q: id and day are required", c, t.ID, t.Day)
			}
			d, err := doc(t)
			if err != nil {
				return nil, err
			}
			key := t.Key
			if key != "" {
				ck := c + "\x00" + key
				if j, ok := keys.keys[ck]; ok && keys.cols[2][j] != t.ID {
					// An earlier ticket of this batch had the key: the later one takes it.
					tickets.cols[4][tickets.keys[keys.cols[2][j].(string)]] = ""
				}
				keys.add(ck, c, key, t.ID)
			}
			tickets.add(t.ID, t.ID, c, t.Day, t.Number, key, t.Status, d)
		}
		for _, e := range ch.Events {
			d, err := doc(e)
			if err != nil {
				return nil, err
			}
			events.add("", c, int64(e.Seq), e.At, d)
		}
		for k, v := range ch.Numbers {
			numbers.add(c+"\x00"+k, c, k, int32(v))
		}
		for _, st := range ch.Stats {
			d, err := doc(st)
			if err != nil {
				return nil, err
			}
			stats.add(c+"\x00"+st.Service, c, st.Service, d)
		}
		for _, bk := range ch.Bookings {
			d, err := doc(bk)
			if err != nil {
				return nil, err
			}
			bookings.add(bk.Code, bk.Code, c, bk.Day, bk.Purged, d)
		}
		for _, bl := range ch.Blocks {
			d, err := doc(bl)
			if err != nil {
				return nil, err
			}
			blocks.add(c+"\x00"+bl.Day+"\x00"+bl.ID, c, bl.Day, bl.ID, d)
		}
		for _, ns := range ch.NoShows {
			d, err := doc(ns)
			if err != nil {
				return nil, err
			}
			noShows.add("", c, ns.At, d)
		}
		for _, a := range ch.Audit {
			d, err := doc(a)
			if err != nil {
				return nil, err
			}
			audit.add("", c, d)
		}
		if err := addOutbox(ch, &messages, &contacts, &dropContacts, &webhooks); err != nil {
			return nil, fmt.Errorf("pgstore: centre %s: %w", c, err)
		}
	}
	for _, u := range b.Users {
		d, err := doc(u)
		if err != nil {
			return nil, err
		}
		users.add(u.Username, u.Username, d)
	}
	for _, se := range b.Sessions {
		d, err := doc(se)
		if err != nil {
			return nil, err
		}
		sessions.add(se.Hash, se.Hash, se.Expires, d)
	}
	for _, k := range b.Kiosks {
		d, err := doc(k)
		if err != nil {
			return nil, err
		}
		kiosks.add(k.ID, k.ID, d)
	}
	for _, en := range b.Enrollments {
		d, err := doc(en)
		if err != nil {
			return nil, err
		}
		enrollments.add(en.Hash, en.Hash, d)
	}
	n := &w.execs
	users.queue(pb, sqlUsers, n)
	sessions.queue(pb, sqlSessions, n)
	kiosks.queue(pb, sqlKiosks, n)
	enrollments.queue(pb, sqlEnrollments, n)
	if len(b.DeleteSessions) > 0 {
		pb.Queue(sqlDeleteSessions, slices.Clone(b.DeleteSessions))
		*n++
	}
	if len(b.Users) > 0 || len(b.Kiosks) > 0 || len(b.DeleteSessions) > 0 {
		// Another server may hold a session of these accounts in its
		// cache: tell them all (delivered at COMMIT, or never).
		pb.Queue("SELECT pg_notify('" + accountsChannel + "', '')")
		*n++
	}
	counters.queue(pb, sqlCounters, n)
	removed.queue(pb, sqlRemoved, n)
	keys.queue(pb, sqlKeys, n)
	tickets.queue(pb, sqlTickets, n)
	events.queue(pb, sqlEvents, n)
	numbers.queue(pb, sqlNumbers, n)
	stats.queue(pb, sqlStats, n)
	bookings.queue(pb, sqlBookings, n)
	blocks.queue(pb, sqlBlocks, n)
	noShows.queue(pb, sqlNoShows, n)
	audit.queue(pb, sqlAudit, n)
	messages.queue(pb, sqlMessages, n)
	dropContacts.queue(pb, sqlDeleteContacts, n)
	contacts.queue(pb, sqlContacts, n)
	webhooks.queue(pb, sqlWebhooks, n)
	return w, nil
}

// queueCentre queues the statement that raises a centre's revision, logs
// its changes (without their audit records, which other servers do not
// keep in memory) and notifies the other servers.
func queueCentre(pb *pgx.Batch, ch *queue.Changes) error {
	logged := *ch
	logged.Audit = nil
	change, err := doc(&logged)
	if err != nil {
		return err
	}
	var cfg, meta *string
	if ch.Config != nil {
		d, err := doc(ch.Config)
		if err != nil {
			return err
		}
		cfg = &d
	}
	if ch.Meta != nil {
		d, err := doc(ch.Meta)
		if err != nil {
			return err
		}
		meta = &d
	}
	pb.Queue(sqlCommitCentre, ch.Centre, int64(ch.Rev), cfg, meta, change)
	return nil
}
