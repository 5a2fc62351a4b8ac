// Package uplink is the kiosk's link to the queue server: it keeps a copy
// of the centre's configuration (refreshed when the event stream says it
// changed), keeps blocks of ticket numbers leased for offline use, replays
// the outbox with each ticket's idempotency key (then what goes with each
// ticket: its pre-check, its form, its documents), and sends a heartbeat
// with the devices' status every few seconds. It also decides whether the
// server is reachable now, so a citizen is not kept waiting on a dead link.
package uplink

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"xephang/kiosk/outbox"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// Config configures a Link.
type Config struct {
	Client  *apiv1.Client // with the kiosk's credential as Token
	Store   *outbox.Store
	Centre  string
	Version string
	Log     *slog.Logger
	// BlockSize is the size of each leased block (20 when zero);
	// BlocksAhead how many blocks with numbers left to keep per service (2).
	BlockSize, BlocksAhead int
	// Heartbeat is the heartbeat period (5 s when zero).
	Heartbeat time.Duration
	// Backoff bounds the waits between failed replays and reconnects
	// (500 ms … 15 s when zero).
	BackoffMin, BackoffMax time.Duration
	// Devices returns the devices' status for the heartbeat; nil for none.
	Devices func() []queue.DeviceStatus
	// OnCentre is called with each new configuration; nil for none.
	OnCentre func(queue.Centre)
	// OnChange is called when the link goes up or down or the outbox
	// changes; nil for none.
	OnChange func(Status)
	// EveningFrom is the local time of day from which tomorrow's blocks
	// are leased too (18:00 when zero), so a kiosk that starts the next
	// day offline has numbers; they are also leased once the centre has
	// closed for the day, if that is earlier.
	EveningFrom time.Duration
	// Clock is the kiosk's clock (time.Now when nil); tests move it.
	Clock func() time.Time
	// Dossiers sends tickets' forms and documents; ClientDossiers over
	// Client when nil.
	Dossiers Dossiers
	// Identities sends tickets' card identities; ClientIdentities over
	// Client when nil.
	Identities Identities
}

// Reasons the server refuses to serve this kiosk (Status.Suspended).
const (
	SuspendedRevoked      = "revoked"      // 403 kiosk_revoked: the admin revoked it (or its certificate is too old)
	SuspendedPending      = "pending"      // 403 kiosk_pending: enrolled, waiting for the admin's approval
	SuspendedExpired      = "expired"      // its client certificate expired
	SuspendedUnauthorized = "unauthorized" // 401: its credential is not accepted
)

// Status is what the link knows now.
type Status struct {
	Online      bool           `json:"online"`
	LastContact time.Time      `json:"last_contact,omitzero"`
	LastError   string         `json:"last_error,omitempty"`
	Pending     int            `json:"outbox_pending"`
	Rejected    int            `json:"outbox_rejected"`
	Left        map[string]int `json:"numbers_left"` // offline numbers left today, per service
	// Documents are the digitised documents waiting to be sent.
	Documents int `json:"outbox_documents"`
	// Suspended says why the server will not serve this kiosk (revoked,
	// pending, expired, unauthorized); empty when it does. A suspended
	// kiosk issues nothing, not even from its blocks.
	Suspended string `json:"suspended,omitempty"`
}

// Link keeps the kiosk in sync with the queue server.
type Link struct {
	cfg      Config
	online   atomic.Bool
	offset   atomic.Int64 // server clock − kiosk clock, nanoseconds
	kick     chan struct{}
	refill   chan struct{}
	up       chan struct{} // closed and replaced when the link comes up
	mu       sync.Mutex
	centre   *queue.Centre
	lastErr  string
	lastSeen time.Time
	susp     string
	// refusedDay is a day the server refused to lease blocks for (only
	// the refill loop touches it).
	refusedDay string
}

// New returns a link; Run starts it.
func New(cfg Config) *Link {
	if cfg.BlockSize == 0 {
		cfg.BlockSize = queue.DefaultBlockSize
	}
	if cfg.BlocksAhead == 0 {
		cfg.BlocksAhead = 2
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 5 * time.Second
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin = 500 * time.Millisecond
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.EveningFrom == 0 {
		cfg.EveningFrom = 18 * time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	l := &Link{cfg: cfg, kick: make(chan struct{}, 1), refill: make(chan struct{}, 1), up: make(chan struct{})}
	if c, err := cfg.Store.Centre(); err == nil {
		l.centre = &c
	}
	return l
}

// Run keeps the link until ctx is done.
func (l *Link) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){l.heartbeatLoop, l.configLoop, l.refillLoop, l.replayLoop} {
		wg.Add(1)
		go func() { defer wg.Done(); loop(ctx) }()
	}
	wg.Wait()
}

// Online reports whether the server answered lately.
func (l *Link) Online() bool { return l.online.Load() }

// Now is the kiosk's clock corrected by the server's, as the heartbeat
// measured it: offline tickets carry this time.
func (l *Link) Now() time.Time { return l.cfg.Clock().Add(time.Duration(l.offset.Load())) }

// Centre returns the centre's configuration, cached or fresh.
func (l *Link) Centre() (queue.Centre, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.centre == nil {
		return queue.Centre{}, false
	}
	return *l.centre, true
}

// Today is the centre's local date now.
func (l *Link) Today() string {
	c, ok := l.Centre()
	loc := time.UTC
	if ok {
		loc = c.Location()
	}
	return l.Now().In(loc).Format(time.DateOnly)
}

// Kick wakes the replay and refill loops, e.g. after an offline ticket.
func (l *Link) Kick() {
	for _, ch := range []chan struct{}{l.kick, l.refill} {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Suspended says why the server will not serve this kiosk, "" when it does.
func (l *Link) Suspended() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.susp
}

// SetSuspended records why the server will not serve this kiosk ("" when
// it does again): from its answers, or from the kiosk's own certificate
// having expired.
func (l *Link) SetSuspended(why string) {
	l.mu.Lock()
	changed := l.susp != why
	l.susp = why
	l.mu.Unlock()
	if changed {
		if why != "" {
			l.cfg.Log.Error("the queue server does not serve this kiosk; out of service", "why", why)
		} else {
			l.cfg.Log.Info("the queue server serves this kiosk again")
			l.Kick() // lease and replay now rather than at the next round
		}
		l.changed()
	}
}

// suspension reads a refusal of the kiosk itself from an API error.
func suspension(err error) string {
	var ae *apiv1.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch {
	case ae.Status == 403 && ae.Code == "kiosk_revoked":
		return SuspendedRevoked
	case ae.Status == 403 && ae.Code == "kiosk_pending":
		return SuspendedPending
	case ae.Status == 401:
		return SuspendedUnauthorized
	}
	return ""
}

// Failed records a failed request; a network failure takes the link down.
func (l *Link) Failed(err error) {
	if err == nil {
		return
	}
	if why := suspension(err); why != "" {
		l.SetSuspended(why)
	}
	l.mu.Lock()
	l.lastErr = err.Error()
	l.mu.Unlock()
	if Unreachable(err) && l.online.Swap(false) {
		l.cfg.Log.Warn("queue server unreachable; issuing from leased blocks", "err", err)
		l.changed()
	}
}

// Reached records an answer from the server: the link is up.
func (l *Link) Reached() {
	l.mu.Lock()
	l.lastSeen = time.Now()
	up := l.up
	l.mu.Unlock()
	if !l.online.Swap(true) {
		l.cfg.Log.Info("queue server reachable")
		l.mu.Lock()
		close(up)
		l.up = make(chan struct{})
		l.mu.Unlock()
		l.Kick()
		l.changed()
	}
}

// upChan is closed when the link next comes up.
func (l *Link) upChan() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up
}

// Status returns the link's state and the outbox's.
func (l *Link) Status() Status {
	l.mu.Lock()
	st := Status{Online: l.online.Load(), LastContact: l.lastSeen, LastError: l.lastErr, Suspended: l.susp}
	l.mu.Unlock()
	if c, err := l.cfg.Store.Counts(); err == nil {
		st.Pending, st.Rejected = c[outbox.Pending], c[outbox.Rejected]
	}
	st.Left, _, _ = l.cfg.Store.Left(l.Today())
	st.Documents, _ = l.cfg.Store.DocumentsWaiting()
	return st
}

func (l *Link) changed() {
	if l.cfg.OnChange != nil {
		l.cfg.OnChange(l.Status())
	}
}

// Unreachable reports whether err means the server could not be reached
// (network, timeout, or a 5xx from it or a proxy) rather than a refusal.
func Unreachable(err error) bool {
	var ae *apiv1.APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	return err != nil
}

func (l *Link) sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}

// backoff doubles d within the configured bounds, with jitter.
func (l *Link) backoff(d time.Duration) time.Duration {
	d = min(max(2*d, l.cfg.BackoffMin), l.cfg.BackoffMax)
	return d/2 + rand.N(d/2+1)
}

func (l *Link) heartbeatLoop(ctx context.Context) {
	for {
		l.heartbeat(ctx)
		if !l.sleep(ctx, l.cfg.Heartbeat, nil) {
			return
		}
	}
}

// Heartbeat sends one heartbeat now (Run sends them every period): for
// an agent that runs the replay but not the rest, kioskd counter-scan.
func (l *Link) Heartbeat(ctx context.Context) { l.heartbeat(ctx) }

func (l *Link) heartbeat(ctx context.Context) {
	req := apiv1.HeartbeatRequest{Version: l.cfg.Version}
	if l.cfg.Devices != nil {
		req.Devices = l.cfg.Devices()
	}
	st := l.Status()
	req.LastError, req.Outbox = st.LastError, st.Pending
	c, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	sent := time.Now()
	resp, err := l.cfg.Client.Heartbeat(c, req)
	if err != nil {
		if ctx.Err() == nil {
			l.Failed(err)
		}
		if Unreachable(err) {
			return
		}
	}
	l.Reached()
	if err == nil && l.Suspended() != SuspendedExpired {
		l.SetSuspended("") // served again (e.g. approved)
	}
	if serverTime, perr := time.Parse(time.RFC3339Nano, resp.ServerTime); err == nil && perr == nil {
		rtt := time.Since(sent)
		off := serverTime.Sub(sent.Add(rtt / 2))
		if off.Abs() > time.Minute {
			l.cfg.Log.Warn("kiosk clock differs from the server's; offline tickets use the server's", "offset", off.Round(time.Second))
		}
		// Small differences are noise of the round trip; keep the clock.
		if off.Abs() < time.Second {
			off = 0
		}
		l.offset.Store(int64(off))
	}
}

// configLoop fetches the configuration, then follows the event stream and
// fetches it again when it changed (or every five minutes, in case the
// stream died quietly).
func (l *Link) configLoop(ctx context.Context) {
	var wait time.Duration
	for ctx.Err() == nil {
		err := l.followConfig(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			l.cfg.Log.Debug("config stream", "err", err)
			var se streamError
			if !errors.As(err, &se) {
				l.Failed(err)
			}
			wait = l.backoff(wait)
		} else {
			wait = 0
		}
		if !l.sleep(ctx, wait, l.upChan()) {
			return
		}
	}
}

func (l *Link) fetchCentre(ctx context.Context) error {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	centre, err := l.cfg.Client.Centre(c, l.cfg.Centre)
	if err != nil {
		return err
	}
	l.Reached()
	centre.Normalize()
	if err := l.cfg.Store.PutCentre(centre); err != nil {
		l.cfg.Log.Error("caching the centre's configuration", "err", err)
	}
	l.mu.Lock()
	l.centre = &centre
	l.mu.Unlock()
	if l.cfg.OnCentre != nil {
		l.cfg.OnCentre(centre)
	}
	select {
	case l.refill <- struct{}{}:
	default:
	}
	return nil
}

func (l *Link) followConfig(ctx context.Context) error {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	q, err := l.cfg.Client.Queue(c, l.cfg.Centre)
	cancel()
	if err != nil {
		return err
	}
	if err := l.fetchCentre(ctx); err != nil {
		return err
	}
	c, cancel = context.WithTimeout(ctx, 5*time.Second)
	es, err := l.events(c, q.LastSeq)
	cancel()
	if err != nil {
		return streamError{err}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		es.Close()
	}()
	refresh := time.Now().Add(5 * time.Minute)
	for {
		e, err := es.Next(refresh)
		if err != nil {
			if time.Now().After(refresh) {
				return nil // quiet for five minutes: reconnect, fetching again
			}
			return streamError{err}
		}
		if e.Type == queue.EventConfigured {
			if err := l.fetchCentre(ctx); err != nil {
				return err
			}
		}
	}
}

// eventStream is a centre's event stream (*apiv1.EventStream).
type eventStream interface {
	Next(deadline time.Time) (queue.Event, error)
	Close() error
}

// events opens the centre's event stream after since, with the client's
// own transport (the kiosk's certificate over mutual TLS when enrolled so).
func (l *Link) events(ctx context.Context, since uint64) (eventStream, error) {
	return l.cfg.Client.Events(ctx, l.cfg.Centre, since)
}

// streamError is a failure of the event stream alone: the server answered
// just before, so it says nothing of the link (the heartbeat judges that).
type streamError struct{ err error }

func (e streamError) Error() string { return "event stream: " + e.err.Error() }

func (l *Link) refillLoop(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		if l.Online() {
			if err := l.Refill(ctx); err != nil && ctx.Err() == nil {
				l.cfg.Log.Warn("leasing number blocks", "err", err)
				l.Failed(err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.refill:
		}
	}
}

// Refill leases blocks until every service of the centre has BlocksAhead
// blocks with numbers left for today (and, in the evening, for tomorrow),
// and forgets blocks of past days.
func (l *Link) Refill(ctx context.Context) error {
	centre, ok := l.Centre()
	if !ok {
		return nil
	}
	day := l.Today()
	if err := l.cfg.Store.PruneBlocks(day); err != nil {
		return err
	}
	n, err := l.leaseFor(ctx, centre, day)
	leased := n > 0
	defer func() {
		if leased {
			l.changed()
		}
	}()
	if err != nil {
		return err
	}
	if tomorrow, ok := l.evening(centre); ok && l.refusedDay != tomorrow {
		n, err := l.leaseFor(ctx, centre, tomorrow)
		leased = leased || n > 0
		if err != nil && Unreachable(err) {
			return err
		}
		if err != nil {
			// The server may not lease for a day the centre is closed:
			// do not ask again for that day.
			l.refusedDay = tomorrow
			l.cfg.Log.Info("the server leases no blocks for tomorrow", "day", tomorrow, "err", err)
		}
	}
	return nil
}

// evening reports whether it is time to lease tomorrow's blocks (from
// EveningFrom, or once the centre closed today), and tomorrow's date.
func (l *Link) evening(centre queue.Centre) (string, bool) {
	now := l.Now().In(centre.Location())
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	tomorrow := midnight.AddDate(0, 0, 1).Format(time.DateOnly)
	since := now.Sub(midnight)
	if since >= l.cfg.EveningFrom {
		return tomorrow, true
	}
	closes := time.Duration(-1)
	for _, h := range centre.Hours {
		if h.Weekday != int(now.Weekday()) {
			continue
		}
		if c, err := time.Parse("15:04", h.Close); err == nil {
			closes = max(closes, time.Duration(c.Hour())*time.Hour+time.Duration(c.Minute())*time.Minute)
		}
	}
	return tomorrow, closes > 0 && since >= closes
}

// leaseFor leases blocks of day until every service has BlocksAhead.
func (l *Link) leaseFor(ctx context.Context, centre queue.Centre, day string) (int, error) {
	_, blocks, err := l.cfg.Store.Left(day)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, svc := range centre.Services {
		for have := blocks[svc.Code]; have < l.cfg.BlocksAhead; have++ {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			b, err := l.cfg.Client.LeaseBlock(c, l.cfg.Centre, svc.Code, l.cfg.BlockSize, day)
			cancel()
			if err != nil {
				return n, err
			}
			l.Reached()
			if err := l.cfg.Store.AddBlock(outbox.Block{ID: b.ID, Service: b.Service, Day: b.Day, From: b.From, To: b.To}); err != nil {
				return n, err
			}
			n++
			l.cfg.Log.Info("leased number block", "service", b.Service, "day", b.Day, "from", b.From, "to", b.To)
		}
	}
	return n, nil
}

func (l *Link) replayLoop(ctx context.Context) {
	var wait time.Duration
	for ctx.Err() == nil {
		n, err := l.Replay(ctx)
		if ctx.Err() != nil {
			return
		}
		wake := l.kick
		switch {
		case err != nil:
			wait = l.backoff(wait)
			if !l.sleep(ctx, wait, l.upChan()) {
				return
			}
			continue
		case n > 0:
			wait = 0
			continue
		}
		wait = 0
		if !l.sleep(ctx, 5*time.Second, wake) {
			return
		}
	}
}

// Replay sends the pending outbox tickets in issue order, then withdraws
// the online tickets that did not print, attaches the pre-check results,
// then puts the forms and the card identities and posts the documents
// the server does not have yet; it stops at the first request the
// server could not be reached for. It returns how many it settled.
func (l *Link) Replay(ctx context.Context) (int, error) {
	n, err := l.replayTickets(ctx)
	if err != nil {
		return n, err
	}
	m, err := l.replayVoids(ctx)
	n += m
	if err != nil {
		return n, err
	}
	m, err = l.replayPrechecks(ctx)
	n += m
	if err != nil {
		return n, err
	}
	m, err = l.replayForms(ctx)
	n += m
	if err != nil {
		return n, err
	}
	m, err = l.replayIdentities(ctx)
	n += m
	if err != nil {
		return n, err
	}
	m, err = l.replayDocuments(ctx)
	return n + m, err
}

// final reports whether a refusal will not change by retrying (a
// credential problem or a rate limit may).
func final(err error) bool {
	var ae *apiv1.APIError
	return errors.As(err, &ae) && ae.Status != 401 && ae.Status != 403 && ae.Status != 429
}

// replayVoids asks the server to withdraw the online tickets that did not
// print (the printer failed after the server answered, or kioskd died
// while printing), so they leave the queue instead of ending as no-shows.
func (l *Link) replayVoids(ctx context.Context) (int, error) {
	ts, err := l.cfg.Store.Tickets(outbox.Voiding)
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	settled := 0
	defer func() {
		if settled > 0 {
			l.changed()
		}
	}()
	for _, t := range ts {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := l.cfg.Client.Void(c, t.Centre, t.Key)
		cancel()
		switch {
		case err == nil:
			l.Reached()
			l.cfg.Log.Info("unprinted ticket withdrawn", "number", t.Number, "ticket", t.ServerID)
		case Unreachable(err):
			l.Failed(err)
			return settled, err
		case final(err):
			// 404: another day or never issued; 409: already called.
			// Either way there is nothing left to withdraw.
			l.Reached()
			l.cfg.Log.Warn("could not withdraw an unprinted ticket", "number", t.Number, "err", err)
		default:
			l.Failed(err)
			return settled, err
		}
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if err := l.cfg.Store.MarkVoided(t.Key, msg, time.Now()); err != nil {
			return settled, err
		}
		settled++
	}
	return settled, nil
}

// replayPrechecks attaches the pre-check results kept with tickets the
// server now has (an offline ticket replayed, or an online one whose
// attach failed).
func (l *Link) replayPrechecks(ctx context.Context) (int, error) {
	ts, err := l.cfg.Store.PrechecksToAttach()
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	settled := 0
	for _, t := range ts {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := l.cfg.Client.AttachPrecheck(c, t.ServerID, t.Precheck)
		cancel()
		switch {
		case err == nil:
			l.Reached()
			err = l.cfg.Store.PrecheckAttached(t.Key, "")
			l.cfg.Log.Info("pre-check attached", "number", t.Number, "ticket", t.ServerID)
		case Unreachable(err):
			l.Failed(err)
			return settled, err
		case final(err):
			l.Reached()
			l.cfg.Log.Error("server refused a pre-check result; dropped", "number", t.Number, "err", err)
			err = l.cfg.Store.PrecheckAttached(t.Key, err.Error())
		default:
			l.Failed(err)
			return settled, err
		}
		if err != nil {
			return settled, err
		}
		settled++
	}
	return settled, nil
}

func (l *Link) replayTickets(ctx context.Context) (int, error) {
	pending, err := l.cfg.Store.Tickets(outbox.Pending)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	settled := 0
	defer func() {
		if settled > 0 {
			l.changed()
		}
	}()
	for _, t := range pending {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		tv, err := l.cfg.Client.Issue(c, t.Centre, apiv1.IssueRequest{
			Service: t.Service, Priority: t.Priority, IdempotencyKey: t.Key, Number: t.Number,
			IssuedAt: t.IssuedAt.Format(time.RFC3339Nano), Offline: true,
		})
		cancel()
		now := time.Now()
		switch {
		case err == nil:
			l.Reached()
			if err := l.cfg.Store.MarkSent(t.Key, tv.ID, now); err != nil {
				return settled, err
			}
			settled++
			l.cfg.Log.Info("offline ticket delivered", "number", t.Number, "ticket", tv.ID)
		case Unreachable(err):
			l.Failed(err)
			l.markFailed(t, err, false, now)
			return settled, err
		default:
			// An answer, but a refusal: a conflict or an invalid ticket
			// will not get better by retrying; a credential problem may.
			var ae *apiv1.APIError
			errors.As(err, &ae)
			l.Reached()
			final := ae.Status != 401 && ae.Status != 403 && ae.Status != 429 && ae.Status != 404
			l.Failed(err)
			l.markFailed(t, err, final, now)
			if final {
				l.cfg.Log.Error("server refused an offline ticket; kept for a technician", "number", t.Number, "err", err)
				settled++
				continue
			}
			return settled, err
		}
	}
	return settled, nil
}

// markFailed records a failed replay of t in the outbox; a record that
// does not reach the disk is logged (the ticket stays pending and is
// replayed again, so nothing is lost, but its count and reason are).
func (l *Link) markFailed(t outbox.Ticket, cause error, final bool, now time.Time) {
	if err := l.cfg.Store.MarkFailed(t.Key, cause.Error(), final, now); err != nil {
		l.cfg.Log.Error("outbox: recording a failed replay", "number", t.Number, "final", final, "err", err)
	}
}
