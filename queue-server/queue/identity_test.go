package queue

import (
	"encoding/json"
	"testing"
	"time"
)

// An identity read marks the ticket, tells the counter by an event
// carrying the ticket's id alone and is audited without a value; a ticket
// not live is refused.
func TestMarkIdentity(t *testing.T) {
	l := bookingLive(t, nil)
	tk := issue(t, l, day0, "A", "")
	l.TakeChanges()
	if err := l.MarkIdentity(day0, tk.ID, "kiosk-1"); err != nil {
		t.Fatal(err)
	}
	ch := l.TakeChanges()
	if len(ch.Events) != 1 || ch.Events[0].Type != EventIdentity || len(ch.Tickets) != 1 || !ch.Tickets[0].Identity {
		t.Fatalf("changes: %+v, tickets %+v", ch.Events, ch.Tickets)
	}
	raw, _ := json.Marshal(ch.Events[0].Ticket)
	if string(raw) != `{"id":"`+tk.ID+`"}` {
		t.Errorf("the event's ticket: %s, want the id alone", raw)
	}
	if len(ch.Audit) != 1 || ch.Audit[0].Action != AuditIdentityPut || ch.Audit[0].Actor != "kiosk-1" || ch.Audit[0].Ticket != tk.ID || ch.Audit[0].Reason != "" {
		t.Errorf("audit: %+v", ch.Audit)
	}
	// Read again: the event and the audit again, the mark as it was.
	if err := l.MarkIdentity(day0, tk.ID, "canbo1"); err != nil {
		t.Fatal(err)
	}
	if ch := l.TakeChanges(); len(ch.Events) != 1 || len(ch.Tickets) != 0 || len(ch.Audit) != 1 {
		t.Errorf("read again: %d events, %d tickets, %d audit", len(ch.Events), len(ch.Tickets), len(ch.Audit))
	}
	if err := l.MarkIdentity(day0, "nope", "kiosk-1"); ErrorCode(err) != ENotFound {
		t.Errorf("an unknown ticket: %v", err)
	}
}

// An identity expires at the end of its ticket's day, the centre's time
// (Asia/Ho_Chi_Minh, UTC+7): 17:00 UTC.
func TestIdentityExpires(t *testing.T) {
	cfg := bookingLive(t, nil).Config()
	got := IdentityExpires(cfg, "2026-12-31")
	if want := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("expires %v, want %v", got, want)
	}
}
