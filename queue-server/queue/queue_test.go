package queue

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

var hcm = mustLoc("Asia/Ho_Chi_Minh")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// day0 is a Monday 08:00 in Hồ Chí Minh City.
var day0 = time.Date(2026, 11, 23, 8, 0, 0, 0, hcm)

func testCentre() Centre {
	c := Centre{
		ID: "phuong-test", Name: "Trung tâm Phục vụ hành chính công phường Thử", Timezone: "Asia/Ho_Chi_Minh",
		Hours:  []Hours{{Weekday: 1, Open: "07:30", Close: "17:00"}},
		Breaks: []Break{{Start: "11:30", End: "13:00"}},
		Services: []Service{
			{Code: "A", Name: "Hộ tịch", NameEn: "Civil status", Minutes: 10},
			{Code: "B", Name: "Chứng thực", Minutes: 5},
			{Code: "C", Name: "Đất đai", Minutes: 20},
		},
		Counters: []CounterConfig{
			{Number: 1, Name: "Quầy 1", Services: []string{"A", "B"}},
			{Number: 2, Name: "Quầy 2", Services: []string{"A"}},
			{Number: 3, Name: "Quầy 3", Services: []string{"C"}},
		},
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

func newTestLive(t *testing.T, mutate func(*Centre)) *Live {
	t.Helper()
	c := testCentre()
	if mutate != nil {
		mutate(&c)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	l := NewLive(c, day0, func() string { n++; return fmt.Sprintf("t%04d", n) })
	l.TakeChanges()
	return l
}

func issue(t *testing.T, l *Live, at time.Time, svc, prio string) Ticket {
	t.Helper()
	tk, err := l.Issue(at, IssueRequest{Service: svc, Priority: prio})
	if err != nil {
		t.Fatalf("issue %s: %v", svc, err)
	}
	return tk
}

func TestNumbering(t *testing.T) {
	l := newTestLive(t, nil)
	var got []string
	for i, s := range []string{"A", "A", "B", "A", "C", "B"} {
		got = append(got, issue(t, l, day0.Add(time.Duration(i)*time.Second), s, "").Number)
	}
	want := "A001 A002 B001 A003 C001 B002"
	if strings.Join(got, " ") != want {
		t.Fatalf("numbers %v, want %s", got, want)
	}
}

func TestNumberWidensPast999(t *testing.T) {
	l := newTestLive(t, nil)
	seen := map[string]bool{}
	var last Ticket
	for i := 0; i < 1001; i++ {
		last = issue(t, l, day0, "A", "")
		if seen[last.Number] {
			t.Fatalf("number %s issued twice", last.Number)
		}
		seen[last.Number] = true
	}
	if last.Number != "A1001" || !seen["A999"] || !seen["A1000"] {
		t.Fatalf("last %s; A999 %v A1000 %v", last.Number, seen["A999"], seen["A1000"])
	}
}

func TestNumberingRestartsAtLocalMidnight(t *testing.T) {
	l := newTestLive(t, nil)
	// 23:59 local is 16:59 UTC; the day changes at 17:00 UTC, not at UTC midnight.
	late := time.Date(2026, 11, 23, 16, 59, 0, 0, time.UTC)
	a := issue(t, l, late, "A", "")
	b := issue(t, l, late.Add(30*time.Second), "A", "")
	l.TakeChanges()
	c := issue(t, l, late.Add(61*time.Second), "A", "")
	if a.Number != "A001" || b.Number != "A002" || c.Number != "A001" {
		t.Fatalf("numbers %s %s %s, want A001 A002 A001", a.Number, b.Number, c.Number)
	}
	if c.Day != "2026-11-24" || a.Day != "2026-11-23" {
		t.Fatalf("days %s %s", a.Day, c.Day)
	}
	ch := l.TakeChanges()
	expired := 0
	for _, e := range ch.Events {
		if e.Type == EventExpired {
			expired++
		}
	}
	if expired != 2 {
		t.Fatalf("%d expired events, want 2 (yesterday's waiting tickets)", expired)
	}
	if _, ok := l.Ticket(a.ID); ok {
		t.Fatalf("yesterday's ticket still in memory after the day's changes were taken")
	}
	if ch.Numbers[NumberKey("2026-11-24", "A")] != 1 {
		t.Fatalf("numbering change %v", ch.Numbers)
	}
}

func TestRestoredNumberingContinues(t *testing.T) {
	l := newTestLive(t, nil)
	issue(t, l, day0, "A", "")
	issue(t, l, day0, "A", "")
	ch := l.TakeChanges()
	snap := Snapshot{Config: l.Config(), Tickets: ch.Tickets, Numbers: ch.Numbers, Meta: *ch.Meta, Counters: l.Counters()}
	r := Restore(snap, day0.Add(time.Hour), func() string { return "new" })
	if got := issue(t, r, day0.Add(time.Hour), "A", "").Number; got != "A003" {
		t.Fatalf("after restore got %s, want A003", got)
	}
	if r.LastSeq() != l.LastSeq()+1 {
		t.Fatalf("seq %d after restore, want %d", r.LastSeq(), l.LastSeq()+1)
	}
}

func TestCallingRule(t *testing.T) {
	slot := func(d time.Duration) *time.Time { s := day0.Add(d); return &s }
	type tk struct {
		svc, prio string
		at        time.Duration // issue time after day0
		slot      *time.Time
	}
	cases := []struct {
		name    string
		tickets []tk
		callAt  time.Duration
		want    []int // indexes of tickets, in the order counter 1 calls them
	}{
		{"oldest first, not newest (NovoSGA 2024)", []tk{{"A", "", 0, nil}, {"A", "", time.Minute, nil}, {"A", "", 2 * time.Minute, nil}}, 3 * time.Minute, []int{0, 1, 2}},
		{"oldest first across the counter's services", []tk{{"B", "", 0, nil}, {"A", "", time.Minute, nil}, {"B", "", 2 * time.Minute, nil}}, 3 * time.Minute, []int{0, 1, 2}},
		{"legal priority first, oldest priority first", []tk{{"A", "", 0, nil}, {"A", "elderly", 2 * time.Minute, nil}, {"B", "pregnant", time.Minute, nil}}, 3 * time.Minute, []int{2, 1, 0}},
		{"started booking before walk-ins", []tk{{"A", "", 0, nil}, {"A", "", time.Minute, slot(2 * time.Minute)}}, 3 * time.Minute, []int{1, 0}},
		{"priority before started booking", []tk{{"A", "", 0, slot(time.Minute)}, {"A", "child", 2 * time.Minute, nil}}, 3 * time.Minute, []int{1, 0}},
		{"booking before its slot waits behind walk-ins", []tk{{"A", "", time.Minute, slot(time.Hour)}, {"A", "", 2 * time.Minute, nil}}, 3 * time.Minute, []int{1, 0}},
		{"earliest slot first among started bookings", []tk{{"A", "", 0, slot(2 * time.Minute)}, {"A", "", time.Minute, slot(time.Minute)}}, 3 * time.Minute, []int{1, 0}},
		{"other counters' services ignored", []tk{{"C", "elderly", 0, nil}, {"A", "", time.Minute, nil}}, 3 * time.Minute, []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLive(t, nil)
			var ids []string
			for _, x := range tc.tickets {
				tt, err := l.Issue(day0.Add(x.at), IssueRequest{Service: x.svc, Priority: x.prio, SlotStart: x.slot})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, tt.ID)
			}
			now := day0.Add(tc.callAt)
			for i, w := range tc.want {
				got, ok, err := l.Next(now.Add(time.Duration(i)*time.Second), 1, "clerk")
				if err != nil || !ok {
					t.Fatalf("call %d: ok=%v err=%v", i, ok, err)
				}
				if got.ID != ids[w] {
					t.Fatalf("call %d got ticket %s (%s), want #%d", i, got.Number, got.ID, w)
				}
			}
			if _, ok, _ := l.Next(now.Add(time.Minute), 1, "clerk"); ok {
				t.Fatalf("a ticket was left for counter 1 after the expected calls")
			}
		})
	}
}

func TestInterleave(t *testing.T) {
	l := newTestLive(t, func(c *Centre) { c.Rules.PriorityMode = PriorityInterleave; c.Rules.PriorityEvery = 2 })
	var want []string
	for i := 0; i < 6; i++ {
		issue(t, l, day0.Add(time.Duration(i)*time.Second), "A", "")
	}
	for i := 0; i < 3; i++ {
		issue(t, l, day0.Add(time.Duration(10+i)*time.Second), "A", "elderly")
	}
	// After every 2 normal tickets one priority ticket, priority ones in their own order.
	want = []string{"A001", "A002", "A007", "A003", "A004", "A008", "A005", "A006", "A009"}
	for i, w := range want {
		got, ok, err := l.Next(day0.Add(time.Minute+time.Duration(i)*time.Second), 1, "c")
		if err != nil || !ok || got.Number != w {
			t.Fatalf("call %d got %s (%v %v), want %s", i, got.Number, ok, err, w)
		}
	}
}

func TestInterleaveCallsPriorityWhenNoOneElseWaits(t *testing.T) {
	l := newTestLive(t, func(c *Centre) { c.Rules.PriorityMode = PriorityInterleave; c.Rules.PriorityEvery = 5 })
	p := issue(t, l, day0, "A", "disabled")
	got, ok, _ := l.Next(day0.Add(time.Second), 1, "c")
	if !ok || got.ID != p.ID {
		t.Fatalf("lone priority ticket not called")
	}
}

func TestTransferKeepsPlace(t *testing.T) {
	l := newTestLive(t, nil)
	a := issue(t, l, day0, "A", "")
	issue(t, l, day0.Add(time.Minute), "B", "")
	if _, _, err := l.Next(day0.Add(2*time.Minute), 2, "c"); err != nil { // counter 2 calls A001
		t.Fatal(err)
	}
	tr, err := l.Transfer(day0.Add(3*time.Minute), 2, "b")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Service != "B" || tr.Number != "A001" || tr.Status != StatusWaiting || !tr.OrderAt.Equal(day0) || len(tr.Transfers) != 1 {
		t.Fatalf("transferred ticket %+v", tr)
	}
	// Counter 1 serves B: the transferred ticket is older than B001.
	got, _, _ := l.Next(day0.Add(4*time.Minute), 1, "c")
	if got.ID != a.ID {
		t.Fatalf("counter 1 called %s, want the transferred A001", got.Number)
	}
	if _, err := l.Transfer(day0.Add(5*time.Minute), 1, "Z"); ErrorCode(err) != ENotFound {
		t.Fatalf("transfer to unknown service: %v", err)
	}
}

func TestNextFinishesCurrent(t *testing.T) {
	l := newTestLive(t, nil)
	a := issue(t, l, day0, "A", "")
	issue(t, l, day0, "A", "")
	l.Next(day0.Add(time.Minute), 1, "c")
	l.Next(day0.Add(11*time.Minute), 1, "c")
	got, _ := l.Ticket(a.ID)
	if got.Status != StatusDone || got.FinishedAt == nil || !got.FinishedAt.Equal(day0.Add(11*time.Minute)) {
		t.Fatalf("first ticket after next: %+v", got)
	}
	if _, ok, err := l.Next(day0.Add(20*time.Minute), 1, "c"); ok || err != nil {
		t.Fatalf("empty queue: ok=%v err=%v", ok, err)
	}
	if cs := l.Counters(); cs[0].Current != "" || cs[0].Status != CounterOpen {
		t.Fatalf("counter 1 after empty next: %+v", cs[0])
	}
}

func TestNoShowAndRecallRules(t *testing.T) {
	l := newTestLive(t, nil) // defaults: 2 calls, 30 s gap
	issue(t, l, day0, "A", "")
	t0 := day0.Add(time.Minute)
	l.Next(t0, 1, "c")
	steps := []struct {
		name string
		at   time.Duration
		do   func(time.Time) error
		code string
	}{
		{"no-show after one call", 40 * time.Second, func(n time.Time) error { _, err := l.NoShow(n, 1); return err }, ENoShowTooEarly},
		{"recall too soon", 10 * time.Second, func(n time.Time) error { _, err := l.Recall(n, 1); return err }, ERecallTooSoon},
		{"recall after the gap", 30 * time.Second, func(n time.Time) error { _, err := l.Recall(n, 1); return err }, ""},
		{"no-show right after the recall", 35 * time.Second, func(n time.Time) error { _, err := l.NoShow(n, 1); return err }, ENoShowTooEarly},
		{"no-show after two calls and the gap", 60 * time.Second, func(n time.Time) error { _, err := l.NoShow(n, 1); return err }, ""},
		{"no-show with nothing current", 90 * time.Second, func(n time.Time) error { _, err := l.NoShow(n, 1); return err }, ENoCurrent},
		{"unknown counter", 90 * time.Second, func(n time.Time) error { _, err := l.Recall(n, 9); return err }, ENotFound},
	}
	for _, s := range steps {
		l.TakeChanges()
		err := s.do(t0.Add(s.at))
		if s.code == "" && err != nil || s.code != "" && ErrorCode(err) != s.code {
			t.Fatalf("%s: err %v, want code %q", s.name, err, s.code)
		}
		if ch := l.TakeChanges(); s.code != "" && !ch.Empty() {
			t.Fatalf("%s: refused command changed state: %+v", s.name, ch)
		}
	}
	tk := l.Today()[0]
	if tk.Status != StatusNoShow || tk.Calls != 2 {
		t.Fatalf("ticket %+v", tk)
	}
}

func TestOutOfOrderCall(t *testing.T) {
	l := newTestLive(t, nil)
	issue(t, l, day0, "A", "")
	b := issue(t, l, day0.Add(time.Minute), "A", "")
	c := issue(t, l, day0.Add(time.Minute), "C", "")
	l.TakeChanges()
	if _, err := l.Call(day0.Add(2*time.Minute), 1, b.ID, "  ", "clerk1"); ErrorCode(err) != EInvalid {
		t.Fatalf("no reason: %v", err)
	}
	if _, err := l.Call(day0.Add(2*time.Minute), 1, c.ID, "x", "clerk1"); ErrorCode(err) != EConflict {
		t.Fatalf("other service: %v", err)
	}
	if ch := l.TakeChanges(); !ch.Empty() {
		t.Fatalf("refused calls changed state")
	}
	got, err := l.Call(day0.Add(2*time.Minute), 1, b.ID, "Hồ sơ bổ sung", "clerk1")
	if err != nil || got.ID != b.ID || got.Status != StatusCalled {
		t.Fatalf("call: %+v %v", got, err)
	}
	ch := l.TakeChanges()
	if len(ch.Audit) != 1 || ch.Audit[0].Actor != "clerk1" || ch.Audit[0].Reason != "Hồ sơ bổ sung" || ch.Audit[0].Ticket != b.ID {
		t.Fatalf("audit %+v", ch.Audit)
	}
	last := ch.Events[len(ch.Events)-1]
	if last.Type != EventCalled || !last.OutOfOrder {
		t.Fatalf("event %+v", last)
	}
}

func TestPauseResume(t *testing.T) {
	l := newTestLive(t, nil)
	issue(t, l, day0, "A", "")
	if _, err := l.Pause(day0, 1, "nghỉ"); ErrorCode(err) != EConflict {
		t.Fatalf("pausing a closed counter: %v", err)
	}
	l.Next(day0, 1, "c")
	if _, err := l.Pause(day0, 1, strings.Repeat("x", 201)); ErrorCode(err) != EInvalid {
		t.Fatalf("long reason: %v", err)
	}
	c, err := l.Pause(day0, 1, "Họp giao ban")
	if err != nil || c.Status != CounterPaused || c.Reason != "Họp giao ban" {
		t.Fatalf("pause: %+v %v", c, err)
	}
	issue(t, l, day0, "A", "")
	if _, _, err := l.Next(day0, 1, "c"); ErrorCode(err) != ECounterPaused {
		t.Fatalf("next while paused: %v", err)
	}
	if _, err := l.Finish(day0.Add(time.Minute), 1); err != nil {
		t.Fatalf("finish while paused: %v", err)
	}
	if c, err := l.Resume(day0, 1, "c"); err != nil || c.Status != CounterOpen {
		t.Fatalf("resume: %+v %v", c, err)
	}
	if _, ok, err := l.Next(day0, 1, "c"); !ok || err != nil {
		t.Fatalf("next after resume: %v %v", ok, err)
	}
}

func TestEventsGapFree(t *testing.T) {
	l := newTestLive(t, nil)
	start := l.LastSeq()
	issue(t, l, day0, "A", "")
	issue(t, l, day0, "B", "")
	l.Next(day0, 1, "c")
	l.Next(day0.Add(time.Minute), 1, "c")
	l.Pause(day0, 2, "x") // refused: closed counter
	l.Close(day0.Add(2*time.Minute), 1)
	ch := l.TakeChanges()
	var types []string
	for i, e := range ch.Events {
		if e.Seq != start+uint64(i)+1 {
			t.Fatalf("event %d has seq %d, want %d", i, e.Seq, start+uint64(i)+1)
		}
		types = append(types, e.Type)
	}
	want := "ticket.issued ticket.issued counter.opened ticket.called ticket.finished ticket.called ticket.finished counter.closed"
	if strings.Join(types, " ") != want {
		t.Fatalf("events %v\nwant %s", types, want)
	}
	if ch.Meta.LastSeq != l.LastSeq() {
		t.Fatalf("meta last seq %d, live %d", ch.Meta.LastSeq, l.LastSeq())
	}
}

func TestIssueRefusals(t *testing.T) {
	l := newTestLive(t, nil)
	cases := []struct {
		r    IssueRequest
		code string
	}{
		{IssueRequest{Service: "Z"}, ENotFound},
		{IssueRequest{Service: "A", Priority: "vip"}, EInvalid},
		{IssueRequest{Service: "A", Key: strings.Repeat("k", 129)}, EInvalid},
		{IssueRequest{Service: "A", Key: "\xff"}, EInvalid},
	}
	for _, c := range cases {
		if _, err := l.Issue(day0, c.r); ErrorCode(err) != c.code {
			t.Errorf("%+v: %v, want %s", c.r, err, c.code)
		}
	}
	if ch := l.TakeChanges(); !ch.Empty() {
		t.Fatalf("refused issues changed state")
	}
	a, _ := l.Issue(day0, IssueRequest{Service: "A", Key: "k1"})
	b, _ := l.Issue(day0.Add(time.Minute), IssueRequest{Service: "A", Key: "k1"})
	if a.ID != b.ID || a.Number != "A001" {
		t.Fatalf("idempotent issue gave %s and %s", a.Number, b.Number)
	}
	if ch := l.TakeChanges(); len(ch.Tickets) != 1 || len(ch.Events) != 1 {
		t.Fatalf("idempotent replay wrote %d tickets %d events", len(ch.Tickets), len(ch.Events))
	}
}

func TestEstimates(t *testing.T) {
	l := newTestLive(t, nil)
	// Counters 1 and 2 open; A takes 10 min, B 5 min.
	l.Resume(day0, 1, "c")
	l.Resume(day0, 2, "c")
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, issue(t, l, day0, "A", "").ID)
	}
	want := []time.Duration{0, 0, 10 * time.Minute, 10 * time.Minute}
	for i, id := range ids {
		pos, w, ok := l.Estimate(day0, id)
		if !ok || pos != i+1 || w != want[i] {
			t.Errorf("ticket %d: pos %d wait %v, want %d %v", i, pos, w, i+1, want[i])
		}
	}
	q := l.Queue(day0)
	if q["A"].Waiting != 4 || q["A"].EstimatedWait != 20*time.Minute {
		t.Errorf("queue A %+v, want 4 waiting, 20m", q["A"])
	}
	// C has no open counter: its configured counter is assumed to open now.
	c1 := issue(t, l, day0, "C", "")
	c2 := issue(t, l, day0, "C", "")
	if _, w, _ := l.Estimate(day0, c2.ID); w != 20*time.Minute {
		t.Errorf("second C ticket waits %v, want 20m", w)
	}
	if _, w, _ := l.Estimate(day0, c1.ID); w != 0 {
		t.Errorf("first C ticket waits %v", w)
	}
	// Learning: real service of A takes 20 minutes; the mean moves towards it.
	before := l.mean("A")
	l.Next(day0, 1, "c")
	l.Next(day0.Add(20*time.Minute), 1, "c")
	if after := l.mean("A"); after <= before || after >= 20*time.Minute {
		t.Errorf("mean of A %v → %v after a 20 min service", before, after)
	}
}

func TestFirstEstimateRecorded(t *testing.T) {
	l := newTestLive(t, nil)
	l.Resume(day0, 2, "c")
	issue(t, l, day0, "A", "")
	b := issue(t, l, day0, "A", "")
	if b.FirstEstimate == nil || *b.FirstEstimate != 600 {
		t.Fatalf("first estimate %v, want 600 s", b.FirstEstimate)
	}
}

func TestConfigureKeepsCounters(t *testing.T) {
	l := newTestLive(t, nil)
	a := issue(t, l, day0, "A", "")
	l.Next(day0, 2, "c")
	cfg := l.Config()
	cfg.Counters = cfg.Counters[:1] // counter 2 (serving A001) and 3 removed
	l.Configure(day0.Add(time.Minute), cfg, "admin")
	if got, _ := l.Ticket(a.ID); got.Status != StatusWaiting || got.Counter != 0 {
		t.Fatalf("ticket of a removed counter: %+v", got)
	}
	ch := l.TakeChanges()
	if len(ch.Removed) != 2 || ch.Config == nil || len(l.Counters()) != 1 {
		t.Fatalf("removed %v counters %v", ch.Removed, l.Counters())
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Centre)
		ok     bool
		field  string // the field the error names
	}{
		{"valid", func(c *Centre) {}, true, ""},
		{"bad id", func(c *Centre) { c.ID = "Phường 1" }, false, "id"},
		{"no name", func(c *Centre) { c.Name = "" }, false, "name"},
		{"bad tz", func(c *Centre) { c.Timezone = "Mars/Base" }, false, "timezone"},
		{"bad weekday", func(c *Centre) { c.Hours[0].Weekday = 7 }, false, "hours[0].weekday"},
		{"open after close", func(c *Centre) { c.Hours[0].Open = "18:00" }, false, "hours[0]"},
		{"bad clock", func(c *Centre) { c.Hours[0].Close = "25:00" }, false, "hours[0]"},
		{"duplicate weekday", func(c *Centre) { c.Hours = append(c.Hours, c.Hours[0]) }, false, "hours[LAST].weekday"},
		{"bad break", func(c *Centre) { c.Breaks[0].End = "11:00" }, false, "breaks[0]"},
		{"bad closed date", func(c *Centre) { c.ClosedDates = []string{"2026-02-30"} }, false, "closed_dates[0]"},
		{"no services", func(c *Centre) { c.Services = nil; c.Counters = nil }, false, "services"},
		{"bad code", func(c *Centre) { c.Services[0].Code = "A1" }, false, "services[0].code"},
		{"duplicate code", func(c *Centre) { c.Services[1].Code = "A" }, false, "services[1].code"},
		{"minutes out of range", func(c *Centre) { c.Services[0].Minutes = 1000 }, false, "services[0].minutes"},
		{"bookable without capacity", func(c *Centre) { c.Services[0].Bookable = true; c.Services[0].SlotMinutes = 3 }, false, "services[0]"},
		{"counter 0", func(c *Centre) { c.Counters[0].Number = 0 }, false, "counters[0].number"},
		{"duplicate counter", func(c *Centre) { c.Counters[1].Number = 1 }, false, "counters[1].number"},
		{"unknown counter service", func(c *Centre) { c.Counters[0].Services = []string{"Q"} }, false, "counters[0].services[0]"},
		{"bad priority mode", func(c *Centre) { c.Rules.PriorityMode = "random" }, false, "rules.priority_mode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testCentre()
			tc.mutate(&c)
			err := c.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, ok want %v", err, tc.ok)
			}
			if err != nil && (ErrorCode(err) != EInvalid || err.(*Error).VI == "") {
				t.Fatalf("error %#v lacks code or Vietnamese message", err)
			}
			want := strings.Replace(tc.field, "LAST", strconv.Itoa(len(c.Hours)-1), 1)
			if err != nil && err.(*Error).Field != want {
				t.Fatalf("error %v names field %q, want %q", err, err.(*Error).Field, want)
			}
		})
	}
}

func TestNormalizeNFC(t *testing.T) {
	c := testCentre()
	c.Name = "Phu\u031bo\u031b\u0300ng" // "Phường" decomposed
	c.Services[0].Code = " a "
	c.Counters[0].Services = []string{"a", "b"}
	c.Normalize()
	if c.Name != "Phường" || c.Services[0].Code != "A" || c.Counters[0].Services[0] != "A" {
		t.Fatalf("normalized %q %q %v", c.Name, c.Services[0].Code, c.Counters[0].Services)
	}
}

func TestOpenAt(t *testing.T) {
	c := testCentre()
	c.ClosedDates = []string{"2026-11-30"}
	cases := []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 11, 23, 7, 29, 0, 0, hcm), false},
		{time.Date(2026, 11, 23, 7, 30, 0, 0, hcm), true},
		{time.Date(2026, 11, 23, 12, 0, 0, 0, hcm), false}, // lunch
		{time.Date(2026, 11, 23, 16, 59, 0, 0, hcm), true},
		{time.Date(2026, 11, 23, 17, 0, 0, 0, hcm), false},
		{time.Date(2026, 11, 24, 9, 0, 0, 0, hcm), false}, // Tuesday: no hours configured
		{time.Date(2026, 11, 30, 9, 0, 0, 0, hcm), false}, // closed date
		{time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC), true},
	}
	for _, tc := range cases {
		if got := c.OpenAt(tc.at, hcm); got != tc.open {
			t.Errorf("OpenAt(%v) = %v", tc.at, got)
		}
	}
}

func TestPriorityEstimateNotBehindTheLine(t *testing.T) {
	l := newTestLive(t, nil)
	l.Resume(day0, 2, "c")
	issue(t, l, day0, "A", "")
	issue(t, l, day0, "A", "")
	p := issue(t, l, day0, "A", "elderly")
	if pos, w, _ := l.Estimate(day0, p.ID); pos != 1 || w != 0 {
		t.Fatalf("priority ticket pos %d wait %v, want 1 and 0", pos, w)
	}
}

func TestEstimateRespectsBreaksAndOpening(t *testing.T) {
	l := newTestLive(t, nil) // Monday 07:30–17:00, lunch 11:30–13:00; A takes 10 min
	l.Resume(day0, 2, "c")
	l.Close(day0, 1)
	at := time.Date(2026, 11, 23, 11, 20, 0, 0, hcm)
	issue(t, l, at, "A", "")
	second := issue(t, l, at, "A", "")
	if _, w, _ := l.Estimate(at, second.ID); w != 100*time.Minute {
		t.Fatalf("ticket behind one served until 11:30 waits %v, want 1h40m (lunch until 13:00)", w)
	}
	early := time.Date(2026, 11, 23, 6, 50, 0, 0, hcm)
	l2 := newTestLive(t, nil)
	first := issue(t, l2, early, "C", "")
	if _, w, _ := l2.Estimate(early, first.ID); w != 40*time.Minute {
		t.Fatalf("first ticket before opening waits %v, want 40m (opens 07:30)", w)
	}
}

func TestKioskHeard(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var k Kiosk
	k.Heard(now, "1.2.3", []DeviceStatus{{Name: "máy in\u200b\r\n", Kind: "printer", Status: "ok", Detail: "giấy\x1b[31m sắp hết"}}, "lỗi\u2028cuối", 3)
	if !k.LastSeen.Equal(now) || k.Version != "1.2.3" || k.Outbox != 3 || len(k.Devices) != 1 {
		t.Fatalf("heard %+v", k)
	}
	for _, s := range []string{k.Devices[0].Name, k.Devices[0].Detail, k.LastError} {
		if strings.ContainsAny(s, "\u200b\r\n\x1b\u2028") {
			t.Errorf("%q kept a control or invisible character", s)
		}
	}
}
