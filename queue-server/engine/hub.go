package engine

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"xephang/queue-server/queue"
)

// SubscriberBuffer is how many events a subscriber may lag behind before it
// is dropped. A dropped subscriber (a display on a bad link) reconnects with
// since=its last seq and loses nothing: events are replayed from the store.
// 64 covers a burst of calls at every counter of a large centre; the
// buffer is per display, so it is kept small (1,000 displays).
const SubscriberBuffer = 64

// Message is an event with its JSON, encoded once for every subscriber.
type Message struct {
	Event queue.Event
	JSON  []byte
}

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
	C       <-chan Message
	c       chan Message
	hub     *Hub
	centre  string
	dropped atomic.Bool
	closed  bool // guarded by hub.mu
}

// Subscribe starts receiving a centre's events.
func (h *Hub) Subscribe(centre string) *Subscription {
	c := make(chan Message, SubscriberBuffer)
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
	if len(h.subs[centre]) == 0 {
		return
	}
	msgs := make([]Message, len(events))
	for i, e := range events {
		raw, _ := json.Marshal(e) // plain data: cannot fail
		msgs[i] = Message{Event: e, JSON: raw}
	}
	for s := range h.subs[centre] {
		for _, m := range msgs {
			select {
			case s.c <- m:
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
