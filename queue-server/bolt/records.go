package bolt

// Reading accounts, sessions, kiosks, enrolments, bookings and the audit log.

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// User returns an account.
func (s *Store) User(username string) (queue.User, error) {
	return one[queue.User](s, bUsers, username, "user")
}

// Users returns every account.
func (s *Store) Users() ([]queue.User, error) {
	return all[queue.User](s, bUsers)
}

// Session returns the session of a token hash.
func (s *Store) Session(hash string) (queue.Session, error) {
	var se queue.Session
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bSessions).Get([]byte(hash))
		if raw == nil {
			return notFound("session", "")
		}
		return json.Unmarshal(raw, &se)
	})
	return se, err
}

// Kiosk returns an enrolled kiosk.
func (s *Store) Kiosk(id string) (queue.Kiosk, error) {
	return one[queue.Kiosk](s, bKiosks, id, "kiosk")
}

// Kiosks returns every enrolled kiosk.
func (s *Store) Kiosks() ([]queue.Kiosk, error) {
	return all[queue.Kiosk](s, bKiosks)
}

// Enrollment returns an enrolment token's record by its hash.
func (s *Store) Enrollment(hash string) (queue.Enrollment, error) {
	return one[queue.Enrollment](s, bEnroll, hash, "enrolment token")
}

// Enrollments returns every enrolment token's record.
func (s *Store) Enrollments() ([]queue.Enrollment, error) {
	return all[queue.Enrollment](s, bEnroll)
}

// Booking finds a booking by code in any centre.
func (s *Store) Booking(code string) (queue.Booking, error) {
	var b queue.Booking
	err := s.db.View(func(tx *bolt.Tx) error {
		centre := tx.Bucket(bCodes).Get([]byte(code))
		if centre == nil {
			return notFound("booking", code)
		}
		c, err := centreBucket(tx, string(centre), false)
		if err != nil {
			return err
		}
		return json.Unmarshal(c.Bucket(bBookings).Get([]byte(code)), &b)
	})
	return b, err
}

// Bookings returns a centre's bookings whose slot is on a local day.
func (s *Store) Bookings(centre, day string) ([]queue.Booking, error) {
	var out []queue.Booking
	err := s.viewCentre(centre, func(c *bolt.Bucket) error {
		prefix := []byte(day + "/")
		bookings := c.Bucket(bBookings)
		cur := c.Bucket(bBDays).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			var b queue.Booking
			if err := json.Unmarshal(bookings.Get(k[len(prefix):]), &b); err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// Audit returns a centre's latest audit records, newest first.
func (s *Store) Audit(centre string, limit int) ([]queue.Audit, error) {
	var out []queue.Audit
	err := s.viewCentre(centre, func(c *bolt.Bucket) error {
		cur := c.Bucket(bAudit).Cursor()
		for k, v := cur.Last(); k != nil && len(out) < limit; k, v = cur.Prev() {
			var a queue.Audit
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// one decodes the value of key in a top-level bucket; what names it in
// the not-found error.
func one[T any](s *Store, bucket []byte, key, what string) (T, error) {
	var x T
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucket).Get([]byte(key))
		if raw == nil {
			return notFound(what, key)
		}
		return json.Unmarshal(raw, &x)
	})
	return x, err
}

// all decodes every value of a top-level bucket.
func all[T any](s *Store, bucket []byte) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var x T
			if err := json.Unmarshal(v, &x); err != nil {
				return fmt.Errorf("bolt: %s %s: %w", bucket, k, err)
			}
			out = append(out, x)
			return nil
		})
	})
	return out, err
}
