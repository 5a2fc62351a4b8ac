// Package engine runs the queue server's state: one goroutine at a time
// (the leader) owns every centre's queue.Live, applies commands in order and
// group-commits their changes to the store.
//
// Group commit with a leader: a request joins the queue; if no round is
// running, its own goroutine becomes the leader and runs the round at once
// (a lone request pays one fsync, no added delay and no hand-off to another
// goroutine; unlike bbolt's Batch, which waits up to MaxBatchDelay).
// Requests that arrive while a round is being fsync'd wait, and when it is
// done the leader hands the lead to the first of them, whose round takes
// every request queued by then: under load one fsync serves many requests.
// Replies go out only after the commit: nothing is acknowledged before it
// is on disk. Read requests in the same round run after the commit, so they never
// see unacknowledged state. If a commit fails, the centres it touched are
// reloaded from the store and every request of the round gets an error.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"xephang/queue-server/queue"
)

// MaxBatch bounds how many requests one commit takes.
const MaxBatch = 512

// Publisher receives the events of every successful commit, in order.
type Publisher interface {
	Publish(centre string, events []queue.Event)
}

// Observer is told about each commit (for metrics); any field may be nil.
type Observer struct {
	Commit    func(requests int, d time.Duration, err error)
	Committed func(ch *queue.Changes) // each centre's committed changes
}

// Engine serialises commands on the live state of every centre.
type Engine struct {
	store queue.Store
	pub   Publisher
	obs   Observer
	now   func() time.Time
	log   *slog.Logger
	newID func() string

	lead   sync.Mutex // held by the goroutine running a round: it owns lives
	qmu    sync.Mutex // guards queue and closed
	queue  []*request
	closed bool

	stop    chan struct{} // closed by Close: the ticker stops
	ticking chan struct{} // closed when the ticker has stopped
	once    sync.Once

	lives map[string]*queue.Live // owned by the leader

	shared          *shared // when the store is shared with other servers
	accountsChanged atomic.Pointer[func()]
}

// Config configures an Engine; Now and NewID default to the real clock and
// 128-bit random ids.
type Config struct {
	Store     queue.Store
	Publisher Publisher
	Observer  Observer
	Now       func() time.Time
	NewID     func() string
	Log       *slog.Logger
}

// ErrStopped is returned for requests made after Close.
var ErrStopped = queue.Errorf(queue.EUnavailable, "the server is shutting down", "máy chủ đang dừng")

// NewID returns a fresh unguessable id: 128 random bits, 26 lower-case base32 characters.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return idEncoding.EncodeToString(b[:])
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New loads every centre from the store and starts the ticker.
func New(cfg Config) (*Engine, error) {
	e := &Engine{
		store: cfg.Store, pub: cfg.Publisher, obs: cfg.Observer, now: cfg.Now, newID: cfg.NewID, log: cfg.Log,
		stop: make(chan struct{}), ticking: make(chan struct{}),
		lives: map[string]*queue.Live{},
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.newID == nil {
		e.newID = NewID
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	snaps, err := e.store.LoadCentres()
	if err != nil {
		return nil, err
	}
	now := e.now()
	if st, ok := e.store.(queue.SharedStore); ok {
		e.shared = newShared(st)
	}
	for _, s := range snaps {
		e.lives[s.Config.ID] = queue.Restore(s, now, e.newID)
		if e.shared != nil {
			e.shared.published[s.Config.ID] = s.Meta.LastSeq
		}
	}
	e.purge()
	go e.ticker()
	if e.shared != nil {
		go e.follow()
	}
	return e, nil
}

// Close answers the requests already queued, then stops; later requests
// get ErrStopped.
func (e *Engine) Close() {
	e.once.Do(func() {
		close(e.stop)
		<-e.ticking
		e.qmu.Lock()
		e.closed = true
		e.qmu.Unlock()
		// The chain of leaders serves what is queued, then lets go of the
		// lead; what a request queued as Close began is answered here.
		e.lead.Lock()
		e.qmu.Lock()
		left := e.queue
		e.queue = nil
		e.qmu.Unlock()
		for _, r := range left {
			r.reply <- result{err: ErrStopped}
		}
		if e.shared != nil {
			<-e.shared.stopped
		}
	})
}

type result struct {
	v   any
	err error
}

type request struct {
	ctx   context.Context
	write bool
	fn    func(tx *Tx) (any, error)
	reply chan result
	lead  chan struct{} // the lead is handed to this request's goroutine
	res   result
}

// Tx is what a request's function sees: the live centres, the store for
// reads, and the accounts to write. It is valid only during the call.
type Tx struct {
	e      *Engine
	Now    time.Time
	write  bool
	batch  *queue.Batch
	dirty  map[string]*queue.Live
	claims map[string]bool
	rs     *roundState // a round on a shared store
}

// Claim reports whether key is still free in this round and takes it. Two
// requests of one round read the same committed store, so a one-time thing
// checked against the store (an enrolment token) is also claimed here.
func (tx *Tx) Claim(key string) bool {
	if tx.claims == nil {
		tx.claims = map[string]bool{}
	}
	if tx.claims[key] {
		return false
	}
	tx.claims[key] = true
	return true
}

// PutKiosk writes a kiosk's record.
func (tx *Tx) PutKiosk(k queue.Kiosk) { tx.batch.Kiosks = append(tx.batch.Kiosks, k) }

// accountsLock is the lock of user accounts on a shared store: a name no
// centre can have (centre ids are lower-case letters, digits and hyphens).
const accountsLock = "*accounts"

// User reads an account to change it: as this round left it, else as
// stored, read under the accounts' lock when the store is shared. Two
// changes of one account (a disable and an edit), in one round or on two
// servers, so never undo each other, nor bring back the sessions one
// ended (User.Epoch).
func (tx *Tx) User(name string) (queue.User, error) {
	if tx.batch != nil {
		for i := len(tx.batch.Users) - 1; i >= 0; i-- {
			if tx.batch.Users[i].Username == name {
				return tx.batch.Users[i], nil
			}
		}
	}
	if tx.rs != nil {
		if err := tx.e.lock(tx, accountsLock); err != nil {
			return queue.User{}, err
		}
	}
	return tx.Store().User(name)
}

// Kiosk reads a kiosk's record to change it: as this round left it (an
// earlier request of the round may have written it), else as stored, read
// with its centre's lock held when the store is shared. Two changes of
// one kiosk (a heartbeat and a revocation), in one round or on two
// servers, so never undo each other.
func (tx *Tx) Kiosk(id string) (queue.Kiosk, error) {
	if tx.batch != nil {
		for i := len(tx.batch.Kiosks) - 1; i >= 0; i-- {
			if tx.batch.Kiosks[i].ID == id {
				return tx.batch.Kiosks[i], nil
			}
		}
	}
	k, err := tx.Store().Kiosk(id)
	if err != nil || tx.rs == nil {
		return k, err
	}
	if _, err := tx.Live(k.Centre); err != nil {
		return k, err
	}
	return tx.Store().Kiosk(id)
}

// PutEnrollment writes an enrolment token's record.
func (tx *Tx) PutEnrollment(en queue.Enrollment) {
	tx.batch.Enrollments = append(tx.batch.Enrollments, en)
}

// Store returns the store, for reads of what is not live.
func (tx *Tx) Store() queue.Store { return tx.e.store }

// Live returns a centre's live state. In a write its changes are committed
// with the round.
func (tx *Tx) Live(centre string) (*queue.Live, error) {
	if err := tx.e.lock(tx, centre); err != nil {
		return nil, err
	}
	l, ok := tx.e.lives[centre]
	if !ok {
		return nil, queue.Errorf(queue.ENotFound, "no centre %q", "không có trung tâm %q", centre)
	}
	if tx.write {
		tx.dirty[centre] = l
	}
	return l, nil
}

// IssueOnce issues a ticket in a centre, or, when a ticket was already
// issued there with the request's idempotency key, returns that one: live
// first, then in the store (a ticket no longer live, of an earlier day).
// A replayed request, from a kiosk's outbox or a retry after a lost
// answer, so never takes a second number. It returns the centre's live
// state with the ticket.
func (tx *Tx) IssueOnce(centre string, r queue.IssueRequest) (*queue.Live, queue.Ticket, error) {
	l, err := tx.Live(centre)
	if err != nil {
		return nil, queue.Ticket{}, err
	}
	if r.Key != "" {
		if t, ok := l.TicketByKey(r.Key); ok {
			return l, t, nil
		}
		t, err := tx.Store().TicketByKey(centre, r.Key)
		if err == nil {
			return l, t, nil
		}
		if queue.ErrorCode(err) != queue.ENotFound {
			return nil, queue.Ticket{}, err
		}
	}
	t, err := l.Issue(tx.Now, r)
	if err != nil {
		return nil, queue.Ticket{}, err
	}
	return l, t, nil
}

// FindTicket looks a ticket up by id: live first (in any centre), then in
// the store. It returns the ticket's centre's live state with it.
func (tx *Tx) FindTicket(id string) (*queue.Live, queue.Ticket, error) {
	return liveFirst(tx, func(l *queue.Live) (queue.Ticket, bool) { return l.Ticket(id) },
		func() (queue.Ticket, error) { return tx.Store().Ticket(id) }, func(t queue.Ticket) string { return t.Centre })
}

// FindBooking looks a booking up by code: live first (in any centre), then
// in the store. It returns the booking's centre's live state with it.
func (tx *Tx) FindBooking(code string) (*queue.Live, queue.Booking, error) {
	return liveFirst(tx, func(l *queue.Live) (queue.Booking, bool) { return l.Booking(code) },
		func() (queue.Booking, error) { return tx.Store().Booking(code) }, func(b queue.Booking) string { return b.Centre })
}

// liveFirst finds a thing in the live state of any centre, else in the
// store, and returns the live state of its centre with it.
func liveFirst[T any](tx *Tx, live func(*queue.Live) (T, bool), stored func() (T, error), centre func(T) string) (*queue.Live, T, error) {
	var v T
	found := false
	for _, l := range tx.e.lives {
		if v, found = live(l); found {
			break
		}
	}
	if !found {
		var err error
		if v, err = stored(); err != nil {
			return nil, v, err
		}
	}
	// Its centre's live state, locked and caught up when the store is
	// shared: the thing may have changed since.
	l, err := tx.Live(centre(v))
	if err != nil {
		return nil, v, err
	}
	if now, ok := live(l); ok {
		v = now
	}
	return l, v, nil
}

// FreeBookingCode draws booking codes until one is used nowhere: not live
// in the centre l, not in the store.
func (tx *Tx) FreeBookingCode(l *queue.Live, draw func() string) string {
	for {
		code := draw()
		if _, ok := l.Booking(code); ok {
			continue
		}
		if _, err := tx.Store().Booking(code); queue.ErrorCode(err) == queue.ENotFound {
			return code
		}
	}
}

// Centres returns the ids of every centre, in order.
func (tx *Tx) Centres() []string {
	ids := make([]string, 0, len(tx.e.lives))
	for id := range tx.e.lives {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// PutCentre creates or reconfigures a centre (normalised and validated by
// the caller).
func (tx *Tx) PutCentre(cfg queue.Centre, actor string) (created bool) {
	if err := tx.e.lock(tx, cfg.ID); err != nil {
		if !errors.Is(err, errRetry) {
			tx.rs.err = err
		}
		return false // the round fails, or runs again with the lock
	}
	if l, ok := tx.e.lives[cfg.ID]; ok {
		l.Configure(tx.Now, cfg, actor)
		tx.dirty[cfg.ID] = l
		return false
	}
	l := queue.NewLive(cfg, tx.Now, tx.e.newID)
	tx.e.lives[cfg.ID] = l
	tx.dirty[cfg.ID] = l
	return true
}

// PutUser writes an account.
func (tx *Tx) PutUser(u queue.User) { tx.batch.Users = append(tx.batch.Users, u) }

// PutSession writes a session.
func (tx *Tx) PutSession(s queue.Session) { tx.batch.Sessions = append(tx.batch.Sessions, s) }

// DeleteSession removes a session.
func (tx *Tx) DeleteSession(hash string) {
	tx.batch.DeleteSessions = append(tx.batch.DeleteSessions, hash)
}

// Write runs fn with the lead; its changes are committed before Write returns.
func (e *Engine) Write(ctx context.Context, fn func(tx *Tx) (any, error)) (any, error) {
	return e.do(ctx, true, fn)
}

// Read runs fn with the lead, on committed state.
func (e *Engine) Read(ctx context.Context, fn func(tx *Tx) (any, error)) (any, error) {
	return e.do(ctx, false, fn)
}

func (e *Engine) do(ctx context.Context, write bool, fn func(tx *Tx) (any, error)) (any, error) {
	r := &request{ctx: ctx, write: write, fn: fn, reply: make(chan result, 1), lead: make(chan struct{}, 1)}
	e.qmu.Lock()
	if e.closed {
		e.qmu.Unlock()
		return nil, ErrStopped
	}
	e.queue = append(e.queue, r)
	e.qmu.Unlock()
	if e.lead.TryLock() {
		e.serve()
	}
	// Once queued, a request is answered after its round's commit whatever
	// the caller's context says: the caller may give up, the commit will
	// not (a request whose context has ended when its round runs is
	// answered with that error and changes nothing).
	for {
		select {
		case res := <-r.reply:
			return res.v, res.err
		case <-r.lead:
			e.serve()
		}
	}
}

// serve runs one round with the lead held, then hands the lead to the
// first request that queued meanwhile, or lets it go.
func (e *Engine) serve() {
	defer func() {
		if p := recover(); p != nil {
			// A bug outside a request's function (those are recovered in
			// call): centres may be half-changed and the lead is held.
			// Stop the process, as a panic in a loop goroutine would;
			// systemd restarts it from what was committed.
			e.log.Error("engine panicked outside a request", "panic", p, "stack", string(debug.Stack()))
			os.Exit(2)
		}
	}()
	e.qmu.Lock()
	n := min(len(e.queue), MaxBatch)
	round := append([]*request(nil), e.queue[:n]...)
	e.queue = append(e.queue[:0], e.queue[n:]...)
	e.qmu.Unlock()
	if len(round) > 0 {
		e.run(round)
	}
	e.qmu.Lock()
	defer e.qmu.Unlock()
	if len(e.queue) > 0 {
		e.queue[0].lead <- struct{}{}
		return
	}
	e.lead.Unlock()
}

// tick is how often centres are rolled into a new local day even when no
// one uses them.
const tick = 30 * time.Second

// ticker queues the periodic work as requests: what time brings (the day
// roll, reminders, alerts, "your turn is near") every tick,
// the purge of personal data every purgeEvery.
func (e *Engine) ticker() {
	defer close(e.ticking)
	t := time.NewTicker(tick)
	defer t.Stop()
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-purge.C:
			e.do(context.Background(), false, func(*Tx) (any, error) { e.purge(); return nil, nil })
		case <-t.C:
			// Only the centres that time changed (a day ended, a reminder
			// or an alert is due…): a server sharing its store locks what
			// it touches.
			e.do(context.Background(), true, func(tx *Tx) (any, error) {
				for _, id := range tx.Centres() {
					if !e.lives[id].DueNow(tx.Now) {
						continue
					}
					l, err := tx.Live(id)
					if err != nil {
						return nil, err
					}
					l.Due(tx.Now)
				}
				return nil, nil
			})
		}
	}
}

// purgeEvery is how often personal data past retention is erased.
const purgeEvery = time.Hour

// purge erases, for every centre, the personal data of bookings past the
// centre's retention period and no-show records past its window, and the
// dossiers and the chip identities that expired, and the counts of
// questions past their keeping.
func (e *Engine) purge() {
	now := e.now()
	for id, l := range e.lives {
		r := l.Config().Rules
		loc := l.Location()
		today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
		before := today.AddDate(0, 0, -r.RetentionDays).Format(time.DateOnly)
		n, err := e.store.Purge(id, before, now.AddDate(0, 0, -r.NoShowWindowDays), now)
		if err != nil {
			e.log.Error("purge", "centre", id, "err", err)
			continue
		}
		if n > 0 {
			e.log.Info("purged personal data of old bookings", "centre", id, "bookings", n, "before", before)
		}
	}
	// Dossiers carry their own expiry (their day plus their centre's
	// retention, set when written): one purge for every centre.
	if d, ok := e.store.(queue.Dossiers); ok {
		n, err := d.PurgeDossiers(now)
		if err != nil {
			e.log.Error("purge dossiers", "err", err)
		} else if n > 0 {
			e.log.Info("purged expired dossiers", "forms_and_documents", n)
		}
	}
	// The identities read from CCCD chips expire at the end of their
	// ticket's day: erased by the first purge after it (readers refuse
	// one past its expiry meanwhile).
	if p, ok := e.store.(queue.Identities); ok {
		n, err := p.PurgeIdentities(now)
		if err != nil {
			e.log.Error("purge identities", "err", err)
		} else if n > 0 {
			e.log.Info("purged identities of past days", "identities", n)
		}
	}
	// The counts of questions asked of the procedure guidance are kept
	// queue.ProcedureQuestionKeepDays (days as the centres' local days:
	// a few hours either way do not matter).
	if p, ok := e.store.(queue.ProcedureQuestions); ok {
		before := now.AddDate(0, 0, -queue.ProcedureQuestionKeepDays).Format(time.DateOnly)
		n, err := p.PurgeProcedureQuestions(before)
		if err != nil {
			e.log.Error("purge procedure questions", "err", err)
		} else if n > 0 {
			e.log.Info("purged old procedure question counts", "days_and_questions", n, "before", before)
		}
	}
}

func (e *Engine) run(round []*request) {
	if e.shared != nil {
		e.runShared(round)
		return
	}
	now := e.now()
	tx := &Tx{e: e, Now: now, write: true, batch: &queue.Batch{}, dirty: map[string]*queue.Live{}}
	var reads []*request
	tainted := false
	for _, r := range round {
		if !r.write {
			reads = append(reads, r)
			continue
		}
		if err := r.ctx.Err(); err != nil {
			r.res = result{err: err}
			continue
		}
		v, err := call(r.fn, tx)
		r.res = result{v: v, err: err}
		tainted = tainted || errors.Is(err, errPanic)
	}
	if err := e.commit(tx, now, len(round)-len(reads), tainted); err != nil {
		for _, r := range round {
			if r.write {
				r.res = result{err: err}
			}
		}
	}
	for _, r := range round {
		if r.write {
			r.reply <- r.res
		}
	}
	e.answerReads(reads, &Tx{e: e, Now: e.now()})
}

// answerReads runs a round's reads, after its writes, and answers them.
func (e *Engine) answerReads(reads []*request, rtx *Tx) {
	for _, r := range reads {
		if err := r.ctx.Err(); err != nil {
			r.reply <- result{err: err}
			continue
		}
		v, err := call(r.fn, rtx)
		r.reply <- result{v: v, err: err}
	}
}

// commit writes what the round changed and publishes its events. When a
// request panicked (a bug may have left a centre half-changed) or the
// store fails, nothing is published, the centres touched are reloaded
// from the store, and the error is what every write of the round gets.
func (e *Engine) commit(tx *Tx, now time.Time, writes int, tainted bool) error {
	if tainted {
		e.log.Error("a request panicked; dropping its round and reloading the centres it touched")
		e.reload(tx.dirty, now)
		return queue.Errorf(queue.EInternal, "internal error", "lỗi hệ thống")
	}
	for _, l := range tx.dirty {
		if ch := l.TakeChanges(); !ch.Empty() {
			tx.batch.Centres = append(tx.batch.Centres, ch)
		}
	}
	start := time.Now()
	err := e.store.Commit(tx.batch)
	if e.obs.Commit != nil {
		e.obs.Commit(writes, time.Since(start), err)
	}
	if err != nil {
		e.log.Error("commit failed; reloading the centres it touched", "err", err, "writes", writes)
		e.reload(tx.dirty, now)
		return queue.Errorf(queue.EUnavailable, "could not save: try again", "không lưu được: vui lòng thử lại")
	}
	for _, ch := range tx.batch.Centres {
		if e.pub != nil && len(ch.Events) > 0 {
			e.pub.Publish(ch.Centre, ch.Events)
		}
		if e.obs.Committed != nil {
			e.obs.Committed(ch)
		}
	}
	return nil
}

var errPanic = errors.New("engine: request panicked")

// call runs a request's function, turning a panic into an error so one
// bug does not stop every centre.
func call(fn func(tx *Tx) (any, error), tx *Tx) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			tx.e.log.Error("request panicked", "panic", p, "stack", string(debug.Stack()))
			v, err = nil, errPanic
		}
	}()
	return fn(tx)
}

// reload replaces the live state of centres from the store, after a
// failed commit or a panic left them ahead of it.
func (e *Engine) reload(dirty map[string]*queue.Live, now time.Time) {
	for id := range dirty {
		snap, err := e.store.LoadCentre(id)
		switch {
		case err == nil:
			e.lives[id] = queue.Restore(snap, now, e.newID)
			if e.shared != nil {
				e.fillGap(id, snap.Meta.LastSeq)
			}
		case queue.ErrorCode(err) == queue.ENotFound:
			delete(e.lives, id) // created in this round, never stored
		case e.shared != nil:
			// The database is away: forget the centre rather than keep
			// changes it may not hold; the next request loads it whole.
			e.log.Error("reload failed; the centre is loaded again when the database answers", "centre", id, "err", err)
			delete(e.lives, id)
		default:
			e.log.Error("reload failed", "centre", id, "err", err)
		}
	}
}
