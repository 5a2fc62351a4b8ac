package bolt

// Spent anti-bot challenges.

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// spentPurgeMax bounds the expired challenges one SpendChallenge deletes.
const spentPurgeMax = 64

// SpendChallenge records an anti-bot challenge as spent until it expires
// and reports whether it was fresh; it deletes a few expired ones (keyed
// by expiry first, they are the bucket's first keys).
func (s *Store) SpendChallenge(challenge string, expires, now time.Time) (bool, error) {
	if err := s.Verify(); err != nil {
		return false, err
	}
	key := append(u64(uint64(expires.Unix())), challenge...)
	fresh := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSpent)
		if b.Get(key) != nil {
			return nil
		}
		var stale [][]byte
		cur := b.Cursor()
		for k, _ := cur.First(); k != nil && len(stale) < spentPurgeMax && int64(binary.BigEndian.Uint64(k)) < now.Unix(); k, _ = cur.Next() {
			stale = append(stale, bytes.Clone(k))
		}
		if err := deleteKeys(b, stale); err != nil {
			return err
		}
		fresh = true
		return b.Put(key, []byte{1})
	})
	return fresh, err
}
