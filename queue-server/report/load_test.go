package report

import (
	"context"
	"fmt"
	"testing"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/queue"
)

func openStore(tb testing.TB) *bolt.Store {
	tb.Helper()
	st, err := bolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func commit(tb testing.TB, st queue.Store, l *queue.Live) {
	tb.Helper()
	if err := st.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		tb.Fatal(err)
	}
}

// Tickets at 23:59 and 00:01 local belong to two days, in Hanoi and in a
// DST zone on the night clocks go back, through the real domain and store.
func TestLoadAcrossMidnight(t *testing.T) {
	tests := []struct {
		tz        string
		evening   string // local
		morning   string // local, the next day
		day, day2 string
	}{
		{"Asia/Ho_Chi_Minh", "2026-11-24 23:59", "2026-11-25 00:01", "2026-11-24", "2026-11-25"},
		{"Europe/Berlin", "2026-10-24 23:59", "2026-10-25 00:01", "2026-10-24", "2026-10-25"},
		{"America/New_York", "2026-03-07 23:59", "2026-03-08 00:01", "2026-03-07", "2026-03-08"},
	}
	for _, tc := range tests {
		t.Run(tc.tz, func(t *testing.T) {
			st := openStore(t)
			c := testCentre(tc.tz)
			loc := c.Location()
			n := 0
			newID := func() string { n++; return fmt.Sprintf("id%03d", n) }
			evening, morning := at(loc, tc.evening), at(loc, tc.morning)
			l := queue.NewLive(c, evening.Add(-time.Hour), newID)
			commit(t, st, l)
			if _, err := l.Issue(evening, queue.IssueRequest{Service: "A", Source: queue.SourceStaff}); err != nil {
				t.Fatal(err)
			}
			commit(t, st, l)
			if _, err := l.Issue(morning, queue.IssueRequest{Service: "B", Source: queue.SourceStaff}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := l.Next(morning.Add(time.Minute), 2, "minh"); err != nil {
				t.Fatal(err)
			}
			commit(t, st, l)

			for _, d := range []struct {
				day, svc, status string
				hour             int
			}{{tc.day, "A", queue.StatusExpired, 23}, {tc.day2, "B", queue.StatusCalled, 0}} {
				p, _ := PeriodOf(KindDay, d.day)
				in, err := Load(context.Background(), st, c, p)
				if err != nil {
					t.Fatal(err)
				}
				r := Compute(in)
				if r.Total.Tickets != 1 || len(in.Tickets) != 1 || in.Tickets[0].Service != d.svc || in.Tickets[0].Status != d.status {
					t.Fatalf("%s: %d tickets %+v", d.day, r.Total.Tickets, in.Tickets)
				}
				wd, _ := time.Parse(time.DateOnly, d.day)
				if r.Arrivals.Counts[wd.Weekday()][d.hour] != 1 {
					t.Errorf("%s: arrival not at %02d h: %v", d.day, d.hour, r.Arrivals.Counts[wd.Weekday()])
				}
			}
			p, _ := PeriodOf(KindWeek, tc.day)
			in, err := Load(context.Background(), st, c, p)
			if err != nil {
				t.Fatal(err)
			}
			if want := 2; p.Contains(tc.day2) && len(in.Tickets) != want || !p.Contains(tc.day2) && len(in.Tickets) != 1 {
				t.Errorf("week %+v: %d tickets", p, len(in.Tickets))
			}
		})
	}
}

func TestLoadCancelled(t *testing.T) {
	st := openStore(t)
	c := testCentre("Asia/Ho_Chi_Minh")
	l := queue.NewLive(c, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), func() string { return "x" })
	commit(t, st, l)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := PeriodOf(KindMonth, "2026-11-24")
	if _, err := Load(ctx, st, c, p); err == nil {
		t.Fatal("Load of a cancelled context succeeded")
	}
}
