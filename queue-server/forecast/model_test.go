package forecast_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"xephang/queue-server/demo"
	"xephang/queue-server/forecast"
	"xephang/queue-server/forecast/backtest"
	"xephang/queue-server/queue"
)

func demoHistory(t testing.TB, from, to time.Time, seed int64) forecast.History {
	t.Helper()
	c, err := demo.Centre()
	if err != nil {
		t.Fatal(err)
	}
	p := backtest.DefaultPattern(map[string]float64{"A": 20, "B": 34, "C": 6, "D": 4, "E": 5, "F": 6})
	p.Booked = map[string]float64{"A": 0.2}
	return backtest.Generate(c, from, to, p, forecast.VietnamCalendar(), seed)
}

func local(t testing.TB, s string) time.Time {
	loc, _ := time.LoadLocation(queue.DefaultTimezone)
	d, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTooLittleHistory(t *testing.T) {
	h := demoHistory(t, local(t, "2025-10-01 00:00"), local(t, "2025-10-10 00:00"), 1)
	if _, err := forecast.Fit(h, nil); !errors.Is(err, forecast.ErrTooLittleHistory) {
		t.Fatalf("ten days: %v", err)
	}
	var qe *queue.Error
	if !errors.As(forecast.ErrTooLittleHistory, &qe) || qe.VI == "" {
		t.Fatal("not a queue error with a Vietnamese message")
	}
}

// TestForecast fits a year of the demo centre and forecasts the two weeks
// around Tết 2026: closed days are 0, the learnt effects rise around Tết
// and holidays, bookings are a floor, today's arrivals are the actual.
func TestForecast(t *testing.T) {
	h := demoHistory(t, local(t, "2025-01-01 00:00"), local(t, "2026-02-11 00:00"), 2)
	h.To = local(t, "2026-02-09 00:00") // the 10th and 11th: today so far, not fitted
	h.Centre.ClosedDates = []string{"2026-02-13"}
	m, err := forecast.Fit(h, nil)
	if err != nil {
		t.Fatal(err)
	}
	eff, n := m.Effects()
	for _, e := range []string{"tet_after_1", "after_holiday", "first_working_day"} {
		if eff[e] < 1.1 || n[e] == 0 {
			t.Errorf("effect %s: %.2f from %d days", e, eff[e], n[e])
		}
	}
	booked := []forecast.Booked{{Service: "A", Start: local(t, "2026-02-12 09:00"), Count: 40}}
	f := m.Forecast(forecast.Options{Days: 14, Now: local(t, "2026-02-11 10:00"), Booked: booked, Past: 2})
	if f.Centre != "hoan-kiem" || f.Model == "" || len(f.Days) == 0 {
		t.Fatalf("forecast: %+v", f)
	}
	all := map[string]forecast.DaySum{}
	for _, d := range f.Days {
		if d.Service == "" {
			all[d.Day] = d
		}
	}
	for day, want := range map[string]string{"2026-02-13": "", "2026-02-17": "Tết Nguyên đán", "2026-02-15": "Tết Nguyên đán"} {
		d := all[day]
		if !d.Closed || d.Mean != 0 || d.Holiday != want {
			t.Errorf("%s: %+v", day, d)
		}
	}
	for _, p := range f.Points {
		if all[p.Day].Closed {
			t.Errorf("a point on a closed day: %+v", p)
		}
		if p.Low > p.Mean || p.Mean > p.High || p.Low < float64(p.Booked) {
			t.Errorf("interval: %+v", p)
		}
	}
	// The first week after Tết (Monday 23rd) is busier than a Monday before.
	after, before := all["2026-02-23"], all["2026-02-09"]
	if after.Mean < 1.15*before.Mean || after.Effect != "tet_after_1" {
		t.Errorf("after Tết %+v, before %+v", after, before)
	}
	// Bookings: a floor of the hour.
	var at9 forecast.Point
	for _, p := range f.Points {
		if p.Day == "2026-02-12" && p.Service == "A" && p.Hour == 9 {
			at9 = p
		}
	}
	if at9.Booked != 40 || at9.Mean < 40 || at9.Low < 40 {
		t.Errorf("booked hour: %+v", at9)
	}
	// Actual: the past days and today so far; none for tomorrow.
	var today int
	for _, a := range h.Arrivals {
		if a.At.Format(time.DateOnly) == "2026-02-11" {
			today++
		}
	}
	if d := all["2026-02-11"]; d.Actual == nil || *d.Actual != today || today == 0 {
		t.Errorf("today: %+v, want actual %d", d, today)
	}
	if d := all["2026-02-09"]; d.Actual == nil || *d.Actual == 0 {
		t.Errorf("the day before yesterday: %+v", d)
	}
	if all["2026-02-12"].Actual != nil {
		t.Error("tomorrow has an actual")
	}
	// A ward forecast for 2031 says the calendar does not cover it.
	f = m.Forecast(forecast.Options{Days: 3, Now: local(t, "2030-12-30 08:00")})
	found := false
	for _, n := range f.Notes {
		found = found || (len(n) > 0 && contains(n, "2031"))
	}
	if !found {
		t.Errorf("notes %q", f.Notes)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestBaselines(t *testing.T) {
	h := demoHistory(t, local(t, "2025-09-01 00:00"), local(t, "2025-10-05 00:00"), 3)
	day := local(t, "2025-10-08 00:00") // a Wednesday
	naive := forecast.SeasonalNaive(h, day)
	var want [24]float64
	for _, a := range h.Arrivals {
		if a.Service == "B" && a.At.Format(time.DateOnly) == "2025-10-01" {
			want[a.At.Hour()]++
		}
	}
	if naive["B"] != want {
		t.Errorf("seasonal naive B: %v, want %v", naive["B"], want)
	}
	avg := forecast.FourWeekAverage(h, day)
	var sum float64
	for _, d := range []string{"2025-10-01", "2025-09-24", "2025-09-17", "2025-09-10"} {
		for _, a := range h.Arrivals {
			if a.Service == "B" && a.At.Format(time.DateOnly) == d {
				sum++
			}
		}
	}
	var got float64
	for _, x := range avg["B"] {
		got += x
	}
	if math.Abs(got-sum/4) > 1e-9 {
		t.Errorf("four-week average B: %.2f a day, want %.2f", got, sum/4)
	}
}

func TestMakePlan(t *testing.T) {
	h := demoHistory(t, local(t, "2025-01-01 00:00"), local(t, "2025-10-05 00:00"), 4)
	m, err := forecast.Fit(h, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := m.Forecast(forecast.Options{Days: 7, Now: local(t, "2025-10-06 06:00")})
	p, err := forecast.MakePlan(f, "2025-10-07", forecast.PlanOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Hours) != 9 || p.AllDayCounterHours != 45 || p.CounterHours >= p.AllDayCounterHours || p.CounterHours < 9 {
		t.Fatalf("plan: %d hours, %d of %d counter-hours", len(p.Hours), p.CounterHours, p.AllDayCounterHours)
	}
	for _, ph := range p.Hours {
		if ph.Hour == 12 || len(ph.Counters) == 0 || ph.Roster != 5 || ph.Met != (ph.P90 <= forecast.DefaultTarget) || (ph.Short && ph.Met) {
			t.Errorf("hour: %+v", ph)
		}
	}
	// One counter for everything: the roster falls short at the peak.
	one := []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A", "B", "C", "D", "E", "F"}}}
	p, err = forecast.MakePlan(f, "2025-10-07", forecast.PlanOptions{Roster: one, Target: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	short := 0
	for _, ph := range p.Hours {
		if ph.Short {
			short++
			if ph.Needed <= 1 || ph.Met {
				t.Errorf("short hour: %+v", ph)
			}
		}
	}
	if short == 0 || p.MetShare >= 1 {
		t.Errorf("one counter meets the target: %+v", p)
	}
	// A closed day has no hours; a bad day is refused.
	if p, err := forecast.MakePlan(f, "2025-10-12", forecast.PlanOptions{}); err != nil || len(p.Hours) != 0 {
		t.Errorf("Sunday: %+v, %v", p, err)
	}
	f2 := m.Forecast(forecast.Options{Days: 3, Now: local(t, "2025-08-31 06:00")})
	if p, err := forecast.MakePlan(f2, "2025-09-01", forecast.PlanOptions{}); err != nil || len(p.Hours) != 0 || p.AllDayCounterHours != 0 {
		t.Errorf("Quốc khánh: %+v, %v", p, err)
	}
	if _, err := forecast.MakePlan(f, "12/10/2025", forecast.PlanOptions{}); err == nil {
		t.Error("a bad day was accepted")
	}
}

func TestServiceTimes(t *testing.T) {
	c, _ := demo.Centre()
	var served []queue.Ticket
	base := local(t, "2025-10-07 08:00")
	for i := range 20 {
		called := base.Add(time.Duration(i) * time.Minute)
		done := called.Add(time.Duration(8+i%5) * time.Minute) // 8–12 min, mean 10
		served = append(served, queue.Ticket{Service: "A", Status: queue.StatusDone, CalledAt: &called, FinishedAt: &done})
	}
	st := forecast.ServiceTimes(forecast.History{Centre: c}, served)
	if st["A"] != 10*time.Minute || st["C"] != 25*time.Minute {
		t.Errorf("service times: %v", st)
	}
}

// TestForecastConcurrently: a fitted model is read-only; the server keeps
// one per centre and answers several requests with it at once (-race).
func TestForecastConcurrently(t *testing.T) {
	h := demoHistory(t, local(t, "2025-06-01 00:00"), local(t, "2025-10-05 00:00"), 5)
	m, err := forecast.Fit(h, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := m.Forecast(forecast.Options{Now: local(t, "2025-10-06 07:00")})
	done := make(chan *forecast.Forecast)
	for range 4 {
		go func() { done <- m.Forecast(forecast.Options{Now: local(t, "2025-10-06 07:00")}) }()
	}
	for range 4 {
		got := <-done
		if len(got.Points) != len(want.Points) || got.Points[7] != want.Points[7] || got.Days[0].Mean != want.Days[0].Mean {
			t.Fatal("concurrent forecasts differ")
		}
	}
}
