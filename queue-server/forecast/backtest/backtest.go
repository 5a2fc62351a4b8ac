package backtest

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"xephang/queue-server/demo"
	"xephang/queue-server/forecast"
	"xephang/queue-server/queue"
	"xephang/queue-server/waitsim"
)

// Centre is a generated centre of the backtest.
type Centre struct {
	Name    string
	Centre  queue.Centre
	Pattern Pattern
}

// Centres are the backtest's centres: the demo centre, a small ward, a
// district centre open on Saturday mornings with a falling trend, and the
// land registration branch of waitsim (20 counters).
func Centres() ([]Centre, error) {
	var out []Centre
	dc, err := demo.Centre()
	if err != nil {
		return nil, err
	}
	p := DefaultPattern(map[string]float64{"A": 20, "B": 34, "C": 6, "D": 4, "E": 5, "F": 6})
	p.Booked = map[string]float64{"A": 0.15, "B": 0.10, "C": 0.20, "D": 0.20, "E": 0.10}
	out = append(out, Centre{Name: "demo " + dc.ID, Centre: dc, Pattern: p})

	ward := queue.Centre{ID: "phuong-nho", Name: "Phường nhỏ (mô phỏng)", Timezone: queue.DefaultTimezone,
		Breaks: []queue.Break{{Start: "12:00", End: "13:30"}},
		Services: []queue.Service{{Code: "A", Name: "Hộ tịch", Minutes: 10}, {Code: "B", Name: "Chứng thực", Minutes: 5},
			{Code: "C", Name: "Đất đai", Minutes: 20}},
		Counters: []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A", "B"}},
			{Number: 2, Name: "Quầy 2", Services: []string{"B", "A", "C"}}, {Number: 3, Name: "Quầy 3", Services: []string{"C", "A"}}}}
	for wd := 1; wd <= 5; wd++ {
		ward.Hours = append(ward.Hours, queue.Hours{Weekday: wd, Open: "08:00", Close: "17:00"})
	}
	p = DefaultPattern(map[string]float64{"A": 18, "B": 28, "C": 7})
	p.Trend, p.Noise = 0.2, 0.12
	if ward, err = valid(ward); err != nil {
		return nil, err
	}
	out = append(out, Centre{Name: "ward " + ward.ID, Centre: ward, Pattern: p})

	district := queue.Centre{ID: "quan-mo-phong", Name: "Trung tâm quận (mô phỏng)", Timezone: queue.DefaultTimezone,
		Breaks: []queue.Break{{Start: "11:30", End: "13:00"}},
		Services: []queue.Service{{Code: "A", Name: "Hộ tịch", Minutes: 12}, {Code: "B", Name: "Chứng thực", Minutes: 6},
			{Code: "K", Name: "Đăng ký kinh doanh", Minutes: 18}, {Code: "X", Name: "Xây dựng", Minutes: 22},
			{Code: "T", Name: "Trả kết quả", Minutes: 4}}}
	for n, svcs := range [][]string{{"A", "B"}, {"A", "B"}, {"B"}, {"K"}, {"K", "X"}, {"X"}, {"T", "B"}, {"T", "A", "K"}} {
		district.Counters = append(district.Counters, queue.CounterConfig{Number: n + 1, Name: fmt.Sprintf("Quầy %d", n+1), Services: svcs})
	}
	for wd := 1; wd <= 5; wd++ {
		district.Hours = append(district.Hours, queue.Hours{Weekday: wd, Open: "07:30", Close: "17:00"})
	}
	district.Hours = append(district.Hours, queue.Hours{Weekday: 6, Open: "07:30", Close: "11:30"})
	if district, err = valid(district); err != nil {
		return nil, err
	}
	p = DefaultPattern(map[string]float64{"A": 60, "B": 90, "K": 30, "X": 18, "T": 70})
	p.Trend, p.Wave = -0.10, 0.10
	p.Afternoon = map[string]bool{"T": true}
	out = append(out, Centre{Name: "district " + district.ID, Centre: district, Pattern: p})

	land, err := waitsim.Centre()
	if err != nil {
		return nil, err
	}
	p = DefaultPattern(map[string]float64{"D": 190, "C": 40, "T": 130, "H": 65})
	p.Weekday = [7]float64{0, 1.15, 1.05, 1.0, 0.97, 0.9, 0}
	p.Afternoon = map[string]bool{"T": true}
	out = append(out, Centre{Name: "land " + land.ID, Centre: land, Pattern: p})
	return out, nil
}

func valid(c queue.Centre) (queue.Centre, error) {
	c.Normalize()
	return c, c.Validate()
}

// Config of a backtest run: the generated history, the weekly forecast
// origins (Mondays from TestFrom), the horizon and whether to plan.
type Config struct {
	HistoryFrom, HistoryTo time.Time
	TestFrom               time.Time
	Weeks                  int
	Horizon                int // days forecast from each origin
	Plan                   bool
	Target                 time.Duration
	Seed                   int64
}

// DefaultConfig: a history from 1 January 2025 to 29 March 2026, forecasts
// made every Monday from 6 October 2025 (nine months of history) for the
// 7 days ahead, over 25 weeks that hold 1 January and Tết 2026.
func DefaultConfig() Config {
	loc, _ := time.LoadLocation(queue.DefaultTimezone)
	return Config{HistoryFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, loc), HistoryTo: time.Date(2026, 3, 29, 0, 0, 0, 0, loc),
		TestFrom: time.Date(2025, 10, 6, 0, 0, 0, 0, loc), Weeks: 25, Horizon: 7, Plan: true, Target: forecast.DefaultTarget, Seed: 1}
}

// Row is one centre's result.
type Row struct {
	Centre                           string
	PerDay                           float64 // mean arrivals per open day tested
	Days                             int     // open days tested
	DayWAPE, DayNaive, DayAvg4       float64 // WAPE per service × day
	HourWAPE, HourNaive, HourAvg4    float64 // WAPE per service × day × hour
	DayCover, HourCover              float64 // share of actuals inside the 80 % interval
	PlanDays, PlanHours, MetHours    int
	P90                              time.Duration // of every simulated wait of the planned days
	WorstHourP90                     time.Duration
	CounterHours, AllDay, ShortHours int
	AllMetHours                      int                // hours meeting the target with every counter open all day
	FeasibleHours, FeasibleMet       int                // those hours, and those of them the plan meets
	Effects                          map[string]float64 // the last fit's day effects
}

// Run backtests the centres.
func Run(cfg Config, centres []Centre) ([]Row, error) {
	cal := forecast.VietnamCalendar()
	var rows []Row
	for ci, ct := range centres {
		row, err := runCentre(cfg, ct, cal, cfg.Seed*100+int64(ci))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ct.Name, err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

type counts map[string]map[string]*[24]float64 // day → service → hour

func countsOf(h forecast.History) counts {
	loc := h.Centre.Location()
	out := counts{}
	for _, a := range h.Arrivals {
		lt := a.At.In(loc)
		day := lt.Format(time.DateOnly)
		if out[day] == nil {
			out[day] = map[string]*[24]float64{}
		}
		if out[day][a.Service] == nil {
			out[day][a.Service] = &[24]float64{}
		}
		out[day][a.Service][lt.Hour()]++
	}
	return out
}

func runCentre(cfg Config, ct Centre, cal *forecast.Calendar, seed int64) (Row, error) {
	row := Row{Centre: ct.Name}
	all := Generate(ct.Centre, cfg.HistoryFrom, cfg.HistoryTo, ct.Pattern, cal, seed)
	actual := countsOf(all)
	loc := ct.Centre.Location()
	var services []string
	for s := range ct.Pattern.Daily {
		services = append(services, s)
	}
	sort.Strings(services)
	durations := map[string]time.Duration{}
	for _, s := range ct.Centre.Services {
		durations[s.Code] = time.Duration(s.Minutes) * time.Minute
	}
	var dayErr, dayN, dayA, day4, hourErr, hourN, hourA, hour4 float64
	var dayIn, dayCells, hourIn, hourCells float64
	var waits []time.Duration
	var arrivals float64
	for w := range cfg.Weeks {
		origin := cfg.TestFrom.AddDate(0, 0, 7*w)
		cut := sort.Search(len(all.Arrivals), func(i int) bool { return !all.Arrivals[i].At.Before(origin) })
		hist := forecast.History{Centre: ct.Centre, Arrivals: all.Arrivals[:cut], From: cfg.HistoryFrom, To: origin.AddDate(0, 0, -1)}
		m, err := forecast.Fit(hist, cal)
		if err != nil {
			return row, err
		}
		row.Effects, _ = m.Effects()
		f := m.Forecast(forecast.Options{Days: cfg.Horizon, Now: origin.Add(6 * time.Hour)})
		points := map[string]map[string]*[24]forecast.Point{}
		for _, p := range f.Points {
			if points[p.Day] == nil {
				points[p.Day] = map[string]*[24]forecast.Point{}
			}
			if points[p.Day][p.Service] == nil {
				points[p.Day][p.Service] = &[24]forecast.Point{}
			}
			points[p.Day][p.Service][p.Hour] = p
		}
		sums := map[string]forecast.DaySum{}
		for _, d := range f.Days {
			sums[d.Day+"/"+d.Service] = d
		}
		for k := range cfg.Horizon {
			d := origin.AddDate(0, 0, k)
			day := d.Format(time.DateOnly)
			if actual[day] == nil {
				continue // closed
			}
			row.Days++
			naive, avg4 := forecast.SeasonalNaive(hist, d), forecast.FourWeekAverage(hist, d)
			for _, s := range services {
				var a, fm, fn, f4 float64
				for h := range 24 {
					var ah, mh float64
					if x := actual[day][s]; x != nil {
						ah = x[h]
					}
					if x := points[day][s]; x != nil {
						mh = x[h].Mean
						if ah >= math.Floor(x[h].Low) && ah <= math.Ceil(x[h].High) {
							hourIn++
						}
					} else if ah == 0 {
						hourIn++
					}
					if ah > 0 || mh > 0 {
						hourCells++
					} else {
						hourIn--
					}
					nh, n4 := naive[s][h], avg4[s][h]
					hourErr += math.Abs(mh - ah)
					hourN += math.Abs(nh - ah)
					hour4 += math.Abs(n4 - ah)
					hourA += ah
					a, fm, fn, f4 = a+ah, fm+mh, fn+nh, f4+n4
				}
				dayErr += math.Abs(fm - a)
				dayN += math.Abs(fn - a)
				day4 += math.Abs(f4 - a)
				dayA += a
				arrivals += a
				if ds, ok := sums[day+"/"+s]; ok {
					dayCells++
					if a >= math.Floor(ds.Low) && a <= math.Ceil(ds.High) {
						dayIn++
					}
				}
			}
			if !cfg.Plan {
				continue
			}
			p, err := forecast.MakePlan(f, day, forecast.PlanOptions{Target: cfg.Target, ServiceTimes: durations, Seed: seed + int64(w*7+k)})
			if err != nil {
				return row, err
			}
			open := map[int][]int{}
			for _, ph := range p.Hours {
				open[ph.Hour] = ph.Counters
				if ph.Short {
					row.ShortHours++
				}
			}
			var arr []waitsim.Arrival
			for _, a := range all.Arrivals[sort.Search(len(all.Arrivals), func(i int) bool { return !all.Arrivals[i].At.Before(d) }):] {
				if !a.At.Before(d.AddDate(0, 0, 1)) {
					break
				}
				arr = append(arr, waitsim.Arrival{Service: a.Service, At: a.At})
			}
			sim, err := waitsim.Simulate(ct.Centre, arr, open, durations, seed*7919+int64(w*7+k))
			if err != nil {
				return row, err
			}
			allOpen := map[int][]int{}
			for _, ph := range p.Hours {
				for _, cc := range ct.Centre.Counters {
					allOpen[ph.Hour] = append(allOpen[ph.Hour], cc.Number)
				}
			}
			ref, err := waitsim.Simulate(ct.Centre, arr, allOpen, durations, seed*7919+int64(w*7+k))
			if err != nil {
				return row, err
			}
			refMet := map[int]bool{}
			for h, ws := range waitsByHour(ref, loc) {
				if refMet[h] = p90(ws) <= cfg.Target; refMet[h] {
					row.AllMetHours++
				}
			}
			byHour := map[int][]time.Duration{}
			for _, wt := range sim.Waits {
				x := wt.Wait
				if wt.Counter == 0 {
					x = time.Duration(math.MaxInt64)
				}
				h := wt.Start.In(loc).Hour()
				byHour[h] = append(byHour[h], x)
				waits = append(waits, x)
			}
			row.PlanDays++
			for h, ws := range byHour {
				q := p90(ws)
				row.PlanHours++
				if q <= cfg.Target {
					row.MetHours++
				}
				if refMet[h] {
					row.FeasibleHours++
					if q <= cfg.Target {
						row.FeasibleMet++
					}
				}
				row.WorstHourP90 = max(row.WorstHourP90, q)
			}
			row.CounterHours += p.CounterHours
			row.AllDay += p.AllDayCounterHours
		}
	}
	if row.Days > 0 {
		row.PerDay = arrivals / float64(row.Days)
	}
	row.DayWAPE, row.DayNaive, row.DayAvg4 = dayErr/dayA, dayN/dayA, day4/dayA
	row.HourWAPE, row.HourNaive, row.HourAvg4 = hourErr/hourA, hourN/hourA, hour4/hourA
	row.DayCover, row.HourCover = dayIn/max(1, dayCells), hourIn/max(1, hourCells)
	row.P90 = p90(waits)
	return row, nil
}

func waitsByHour(sim *waitsim.Simulation, loc *time.Location) map[int][]time.Duration {
	by := map[int][]time.Duration{}
	for _, wt := range sim.Waits {
		x := wt.Wait
		if wt.Counter == 0 {
			x = time.Duration(math.MaxInt64)
		}
		h := wt.Start.In(loc).Hour()
		by[h] = append(by[h], x)
	}
	return by
}

func p90(ws []time.Duration) time.Duration {
	if len(ws) == 0 {
		return 0
	}
	s := slices.Clone(ws)
	slices.Sort(s)
	return s[int(math.Ceil(0.9*float64(len(s))))-1]
}

// Total pools the rows: WAPEs weighted by arrivals per day.
func Total(rows []Row) Row {
	t := Row{Centre: "all"}
	var w float64
	for _, r := range rows {
		x := r.PerDay * float64(r.Days)
		w += x
		t.Days += r.Days
		t.DayWAPE += r.DayWAPE * x
		t.DayNaive += r.DayNaive * x
		t.DayAvg4 += r.DayAvg4 * x
		t.HourWAPE += r.HourWAPE * x
		t.HourNaive += r.HourNaive * x
		t.HourAvg4 += r.HourAvg4 * x
		t.DayCover += r.DayCover * float64(r.Days)
		t.HourCover += r.HourCover * float64(r.Days)
		t.PlanDays += r.PlanDays
		t.PlanHours += r.PlanHours
		t.MetHours += r.MetHours
		t.CounterHours += r.CounterHours
		t.AllDay += r.AllDay
		t.ShortHours += r.ShortHours
		t.AllMetHours += r.AllMetHours
		t.FeasibleHours += r.FeasibleHours
		t.FeasibleMet += r.FeasibleMet
		t.P90 = max(t.P90, r.P90)
		t.WorstHourP90 = max(t.WorstHourP90, r.WorstHourP90)
	}
	if w > 0 {
		t.PerDay = w / float64(t.Days)
		for _, p := range []*float64{&t.DayWAPE, &t.DayNaive, &t.DayAvg4, &t.HourWAPE, &t.HourNaive, &t.HourAvg4} {
			*p /= w
		}
		t.DayCover /= float64(t.Days)
		t.HourCover /= float64(t.Days)
	}
	return t
}

// Table prints the rows and their total as a Markdown table.
func Table(rows []Row, target time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| centre | arrivals/day | days | WAPE day: model | naive | 4-week | model/naive | model/4-week | WAPE hour: model | naive | 4-week | 80 %% cover day | hour | hours met (p90 ≤ %d min) | all counters all day: hours met | plan: met of those | p90 all waits | worst hour p90 | counter-hours plan / all day | saved | short hours |\n", int(target.Minutes()))
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range append(slices.Clone(rows), Total(rows)) {
		met, saved := 0.0, 0.0
		if r.PlanHours > 0 {
			met = float64(r.MetHours) / float64(r.PlanHours)
		}
		if r.AllDay > 0 {
			saved = 1 - float64(r.CounterHours)/float64(r.AllDay)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %d | %.1f %% | %.1f %% | %.1f %% | %.2f | %.2f | %.1f %% | %.1f %% | %.1f %% | %.0f %% | %.0f %% | %.1f %% (%d/%d) | %.1f %% | %.1f %% | %s | %s | %d / %d | %.0f %% | %d |\n",
			r.Centre, r.PerDay, r.Days, 100*r.DayWAPE, 100*r.DayNaive, 100*r.DayAvg4, r.DayWAPE/r.DayNaive, r.DayWAPE/r.DayAvg4,
			100*r.HourWAPE, 100*r.HourNaive, 100*r.HourAvg4, 100*r.DayCover, 100*r.HourCover,
			100*met, r.MetHours, r.PlanHours, 100*float64(r.AllMetHours)/math.Max(1, float64(r.PlanHours)),
			100*float64(r.FeasibleMet)/math.Max(1, float64(r.FeasibleHours)), mins(r.P90), mins(r.WorstHourP90), r.CounterHours, r.AllDay, 100*saved, r.ShortHours)
	}
	return b.String()
}

func mins(d time.Duration) string {
	if d == time.Duration(math.MaxInt64) {
		return "unserved"
	}
	return fmt.Sprintf("%.1f min", d.Minutes())
}
