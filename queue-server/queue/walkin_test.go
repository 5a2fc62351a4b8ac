package queue

import (
	"strings"
	"testing"
	"time"
)

// Kiosks issue walk-in numbers from 30 minutes before opening to 30
// minutes before closing by default; staff at any time. (At 01:23 a kiosk
// printed A001 "about 6 h 10 min" for a centre opening at 07:30.)
func TestWalkInWindow(t *testing.T) {
	mon := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, hcm) }
	nextMon := time.Date(2026, 11, 30, 7, 0, 0, 0, hcm)
	cases := []struct {
		name   string
		mutate func(*Centre)
		at     time.Time
		open   bool
		next   time.Time
	}{
		{"night before opening", nil, mon(1, 23), false, mon(7, 0)},
		{"31 minutes before opening", nil, mon(6, 59), false, mon(7, 0)},
		{"30 minutes before opening", nil, mon(7, 0), true, time.Time{}},
		{"lunch break: people still arrive", nil, mon(12, 0), true, time.Time{}},
		{"last minute of the window", nil, mon(16, 29), true, time.Time{}},
		{"30 minutes before closing", nil, mon(16, 30), false, nextMon},
		{"after closing: next week's Monday", nil, mon(20, 0), false, nextMon},
		{"a day without hours", nil, time.Date(2026, 11, 24, 9, 0, 0, 0, hcm), false, nextMon},
		{"the instant in another zone", nil, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC), true, time.Time{}}, // 08:00 in Hà Nội
		{"closed date skipped", func(c *Centre) { c.ClosedDates = []string{"2026-11-30"} }, mon(20, 0),
			false, time.Date(2026, 12, 7, 7, 0, 0, 0, hcm)},
		{"window from opening exactly", func(c *Centre) { z := 0; c.Rules.WalkInOpensMinutesBefore = &z }, mon(7, 15), false, mon(7, 30)},
		{"window past closing", func(c *Centre) { v := -15; c.Rules.WalkInClosesMinutesBefore = &v }, mon(17, 10), true, time.Time{}},
		{"two weekdays, the nearer first", func(c *Centre) { c.Hours = append(c.Hours, Hours{Weekday: 2, Open: "08:00", Close: "11:00"}) },
			mon(18, 0), false, time.Date(2026, 11, 24, 7, 30, 0, 0, hcm)},
		{"no hours at all", func(c *Centre) { c.Hours = nil }, mon(9, 0), false, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testCentre()
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			open, next := c.WalkInOpen(tc.at)
			if open != tc.open || !next.Equal(tc.next) {
				t.Errorf("WalkInOpen(%v) = %v, %v; want %v, %v", tc.at, open, next, tc.open, tc.next)
			}
		})
	}
}

func TestKioskNumbersOnlyInTheWindow(t *testing.T) {
	night := time.Date(2026, 11, 23, 1, 23, 0, 0, hcm)
	l := newTestLive(t, nil)
	_, err := l.Issue(night, IssueRequest{Service: "A", Source: SourceKiosk})
	if ErrorCode(err) != EOutsideHours {
		t.Fatalf("kiosk at 01:23: %v, want %s", err, EOutsideHours)
	}
	e := err.(*Error)
	if !strings.Contains(e.VI, "07:00, Thứ Hai ngày 23/11/2026") || !strings.Contains(e.EN, "07:00 on Monday 23/11/2026") {
		t.Errorf("the refusal should say when numbers start: %q / %q", e.VI, e.EN)
	}
	if len(l.TakeChanges().Events) != 0 {
		t.Error("a refused number left an event")
	}
	// Staff may issue at any time; a kiosk inside the window.
	if tk, err := l.Issue(night, IssueRequest{Service: "A", Source: SourceStaff}); err != nil || tk.Number != "A001" {
		t.Fatalf("staff at night: %v %v", tk.Number, err)
	}
	if tk, err := l.Issue(night.Add(6*time.Hour), IssueRequest{Service: "A", Source: SourceKiosk}); err != nil || tk.Number != "A002" {
		t.Fatalf("kiosk at 07:23: %v %v", tk.Number, err)
	}
}

func TestWalkInRulesValidated(t *testing.T) {
	for _, v := range []int{-1, 241} {
		c := testCentre()
		c.Rules.WalkInOpensMinutesBefore = &v
		if err := c.Validate(); ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), "walk_in_opens") {
			t.Errorf("opens %d: %v", v, err)
		}
	}
	c := testCentre()
	v := 300
	c.Rules.WalkInClosesMinutesBefore = &v
	if err := c.Validate(); ErrorCode(err) != EInvalid {
		t.Errorf("closes 300: %v", err)
	}
	c = testCentre()
	c.Normalize()
	if *c.Rules.WalkInOpensMinutesBefore != 30 || *c.Rules.WalkInClosesMinutesBefore != 30 {
		t.Errorf("defaults %d %d", *c.Rules.WalkInOpensMinutesBefore, *c.Rules.WalkInClosesMinutesBefore)
	}
}
