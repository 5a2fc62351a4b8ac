package engine

import (
	"sync"
	"sync/atomic"

	"xephang/queue-server/queue"
)

// SubscriberBuffer is how many events a subscriber may lag behind before it
// is dropped. A dropped subscriber (a display on a bad link) reconnects with
// since=its last seq and loses nothing: events are replayed from the store.
const SubscriberBuffer = 256

// Hub fans committed events out to live subscribers. Publish never blocks:
// a subscriber whose buffer is full is dropped, so one slow display cannot
// slow the server or the others.
type Hub struct {
	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
	n    atomic.Int64
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[string]map[*Subscription]struct{}{}} }

// Subscription receives a centre's events until it is closed or dropped;
// then C is closed.
type Subscription struct {
	C       <-chan queue.Event
	c       chan queue.Event
	hub     *Hub
	centre  string
	dropped atomic.Bool
	closed  bool // guarded by hub.mu
}

// Subscribe starts receiving a centre's events.
func (h *Hub) Subscribe(centre string) *Subscription {
	c := make(chan queue.Event, SubscriberBuffer)
	s := &Subscription{C: c, c: c, hub: h, centre: centre}
	h.mu.Lock()
	if h.subs[centre] == nil {
		h.subs[centre] = map[*Subscription]struct{}{}
	}
	h.subs[centre][s] = struct{}{}
	h.mu.Unlock()
	h.n.Add(1)
	return s
}

// Dropped reports whether the hub dropped the subscriber for lagging.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Close stops the subscription.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s)
}

func (h *Hub) remove(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	delete(h.subs[s.centre], s)
	close(s.c)
	h.n.Add(-1)
}

// Publish delivers events to every subscriber of the centre.
func (h *Hub) Publish(centre string, events []queue.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[centre] {
		for _, e := range events {
			select {
			case s.c <- e:
			default:
				s.dropped.Store(true)
				h.remove(s)
			}
			if s.closed {
				break
			}
		}
	}
}

// Subscribers returns how many subscriptions are live.
func (h *Hub) Subscribers() int { return int(h.n.Load()) }
