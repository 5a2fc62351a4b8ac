package queue

import (
	"container/heap"
	"slices"
	"strings"
	"time"
)

// How estimates are made (documented in README, measured by the
// wait-estimate benchmark): the waiting tickets are put in calling order and
// dealt, one by one, to the counter that frees first among those serving
// their service, each taking the service's moving mean duration. A ticket's
// estimate is when its counter frees up. Counters serving a ticket now free
// up when its mean duration has passed since the call (at least
// minRemaining from now); paused counters are expected back pauseReturn
// after they paused; a service with no counter open is dealt to its
// configured counters as if they opened now.
const (
	minRemaining   = 30 * time.Second
	pauseReturn    = 10 * time.Minute
	estimateMaxAge = 15 * time.Second // estimates are recomputed at least this often
	estimateMinAge = time.Second      // and at most this often under load
	simulateMax    = 5000             // tickets dealt one by one; the rest extrapolated
)

type estimates struct {
	version uint64
	at      time.Time
	wait    map[string]time.Duration // ticket id → estimated wait from at
	pos     map[string]int           // ticket id → 1 + waiting tickets of its service ahead of it
	count   map[string]int           // service → waiting tickets
	extra   map[string]int           // service → tickets issued since the estimate
	sim     []*simCounter            // the counters after dealing: new tickets are dealt on
	resume  func(time.Time) time.Time
}

// tail is the wait a new walk-in of the service would have at e.at: when
// the first counter serving it frees up after the dealt tickets.
func (e *estimates) tail(service string) (time.Duration, *simCounter) {
	var best *simCounter
	for _, c := range e.sim {
		if slices.Contains(c.services, service) && (best == nil || c.free.Before(best.free)) {
			best = c
		}
	}
	if best == nil {
		return 0, nil // no counter serves it at all
	}
	return best.free.Sub(e.at), best
}

// deal puts a ticket issued after the estimate behind everyone, as the
// simulation would have, and returns its wait from e.at.
func (e *estimates) deal(service string, d time.Duration) time.Duration {
	w, c := e.tail(service)
	if c != nil {
		c.free = e.resume(c.free.Add(d))
	}
	return w
}

// ServiceQueue is one service's queue summary.
type ServiceQueue struct {
	Waiting       int           // tickets waiting
	EstimatedWait time.Duration // for a walk-in issued now
}

func (l *Live) mean(service string) time.Duration {
	return time.Duration(l.stat(service).Seconds * float64(time.Second))
}

type simCounter struct {
	free     time.Time
	services []string
	index    int
}

type counterHeap []*simCounter

func (h counterHeap) Len() int { return len(h) }
func (h counterHeap) Less(i, j int) bool {
	if !h[i].free.Equal(h[j].free) {
		return h[i].free.Before(h[j].free)
	}
	return h[i].index < h[j].index
}
func (h counterHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *counterHeap) Push(x any)   { *h = append(*h, x.(*simCounter)) }
func (h *counterHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// estimate returns the current estimates, recomputing them when the state
// changed (at most once a second) or they are old.
func (l *Live) estimate(now time.Time) *estimates {
	e := l.est
	if e != nil && !now.Before(e.at) {
		age := now.Sub(e.at)
		// A long line is dealt again less often (1 ms more per waiting
		// ticket): sorting tens of thousands on the engine's goroutine
		// every second would be everyone's latency, and new tickets are
		// dealt on from the last estimate meanwhile.
		minAge := estimateMinAge + time.Duration(len(e.wait))*time.Millisecond
		if age < minAge || (age < max(estimateMaxAge, minAge) && e.version == l.version) {
			return e
		}
	}
	l.est = l.simulate(now)
	return l.est
}

func (l *Live) simulate(now time.Time) *estimates {
	e := &estimates{
		version: l.version, at: now,
		wait: map[string]time.Duration{}, pos: map[string]int{},
		count: map[string]int{}, extra: map[string]int{},
		resume: l.servingFrom(now),
	}
	waiting := l.sortedWaiting(now)
	queues := map[string][]*Ticket{}
	for _, t := range waiting {
		queues[t.Service] = append(queues[t.Service], t)
		e.count[t.Service]++
		e.pos[t.ID] = e.count[t.Service]
	}

	// The counters taking part, and when each frees up.
	var h counterHeap
	covered := map[string]bool{}
	for i, k := range l.cfg.Counters {
		c := l.counters[k.Number]
		if c == nil || c.Status == CounterClosed {
			continue
		}
		free := now
		if c.Status == CounterPaused {
			free = later(now, c.Since.Add(pauseReturn))
		}
		if t, ok := l.tickets[c.Current]; ok && t.Status == StatusCalled && t.CalledAt != nil {
			free = later(free, later(now.Add(minRemaining), t.CalledAt.Add(l.mean(t.Service))))
		}
		h = append(h, &simCounter{free: e.resume(free), services: k.Services, index: i})
		for _, s := range k.Services {
			covered[s] = true
		}
	}
	for i, k := range l.cfg.Counters {
		c := l.counters[k.Number]
		if c != nil && c.Status != CounterClosed {
			continue
		}
		var missing []string
		for _, s := range k.Services {
			if !covered[s] {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			h = append(h, &simCounter{free: e.resume(now), services: missing, index: i})
		}
	}
	e.sim = slices.Clone(h)
	heap.Init(&h)

	dealt := 0
	heads := map[string]int{}
	for h.Len() > 0 && dealt < simulateMax {
		c := h[0]
		var best *Ticket
		for _, s := range c.services {
			q := queues[s]
			if heads[s] >= len(q) {
				continue
			}
			t := q[heads[s]]
			if best == nil || l.calledBefore(now, t, best) {
				best = t
			}
		}
		if best == nil {
			heap.Pop(&h)
			continue
		}
		heads[best.Service]++
		e.wait[best.ID] = c.free.Sub(now)
		c.free = e.resume(c.free.Add(l.mean(best.Service)))
		heap.Fix(&h, 0)
		dealt++
	}
	// Beyond simulateMax the rest are dealt service by service, which is
	// cheaper and, that far down a line, as good.
	for s, q := range queues {
		for _, t := range q[heads[s]:] {
			e.wait[t.ID] = e.deal(s, l.mean(s))
		}
	}
	return e
}

func (l *Live) calledBefore(now time.Time, a, b *Ticket) bool {
	ka, kb := l.class(a, now), l.class(b, now)
	if ka != kb {
		return ka < kb
	}
	return before(a, b)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Estimate returns a waiting ticket's position in its service's line
// (1 = next) and its estimated wait from now.
func (l *Live) Estimate(now time.Time, id string) (pos int, wait time.Duration, ok bool) {
	t, found := l.tickets[id]
	if !found || t.Status != StatusWaiting {
		return 0, 0, false
	}
	e := l.estimate(now)
	elapsed := now.Sub(e.at)
	w, ok := e.wait[id]
	if !ok && (t.IsPriority() || t.SlotStart != nil || t.OrderAt.Before(e.at)) {
		// Issued after the estimate and not at the back of the line: deal again.
		e = l.simulate(now)
		l.est = e
		elapsed = 0
		w, ok = e.wait[id]
	}
	if !ok { // issued after the estimate: behind its service's line
		n := e.extra[t.Service] + 1
		e.extra[t.Service] = n
		w = e.deal(t.Service, l.mean(t.Service))
		e.wait[id] = w
		e.pos[id] = e.count[t.Service] + n
	}
	if w -= elapsed; w < 0 {
		w = 0
	}
	return e.pos[id], w, true
}

// Queue summarises each service's line.
func (l *Live) Queue(now time.Time) map[string]ServiceQueue {
	e := l.estimate(now)
	waiting := map[string]int{}
	for _, t := range l.tickets {
		if t.Status == StatusWaiting {
			waiting[t.Service]++
		}
	}
	out := map[string]ServiceQueue{}
	for _, s := range l.cfg.Services {
		n := waiting[s.Code]
		w, _ := e.tail(s.Code)
		if w -= now.Sub(e.at); w < 0 {
			w = 0
		}
		out[s.Code] = ServiceQueue{Waiting: n, EstimatedWait: w}
	}
	return out
}

// servingFrom returns a function giving the first moment at or after t
// when counters serve: t itself inside opening hours, the end of the break
// t falls in, the opening when t is before it; t unchanged after closing or
// on a day without hours (the estimate then runs on, as staff usually
// finish the queue). The day's hours are parsed once per estimate.
func (l *Live) servingFrom(now time.Time) func(time.Time) time.Time {
	type span struct{ from, to int }
	days := map[int]struct {
		open, close int
		ok          bool
	}{}
	for _, h := range l.cfg.Hours {
		o, _ := ParseClock(h.Open)
		c, _ := ParseClock(h.Close)
		days[h.Weekday] = struct {
			open, close int
			ok          bool
		}{o, c, true}
	}
	var breaks []span
	for _, b := range l.cfg.Breaks {
		s, _ := ParseClock(b.Start)
		e, _ := ParseClock(b.End)
		breaks = append(breaks, span{s, e})
	}
	return func(t time.Time) time.Time {
		lt := t.In(l.loc)
		d, ok := days[int(lt.Weekday())]
		if !ok {
			return t
		}
		m := lt.Hour()*60 + lt.Minute()
		midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, l.loc)
		switch {
		case m < d.open:
			return midnight.Add(time.Duration(d.open) * time.Minute)
		case m >= d.close:
			return t
		}
		for _, b := range breaks {
			if m >= b.from && m < b.to {
				return midnight.Add(time.Duration(b.to) * time.Minute)
			}
		}
		return t
	}
}

// sortedWaiting returns the waiting tickets in calling order (strict
// rule), sorting on keys computed once per ticket: this runs on the
// engine's goroutine, so its cost is everyone's latency.
func (l *Live) sortedWaiting(now time.Time) []*Ticket {
	type keyed struct {
		class  int
		order  int64
		issued int64
		id     string
		ticket *Ticket
	}
	ks := make([]keyed, 0, len(l.tickets))
	for _, t := range l.tickets {
		if t.Status == StatusWaiting {
			ks = append(ks, keyed{l.class(t, now), t.OrderAt.UnixNano(), t.IssuedAt.UnixNano(), t.ID, t})
		}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		switch {
		case a.class != b.class:
			return a.class - b.class
		case a.order != b.order:
			return cmpInt64(a.order, b.order)
		case a.issued != b.issued:
			return cmpInt64(a.issued, b.issued)
		}
		return strings.Compare(a.id, b.id)
	})
	out := make([]*Ticket, len(ks))
	for i, k := range ks {
		out[i] = k.ticket
	}
	return out
}

func cmpInt64(a, b int64) int {
	if a < b {
		return -1
	}
	return 1
}
