package bolt

// Purge: personal data and old events erased past retention.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// Purge erases personal data past retention, in one transaction: with
// the bookings', events', no-shows' and sessions' (see queue.Store), the
// centre's contacts expired at now and its messages older than
// queue.MessageKeepDays.
func (s *Store) Purge(centre, bookingsBefore string, noShowsBefore, now time.Time) (int, error) {
	n := 0
	var gone []string         // the ids of the messages deleted
	var goneContacts []string // the refs of the contacts deleted
	s.outMu.Lock()
	defer s.outMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		gone, goneContacts = gone[:0], goneContacts[:0]
		c, err := centreBucket(tx, centre, false)
		if err != nil {
			return err
		}
		bookings := c.Bucket(bBookings)
		cur := c.Bucket(bBDays).Cursor()
		from := c.Get(kPurged)
		var k []byte
		if from != nil {
			k, _ = cur.Seek(from)
		} else {
			k, _ = cur.First()
		}
		for ; k != nil && string(k) < bookingsBefore; k, _ = cur.Next() {
			code := k[bytes.IndexByte(k, '/')+1:]
			var b queue.Booking
			if err := json.Unmarshal(bookings.Get(code), &b); err != nil {
				return fmt.Errorf("booking %s: %w", code, err)
			}
			if b.Purged {
				continue
			}
			b.Citizen = queue.Citizen{}
			b.Purged = true
			if err := put(bookings, code, b); err != nil {
				return err
			}
			n++
		}
		if err := c.Put(kPurged, []byte(bookingsBefore)); err != nil {
			return err
		}
		if err := purgeEvents(tx, c, centre, bookingsBefore); err != nil {
			return err
		}
		err = deleteWhere(c.Bucket(bNoShows), func(v []byte) (bool, error) {
			var rec queue.NoShow
			if err := json.Unmarshal(v, &rec); err != nil {
				return false, err
			}
			return rec.At.Before(noShowsBefore), nil
		})
		if err != nil {
			return err
		}
		lg, err := centreLog(tx, centre)
		if err != nil {
			return err
		}
		if err := purgeOutbox(tx, lg, centre, now, now.Add(-queue.MessageKeepDays*24*time.Hour), &gone, &goneContacts); err != nil {
			return err
		}
		return deleteWhere(tx.Bucket(bSessions), func(v []byte) (bool, error) {
			var se queue.Session
			return json.Unmarshal(v, &se) == nil && !now.Before(se.Expires), nil
		})
	})
	if err == nil {
		for _, id := range gone {
			delete(s.ids, id)
		}
		for _, ref := range goneContacts {
			delete(s.contactKeys, ref)
		}
	}
	return n, err
}

// purgeEventsMax bounds the events one Purge deletes: it runs in the
// engine's loop, so a long backlog (a store from before events were
// purged) drains over a few runs instead of stalling the clerks once.
const purgeEventsMax = 20_000

// purgeEvents deletes a centre's events of local days before day, never
// one of the current day (a ticket may live in its issued event).
func purgeEvents(tx *bolt.Tx, c *bolt.Bucket, centre, day string) error {
	lg, err := centreLog(tx, centre)
	if err != nil {
		return err
	}
	var cfg queue.Centre
	if err := json.Unmarshal(c.Bucket(bConfig).Get(kCentre), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cutoff, err := time.ParseInLocation(time.DateOnly, day, cfg.Location())
	if err != nil {
		return fmt.Errorf("purge day %q: %w", day, err)
	}
	var meta queue.Meta
	if raw := lg.Get(kMeta); raw != nil {
		if err := json.Unmarshal(raw, &meta); err != nil {
			return fmt.Errorf("meta: %w", err)
		}
	}
	var stale [][]byte
	cur := lg.Cursor()
	for k, v := cur.First(); k != nil && isSeq(k) && len(stale) < purgeEventsMax; k, v = cur.Next() {
		var e struct {
			At time.Time `json:"at"`
		}
		if binary.BigEndian.Uint64(k) > meta.DaySeq {
			break
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("event %x: %w", k, err)
		}
		if !e.At.Before(cutoff) {
			break
		}
		stale = append(stale, bytes.Clone(k))
	}
	return deleteKeys(lg, stale)
}
