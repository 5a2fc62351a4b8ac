package bolt

// The identities of tickets read from CCCD chips (queue.Identities):
// bucket identities, ticket id → TicketIdentity as JSON (without the
// face), and bucket identityfaces, ticket id → the face (JPEG). A day's
// identities are few (one a ticket at most): the purge reads them all.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

var _ queue.Identities = (*Store)(nil)

// PutIdentity keeps a ticket's identity and its face (queue.Identities).
func (s *Store) PutIdentity(id queue.TicketIdentity) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := []byte(id.TicketID)
		if err := put(tx.Bucket(bIdentities), k, id); err != nil {
			return err
		}
		faces := tx.Bucket(bIdentFaces)
		if len(id.FaceJPEG) == 0 {
			return faces.Delete(k)
		}
		return faces.Put(k, id.FaceJPEG)
	})
}

// Identity returns a ticket's identity with its face (queue.Identities).
func (s *Store) Identity(ticketID string) (queue.TicketIdentity, error) {
	var id queue.TicketIdentity
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bIdentities)
		var raw []byte
		if b != nil { // a file opened read-only from before them has none
			raw = b.Get([]byte(ticketID))
		}
		if raw == nil {
			return notFound("identity", ticketID)
		}
		if err := json.Unmarshal(raw, &id); err != nil {
			return fmt.Errorf("bolt: identity %s: %w", ticketID, err)
		}
		id.FaceJPEG = bytes.Clone(tx.Bucket(bIdentFaces).Get([]byte(ticketID)))
		return nil
	})
	return id, err
}

// PurgeIdentities erases the identities that expired at now, faces with
// them (queue.Identities).
func (s *Store) PurgeIdentities(now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		b, faces := tx.Bucket(bIdentities), tx.Bucket(bIdentFaces)
		var stale [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var id struct {
				Expires time.Time `json:"expires"`
			}
			if err := json.Unmarshal(v, &id); err != nil {
				return fmt.Errorf("bolt: identity %s: %w", k, err)
			}
			if !id.Expires.After(now) {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
			if err := faces.Delete(k); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	return n, err
}
