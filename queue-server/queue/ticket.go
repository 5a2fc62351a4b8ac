package queue

import (
	"fmt"
	"time"
)

// Ticket statuses: waiting → called → done | no_show; expired when a local
// day ends with the ticket still open.
const (
	StatusWaiting = "waiting"
	StatusCalled  = "called"
	StatusDone    = "done"
	StatusNoShow  = "no_show"
	StatusExpired = "expired"
	// StatusVoid is a ticket its kiosk never printed (the printer failed
	// after the server answered, or the answer was lost).
	StatusVoid = "void"
)

// Priority groups. Normal is the default; the others are the legal priority
// groups one-stop centres serve first (the elderly, people with disabilities,
// pregnant women, young children, people with revolutionary merit).
const (
	PriorityNormal   = "normal"
	PriorityElderly  = "elderly"
	PriorityDisabled = "disabled"
	PriorityPregnant = "pregnant"
	PriorityChild    = "child"
	PriorityMerit    = "merit"
)

// ValidPriority reports whether p names a priority group (or normal).
func ValidPriority(p string) bool {
	switch p {
	case PriorityNormal, PriorityElderly, PriorityDisabled, PriorityPregnant, PriorityChild, PriorityMerit:
		return true
	}
	return false
}

// KioskGrants reports whether a kiosk may grant priority p on its own:
// normal, and elderly, which the kiosk checks against the birth date on
// the citizen's ID card. The other groups (disability, pregnancy, a young
// child, revolutionary merit) have no proof a kiosk can read; a kiosk's
// ticket of theirs is a priority to be confirmed at the counter.
func KioskGrants(p string) bool { return p == PriorityNormal || p == PriorityElderly || p == "" }

// Ticket sources.
const (
	SourceKiosk   = "kiosk"
	SourceStaff   = "staff"
	SourceBooking = "booking"
	SourceOnline  = "online" // a same-day number taken from the phone
)

// Ticket is one number handed to one citizen.
type Ticket struct {
	ID       string    `json:"id"`
	Centre   string    `json:"centre"`
	Number   string    `json:"number"`
	Service  string    `json:"service"`
	Seq      int       `json:"seq"` // the daily sequence inside Number
	Day      string    `json:"day"` // local date of issue, YYYY-MM-DD
	Priority string    `json:"priority"`
	Status   string    `json:"status"`
	IssuedAt time.Time `json:"issued_at"`
	// OrderAt is when the ticket joined the queue for the calling rule: its
	// issue time, or its slot start for a booking; a transfer keeps it.
	OrderAt   time.Time  `json:"order_at"`
	Booking   string     `json:"booking,omitempty"`
	SlotStart *time.Time `json:"slot_start,omitempty"`
	Source    string     `json:"source,omitempty"`
	Kiosk     string     `json:"kiosk,omitempty"`
	Key       string     `json:"idempotency_key,omitempty"`
	Offline   bool       `json:"offline,omitempty"` // issued by a kiosk while the server was unreachable

	Counter       int        `json:"counter,omitempty"`
	Calls         int        `json:"calls,omitempty"` // first call and recalls
	FirstCalledAt *time.Time `json:"first_called_at,omitempty"`
	CalledAt      *time.Time `json:"called_at,omitempty"` // latest call
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	ServedBy      string     `json:"served_by,omitempty"`
	Transfers     []string   `json:"transfers,omitempty"` // services it came from, in order
	FirstEstimate *int       `json:"first_estimate_seconds,omitempty"`
	// Precheck is the kiosk's dossier pre-check result (JSON), for staff only.
	Precheck []byte `json:"precheck,omitempty"`
	// Dossier tells what the ticket's dossier holds (kept apart, in the
	// store's Dossiers), so that the counter learns of it.
	Dossier *DossierMark `json:"dossier,omitempty"`
	// Identity tells that an identity was read from the citizen's CCCD
	// chip for the ticket (kept apart, in the store's Identities, until
	// the day ends), so that the counter asks for it.
	Identity bool `json:"identity,omitempty"`
	// Rating is the citizen's satisfaction, 1 (not satisfied) to 4 (very
	// satisfied) as in the national survey; 0 when not rated.
	Rating int `json:"rating,omitempty"`

	// PriorityPending marks a priority a kiosk issued without proof: the
	// ticket is called as priority, and the clerk confirms it at the
	// counter or downgrades it to normal.
	PriorityPending bool `json:"priority_pending,omitempty"`

	// Citizen is the keyed hash of the CCCD number of an identified
	// ticket (an online number, a kiosk ticket after a card read), for
	// the per-citizen daily limit; empty otherwise.
	Citizen string `json:"citizen_key,omitempty"`
	// Notify are the channels its citizen chose to be told through (the
	// addresses are in its Contact); Notified the topics told once (near).
	Notify   []string `json:"notify,omitempty"`
	Notified []string `json:"notified,omitempty"`
}

// Open reports whether the ticket still waits or is being served.
func (t *Ticket) Open() bool { return t.Status == StatusWaiting || t.Status == StatusCalled }

// IsPriority reports whether the ticket belongs to a legal priority group.
func (t *Ticket) IsPriority() bool { return t.Priority != "" && t.Priority != PriorityNormal }

// FormatNumber writes a ticket number: the service code and a sequence of at
// least three digits (A001 … A999, A1000).
func FormatNumber(service string, seq int) string { return fmt.Sprintf("%s%03d", service, seq) }

func timePtr(t time.Time) *time.Time { return &t }
