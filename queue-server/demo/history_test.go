package demo

import (
	"testing"
	"time"
)

func TestHistory(t *testing.T) {
	c, err := Centre()
	if err != nil {
		t.Fatal(err)
	}
	loc := c.Location()
	today := time.Date(2026, 12, 7, 10, 0, 0, 0, loc) // a Monday
	holiday := func(d time.Time) bool { return d.Format(time.DateOnly) == "2026-09-02" }
	h := History(c, today, 365, holiday)
	if len(h) != 365 {
		t.Fatalf("%d days", len(h))
	}
	perWeekday := [7]int{}
	weeks := [7]int{}
	ids := map[string]bool{}
	for i, ts := range h {
		day := time.Date(2026, 12, 7, 0, 0, 0, 0, loc).AddDate(0, 0, i-365)
		ds := day.Format(time.DateOnly)
		if (day.Weekday() == time.Sunday || ds == "2026-09-02") != (len(ts) == 0) {
			t.Errorf("%s (%s): %d tickets", ds, day.Weekday(), len(ts))
		}
		if len(ts) > 0 {
			weeks[day.Weekday()]++
		}
		perWeekday[day.Weekday()] += len(ts)
		for _, tk := range ts {
			if tk.Day != ds || tk.IssuedAt.In(loc).Format(time.DateOnly) != ds || !c.OpenAt(tk.IssuedAt, loc) {
				t.Fatalf("ticket %+v outside its day's hours", tk)
			}
			if ids[tk.ID] || len(tk.ID) != 26 {
				t.Fatalf("id %q repeated or malformed", tk.ID)
			}
			ids[tk.ID] = true
			if tk.FinishedAt == nil || !tk.FinishedAt.After(*tk.FirstCalledAt) || tk.Counter == 0 {
				t.Fatalf("ticket not served: %+v", tk)
			}
		}
	}
	mean := func(wd time.Weekday) float64 { return float64(perWeekday[wd]) / float64(weeks[wd]) }
	if !(mean(time.Monday) > mean(time.Thursday)*1.15 && mean(time.Saturday) < mean(time.Thursday)) {
		t.Errorf("weekday pattern missing: Mon %.0f Thu %.0f Sat %.0f", mean(time.Monday), mean(time.Thursday), mean(time.Saturday))
	}
	if mean(time.Thursday) < 50 || mean(time.Thursday) > 150 {
		t.Errorf("Thursday mean %.0f people", mean(time.Thursday))
	}
	again := History(c, today, 365, holiday)
	if again[100][0].ID != h[100][0].ID {
		t.Error("History is not deterministic")
	}
}
