package queue

import "time"

// Event types.
const (
	EventIssued      = "ticket.issued"
	EventCalled      = "ticket.called"
	EventRecalled    = "ticket.recalled"
	EventFinished    = "ticket.finished"
	EventNoShow      = "ticket.no_show"
	EventTransferred = "ticket.transferred"
	EventExpired     = "ticket.expired"
	EventPrechecked  = "ticket.prechecked"
	// EventDossier: a ticket's dossier changed (a form, a document, a
	// confirmation); the event says which ticket, never what.
	EventDossier = "ticket.dossier"
	// EventIdentity: a ticket's identity was read from a CCCD's chip;
	// the event carries the ticket's id only.
	EventIdentity   = "ticket.identity"
	EventRated      = "ticket.rated"
	EventVoided     = "ticket.voided"
	EventPaused     = "counter.paused"
	EventResumed    = "counter.resumed"
	EventOpened     = "counter.opened"
	EventClosed     = "counter.closed"
	EventConfigured = "centre.configured"

	EventBooked      = "booking.created"
	EventCancelled   = "booking.cancelled"
	EventRescheduled = "booking.rescheduled"
	EventCheckedIn   = "booking.checked_in"
	EventBookNoShow  = "booking.no_show"

	// The counter confirmed, or downgraded to normal, a priority claimed
	// at a kiosk (the event never says which group).
	EventPriorityConfirmed  = "ticket.priority_confirmed"
	EventPriorityDowngraded = "ticket.priority_downgraded"

	// A staff alert raised or cleared (Reason: wait or pause; Service or
	// Counter says where; Minutes how long).
	EventAlertRaised  = "alert.raised"
	EventAlertCleared = "alert.cleared"
)

// Event is one change of a centre, numbered by a per-centre gap-free
// sequence. It never carries personal data: hall displays read it unauthenticated.
type Event struct {
	Seq     uint64       `json:"seq"`
	Type    string       `json:"type"`
	At      time.Time    `json:"at"`
	Ticket  *EventTicket `json:"ticket,omitempty"`
	Counter int          `json:"counter,omitempty"`
	// Service is the new service of a transferred ticket.
	Service string `json:"service,omitempty"`
	// Reason is a pause reason or an out-of-order call's reason code.
	Reason string `json:"reason,omitempty"`
	// OutOfOrder marks a call of a specific ticket instead of the next.
	OutOfOrder bool `json:"out_of_order,omitempty"`
	// Booking tells which slot a booking event is about (never who, nor its code).
	Booking *EventBooking `json:"booking,omitempty"`
	// Minutes is an alert's wait or pause, in minutes.
	Minutes int `json:"minutes,omitempty"`
}

// EventBooking is what an event tells of a booking.
type EventBooking struct {
	Service string    `json:"service"`
	Start   time.Time `json:"start"`
	From    time.Time `json:"from,omitzero"` // rescheduled: the old start
	Source  string    `json:"source,omitempty"`
}

// EventTicket is what an event tells of a ticket.
type EventTicket struct {
	ID string `json:"id"`
	// Number and Service are empty only in ticket.identity, which tells
	// the ticket's id alone.
	Number   string `json:"number,omitempty"`
	Service  string `json:"service,omitempty"`
	Priority bool   `json:"priority,omitempty"` // a legal priority group, not which one
	Booked   bool   `json:"booked,omitempty"`
	Offline  bool   `json:"offline,omitempty"`
}

func eventTicket(t *Ticket) *EventTicket {
	return &EventTicket{ID: t.ID, Number: t.Number, Service: t.Service, Priority: t.IsPriority(), Booked: t.Booking != "", Offline: t.Offline}
}

// Audit records a staff action that bends a rule (an out-of-order call) or
// touches configuration, with who did it and why.
type Audit struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Ticket  string    `json:"ticket,omitempty"`
	Booking string    `json:"booking,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}
