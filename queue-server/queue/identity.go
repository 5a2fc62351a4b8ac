package queue

import (
	"encoding/json"
	"time"
)

// A ticket's identity is what the chip of the citizen's CCCD told, read
// at the kiosk or at the counter (issue 21): the chip's fields, whether
// the issuing state's signature holds (Authenticity), how the chip
// differs from the card's printed QR/MRZ (Mismatches), and the face.
// The face is biometric data (sensitive personal data, Decree 13/2023):
// staff of the ticket's centre see it, it never goes into events, logs,
// exports or the dossier package, and it is erased with the ticket's
// day (Expires): never kept beyond it.

// Authenticities of a chip read (lds.Authenticity's values).
const (
	AuthGenuine       = "genuine"
	AuthDataAltered   = "data_altered"
	AuthUnknownIssuer = "unknown_issuer"
	AuthNotChecked    = "not_checked"
)

// Authenticities are the values of TicketIdentity.Authenticity.
var Authenticities = []string{AuthGenuine, AuthDataAltered, AuthUnknownIssuer, AuthNotChecked}

// IdentitySourceChip is the source of an identity read from a chip.
const IdentitySourceChip = "chip"

// MaxIdentityFace is the largest face kept, in bytes (a JPEG).
const MaxIdentityFace = 256 << 10

// TicketIdentity is the identity read for a ticket.
type TicketIdentity struct {
	TicketID     string   `json:"ticket_id"`
	Centre       string   `json:"centre"`
	Source       string   `json:"source"`
	Authenticity string   `json:"authenticity"`
	Problems     []string `json:"problems"`
	Mismatches   []string `json:"mismatches"`
	// Card is the chip's fields as `kioskd idcard chip` prints them,
	// without the face (a JSON object).
	Card json.RawMessage `json:"card"`
	// FaceJPEG is the face (JPEG), kept apart and never in the JSON.
	FaceJPEG []byte    `json:"-"`
	ReadAt   time.Time `json:"read_at"`
	// Expires is the end of the ticket's day, the centre's local time.
	Expires time.Time `json:"expires"`
}

// IdentityIn is the body of PUT /api/v1/tickets/{id}/identity.
type IdentityIn struct {
	Authenticity string          `json:"authenticity"`
	Problems     []string        `json:"problems,omitempty"`
	Mismatches   []string        `json:"mismatches,omitempty"`
	Card         json.RawMessage `json:"card"`
	// Face is the face as a JPEG (base64 in JSON); none when the chip
	// had none.
	Face []byte `json:"face,omitempty"`
}

// Identities keeps the identities of tickets, apart from the queue's
// state. Reads of what does not exist return ENotFound; one that expired
// but is not yet purged is read (callers compare Expires with their
// clock).
type Identities interface {
	// PutIdentity keeps a ticket's identity, replacing the one before.
	PutIdentity(id TicketIdentity) error
	// Identity returns a ticket's identity, its face with it.
	Identity(ticketID string) (TicketIdentity, error)
	// PurgeIdentities erases every identity whose Expires is not after
	// now, faces with them, and returns how many it erased.
	PurgeIdentities(now time.Time) (int, error)
}

// IdentityExpires is when the identity of a ticket of a local day (the
// ticket's Day) expires: at the end of that day, the centre's time.
func IdentityExpires(cfg Centre, day string) time.Time {
	loc := cfg.Location()
	d, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		d = time.Now().In(loc) // a stored day is always valid; be safe
	}
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
}

// Same reports whether two identities hold the same read (all but
// ReadAt): a PUT sent again changes nothing.
func (a TicketIdentity) Same(b TicketIdentity) bool {
	eq := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return a.TicketID == b.TicketID && a.Centre == b.Centre && a.Source == b.Source && a.Authenticity == b.Authenticity &&
		eq(a.Problems, b.Problems) && eq(a.Mismatches, b.Mismatches) && string(a.Card) == string(b.Card) &&
		string(a.FaceJPEG) == string(b.FaceJPEG) && a.Expires.Equal(b.Expires)
}

// Identity audit actions: the record names the ticket and who, never a
// value.
const (
	AuditIdentityPut  = "identity.put"
	AuditIdentityFace = "identity.face" // a member of staff looked at the face
)

// MarkIdentity tells the counter that a live ticket's identity was read
// (the ticket's Identity mark, and the event ticket.identity with the
// ticket's id only), and audits who sent it. A ticket no longer live (an
// earlier day) is not marked.
func (l *Live) MarkIdentity(now time.Time, id, actor string) error {
	l.Roll(now)
	t, ok := l.tickets[id]
	if !ok {
		return Errorf(ENotFound, "no ticket %q today", "hôm nay không có số %q", id)
	}
	if !t.Identity {
		t.Identity = true
		l.touchTicket(t)
	}
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: AuditIdentityPut, Ticket: id})
	l.emit(now, Event{Type: EventIdentity, Ticket: &EventTicket{ID: id}})
	return nil
}

// AuditIdentity records that a member of staff did action (an
// AuditIdentity… action) with a ticket's identity.
func (l *Live) AuditIdentity(now time.Time, ticket, actor, action string) {
	l.Roll(now)
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: action, Ticket: ticket})
	l.version++
}
