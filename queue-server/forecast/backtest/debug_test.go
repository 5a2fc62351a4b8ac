package backtest

import (
	"sort"
	"testing"
	"time"

	"xephang/queue-server/forecast"
	"xephang/queue-server/waitsim"
)

func TestDebugPlan(t *testing.T) {
	cs, _ := Centres()
	ct := cs[0]
	cfg := DefaultConfig()
	all := Generate(ct.Centre, cfg.HistoryFrom, cfg.HistoryTo, ct.Pattern, forecast.VietnamCalendar(), 100)
	loc := ct.Centre.Location()
	dur := map[string]time.Duration{}
	for _, s := range ct.Centre.Services {
		dur[s.Code] = time.Duration(s.Minutes) * time.Minute
	}
	for w := 0; w < 2; w++ {
		origin := cfg.TestFrom.AddDate(0, 0, 7*w)
		cut := sort.Search(len(all.Arrivals), func(i int) bool { return !all.Arrivals[i].At.Before(origin) })
		h := forecast.History{Centre: ct.Centre, Arrivals: all.Arrivals[:cut], From: cfg.HistoryFrom, To: origin.AddDate(0, 0, -1)}
		m, _ := forecast.Fit(h, nil)
		f := m.Forecast(forecast.Options{Days: 7, Now: origin.Add(6 * time.Hour)})
		for k := 0; k < 6; k++ {
			d := origin.AddDate(0, 0, k)
			day := d.Format(time.DateOnly)
			p, _ := forecast.MakePlan(f, day, forecast.PlanOptions{ServiceTimes: dur})
			open := map[int][]int{}
			for _, ph := range p.Hours {
				open[ph.Hour] = ph.Counters
			}
			var arr []waitsim.Arrival
			for _, a := range all.Arrivals {
				if a.At.In(loc).Format(time.DateOnly) == day {
					arr = append(arr, waitsim.Arrival{Service: a.Service, At: a.At})
				}
			}
			sim, _ := waitsim.Simulate(ct.Centre, arr, open, dur, 5)
			for hr, ws := range waitsByHour(sim, loc) {
				if q := p90(ws); q > 30*time.Minute {
					cnt := map[string]int{}
					for _, a := range arr {
						if a.At.In(loc).Hour() == hr {
							cnt[a.Service]++
						}
					}
					var ph forecast.PlanHour
					for _, x := range p.Hours {
						if x.Hour == hr {
							ph = x
						}
					}
					t.Logf("%s %s h%d p90 %v plan %v short %v planp90 %v actual %v", day, d.Weekday(), hr, q.Round(time.Minute), ph.Counters, ph.Short, ph.P90.Round(time.Minute), cnt)
				}
			}
		}
	}
}
