package bolt

// Dossiers: forms, digitised documents with their PDFs, confirmations
// (queue.Dossiers), and their purge by expiry.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

var _ queue.Dossiers = (*Store)(nil)

func formKey(owner string) []byte    { return []byte("f/" + owner) }
func confirmKey(owner string) []byte { return []byte("c/" + owner) }
func docPrefix(owner string) []byte  { return []byte("d/" + owner + "\x00") }
func docIDKey(owner, id string) []byte {
	return []byte("i/" + owner + "\x00" + id)
}
func pdfKey(owner, id string) []byte { return []byte(owner + "\x00" + id) }

// expKey is a dossiers key's entry in the expiry index.
func expKey(exp time.Time, key []byte) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(max(exp.Unix(), 0)))
	return append(k, key...)
}

// putExpiring writes v under key in dossiers with its expiry, replacing
// the index entry of the value before (which expired at old).
func putExpiring(tx *bolt.Tx, key []byte, v any, exp time.Time, old *time.Time) error {
	if old != nil {
		if err := tx.Bucket(bDossExp).Delete(expKey(*old, key)); err != nil {
			return err
		}
	}
	if err := put(tx.Bucket(bDossiers), key, v); err != nil {
		return err
	}
	return tx.Bucket(bDossExp).Put(expKey(exp, key), nil)
}

// dossierBuckets reports whether the file has the dossiers' buckets (a
// file opened read-only from before them has none).
func dossierBuckets(tx *bolt.Tx) bool { return tx.Bucket(bDossiers) != nil }

func getDossier[T any](s *Store, key []byte, what, owner string) (T, error) {
	var x T
	err := s.db.View(func(tx *bolt.Tx) error {
		var raw []byte
		if dossierBuckets(tx) {
			raw = tx.Bucket(bDossiers).Get(key)
		}
		if raw == nil {
			return notFound(what, owner)
		}
		return json.Unmarshal(raw, &x)
	})
	return x, err
}

// PutForm keeps an owner's form (queue.Dossiers).
func (s *Store) PutForm(f queue.DossierForm) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := formKey(f.Owner)
		var old *time.Time
		if raw := tx.Bucket(bDossiers).Get(k); raw != nil {
			var prev queue.DossierForm
			if err := json.Unmarshal(raw, &prev); err != nil {
				return fmt.Errorf("bolt: dossier form %s: %w", f.Owner, err)
			}
			old = &prev.Expires
		}
		return putExpiring(tx, k, f, f.Expires, old)
	})
}

// Form returns an owner's form (queue.Dossiers).
func (s *Store) Form(owner string) (queue.DossierForm, error) {
	return getDossier[queue.DossierForm](s, formKey(owner), "dossier form", owner)
}

// documents reads an owner's documents in order, with their keys.
func documents(tx *bolt.Tx, owner string) ([]queue.DossierDocument, [][]byte, error) {
	var out []queue.DossierDocument
	var keys [][]byte
	if !dossierBuckets(tx) {
		return nil, nil, nil
	}
	p := docPrefix(owner)
	cur := tx.Bucket(bDossiers).Cursor()
	for k, v := cur.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = cur.Next() {
		var d queue.DossierDocument
		if err := json.Unmarshal(v, &d); err != nil {
			return nil, nil, fmt.Errorf("bolt: dossier document %x: %w", k, err)
		}
		out = append(out, d)
		keys = append(keys, bytes.Clone(k))
	}
	return out, keys, nil
}

// PutDocument keeps a document and its PDF (queue.Dossiers).
func (s *Store) PutDocument(d queue.DossierDocument, pdf []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDossiers)
		if b.Get(docIDKey(d.Owner, d.ID)) != nil {
			return nil // sent again
		}
		have, _, err := documents(tx, d.Owner)
		if err != nil {
			return err
		}
		if err := queue.CheckDossierLimits(have, len(pdf)); err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(docPrefix(d.Owner), seq)
		if err := b.Put(docIDKey(d.Owner, d.ID), k); err != nil {
			return err
		}
		if err := tx.Bucket(bDossPDFs).Put(pdfKey(d.Owner, d.ID), pdf); err != nil {
			return err
		}
		return putExpiring(tx, k, d, d.Expires, nil)
	})
}

// Documents returns an owner's documents in the order they came
// (queue.Dossiers).
func (s *Store) Documents(owner string) ([]queue.DossierDocument, error) {
	var out []queue.DossierDocument
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, _, err = documents(tx, owner)
		return err
	})
	return out, err
}

// DocumentPDF returns a document's PDF (queue.Dossiers).
func (s *Store) DocumentPDF(owner, id string) ([]byte, error) {
	var pdf []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bDossPDFs); b != nil {
			pdf = bytes.Clone(b.Get(pdfKey(owner, id)))
		}
		if pdf == nil {
			return notFound("dossier document", id)
		}
		return nil
	})
	return pdf, err
}

// UpdateDocument replaces a document's description (queue.Dossiers).
func (s *Store) UpdateDocument(d queue.DossierDocument) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDossiers)
		k := b.Get(docIDKey(d.Owner, d.ID))
		if k == nil {
			return notFound("dossier document", d.ID)
		}
		k = bytes.Clone(k)
		var prev queue.DossierDocument
		if err := json.Unmarshal(b.Get(k), &prev); err != nil {
			return fmt.Errorf("bolt: dossier document %s: %w", d.ID, err)
		}
		return putExpiring(tx, k, d, d.Expires, &prev.Expires)
	})
}

// Confirm records a confirmation of an owner's dossier (queue.Dossiers).
func (s *Store) Confirm(c queue.DossierConfirm) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		k := confirmKey(c.Owner)
		var old *time.Time
		if raw := tx.Bucket(bDossiers).Get(k); raw != nil {
			var prev queue.DossierConfirm
			if err := json.Unmarshal(raw, &prev); err != nil {
				return fmt.Errorf("bolt: dossier confirmation %s: %w", c.Owner, err)
			}
			old = &prev.Expires
		}
		return putExpiring(tx, k, c, c.Expires, old)
	})
}

// Confirmed returns the confirmation of an owner's dossier
// (queue.Dossiers).
func (s *Store) Confirmed(owner string) (queue.DossierConfirm, error) {
	return getDossier[queue.DossierConfirm](s, confirmKey(owner), "dossier confirmation", owner)
}

// purgeDossiersMax bounds what one PurgeDossiers erases (it runs in the
// engine's loop): a backlog drains over a few runs.
const purgeDossiersMax = 2000

// PurgeDossiers erases what expired at now: forms, documents with their
// PDFs, confirmations (queue.Dossiers).
func (s *Store) PurgeDossiers(now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		b, pdfs, idx := tx.Bucket(bDossiers), tx.Bucket(bDossPDFs), tx.Bucket(bDossExp)
		var stale [][]byte
		cur := idx.Cursor()
		for k, _ := cur.First(); k != nil && len(stale) < purgeDossiersMax; k, _ = cur.Next() {
			if int64(binary.BigEndian.Uint64(k)) > now.Unix() {
				break
			}
			stale = append(stale, bytes.Clone(k))
		}
		for _, ik := range stale {
			k := ik[8:]
			switch {
			case bytes.HasPrefix(k, []byte("d/")):
				var d queue.DossierDocument
				raw := b.Get(k)
				if raw == nil {
					break
				}
				if err := json.Unmarshal(raw, &d); err != nil {
					return fmt.Errorf("bolt: dossier document %x: %w", k, err)
				}
				if err := pdfs.Delete(pdfKey(d.Owner, d.ID)); err != nil {
					return err
				}
				if err := b.Delete(docIDKey(d.Owner, d.ID)); err != nil {
					return err
				}
				n++
			case bytes.HasPrefix(k, []byte("f/")):
				if b.Get(k) != nil {
					n++
				}
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			if err := idx.Delete(ik); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bolt: purge dossiers: %w", err)
	}
	return n, nil
}

// forEachDossier calls fn with every value of dossiers under prefix
// ("f/", "d/", "c/") of a centre, decoded, in key order.
func forEachDossier[T any](s *Store, prefix, centre string, fn func(tx *bolt.Tx, x T) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		if !dossierBuckets(tx) {
			return nil
		}
		p := []byte(prefix)
		cur := tx.Bucket(bDossiers).Cursor()
		for k, v := cur.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = cur.Next() {
			var x T
			if err := json.Unmarshal(v, &x); err != nil {
				return fmt.Errorf("bolt: dossiers %x: %w", k, err)
			}
			var c struct {
				Centre string `json:"centre"`
			}
			json.Unmarshal(v, &c)
			if c.Centre != centre {
				continue
			}
			if err := fn(tx, x); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForEachDossierForm calls fn with every form of a centre's dossiers, by
// owner.
func (s *Store) ForEachDossierForm(centre string, fn func(queue.DossierForm) error) error {
	return forEachDossier(s, "f/", centre, func(_ *bolt.Tx, f queue.DossierForm) error { return fn(f) })
}

// ForEachDossierDocument calls fn with every document of a centre's
// dossiers and its PDF (valid only during the call), by owner and in the
// order they came.
func (s *Store) ForEachDossierDocument(centre string, fn func(queue.DossierDocument, []byte) error) error {
	return forEachDossier(s, "d/", centre, func(tx *bolt.Tx, d queue.DossierDocument) error {
		return fn(d, tx.Bucket(bDossPDFs).Get(pdfKey(d.Owner, d.ID)))
	})
}

// ForEachDossierConfirm calls fn with every confirmation of a centre's
// dossiers, by owner.
func (s *Store) ForEachDossierConfirm(centre string, fn func(queue.DossierConfirm) error) error {
	return forEachDossier(s, "c/", centre, func(_ *bolt.Tx, c queue.DossierConfirm) error { return fn(c) })
}
