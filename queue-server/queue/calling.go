package queue

import (
	"slices"
	"time"
)

// Classes of the calling rule, called in this order.
const (
	classPriority = iota // a legal priority group
	classBooked          // a booking whose slot has started
	classOther           // walk-ins, and bookings before their slot
)

// A priority claimed at a kiosk and not yet confirmed (PriorityPending) is
// called as priority: the law owes these citizens priority, and nobody can
// check their proof before the counter sees them; at the counter the
// clerk confirms it, or downgrades it and the ticket waits again by its
// issue time, so a false claim gains nothing.
func (l *Live) class(t *Ticket, now time.Time) int {
	switch {
	case t.IsPriority():
		return classPriority
	case t.SlotStart != nil && !now.Before(*t.SlotStart):
		return classBooked
	}
	return classOther
}

// before orders two waiting tickets of the same class: the earliest first
// (issue time, or slot start for bookings, kept across transfers), then by
// issue time and id so the order is total and stable.
func before(a, b *Ticket) bool {
	if !a.OrderAt.Equal(b.OrderAt) {
		return a.OrderAt.Before(b.OrderAt)
	}
	if !a.IssuedAt.Equal(b.IssuedAt) {
		return a.IssuedAt.Before(b.IssuedAt)
	}
	return a.ID < b.ID
}

// pick chooses the next ticket for a counter serving services, by the
// calling rule: legal priority first, then bookings whose slot has started,
// then the rest; earliest first within a class. In interleave mode a
// priority ticket is called after every PriorityEvery others instead.
func (l *Live) pick(now time.Time, services []string) *Ticket {
	var best [3]*Ticket
	for _, t := range l.tickets {
		if t.Status != StatusWaiting || !slices.Contains(services, t.Service) {
			continue
		}
		k := l.class(t, now)
		if best[k] == nil || before(t, best[k]) {
			best[k] = t
		}
	}
	order := []int{classPriority, classBooked, classOther}
	if l.cfg.Rules.PriorityMode == PriorityInterleave && l.meta.SincePriority < l.cfg.Rules.PriorityEvery {
		order = []int{classBooked, classOther, classPriority}
	}
	for _, k := range order {
		if best[k] != nil {
			return best[k]
		}
	}
	return nil
}

// sortKey orders waiting tickets by the calling rule in strict mode.
func (l *Live) callOrder(now time.Time, ts []*Ticket) {
	slices.SortFunc(ts, func(a, b *Ticket) int {
		ka, kb := l.class(a, now), l.class(b, now)
		switch {
		case ka != kb:
			return ka - kb
		case before(a, b):
			return -1
		case before(b, a):
			return 1
		}
		return 0
	})
}
