package pgstore

// The identities of tickets read from CCCD chips (queue.Identities,
// migration 0007).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"xephang/queue-server/queue"
)

var _ queue.Identities = (*Store)(nil)

// PutIdentity keeps a ticket's identity and its face (queue.Identities).
func (s *Store) PutIdentity(id queue.TicketIdentity) error {
	v, err := doc(id)
	if err != nil {
		return err
	}
	var face []byte
	if len(id.FaceJPEG) > 0 {
		face = id.FaceJPEG
	}
	_, err = s.pool.Exec(context.Background(), `INSERT INTO ticket_identities (ticket_id, centre, expires, doc, face) VALUES ($1, $2, $3, $4::jsonb, $5)
		ON CONFLICT (ticket_id) DO UPDATE SET centre = EXCLUDED.centre, expires = EXCLUDED.expires, doc = EXCLUDED.doc, face = EXCLUDED.face`,
		id.TicketID, id.Centre, id.Expires, v, face)
	if err != nil {
		return fmt.Errorf("pgstore: put identity: %w", err)
	}
	return nil
}

// Identity returns a ticket's identity with its face (queue.Identities).
func (s *Store) Identity(ticketID string) (queue.TicketIdentity, error) {
	var id queue.TicketIdentity
	var raw, face []byte
	err := s.pool.QueryRow(context.Background(), "SELECT doc, face FROM ticket_identities WHERE ticket_id = $1", ticketID).Scan(&raw, &face)
	if errors.Is(err, pgx.ErrNoRows) {
		return id, notFound("identity", ticketID)
	}
	if err != nil {
		return id, fmt.Errorf("pgstore: identity %q: %w", ticketID, err)
	}
	if err := json.Unmarshal(raw, &id); err != nil {
		return id, fmt.Errorf("pgstore: identity %q: %w", ticketID, err)
	}
	id.FaceJPEG = face
	return id, nil
}

// PurgeIdentities erases the identities that expired at now, faces with
// them (queue.Identities).
func (s *Store) PurgeIdentities(now time.Time) (int, error) {
	tag, err := s.pool.Exec(context.Background(), "DELETE FROM ticket_identities WHERE expires <= $1", now)
	if err != nil {
		return 0, fmt.Errorf("pgstore: purge identities: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
