package queue

import (
	"testing"
	"time"
)

func TestLeaseBlocksAndOfflineTickets(t *testing.T) {
	l := newTestLive(t, nil)
	issue(t, l, day0, "A", "") // A001 online
	b1, err := l.LeaseBlock(day0, "kiosk-1", "A", "", 10)
	if err != nil || b1.From != 901 || b1.To != 910 || b1.Day != "2026-11-23" {
		t.Fatalf("block %+v %v", b1, err)
	}
	b2, _ := l.LeaseBlock(day0, "kiosk-2", "A", "", 5)
	if b2.From != 911 || b2.To != 915 {
		t.Fatalf("second kiosk's block %+v", b2)
	}
	if online := issue(t, l, day0.Add(time.Minute), "A", ""); online.Number != "A002" {
		t.Fatalf("online after the blocks: %s, want A002 (blocks come from A901 up)", online.Number)
	}
	// An offline ticket printed before the online A002 is placed by its real time.
	off, err := l.Issue(day0.Add(2*time.Minute), IssueRequest{Service: "A", Number: "A902", IssuedAt: day0.Add(30 * time.Second), Kiosk: "kiosk-1", Key: "kiosk-1/1"})
	if err != nil || !off.Offline || off.Status != StatusWaiting || !off.OrderAt.Equal(day0.Add(30*time.Second)) {
		t.Fatalf("offline ticket %+v %v", off, err)
	}
	again, err := l.Issue(day0.Add(3*time.Minute), IssueRequest{Service: "A", Number: "A902", IssuedAt: day0.Add(30 * time.Second), Kiosk: "kiosk-1", Key: "kiosk-1/1"})
	if err != nil || again.ID != off.ID {
		t.Fatalf("replay of the same key: %+v %v", again, err)
	}
	cases := []struct {
		name string
		r    IssueRequest
		code string
	}{
		{"same number, other key", IssueRequest{Service: "A", Number: "A902", IssuedAt: day0, Kiosk: "kiosk-1", Key: "kiosk-1/9"}, EConflict},
		{"another kiosk's block", IssueRequest{Service: "A", Number: "A912", IssuedAt: day0, Kiosk: "kiosk-1", Key: "x1"}, EInvalid},
		{"never leased", IssueRequest{Service: "A", Number: "A999", IssuedAt: day0, Kiosk: "kiosk-1", Key: "x2"}, EInvalid},
		{"online number", IssueRequest{Service: "A", Number: "A002", IssuedAt: day0, Kiosk: "kiosk-1", Key: "x2b"}, EInvalid},
		{"malformed number", IssueRequest{Service: "A", Number: "A02", IssuedAt: day0, Kiosk: "kiosk-1", Key: "x3"}, EInvalid},
		{"other service's letter", IssueRequest{Service: "B", Number: "A903", IssuedAt: day0, Kiosk: "kiosk-1", Key: "x4"}, EInvalid},
		{"in the future", IssueRequest{Service: "A", Number: "A903", IssuedAt: day0.Add(time.Hour), Kiosk: "kiosk-1", Key: "x5"}, EInvalid},
		{"no kiosk", IssueRequest{Service: "A", Number: "A903", IssuedAt: day0, Key: "x6"}, EForbidden},
	}
	for _, c := range cases {
		l.TakeChanges()
		if _, err := l.Issue(day0.Add(4*time.Minute), c.r); ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
		if ch := l.TakeChanges(); !ch.Empty() {
			t.Errorf("%s: refused ticket changed state", c.name)
		}
	}
	// Calling order: A001 (08:00), A902 offline (08:00:30), A002 (08:01).
	var got []string
	for i := 0; i < 3; i++ {
		tk, _, _ := l.Next(day0.Add(time.Duration(10+i)*time.Minute), 2, "c")
		got = append(got, tk.Number)
	}
	if got[0] != "A001" || got[1] != "A902" || got[2] != "A002" {
		t.Fatalf("calling order %v", got)
	}
}

func TestOnlineNumbersStepOverLeasedBlocks(t *testing.T) {
	l := newTestLive(t, nil)
	if _, err := l.LeaseBlock(day0, "k", "B", "", 10); err != nil { // B901–B910
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var last Ticket
	for i := 0; i < 901; i++ {
		last = issue(t, l, day0, "B", "")
		if seen[last.Number] {
			t.Fatalf("%s given twice", last.Number)
		}
		seen[last.Number] = true
	}
	if !seen["B900"] || seen["B901"] || last.Number != "B911" {
		t.Fatalf("the 901st online ticket is %s, want B911 (B901–B910 are the kiosk's)", last.Number)
	}
	// A block leased now starts after the online numbers too.
	b, _ := l.LeaseBlock(day0, "k", "B", "", 5)
	if b.From != 912 {
		t.Fatalf("block after online B911: %+v", b)
	}
}

func TestBlocksAcrossDays(t *testing.T) {
	l := newTestLive(t, nil)
	if _, err := l.LeaseBlock(day0, "k", "A", "2026-11-25", 5); ErrorCode(err) != EInvalid {
		t.Fatalf("lease two days ahead: %v", err)
	}
	if _, err := l.LeaseBlock(day0, "k", "A", "", 500); ErrorCode(err) != EInvalid {
		t.Fatalf("oversized block: %v", err)
	}
	today, _ := l.LeaseBlock(day0, "k", "A", "", 5)
	tomorrow, err := l.LeaseBlock(day0, "k", "A", "2026-11-24", 5)
	if err != nil || tomorrow.From != 901 || tomorrow.To != 905 {
		t.Fatalf("tomorrow's block %+v %v", tomorrow, err)
	}
	ch := l.TakeChanges()
	// Restored after midnight, tomorrow's numbering continues after the lease.
	snap := Snapshot{Config: l.Config(), Meta: Meta{Day: l.Day(), LastSeq: l.LastSeq()}, Numbers: ch.Numbers, Blocks: ch.Blocks, Counters: l.Counters()}
	next := time.Date(2026, 11, 24, 7, 0, 0, 0, hcm)
	r := Restore(snap, next, func() string { return "id" + time.Now().String() })
	// Yesterday's ticket from today's block arrives after midnight: recorded, expired.
	late, err := r.Issue(next, IssueRequest{Service: "A", Number: "A903", IssuedAt: day0.Add(time.Hour), Kiosk: "k", Key: "k/3"})
	if err != nil || late.Status != StatusExpired || late.Day != today.Day {
		t.Fatalf("late replay %+v %v", late, err)
	}
	if got := issue(t, r, next, "A", ""); got.Number != "A001" {
		t.Fatalf("first online ticket of the new day: %s, want A001 (blocks are apart, from A901)", got.Number)
	}
	if bs := r.Blocks("k"); len(bs) != 1 || bs[0].Day != "2026-11-24" {
		t.Fatalf("blocks of today on: %+v", bs)
	}
}
