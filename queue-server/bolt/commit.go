package bolt

// Commit: a batch written in one fsync'd transaction.

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// Commit writes the batch in one fsync'd transaction.
func (s *Store) Commit(b *queue.Batch) error {
	if b.Empty() {
		return nil
	}
	if err := s.Verify(); err != nil {
		// Written into a deleted or replaced file, it would be lost.
		return err
	}
	w := written{ids: s.ids, contactKeys: s.contactKeys}
	if hasMessages(b) {
		s.outMu.Lock()
		defer s.outMu.Unlock()
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := putAll(tx.Bucket(bUsers), b.Users, func(u queue.User) string { return u.Username }); err != nil {
			return err
		}
		if err := putAll(tx.Bucket(bSessions), b.Sessions, func(se queue.Session) string { return se.Hash }); err != nil {
			return err
		}
		if err := putAll(tx.Bucket(bKiosks), b.Kiosks, func(k queue.Kiosk) string { return k.ID }); err != nil {
			return err
		}
		if err := putAll(tx.Bucket(bEnroll), b.Enrollments, func(en queue.Enrollment) string { return en.Hash }); err != nil {
			return err
		}
		for _, h := range b.DeleteSessions {
			if err := tx.Bucket(bSessions).Delete([]byte(h)); err != nil {
				return err
			}
		}
		for _, ch := range b.Centres {
			if err := commitCentre(tx, ch, &w); err != nil {
				return fmt.Errorf("bolt: centre %s: %w", ch.Centre, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id := range w.newIDs {
		s.ids[id] = struct{}{}
	}
	for ref, k := range w.newContacts {
		if k == nil {
			delete(s.contactKeys, ref)
		} else {
			s.contactKeys[ref] = k
		}
	}
	if len(w.pending)+len(w.tickets) == 0 {
		return nil
	}
	s.mu.Lock()
	for _, id := range w.tickets {
		delete(s.pending, id)
	}
	for id, p := range w.pending {
		s.pending[id] = p
	}
	s.mu.Unlock()
	return nil
}

// hasMessages reports whether a batch writes messages to the outbox, or
// contacts.
func hasMessages(b *queue.Batch) bool {
	for _, ch := range b.Centres {
		if len(ch.Outbox) > 0 || len(ch.Contacts) > 0 {
			return true
		}
	}
	return false
}

// written is what a commit did with tickets: kept only in their issued
// event, or written to the tickets bucket; and the ids of the messages it
// wrote (newIDs), beside those stored before (ids, read only).
type written struct {
	pending map[string]pendingRef
	tickets []string
	ids     map[string]struct{}
	newIDs  map[string]bool
	// contactKeys are the contacts' keys before the commit (read only),
	// newContacts those it wrote (nil: removed).
	contactKeys map[string][]byte
	newContacts map[string][]byte
}

// contactKey returns where ref's contact is now, as far as this commit knows.
func (w *written) contactKey(ref string) []byte {
	if k, ok := w.newContacts[ref]; ok {
		return k
	}
	return w.contactKeys[ref]
}

func (w *written) setContact(ref string, k []byte) {
	if w.newContacts == nil {
		w.newContacts = map[string][]byte{}
	}
	w.newContacts[ref] = k
}

// commitCentre writes one centre's changes.
func commitCentre(tx *bolt.Tx, ch *queue.Changes, w *written) error {
	if ch.Empty() {
		return nil
	}
	c, err := centreBucket(tx, ch.Centre, ch.Config != nil)
	if err != nil {
		return err
	}
	if ch.Config != nil {
		if err := put(c.Bucket(bConfig), kCentre, ch.Config); err != nil {
			return err
		}
	}
	lg, err := centreLog(tx, ch.Centre)
	if err != nil {
		return err
	}
	if ch.Meta != nil {
		if err := putMeta(lg, ch.Meta); err != nil {
			return err
		}
	}
	if err := commitCounters(c, ch); err != nil {
		return err
	}
	state, err := commitTickets(tx, c, ch, w)
	if err != nil {
		return err
	}
	if err := commitLog(lg, ch, state, w); err != nil {
		return err
	}
	for _, st := range ch.Stats {
		if err := put(c.Bucket(bStats), []byte(st.Service), st); err != nil {
			return err
		}
	}
	if err := commitBookings(tx, c, ch); err != nil {
		return err
	}
	for _, bl := range ch.Blocks {
		if err := put(c.Bucket(bBlocks), []byte(bl.Day+"/"+bl.ID), bl); err != nil {
			return err
		}
	}
	if err := commitRecords(c, ch); err != nil {
		return err
	}
	return commitOutbox(tx, lg, ch, w)
}

// commitCounters writes the counters changed and deletes those removed.
func commitCounters(c *bolt.Bucket, ch *queue.Changes) error {
	for _, k := range ch.Counters {
		if err := put(c.Bucket(bCounters), u32(k.Number), k); err != nil {
			return err
		}
	}
	for _, n := range ch.Removed {
		if err := c.Bucket(bCounters).Delete(u32(n)); err != nil {
			return err
		}
	}
	return nil
}

// commitTickets writes the tickets changed, their idempotency keys and,
// for ids that do not tell their day, their index. A ticket issued in this
// commit that is still open on the current day is kept in its issued event
// only: it will be written when it changes (called, expired when the day
// ends...); those are returned by id, for commitLog.
func commitTickets(tx *bolt.Tx, c *bolt.Bucket, ch *queue.Changes, w *written) (map[string]*queue.Ticket, error) {
	day := ""
	if ch.Meta != nil {
		day = ch.Meta.Day
	}
	issued := map[string]bool{}
	for _, e := range ch.Events {
		if e.Type == queue.EventIssued && e.Ticket != nil {
			issued[e.Ticket.ID] = true
		}
	}
	var state map[string]*queue.Ticket
	var tickets, keys *bolt.Bucket // opened when needed: a new ticket needs neither
	for i := range ch.Tickets {
		t := &ch.Tickets[i]
		if t.ID == "" || t.Day == "" {
			return nil, fmt.Errorf("ticket %q of day %q: id and day are required", t.ID, t.Day)
		}
		key := ticketKey(t.Day, t.ID)
		if issued[t.ID] && t.Open() && t.Day == day {
			if state == nil {
				state = map[string]*queue.Ticket{}
			}
			state[t.ID] = t
		} else {
			if tickets == nil {
				tickets = c.Bucket(bTickets)
			}
			if err := put(tickets, key, t); err != nil {
				return nil, err
			}
			w.tickets = append(w.tickets, t.ID)
		}
		if d, _ := queue.TicketDay(t.ID); d != t.Day {
			// An id that does not tell its day: index it (rare).
			if err := tx.Bucket(bIDs).Put([]byte(t.ID), idsValue(ch.Centre, key)); err != nil {
				return nil, err
			}
		}
		if t.Key != "" {
			if keys == nil {
				keys = c.Bucket(bKeys)
			}
			if err := keys.Put([]byte(t.Key), key); err != nil {
				return nil, err
			}
		}
	}
	return state, nil
}

// commitLog appends the events to the centre's log, an issued event with
// its ticket's state when the ticket is kept there (state, by id), and
// writes the numbering.
func commitLog(lg *bolt.Bucket, ch *queue.Changes, state map[string]*queue.Ticket, w *written) error {
	lg.FillPercent = 1 // append-only: fill pages instead of leaving them half empty
	for _, e := range ch.Events {
		var v any = e
		if e.Type == queue.EventIssued && e.Ticket != nil && state[e.Ticket.ID] != nil {
			t := state[e.Ticket.ID]
			v = storedEvent{Event: e, State: t}
			if w.pending == nil {
				w.pending = map[string]pendingRef{}
			}
			w.pending[t.ID] = pendingRef{centre: ch.Centre, day: t.Day, seq: e.Seq}
		}
		if err := put(lg, u64(e.Seq), v); err != nil {
			return err
		}
	}
	for k, v := range ch.Numbers {
		if err := lg.Put(append(append(make([]byte, 0, len(kNum)+len(k)), kNum...), k...), u32(v)); err != nil {
			return err
		}
	}
	return nil
}

// commitBookings writes the bookings changed, moving a booking's entry in
// bdays when its day changed, and indexes their codes.
func commitBookings(tx *bolt.Tx, c *bolt.Bucket, ch *queue.Changes) error {
	for _, b := range ch.Bookings {
		code := []byte(b.Code)
		if prev := c.Bucket(bBookings).Get(code); prev != nil {
			var old queue.Booking
			if err := json.Unmarshal(prev, &old); err == nil && old.Day != b.Day {
				if err := c.Bucket(bBDays).Delete([]byte(old.Day + "/" + b.Code)); err != nil {
					return err
				}
			}
		}
		if err := put(c.Bucket(bBookings), code, b); err != nil {
			return err
		}
		if err := c.Bucket(bBDays).Put([]byte(b.Day+"/"+b.Code), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bCodes).Put(code, []byte(ch.Centre)); err != nil {
			return err
		}
	}
	return nil
}

// commitRecords appends the no-shows and audit records, each under its
// bucket's next sequence.
func commitRecords(c *bolt.Bucket, ch *queue.Changes) error {
	for _, ns := range ch.NoShows {
		seq, err := c.Bucket(bNoShows).NextSequence()
		if err != nil {
			return err
		}
		if err := put(c.Bucket(bNoShows), u64(seq), ns); err != nil {
			return err
		}
	}
	var audit *bolt.Bucket
	if len(ch.Audit) > 0 {
		audit = c.Bucket(bAudit)
	}
	for _, a := range ch.Audit {
		seq, err := audit.NextSequence()
		if err != nil {
			return err
		}
		if err := put(audit, u64(seq), a); err != nil {
			return err
		}
	}
	return nil
}

// putMeta writes a centre's meta in its log; when its day changes,
// numbering of earlier days is dropped (the live state keeps only the
// current day on).
func putMeta(lg *bolt.Bucket, m *queue.Meta) error {
	var old queue.Meta
	raw := lg.Get(kMeta)
	// Nearly every commit keeps the day: say so without decoding the old
	// meta ("day" is its only field of that name, written by put).
	same := m.Day != "" && raw != nil && bytes.Contains(raw, []byte(`"day":"`+m.Day+`"`))
	if raw != nil && !same {
		if err := json.Unmarshal(raw, &old); err != nil {
			return fmt.Errorf("meta: %w", err)
		}
	}
	if !same && m.Day != old.Day && m.Day != "" {
		if err := deleteBetween(lg, kNum, append(bytes.Clone(kNum), m.Day...)); err != nil {
			return err
		}
	}
	return put(lg, kMeta, m)
}
