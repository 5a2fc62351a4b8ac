// Package waitsim simulates a busy day at a land-registration centre on the
// pure domain (queue.Live) with a simulated clock, and measures how far
// each ticket's first estimated wait (Ticket.FirstEstimate, made at issue)
// is from its real wait (FirstCalledAt − IssuedAt), against two baselines:
//
//   - naive: position × the service's configured minutes ÷ the number of
//     counters configured for the service;
//   - moving: the mean of the last 30 real waits of the service (the naive
//     estimate until the service has a real wait).
//
// The day is shaped like Hà Nội land registration office Branch 1, which
// took 800–1,000 dossiers a day, mostly land cases: arrivals from 07:00,
// peaking mid-morning, a lunch break (11:30–13:00) with counters paused,
// long and short services with lognormal real durations whose means differ
// from the configured minutes, counters pausing a few times a day, some
// legal-priority citizens and some no-shows (called, recalled after 30 s,
// marked absent 30 s later).
package waitsim

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"xephang/queue-server/queue"
)

// Service is a simulated service: its configuration and how it really behaves.
type Service struct {
	Code       string
	Name       string
	Minutes    int     // configured (seeds the estimate, used by the naive baseline)
	RealMean   float64 // real mean duration, minutes
	Sigma      float64 // lognormal shape of the real duration
	Share      float64 // share of the day's arrivals
	NoShowRate float64
}

// Services of the simulated branch: mostly land cases.
var Services = []Service{
	{Code: "D", Name: "Đăng ký biến động đất đai", Minutes: 15, RealMean: 13, Sigma: 0.5, Share: 0.45, NoShowRate: 0.05},
	{Code: "C", Name: "Cấp Giấy chứng nhận lần đầu", Minutes: 20, RealMean: 24, Sigma: 0.6, Share: 0.10, NoShowRate: 0.05},
	{Code: "T", Name: "Trả kết quả", Minutes: 5, RealMean: 4, Sigma: 0.5, Share: 0.30, NoShowRate: 0.08},
	{Code: "H", Name: "Cung cấp thông tin, tư vấn", Minutes: 8, RealMean: 7, Sigma: 0.7, Share: 0.15, NoShowRate: 0.08},
}

// Counters of the simulated branch: counter number → services.
var Counters = func() []queue.CounterConfig {
	var cs []queue.CounterConfig
	add := func(services ...string) {
		n := len(cs) + 1
		cs = append(cs, queue.CounterConfig{Number: n, Name: fmt.Sprintf("Quầy %d", n), Services: services})
	}
	for range 10 {
		add("D")
	}
	add("D", "C")
	add("D", "C")
	for range 3 {
		add("C")
	}
	for range 2 {
		add("T")
	}
	add("T", "H")
	add("H")
	add("H", "D", "T")
	return cs
}()

// Centre returns the simulated centre's configuration, normalised and valid.
func Centre() (queue.Centre, error) {
	c := queue.Centre{
		ID: "cn1-vpdkdd-ha-noi", Name: "Chi nhánh số 1 Văn phòng đăng ký đất đai Hà Nội (mô phỏng)",
		Timezone: queue.DefaultTimezone,
		Breaks:   []queue.Break{{Start: "11:30", End: "13:00"}},
		Counters: Counters,
	}
	for wd := 1; wd <= 5; wd++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: wd, Open: "07:30", Close: "17:00"})
	}
	for _, s := range Services {
		c.Services = append(c.Services, queue.Service{Code: s.Code, Name: s.Name, Minutes: s.Minutes})
	}
	c.Normalize()
	return c, c.Validate()
}

// Day is the simulated date (a Tuesday).
var Day = time.Date(2026, 11, 24, 0, 0, 0, 0, mustLoc(queue.DefaultTimezone))

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func clock(h, m int) time.Time {
	return Day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// Arrival weights per half hour from 07:00 to 16:30: a mid-morning peak, a
// trickle over lunch (people come early for the afternoon), a flatter
// afternoon.
var arrivalWeights = []float64{
	4, 6, 9, 11, 13, 12, 10, 8, 5, // 07:00 … 11:00
	1, 1, 2, // 11:30 … 12:30 (lunch)
	7, 7, 6, 6, 5, 4, 3, // 13:00 … 16:00
}

const (
	priorityRate = 0.04
	movingWindow = 30
	recallGap    = 30 * time.Second
	lunchStart   = 11*60 + 30
	lunchEnd     = 13 * 60
)

// Record is one ticket's estimates and real wait, in seconds.
type Record struct {
	ID       string
	Service  string
	Issued   time.Time
	Priority bool
	Position int
	Ours     float64
	Naive    float64
	Moving   float64
	Real     float64 // −1 until first called
}

// Result is one simulated day.
type Result struct {
	Seed     int64
	Arrivals int
	Called   int
	NoShows  int
	Pauses   int
	LastCall time.Time
	Records  []Record
}

// Errors are mean absolute (and mean signed: estimate − real) errors in minutes.
type Errors struct {
	N                       int
	Ours, Naive, Moving     float64 // mean absolute error
	BiasOurs, BiasNaive     float64 // mean signed error
	BiasMoving, MeanRealMin float64
}

// Errors summarises the records that pass keep (nil: all called tickets).
func (r *Result) Errors(keep func(Record) bool) Errors {
	var e Errors
	for _, rec := range r.Records {
		if rec.Real < 0 || (keep != nil && !keep(rec)) {
			continue
		}
		e.N++
		e.Ours += math.Abs(rec.Ours - rec.Real)
		e.Naive += math.Abs(rec.Naive - rec.Real)
		e.Moving += math.Abs(rec.Moving - rec.Real)
		e.BiasOurs += rec.Ours - rec.Real
		e.BiasNaive += rec.Naive - rec.Real
		e.BiasMoving += rec.Moving - rec.Real
		e.MeanRealMin += rec.Real
	}
	if e.N > 0 {
		k := 60 * float64(e.N)
		e.Ours, e.Naive, e.Moving = e.Ours/k, e.Naive/k, e.Moving/k
		e.BiasOurs, e.BiasNaive, e.BiasMoving = e.BiasOurs/k, e.BiasNaive/k, e.BiasMoving/k
		e.MeanRealMin /= k
	}
	return e
}

// event kinds
const (
	evArrive = iota
	evFree   // the counter's citizen is done: next
	evRecall // the called citizen is absent: recall
	evAbsent // still absent: mark no-show and call next
	evResume // a pause ends
	evLunch  // lunch begins: idle counters pause
)

type event struct {
	at      time.Time
	kind    int
	counter int
	arrival int
	seq     int
}

type events []*event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *events) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type arrival struct {
	at       time.Time
	service  string
	priority bool
}

type counterState struct {
	cfg    queue.CounterConfig
	busy   bool        // serving (or calling) a citizen
	paused bool        // on a break
	breaks []time.Time // random breaks still to take, in order
}

// day is one simulated day: the centre's live state, the queue of
// simulated events, the counters, and what is recorded of each ticket.
type day struct {
	seed     int64
	rng      *rand.Rand
	svc      map[string]Service
	serving  map[string]int // counters serving each service
	arrivals []arrival
	l        *queue.Live
	q        events
	seq      int
	counters map[int]*counterState
	order    []int // counter numbers in configuration order
	opened   map[int]bool
	res      *Result
	recs     map[string]*Record
	recOrder []string
	moving   map[string][]float64 // the last waits per service (moving-30 baseline)
}

// Run simulates one day with the seed.
func Run(seed int64) (*Result, error) {
	d, err := newDay(seed)
	if err != nil {
		return nil, err
	}
	if err := d.run(); err != nil {
		return nil, err
	}
	for _, id := range d.recOrder {
		d.res.Records = append(d.res.Records, *d.recs[id])
	}
	if d.res.Called != len(d.arrivals) {
		return d.res, fmt.Errorf("seed %d: %d of %d tickets called", seed, d.res.Called, len(d.arrivals))
	}
	return d.res, nil
}

// newDay draws the day's arrivals and the counters' breaks, and queues the
// first events. (The random draws keep their order: a seed gives the same
// day as before.)
func newDay(seed int64) (*day, error) {
	cfg, err := Centre()
	if err != nil {
		return nil, err
	}
	d := &day{seed: seed, rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		svc: map[string]Service{}, serving: map[string]int{}, counters: map[int]*counterState{},
		opened: map[int]bool{}, recs: map[string]*Record{}, moving: map[string][]float64{}}
	for _, s := range Services {
		d.svc[s.Code] = s
	}
	for _, k := range cfg.Counters {
		for _, s := range k.Services {
			d.serving[s]++
		}
	}
	d.arrivals = drawArrivals(d.rng)
	d.res = &Result{Seed: seed, Arrivals: len(d.arrivals)}

	ids := 0
	d.l = queue.NewLive(cfg, clock(6, 0), func() string { ids++; return fmt.Sprintf("t%05d", ids) })
	d.l.TakeChanges()
	for i, a := range d.arrivals {
		d.push(a.at, evArrive, 0, i)
	}
	for _, k := range cfg.Counters {
		cs := &counterState{cfg: k}
		for range 2 { // two short breaks a day, taken after the citizen at hand
			m := 8*60 + d.rng.IntN(8*60) // 08:00–16:00
			if m >= lunchStart-15 && m < lunchEnd {
				m += 120
			}
			cs.breaks = append(cs.breaks, clock(0, m))
		}
		slices.SortFunc(cs.breaks, func(a, b time.Time) int { return a.Compare(b) })
		d.counters[k.Number] = cs
		d.order = append(d.order, k.Number)
		// Counters open between 07:30 and 07:35.
		d.push(clock(7, 30).Add(time.Duration(d.rng.IntN(300))*time.Second), evFree, k.Number, 0)
		d.push(clock(11, 30), evLunch, k.Number, 0)
	}
	return d, nil
}

// drawArrivals draws 800–1,000 arrivals over the day by the half-hour
// weights and the services' shares, in time order.
func drawArrivals(rng *rand.Rand) []arrival {
	n := 800 + rng.IntN(201)
	var total float64
	for _, w := range arrivalWeights {
		total += w
	}
	arrivals := make([]arrival, n)
	for i := range arrivals {
		x := rng.Float64() * total
		bin := 0
		for ; bin < len(arrivalWeights)-1 && x >= arrivalWeights[bin]; bin++ {
			x -= arrivalWeights[bin]
		}
		at := clock(7, 0).Add(time.Duration(bin)*30*time.Minute + time.Duration(rng.Float64()*float64(30*time.Minute)))
		x = rng.Float64()
		code := Services[len(Services)-1].Code
		for _, s := range Services {
			if x < s.Share {
				code = s.Code
				break
			}
			x -= s.Share
		}
		arrivals[i] = arrival{at: at.Truncate(time.Second), service: code, priority: rng.Float64() < priorityRate}
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].at.Before(arrivals[j].at) })
	return arrivals
}

func (d *day) push(at time.Time, kind, counter, arr int) {
	d.seq++
	heap.Push(&d.q, &event{at: at, kind: kind, counter: counter, arrival: arr, seq: d.seq})
}

// duration draws how long a citizen of the service takes at the counter.
func (d *day) duration(code string) time.Duration {
	s := d.svc[code]
	mu := math.Log(s.RealMean) - s.Sigma*s.Sigma/2 // lognormal with mean RealMean
	m := math.Exp(mu + s.Sigma*d.rng.NormFloat64())
	m = math.Max(1, math.Min(m, 90))
	return time.Duration(m * float64(time.Minute)).Truncate(time.Second)
}

// call asks counter k for its next citizen at now; false if no one waits.
func (d *day) call(now time.Time, k int) (bool, error) {
	cs := d.counters[k]
	t, ok, err := d.l.Next(now, k, "sim")
	if err != nil {
		return false, fmt.Errorf("next at counter %d: %w", k, err)
	}
	if !ok {
		cs.busy = false
		return false, nil
	}
	cs.busy = true
	rec := d.recs[t.ID]
	if rec.Real < 0 {
		rec.Real = t.FirstCalledAt.Sub(t.IssuedAt).Seconds()
		w := append(d.moving[t.Service], rec.Real)
		if len(w) > movingWindow {
			w = w[len(w)-movingWindow:]
		}
		d.moving[t.Service] = w
		d.res.Called++
	}
	if d.rng.Float64() < d.svc[t.Service].NoShowRate {
		d.push(now.Add(recallGap), evRecall, k, 0)
	} else {
		d.push(now.Add(d.duration(t.Service)), evFree, k, 0)
	}
	return true, nil
}

// breakDue pauses a counter whose citizen has just left if it is lunch
// time or one of its breaks is due; it reports whether it paused.
func (d *day) breakDue(now time.Time, k int) (bool, error) {
	cs := d.counters[k]
	mins := now.Sub(Day).Minutes()
	var until time.Time
	switch {
	case mins >= lunchStart && mins < lunchEnd:
		until = clock(13, 0).Add(time.Duration(d.rng.IntN(300)) * time.Second)
	case len(cs.breaks) > 0 && !now.Before(cs.breaks[0]):
		cs.breaks = cs.breaks[1:]
		until = now.Add(time.Duration(5+d.rng.IntN(11)) * time.Minute)
	default:
		return false, nil
	}
	if _, err := d.l.Finish(now, k); err != nil && queue.ErrorCode(err) != queue.ENoCurrent {
		return false, err
	}
	if _, err := d.l.Pause(now, k, "nghỉ"); err != nil {
		return false, err
	}
	cs.busy, cs.paused = false, true
	d.res.Pauses++
	d.push(until, evResume, k, 0)
	return true, nil
}

// next is what a counter does when it is free again: a break if one is
// due, else call the next citizen.
func (d *day) next(now time.Time, k int) error {
	if paused, err := d.breakDue(now, k); err != nil || paused {
		return err
	}
	_, err := d.call(now, k)
	return err
}

// arrive issues the arrival's ticket as a kiosk would, records the three
// estimates, and lets an idle counter serving it call at once.
func (d *day) arrive(now time.Time, a arrival) error {
	p := queue.PriorityNormal
	if a.priority {
		p = queue.PriorityElderly
	}
	t, err := d.l.Issue(now, queue.IssueRequest{Service: a.service, Priority: p, Source: queue.SourceKiosk})
	if err != nil {
		return err
	}
	pos, _, _ := d.l.Estimate(now, t.ID)
	rec := &Record{ID: t.ID, Service: a.service, Issued: now, Priority: a.priority, Position: pos, Real: -1}
	if t.FirstEstimate != nil {
		rec.Ours = float64(*t.FirstEstimate)
	}
	rec.Naive = float64(pos) * float64(d.svc[a.service].Minutes*60) / float64(d.serving[a.service])
	if w := d.moving[a.service]; len(w) > 0 {
		var sum float64
		for _, x := range w {
			sum += x
		}
		rec.Moving = sum / float64(len(w))
	} else {
		rec.Moving = rec.Naive
	}
	d.recs[t.ID] = rec
	d.recOrder = append(d.recOrder, t.ID)
	// Idle open counters serving the service call at once.
	for _, k := range d.order {
		cs := d.counters[k]
		if d.opened[k] && !cs.busy && !cs.paused && slices.Contains(cs.cfg.Services, a.service) {
			_, err := d.call(now, k)
			return err
		}
	}
	return nil
}

// run plays the day's events in time order.
func (d *day) run() error {
	const maxEvents = 100000
	for steps := 0; d.q.Len() > 0; steps++ {
		if steps > maxEvents {
			return fmt.Errorf("seed %d: more than %d events", d.seed, maxEvents)
		}
		ev := heap.Pop(&d.q).(*event)
		now := ev.at
		var err error
		switch ev.kind {
		case evArrive:
			err = d.arrive(now, d.arrivals[ev.arrival])
		case evFree:
			d.opened[ev.counter] = true
			err = d.next(now, ev.counter)
		case evRecall:
			if _, err = d.l.Recall(now, ev.counter); err != nil {
				return fmt.Errorf("recall: %w", err)
			}
			d.push(now.Add(recallGap), evAbsent, ev.counter, 0)
		case evAbsent:
			if _, err = d.l.NoShow(now, ev.counter); err != nil {
				return fmt.Errorf("no-show: %w", err)
			}
			d.res.NoShows++
			err = d.next(now, ev.counter)
		case evLunch:
			if cs := d.counters[ev.counter]; d.opened[ev.counter] && !cs.busy && !cs.paused {
				_, err = d.breakDue(now, ev.counter)
			}
		case evResume:
			if _, err = d.l.Resume(now, ev.counter, "sim"); err != nil {
				return err
			}
			d.counters[ev.counter].paused = false
			err = d.next(now, ev.counter)
		}
		if err != nil {
			return err
		}
		if ev.kind != evArrive || now.After(d.res.LastCall) {
			d.res.LastCall = now
		}
		d.l.TakeChanges()
	}
	return nil
}

// Summary is the estimators' errors over several days: mean and standard
// deviation across days of each day's mean absolute error, in minutes.
type Summary struct {
	Days                                   int
	Tickets                                float64 // mean per day
	MeanWait                               float64 // mean real wait, minutes
	Ours, Naive, Moving                    float64
	OursSD, NaiveSD, MovingSD              float64
	BiasOurs, BiasNaive, BiasMoving        float64
	OursWins, NaiveWins, MovingWins        int // days ours beat each baseline: OursWins counts both
	NoShows, Pauses, LastCallMinutesPast17 float64
}

// Summarise runs the seeds and summarises the records passing keep.
func Summarise(results []*Result, keep func(Record) bool) Summary {
	var s Summary
	var os, ns, ms []float64
	for _, r := range results {
		e := r.Errors(keep)
		if e.N == 0 {
			continue
		}
		s.Days++
		s.Tickets += float64(e.N)
		s.MeanWait += e.MeanRealMin
		os, ns, ms = append(os, e.Ours), append(ns, e.Naive), append(ms, e.Moving)
		s.BiasOurs += e.BiasOurs
		s.BiasNaive += e.BiasNaive
		s.BiasMoving += e.BiasMoving
		if e.Ours < e.Naive {
			s.NaiveWins++
		}
		if e.Ours < e.Moving {
			s.MovingWins++
		}
		if e.Ours < e.Naive && e.Ours < e.Moving {
			s.OursWins++
		}
		s.NoShows += float64(r.NoShows)
		s.Pauses += float64(r.Pauses)
		s.LastCallMinutesPast17 += r.LastCall.Sub(clock(17, 0)).Minutes()
	}
	if s.Days == 0 {
		return s
	}
	d := float64(s.Days)
	s.Tickets /= d
	s.MeanWait /= d
	s.BiasOurs /= d
	s.BiasNaive /= d
	s.BiasMoving /= d
	s.NoShows /= d
	s.Pauses /= d
	s.LastCallMinutesPast17 /= d
	s.Ours, s.OursSD = meanSD(os)
	s.Naive, s.NaiveSD = meanSD(ns)
	s.Moving, s.MovingSD = meanSD(ms)
	return s
}

func meanSD(xs []float64) (float64, float64) {
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	if len(xs) > 1 {
		v /= float64(len(xs) - 1)
	}
	return m, math.Sqrt(v)
}
