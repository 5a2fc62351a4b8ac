package pgstore

// Rounds (a transaction holding centres' locks), revisions, the change
// log and the watch of other servers' commits.

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"xephang/queue-server/queue"
)

// LockKey is the advisory lock key of a centre: the 64-bit FNV-1a hash of
// "xephang-centre:"+id.
func LockKey(centre string) int64 {
	h := fnv.New64a()
	h.Write([]byte("xephang-centre:" + centre))
	return int64(h.Sum64())
}

// Begin starts a round on a connection of the pool, held until Commit or
// Rollback; ctx bounds the round's statements.
func (s *Store) Begin(ctx context.Context) (queue.Round, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: begin: %w", err)
	}
	return &round{ctx: ctx, conn: conn}, nil
}

// round is a queue.Round: its transaction begins with its first Lock (or
// its Commit, when it locks nothing).
type round struct {
	ctx   context.Context
	conn  *pgxpool.Conn // nil once ended
	begun bool
	// savepoint is set while a savepoint of a Lock without waiting is
	// open; the next statements release it.
	savepoint bool
}

const savepoint = "SAVEPOINT xephang_lock"

// Lock takes the centres' transaction-scoped advisory locks in order and
// reads their revisions, in one round trip. Without waiting, a lock
// another holds makes it release those it just took (the savepoint they
// were taken under is rolled back) and report ok false.
func (r *round) Lock(centres []string, wait bool) (map[string]uint64, bool, error) {
	locked, ok, err := r.LockSince(centres, nil, wait)
	if !ok || err != nil {
		return nil, ok, err
	}
	revs := map[string]uint64{}
	for id, l := range locked {
		if l.Exists {
			revs[id] = l.Rev
		}
	}
	return revs, true, nil
}

// LockSince is Lock that also reads the changes committed after the
// revisions the caller has (have), in the same round trip.
func (r *round) LockSince(centres []string, have map[string]uint64, wait bool) (map[string]queue.Locked, bool, error) {
	if r.conn == nil {
		return nil, false, fmt.Errorf("pgstore: lock: the round has ended")
	}
	pb := &pgx.Batch{}
	pre := r.pending()
	if !r.begun {
		pb.Queue(beginTx)
	}
	for _, p := range pre {
		pb.Queue(p)
	}
	if !wait {
		pb.Queue(savepoint)
	}
	for _, c := range centres {
		if wait {
			pb.Queue("SELECT pg_advisory_xact_lock($1)", LockKey(c))
		} else {
			pb.Queue("SELECT pg_try_advisory_xact_lock($1)", LockKey(c))
		}
	}
	pb.Queue("SELECT id, rev FROM centres WHERE id = ANY($1::text[])", centres)
	ids, revs := haveArrays(centres, have)
	queueMissed(pb, ids, revs)
	conn := r.conn.Conn()
	br := conn.SendBatch(r.ctx, pb)
	locked, ok, err := r.readLock(br, len(centres), wait, len(pre))
	if err == nil && len(ids) > 0 {
		err = readMissed(br, locked, have)
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if !r.begun && (err == nil || conn.PgConn().TxStatus() != 'I') {
		r.begun = true
	}
	if err != nil {
		return nil, false, fmt.Errorf("pgstore: lock: %w", err)
	}
	if !wait {
		if !ok {
			if _, err := conn.Exec(r.ctx, "ROLLBACK TO SAVEPOINT xephang_lock; RELEASE SAVEPOINT xephang_lock"); err != nil {
				return nil, false, fmt.Errorf("pgstore: lock: %w", err)
			}
			return nil, false, nil
		}
		r.savepoint = true
	}
	return locked, true, nil
}

// haveArrays are the centres of ids the caller has a revision of (every
// one of have when ids is empty), and those revisions.
func haveArrays(ids []string, have map[string]uint64) ([]string, []int64) {
	if len(ids) == 0 {
		for id := range have {
			ids = append(ids, id)
		}
	}
	var cs []string
	var revs []int64
	for _, c := range ids {
		if rev, ok := have[c]; ok && rev <= math.MaxInt64 {
			cs, revs = append(cs, c), append(revs, int64(rev))
		}
	}
	return cs, revs
}

// queueMissed queues the read of the changes after each centre's revision.
func queueMissed(pb *pgx.Batch, ids []string, revs []int64) {
	if len(ids) == 0 {
		return
	}
	// LATERAL: one index range scan of the change log per centre,
	// whatever its size (a join let the planner scan it whole).
	pb.Queue(`SELECT k.centre, ch.rev, ch.doc FROM unnest($1::text[], $2::bigint[]) AS k(centre, rev)
		CROSS JOIN LATERAL (SELECT rev, doc FROM changes WHERE centre = k.centre AND rev > k.rev ORDER BY rev) ch
		ORDER BY k.centre, ch.rev`, ids, revs)
}

// Fresh reads the centres' revisions and the changes after have, without
// locks, in one round trip.
func (s *Store) Fresh(ctx context.Context, ids []string, have map[string]uint64) (map[string]queue.Locked, error) {
	pb := &pgx.Batch{}
	pb.Queue("SELECT id, rev FROM centres WHERE coalesce(cardinality($1::text[]), 0) = 0 OR id = ANY($1::text[])", ids)
	hids, revs := haveArrays(ids, have)
	queueMissed(pb, hids, revs)
	br := s.pool.SendBatch(ctx, pb)
	locked := map[string]queue.Locked{}
	rows, err := br.Query()
	if err == nil {
		var id string
		var rev int64
		_, err = pgx.ForEachRow(rows, []any{&id, &rev}, func() error {
			locked[id] = queue.Locked{Rev: uint64(rev), Exists: true}
			return nil
		})
	}
	if err == nil && len(hids) > 0 {
		err = readMissed(br, locked, have)
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: fresh: %w", err)
	}
	return locked, nil
}

// readMissed reads the changes after have into locked, marking each
// centre Complete when they run without a gap up to its revision (changes
// committed after the revision was read, without a lock, are left for
// the next time).
func readMissed(br pgx.BatchResults, locked map[string]queue.Locked, have map[string]uint64) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	missed := map[string][]*queue.Changes{}
	var id string
	var rev int64
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &rev, &raw}, func() error {
		ch := &queue.Changes{}
		if err := json.Unmarshal(raw, ch); err != nil {
			return fmt.Errorf("change %s %d: %w", id, rev, err)
		}
		ch.Rev = uint64(rev)
		missed[id] = append(missed[id], ch)
		return nil
	})
	if err != nil {
		return err
	}
	for id, l := range locked {
		from, ok := have[id]
		if !ok || !l.Exists || from > l.Rev {
			continue
		}
		chs := missed[id]
		for len(chs) > 0 && chs[len(chs)-1].Rev > l.Rev {
			chs = chs[:len(chs)-1]
		}
		complete := uint64(len(chs)) == l.Rev-from
		for i, ch := range chs {
			complete = complete && ch.Rev == from+uint64(i)+1
		}
		if complete {
			l.Missed, l.Complete = chs, true
			locked[id] = l
		}
	}
	return nil
}

// pending returns the statements owed before the next ones: the release
// of a savepoint left open.
func (r *round) pending() []string {
	if !r.savepoint {
		return nil
	}
	r.savepoint = false
	return []string{"RELEASE SAVEPOINT xephang_lock"}
}

func (r *round) readLock(br pgx.BatchResults, n int, wait bool, pre int) (map[string]queue.Locked, bool, error) {
	if !r.begun {
		pre++
	}
	if !wait {
		pre++
	}
	for range pre {
		if _, err := br.Exec(); err != nil {
			return nil, false, err
		}
	}
	ok := true
	for range n {
		if wait {
			if _, err := br.Exec(); err != nil {
				return nil, false, err
			}
			continue
		}
		var got bool
		if err := br.QueryRow().Scan(&got); err != nil {
			return nil, false, err
		}
		ok = ok && got
	}
	rows, err := br.Query()
	if err != nil {
		return nil, false, err
	}
	locked := map[string]queue.Locked{}
	var id string
	var rev int64
	_, err = pgx.ForEachRow(rows, []any{&id, &rev}, func() error {
		locked[id] = queue.Locked{Rev: uint64(rev), Exists: true}
		return nil
	})
	return locked, ok, err
}

// Commit writes the batch and commits, releasing the locks; it ends the
// round whatever happens.
func (r *round) Commit(b *queue.Batch) error {
	if r.conn == nil {
		return fmt.Errorf("pgstore: commit: the round has ended")
	}
	defer r.release()
	if b.Empty() && !r.begun {
		return nil
	}
	return commitOn(r.ctx, r.conn.Conn(), b, !r.begun, r.pending())
}

// Rollback ends the round writing nothing; it may be called again, or
// after Commit.
func (r *round) Rollback() {
	if r.conn == nil {
		return
	}
	rollback(r.ctx, r.conn.Conn())
	r.release()
}

func (r *round) release() {
	r.conn.Release() // a connection left in a transaction is closed, not reused
	r.conn = nil
}

// Revs returns the committed revisions of the centres (of every centre
// when ids is empty).
func (s *Store) Revs(ctx context.Context, ids []string) (map[string]uint64, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, rev FROM centres WHERE coalesce(cardinality($1::text[]), 0) = 0 OR id = ANY($1::text[])", ids)
	if err != nil {
		return nil, fmt.Errorf("pgstore: revs: %w", err)
	}
	out := map[string]uint64{}
	var id string
	var rev int64
	_, err = pgx.ForEachRow(rows, []any{&id, &rev}, func() error {
		out[id] = uint64(rev)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: revs: %w", err)
	}
	return out, nil
}

// Since returns a centre's changes committed after rev, in order; ok is
// false when the change log no longer holds them all (trimmed after
// Options.ChangeLogKeep). Of a centre not stored, nothing is committed
// after revision 0.
func (s *Store) Since(ctx context.Context, centre string, rev uint64) ([]*queue.Changes, bool, error) {
	if rev > math.MaxInt64 {
		return nil, false, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.rev, ch.rev, ch.doc FROM centres c
		LEFT JOIN changes ch ON ch.centre = c.id AND ch.rev > $2
		WHERE c.id = $1 ORDER BY ch.rev`, centre, int64(rev))
	if err != nil {
		return nil, false, fmt.Errorf("pgstore: since: %w", err)
	}
	var (
		current int64
		found   bool
		out     []*queue.Changes
	)
	var chRev *int64
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&current, &chRev, &raw}, func() error {
		found = true
		if chRev == nil {
			return nil
		}
		ch := &queue.Changes{}
		if err := json.Unmarshal(raw, ch); err != nil {
			return fmt.Errorf("change %d: %w", *chRev, err)
		}
		ch.Rev = uint64(*chRev)
		out = append(out, ch)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("pgstore: since: %w", err)
	}
	if !found {
		return nil, rev == 0, nil
	}
	// Every revision from rev+1 to the current one, without a gap.
	if uint64(current) < rev || uint64(len(out)) != uint64(current)-rev {
		return nil, false, nil
	}
	for i, ch := range out {
		if ch.Rev != rev+uint64(i)+1 {
			return nil, false, nil
		}
	}
	return out, true, nil
}

// notifyChannel is where commit_centre notifies commits; accountsChannel
// where a commit that changed accounts, kiosks or sessions says so.
const (
	notifyChannel   = "xephang_changes"
	accountsChannel = "xephang_accounts"
)

// Watch calls changed with the centre and revision of each commit that
// any server makes, until ctx ends or the store closes. It listens on a
// connection of its own (not the pool's), checks it every few seconds and,
// when it is lost or its server no longer takes writes (a failover),
// connects again, with backoff, to whichever host of the URL does, then
// calls changed("", 0): notices may have been missed meanwhile.
func (s *Store) Watch(ctx context.Context, changed func(centre string, rev uint64), accounts func()) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.done, cancel)
	defer stop()
	backoff := 100 * time.Millisecond
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
		conn, err := s.listen(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("watching other servers' commits: connecting", "err", err)
			}
			continue
		}
		if attempt > 0 {
			s.log.Info("watching other servers' commits again")
			changed("", 0)
			accounts()
		}
		backoff = 100 * time.Millisecond
		err = s.notifications(ctx, conn, changed, accounts)
		conn.Close(context.Background())
		if ctx.Err() == nil {
			s.log.Warn("watching other servers' commits: connection lost", "err", err)
		}
	}
}

// listen connects and listens for commits.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cfg := s.conn.Copy()
	cfg.RuntimeParams["application_name"] += " watch" // to tell it apart in pg_stat_activity
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, "LISTEN "+notifyChannel+"; LISTEN "+accountsChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// watchCheck is how long Watch waits for a notification before it checks
// its connection.
const watchCheck = 5 * time.Second

// notifications passes on the notifications that conn receives until ctx
// ends or the connection fails.
func (s *Store) notifications(ctx context.Context, conn *pgx.Conn, changed func(string, uint64), accounts func()) error {
	for ctx.Err() == nil {
		wctx, cancel := context.WithTimeout(ctx, watchCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if conn.IsClosed() || wctx.Err() == nil {
				return err
			}
			// Nothing for a while: is the connection still there, to a primary?
			var standby bool
			pctx, cancel := context.WithTimeout(ctx, watchCheck)
			err := conn.QueryRow(pctx, "SELECT pg_is_in_recovery()").Scan(&standby)
			cancel()
			if err != nil {
				return err
			}
			if standby {
				return fmt.Errorf("the server is a standby now")
			}
			continue
		}
		if n.Channel == accountsChannel {
			accounts()
			continue
		}
		if n.Channel != notifyChannel {
			continue
		}
		centre, rev, ok := parseNotice(n.Payload)
		if !ok {
			s.log.Warn("watching other servers' commits: a notice not understood", "payload", n.Payload)
			continue
		}
		changed(centre, rev)
	}
	return ctx.Err()
}

// parseNotice reads a notice's payload, "<rev> <centre>" (commit_centre
// writes it; any session of the database may send one, so it is checked):
// a revision from 1, a centre id without spaces or control characters.
func parseNotice(payload string) (centre string, rev uint64, ok bool) {
	revText, centre, found := strings.Cut(payload, " ")
	rev, err := strconv.ParseUint(revText, 10, 64)
	if !found || err != nil || rev == 0 || revText[0] == '0' || centre == "" || len(centre) > 200 {
		return "", 0, false
	}
	for _, r := range centre {
		if r <= ' ' || r == 0x7f {
			return "", 0, false
		}
	}
	return centre, rev, true
}
