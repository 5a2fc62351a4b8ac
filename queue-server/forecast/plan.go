package forecast

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
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
const planSeeds = 3

// planMargin: the plan aims at this share of the target, for the days
// that come busier than planned.
var planMargin = 0.75

// minRate: a service expected at least this often in an hour (0.15: about
// one day in seven) keeps a counter serving it open.
const minRate = 0.15

// MakePlan plans the counters to open each hour of the day (YYYY-MM-DD, a
// day of the forecast), as the package documentation says: hour by hour,
// the fewest counters whose simulated 90th-percentile wait on a busy day
// meets the target, and where the roster falls short (Short, Needed).
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
	for _, ds := range f.Days {
		if ds.Day == day && ds.Service == "" && ds.Closed {
			hours = nil // a day off of the calendar: no plan
		}
	}
	if len(hours) == 0 {
		return p, nil
	}
	// A busy day: the forecast's hourly means scaled up to the day's upper
	// bound (all services), the arrivals of each simulated day drawn at
	// random (Poisson) from those rates.
	busy := 1.0
	for _, ds := range f.Days {
		if ds.Day == day && ds.Service == "" && ds.Mean > 0 {
			busy = math.Max(1, ds.High/ds.Mean)
		}
	}
	rates := map[string]*[24]float64{}
	for _, pt := range f.Points {
		if pt.Day == day {
			if rates[pt.Service] == nil {
				rates[pt.Service] = &[24]float64{}
			}
			rates[pt.Service][pt.Hour] += math.Max(float64(pt.Booked), pt.Mean*busy)
		}
	}
	var seeds []int64
	var arrivals [][]waitsim.Arrival
	for k := range int64(planSeeds) {
		seed := o.Seed*planSeeds + k
		seeds = append(seeds, seed)
		arrivals = append(arrivals, planArrivals(d, rates, seed))
	}
	aim := time.Duration(float64(o.Target) * planMargin)
	pl := &planner{c: c, day: d, arrivals: arrivals, dur: dur, seeds: seeds, target: aim, open: map[int][]int{}, short: map[int]bool{}}
	all := make([]int, 0, len(roster))
	for _, k := range roster {
		all = append(all, k.Number)
	}
	for _, h := range hours {
		pl.open[h] = all
	}
	// Hour by hour, the later hours all open: from the counters the hour's
	// work needs at the least, add the best one until its citizens' wait
	// meets the target.
	for _, h := range hours {
		pl.open[h] = pl.cover(h, rates)
		for {
			st, err := pl.run()
			if err != nil {
				return nil, err
			}
			if st.p90[h] <= aim {
				break
			}
			k := pl.best(st, h, h)
			if k == 0 {
				pl.short[h] = true
				break
			}
			pl.open[h] = append(slices.Clone(pl.open[h]), k)
		}
	}
	// Citizens left waiting over into a leaner hour: open more there.
	for range len(hours) * len(roster) {
		st, err := pl.run()
		if err != nil {
			return nil, err
		}
		h := -1
		for _, x := range st.hours() {
			if !pl.short[x] && st.p90[x] > aim {
				h = x
				break
			}
		}
		if h < 0 {
			break
		}
		k := 0
		for _, at := range hours {
			if at >= h && k == 0 {
				if k = pl.best(st, h, at); k != 0 {
					pl.open[at] = append(slices.Clone(pl.open[at]), k)
				}
			}
		}
		if k == 0 {
			pl.short[h] = true
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

// planArrivals draws each service-hour's arrivals: a Poisson number at
// its rate, at uniform times in the hour.
func planArrivals(d time.Time, rates map[string]*[24]float64, seed int64) []waitsim.Arrival {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x853c49e6748fea9b))
	var out []waitsim.Arrival
	services := make([]string, 0, len(rates))
	for s := range rates {
		services = append(services, s)
	}
	sort.Strings(services)
	for _, s := range services {
		for h := range 24 {
			for range Poisson(rng, rates[s][h]) {
				at := d.Add(time.Duration(h)*time.Hour + time.Duration(rng.Float64()*float64(time.Hour)))
				out = append(out, waitsim.Arrival{Service: s, At: at.Truncate(time.Second)})
			}
		}
	}
	return out
}

// Poisson draws a Poisson count with the given mean (normal approximation
// above 50): the plan's simulated arrivals, and the backtest's histories.
func Poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 50 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

type planner struct {
	c        queue.Centre
	day      time.Time
	arrivals [][]waitsim.Arrival // per seed
	dur      map[string]time.Duration
	seeds    []int64
	target   time.Duration
	open     map[int][]int
	short    map[int]bool
}

// planStats are the simulated waits by the hour their wait began: the
// worst 90th percentile of the simulated days, the citizens and those
// waiting over the target on all.
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
	loc := pl.c.Location()
	for i, seed := range pl.seeds {
		sim, err := waitsim.Simulate(pl.c, pl.arrivals[i], pl.open, pl.dur, seed)
		if err != nil {
			return nil, err
		}
		waits := map[int][]time.Duration{}
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
		for h, ws := range waits {
			slices.Sort(ws)
			st.p90[h] = max(st.p90[h], ws[int(math.Ceil(0.9*float64(len(ws))))-1])
			st.n[h] += len(ws)
		}
	}
	return st, nil
}

// best picks the counter to open at hour at for hour h's citizens waiting
// too long: the one serving most of them (then the one serving fewer other
// services, then the lower number); 0 when none helps.
func (pl *planner) best(st *planStats, h, at int) int {
	bestScore, k := 0, 0
	for _, cc := range pl.c.Counters {
		if slices.Contains(pl.open[at], cc.Number) {
			continue
		}
		score := 0
		for _, s := range cc.Services {
			score += st.late[h][s]
		}
		score = score*16 - min(len(cc.Services), 15)
		if score > 0 && score > bestScore {
			bestScore, k = score, cc.Number
		}
	}
	return k
}

// cover is the least set of counters for hour h's planned work: counters
// are taken, the one with the most work left among its services first,
// each taking the hour's open minutes off that work (its busiest service
// first), until none is left; then counters for the services expected
// in the hour that none of those serves.
func (pl *planner) cover(h int, rates map[string]*[24]float64) []int {
	loc := pl.c.Location()
	d := pl.day
	openMin := 0.0
	for m := range 60 {
		if pl.c.OpenAt(d.Add(time.Duration(h*60+m)*time.Minute), loc) {
			openMin++
		}
	}
	work := map[string]float64{}
	for s, r := range rates {
		work[s] = r[h] * pl.dur[s].Minutes()
	}
	var out []int
	used := map[int]bool{}
	for {
		best, bestWork := 0, 0.0
		for _, cc := range pl.c.Counters {
			if used[cc.Number] {
				continue
			}
			var w float64
			for _, s := range cc.Services {
				w += math.Max(0, work[s])
			}
			if w > bestWork {
				best, bestWork = cc.Number, w
			}
		}
		if best == 0 || openMin == 0 {
			break
		}
		used[best] = true
		out = append(out, best)
		cc, _ := pl.c.Counter(best)
		svcs := slices.Clone(cc.Services)
		slices.SortFunc(svcs, func(a, b string) int { return cmp.Compare(work[b], work[a]) })
		left := openMin
		for _, s := range svcs {
			take := math.Min(left, math.Max(0, work[s]))
			work[s] -= take
			left -= take
		}
	}
	// Every service expected in the hour has a counter serving it: else
	// one citizen of it would wait for the next hour that has one.
	for {
		missing := map[string]bool{}
		for sv, r := range rates {
			if r[h] < minRate {
				continue
			}
			served := false
			for _, k := range out {
				cc, _ := pl.c.Counter(k)
				served = served || slices.Contains(cc.Services, sv)
			}
			if !served {
				missing[sv] = true
			}
		}
		best, bestN := 0, 0
		for _, cc := range pl.c.Counters {
			n := 0
			for _, sv := range cc.Services {
				if missing[sv] {
					n++
				}
			}
			if !used[cc.Number] && n > bestN {
				best, bestN = cc.Number, n
			}
		}
		if best == 0 {
			break
		}
		used[best] = true
		out = append(out, best)
	}
	return out
}

// load is the counters the hour's planned work needs at 85 % busy.
func (pl *planner) load(h int) int {
	var work time.Duration
	loc := pl.c.Location()
	for _, a := range pl.arrivals[0] {
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
