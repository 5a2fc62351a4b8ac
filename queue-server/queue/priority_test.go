package queue

import (
	"testing"
	"time"
)

// TestKioskPriorityIsPendingUntilTheCounter: per group and source, what a
// ticket's priority is when issued; a kiosk grants only what it checks
// (elderly, from the card's birth date), staff grant any group.
func TestKioskPriorityIsPendingUntilTheCounter(t *testing.T) {
	cases := []struct {
		source, kiosk, priority string
		offline                 bool
		pending                 bool
	}{
		{SourceKiosk, "k", PriorityNormal, false, false},
		{SourceKiosk, "k", PriorityElderly, false, false},
		{SourceKiosk, "k", PriorityDisabled, false, true},
		{SourceKiosk, "k", PriorityPregnant, false, true},
		{SourceKiosk, "k", PriorityChild, false, true},
		{SourceKiosk, "k", PriorityMerit, false, true},
		{SourceKiosk, "k", PriorityMerit, true, true},
		{SourceKiosk, "k", PriorityElderly, true, false},
		{"", "k", PriorityPregnant, true, true}, // a kiosk's offline ticket, whatever the source says
		{SourceStaff, "", PriorityDisabled, false, false},
		{SourceStaff, "", PriorityPregnant, false, false},
		{SourceStaff, "", PriorityChild, false, false},
		{SourceStaff, "", PriorityMerit, false, false},
		{SourceStaff, "", PriorityElderly, false, false},
	}
	for _, c := range cases {
		name := c.source + "/" + c.priority
		if c.offline {
			name += "/offline"
		}
		t.Run(name, func(t *testing.T) {
			l := newTestLive(t, nil)
			r := IssueRequest{Service: "A", Priority: c.priority, Source: c.source, Kiosk: c.kiosk}
			if c.offline {
				if _, err := l.LeaseBlock(day0, c.kiosk, "A", "", 5); err != nil {
					t.Fatal(err)
				}
				r.Number, r.IssuedAt, r.Key = "A901", day0, "k/1"
			}
			tk, err := l.Issue(day0.Add(time.Minute), r)
			if err != nil || tk.Priority != c.priority || tk.PriorityPending != c.pending {
				t.Fatalf("%+v %v: priority %s pending %v, want %s pending %v", tk, err, tk.Priority, tk.PriorityPending, c.priority, c.pending)
			}
			ch := l.TakeChanges()
			if len(ch.Tickets) != 1 || ch.Tickets[0].PriorityPending != c.pending {
				t.Fatalf("stored %+v", ch.Tickets)
			}
		})
	}
}

// TestPendingPriorityIsCalledAsPriority: an unconfirmed priority is
// called before earlier normal tickets, as a confirmed one is.
func TestPendingPriorityIsCalledAsPriority(t *testing.T) {
	l := newTestLive(t, nil)
	normal := issue(t, l, day0, "A", "")
	staff := issue(t, l, day0.Add(time.Minute), "A", PriorityElderly)
	claimed, err := l.Issue(day0.Add(2*time.Minute), IssueRequest{Service: "A", Priority: PriorityPregnant, Source: SourceKiosk, Kiosk: "k"})
	if err != nil || !claimed.PriorityPending {
		t.Fatalf("%+v %v", claimed, err)
	}
	var got []string
	for i := range 3 {
		tk, _, _ := l.Next(day0.Add(time.Duration(10+i)*time.Minute), 1, "c")
		got = append(got, tk.ID)
	}
	if got[0] != staff.ID || got[1] != claimed.ID || got[2] != normal.ID {
		t.Fatalf("calling order %v, want %s %s %s", got, staff.Number, claimed.Number, normal.Number)
	}
}

// TestCounterConfirmsOrDowngradesPriority: the clerk decides on the
// ticket at the counter; each decision is audited and emits an event
// that names no group; a downgraded ticket waits again by its issue time.
func TestCounterConfirmsOrDowngradesPriority(t *testing.T) {
	type step struct {
		name   string
		do     func(l *Live, now time.Time) (Ticket, error)
		code   string
		action string // audit action when done
	}
	confirm := func(reason string) func(*Live, time.Time) (Ticket, error) {
		return func(l *Live, now time.Time) (Ticket, error) { return l.ConfirmPriority(now, 1, reason, "canbo1") }
	}
	downgrade := func(reason string) func(*Live, time.Time) (Ticket, error) {
		return func(l *Live, now time.Time) (Ticket, error) { return l.DowngradePriority(now, 1, reason, "canbo1") }
	}
	cases := []struct {
		name     string
		priority string
		source   string
		step     step
	}{
		{"confirm a kiosk's disabled", PriorityDisabled, SourceKiosk, step{"confirm", confirm("thẻ người khuyết tật"), "", AuditPriorityConfirmed}},
		{"confirm a kiosk's merit", PriorityMerit, SourceKiosk, step{"confirm", confirm(""), "", AuditPriorityConfirmed}},
		{"downgrade a kiosk's pregnant", PriorityPregnant, SourceKiosk, step{"downgrade", downgrade("không có giấy tờ"), "", AuditPriorityDowngraded}},
		{"downgrade a kiosk's child", PriorityChild, SourceKiosk, step{"downgrade", downgrade(""), "", AuditPriorityDowngraded}},
		{"confirm a normal ticket", PriorityNormal, SourceKiosk, step{"confirm", confirm(""), EConflict, ""}},
		{"downgrade a normal ticket", PriorityNormal, SourceKiosk, step{"downgrade", downgrade(""), EConflict, ""}},
		{"downgrade the kiosk's elderly (card checked)", PriorityElderly, SourceKiosk, step{"downgrade", downgrade(""), EConflict, ""}},
		{"downgrade staff's merit", PriorityMerit, SourceStaff, step{"downgrade", downgrade(""), EConflict, ""}},
		{"confirm staff's disabled", PriorityDisabled, SourceStaff, step{"confirm", confirm(""), EConflict, ""}},
		{"reason too long", PriorityMerit, SourceKiosk, step{"downgrade", downgrade(stringOf('x', MaxReasonLen+1)), EInvalid, ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newTestLive(t, nil)
			early := issue(t, l, day0, "A", "")
			tk, err := l.Issue(day0.Add(time.Minute), IssueRequest{Service: "A", Priority: c.priority, Source: c.source, Kiosk: map[bool]string{true: "k"}[c.source == SourceKiosk]})
			if err != nil {
				t.Fatal(err)
			}
			later := issue(t, l, day0.Add(2*time.Minute), "A", "")
			// Call the claimed ticket (first, when it is a priority).
			if _, err := l.Call(day0.Add(5*time.Minute), 1, tk.ID, "test", "canbo1"); err != nil {
				t.Fatal(err)
			}
			l.TakeChanges()
			now := day0.Add(6 * time.Minute)
			got, err := c.step.do(l, now)
			ch := l.TakeChanges()
			if c.step.code != "" {
				if ErrorCode(err) != c.step.code || !ch.Empty() {
					t.Fatalf("%v (changes %+v), want %s and nothing changed", err, ch, c.step.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ch.Audit) != 1 || ch.Audit[0].Action != c.step.action || ch.Audit[0].Actor != "canbo1" || ch.Audit[0].Ticket != tk.ID || ch.Audit[0].Reason == "" {
				t.Fatalf("audit %+v", ch.Audit)
			}
			if len(ch.Events) != 1 || ch.Events[0].Ticket == nil || ch.Events[0].Counter != 1 {
				t.Fatalf("events %+v", ch.Events)
			}
			ev := ch.Events[0]
			switch c.step.action {
			case AuditPriorityConfirmed:
				if got.Priority != c.priority || got.PriorityPending || got.Status != StatusCalled || ev.Type != EventPriorityConfirmed || !ev.Ticket.Priority {
					t.Fatalf("confirmed %+v, event %+v", got, ev)
				}
				if _, err := l.ConfirmPriority(now, 1, "", "canbo1"); ErrorCode(err) != EConflict {
					t.Fatalf("confirmed twice: %v", err)
				}
			case AuditPriorityDowngraded:
				if got.Priority != PriorityNormal || got.PriorityPending || got.Status != StatusWaiting || got.Counter != 0 || ev.Type != EventPriorityDowngraded || ev.Ticket.Priority {
					t.Fatalf("downgraded %+v, event %+v", got, ev)
				}
				if _, err := l.Finish(now, 1); ErrorCode(err) != ENoCurrent {
					t.Fatalf("the counter still serves it: %v", err)
				}
				// It waits again by its issue time: after the earlier walk-in, before the later.
				var order []string
				for i := range 3 {
					n, _, _ := l.Next(now.Add(time.Duration(i+1)*time.Minute), 1, "canbo1")
					order = append(order, n.ID)
				}
				if order[0] != early.ID || order[1] != tk.ID || order[2] != later.ID {
					t.Fatalf("order after the downgrade %v, want %s %s %s", order, early.Number, tk.Number, later.Number)
				}
			}
		})
	}
	// Nothing at the counter: nothing to decide.
	l := newTestLive(t, nil)
	if _, err := l.ConfirmPriority(day0, 1, "", "c"); ErrorCode(err) != ENoCurrent {
		t.Fatalf("no current ticket: %v", err)
	}
}

func stringOf(r rune, n int) string {
	out := make([]rune, n)
	for i := range out {
		out[i] = r
	}
	return string(out)
}
