package forecast

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"xephang/queue-server/queue"
	"xephang/queue-server/waitsim"
)

// PlanOptions of a staffing plan.
type PlanOptions struct {
	Target       time.Duration            // the 90th-percentile wait to keep under (default 30 min)
	ServiceTimes map[string]time.Duration // mean service times (ServiceTimes); missing: the configured minutes
	Roster       []queue.CounterConfig    // the counters and their services (default the centre's)
	Seed         int64
}

// PlanHour is one hour of a plan.
type PlanHour struct {
	Day      string        `json:"day"`
	Hour     int           `json:"hour"`
	Counters []int         `json:"counters"` // counter numbers to open
	Needed   int           `json:"needed"`   // counters the hour needs (more than the roster when short)
	Roster   int           `json:"roster"`   // counters of the roster
	Short    bool          `json:"short"`    // the roster cannot meet the target
	P90      time.Duration `json:"p90"`      // simulated 90th-percentile wait of the hour's arrivals
	Met      bool          `json:"met"`
}

// Plan is a day's staffing plan.
type Plan struct {
	Hours              []PlanHour `json:"hours"`
	CounterHours       int        `json:"counter_hours"`
	AllDayCounterHours int        `json:"all_day_counter_hours"` // every counter of the roster, every open hour
	MetShare           float64    `json:"met_share"`             // share of hours with arrivals meeting the target
}

// DefaultTarget is the default 90th-percentile wait.
const DefaultTarget = 30 * time.Minute

// planSeeds: the plan must hold on each of these simulated days (service
// times drawn anew).
const planSeeds = 2

// MakePlan plans the counters to open each hour of the day (YYYY-MM-DD, a
// day of the forecast): hour by hour from the first whose simulated
// 90th-percentile wait misses the target, it opens the roster's counter
// serving the most citizens waiting too long, until every hour meets it or
// the roster is exhausted (Short); then it closes each counter-hour the
// target does not need. The simulated day (waitsim.Simulate) takes each
// hour's forecast upper bound (the 80 % interval's high end) of arrivals,
// spread evenly over the hour.
func MakePlan(f *Forecast, day string, o PlanOptions) (*Plan, error) {
	c := f.centre
	if c.ID == "" {
		return nil, fmt.Errorf("forecast: MakePlan needs a forecast made by Model.Forecast")
	}
	d, err := time.ParseInLocation(time.DateOnly, day, c.Location())
	if err != nil {
		return nil, queue.Errorf(queue.EInvalid, "plan day %q is not YYYY-MM-DD", "ngày lập kế hoạch %q không đúng dạng YYYY-MM-DD", day)
	}
	if o.Target <= 0 {
		o.Target = DefaultTarget
	}
	roster := o.Roster
	if len(roster) == 0 {
		roster = c.Counters
	}
	c.Counters = roster
	dur := map[string]time.Duration{}
	for _, s := range c.Services {
		dur[s.Code] = time.Duration(cmp0(s.Minutes, queue.DefaultServiceMinutes)) * time.Minute
	}
	for s, t := range o.ServiceTimes {
		if t > 0 {
			dur[s] = t
		}
	}
	// The day's open hours and the planned arrivals.
	loc := c.Location()
	var hours []int
	for h := range 24 {
		for m := 0; m < 60; m++ {
			if c.OpenAt(d.Add(time.Duration(h*60+m)*time.Minute), loc) {
				hours = append(hours, h)
				break
			}
		}
	}
	p := &Plan{Hours: []PlanHour{}}
	if len(hours) == 0 {
		return p, nil
	}
	rates := map[string]*[24]float64{}
	for _, pt := range f.Points {
		if pt.Day == day {
			if rates[pt.Service] == nil {
				rates[pt.Service] = &[24]float64{}
			}
			rates[pt.Service][pt.Hour] += pt.High
		}
	}
	arrivals := planArrivals(d, rates)
	var seeds []int64
	for k := range int64(planSeeds) {
		seeds = append(seeds, o.Seed*planSeeds+k)
	}
	pl := &planner{c: c, arrivals: arrivals, dur: dur, seeds: seeds, target: o.Target, open: map[int][]int{}, short: map[int]bool{}}
	isOpen := map[int]bool{}
	for _, h := range hours {
		isOpen[h] = true
	}
	nextOpen := func(h int) int {
		for _, x := range hours {
			if x > h {
				return x
			}
		}
		return -1
	}
	for range len(hours) * (len(roster) + 2) {
		st, err := pl.run()
		if err != nil {
			return nil, err
		}
		h := -1
		for _, x := range st.hours() {
			if !pl.short[x] && st.p90[x] > o.Target {
				h = x
				break
			}
		}
		if h < 0 {
			break
		}
		at := h
		if !isOpen[at] { // arrivals waiting over a closed hour: the next open one
			at = nextOpen(h)
		}
		k, where := pl.best(st, h, at, nextOpen(at))
		if k == 0 {
			pl.short[h] = true
			continue
		}
		pl.open[where] = append(pl.open[where], k)
	}
	// Close the counter-hours the target does not need, latest first.
	for i := len(hours) - 1; i >= 0; i-- {
		h := hours[i]
		for _, k := range slices.Clone(pl.open[h]) {
			keep := pl.open[h]
			pl.open[h] = slices.DeleteFunc(slices.Clone(keep), func(x int) bool { return x == k })
			st, err := pl.run()
			if err != nil {
				return nil, err
			}
			ok := true
			for _, x := range st.hours() {
				if st.p90[x] > o.Target && !pl.short[x] {
					ok = false
					break
				}
			}
			if !ok {
				pl.open[h] = keep
			}
		}
	}
	st, err := pl.run()
	if err != nil {
		return nil, err
	}
	var met, withArrivals int
	for _, h := range hours {
		ks := slices.Clone(pl.open[h])
		slices.Sort(ks)
		ph := PlanHour{Day: day, Hour: h, Counters: ks, Needed: len(ks), Roster: len(roster), P90: st.p90[h]}
		if ph.Counters == nil {
			ph.Counters = []int{}
		}
		ph.Met = ph.P90 <= o.Target
		if !ph.Met && pl.short[h] {
			ph.Short = true
			ph.Needed = max(len(roster)+1, pl.load(h))
		}
		if st.n[h] > 0 {
			withArrivals++
			if ph.Met {
				met++
			}
		}
		p.CounterHours += len(ks)
		p.Hours = append(p.Hours, ph)
	}
	p.AllDayCounterHours = len(roster) * len(hours)
	p.MetShare = 1
	if withArrivals > 0 {
		p.MetShare = float64(met) / float64(withArrivals)
	}
	return p, nil
}

// planArrivals spreads each service-hour's planned arrivals evenly over the
// hour, carrying fractions over to the next hour.
func planArrivals(d time.Time, rates map[string]*[24]float64) []waitsim.Arrival {
	var out []waitsim.Arrival
	services := make([]string, 0, len(rates))
	for s := range rates {
		services = append(services, s)
	}
	sort.Strings(services)
	for _, s := range services {
		var carry float64
		for h := range 24 {
			x := rates[s][h] + carry
			n := int(math.Floor(x + 0.5))
			carry = x - float64(n)
			for j := range n {
				at := d.Add(time.Duration(h)*time.Hour + time.Duration((float64(j)+0.5)/float64(n)*float64(time.Hour)))
				out = append(out, waitsim.Arrival{Service: s, At: at.Truncate(time.Second)})
			}
		}
	}
	return out
}

type planner struct {
	c        queue.Centre
	arrivals []waitsim.Arrival
	dur      map[string]time.Duration
	seeds    []int64
	target   time.Duration
	open     map[int][]int
	short    map[int]bool
}

// planStats are the simulated waits by the hour their wait began, pooled over the seeds.
type planStats struct {
	p90  map[int]time.Duration
	n    map[int]int
	late map[int]map[string]int // hour → service → citizens waiting over the target
}

func (s *planStats) hours() []int {
	var hs []int
	for h := range s.n {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	return hs
}

func (pl *planner) run() (*planStats, error) {
	st := &planStats{p90: map[int]time.Duration{}, n: map[int]int{}, late: map[int]map[string]int{}}
	waits := map[int][]time.Duration{}
	loc := pl.c.Location()
	for _, seed := range pl.seeds {
		sim, err := waitsim.Simulate(pl.c, pl.arrivals, pl.open, pl.dur, seed)
		if err != nil {
			return nil, err
		}
		for _, w := range sim.Waits {
			h := w.Start.In(loc).Hour()
			x := w.Wait
			if w.Counter == 0 {
				x = time.Duration(math.MaxInt64)
			}
			waits[h] = append(waits[h], x)
			if x > pl.target {
				if st.late[h] == nil {
					st.late[h] = map[string]int{}
				}
				st.late[h][w.Service]++
			}
		}
	}
	for h, ws := range waits {
		slices.Sort(ws)
		st.p90[h] = ws[int(math.Ceil(0.9*float64(len(ws))))-1]
		st.n[h] = len(ws) / len(pl.seeds)
	}
	return st, nil
}

// best picks the counter to open: the one serving the most of hour h's
// late citizens, at hour at (else at the next hour); 0 when none helps.
func (pl *planner) best(st *planStats, h, at, next int) (k, where int) {
	bestScore := 0
	for _, hour := range []int{at, next} {
		if hour < 0 {
			continue
		}
		for _, cc := range pl.c.Counters {
			if slices.Contains(pl.open[hour], cc.Number) {
				continue
			}
			score := 0
			for _, s := range cc.Services {
				score += st.late[h][s]
			}
			// Prefer counters serving fewer other services (they stay
			// free for the late ones), then the lower number.
			score = score*16 - min(len(cc.Services), 15)
			if score > 0 && score > bestScore {
				bestScore, k, where = score, cc.Number, hour
			}
		}
		if k != 0 {
			return k, where
		}
	}
	return 0, 0
}

// load is the counters the hour's planned work needs at 85 % busy.
func (pl *planner) load(h int) int {
	var work time.Duration
	loc := pl.c.Location()
	for _, a := range pl.arrivals {
		if a.At.In(loc).Hour() == h {
			work += pl.dur[a.Service]
		}
	}
	return int(math.Ceil(work.Hours() / 0.85))
}

func cmp0(a, b int) int {
	if a == 0 {
		return b
	}
	return a
}

// ServiceTimes estimates each service's mean service time from served
// tickets (call to finish; the middle 90 % of at least five), else the
// service's configured minutes.
func ServiceTimes(h History, served []queue.Ticket) map[string]time.Duration {
	by := map[string][]float64{}
	for _, t := range served {
		if t.CalledAt == nil || t.FinishedAt == nil || t.Status != queue.StatusDone {
			continue
		}
		d := t.FinishedAt.Sub(*t.CalledAt)
		if d >= 10*time.Second && d <= 3*time.Hour {
			by[t.Service] = append(by[t.Service], d.Seconds())
		}
	}
	out := map[string]time.Duration{}
	for _, s := range h.Centre.Services {
		out[s.Code] = time.Duration(cmp0(s.Minutes, queue.DefaultServiceMinutes)) * time.Minute
		xs := by[s.Code]
		if len(xs) < 5 {
			continue
		}
		sort.Float64s(xs)
		lo, hi := len(xs)/20, len(xs)-len(xs)/20
		var sum float64
		for _, x := range xs[lo:hi] {
			sum += x
		}
		out[s.Code] = time.Duration(sum / float64(hi-lo) * float64(time.Second)).Round(time.Second)
	}
	return out
}
