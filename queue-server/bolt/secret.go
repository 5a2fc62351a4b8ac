package bolt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// The key that hashes CCCD numbers is not kept in the store: a copy of
// the store file alone must not let anyone test guesses against the
// hashes. Versions before kept it in meta under "secret:<name>";
// MoveSecret takes it out once. The store keeps only the key's
// fingerprint, to refuse a wrong key file.

// MoveSecret takes a secret that older versions kept in the store at dir
// out of it, before the store is opened for service. When the store holds
// one, keep is given it (to write it to its key file, durably); then it is
// deleted and the file rewritten (compacted into a new file, renamed over
// the old one) so that not even a freed page still holds its bytes. It
// does nothing when there is no store file or no such secret, and never
// creates a store.
func MoveSecret(dir, name string, keep func(old []byte) error) (moved bool, err error) {
	path := filepath.Join(dir, "xephang.db")
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		return false, nil // nothing to move; opening the store reports any problem
	}
	if checkPath(path) != nil {
		// A damaged file (truncated: bbolt would map it short and fault on
		// its first page past the end) is left for opening the store to
		// report, with how to restore it.
		return false, nil
	}
	k := []byte("secret:" + name)
	var old []byte
	ro, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return false, nil // opening the store for service reports it
	}
	err = ro.View(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bMeta); meta != nil {
			old = bytes.Clone(meta.Get(k))
		}
		return nil
	})
	ro.Close()
	if err != nil || old == nil {
		return false, err
	}
	if err := keep(old); err != nil {
		return false, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, FreelistType: bolt.FreelistArrayType})
	if err != nil {
		return false, fmt.Errorf("bolt: move secret: %w", err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := remaskBookings(tx); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Delete(k)
	}); err != nil {
		return false, fmt.Errorf("bolt: move secret: %w", err)
	}
	// The deleted value's old page is free but not cleared: rewrite the file.
	tmp := path + ".rekey"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{FreelistType: bolt.FreelistArrayType})
	if err != nil {
		return false, fmt.Errorf("bolt: move secret: %w", err)
	}
	if err := bolt.Compact(dst, db, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return false, fmt.Errorf("bolt: move secret: rewrite: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("bolt: move secret: rewrite: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("bolt: move secret: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename survives a power cut
		d.Close()
	}
	return true, nil
}

// ErrWrongKey says the key given is not the one the store's hashes were made with.
var ErrWrongKey = errors.New("bolt: the key file is not the one this store's CCCD hashes were made with")

// KeyID returns the fingerprint of the named key the store's hashes were
// made with, "" when none was recorded yet.
func (s *Store) KeyID(name string) (string, error) {
	var id string
	err := s.db.View(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(bMeta).Get([]byte("keyid:" + name)))
		return nil
	})
	return id, err
}

// SetKeyID records the fingerprint of the named key.
func (s *Store) SetKeyID(name, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put([]byte("keyid:"+name), []byte(id))
	})
}

// remaskBookings shortens the masked CCCD numbers of bookings stored by
// versions that showed four digits (queue.MaskID); the rewrite that
// follows leaves no old page with the longer form.
func remaskBookings(tx *bolt.Tx) error {
	centres := tx.Bucket(bCentres)
	if centres == nil {
		return nil
	}
	return centres.ForEachBucket(func(id []byte) error {
		bookings := centres.Bucket(id).Bucket(bBookings)
		if bookings == nil {
			return nil
		}
		var change [][2][]byte
		err := bookings.ForEach(func(code, raw []byte) error {
			var b queue.Booking
			if err := json.Unmarshal(raw, &b); err != nil {
				return fmt.Errorf("booking %s: %w", code, err)
			}
			if m := queue.MaskID(b.Citizen.IDMasked); m != b.Citizen.IDMasked {
				b.Citizen.IDMasked = m
				v, err := json.Marshal(b)
				if err != nil {
					return err
				}
				change = append(change, [2][]byte{bytes.Clone(code), v})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range change { // not while iterating
			if err := bookings.Put(c[0], c[1]); err != nil {
				return err
			}
		}
		return nil
	})
}
