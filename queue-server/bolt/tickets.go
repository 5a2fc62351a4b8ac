package bolt

// Reading tickets, from the tickets bucket or, pending, from their event.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// Ticket finds a ticket by id in any centre: the day its id carries names
// the key, and the few centres are asked in turn; ids that do not carry
// their day are indexed.
func (s *Store) Ticket(id string) (queue.Ticket, error) {
	var t queue.Ticket
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bIDs).Get([]byte(id)); v != nil {
			centre, key, _ := bytes.Cut(v, []byte{0})
			c, err := centreBucket(tx, string(centre), false)
			if err != nil {
				return err
			}
			return s.getTicket(c, key, &t)
		}
		if day, ok := queue.TicketDay(id); ok {
			key := ticketKey(day, id)
			cur := tx.Bucket(bCentres).Cursor()
			for k, v := cur.First(); k != nil; k, v = cur.Next() {
				if v != nil {
					continue
				}
				if raw := tx.Bucket(bCentres).Bucket(k).Bucket(bTickets).Get(key); raw != nil {
					return json.Unmarshal(raw, &t)
				}
			}
		}
		if p, ok := s.pending[id]; ok {
			var err error
			t, err = pendingTicket(tx, id, p)
			return err
		}
		return notFound("ticket", id)
	})
	return t, err
}

// getTicket reads the ticket at key, or from its issued event if pending.
// The caller holds s.mu.
func (s *Store) getTicket(c *bolt.Bucket, key []byte, t *queue.Ticket) error {
	if raw := c.Bucket(bTickets).Get(key); raw != nil {
		return json.Unmarshal(raw, t)
	}
	if _, id, ok := bytes.Cut(key, []byte("/")); ok {
		if p, ok := s.pending[string(id)]; ok {
			var err error
			*t, err = pendingTicket(c.Tx(), string(id), p)
			return err
		}
	}
	return fmt.Errorf("bolt: ticket %s is indexed but missing", key)
}

// TicketByKey finds the ticket issued with an idempotency key.
func (s *Store) TicketByKey(centre, key string) (queue.Ticket, error) {
	var t queue.Ticket
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.viewCentre(centre, func(c *bolt.Bucket) error {
		k := c.Bucket(bKeys).Get([]byte(key))
		if k == nil {
			return notFound("idempotency key", key)
		}
		return s.getTicket(c, k, &t)
	})
	return t, err
}

// Tickets returns a centre's tickets of one local day.
func (s *Store) Tickets(centre, day string) ([]queue.Ticket, error) {
	var out []queue.Ticket
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.viewCentre(centre, func(c *bolt.Bucket) error {
		prefix := []byte(day + "/")
		var err error
		out, err = s.tickets(c, centre, prefix, prefix)
		return err
	})
	return out, err
}

// tickets returns a centre's tickets with keys from from (inclusive) on
// that begin with prefix (nil: any), with the pending ones among them, in
// key order. The caller holds s.mu.
func (s *Store) tickets(c *bolt.Bucket, centre string, from, prefix []byte) ([]queue.Ticket, error) {
	var out []queue.Ticket
	seen := map[string]bool{}
	cur := c.Bucket(bTickets).Cursor()
	for k, v := cur.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		var t queue.Ticket
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, fmt.Errorf("bolt: ticket %s: %w", k, err)
		}
		out = append(out, t)
		seen[t.ID] = true
	}
	n := len(out)
	for id, p := range s.pending {
		k := ticketKey(p.day, id)
		if p.centre == centre && !seen[id] && bytes.Compare(k, from) >= 0 && bytes.HasPrefix(k, prefix) {
			t, err := pendingTicket(c.Tx(), id, p)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	if len(out) > n {
		sort.Slice(out, func(i, j int) bool {
			return out[i].Day < out[j].Day || out[i].Day == out[j].Day && out[i].ID < out[j].ID
		})
	}
	return out, nil
}
