package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

func TestPeriodOf(t *testing.T) {
	tests := []struct {
		kind, date string
		from, to   string
	}{
		{"day", "2026-11-24", "2026-11-24", "2026-11-24"},
		{"", "2026-11-24", "2026-11-24", "2026-11-24"},
		{"week", "2026-11-24", "2026-11-23", "2026-11-29"},
		{"week", "2026-11-23", "2026-11-23", "2026-11-29"}, // Monday
		{"week", "2026-11-29", "2026-11-23", "2026-11-29"}, // Sunday
		{"week", "2027-01-01", "2026-12-28", "2027-01-03"}, // across the year
		{"month", "2026-11-24", "2026-11-01", "2026-11-30"},
		{"month", "2028-02-10", "2028-02-01", "2028-02-29"},
		{"month", "2026-12-31", "2026-12-01", "2026-12-31"},
	}
	for _, tc := range tests {
		p, err := PeriodOf(tc.kind, tc.date)
		if err != nil || p.From != tc.from || p.To != tc.to {
			t.Errorf("PeriodOf(%q, %q) = %+v, %v; want %s … %s", tc.kind, tc.date, p, err, tc.from, tc.to)
		}
	}
}

func TestPeriodErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		vi   string
	}{
		{"bad kind", second(PeriodOf("year", "2026-11-24")), "kỳ báo cáo"},
		{"bad date", second(PeriodOf("day", "24/11/2026")), "YYYY-MM-DD"},
		{"no date", second(PeriodOf("day", "")), "YYYY-MM-DD"},
		{"bad month", second(PeriodOf("day", "2026-13-01")), "YYYY-MM-DD"},
		{"reversed", second(Between("2026-11-24", "2026-11-01")), "sau ngày kết thúc"},
		{"too long", second(Between("2026-01-01", "2026-12-31")), "tối đa 92 ngày"},
	}
	for _, tc := range tests {
		var e *queue.Error
		if !errors.As(tc.err, &e) || e.Code != queue.EInvalid || !strings.Contains(e.VI, tc.vi) || e.EN == "" {
			t.Errorf("%s: %v (%+v)", tc.name, tc.err, e)
		}
	}
	if p, err := Between("2026-09-01", "2026-11-30"); err != nil || len(p.Days()) != 91 {
		t.Errorf("a quarter: %+v %v", p, err)
	}
	if p, err := Between("2026-11-24", "2026-11-24"); err != nil || len(p.Days()) != 1 || p.Kind != KindRange {
		t.Errorf("one day: %+v %v", p, err)
	}
}

func second[T any](_ T, err error) error { return err }

func FuzzPeriodOf(f *testing.F) {
	for _, s := range []string{"2026-11-24", "2027-01-01", "2028-02-29", "0000-00-00", "2026-1-1", "", "2026-11-24T00:00"} {
		for _, k := range []string{"day", "week", "month", "x"} {
			f.Add(k, s)
		}
	}
	f.Fuzz(func(t *testing.T, kind, date string) {
		p, err := PeriodOf(kind, date)
		if err != nil {
			var e *queue.Error
			if !errors.As(err, &e) || e.Code != queue.EInvalid || e.VI == "" || e.EN == "" {
				t.Fatalf("error %v is not a bilingual EInvalid", err)
			}
			return
		}
		days := p.Days()
		if len(days) == 0 || days[0] != p.From || days[len(days)-1] != p.To || !p.Contains(date) {
			t.Fatalf("%q %q → %+v (%d days)", kind, date, p, len(days))
		}
		from, _ := time.Parse(time.DateOnly, p.From)
		switch p.Kind {
		case KindDay:
			if len(days) != 1 {
				t.Fatalf("day of %d days", len(days))
			}
		case KindWeek:
			if len(days) != 7 || from.Weekday() != time.Monday {
				t.Fatalf("week %+v", p)
			}
		case KindMonth:
			if len(days) < 28 || len(days) > 31 || from.Day() != 1 || p.From[:7] != date[:7] {
				t.Fatalf("month %+v", p)
			}
		default:
			t.Fatalf("kind %q", p.Kind)
		}
		if _, err := Between(p.From, p.To); err != nil {
			t.Fatalf("Between rejects %+v: %v", p, err)
		}
	})
}
