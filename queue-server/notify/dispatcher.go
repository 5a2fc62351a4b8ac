package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"xephang/queue-server/queue"
)

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	Outbox queue.Outbox
	// Senders are the gateways by name: zns, sms, push, email, webhook.
	Senders map[string]Sender
	// PhoneGateways returns a centre's gateways of phone messages, in
	// order (its rules.phone_channels); nil: zns then sms. Those without
	// a sender are skipped.
	PhoneGateways func(centre string) []string
	// PublicURL is the base of the links added to messages as data["url"].
	PublicURL string
	// Rates are each gateway's messages per second (unlimited when absent).
	Rates map[string]float64
	// Workers sends at once (8), Batch messages claimed at once (100),
	// Lease how long they are held (30 s: in a shared store, what a
	// killed instance held waits that long), Poll how often the outbox is
	// looked at without a Wake (1 s).
	Workers int
	Batch   int
	Lease   time.Duration
	Poll    time.Duration
	// MinBackoff doubles after each failed attempt up to MaxBackoff (1 s,
	// 5 min), with jitter; a gateway's RetryAfter is waited at least.
	MinBackoff, MaxBackoff time.Duration

	// Clock is the time of attempts, backoffs and expiries (time.Now);
	// Sleep waits for the rate limits (a timer). Tests replace both.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Observe is told of each attempt: the gateway, "sent", "failed"
	// (temporary) or "permanent", and how long it took; and of each
	// message given up: the channel, "gave_up", 0.
	Observe func(gateway, status string, d time.Duration)
	Log     *slog.Logger
}

// Dispatcher delivers the outbox: it claims due messages, resolves each
// one's address, renders it and sends it through its gateways, retrying
// with backoff until the message expires.
type Dispatcher struct {
	cfg    DispatcherConfig
	wake   chan struct{}
	limits map[string]*rate.Limiter

	mu     sync.Mutex
	paused map[string]time.Time // a gateway that asked to wait (RetryAfter), until when
}

// NewDispatcher returns a dispatcher; Run starts it.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string, string, time.Duration) {}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	d := &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1), limits: map[string]*rate.Limiter{}, paused: map[string]time.Time{}}
	for gw, r := range cfg.Rates {
		d.limits[gw] = rate.NewLimiter(rate.Limit(r), max(1, int(r)))
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wake makes Run look at the outbox now (after a commit with messages).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	for {
		n, err := d.RunOnce(ctx)
		if err != nil {
			d.cfg.Log.Error("notify: outbox", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if n == d.cfg.Batch && err == nil {
			continue // more are waiting
		}
		t := time.NewTimer(d.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// RunOnce claims one batch of due messages, attempts each and records the
// attempts; it returns how many it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	now := d.cfg.Clock()
	ms, err := d.cfg.Outbox.ClaimMessages(now, d.cfg.Lease, d.cfg.Batch)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	// Nothing is started when the lease nears its end: another sender
	// may claim the message then (a slow gateway, a low rate).
	deadline := now.Add(d.cfg.Lease - min(d.cfg.Lease/4, 30*time.Second))
	// The messages of one address go one after the other, oldest first
	// ("near" before "called"); different addresses at once.
	var groups [][]int
	byAddr := map[string]int{}
	for i := range ms {
		k := ms[i].Channel + "\x00" + ms[i].Ref
		g, ok := byAddr[k]
		if !ok {
			g = len(groups)
			byAddr[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	sem := make(chan struct{}, d.cfg.Workers)
	var wg sync.WaitGroup
	for _, g := range groups {
		sort.SliceStable(g, func(a, b int) bool { return ms[g[a]].CreatedAt.Before(ms[g[b]].CreatedAt) })
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, i := range g {
				if ctx.Err() != nil || !d.cfg.Clock().Before(deadline) {
					return // left as it was: the lease ends with SaveDelivery
				}
				d.attempt(ctx, &ms[i])
			}
		}()
	}
	wg.Wait()
	if err := d.cfg.Outbox.SaveDelivery(ms); err != nil {
		return len(ms), fmt.Errorf("notify: saving deliveries: %w", err)
	}
	return len(ms), nil
}

// attempt tries m once on each of its gateways and writes the outcome
// into m.
func (d *Dispatcher) attempt(ctx context.Context, m *queue.Message) {
	now := d.cfg.Clock()
	if !m.Expires.IsZero() && !now.Before(m.Expires) {
		last := m.Error
		if last == "" {
			last = "expired before it could be sent"
		}
		d.giveUp(m, last)
		return
	}
	out, gateways, err := d.resolve(m)
	if err != nil {
		var fail *permanentFailure
		if errors.As(err, &fail) {
			d.giveUp(m, fail.reason)
			return
		}
		d.retry(m, now, err, 0) // the store failed us: try later
		return
	}
	var errs []string
	permanent, wait := true, time.Duration(0)
	for _, gw := range gateways {
		err := d.send(ctx, gw, m, out)
		if err == nil {
			t := d.cfg.Clock()
			m.Attempts++
			m.Status, m.Via, m.Error, m.SentAt = queue.MessageSent, d.cfg.Senders[gw].Name(), "", &t
			return
		}
		if ctx.Err() != nil {
			return // shutting down: not an attempt
		}
		errs = append(errs, err.Error())
		var e *Error
		if errors.As(err, &e) {
			wait = max(wait, e.RetryAfter)
		}
		if !IsPermanent(err) {
			permanent = false
		}
	}
	m.Attempts++
	reason := strings.Join(errs, "; ")
	if permanent {
		d.giveUp(m, reason)
		return
	}
	d.retry(m, now, errors.New(reason), wait)
}

// retry schedules the next attempt: exponential backoff with jitter, at
// least what the gateway asked; past Expires, the message is given up.
func (d *Dispatcher) retry(m *queue.Message, now time.Time, err error, atLeast time.Duration) {
	backoff := d.cfg.MinBackoff
	for i := 1; i < m.Attempts && backoff < d.cfg.MaxBackoff; i++ {
		backoff *= 2
	}
	backoff = min(backoff, d.cfg.MaxBackoff)
	backoff = backoff/2 + rand.N(backoff/2+1) // jitter: senders out of step after an outage
	backoff = max(backoff, atLeast)
	m.Error = clip(err.Error(), 500)
	if next := now.Add(backoff); !m.Expires.IsZero() && !next.Before(m.Expires) {
		d.giveUp(m, m.Error)
		return
	}
	m.Status, m.NextAt = queue.MessagePending, now.Add(backoff)
}

func (d *Dispatcher) giveUp(m *queue.Message, reason string) {
	m.Status = queue.MessageFailed
	m.Error = clip(fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, reason), 500)
	d.cfg.Observe(m.Channel, "gave_up", 0)
}

// permanentFailure is a message that cannot be sent at all (no contact,
// a deleted webhook, no gateway).
type permanentFailure struct{ reason string }

func (p *permanentFailure) Error() string { return p.reason }

// resolve finds m's address and its gateways.
func (d *Dispatcher) resolve(m *queue.Message) (Outgoing, []string, error) {
	out := Outgoing{ID: m.ID, Centre: m.Centre, Topic: m.Topic, Data: d.data(m)}
	fail := func(format string, a ...any) (Outgoing, []string, error) {
		return out, nil, &permanentFailure{fmt.Sprintf(format, a...)}
	}
	if m.Channel == queue.ChannelWebhook {
		w, err := d.cfg.Outbox.Webhook(m.Ref)
		switch {
		case queue.ErrorCode(err) == queue.ENotFound:
			return fail("the webhook no longer exists")
		case err != nil:
			return out, nil, err
		case w.Deleted:
			return fail("the webhook was deleted")
		}
		out.Webhook, out.Body = &w, m.Body
		return d.gateways(out, m, []string{GatewayWebhook})
	}
	c, err := d.cfg.Outbox.Contact(m.Ref)
	switch {
	case queue.ErrorCode(err) == queue.ENotFound:
		return fail("no contact: removed or purged")
	case err != nil:
		return out, nil, err
	}
	switch m.Channel {
	case queue.ChannelPhone:
		if c.Phone == "" {
			return fail("the contact has no phone number")
		}
		out.Phone = c.Phone
		gws := []string{GatewayZNS, GatewaySMS}
		if d.cfg.PhoneGateways != nil {
			gws = d.cfg.PhoneGateways(m.Centre)
		}
		return d.gateways(out, m, gws)
	case queue.ChannelEmail:
		if c.Email == "" {
			return fail("the contact has no e-mail address")
		}
		out.Email = c.Email
		return d.gateways(out, m, []string{GatewayEmail})
	case queue.ChannelPush:
		if c.Push == nil {
			return fail("the contact has no push subscription")
		}
		out.Push = c.Push
		return d.gateways(out, m, []string{GatewayPush})
	}
	return fail("unknown channel %q", m.Channel)
}

// gateways keeps those configured, in order.
func (d *Dispatcher) gateways(out Outgoing, m *queue.Message, want []string) (Outgoing, []string, error) {
	var gws []string
	for _, g := range want {
		if _, ok := d.cfg.Senders[g]; ok {
			gws = append(gws, g)
		}
	}
	if len(gws) == 0 {
		return out, nil, &permanentFailure{fmt.Sprintf("no gateway configured for %s messages (%s)", m.Channel, strings.Join(want, ", "))}
	}
	return out, gws, nil
}

// data is the message's template values with the link to its page.
func (d *Dispatcher) data(m *queue.Message) map[string]string {
	data := make(map[string]string, len(m.Data)+1)
	for k, v := range m.Data {
		data[k] = v
	}
	if d.cfg.PublicURL == "" || m.Channel == queue.ChannelWebhook {
		return data
	}
	kind, id, _ := strings.Cut(m.Ref, ":")
	switch kind {
	case queue.RefTicket:
		data["url"] = d.cfg.PublicURL + "/track/" + url.PathEscape(id)
	case queue.RefBooking:
		data["url"] = d.cfg.PublicURL + "/?code=" + url.QueryEscape(id)
	}
	return data
}

// renderAs is what a sender may tell of the text it wants (the SMS
// gateway: folded or not).
type renderAs interface{ RenderAs() string }

// send makes one attempt on one gateway: paused, rate-limited, rendered,
// sent, observed.
func (d *Dispatcher) send(ctx context.Context, gw string, m *queue.Message, out Outgoing) error {
	now := d.cfg.Clock()
	d.mu.Lock()
	until := d.paused[gw]
	d.mu.Unlock()
	if now.Before(until) {
		return &Error{Gateway: gw, RetryAfter: until.Sub(now), Msg: "waiting as the gateway asked"}
	}
	s := d.cfg.Senders[gw]
	if gw != GatewayWebhook {
		as := gw
		if r, ok := s.(renderAs); ok {
			as = r.RenderAs()
		}
		title, text, err := Render(m.Topic, out.Data, as)
		if err != nil {
			return &Error{Gateway: gw, Permanent: true, Msg: err.Error()}
		}
		out.Title, out.Text = title, text
	}
	if lim := d.limits[gw]; lim != nil {
		now := d.cfg.Clock()
		r := lim.ReserveN(now, 1)
		if wait := r.DelayFrom(now); wait > 0 {
			if err := d.cfg.Sleep(ctx, wait); err != nil {
				r.CancelAt(now)
				return err
			}
		}
	}
	start := time.Now()
	err := s.Send(ctx, out)
	took := time.Since(start)
	status := "sent"
	switch {
	case err == nil:
	case IsPermanent(err):
		status = "permanent"
	default:
		status = "failed"
	}
	d.cfg.Observe(gw, status, took)
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		d.mu.Lock()
		d.paused[gw] = d.cfg.Clock().Add(e.RetryAfter)
		d.mu.Unlock()
	}
	return err
}
