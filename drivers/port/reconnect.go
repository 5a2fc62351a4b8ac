package port

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"
)

// State is whether a Reconnecting device is usable now.
type State int

// States of a Reconnecting device.
const (
	Disconnected State = iota // not open; reopening with backoff
	Connected                 // open and working as far as we know
	Closed                    // closed by its owner; final
)

// String returns "disconnected", "connected" or "closed".
func (s State) String() string {
	switch s {
	case Connected:
		return "connected"
	case Closed:
		return "closed"
	}
	return "disconnected"
}

// Opener opens a device; Reconnecting calls it again after every failure.
type Opener func(ctx context.Context) (io.ReadWriteCloser, error)

// Backoff bounds the wait between attempts to reopen a device.
type Backoff struct {
	Min time.Duration // first wait; 200 ms when zero
	Max time.Duration // longest wait; 5 s when zero
}

// Reconnecting is a device stream that survives the device going away: when
// a Read or Write fails, it closes the device and reopens it in the
// background with exponential backoff (with jitter), reporting Disconnected
// meanwhile. Read waits for the device to come back; Write fails at once
// with ErrDisconnected, since a ticket printed minutes late is worse than an
// error on screen.
type Reconnecting struct {
	open    Opener
	backoff Backoff
	notify  func(State, error)

	mu      sync.Mutex
	cond    *sync.Cond
	conn    io.ReadWriteCloser
	state   State
	lastErr error
	failed  chan struct{} // signalled when conn fails
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewReconnecting starts keeping a device open with open. notify, if not
// nil, is called on every change of state, with the error that caused a
// disconnection.
func NewReconnecting(open Opener, b Backoff, notify func(State, error)) *Reconnecting {
	if b.Min <= 0 {
		b.Min = 200 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Second
	}
	if b.Max < b.Min {
		b.Max = b.Min
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Reconnecting{open: open, backoff: b, notify: notify, failed: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	go r.keep(ctx)
	return r
}

// State returns the current state and the last error that disconnected the
// device (nil if none).
func (r *Reconnecting) State() (State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state, r.lastErr
}

func (r *Reconnecting) setState(s State, err error) {
	r.mu.Lock()
	if r.state == Closed {
		r.mu.Unlock()
		return
	}
	changed := r.state != s
	r.state = s
	if err != nil {
		r.lastErr = err
	}
	r.cond.Broadcast()
	r.mu.Unlock()
	if changed && r.notify != nil {
		r.notify(s, err)
	}
}

// keep is the background loop: open, wait for a failure, close, back off,
// open again.
func (r *Reconnecting) keep(ctx context.Context) {
	defer close(r.done)
	wait := r.backoff.Min
	for {
		conn, err := r.open(ctx)
		if ctx.Err() != nil {
			if conn != nil {
				conn.Close()
			}
			return
		}
		if err != nil {
			r.setState(Disconnected, err)
			// Full jitter between wait/2 and wait, so kiosks that lost a
			// shared network printer at once do not retry in step.
			d := wait/2 + rand.N(wait/2+1)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
			wait = min(wait*2, r.backoff.Max)
			continue
		}
		wait = r.backoff.Min
		r.mu.Lock()
		r.conn = conn
		r.mu.Unlock()
		r.setState(Connected, nil)
		select {
		case <-r.failed:
		case <-ctx.Done():
		}
		r.mu.Lock()
		r.conn = nil
		r.mu.Unlock()
		conn.Close()
		if ctx.Err() != nil {
			return
		}
	}
}

// fail reports that conn failed with err, if conn is still the current one.
func (r *Reconnecting) fail(conn io.ReadWriteCloser, err error) {
	r.mu.Lock()
	current := r.conn == conn && r.state == Connected
	r.mu.Unlock()
	if !current {
		return
	}
	r.setState(Disconnected, err)
	select {
	case r.failed <- struct{}{}:
	default:
	}
}

// Read reads from the device, waiting while it is disconnected. It returns
// an error wrapping ErrClosed once Close was called.
func (r *Reconnecting) Read(b []byte) (int, error) {
	for {
		r.mu.Lock()
		for r.state == Disconnected || (r.state == Connected && r.conn == nil) {
			r.cond.Wait()
		}
		if r.state == Closed {
			r.mu.Unlock()
			return 0, fmt.Errorf("port: read: %w", ErrClosed)
		}
		conn := r.conn
		r.mu.Unlock()
		n, err := conn.Read(b)
		if n > 0 || err == nil {
			return n, nil
		}
		if st, _ := r.State(); st == Closed {
			return 0, fmt.Errorf("port: read: %w", ErrClosed)
		}
		r.fail(conn, err)
	}
}

// Write writes to the device, or fails with ErrDisconnected while it is not
// connected; a failed write also starts a reconnection.
func (r *Reconnecting) Write(b []byte) (int, error) {
	r.mu.Lock()
	conn, state := r.conn, r.state
	r.mu.Unlock()
	switch {
	case state == Closed:
		return 0, fmt.Errorf("port: write: %w", ErrClosed)
	case conn == nil || state != Connected:
		return 0, fmt.Errorf("port: write: %w", ErrDisconnected)
	}
	n, err := conn.Write(b)
	if err != nil {
		r.fail(conn, err)
		return n, fmt.Errorf("port: write: %w: %w", ErrDisconnected, err)
	}
	return n, nil
}

// Close stops reconnecting and closes the device.
func (r *Reconnecting) Close() error {
	r.mu.Lock()
	if r.state == Closed {
		r.mu.Unlock()
		return nil
	}
	r.state = Closed
	r.cond.Broadcast()
	r.mu.Unlock()
	if r.notify != nil {
		r.notify(Closed, nil)
	}
	r.cancel()
	<-r.done
	return nil
}

// WaitState blocks until the state is s or ctx is done.
func (r *Reconnecting) WaitState(ctx context.Context, s State) error {
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	})
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.state != s {
		if ctx.Err() != nil {
			return fmt.Errorf("port: waiting for %s: %w", s, ctx.Err())
		}
		r.cond.Wait()
	}
	return nil
}
