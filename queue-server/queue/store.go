package queue

import (
	"context"
	"time"
)

// Roles of staff accounts.
const (
	RoleAdmin = "admin" // configures centres, accounts and kiosks
	RoleClerk = "clerk" // serves at the counters of one centre
	RoleKiosk = "kiosk" // an enrolled kiosk of one centre
	// RoleRating is a counter's rating tablet, paired by a clerk of its
	// centre: it may only rate the tickets served at its counter.
	RoleRating = "rating"
)

// User is a staff account. PasswordHash is opaque to the domain (the HTTP
// adapter hashes with bcrypt).
type User struct {
	Username     string    `json:"username"`
	Role         string    `json:"role"`
	Centre       string    `json:"centre,omitempty"`  // clerks and kiosks belong to one centre
	Counter      int       `json:"counter,omitempty"` // a rating tablet's counter
	Name         string    `json:"name,omitempty"`
	PasswordHash []byte    `json:"password_hash,omitempty"`
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// Epoch is the account's session generation: a session is valid only
	// while it carries the account's current epoch, so raising it (a
	// password change, a disable, a device revoked or re-paired) ends every
	// session at once, and enabling the account again revives none.
	Epoch int `json:"epoch,omitempty"`
}

// EndSessions ends every session of the account (see Epoch).
func (u *User) EndSessions() { u.Epoch++ }

// IsDevice reports whether the account is a device's (a kiosk, a rating
// tablet): devices get their credentials from enrolment or pairing and are
// never managed as users.
func (u User) IsDevice() bool { return u.Role == RoleKiosk || u.Role == RoleRating }

// DevicePrefixes are the name prefixes of device accounts ("kiosk-…",
// "rating-…"): reserved, no user account may take one.
var DevicePrefixes = []string{"kiosk-", "rating-"}

// Session is a bearer token's server side; the store keys it by the token's
// hash, never the token.
type Session struct {
	Hash     string    `json:"hash"`
	Username string    `json:"username"`
	Expires  time.Time `json:"expires"`
	// Epoch is the account's epoch when the session began (User.Epoch).
	Epoch int `json:"epoch,omitempty"`
}

// Batch is everything one commit writes: the changes of any number of
// centres and of accounts.
type Batch struct {
	Centres        []*Changes
	Users          []User
	Sessions       []Session
	DeleteSessions []string // hashes
	Kiosks         []Kiosk
	Enrollments    []Enrollment
}

// Empty reports whether the batch writes nothing.
func (b *Batch) Empty() bool {
	for _, c := range b.Centres {
		if !c.Empty() {
			return false
		}
	}
	return len(b.Users) == 0 && len(b.Sessions) == 0 && len(b.DeleteSessions) == 0 && len(b.Kiosks) == 0 && len(b.Enrollments) == 0
}

// Store keeps everything durably. Commit writes a whole batch atomically and
// durably (fsync'd) or not at all. Reads return ENotFound errors for what
// does not exist.
type Store interface {
	Commit(b *Batch) error
	LoadCentres() ([]Snapshot, error)
	LoadCentre(id string) (Snapshot, error)
	Events(centre string, since uint64, limit int) ([]Event, error)
	Ticket(id string) (Ticket, error)
	TicketByKey(centre, key string) (Ticket, error)
	Tickets(centre, day string) ([]Ticket, error)
	Audit(centre string, limit int) ([]Audit, error)
	User(username string) (User, error)
	Users() ([]User, error)
	Session(hash string) (Session, error)
	Booking(code string) (Booking, error)
	Bookings(centre, day string) ([]Booking, error)
	Kiosk(id string) (Kiosk, error)
	Kiosks() ([]Kiosk, error)
	Enrollment(hash string) (Enrollment, error)
	Enrollments() ([]Enrollment, error)
	// Purge erases the personal data of a centre's bookings of days before
	// bookingsBefore (YYYY-MM-DD), its events of local days before it
	// (the event log does not grow without end; tickets stay, for
	// reports), no-show records before noShowsBefore, and expired
	// sessions; it returns how many bookings it purged.
	Purge(centre, bookingsBefore string, noShowsBefore time.Time, now time.Time) (int, error)
	Close() error
}

// SharedStore is a Store that several queue-server processes write at
// once (PostgreSQL): each keeps every centre live in memory, so before it
// changes a centre it takes the centre's write lock for a round and
// catches up on what the others committed since its revision (Live.Rev),
// from the store's change log.
type SharedStore interface {
	Store
	// Begin starts a round: a database transaction that holds the
	// centres' locks it takes until Commit or Rollback.
	Begin(ctx context.Context) (Round, error)
	// Revs returns the committed revision of each centre named (of every
	// centre when ids is empty); a centre not stored has none.
	Revs(ctx context.Context, ids []string) (map[string]uint64, error)
	// Fresh returns, without locks, the committed revision of each centre
	// named (of every centre when ids is empty) and the changes after the
	// revisions the caller has (have), in one round trip: what a server
	// needs to catch up before a read.
	Fresh(ctx context.Context, ids []string, have map[string]uint64) (map[string]Locked, error)
	// Since returns the changes committed to a centre after revision rev,
	// in order, each with its Rev; ok is false when the change log no
	// longer reaches back to rev (load the centre whole instead).
	Since(ctx context.Context, centre string, rev uint64) (chs []*Changes, ok bool, err error)
	// Watch calls changed with a centre and its new revision each time
	// another process (or this one) commits a change to it, and accounts
	// each time a commit changes accounts, kiosks or sessions, until ctx
	// ends; it reconnects by itself, and calls changed with "" and
	// accounts after a reconnection, when notices may have been missed.
	Watch(ctx context.Context, changed func(centre string, rev uint64), accounts func())
}

// Round is a SharedStore's transaction of one engine round.
type Round interface {
	// Lock takes the write locks of the centres, in the order given
	// (callers sort them: two processes taking locks in one order never
	// deadlock), and returns their committed revisions. With wait false
	// it takes none that another holds and reports ok false.
	Lock(centres []string, wait bool) (revs map[string]uint64, ok bool, err error)
	// LockSince is Lock that also reads, in the same round trip, the
	// changes committed to each centre after the revision the caller has
	// of it (have; nothing for a centre absent from have).
	LockSince(centres []string, have map[string]uint64, wait bool) (locked map[string]Locked, ok bool, err error)
	// Commit writes the batch durably and ends the round. Each centre's
	// changes carry the revision they make (Changes.Rev, one more than
	// the centre's committed revision): a centre whose committed revision
	// is not one less fails the whole commit.
	Commit(b *Batch) error
	// Rollback ends the round writing nothing.
	Rollback()
}

// Locked is what a round learns of a centre as it locks it.
type Locked struct {
	Rev    uint64 // its committed revision
	Exists bool   // whether it is stored at all
	// Missed are the changes committed after the revision the caller has,
	// in order, when Complete; the change log no longer holding them all
	// (or the caller having none) leaves Complete false: load it whole.
	Missed   []*Changes
	Complete bool
}
