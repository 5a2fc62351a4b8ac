package queue

import (
	"sort"
	"time"
)

// Ticket returns a live ticket (open, or of the current day).
func (l *Live) Ticket(id string) (Ticket, bool) {
	t, ok := l.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return *t, true
}

// Counters returns every counter's state, by number.
func (l *Live) Counters() []Counter {
	out := make([]Counter, 0, len(l.counters))
	for _, c := range l.counters {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Waiting returns the waiting tickets in calling order (strict rule).
func (l *Live) Waiting(now time.Time) []Ticket {
	var ws []*Ticket
	for _, t := range l.tickets {
		if t.Status == StatusWaiting {
			ws = append(ws, t)
		}
	}
	l.callOrder(now, ws)
	out := make([]Ticket, len(ws))
	for i, t := range ws {
		out[i] = *t
	}
	return out
}

// Today returns the tickets of the current local day, by issue time.
func (l *Live) Today() []Ticket {
	var ts []*Ticket
	for _, t := range l.tickets {
		if t.Day == l.day {
			ts = append(ts, t)
		}
	}
	sortTickets(ts)
	out := make([]Ticket, len(ts))
	for i, t := range ts {
		out[i] = *t
	}
	return out
}

// Stats returns the moving service-time estimates, by service code.
func (l *Live) Stats() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range l.cfg.Services {
		out[s.Code] = l.mean(s.Code)
	}
	return out
}
