package bolt

// Reading the store whole, read-only, for `queue-server copy`: every
// centre's tickets of every day, events, bookings, audit, no-shows, number
// blocks, messages, contacts and webhooks, in a fixed order, and the
// sessions and key fingerprints.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// OpenReadOnly opens the store in dir without writing anything, to read it
// whole: the file is checked as Check does, opened read-only (a server
// holding it makes this fail instead of waiting), and never migrated, so
// it must already have this program's schema. Commit fails on it.
func OpenReadOnly(dir string) (*Store, error) {
	path := filepath.Join(dir, FileName)
	if _, err := Check(dir); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) || errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("bolt: %s is in use by another process (stop the server first)", path)
		}
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, pending: map[string]pendingRef{}, ids: map[string]struct{}{}, contactKeys: map[string][]byte{}}
	if fi, err := os.Stat(path); err == nil {
		s.id, _ = statID(fi)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bUsers, bSessions, bIDs, bCentres, bCodes, bKiosks, bEnroll} {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("bolt: %s: bucket %q is missing: not a store written by queue-server", path, b)
			}
		}
		raw := tx.Bucket(bMeta).Get(kSchema)
		if v, err := strconv.Atoi(string(raw)); err != nil || v != SchemaVersion {
			return fmt.Errorf("bolt: %s has schema %q, not %d: start queue-server on it once (it migrates the file) before reading it read-only", path, raw, SchemaVersion)
		}
		return nil
	})
	if err == nil {
		err = s.loadContactKeys()
	}
	if err == nil {
		err = s.loadPending()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// CentreIDs returns the ids of the stored centres, in order.
func (s *Store) CentreIDs() ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCentres).ForEachBucket(func(k []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	return ids, err
}

// ForEachTicket calls fn with every ticket of a centre, of every day, in
// the order of their day then id, as Ticket returns them (a ticket kept
// only in its issued event is read from it).
func (s *Store) ForEachTicket(centre string, fn func(queue.Ticket) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.viewCentre(centre, func(c *bolt.Bucket) error {
		// The pending ones (all of the current day) are few: merged in
		// key order with the bucket's.
		var pending []queue.Ticket
		for id, p := range s.pending {
			if p.centre != centre || c.Bucket(bTickets).Get(ticketKey(p.day, id)) != nil {
				continue
			}
			t, err := pendingTicket(c.Tx(), id, p)
			if err != nil {
				return err
			}
			pending = append(pending, t)
		}
		sort.Slice(pending, func(i, j int) bool { return ticketBefore(pending[i], pending[j]) })
		cur := c.Bucket(bTickets).Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			var t queue.Ticket
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("bolt: ticket %s: %w", k, err)
			}
			for len(pending) > 0 && ticketBefore(pending[0], t) {
				if err := fn(pending[0]); err != nil {
					return err
				}
				pending = pending[1:]
			}
			if err := fn(t); err != nil {
				return err
			}
		}
		for _, t := range pending {
			if err := fn(t); err != nil {
				return err
			}
		}
		return nil
	})
}

// ticketBefore is the order of the tickets bucket: day, then id.
func ticketBefore(a, b queue.Ticket) bool {
	return a.Day < b.Day || a.Day == b.Day && a.ID < b.ID
}

// ForEachEvent calls fn with every event of a centre still kept, in seq
// order, as Events returns them.
func (s *Store) ForEachEvent(centre string, fn func(queue.Event) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		lg, err := centreLog(tx, centre)
		if err != nil {
			return err
		}
		cur := lg.Cursor()
		for k, v := cur.Seek(u64(0)); k != nil && isSeq(k); k, v = cur.Next() {
			var e queue.Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("bolt: event %x: %w", k, err)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForEachBooking calls fn with every booking of a centre, by code.
func (s *Store) ForEachBooking(centre string, fn func(queue.Booking) error) error {
	return forEachIn(s, centre, bBookings, fn)
}

// ForEachAudit calls fn with every audit record of a centre, oldest first.
func (s *Store) ForEachAudit(centre string, fn func(queue.Audit) error) error {
	return forEachIn(s, centre, bAudit, fn)
}

// ForEachNoShow calls fn with every no-show record of a centre, in the
// order they were recorded.
func (s *Store) ForEachNoShow(centre string, fn func(queue.NoShow) error) error {
	return forEachIn(s, centre, bNoShows, fn)
}

// ForEachBlock calls fn with every number block of a centre, by day then id.
func (s *Store) ForEachBlock(centre string, fn func(queue.NumberBlock) error) error {
	return forEachIn(s, centre, bBlocks, fn)
}

// forEachIn calls fn with every value of a centre's bucket, decoded, in
// key order.
func forEachIn[T any](s *Store, centre string, bucket []byte, fn func(T) error) error {
	return s.viewCentre(centre, func(c *bolt.Bucket) error {
		return c.Bucket(bucket).ForEach(func(k, v []byte) error {
			var x T
			if err := json.Unmarshal(v, &x); err != nil {
				return fmt.Errorf("bolt: centre %s: %s %x: %w", centre, bucket, k, err)
			}
			return fn(x)
		})
	})
}

// ForEachSession calls fn with every stored session (expired ones that
// no purge erased yet among them), by hash.
func (s *Store) ForEachSession(fn func(queue.Session) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
			var se queue.Session
			if err := json.Unmarshal(v, &se); err != nil {
				return fmt.Errorf("bolt: session: %w", err)
			}
			return fn(se)
		})
	})
}

// KeyIDs returns the fingerprints of the keys recorded (SetKeyID), by name.
func (s *Store) KeyIDs() (map[string]string, error) {
	ids := map[string]string{}
	prefix := []byte("keyid:")
	err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bMeta).Cursor()
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			ids[strings.TrimPrefix(string(k), string(prefix))] = string(v)
		}
		return nil
	})
	return ids, err
}

// ForEachMessage calls fn with every message of a centre still kept,
// oldest first.
func (s *Store) ForEachMessage(centre string, fn func(queue.Message) error) error {
	return forEachOutbox(s, centre, kOutMsg, fn)
}

// ForEachContact calls fn with every contact of a centre, by ref.
func (s *Store) ForEachContact(centre string, fn func(queue.Contact) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bContacts)
		if b == nil {
			return nil
		}
		return eachUnder(b, nil, func(_ []byte, c queue.Contact) error {
			if c.Centre != centre {
				return nil
			}
			return fn(c)
		})
	})
}

// ForEachWebhook calls fn with every webhook of a centre, deleted ones
// too, by id.
func (s *Store) ForEachWebhook(centre string, fn func(queue.Webhook) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return forEachWebhook(tx, centre, fn) })
}

// forEachOutbox calls fn with the values under prefix of a centre's log,
// decoded, in key order.
func forEachOutbox[T any](s *Store, centre string, prefix []byte, fn func(T) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		lg, err := centreLog(tx, centre)
		if err != nil {
			return err
		}
		err = eachUnder(lg, prefix, func(_ []byte, x T) error { return fn(x) })
		if err != nil {
			return fmt.Errorf("bolt: centre %s: %w", centre, err)
		}
		return nil
	})
}
