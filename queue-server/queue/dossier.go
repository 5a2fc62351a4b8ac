package queue

import (
	"encoding/json"
	"time"
)

// A dossier is what a citizen brings for one procedure, kept with the
// ticket or the booking it came with: the filled form (tờ khai) and the
// papers digitised into searchable PDFs, with the fields read from them.
// It is personal data: staff of the owner's centre read it, and it is
// purged when it expires (the owner's day plus the centre's retention).

// DossierTicket is the owner of a ticket's dossier.
func DossierTicket(id string) string { return "ticket:" + id }

// DossierBooking is the owner of a booking's dossier.
func DossierBooking(code string) string { return "booking:" + code }

// DossierForm is the form filled for an owner.
type DossierForm struct {
	Owner  string `json:"owner"`
	Centre string `json:"centre"`
	// Filled is a forms.Filled (JSON), validated before it is kept.
	Filled    json.RawMessage `json:"filled"`
	Procedure string          `json:"procedure"`
	UpdatedAt time.Time       `json:"updated_at"`
	UpdatedBy string          `json:"updated_by,omitempty"`
	Expires   time.Time       `json:"expires"`
}

// DossierDocument is one digitised paper of an owner; its PDF is kept
// apart (Dossiers.DocumentPDF).
type DossierDocument struct {
	// ID is made by the client once: the same document sent again (a
	// kiosk's outbox replayed) is recognised.
	ID        string                  `json:"id"`
	Owner     string                  `json:"owner"`
	Centre    string                  `json:"centre"`
	Name      string                  `json:"name"`
	Kind      string                  `json:"kind"`
	Pages     int                     `json:"pages"`
	SHA256    string                  `json:"sha256"`
	Size      int                     `json:"size"`
	Status    string                  `json:"status,omitempty"`
	Reasons   []string                `json:"reasons,omitempty"`
	Fields    map[string]DossierField `json:"fields,omitempty"`
	CreatedAt time.Time               `json:"created_at"`
	CreatedBy string                  `json:"created_by,omitempty"`
	Expires   time.Time               `json:"expires"`
}

// DossierField is a field read from a document, as corrected by a clerk.
type DossierField struct {
	Value string `json:"value"`
	// Read is what the OCR read, kept when a clerk corrected Value.
	Read        string    `json:"read,omitempty"`
	CorrectedBy string    `json:"corrected_by,omitempty"`
	CorrectedAt time.Time `json:"corrected_at,omitzero"`
}

// DossierConfirm records that a clerk checked an owner's dossier.
type DossierConfirm struct {
	Owner   string    `json:"owner"`
	Centre  string    `json:"centre"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires"`
}

// Dossiers keeps dossiers (forms, documents and their PDFs, confirmations)
// apart from the queue's state: they are large, personal and read only by
// staff. Reads of what does not exist return ENotFound errors.
type Dossiers interface {
	// PutForm keeps an owner's form, replacing the one before.
	PutForm(f DossierForm) error
	Form(owner string) (DossierForm, error)
	// PutDocument keeps a document and its PDF, within the limits (see
	// CheckDossierLimits); a document whose ID the owner already has is
	// not changed, and no error.
	PutDocument(d DossierDocument, pdf []byte) error
	// Documents returns an owner's documents in the order they came.
	Documents(owner string) ([]DossierDocument, error)
	DocumentPDF(owner, id string) ([]byte, error)
	// UpdateDocument replaces a document's description (its corrected
	// fields); its PDF does not change.
	UpdateDocument(d DossierDocument) error
	Confirm(c DossierConfirm) error
	Confirmed(owner string) (DossierConfirm, error)
	// PurgeDossiers erases everything whose Expires is not after now and
	// returns how many forms and documents it erased.
	PurgeDossiers(now time.Time) (int, error)
}

// Dossier limits: a document's PDF, and an owner's documents and their
// PDFs together.
const (
	MaxDossierDocumentBytes = 20 << 20
	MaxDossierDocuments     = 40
	MaxDossierBytes         = 200 << 20
)

// CheckDossierLimits reports whether an owner who has the documents have
// may add one whose PDF is size bytes.
func CheckDossierLimits(have []DossierDocument, size int) error {
	if size > MaxDossierDocumentBytes {
		return Errorf(ETooLarge, "a document's PDF may be at most %d MB", "tệp PDF của mỗi giấy tờ tối đa %d MB", MaxDossierDocumentBytes>>20)
	}
	if len(have) >= MaxDossierDocuments {
		return Errorf(EInvalid, "a dossier holds at most %d documents", "mỗi hồ sơ có tối đa %d giấy tờ", MaxDossierDocuments)
	}
	total := size
	for _, d := range have {
		total += d.Size
	}
	if total > MaxDossierBytes {
		return Errorf(ETooLarge, "a dossier's documents may be at most %d MB together", "tổng dung lượng giấy tờ của một hồ sơ tối đa %d MB", MaxDossierBytes>>20)
	}
	return nil
}

// DossierExpires is when a dossier of a local day (a ticket's, a
// booking's slot) expires: at the end of that day plus the centre's
// retention period.
func DossierExpires(cfg Centre, day string) time.Time {
	loc := cfg.Location()
	d, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		d = time.Now().In(loc) // a stored day is always valid; be safe
	}
	days := cfg.Rules.RetentionDays
	if days <= 0 {
		days = 30
	}
	return time.Date(d.Year(), d.Month(), d.Day()+days+1, 0, 0, 0, 0, loc)
}

// DossierMark is what the live state tells staff of a ticket's dossier:
// whether it has a form, and how many documents. No personal data.
type DossierMark struct {
	Form      bool `json:"form,omitempty"`
	Documents int  `json:"documents,omitempty"`
	Confirmed bool `json:"confirmed,omitempty"`
}

// MarkDossier records what a live ticket's dossier now holds, so that the
// counter learns of it (event ticket.dossier).
func (l *Live) MarkDossier(now time.Time, id string, m DossierMark) (Ticket, error) {
	l.Roll(now)
	t, ok := l.tickets[id]
	if !ok {
		return Ticket{}, Errorf(ENotFound, "no ticket %q today", "hôm nay không có số %q", id)
	}
	if t.Dossier != nil && *t.Dossier == m {
		return *t, nil
	}
	t.Dossier = &m
	l.touchTicket(t)
	l.emit(now, Event{Type: EventDossier, Ticket: eventTicket(t)})
	return *t, nil
}

// MarkBookingForm records that a booking's citizen filled its form: the
// ticket of its check-in starts with it.
func (l *Live) MarkBookingForm(now time.Time, code string) (Booking, error) {
	l.Roll(now)
	b, ok := l.bookings[code]
	if !ok {
		return Booking{}, Errorf(ENotFound, "no booking %s", "không có lịch hẹn %s", code)
	}
	if !b.Form {
		b.Form = true
		l.touchBooking(b)
	}
	if t, ok := l.tickets[b.Ticket]; ok && (t.Dossier == nil || !t.Dossier.Form) {
		m := DossierMark{Form: true}
		if t.Dossier != nil {
			m.Documents, m.Confirmed = t.Dossier.Documents, t.Dossier.Confirmed
		}
		if _, err := l.MarkDossier(now, t.ID, m); err != nil {
			return Booking{}, err
		}
	}
	return *b, nil
}

// Dossier audit actions.
const (
	AuditDossierCorrect = "dossier.correct" // Reason: the document and the field corrected
	AuditDossierConfirm = "dossier.confirm"
)

// AuditDossier records a clerk's change of a ticket's dossier; the record
// names the ticket and what was changed (reason: a document and a field),
// never a value.
func (l *Live) AuditDossier(now time.Time, ticket, actor, action, reason string) {
	l.Roll(now)
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: action, Ticket: ticket, Reason: reason})
	l.version++
}
