package queue

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Error codes: stable strings clients may rely on. Transport adapters map
// them to their own statuses (httpapi maps them to HTTP statuses in one table).
const (
	EInvalid        = "invalid"           // the request is well-formed but not acceptable
	EBadRequest     = "bad_request"       // the request could not be read
	ENotFound       = "not_found"         // no such centre, service, counter, ticket…
	EConflict       = "conflict"          // the state does not allow it now
	EUnauthorized   = "unauthorized"      // no or bad credentials
	EForbidden      = "forbidden"         // credentials valid, action not allowed
	ENoCurrent      = "no_current_ticket" // the counter serves no ticket now
	ECounterPaused  = "counter_paused"    // the counter is paused or closed
	ENoShowTooEarly = "no_show_too_early" // not called often enough, or too recently
	ERecallTooSoon  = "recall_too_soon"   // the last call was too recent
	ESlotFull       = "slot_full"         // the slot has no place left
	ELimitReached   = "limit_reached"     // a per-citizen booking limit
	EBookingBlocked = "booking_blocked"   // booking blocked after repeated no-shows
	ECheckInClosed  = "check_in_closed"   // too early to check in, or not today
	EOutsideHours   = "outside_hours"     // kiosks issue walk-in numbers only in the centre's window
	EChallenge      = "challenge_failed"  // the anti-bot proof of work is missing or wrong
	EKioskRevoked   = "kiosk_revoked"     // the kiosk's enrolment was revoked or its certificate expired
	EKioskPending   = "kiosk_pending"     // the kiosk waits for an admin's approval
	ETooLarge       = "too_large"         // request body over the limit
	ERateLimited    = "rate_limited"      // too many requests
	EUnavailable    = "unavailable"       // shutting down or store failing
	EInternal       = "internal"          // a bug or an I/O failure
)

// Error is the one error type of the domain: a stable code and a message in
// Vietnamese and English.
type Error struct {
	Code string
	VI   string // Vietnamese message (default)
	EN   string // English message
	// Field names the field of the request at fault when one is, as a
	// path of JSON names ("services[2].code", "citizen.phone"), so that
	// a form can point at it; "" when the error is not about one field.
	Field string
}

// At returns a copy of e that names the field at fault.
func (e *Error) At(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

func (e *Error) Error() string { return e.Code + ": " + e.EN }

// Errorf returns an *Error with the code and both messages (formatted with
// the same arguments).
func Errorf(code, en, vi string, args ...any) *Error {
	return &Error{Code: code, EN: fmt.Sprintf(en, args...), VI: fmt.Sprintf(vi, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Sentence starts an error's message with a capital letter, as a sentence
// shown to a citizen should (the messages are written lower-case, to be
// wrapped).
func Sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
