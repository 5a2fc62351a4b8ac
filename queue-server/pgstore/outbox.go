package pgstore

// The outbox: messages written by Commit with the changes that cause them
// (in the same transaction, pipelined with the rest), claimed and
// recorded by the senders of every instance (queue.Outbox); the contacts
// they are sent to and the centres' webhooks.
//
// A claim is one statement: it picks the due messages with FOR UPDATE
// SKIP LOCKED, so that two instances claiming at once each take other
// rows instead of waiting, and leases them (lease_until) in the same
// UPDATE, so that a later claim skips them until the lease ends.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"xephang/queue-server/queue"
)

var _ queue.Outbox = (*Store)(nil)

// addOutbox adds a centre's messages, contacts and webhooks to the rows
// of their statements. The first of a message id in a batch is kept, as
// the store keeps the first committed; of a contact's ref the last, an
// empty one deleting it.
func addOutbox(ch *queue.Changes, messages, contacts, dropContacts, webhooks *rows) error {
	for _, m := range ch.Outbox {
		if m.ID == "" {
			return errors.New("a message without an id")
		}
		if _, seen := messages.keys[m.ID]; seen {
			continue
		}
		if err := queue.OfCentre(&m.Centre, ch.Centre, "message "+m.ID); err != nil {
			return err
		}
		var body bytes.Buffer
		if len(m.Body) > 0 {
			// Compact, as the bbolt store's JSON keeps it.
			if err := json.Compact(&body, m.Body); err != nil {
				return fmt.Errorf("message %s: body: %w", m.ID, err)
			}
		}
		m.Body = nil
		d, err := doc(m)
		if err != nil {
			return err
		}
		messages.add(m.ID, m.ID, m.Centre, m.Channel, m.Status, m.CreatedAt, m.NextAt, m.LeaseUntil, body.String(), d)
	}
	last := map[string]queue.Contact{}
	var refs []string
	for _, c := range ch.Contacts {
		if c.Ref == "" {
			return errors.New("a contact without a ref")
		}
		if err := queue.OfCentre(&c.Centre, ch.Centre, "contact "+c.Ref); err != nil {
			return err
		}
		if _, ok := last[c.Ref]; !ok {
			refs = append(refs, c.Ref)
		}
		last[c.Ref] = c
	}
	for _, ref := range refs {
		c := last[ref]
		if c.Empty() {
			dropContacts.add(ref, ref)
			continue
		}
		d, err := doc(c)
		if err != nil {
			return err
		}
		contacts.add(ref, ref, c.Centre, c.Expires, d)
	}
	for _, w := range ch.Webhooks {
		if w.ID == "" {
			return errors.New("a webhook without an id")
		}
		if err := queue.OfCentre(&w.Centre, ch.Centre, "webhook "+w.ID); err != nil {
			return err
		}
		d, err := doc(w)
		if err != nil {
			return err
		}
		webhooks.add(w.ID, w.ID, w.Centre, w.Deleted, d)
	}
	return nil
}

// sqlClaim leases the due messages. The inner SELECT's lock skips rows
// another claim holds; a row another claim leased and committed since
// this statement began is checked again once locked, and its lease
// leaves it out.
const sqlClaim = `UPDATE messages m SET lease_until = $2, doc = jsonb_set(m.doc, '{lease_until}', to_jsonb($3::text))
	WHERE m.id IN (SELECT id FROM messages
		WHERE status = 'pending' AND next_at <= $1 AND lease_until < $1
		ORDER BY next_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
	RETURNING m.doc, m.body`

// ClaimMessages leases up to n pending messages due at now whose lease is
// not held, oldest NextAt first, until now+lease: one statement, whose
// rows no concurrent claim of any instance gets.
func (s *Store) ClaimMessages(now time.Time, lease time.Duration, n int) ([]queue.Message, error) {
	if n <= 0 {
		return nil, nil
	}
	until := now.Add(lease)
	rows, err := s.pool.Query(context.Background(), sqlClaim, now, until, until.Format(time.RFC3339Nano), n)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim messages: %w", err)
	}
	out, err := collectMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim messages: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.NextAt.Before(b.NextAt) || a.NextAt.Equal(b.NextAt) && a.ID < b.ID
	})
	return out, nil
}

// delivery is the part of a message's document that SaveDelivery writes.
type delivery struct {
	Status   string     `json:"status"`
	Attempts int        `json:"attempts"`
	NextAt   time.Time  `json:"next_at"`
	Via      string     `json:"via"`
	Error    string     `json:"error"`
	SentAt   *time.Time `json:"sent_at"`
}

const sqlSaveDelivery = `UPDATE messages m SET status = x.st, next_at = x.nx, lease_until = $4,
		doc = (m.doc - 'lease_until') || x.d::jsonb
	FROM unnest($1::text[], $2::text[], $3::timestamptz[], $5::text[]) AS x(id, st, nx, d)
	WHERE m.id = x.id`

// SaveDelivery records the attempts on the messages and ends their
// leases, in one statement; a message no longer stored is skipped.
func (s *Store) SaveDelivery(ms []queue.Message) error {
	if len(ms) == 0 {
		return nil
	}
	var r rows // the last of an id wins
	for _, m := range ms {
		d, err := doc(delivery{m.Status, m.Attempts, m.NextAt, m.Via, m.Error, m.SentAt})
		if err != nil {
			return err
		}
		r.add(m.ID, m.ID, m.Status, m.NextAt, d)
	}
	_, err := s.pool.Exec(context.Background(), sqlSaveDelivery,
		typed(r.cols[0]), typed(r.cols[1]), typed(r.cols[2]), time.Time{}, typed(r.cols[3]))
	if err != nil {
		return fmt.Errorf("pgstore: save delivery: %w", err)
	}
	return nil
}

// Messages returns a centre's messages, newest first, at most limit, of
// a channel and a status when they are not empty.
func (s *Store) Messages(centre, channel, status string, limit int) ([]queue.Message, error) {
	rows, err := s.pool.Query(context.Background(), `SELECT doc, body FROM messages
		WHERE centre = $1 AND ($2 = '' OR channel = $2) AND ($3 = '' OR status = $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, centre, channel, status, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("pgstore: messages of %s: %w", centre, err)
	}
	out, err := collectMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: messages of %s: %w", centre, err)
	}
	return out, nil
}

// collectMessages decodes rows of (doc, body).
func collectMessages(rows pgx.Rows) ([]queue.Message, error) {
	var out []queue.Message
	var raw []byte
	var body *string
	_, err := pgx.ForEachRow(rows, []any{&raw, &body}, func() error {
		var m queue.Message
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		if body != nil {
			m.Body = json.RawMessage(*body)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// Contact returns a ref's contact.
func (s *Store) Contact(ref string) (queue.Contact, error) {
	return one[queue.Contact](context.Background(), s.pool, "contact", ref, "SELECT doc FROM contacts WHERE ref = $1", ref)
}

// Webhook returns a webhook by id, deleted ones too.
func (s *Store) Webhook(id string) (queue.Webhook, error) {
	return one[queue.Webhook](context.Background(), s.pool, "webhook", id, "SELECT doc FROM webhooks WHERE id = $1", id)
}

// Webhooks returns a centre's webhooks that are not deleted, by id.
func (s *Store) Webhooks(centre string) ([]queue.Webhook, error) {
	out, err := docs[queue.Webhook](context.Background(), s.pool, sqlWebhooksOf, centre)
	if err != nil {
		return nil, fmt.Errorf("pgstore: webhooks of %s: %w", centre, err)
	}
	return out, nil
}

const sqlWebhooksOf = "SELECT doc FROM webhooks WHERE centre = $1 AND NOT deleted ORDER BY id"
