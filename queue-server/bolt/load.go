package bolt

// Loading a centre's live state and reading its events.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// LoadCentres loads every centre's snapshot.
func (s *Store) LoadCentres() ([]queue.Snapshot, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCentres).ForEachBucket(func(k []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]queue.Snapshot, 0, len(ids))
	for _, id := range ids {
		snap, err := s.LoadCentre(id)
		if err != nil {
			return nil, err
		}
		out = append(out, snap)
	}
	return out, nil
}

// LoadCentre loads what a centre's live state needs: configuration, meta,
// counters, the tickets still open or of the latest day, numbering, stats,
// the webhooks not deleted.
func (s *Store) LoadCentre(id string) (queue.Snapshot, error) {
	var snap queue.Snapshot
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := centreBucket(tx, id, false)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(c.Bucket(bConfig).Get(kCentre), &snap.Config); err != nil {
			return fmt.Errorf("bolt: centre %s config: %w", id, err)
		}
		lg, err := centreLog(tx, id)
		if err != nil {
			return err
		}
		if raw := lg.Get(kMeta); raw != nil {
			if err := json.Unmarshal(raw, &snap.Meta); err != nil {
				return fmt.Errorf("bolt: centre %s meta: %w", id, err)
			}
		}
		if err := decodeAll(c.Bucket(bCounters), &snap.Counters); err != nil {
			return err
		}
		// The current day's tickets, open ones among them: a ticket still
		// open when its day ended was expired in the commit that started
		// the next day.
		if snap.Meta.Day != "" {
			ts, err := s.tickets(c, id, []byte(snap.Meta.Day+"/"), nil)
			if err != nil {
				return err
			}
			snap.Tickets = ts
		}
		if snap.Meta.Day != "" {
			bookings := c.Bucket(bBookings)
			cur := c.Bucket(bBDays).Cursor()
			for k, _ := cur.Seek([]byte(snap.Meta.Day)); k != nil; k, _ = cur.Next() {
				code := k[bytes.IndexByte(k, '/')+1:]
				var b queue.Booking
				if err := json.Unmarshal(bookings.Get(code), &b); err != nil {
					return fmt.Errorf("booking %s: %w", code, err)
				}
				snap.Bookings = append(snap.Bookings, b)
			}
		}
		if snap.Meta.Day != "" {
			d, _ := time.Parse(time.DateOnly, snap.Meta.Day)
			from := []byte(d.AddDate(0, 0, -1).Format(time.DateOnly))
			cur := c.Bucket(bBlocks).Cursor()
			for k, v := cur.Seek(from); k != nil; k, v = cur.Next() {
				var bl queue.NumberBlock
				if err := json.Unmarshal(v, &bl); err != nil {
					return fmt.Errorf("block %s: %w", k, err)
				}
				snap.Blocks = append(snap.Blocks, bl)
			}
		}
		if err := decodeAll(c.Bucket(bNoShows), &snap.NoShows); err != nil {
			return err
		}
		if snap.Webhooks, err = centreWebhooks(tx, id); err != nil {
			return err
		}
		snap.Numbers = map[string]int{}
		cur := lg.Cursor()
		for k, v := cur.Seek(kNum); k != nil && bytes.HasPrefix(k, kNum); k, v = cur.Next() {
			snap.Numbers[string(k[len(kNum):])] = int(binary.BigEndian.Uint32(v))
		}
		return decodeAll(c.Bucket(bStats), &snap.Stats)
	})
	return snap, err
}

// decodeAll appends every value of a bucket, decoded, to out.
func decodeAll[T any](b *bolt.Bucket, out *[]T) error {
	return b.ForEach(func(_, v []byte) error {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		*out = append(*out, x)
		return nil
	})
}

// Events returns up to limit events of a centre with seq > since, in order.
func (s *Store) Events(centre string, since uint64, limit int) ([]queue.Event, error) {
	var out []queue.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		lg, err := centreLog(tx, centre)
		if err != nil {
			return err
		}
		cur := lg.Cursor()
		for k, v := cur.Seek(u64(since + 1)); k != nil && isSeq(k) && len(out) < limit; k, v = cur.Next() {
			var e queue.Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("bolt: event %x: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
