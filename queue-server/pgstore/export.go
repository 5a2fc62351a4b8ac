package pgstore

// Reading the store whole, for verifying a copy (`queue-server copy`):
// every centre's tickets of every day, events, bookings, audit, no-shows,
// number blocks, messages, contacts and webhooks, in a fixed order, and
// the sessions and key fingerprints (storecopy.Source).

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"xephang/queue-server/queue"
)

// CentreIDs returns the ids of the stored centres, in order.
func (s *Store) CentreIDs() ([]string, error) {
	rows, err := s.pool.Query(context.Background(), "SELECT id FROM centres ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return ids, nil
}

// ForEachTicket calls fn with every ticket of a centre, of every day, by
// day then id.
func (s *Store) ForEachTicket(centre string, fn func(queue.Ticket) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM tickets WHERE centre = $1 ORDER BY day, id", centre)
}

// ForEachEvent calls fn with every event of a centre still kept, by seq.
func (s *Store) ForEachEvent(centre string, fn func(queue.Event) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM events WHERE centre = $1 ORDER BY seq", centre)
}

// ForEachBooking calls fn with every booking of a centre, by code.
func (s *Store) ForEachBooking(centre string, fn func(queue.Booking) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM bookings WHERE centre = $1 ORDER BY code", centre)
}

// ForEachAudit calls fn with every audit record of a centre, oldest first.
func (s *Store) ForEachAudit(centre string, fn func(queue.Audit) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM audit WHERE centre = $1 ORDER BY id", centre)
}

// ForEachNoShow calls fn with every no-show record of a centre, in the
// order they were recorded.
func (s *Store) ForEachNoShow(centre string, fn func(queue.NoShow) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM noshows WHERE centre = $1 ORDER BY id", centre)
}

// ForEachBlock calls fn with every number block of a centre, by day then id.
func (s *Store) ForEachBlock(centre string, fn func(queue.NumberBlock) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM blocks WHERE centre = $1 ORDER BY day, id", centre)
}

// ForEachMessage calls fn with every message of a centre still kept, by id.
func (s *Store) ForEachMessage(centre string, fn func(queue.Message) error) error {
	rows, err := s.pool.Query(context.Background(), "SELECT doc, body FROM messages WHERE centre = $1 ORDER BY id", centre)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	ms, err := collectMessages(rows)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	for _, m := range ms {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// ForEachContact calls fn with every contact of a centre, by ref.
func (s *Store) ForEachContact(centre string, fn func(queue.Contact) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM contacts WHERE centre = $1 ORDER BY ref", centre)
}

// ForEachWebhook calls fn with every webhook of a centre, deleted ones
// too, by id.
func (s *Store) ForEachWebhook(centre string, fn func(queue.Webhook) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM webhooks WHERE centre = $1 ORDER BY id", centre)
}

// ForEachSession calls fn with every stored session, by hash.
func (s *Store) ForEachSession(fn func(queue.Session) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM sessions ORDER BY hash")
}

// KeyIDs returns the fingerprints of the keys recorded (SetKeyID), by name.
func (s *Store) KeyIDs() (map[string]string, error) {
	rows, err := s.pool.Query(context.Background(), "SELECT name, id FROM key_ids")
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	ids := map[string]string{}
	var name, id string
	if _, err := pgx.ForEachRow(rows, []any{&name, &id}, func() error { ids[name] = id; return nil }); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return ids, nil
}

// forEachDoc calls fn with each document a query returns, decoded, as
// the rows arrive.
func forEachDoc[T any](s *Store, fn func(T) error, sql string, args ...any) error {
	rows, err := s.pool.Query(context.Background(), sql, args...)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&raw}, func() error {
		var x T
		if err := json.Unmarshal(raw, &x); err != nil {
			return fmt.Errorf("pgstore: %w", err)
		}
		return fn(x)
	})
	return err
}
