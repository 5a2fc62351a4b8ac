package engine

// Several servers on one store (queue.SharedStore, PostgreSQL).
//
// Every server keeps every centre live in memory, as with bbolt, and
// serves any request. A write round is one database transaction:
//
//  1. It takes, in id order, the write locks of the centres its requests
//     name (WithCentres; the HTTP layer names the centre of the path), so
//     two servers' rounds on one centre run one after the other and two
//     rounds never wait for each other in a cycle.
//  2. With the locks, in the same round trip, it learns each centre's
//     committed revision and the changes committed after its own: a
//     centre another server changed since this one last saw it is caught
//     up from them (Live.Absorb), its events published here in order,
//     before any request acts on it. Numbering, capacity and
//     per-citizen limits are then decided on the latest state, under the
//     lock: exact with any number of servers.
//  3. A request that touches a centre it did not name takes that lock
//     then: waiting for it when its id sorts after every lock held (no
//     cycle is possible), else only if free; when not, the round is
//     undone (the centres it changed are reloaded) and run again with the
//     centre named from the start.
//  4. The round's changes are committed with their revisions (one more
//     than the locked ones: the store refuses anything else) and the
//     change log; the store's NOTIFY wakes the other servers.
//
// A follower keeps the other servers' work flowing to this one's displays
// without waiting for a request: each notice (and a poll every second, in
// case a notice was lost) queues a catch-up of the centres behind. Reads
// check the revisions of the centres they name before they run, so a
// client that wrote through one server reads its write through another.

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"xephang/queue-server/queue"
)

type centresKey struct{}

// WithCentres names the centres a request will act on, so that a server
// sharing its store with others locks them at the start of the round (see
// the package's shared mode). Naming none is correct, only slower when
// servers contend.
func WithCentres(ctx context.Context, ids ...string) context.Context {
	ids = slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == "" })
	if len(ids) == 0 {
		return ctx
	}
	if old, ok := ctx.Value(centresKey{}).([]string); ok {
		ids = append(ids, old...)
	}
	return context.WithValue(ctx, centresKey{}, ids)
}

// Shared reports whether the engine's store is shared with other servers
// (WithCentres matters only then).
func (e *Engine) Shared() bool { return e.shared != nil }

func centresOf(ctx context.Context) []string {
	ids, _ := ctx.Value(centresKey{}).([]string)
	return ids
}

// dbTimeout bounds each of a round's dealings with a shared store.
const dbTimeout = 10 * time.Second

// pollEvery is how often a server compares every centre's revision with
// the store's, in case a notice was lost.
const pollEvery = time.Second

// errRetry ends a request's function when the round must be run again
// with a lock it could not take in order.
var errRetry = errors.New("engine: round to be run again with more locks")

// shared is the state of a server sharing its store.
type shared struct {
	st queue.SharedStore

	// published is, per centre, the seq of the last event handed to the
	// publisher: events go out once each, in order, with no gap.
	published map[string]uint64

	mu      sync.Mutex // guards behind and wake
	behind  map[string]uint64
	all     bool // a notice may have been missed: compare every centre
	wake    chan struct{}
	stopped chan struct{}
}

func newShared(st queue.SharedStore) *shared {
	return &shared{st: st, published: map[string]uint64{}, behind: map[string]uint64{},
		wake: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// roundState is a shared round's database transaction and its locks.
type roundState struct {
	rnd     queue.Round
	locked  map[string]bool
	highest string // the greatest id locked: later ids may be waited for
	retry   []string
	err     error           // a lock that failed outside a request's function (PutCentre)
	checked map[string]bool // reads: centres whose revision was checked
}

// lock takes centre's lock in this round, if not taken yet, and catches
// the centre up. It returns errRetry when the lock is held elsewhere and
// waiting for it could close a cycle.
func (e *Engine) lock(tx *Tx, id string) error {
	rs := tx.rs
	if rs == nil || rs.locked[id] {
		return nil
	}
	if rs.rnd == nil { // a read: no lock, the latest committed state
		err := e.refresh(rs, []string{id})
		if _, known := e.lives[id]; err != nil && !known {
			return err
		}
		return nil
	}
	wait := id > rs.highest
	locked, ok, err := rs.rnd.LockSince([]string{id}, e.have([]string{id}), wait)
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		rs.retry = append(rs.retry, id)
		return errRetry
	}
	rs.locked[id] = true
	rs.highest = max(rs.highest, id)
	return e.catchUpLocked(id, locked[id])
}

// OnAccountsChanged sets what to call when a server sharing the store
// changed accounts, kiosks or sessions (the HTTP layer forgets the
// sessions it cached). It may be called at any time.
func (e *Engine) OnAccountsChanged(f func()) { e.accountsChanged.Store(&f) }

// have returns the revisions this server has of the centres it knows.
func (e *Engine) have(ids []string) map[string]uint64 {
	out := make(map[string]uint64, len(ids))
	for _, id := range ids {
		if l, ok := e.lives[id]; ok {
			out[id] = l.Rev()
		}
	}
	return out
}

// catchUpLocked brings a centre just locked to its committed revision
// with the changes read with the lock; without them, from the store.
func (e *Engine) catchUpLocked(id string, lk queue.Locked) error {
	l, known := e.lives[id]
	if known && lk.Exists && lk.Complete && l.Rev() <= lk.Rev && contiguous(lk.Missed, l.Rev()) {
		for _, ch := range lk.Missed {
			l.Absorb(ch)
			e.publishShared(id, ch.Events)
		}
		if l.Rev() == lk.Rev {
			return nil
		}
	}
	return e.catchUp(id, lk.Rev, lk.Exists)
}

func unavailable(err error) error {
	if queue.ErrorCode(err) != "" && queue.ErrorCode(err) != queue.EInternal {
		return err
	}
	return queue.Errorf(queue.EUnavailable, "the database is unavailable: try again", "cơ sở dữ liệu tạm thời không truy cập được: vui lòng thử lại")
}

// catchUp brings a centre's live state to the store's revision rev (a
// centre not stored has none: exists false), publishing the events it
// learns, in order.
func (e *Engine) catchUp(id string, rev uint64, exists bool) error {
	sh := e.shared
	l, known := e.lives[id]
	if !exists {
		return nil
	}
	if known && l.Rev() == rev {
		return nil
	}
	if known && l.Rev() > rev {
		// The database is behind this server: restored from a backup, or
		// a standby promoted without synchronous replication. It is the
		// truth; what it lost is lost, and this server must not build on it.
		e.log.Error("the database holds an older revision of a centre than this server saw; loading it again",
			"centre", id, "database_rev", rev, "server_rev", l.Rev())
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if known && l.Rev() < rev {
		chs, ok, err := sh.st.Since(ctx, id, l.Rev())
		if err != nil {
			return unavailable(err)
		}
		if ok && contiguous(chs, l.Rev()) {
			for _, ch := range chs {
				l.Absorb(ch)
				e.publishShared(id, ch.Events)
			}
			if l.Rev() >= rev {
				return nil
			}
		}
	}
	// New to this server, or the log no longer reaches back: load whole.
	snap, err := sh.st.LoadCentre(id)
	if err != nil {
		return unavailable(err)
	}
	if _, ok := sh.published[id]; !ok {
		// New here: nobody can have been told of its events yet.
		sh.published[id] = snap.Meta.LastSeq
	}
	e.lives[id] = queue.Restore(snap, e.now(), e.newID)
	return e.fillGap(id, snap.Meta.LastSeq)
}

// contiguous reports whether chs are the revisions after rev, in order.
func contiguous(chs []*queue.Changes, rev uint64) bool {
	for _, ch := range chs {
		rev++
		if ch.Rev != rev {
			return false
		}
	}
	return true
}

// publishShared hands a centre's events to the publisher, skipping those
// already published and first fetching from the store any it missed.
func (e *Engine) publishShared(id string, events []queue.Event) {
	if len(events) == 0 {
		return
	}
	sh := e.shared
	if last := sh.published[id]; events[0].Seq > last+1 {
		if e.fillGap(id, events[0].Seq-1) != nil {
			// The events table is unreachable: publish what there is;
			// displays that see a gap in seq reconnect with since=.
			e.log.Warn("events missed by this server could not be read", "centre", id, "from", last+1, "to", events[0].Seq-1)
		}
	}
	last := sh.published[id]
	i := 0
	for i < len(events) && events[i].Seq <= last {
		i++
	}
	if i == len(events) {
		return
	}
	if e.pub != nil {
		e.pub.Publish(id, events[i:])
	}
	sh.published[id] = events[len(events)-1].Seq
}

// fillGap publishes the centre's stored events after the last published
// one, up to seq upTo.
func (e *Engine) fillGap(id string, upTo uint64) error {
	sh := e.shared
	for sh.published[id] < upTo {
		evs, err := sh.st.Events(id, sh.published[id], 1000)
		if err != nil {
			return err
		}
		evs = slices.DeleteFunc(evs, func(ev queue.Event) bool { return ev.Seq > upTo })
		if len(evs) == 0 {
			sh.published[id] = upTo // purged: nothing more to tell
			return nil
		}
		if e.pub != nil {
			e.pub.Publish(id, evs)
		}
		sh.published[id] = evs[len(evs)-1].Seq
	}
	return nil
}

// runShared is run for a store shared with other servers.
func (e *Engine) runShared(round []*request) {
	var writes, reads []*request
	for _, r := range round {
		if r.write {
			writes = append(writes, r)
		} else {
			reads = append(reads, r)
		}
	}
	if len(writes) > 0 {
		e.writeShared(writes)
		for _, r := range writes {
			r.reply <- r.res
		}
	}
	if len(reads) == 0 {
		return
	}
	rtx := &Tx{e: e, Now: e.now(), rs: &roundState{checked: map[string]bool{}}}
	var hints []string
	for _, r := range reads {
		hints = append(hints, centresOf(r.ctx)...)
	}
	e.refresh(rtx.rs, hints) // on failure, reads answer from what this server has
	e.answerReads(reads, rtx)
}

// refresh catches up the named centres to the store's revisions,
// without locks (for reads and the follower): one round trip for all.
func (e *Engine) refresh(rs *roundState, ids []string) error {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	ids = slices.DeleteFunc(ids, func(id string) bool { return rs != nil && rs.checked[id] })
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	fresh, err := e.shared.st.Fresh(ctx, ids, e.have(ids))
	if err != nil {
		return unavailable(err)
	}
	var first error
	for _, id := range ids {
		if err := e.catchUpLocked(id, fresh[id]); err != nil && first == nil {
			first = err
		}
		if rs != nil {
			rs.checked[id] = true
		}
	}
	return first
}

// writeShared runs a round's writes in one transaction of the shared
// store, again with more locks when a request needs one out of order.
func (e *Engine) writeShared(writes []*request) {
	var hints []string
	for _, r := range writes {
		hints = append(hints, centresOf(r.ctx)...)
	}
	for attempt := 0; ; attempt++ {
		hints = slices.Compact(slices.Sorted(slices.Values(hints)))
		retry, err := e.attemptShared(writes, hints, attempt >= 2)
		if err != nil {
			for _, r := range writes {
				r.res = result{err: err}
			}
			return
		}
		if len(retry) == 0 {
			return
		}
		hints = append(hints, retry...)
	}
}

// attemptShared runs the writes once. It returns the centres to lock from
// the start when the round must be run again.
func (e *Engine) attemptShared(writes []*request, hints []string, last bool) (retry []string, err error) {
	now := e.now()
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	rnd, err := e.shared.st.Begin(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rnd.Rollback()
	rs := &roundState{rnd: rnd, locked: map[string]bool{}}
	if last {
		// Third attempt: wait for every lock; the database breaks the rare
		// cycle left by failing one round, whose requests get an error.
		rs.highest = "\U0010FFFF"
	}
	if len(hints) > 0 {
		locked, _, err := rnd.LockSince(hints, e.have(hints), true)
		if err != nil {
			return nil, unavailable(err)
		}
		for _, id := range hints {
			rs.locked[id] = true
			if err := e.catchUpLocked(id, locked[id]); err != nil {
				return nil, err
			}
		}
		rs.highest = max(rs.highest, hints[len(hints)-1])
	}
	tx := &Tx{e: e, Now: now, write: true, batch: &queue.Batch{}, dirty: map[string]*queue.Live{}, rs: rs}
	tainted := false
	for _, r := range writes {
		if err := r.ctx.Err(); err != nil {
			r.res = result{err: err}
			continue
		}
		v, err := call(r.fn, tx)
		r.res = result{v: v, err: err}
		tainted = tainted || errors.Is(err, errPanic)
		if len(rs.retry) > 0 {
			break
		}
	}
	if len(rs.retry) > 0 {
		e.reload(tx.dirty, now)
		return rs.retry, nil
	}
	if rs.err != nil {
		e.reload(tx.dirty, now)
		return nil, rs.err
	}
	if tainted {
		e.log.Error("a request panicked; dropping its round and reloading the centres it touched")
		e.reload(tx.dirty, now)
		return nil, queue.Errorf(queue.EInternal, "internal error", "lỗi hệ thống")
	}
	for _, l := range tx.dirty {
		if ch := l.TakeChanges(); !ch.Empty() {
			ch.Rev = l.Rev() + 1
			tx.batch.Centres = append(tx.batch.Centres, ch)
		}
	}
	start := time.Now()
	err = rnd.Commit(tx.batch)
	if e.obs.Commit != nil {
		e.obs.Commit(len(writes), time.Since(start), err)
	}
	if err != nil {
		// The outcome of a commit cut off is unknown: the centres are
		// reloaded from whatever the store holds.
		e.log.Error("commit failed; reloading the centres it touched", "err", err, "writes", len(writes))
		e.reload(tx.dirty, now)
		return nil, queue.Errorf(queue.EUnavailable, "could not save: try again", "không lưu được: vui lòng thử lại")
	}
	for _, ch := range tx.batch.Centres {
		e.lives[ch.Centre].SetRev(ch.Rev)
		e.publishShared(ch.Centre, ch.Events)
		if e.obs.Committed != nil {
			e.obs.Committed(ch)
		}
	}
	return nil, nil
}

// follow keeps this server's centres up with the others' commits: a
// catch-up is queued for each notice, and every pollEvery all centres are
// compared with the store, until the engine stops.
func (e *Engine) follow() {
	sh := e.shared
	ctx, cancel := context.WithCancel(context.Background())
	defer close(sh.stopped)
	go sh.st.Watch(ctx, func(centre string, rev uint64) {
		sh.mu.Lock()
		if centre == "" {
			sh.all = true
		} else if rev > sh.behind[centre] {
			sh.behind[centre] = rev
		}
		sh.mu.Unlock()
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}, func() {
		if f := e.accountsChanged.Load(); f != nil {
			(*f)()
		}
	})
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	for {
		select {
		case <-e.stop:
			cancel()
			return
		case <-poll.C:
			sh.mu.Lock()
			sh.all = true
			sh.mu.Unlock()
		case <-sh.wake:
		}
		sh.mu.Lock()
		behind, all := sh.behind, sh.all
		sh.behind, sh.all = map[string]uint64{}, false
		sh.mu.Unlock()
		e.do(context.Background(), false, func(tx *Tx) (any, error) {
			if all {
				return nil, e.refreshAll()
			}
			var ids []string
			for id, rev := range behind {
				if l, ok := e.lives[id]; !ok || l.Rev() < rev {
					ids = append(ids, id)
				}
			}
			return nil, e.refresh(nil, ids)
		})
	}
}

// refreshAll catches up every centre the store has, new ones included.
func (e *Engine) refreshAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	known := make([]string, 0, len(e.lives))
	for id := range e.lives {
		known = append(known, id)
	}
	fresh, err := e.shared.st.Fresh(ctx, nil, e.have(known))
	if err != nil {
		return unavailable(err)
	}
	var first error
	for _, id := range slices.Sorted(maps.Keys(fresh)) {
		if err := e.catchUpLocked(id, fresh[id]); err != nil && first == nil {
			first = err
		}
	}
	return first
}
