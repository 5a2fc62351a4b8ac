// Package backtest measures the forecast and the staffing plan on
// generated histories: centres of several sizes, a year and more of
// arrivals each, with a weekday × hour pattern, a trend, a yearly wave,
// more people around public holidays, Tết and the month's first and last
// working days, day-to-day noise and Poisson arrivals. The history's truth
// is drawn by rules of its own (not the model's): the model has to learn
// them. `make bench-forecast` prints its table.
package backtest

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"xephang/queue-server/forecast"
	"xephang/queue-server/queue"
)

// Pattern is how a generated centre's arrivals behave.
type Pattern struct {
	Daily   map[string]float64 // walk-ins of an ordinary Wednesday at the start, per service
	Booked  map[string]float64 // share of a service's arrivals that are checked-in bookings
	Trend   float64            // relative change over a year
	Wave    float64            // amplitude of a yearly wave (peak in the spring)
	Weekday [7]float64         // factors, Sunday first
	Noise   float64            // lognormal shape of a day's level (shared by the services)
	// Afternoon marks services that come mostly after lunch (results).
	Afternoon map[string]bool
	// Effects of days (the truth, by the generator's own rules).
	FirstDay, LastDay, BeforeHoliday, AfterHoliday, TetBefore, TetAfter float64
}

// DefaultPattern is a ward centre's usual pattern.
func DefaultPattern(daily map[string]float64) Pattern {
	return Pattern{Daily: daily, Trend: 0.12, Wave: 0.06, Noise: 0.10,
		Weekday:  [7]float64{0, 1.20, 1.05, 1.0, 0.95, 0.88, 0.55},
		FirstDay: 1.30, LastDay: 1.20, BeforeHoliday: 1.30, AfterHoliday: 1.40, TetBefore: 1.30, TetAfter: 1.70}
}

// Generate draws the centre's arrivals on the days from … to (local dates,
// both included) on which it opens (its hours, its closed dates and the
// calendar's days off).
func Generate(c queue.Centre, from, to time.Time, p Pattern, cal *forecast.Calendar, seed int64) forecast.History {
	loc := c.Location()
	rng := rand.New(rand.NewPCG(uint64(seed), 0x2545f4914f6cdd1d))
	h := forecast.History{Centre: c, From: from, To: to}
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc)
	closed := map[string]bool{}
	for _, d := range c.ClosedDates {
		closed[d] = true
	}
	opens := func(d time.Time) bool {
		if _, hol := cal.Holiday(d); hol || closed[d.Format(time.DateOnly)] {
			return false
		}
		for _, hr := range c.Hours {
			if hr.Weekday == int(d.Weekday()) {
				return true
			}
		}
		return false
	}
	var tets []time.Time
	for _, t := range cal.Tet() {
		a, _ := time.ParseInLocation(time.DateOnly, t.First, loc)
		b, _ := time.ParseInLocation(time.DateOnly, t.Last, loc)
		tets = append(tets, a, b)
	}
	var services []string
	for s := range p.Daily {
		services = append(services, s)
	}
	sort.Strings(services)
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		if !opens(d) {
			continue
		}
		years := d.Sub(start).Hours() / 24 / 365
		level := (1 + p.Trend*years) * (1 + p.Wave*math.Sin(2*math.Pi*(float64(d.YearDay())-30)/365))
		level *= p.Weekday[d.Weekday()] * effect(d, p, opens, cal, tets)
		level *= math.Exp(p.Noise*rng.NormFloat64() - p.Noise*p.Noise/2)
		// Open minutes of the day.
		var minutes []int
		for m := range 24 * 60 {
			if c.OpenAt(d.Add(time.Duration(m)*time.Minute), loc) {
				minutes = append(minutes, m)
			}
		}
		if len(minutes) == 0 {
			continue
		}
		for _, s := range services {
			own := math.Exp(0.05*rng.NormFloat64() - 0.00125) // a service's own day
			n := forecast.Poisson(rng, p.Daily[s]*level*own)
			for range n {
				m := drawMinute(rng, minutes, p.Afternoon[s])
				at := d.Add(time.Duration(m)*time.Minute + time.Duration(rng.IntN(60))*time.Second)
				h.Arrivals = append(h.Arrivals, forecast.Arrival{Service: s, At: at, Booked: rng.Float64() < p.Booked[s]})
			}
		}
	}
	sort.SliceStable(h.Arrivals, func(i, j int) bool { return h.Arrivals[i].At.Before(h.Arrivals[j].At) })
	return h
}

// effect is the truth's day effect: the two working days after a day off
// for a holiday (the second less), the working day before one, a decaying
// surge over the three weeks after Tết and a rise over the week before,
// the first three working days of a month (the first most) and its last.
func effect(d time.Time, p Pattern, opens func(time.Time) bool, cal *forecast.Calendar, tets []time.Time) float64 {
	e := 1.0
	for i := 0; i+1 < len(tets); i += 2 {
		a, b := tets[i], tets[i+1]
		if n := a.Sub(d).Hours() / 24; n >= 1 && n <= 7 {
			e *= 1 + (p.TetBefore-1)*(1-(n-1)/7)
		}
		if n := d.Sub(b).Hours() / 24; n >= 1 && n <= 21 {
			e *= 1 + (p.TetAfter-1)*math.Exp(-(n-1)/7)
		}
	}
	// Working days since the last day off for a holiday, and until the next.
	holidayWithin := func(step int) int {
		work := 0
		for k := 1; k <= 12; k++ {
			x := d.AddDate(0, 0, step*k)
			if _, hol := cal.Holiday(x); hol {
				return work + 1
			}
			if opens(x) {
				work++
				if work >= 2 {
					return 0
				}
			}
		}
		return 0
	}
	switch holidayWithin(-1) {
	case 1:
		e *= p.AfterHoliday
	case 2:
		e *= 1 + (p.AfterHoliday-1)/3
	}
	if holidayWithin(1) == 1 {
		e *= p.BeforeHoliday
	}
	nth := 0
	for x := d; x.Month() == d.Month(); x = x.AddDate(0, 0, -1) {
		if opens(x) && x.Weekday() != time.Saturday {
			nth++
		}
	}
	switch nth {
	case 1:
		e *= p.FirstDay
	case 2, 3:
		e *= 1 + (p.FirstDay-1)/4
	}
	last := true
	for x := d.AddDate(0, 0, 1); x.Month() == d.Month(); x = x.AddDate(0, 0, 1) {
		if opens(x) && x.Weekday() != time.Saturday {
			last = false
			break
		}
	}
	if last && d.Weekday() != time.Saturday {
		e *= p.LastDay
	}
	return e
}

// drawMinute draws an open minute of the day: a mid-morning peak, a lower
// afternoon (or the reverse for afternoon services).
func drawMinute(rng *rand.Rand, minutes []int, afternoon bool) int {
	for {
		m := minutes[rng.IntN(len(minutes))]
		x := float64(m) / 60
		w := 0.35 + 0.65*math.Exp(-(x-9.3)*(x-9.3)/2) + 0.3*math.Exp(-(x-14.5)*(x-14.5)/1.5)
		if afternoon {
			w = 0.3 + 0.3*math.Exp(-(x-9)*(x-9)/2) + 0.7*math.Exp(-(x-15)*(x-15)/2)
		}
		if rng.Float64() < w {
			return m
		}
	}
}
