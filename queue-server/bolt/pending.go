package bolt

// Pending tickets: those kept only in their issued event (see the package
// comment), found again at open.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// pendingRef is where a ticket kept only in its issued event is.
type pendingRef struct {
	centre, day string
	seq         uint64
}

// storedEvent is an event as stored: an issued event may carry its
// ticket's whole state.
type storedEvent struct {
	queue.Event
	State *queue.Ticket `json:"state,omitempty"`
}

// pendingTicket reads a pending ticket from its issued event.
func pendingTicket(tx *bolt.Tx, id string, p pendingRef) (queue.Ticket, error) {
	lg, err := centreLog(tx, p.centre)
	if err != nil {
		return queue.Ticket{}, err
	}
	var e storedEvent
	raw := lg.Get(u64(p.seq))
	if raw == nil {
		return queue.Ticket{}, fmt.Errorf("bolt: ticket %s: its issued event %d is missing", id, p.seq)
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return queue.Ticket{}, fmt.Errorf("bolt: ticket %s: event %d: %w", id, p.seq, err)
	}
	if e.State == nil || e.State.ID != id {
		return queue.Ticket{}, fmt.Errorf("bolt: ticket %s: event %d does not hold it", id, p.seq)
	}
	return *e.State, nil
}

// loadPending finds the tickets kept only in their issued event: those of
// the current day's events that tickets does not hold.
func (s *Store) loadPending() error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCentres).ForEachBucket(func(id []byte) error {
			c := tx.Bucket(bCentres).Bucket(id)
			lg, err := centreLog(tx, string(id))
			if err != nil {
				return err
			}
			var meta queue.Meta
			if raw := lg.Get(kMeta); raw != nil {
				if err := json.Unmarshal(raw, &meta); err != nil {
					return fmt.Errorf("bolt: centre %s meta: %w", id, err)
				}
			}
			tickets := c.Bucket(bTickets)
			cur := lg.Cursor()
			for k, v := cur.Seek(u64(meta.DaySeq + 1)); k != nil && isSeq(k); k, v = cur.Next() {
				if !bytes.Contains(v, []byte(`"state":`)) {
					continue
				}
				var e storedEvent
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("bolt: centre %s event %x: %w", id, k, err)
				}
				if e.State != nil && tickets.Get(ticketKey(e.State.Day, e.State.ID)) == nil {
					s.pending[e.State.ID] = pendingRef{centre: string(id), day: e.State.Day, seq: binary.BigEndian.Uint64(k)}
				}
			}
			return nil
		})
	})
}
