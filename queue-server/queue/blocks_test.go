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

// TestOfflineIssueTimeBounds: a replayed offline ticket joins the queue no
// earlier than its block's lease and no later than the replay's arrival;
// a time outside is corrected and audited, so a kiosk cannot place its
// tickets ahead of walk-ins who came before the block existed.
func TestOfflineIssueTimeBounds(t *testing.T) {
	walkIn := day0.Add(5 * time.Minute)   // 08:05, online
	leased := day0.Add(10 * time.Minute)  // 08:10, the kiosk's block
	arrival := day0.Add(60 * time.Minute) // 09:00, the replay reaches the server
	cases := []struct {
		name    string
		claimed time.Time
		want    time.Time // the issue time kept; zero when refused
		code    string
		first   bool // the offline ticket is called before the walk-in
	}{
		{"before the lease, same day", day0.Add(-time.Hour), leased, "", false},
		{"just before the lease", leased.Add(-time.Nanosecond), leased, "", false},
		{"ahead of the walk-in", walkIn.Add(-time.Minute), leased, "", false},
		{"at the lease", leased, leased, "", false},
		{"between lease and arrival", day0.Add(15 * time.Minute), day0.Add(15 * time.Minute), "", false},
		{"at arrival", arrival, arrival, "", false},
		{"a kiosk clock a minute ahead", arrival.Add(time.Minute), arrival, "", false},
		{"beyond the clock skew", arrival.Add(MaxClockSkew + time.Second), time.Time{}, EInvalid, false},
		{"the day before (no block then)", day0.Add(-10 * time.Hour), time.Time{}, EInvalid, false},
		{"far in the past", time.Date(2001, 1, 1, 0, 0, 0, 0, hcm), time.Time{}, EInvalid, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newTestLive(t, nil)
			w := issue(t, l, walkIn, "A", "")
			b, err := l.LeaseBlock(leased, "kiosk-1", "A", "", 5)
			if err != nil || !b.LeasedAt.Equal(leased) {
				t.Fatalf("lease %+v %v", b, err)
			}
			l.TakeChanges()
			tk, err := l.Issue(arrival, IssueRequest{Service: "A", Number: "A901", IssuedAt: c.claimed, Kiosk: "kiosk-1", Key: "k/1"})
			ch := l.TakeChanges()
			if c.code != "" {
				if ErrorCode(err) != c.code || !ch.Empty() {
					t.Fatalf("%v (changes %+v), want %s and nothing changed", err, ch, c.code)
				}
				return
			}
			if err != nil || !tk.IssuedAt.Equal(c.want) || !tk.OrderAt.Equal(c.want) {
				t.Fatalf("issued %v order %v %v, want %v", tk.IssuedAt, tk.OrderAt, err, c.want)
			}
			corrected := !c.claimed.Equal(c.want)
			if got := len(ch.Audit); corrected != (got == 1) || got > 1 {
				t.Fatalf("audit %+v (corrected: %v)", ch.Audit, corrected)
			}
			if corrected {
				a := ch.Audit[0]
				if a.Action != AuditIssuedAtCorrected || a.Actor != "kiosk-1" || a.Ticket != tk.ID || !a.At.Equal(arrival) || a.Reason == "" {
					t.Fatalf("audit entry %+v", a)
				}
			}
			next, _, _ := l.Next(arrival.Add(time.Minute), 1, "c")
			if (next.ID == tk.ID) != c.first || (!c.first && next.ID != w.ID) {
				t.Fatalf("called first %s (%v), want the walk-in %s", next.Number, next.IssuedAt, w.Number)
			}
		})
	}
}

// TestOfflineIssueTimeOfTomorrowsBlock: a block leased the day before is
// bounded by the start of its own day; one stored before lease times were
// kept, by its day alone.
func TestOfflineIssueTimeOfTomorrowsBlock(t *testing.T) {
	l := newTestLive(t, nil)
	if _, err := l.LeaseBlock(day0, "k", "A", "2026-11-24", 5); err != nil {
		t.Fatal(err)
	}
	legacy, err := l.LeaseBlock(day0, "k", "B", "", 5)
	if err != nil {
		t.Fatal(err)
	}
	ch := l.TakeChanges()
	for i := range ch.Blocks {
		if ch.Blocks[i].ID == legacy.ID {
			ch.Blocks[i].LeasedAt = time.Time{} // as stored before this field
		}
	}
	snap := Snapshot{Config: l.Config(), Meta: Meta{Day: l.Day(), LastSeq: l.LastSeq()}, Numbers: ch.Numbers, Blocks: ch.Blocks, Counters: l.Counters()}
	r := Restore(snap, day0, func() string { return "id" + time.Now().String() })
	old, err := r.Issue(day0.Add(time.Hour), IssueRequest{Service: "B", Number: "B901", IssuedAt: day0.Add(-7 * time.Hour), Kiosk: "k", Key: "k/b"})
	if err != nil || !old.IssuedAt.Equal(day0.Add(-7*time.Hour)) {
		t.Fatalf("block without a lease time, claimed after midnight: %+v %v", old, err)
	}
	next := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	midnight := time.Date(2026, 11, 24, 0, 0, 0, 0, hcm)
	tk, err := r.Issue(next, IssueRequest{Service: "A", Number: "A901", IssuedAt: midnight.Add(time.Minute), Kiosk: "k", Key: "k/a"})
	if err != nil || !tk.IssuedAt.Equal(midnight.Add(time.Minute)) || tk.Day != "2026-11-24" {
		t.Fatalf("tomorrow's block, the next morning: %+v %v", tk, err)
	}
}
