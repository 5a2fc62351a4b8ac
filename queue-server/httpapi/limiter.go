package httpapi

import (
	"context"
	"sync"
	"time"
)

// Rate is a token bucket per key (a client address): Burst requests at
// once, refilled at Burst per Window. Name tells the buckets of different
// limits apart in a store several servers share.
type Rate struct {
	Name   string
	Burst  int
	Window time.Duration
}

// The per-address limits of the anonymous endpoints.
var (
	bookRate   = Rate{Name: "book", Burst: 10, Window: time.Hour}
	onlineRate = Rate{Name: "online", Burst: 10, Window: time.Hour} // same-day numbers from the phone
	lookupRate = Rate{Name: "lookup", Burst: 60, Window: time.Minute}
	enrollRate = Rate{Name: "enroll", Burst: 20, Window: time.Minute}
	// addressRate bounds, per phone number and per e-mail address, how
	// often the public gives it for notifications: a ticket id is seen on
	// the public event stream, and nobody may turn the centre's SMS
	// gateway on someone's phone.
	addressRate = Rate{Name: "notify-address", Burst: 5, Window: 24 * time.Hour}
)

// Limits holds the state of the per-address and per-account limits: token
// buckets and the growing delays of failed sign-ins. The default,
// NewMemoryLimits, keeps it in this process; several servers behind one
// load balancer share one implementation backed by their database
// (package pglimits), so a client gets one allowance whichever server its
// requests land on, not one per server. Every method takes the caller's
// now, never a clock of its own.
type Limits interface {
	// Take takes a token from key's bucket of rate at now, reporting
	// whether one was left.
	Take(ctx context.Context, rate Rate, key string, now time.Time) (bool, error)
	// Wait returns how long key must still wait at now before its next
	// attempt is checked (0: it may try).
	Wait(ctx context.Context, p BackoffPolicy, key string, now time.Time) (time.Duration, error)
	// Fail counts a failure of key at now.
	Fail(ctx context.Context, p BackoffPolicy, key string, now time.Time) error
	// Undo takes back one failure counted ahead of a check that succeeded.
	Undo(ctx context.Context, p BackoffPolicy, key string) error
	// Reset forgets key's failures.
	Reset(ctx context.Context, p BackoffPolicy, key string) error
}

// MemoryLimits is Limits in this process's memory: right for one server,
// forgotten at a restart. It never fails.
type MemoryLimits struct {
	mu       sync.Mutex
	buckets  map[Rate]*limiter
	backoffs map[BackoffPolicy]*backoff
}

// NewMemoryLimits returns empty limits kept in memory.
func NewMemoryLimits() *MemoryLimits {
	return &MemoryLimits{buckets: map[Rate]*limiter{}, backoffs: map[BackoffPolicy]*backoff{}}
}

func (m *MemoryLimits) limiter(r Rate) *limiter {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.buckets[r]
	if !ok {
		l = newLimiter(r.Burst, r.Window)
		m.buckets[r] = l
	}
	return l
}

func (m *MemoryLimits) backoff(p BackoffPolicy) *backoff {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.backoffs[p]
	if !ok {
		b = newBackoff(p)
		m.backoffs[p] = b
	}
	return b
}

// Take implements Limits.
func (m *MemoryLimits) Take(_ context.Context, r Rate, key string, now time.Time) (bool, error) {
	return m.limiter(r).allow(key, now), nil
}

// Wait implements Limits.
func (m *MemoryLimits) Wait(_ context.Context, p BackoffPolicy, key string, now time.Time) (time.Duration, error) {
	return m.backoff(p).wait(key, now), nil
}

// Fail implements Limits.
func (m *MemoryLimits) Fail(_ context.Context, p BackoffPolicy, key string, now time.Time) error {
	m.backoff(p).fail(key, now)
	return nil
}

// Undo implements Limits.
func (m *MemoryLimits) Undo(_ context.Context, p BackoffPolicy, key string) error {
	m.backoff(p).undo(key)
	return nil
}

// Reset implements Limits.
func (m *MemoryLimits) Reset(_ context.Context, p BackoffPolicy, key string) error {
	m.backoff(p).reset(key)
	return nil
}

// limiter is a token bucket per key (a client address): burst requests at
// once, refilled at burst per window. Old keys are forgotten.
type limiter struct {
	mu     sync.Mutex
	burst  float64
	window time.Duration
	keys   map[string]*bucket
	swept  time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, window time.Duration) *limiter {
	return &limiter{burst: float64(burst), window: window, keys: map[string]*bucket{}}
}

// allow takes a token for key at now, reporting whether one was left.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.window {
		for k, b := range l.keys {
			if now.Sub(b.at) > l.window {
				delete(l.keys, k)
			}
		}
		l.swept = now
	}
	b, ok := l.keys[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.keys[key] = b
	}
	// A clock behind the last take (another server's, a step back)
	// refills nothing and does not move the bucket back in time.
	b.tokens = min(l.burst, b.tokens+max(0, now.Sub(b.at)).Seconds()*l.burst/l.window.Seconds())
	if now.After(b.at) {
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// BackoffPolicy says how failures of one key are slowed down: the first
// Free failures cost nothing, then each one makes the key wait Base,
// doubling up to Max; a key with no failure for Forget starts afresh.
// Name tells the policies apart in a store several servers share.
type BackoffPolicy struct {
	Name      string
	Free      int
	Base, Max time.Duration
	Forget    time.Duration
}

// Failed sign-ins. Per account: three typos free, then 1 s doubling up
// to 30 s, so an attacker anywhere gets at most one guess per 30 s at an
// account, and its owner never waits more than 30 s. Per address: ten
// failures free (an office behind one address), then 1 s up to 60 s.
var (
	loginAccountPolicy = BackoffPolicy{Name: "login-account", Free: 3, Base: time.Second, Max: 30 * time.Second, Forget: 15 * time.Minute}
	loginAddrPolicy    = BackoffPolicy{Name: "login-address", Free: 10, Base: time.Second, Max: time.Minute, Forget: 15 * time.Minute}
)

// backoff tracks failures per key (an account, an address) and the time
// each key must wait before its next attempt is even checked. Unlike a
// lockout it never refuses for longer than Max: the right password after
// the wait works.
type backoff struct {
	mu     sync.Mutex
	policy BackoffPolicy
	keys   map[string]*strikes
	swept  time.Time
}

type strikes struct {
	n     int
	last  time.Time // the last failure
	until time.Time // no attempt is checked before
}

// maxBackoffKeys bounds the memory of a backoff under a flood.
const maxBackoffKeys = 100_000

func newBackoff(p BackoffPolicy) *backoff { return &backoff{policy: p, keys: map[string]*strikes{}} }

// delay is the wait after n failures.
func (p BackoffPolicy) delay(n int) time.Duration {
	if n <= p.Free {
		return 0
	}
	d := p.Base
	for i := p.Free + 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// wait returns how long key must still wait at now (0: it may try).
func (b *backoff) wait(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.get(key, now, false)
	if st == nil || !now.Before(st.until) {
		return 0
	}
	return st.until.Sub(now)
}

// fail counts a failure of key at now.
func (b *backoff) fail(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.get(key, now, true)
	st.n++
	st.last, st.until = now, now.Add(b.policy.delay(st.n))
}

// undo takes back one failure counted ahead of a check that succeeded.
func (b *backoff) undo(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.keys[key]; ok && st.n > 0 {
		st.n--
		st.until = st.last.Add(b.policy.delay(st.n))
	}
}

// reset forgets key's failures.
func (b *backoff) reset(key string) {
	b.mu.Lock()
	delete(b.keys, key)
	b.mu.Unlock()
}

// get returns key's strikes (created when create), forgetting stale keys.
func (b *backoff) get(key string, now time.Time, create bool) *strikes {
	if now.Sub(b.swept) > b.policy.Forget {
		for k, st := range b.keys {
			if now.Sub(st.last) > b.policy.Forget && !now.Before(st.until) {
				delete(b.keys, k)
			}
		}
		b.swept = now
	}
	st, ok := b.keys[key]
	if ok && now.Sub(st.last) > b.policy.Forget && !now.Before(st.until) {
		delete(b.keys, key)
		st, ok = nil, false
	}
	if !ok && create {
		if len(b.keys) >= maxBackoffKeys {
			// A flood of new keys (names sprayed from many addresses):
			// forget the keys that wait for nothing now, keep the delays.
			for k, old := range b.keys {
				if !now.Before(old.until) {
					delete(b.keys, k)
				}
			}
		}
		st = &strikes{}
		b.keys[key] = st
	}
	return st
}
