package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// Names that only schema 1 used.
var (
	v1Index  = []byte("tickets") // top level: ticket id → centre id
	v1Config = []byte("config")  // a key of the centre's bucket
	v1Days   = []byte("days")    // "YYYY-MM-DD/" + id → nothing
	v1Open   = []byte("open")    // id → nothing
	v2Temp   = []byte("tickets.v2")
)

// migrateV1 takes a schema-1 file to schema 2 inside the opening
// transaction, so a crash leaves the file as it was: tickets are keyed by
// their day (the day and open indexes go), idempotency keys point at the
// new keys, the centre's configuration moves into its own bucket, events,
// meta and numbering move to the centre's log (numbering of days before
// the current one is dropped, the current day's events are marked as read:
// Meta.DaySeq), and the global id index
// becomes ticketids, for the ids that do not carry their day (all of
// schema 1's, which were random).
func migrateV1(tx *bolt.Tx) error {
	ids, err := tx.CreateBucketIfNotExists(bIDs)
	if err != nil {
		return err
	}
	root := tx.Bucket(bCentres)
	var names [][]byte
	if err := root.ForEachBucket(func(k []byte) error { names = append(names, bytes.Clone(k)); return nil }); err != nil {
		return err
	}
	for _, name := range names {
		if err := migrateCentreV1(root.Bucket(name), string(name), ids); err != nil {
			return fmt.Errorf("centre %s: %w", name, err)
		}
	}
	if tx.Bucket(v1Index) != nil {
		return tx.DeleteBucket(v1Index)
	}
	return nil
}

func migrateCentreV1(c *bolt.Bucket, centre string, ids *bolt.Bucket) error {
	cfg := bytes.Clone(c.Get(v1Config))
	if cfg == nil {
		return fmt.Errorf("no configuration")
	}
	if err := c.Delete(v1Config); err != nil {
		return err
	}
	cb, err := c.CreateBucket(bConfig)
	if err != nil {
		return err
	}
	if err := cb.Put(kCentre, cfg); err != nil {
		return err
	}

	// Re-key the tickets into a new bucket, then put it in the old one's
	// place (bbolt cannot rename a bucket).
	old := c.Bucket(bTickets)
	tmp, err := c.CreateBucket(v2Temp)
	if err != nil {
		return err
	}
	newKey := func(id []byte) ([]byte, error) {
		var t struct {
			Day string `json:"day"`
		}
		raw := old.Get(id)
		if raw == nil {
			return nil, fmt.Errorf("ticket %s is indexed but missing", id)
		}
		if err := json.Unmarshal(raw, &t); err != nil || t.Day == "" {
			return nil, fmt.Errorf("ticket %s: no day (%v)", id, err)
		}
		return ticketKey(t.Day, string(id)), nil
	}
	err = old.ForEach(func(id, v []byte) error {
		key, err := newKey(id)
		if err != nil {
			return err
		}
		if err := tmp.Put(key, bytes.Clone(v)); err != nil {
			return err
		}
		if day, _ := queue.TicketDay(string(id)); !bytes.HasPrefix(key, []byte(day+"/")) {
			return ids.Put(bytes.Clone(id), idsValue(centre, key))
		}
		return nil
	})
	if err != nil {
		return err
	}
	keys := c.Bucket(bKeys)
	var rekeyed [][2][]byte
	err = keys.ForEach(func(k, id []byte) error {
		key, err := newKey(id)
		rekeyed = append(rekeyed, [2][]byte{bytes.Clone(k), key})
		return err
	})
	if err != nil {
		return err
	}
	for _, kv := range rekeyed {
		if err := keys.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	for _, b := range [][]byte{bTickets, v1Days, v1Open} {
		if c.Bucket(b) == nil {
			continue
		}
		if err := c.DeleteBucket(b); err != nil {
			return err
		}
	}
	tickets, err := c.CreateBucket(bTickets)
	if err != nil {
		return err
	}
	if err := tmp.ForEach(func(k, v []byte) error { return tickets.Put(bytes.Clone(k), bytes.Clone(v)) }); err != nil {
		return err
	}
	if err := c.DeleteBucket(v2Temp); err != nil {
		return err
	}

	// Events, meta and numbering move to the centre's log.
	lg, err := c.Tx().CreateBucket(logName(centre))
	if err != nil {
		return err
	}
	lg.FillPercent = 1
	if err := c.Bucket(bEvents).ForEach(func(k, v []byte) error { return lg.Put(bytes.Clone(k), bytes.Clone(v)) }); err != nil {
		return err
	}
	var meta queue.Meta
	if raw := c.Get(kMeta); raw != nil {
		if err := json.Unmarshal(raw, &meta); err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		if err := c.Delete(kMeta); err != nil {
			return err
		}
	}
	// Schema 1 wrote every ticket: no event holds one, so none of the
	// current day's events need reading at open.
	meta.DaySeq = meta.LastSeq
	if err := put(lg, kMeta, meta); err != nil {
		return err
	}
	err = c.Bucket(bNumbers).ForEach(func(k, v []byte) error {
		if string(k) < meta.Day { // numbering of earlier days is not kept
			return nil
		}
		return lg.Put(append(bytes.Clone(kNum), k...), bytes.Clone(v))
	})
	if err != nil {
		return err
	}
	for _, b := range [][]byte{bEvents, bNumbers} {
		if err := c.DeleteBucket(b); err != nil {
			return err
		}
	}
	return nil
}
