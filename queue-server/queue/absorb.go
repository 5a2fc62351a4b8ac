package queue

import "time"

// Rev is the store's revision of the centre the live state reflects: the
// number of commits that changed it, counted by a store shared by several
// servers (0 for a store that only this process writes).
func (l *Live) Rev() uint64 { return l.rev }

// SetRev records that the live state now reflects the store's revision
// rev of the centre (after committing a change under that revision).
func (l *Live) SetRev(rev uint64) { l.rev = rev }

// Absorb applies changes that another server committed to this centre,
// as its own TakeChanges gave them, in the order of their revisions. The
// live state must have nothing of its own uncommitted. Afterwards it is
// what restoring the centre from the store would give: one server learns
// another's work from the store's change log without reloading the
// centre whole.
func (l *Live) Absorb(ch *Changes) {
	if ch.Config != nil {
		l.cfg = *ch.Config
		l.loc = l.cfg.Location()
	}
	if ch.Meta != nil {
		newDay := ch.Meta.Day > l.day
		l.meta = *ch.Meta
		if newDay {
			l.day = l.meta.Day
			for k := range l.numbers {
				if k < l.day {
					delete(l.numbers, k)
				}
			}
			defer l.forgetEarlierDays()
		}
	}
	for i := range ch.Tickets {
		t := ch.Tickets[i]
		if old, ok := l.tickets[t.ID]; ok && old.Key != "" && old.Key != t.Key {
			delete(l.byKey, old.Key)
		}
		l.tickets[t.ID] = &t
		if t.Key != "" {
			l.byKey[t.Key] = t.ID
		}
		l.watchTicket(&t)
	}
	for i := range ch.Webhooks {
		w := ch.Webhooks[i]
		if w.Deleted {
			l.dropHook(w.ID)
		} else {
			l.putHook(&w)
		}
	}
	for _, c := range ch.Counters {
		c := c
		l.counters[c.Number] = &c
	}
	for _, n := range ch.Removed {
		delete(l.counters, n)
	}
	for k, v := range ch.Numbers {
		if k >= l.day {
			l.numbers[k] = v
		}
	}
	for _, st := range ch.Stats {
		st := st
		l.stats[st.Service] = &st
	}
	for i := range ch.Bookings {
		b := ch.Bookings[i]
		if old, ok := l.bookings[b.Code]; ok && old.Status != BookingCancelled {
			l.slotTaken[slotKey(old.Service, old.Start)]--
		}
		l.addBooking(&b)
		if b.Status != BookingCancelled {
			l.slotTaken[slotKey(b.Service, b.Start)]++
		}
	}
	for _, ns := range ch.NoShows {
		l.noShows[ns.Key] = append(l.noShows[ns.Key], ns.At)
	}
	for i := range ch.Blocks {
		b := ch.Blocks[i]
		l.blocks[b.ID] = &b
	}
	if ch.Rev != 0 {
		l.rev = ch.Rev
	}
	l.version++
}

// forgetEarlierDays drops from memory what a new day leaves behind, as
// TakeChanges does after the server's own roll.
func (l *Live) forgetEarlierDays() {
	l.pruneBookings()
	yesterday := l.dayStart().AddDate(0, 0, -1).Format(time.DateOnly)
	for id, b := range l.blocks {
		if b.Day < yesterday {
			delete(l.blocks, id)
		}
	}
	for id, t := range l.tickets {
		if t.Day < l.day && !t.Open() {
			delete(l.tickets, id)
			if t.Key != "" {
				delete(l.byKey, t.Key)
			}
		}
	}
}
