package bolt

// The outbox: messages written by Commit with the changes that cause them,
// claimed and recorded by a sender (queue.Outbox); the contacts they are
// sent to and the centres' webhooks.
//
// A centre's messages live in its log bucket, under keys that sort after
// the numbering (see the package comment): a commit already rewrites that
// bucket's branch pages, and a new message is appended after the newest
// one, its key beginning with its creation time. So the messages of a
// round's tickets share a few pages instead of landing one a page: 25
// tickets and 25 webhook messages in one commit write 16 pages, against
// 8 for the tickets alone and 45 with an index by id in the file
// (BenchmarkCommitRound25Notified). A message is stored once by id: the
// store keeps the ids in memory (Store.ids, rebuilt at open from the
// keys, about 80 bytes a message kept), and a commit that writes messages
// checks them under outMu. SaveDelivery finds a message by its creation
// time and id, as a claim gave it.
//
// The due messages (pending, by NextAt then id) are a second region: a
// claim reads it from the start up to now, so it never scans the messages
// sent or given up; the leased ones among the due are skipped (a sender's
// batch in flight: few). One process holds the file, and a claim is one
// write transaction: two senders of the process never get the same
// message. Contacts (one a notified ticket or booking) and webhooks (a
// few a centre) are top-level buckets, by ref and by id.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

var _ queue.Outbox = (*Store)(nil)

// The outbox's keys in a centre's log: after "num/", so that they never
// come between the newest events, the meta and the numbering.
var (
	kOutMsg = []byte("om/") // + CreatedAt (8) + id → Message
	kOutDue = []byte("od/") // + NextAt (8) + id → CreatedAt (8): the pending messages
)

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

// key joins a prefix and parts into a new key.
func key(prefix []byte, parts ...[]byte) []byte {
	k := bytes.Clone(prefix)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func msgKey(created []byte, id string) []byte { return key(kOutMsg, created, []byte(id)) }
func dueKey(m *queue.Message) []byte          { return key(kOutDue, nanos(m.NextAt), []byte(m.ID)) }

// prefixEnd is the first key after every key that begins with prefix.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	end[len(end)-1]++
	return end
}

// commitOutbox writes a centre's messages (an id already stored keeps its
// message and delivery state: the repeat is ignored), contacts (an empty
// one removes the ref's) and webhooks.
func commitOutbox(tx *bolt.Tx, lg *bolt.Bucket, ch *queue.Changes, w *written) error {
	contacts := tx.Bucket(bContacts)
	for _, m := range ch.Outbox {
		if m.ID == "" {
			return errors.New("a message without an id")
		}
		if err := queue.OfCentre(&m.Centre, ch.Centre, "message "+m.ID); err != nil {
			return err
		}
		if _, ok := w.ids[m.ID]; ok || w.newIDs[m.ID] {
			continue // committed again: the stored one keeps its delivery state
		}
		created := nanos(m.CreatedAt)
		if err := put(lg, msgKey(created, m.ID), m); err != nil {
			return err
		}
		if w.newIDs == nil {
			w.newIDs = map[string]bool{}
		}
		w.newIDs[m.ID] = true
		if m.Status == queue.MessagePending {
			if err := lg.Put(dueKey(&m), created); err != nil {
				return err
			}
		}
	}
	for _, c := range ch.Contacts {
		if c.Ref == "" {
			return errors.New("a contact without a ref")
		}
		if err := queue.OfCentre(&c.Centre, ch.Centre, "contact "+c.Ref); err != nil {
			return err
		}
		if old := w.contactKey(c.Ref); old != nil {
			if err := contacts.Delete(old); err != nil {
				return err
			}
		}
		if c.Empty() {
			w.setContact(c.Ref, nil)
			continue
		}
		k := contactKey(c)
		if err := put(contacts, k, c); err != nil {
			return err
		}
		w.setContact(c.Ref, k)
	}
	for _, h := range ch.Webhooks {
		if h.ID == "" {
			return errors.New("a webhook without an id")
		}
		if err := queue.OfCentre(&h.Centre, ch.Centre, "webhook "+h.ID); err != nil {
			return err
		}
		if err := put(tx.Bucket(bWebhooks), []byte(h.ID), h); err != nil {
			return err
		}
	}
	return nil
}

// errNoClaim ends a claim that took nothing: rolled back, not synced.
var errNoClaim = errors.New("nothing to claim")

// claimed is a message a claim may take, and where it is.
type claimed struct {
	m   queue.Message
	lg  *bolt.Bucket
	key []byte
}

// ClaimMessages leases up to n pending messages due at now whose lease is
// not held, oldest NextAt first (then by id), until now+lease, in one
// transaction.
func (s *Store) ClaimMessages(now time.Time, lease time.Duration, n int) ([]queue.Message, error) {
	if n <= 0 {
		return nil, nil
	}
	if err := s.Verify(); err != nil {
		// Its leases would be lost, and so would the deliveries: send
		// nothing until the file is restored.
		return nil, err
	}
	var out []queue.Message
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = nil
		var all []claimed
		for id, until := range s.leases {
			if until.Before(now) {
				delete(s.leases, id)
			}
		}
		err := forEachLog(tx, func(_ string, lg *bolt.Bucket) error {
			cs, err := dueIn(lg, now, n, s.leases)
			all = append(all, cs...)
			return err
		})
		if err != nil {
			return err
		}
		if len(all) == 0 {
			return errNoClaim
		}
		sort.Slice(all, func(i, j int) bool {
			a, b := &all[i].m, &all[j].m
			return a.NextAt.Before(b.NextAt) || a.NextAt.Equal(b.NextAt) && a.ID < b.ID
		})
		for _, c := range all[:min(n, len(all))] {
			c.m.LeaseUntil = now.Add(lease)
			s.leases[c.m.ID] = c.m.LeaseUntil
			if err := put(c.lg, c.key, c.m); err != nil {
				return err
			}
			out = append(out, c.m)
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

// dueIn returns up to n of a centre's messages due at now whose lease is
// not held, in the order of the due keys. The leases held are this
// process's (leases): one process opens a bbolt file, so a lease written
// by one killed before it saved its deliveries binds no one, and its
// messages go out at once after the restart rather than when it ends.
func dueIn(lg *bolt.Bucket, now time.Time, n int, leases map[string]time.Time) ([]claimed, error) {
	var out []claimed
	until := key(kOutDue, nanos(now))
	cur := lg.Cursor()
	for k, created := cur.Seek(kOutDue); k != nil && bytes.HasPrefix(k, kOutDue) && len(out) < n; k, created = cur.Next() {
		if bytes.Compare(k[:len(until)], until) > 0 {
			break
		}
		id := k[len(until):]
		mk := key(kOutMsg, created, id)
		raw := lg.Get(mk)
		if raw == nil {
			continue
		}
		var m queue.Message
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("message %s: %w", id, err)
		}
		if until, held := leases[m.ID]; m.Status != queue.MessagePending || held && !until.Before(now) {
			continue
		}
		out = append(out, claimed{m: m, lg: lg, key: mk})
	}
	return out, nil
}

// forEachLog calls fn with each centre's id and log bucket.
func forEachLog(tx *bolt.Tx, fn func(centre string, lg *bolt.Bucket) error) error {
	var ids []string
	err := tx.Bucket(bCentres).ForEachBucket(func(k []byte) error {
		ids = append(ids, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if lg := tx.Bucket(logName(id)); lg != nil {
			if err := fn(id, lg); err != nil {
				return err
			}
		}
	}
	return nil
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
		for i := range ms {
			m := &ms[i]
			lg := tx.Bucket(logName(m.Centre))
			if lg == nil {
				continue
			}
			mk := msgKey(nanos(m.CreatedAt), m.ID)
			raw := lg.Get(mk)
			if raw == nil {
				continue
			}
			var old queue.Message
			if err := json.Unmarshal(raw, &old); err != nil {
				return fmt.Errorf("message %s: %w", m.ID, err)
			}
			if err := lg.Delete(dueKey(&old)); err != nil {
				return err
			}
			old.Status, old.Attempts, old.NextAt, old.Via, old.Error, old.SentAt = m.Status, m.Attempts, m.NextAt, m.Via, m.Error, m.SentAt
			old.LeaseUntil = time.Time{}
			delete(s.leases, m.ID)
			if err := put(lg, mk, old); err != nil {
				return err
			}
			if old.Status == queue.MessagePending {
				if err := lg.Put(dueKey(&old), bytes.Clone(mk[len(kOutMsg):len(kOutMsg)+8])); err != nil {
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
		lg := tx.Bucket(logName(centre))
		if lg == nil || limit <= 0 {
			return nil
		}
		cur := lg.Cursor()
		k, v := cur.Seek(prefixEnd(kOutMsg))
		if k == nil {
			k, v = cur.Last()
		} else {
			k, v = cur.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, kOutMsg) && len(out) < limit; k, v = cur.Prev() {
			var m queue.Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("bolt: message %x: %w", k, err)
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

// contactKey is where a contact is kept: its consent time, then its ref.
func contactKey(c queue.Contact) []byte { return append(nanos(c.ConsentAt), c.Ref...) }

// Contact returns a ref's contact.
func (s *Store) Contact(ref string) (queue.Contact, error) {
	s.outMu.Lock()
	k := s.contactKeys[ref]
	s.outMu.Unlock()
	if k == nil {
		return queue.Contact{}, notFound("contact", ref)
	}
	c, err := oneIfAny[queue.Contact](s, bContacts, string(k), "contact")
	if queue.ErrorCode(err) == queue.ENotFound {
		return c, notFound("contact", ref)
	}
	return c, err
}

// loadContactKeys finds where each ref's contact is (s.contactKeys).
func (s *Store) loadContactKeys() error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bContacts)
		if b == nil {
			return nil // a file from before the outbox, read only: none
		}
		return b.ForEach(func(k, v []byte) error {
			var c queue.Contact
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("bolt: contact %x: %w", k, err)
			}
			s.contactKeys[c.Ref] = bytes.Clone(k)
			return nil
		})
	})
}

// Webhook returns a webhook by id, deleted ones too.
func (s *Store) Webhook(id string) (queue.Webhook, error) {
	return oneIfAny[queue.Webhook](s, bWebhooks, id, "webhook")
}

// oneIfAny is one (records.go) for a bucket that a file of before the
// outbox, read read-only, lacks.
func oneIfAny[T any](s *Store, bucket []byte, key, what string) (T, error) {
	var x T
	err := s.db.View(func(tx *bolt.Tx) error {
		var raw []byte
		if b := tx.Bucket(bucket); b != nil {
			raw = b.Get([]byte(key))
		}
		if raw == nil {
			return notFound(what, key)
		}
		return json.Unmarshal(raw, &x)
	})
	return x, err
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
// there are few in all (at most queue.MaxWebhooks a centre), read whole.
func centreWebhooks(tx *bolt.Tx, centre string) ([]queue.Webhook, error) {
	var out []queue.Webhook
	err := forEachWebhook(tx, centre, func(w queue.Webhook) error {
		if !w.Deleted {
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

// forEachWebhook calls fn with each webhook of a centre, by id.
func forEachWebhook(tx *bolt.Tx, centre string, fn func(queue.Webhook) error) error {
	b := tx.Bucket(bWebhooks)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var w queue.Webhook
		if err := json.Unmarshal(v, &w); err != nil {
			return fmt.Errorf("bolt: webhook %s: %w", k, err)
		}
		if w.Centre != centre {
			return nil
		}
		return fn(w)
	})
}

// loadIDs finds the ids of the messages stored (s.ids), from their keys.
func (s *Store) loadIDs() error {
	return s.db.View(func(tx *bolt.Tx) error {
		return forEachLog(tx, func(_ string, lg *bolt.Bucket) error {
			cur := lg.Cursor()
			for k, _ := cur.Seek(kOutMsg); k != nil && bytes.HasPrefix(k, kOutMsg); k, _ = cur.Next() {
				if len(k) > len(kOutMsg)+8 {
					s.ids[string(k[len(kOutMsg)+8:])] = struct{}{}
				}
			}
			return nil
		})
	})
}

// purgeOutbox deletes a centre's contacts that expired before now (a scan
// of all: they are few, today's tickets' and the active bookings') and its
// messages created before keepFrom.
func purgeOutbox(tx *bolt.Tx, lg *bolt.Bucket, centre string, now, keepFrom time.Time, gone, goneContacts *[]string) error {
	err := deleteWhere(tx.Bucket(bContacts), func(v []byte) (bool, error) {
		var c queue.Contact
		if err := json.Unmarshal(v, &c); err != nil {
			return false, err
		}
		drop := c.Centre == centre && c.Expires.Before(now)
		if drop {
			*goneContacts = append(*goneContacts, c.Ref)
		}
		return drop, nil
	})
	if err != nil {
		return fmt.Errorf("contacts: %w", err)
	}
	var stale [][]byte
	limit := key(kOutMsg, nanos(keepFrom))
	cur := lg.Cursor()
	for k, v := cur.Seek(kOutMsg); k != nil && bytes.Compare(k, limit) < 0; k, v = cur.Next() {
		var m queue.Message
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("message %x: %w", k, err)
		}
		stale = append(stale, bytes.Clone(k))
		*gone = append(*gone, m.ID)
		if m.Status == queue.MessagePending {
			stale = append(stale, dueKey(&m))
		}
	}
	return deleteKeys(lg, stale)
}

// eachUnder calls fn with each key under prefix of a bucket and its
// value, decoded.
func eachUnder[T any](b *bolt.Bucket, prefix []byte, fn func(k []byte, x T) error) error {
	cur := b.Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("%x: %w", k, err)
		}
		if err := fn(k, x); err != nil {
			return err
		}
	}
	return nil
}
