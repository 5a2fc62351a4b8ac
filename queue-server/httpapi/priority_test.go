package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// TestKioskPriorityConfirmedAtTheCounter: a kiosk's disabled, pregnant,
// child or merit ticket is a priority to be confirmed; it is called as
// priority, and the clerk confirms or downgrades it from the counter,
// audited, with events that name no group. Staff tickets keep theirs.
func TestKioskPriorityConfirmedAtTheCounter(t *testing.T) {
	e := newEnv(t)
	e.alwaysOpen(t)
	ctx := context.Background()
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	q, err := e.clerk.Queue(ctx, centreID)
	must(t, err)
	events, err := e.clerk.Events(ctx, centreID, q.LastSeq)
	must(t, err)
	defer events.Close()

	walkIn, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	issued := map[string]apiv1.TicketView{}
	for _, p := range []string{"elderly", "disabled", "pregnant", "child", "merit"} {
		tv, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Priority: p})
		must(t, err)
		if tv.Priority != p || tv.PriorityPending != (p != "elderly") {
			t.Fatalf("kiosk %s: %+v", p, tv)
		}
		issued[p] = tv
	}
	staff, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Priority: "merit"})
	if err != nil || staff.PriorityPending {
		t.Fatalf("staff's merit ticket: %+v %v", staff, err)
	}
	// The kiosk cannot decide for itself.
	if _, err := k.Counter(ctx, centreID, 1, "confirm-priority", nil); apiCode(err) != "403 forbidden" {
		t.Fatalf("kiosk confirming: %v", err)
	}

	// Called as priority: the elderly first (earliest), then the disabled.
	r, err := e.clerk.Counter(ctx, centreID, 1, "next", nil)
	must(t, err)
	if r.Ticket.ID != issued["elderly"].ID {
		t.Fatalf("first call %s", r.Ticket.Number)
	}
	if _, err := e.clerk.Counter(ctx, centreID, 1, "downgrade-priority", nil); apiCode(err) != "409 conflict" {
		t.Fatalf("downgrading a card-checked elderly ticket: %v", err)
	}
	r, err = e.clerk.Counter(ctx, centreID, 1, "next", nil)
	must(t, err)
	if r.Ticket.ID != issued["disabled"].ID || !r.Ticket.PriorityPending || r.Counter == nil || r.Counter.Current == nil || !r.Counter.Current.PriorityPending {
		t.Fatalf("second call %+v counter %+v", r.Ticket, r.Counter)
	}
	r, err = e.clerk.Counter(ctx, centreID, 1, "confirm-priority", &apiv1.CounterRequest{Reason: "Thẻ người khuyết tật"})
	if err != nil || r.Ticket.PriorityPending || r.Ticket.Priority != "disabled" || r.Ticket.Status != "called" || r.Counter.Current.PriorityPending {
		t.Fatalf("confirm: %+v %v", r.Ticket, err)
	}
	if _, err := e.clerk.Counter(ctx, centreID, 1, "confirm-priority", nil); apiCode(err) != "409 conflict" {
		t.Fatalf("confirming twice: %v", err)
	}
	// The pregnant claim is downgraded: it waits again, as normal, by its issue time.
	r, err = e.clerk.Counter(ctx, centreID, 1, "next", nil)
	must(t, err)
	if r.Ticket.ID != issued["pregnant"].ID {
		t.Fatalf("third call %s", r.Ticket.Number)
	}
	long := strings.Repeat("x", queue.MaxReasonLen+1)
	if _, err := e.clerk.Counter(ctx, centreID, 1, "downgrade-priority", &apiv1.CounterRequest{Reason: long}); apiCode(err) != "422 invalid" {
		t.Fatalf("reason too long: %v", err)
	}
	r, err = e.clerk.Counter(ctx, centreID, 1, "downgrade-priority", &apiv1.CounterRequest{Reason: "Không có giấy tờ"})
	if err != nil || r.Ticket.Priority != "normal" || r.Ticket.PriorityPending || r.Ticket.Status != "waiting" || r.Counter.Current != nil {
		t.Fatalf("downgrade: %+v %+v %v", r.Ticket, r.Counter, err)
	}
	// Behind the walk-in who came first, ahead of no one who came before.
	waiting, err := e.clerk.Tickets(ctx, centreID, true)
	must(t, err)
	var order []string
	for _, tv := range waiting {
		order = append(order, tv.Number)
	}
	want := []string{issued["child"].Number, issued["merit"].Number, staff.Number, walkIn.Number, issued["pregnant"].Number}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Fatalf("waiting %v, want %v", order, want)
	}

	var audit []queue.Audit
	_, err = e.admin.Do(ctx, "GET", "/api/v1/centres/"+centreID+"/audit", nil, &audit)
	must(t, err)
	got := map[string]queue.Audit{}
	for _, a := range audit {
		got[a.Action] = a
	}
	if a := got[queue.AuditPriorityConfirmed]; a.Ticket != issued["disabled"].ID || a.Actor != "canbo1" || !strings.Contains(a.Reason, "disabled") {
		t.Fatalf("confirmation audit %+v", a)
	}
	if a := got[queue.AuditPriorityDowngraded]; a.Ticket != issued["pregnant"].ID || a.Actor != "canbo1" || !strings.Contains(a.Reason, "Không có giấy tờ") {
		t.Fatalf("downgrade audit %+v", a)
	}

	// The public stream tells what happened to which number, never the group.
	seen := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for !(seen[queue.EventPriorityConfirmed] && seen[queue.EventPriorityDowngraded]) {
		ev, err := events.Next(deadline)
		if err != nil {
			t.Fatalf("events: %v (seen %v)", err, seen)
		}
		raw, _ := json.Marshal(ev)
		for _, group := range []string{"disabled", "pregnant", "Không có giấy tờ", "khuyết tật"} {
			if strings.Contains(string(raw), group) {
				t.Fatalf("event %s names %q", raw, group)
			}
		}
		seen[ev.Type] = true
	}
}
