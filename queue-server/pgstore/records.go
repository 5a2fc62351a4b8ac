package pgstore

// Reading accounts, sessions, kiosks, enrolments, bookings and the audit log.

import (
	"context"
	"fmt"

	"xephang/queue-server/queue"
)

// User returns an account.
func (s *Store) User(username string) (queue.User, error) {
	return one[queue.User](context.Background(), s.pool, "user", username, "SELECT doc FROM users WHERE username = $1", username)
}

// Users returns every account, in order of username.
func (s *Store) Users() ([]queue.User, error) {
	return all[queue.User](s, "SELECT doc FROM users ORDER BY username")
}

// Session returns the session of a token hash.
func (s *Store) Session(hash string) (queue.Session, error) {
	// The not-found error never repeats the hash.
	return one[queue.Session](context.Background(), s.pool, "session", "", "SELECT doc FROM sessions WHERE hash = $1", hash)
}

// Kiosk returns an enrolled kiosk.
func (s *Store) Kiosk(id string) (queue.Kiosk, error) {
	return one[queue.Kiosk](context.Background(), s.pool, "kiosk", id, "SELECT doc FROM kiosks WHERE id = $1", id)
}

// Kiosks returns every enrolled kiosk, in order of id.
func (s *Store) Kiosks() ([]queue.Kiosk, error) {
	return all[queue.Kiosk](s, "SELECT doc FROM kiosks ORDER BY id")
}

// Enrollment returns an enrolment token's record by its hash.
func (s *Store) Enrollment(hash string) (queue.Enrollment, error) {
	return one[queue.Enrollment](context.Background(), s.pool, "enrolment token", hash, "SELECT doc FROM enrollments WHERE hash = $1", hash)
}

// Enrollments returns every enrolment token's record, in order of hash.
func (s *Store) Enrollments() ([]queue.Enrollment, error) {
	return all[queue.Enrollment](s, "SELECT doc FROM enrollments ORDER BY hash")
}

// Booking finds a booking by code in any centre.
func (s *Store) Booking(code string) (queue.Booking, error) {
	return one[queue.Booking](context.Background(), s.pool, "booking", code, "SELECT doc FROM bookings WHERE code = $1", code)
}

// Bookings returns a centre's bookings whose slot is on a local day, in
// order of code.
func (s *Store) Bookings(centre, day string) ([]queue.Booking, error) {
	return centreDocs[queue.Booking](s, centre, "SELECT doc FROM bookings WHERE centre = $1 AND day = $2 ORDER BY code", centre, day)
}

// Audit returns a centre's latest audit records, newest first.
func (s *Store) Audit(centre string, limit int) ([]queue.Audit, error) {
	return centreDocs[queue.Audit](s, centre, "SELECT doc FROM audit WHERE centre = $1 ORDER BY id DESC LIMIT $2", centre, max(limit, 0))
}

// all reads every document a query returns.
func all[T any](s *Store, sql string) ([]T, error) {
	out, err := docs[T](context.Background(), s.pool, sql)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return out, nil
}
