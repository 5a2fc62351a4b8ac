package bolt

// The outbox: messages written by Commit with the changes that cause them,
// claimed and recorded by a sender (queue.Outbox); the contacts they are
// sent to and the centres' webhooks.
//
// A claim reads the due index (pending messages by NextAt, then id) from
// its start up to now, so it never scans the messages sent or given up;
// the leased ones among the due are skipped (a sender's batch in flight:
// few). One process holds the file, and a claim is one write transaction:
// two senders of the process never get the same message.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

var _ queue.Outbox = (*Store)(nil)

// nanos is an instant as 8 big-endian bytes of Unix nanoseconds, which
// sort as the instants do; the zero time (and any before 1970) is 0.
func nanos(t time.Time) []byte {
	var n uint64
	if !t.IsZero() && t.Unix() >= 0 {
		n = math.MaxInt64 // past 2262, where UnixNano overflows
		if t.Unix() < math.MaxInt64/int64(time.Second) {
			n = uint64(t.UnixNano())
		}
	}
	return binary.BigEndian.AppendUint64(nil, n)
}

func dueKey(m *queue.Message) []byte { return append(nanos(m.NextAt), m.ID...) }

// centrePrefix begins a centre's keys in an index of the outbox.
func centrePrefix(centre string) []byte { return append([]byte(centre), 0) }

func msgCentreKey(m *queue.Message) []byte {
	return append(append(centrePrefix(m.Centre), nanos(m.CreatedAt)...), m.ID...)
}

func contactExpKey(c *queue.Contact) []byte {
	return append(append(centrePrefix(c.Centre), nanos(c.Expires)...), c.Ref...)
}

// commitOutbox writes a centre's messages (a message already stored keeps
// its delivery state: the repeat is ignored), contacts (an empty one
// removes the ref's) and webhooks.
func commitOutbox(tx *bolt.Tx, ch *queue.Changes) error {
	if len(ch.Outbox) > 0 {
		msgs, due, byCentre := tx.Bucket(bMessages), tx.Bucket(bDue), tx.Bucket(bMsgCentre)
		for _, m := range ch.Outbox {
			if m.ID == "" {
				return errors.New("a message without an id")
			}
			if msgs.Get([]byte(m.ID)) != nil {
				continue
			}
			if m.Centre == "" {
				m.Centre = ch.Centre
			}
			if err := put(msgs, []byte(m.ID), m); err != nil {
				return err
			}
			if err := byCentre.Put(msgCentreKey(&m), nil); err != nil {
				return err
			}
			if m.Status == queue.MessagePending {
				if err := due.Put(dueKey(&m), nil); err != nil {
					return err
				}
			}
		}
	}
	if len(ch.Contacts) > 0 {
		contacts, exp := tx.Bucket(bContacts), tx.Bucket(bContactExp)
		for _, c := range ch.Contacts {
			if c.Ref == "" {
				return errors.New("a contact without a ref")
			}
			if c.Centre == "" {
				c.Centre = ch.Centre
			}
			if raw := contacts.Get([]byte(c.Ref)); raw != nil {
				var old queue.Contact
				if err := json.Unmarshal(raw, &old); err != nil {
					return fmt.Errorf("contact %s: %w", c.Ref, err)
				}
				if err := exp.Delete(contactExpKey(&old)); err != nil {
					return err
				}
			}
			if c.Empty() {
				if err := contacts.Delete([]byte(c.Ref)); err != nil {
					return err
				}
				continue
			}
			if err := put(contacts, []byte(c.Ref), c); err != nil {
				return err
			}
			if err := exp.Put(contactExpKey(&c), nil); err != nil {
				return err
			}
		}
	}
	for _, w := range ch.Webhooks {
		if w.ID == "" {
			return errors.New("a webhook without an id")
		}
		if w.Centre == "" {
			w.Centre = ch.Centre
		}
		if err := put(tx.Bucket(bWebhooks), []byte(w.ID), w); err != nil {
			return err
		}
	}
	return nil
}

// errNoClaim ends a claim that took nothing: rolled back, not synced.
var errNoClaim = errors.New("nothing to claim")

// ClaimMessages leases up to n pending messages due at now whose lease is
// not held, oldest NextAt first, until now+lease, in one transaction.
func (s *Store) ClaimMessages(now time.Time, lease time.Duration, n int) ([]queue.Message, error) {
	if n <= 0 {
		return nil, nil
	}
	var out []queue.Message
	until := nanos(now)
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		msgs := tx.Bucket(bMessages)
		var claimed [][]byte
		cur := tx.Bucket(bDue).Cursor()
		for k, _ := cur.First(); k != nil && len(out) < n && bytes.Compare(k[:8], until) <= 0; k, _ = cur.Next() {
			id := k[8:]
			raw := msgs.Get(id)
			if raw == nil {
				continue
			}
			var m queue.Message
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("bolt: message %s: %w", id, err)
			}
			if m.Status != queue.MessagePending || !m.LeaseUntil.Before(now) {
				continue
			}
			m.LeaseUntil = now.Add(lease)
			out = append(out, m)
			claimed = append(claimed, bytes.Clone(id))
		}
		if len(out) == 0 {
			return errNoClaim
		}
		for i := range out {
			if err := put(msgs, claimed[i], out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errNoClaim) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: claim messages: %w", err)
	}
	return out, nil
}

// SaveDelivery records the attempts on the messages and ends their
// leases, in one transaction; a message no longer stored is skipped.
func (s *Store) SaveDelivery(ms []queue.Message) error {
	if len(ms) == 0 {
		return nil
	}
	if err := s.Verify(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		msgs, due := tx.Bucket(bMessages), tx.Bucket(bDue)
		for i := range ms {
			m := &ms[i]
			raw := msgs.Get([]byte(m.ID))
			if raw == nil {
				continue
			}
			var old queue.Message
			if err := json.Unmarshal(raw, &old); err != nil {
				return fmt.Errorf("message %s: %w", m.ID, err)
			}
			if err := due.Delete(dueKey(&old)); err != nil {
				return err
			}
			old.Status, old.Attempts, old.NextAt, old.Via, old.Error, old.SentAt = m.Status, m.Attempts, m.NextAt, m.Via, m.Error, m.SentAt
			old.LeaseUntil = time.Time{}
			if err := put(msgs, []byte(old.ID), old); err != nil {
				return err
			}
			if old.Status == queue.MessagePending {
				if err := due.Put(dueKey(&old), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: save delivery: %w", err)
	}
	return nil
}

// Messages returns a centre's messages, newest first, at most limit, of
// a channel and a status when they are not empty.
func (s *Store) Messages(centre, channel, status string, limit int) ([]queue.Message, error) {
	var out []queue.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		idx, msgs := tx.Bucket(bMsgCentre), tx.Bucket(bMessages)
		if idx == nil {
			return nil // a file of before the outbox, read-only
		}
		prefix := centrePrefix(centre)
		cur := idx.Cursor()
		// The last key of the prefix: seek past it, step back.
		k, _ := cur.Seek(append(bytes.Clone(prefix[:len(prefix)-1]), 1))
		if k == nil {
			k, _ = cur.Last()
		} else {
			k, _ = cur.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = cur.Prev() {
			id := k[len(prefix)+8:]
			raw := msgs.Get(id)
			if raw == nil {
				continue
			}
			var m queue.Message
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("bolt: message %s: %w", id, err)
			}
			if channel != "" && m.Channel != channel || status != "" && m.Status != status {
				continue
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// Contact returns a ref's contact.
func (s *Store) Contact(ref string) (queue.Contact, error) {
	return oneIfAny[queue.Contact](s, bContacts, ref, "contact")
}

// Webhook returns a webhook by id, deleted ones too.
func (s *Store) Webhook(id string) (queue.Webhook, error) {
	return oneIfAny[queue.Webhook](s, bWebhooks, id, "webhook")
}

// Webhooks returns a centre's webhooks that are not deleted, by id.
func (s *Store) Webhooks(centre string) ([]queue.Webhook, error) {
	var out []queue.Webhook
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = centreWebhooks(tx, centre)
		return err
	})
	return out, err
}

// centreWebhooks reads a centre's webhooks that are not deleted, by id:
// there are few in all, read whole.
func centreWebhooks(tx *bolt.Tx, centre string) ([]queue.Webhook, error) {
	var out []queue.Webhook
	b := tx.Bucket(bWebhooks)
	if b == nil {
		return nil, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		var w queue.Webhook
		if err := json.Unmarshal(v, &w); err != nil {
			return fmt.Errorf("bolt: webhook %s: %w", k, err)
		}
		if w.Centre == centre && !w.Deleted {
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

// oneIfAny is one for a bucket a file read read-only may lack.
func oneIfAny[T any](s *Store, bucket []byte, key, what string) (T, error) {
	var x T
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		var raw []byte
		if b != nil {
			raw = b.Get([]byte(key))
		}
		if raw == nil {
			return notFound(what, key)
		}
		return json.Unmarshal(raw, &x)
	})
	return x, err
}

// purgeOutbox deletes a centre's contacts that expired before now and its
// messages created before keepFrom.
func purgeOutbox(tx *bolt.Tx, centre string, now, keepFrom time.Time) error {
	prefix := centrePrefix(centre)
	exp, contacts := tx.Bucket(bContactExp), tx.Bucket(bContacts)
	stale := keysBefore(exp, prefix, nanos(now))
	for _, k := range stale {
		if err := contacts.Delete(k[len(prefix)+8:]); err != nil {
			return err
		}
	}
	if err := deleteKeys(exp, stale); err != nil {
		return err
	}
	idx, msgs, due := tx.Bucket(bMsgCentre), tx.Bucket(bMessages), tx.Bucket(bDue)
	stale = keysBefore(idx, prefix, nanos(keepFrom))
	for _, k := range stale {
		id := k[len(prefix)+8:]
		if raw := msgs.Get(id); raw != nil {
			var m queue.Message
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("message %s: %w", id, err)
			}
			if err := due.Delete(dueKey(&m)); err != nil {
				return err
			}
		}
		if err := msgs.Delete(id); err != nil {
			return err
		}
	}
	return deleteKeys(idx, stale)
}

// keysBefore returns the keys of an index under prefix whose instant
// (the 8 bytes after the prefix) is before t.
func keysBefore(b *bolt.Bucket, prefix, t []byte) [][]byte {
	var out [][]byte
	cur := b.Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) >= len(prefix)+8; k, _ = cur.Next() {
		if bytes.Compare(k[len(prefix):len(prefix)+8], t) >= 0 {
			break
		}
		out = append(out, bytes.Clone(k))
	}
	return out
}
