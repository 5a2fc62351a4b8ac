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

// Arrival is one citizen for Simulate: a service and when they take a number.
type Arrival struct {
	Service string
	At      time.Time
}

// Wait is what became of one arrival in Simulate. The wait is the time
// the centre was open (or past its closing, counters finishing the queue)
// between the arrival and its call: the minutes before opening and of the
// breaks, when no counter could serve, do not count. Counter is 0 and Wait
// −1 when no counter served it.
type Wait struct {
	Service string
	At      time.Time
	Start   time.Time // when the wait began: At, or the next open moment
	Wait    time.Duration
	Counter int
}

// Simulation is one simulated day of Simulate.
type Simulation struct {
	Waits    []Wait // in arrival order
	Unserved int
}

// P90 is the 90th percentile of the waits passing keep (nil: all); an
// unserved arrival counts as an endless wait (math.MaxInt64).
func (s *Simulation) P90(keep func(Wait) bool) time.Duration {
	var ws []time.Duration
	for _, w := range s.Waits {
		if keep != nil && !keep(w) {
			continue
		}
		if w.Counter == 0 {
			ws = append(ws, time.Duration(math.MaxInt64))
		} else {
			ws = append(ws, w.Wait)
		}
	}
	if len(ws) == 0 {
		return 0
	}
	slices.Sort(ws)
	return ws[int(math.Ceil(0.9*float64(len(ws))))-1]
}

// Simulate plays one day of a centre with the given arrivals (all on one
// local day) and counters: open maps an hour of the day to the counter
// numbers working in it (inside the centre's hours and outside its
// breaks). A free working counter calls the citizen who came first among
// the services it serves. Service times are lognormal (shape 0.5) around
// the mean durations (the service's configured minutes when absent). The
// counters of the last planned hour stay until everyone waiting is called.
// Unlike Run, it does not play the queue's full rules (priorities,
// no-shows, pauses): it is the quick check a staffing plan needs.
func Simulate(c queue.Centre, arrivals []Arrival, open map[int][]int, durations map[string]time.Duration, seed int64) (*Simulation, error) {
	res := &Simulation{}
	if len(arrivals) == 0 {
		return res, nil
	}
	loc := c.Location()
	arr := slices.Clone(arrivals)
	sort.SliceStable(arr, func(i, j int) bool { return arr[i].At.Before(arr[j].At) })
	t0 := arr[0].At.In(loc)
	midnight := time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, loc)
	const minutes = 24 * 60
	if arr[len(arr)-1].At.Sub(midnight) >= minutes*time.Minute {
		return nil, fmt.Errorf("waitsim: arrivals span more than one day")
	}
	// The centre's open minutes and the last one.
	centreOpen := openMinutes(c, midnight)
	closeMin := -1
	for m := range minutes {
		if centreOpen[m] {
			closeMin = m + 1
		}
	}
	lastHour := -1
	for h, ks := range open {
		if len(ks) > 0 && h > lastHour {
			lastHour = h
		}
	}
	// working[k][m]: counter k works in minute m (minutes after the close:
	// the counters of the last planned hour, until the queue is empty).
	counters := map[int][]string{}
	for _, k := range c.Counters {
		counters[k.Number] = k.Services
	}
	working := map[int][]bool{}
	for h, ks := range open {
		for _, k := range ks {
			if _, ok := counters[k]; !ok {
				return nil, fmt.Errorf("waitsim: no counter %d", k)
			}
			if working[k] == nil {
				working[k] = make([]bool, minutes+1)
			}
			for m := h * 60; m < (h+1)*60 && m < minutes; m++ {
				if centreOpen[m] {
					working[k][m] = true
				}
			}
			if h == lastHour && closeMin >= 0 {
				for m := max(closeMin, h*60); m <= minutes; m++ {
					working[k][m] = true
				}
			}
		}
	}
	sec := func(t time.Time) float64 { return t.Sub(midnight).Seconds() }
	// openBefore[m]: minutes before m that count for waits.
	openBefore := make([]float64, minutes+1)
	counts := func(m int) bool { return m < minutes && (centreOpen[m] || (closeMin >= 0 && m >= closeMin)) }
	for m := range minutes {
		openBefore[m+1] = openBefore[m]
		if counts(m) {
			openBefore[m+1]++
		}
	}
	openSec := func(s float64) float64 {
		m := int(s / 60)
		if m >= minutes {
			return openBefore[minutes]*60 + s - float64(minutes*60)
		}
		x := openBefore[m] * 60
		if counts(m) {
			x += s - float64(m*60)
		}
		return x
	}
	works := func(k int, s float64) bool {
		w := working[k]
		m := int(s / 60)
		if w == nil || m < 0 {
			return false
		}
		return w[min(m, minutes)]
	}
	// nextStart is the first minute after s at which counter k starts working again.
	nextStart := func(k int, s float64) (float64, bool) {
		w := working[k]
		for m := int(s/60) + 1; m < minutes; m++ {
			if w[m] && !w[m-1] {
				return float64(m * 60), true
			}
		}
		return 0, false
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5bd1e995))
	draw := func(service string) float64 {
		mean := durations[service]
		if mean <= 0 {
			svc, _ := c.Service(service)
			mean = time.Duration(cmp0(svc.Minutes, queue.DefaultServiceMinutes)) * time.Minute
		}
		const sigma = 0.5
		mu := math.Log(mean.Seconds()) - sigma*sigma/2
		return math.Max(30, math.Exp(mu+sigma*rng.NormFloat64()))
	}
	// effective start of each arrival's wait
	eff := make([]float64, len(arr))
	for i, a := range arr {
		s := sec(a.At)
		eff[i] = s
		for m := int(s / 60); m < minutes; m++ {
			if centreOpen[m] {
				eff[i] = math.Max(s, float64(m*60))
				break
			}
		}
		res.Waits = append(res.Waits, Wait{Service: a.Service, At: a.At, Wait: -1,
			Start: midnight.Add(time.Duration(eff[i] * float64(time.Second)))})
	}
	var waiting []int // arrival indices, in arrival order
	idle := map[int]bool{}
	var q simEvents
	seq := 0
	wakeAt := map[int]float64{}
	push := func(at float64, k int, finish bool) {
		if !finish {
			if w, ok := wakeAt[k]; ok && w == at {
				return
			}
			wakeAt[k] = at
		}
		seq++
		heap.Push(&q, simEvent{at: at, k: k, seq: seq, finish: finish})
	}
	order := make([]int, 0, len(working))
	for k := range working {
		order = append(order, k)
	}
	slices.Sort(order) // map order would make the seed's day vary
	for _, k := range order {
		idle[k] = true
		if works(k, 0) {
			push(0, k, false)
		} else if s, ok := nextStart(k, 0); ok {
			push(s, k, false)
		}
	}
	// take lets counter k at s call the first waiting citizen it serves.
	take := func(k int, s float64) bool {
		for j, i := range waiting {
			if slices.Contains(counters[k], arr[i].Service) {
				waiting = slices.Delete(waiting, j, j+1)
				res.Waits[i].Wait = time.Duration(math.Max(0, openSec(s)-openSec(eff[i])) * float64(time.Second))
				res.Waits[i].Counter = k
				idle[k] = false
				push(s+draw(arr[i].Service), k, true)
				return true
			}
		}
		idle[k] = true
		if next, ok := nextStart(k, s); ok {
			push(next, k, false)
		}
		return false
	}
	next := 0
	for next < len(arr) || q.Len() > 0 {
		if next < len(arr) && (q.Len() == 0 || sec(arr[next].At) < q[0].at) {
			s := sec(arr[next].At)
			waiting = append(waiting, next)
			next++
			ks := make([]int, 0, len(idle))
			for k, ok := range idle {
				if ok && works(k, s) && slices.Contains(counters[k], arr[next-1].Service) {
					ks = append(ks, k)
				}
			}
			if len(ks) > 0 {
				take(slices.Min(ks), s)
			}
			continue
		}
		ev := heap.Pop(&q).(simEvent)
		if !ev.finish && !idle[ev.k] {
			continue // woken while serving: its finish comes
		}
		if !works(ev.k, ev.at) {
			idle[ev.k] = true
			if s, ok := nextStart(ev.k, ev.at); ok {
				push(s, ev.k, false)
			}
			continue
		}
		take(ev.k, ev.at)
	}
	res.Unserved = len(waiting)
	return res, nil
}

// openMinutes marks the minutes of the local day the centre is open, as
// Centre.OpenAt tells them (hours of the weekday, not a closed date,
// outside the breaks).
func openMinutes(c queue.Centre, midnight time.Time) []bool {
	open := make([]bool, 24*60)
	if slices.Contains(c.ClosedDates, midnight.Format(time.DateOnly)) {
		return open
	}
	for _, h := range c.Hours {
		if h.Weekday != int(midnight.Weekday()) {
			continue
		}
		o, _ := queue.ParseClock(h.Open)
		cl, _ := queue.ParseClock(h.Close)
		for m := max(0, o); m < min(cl, len(open)); m++ {
			open[m] = true
		}
		for _, b := range c.Breaks {
			bs, _ := queue.ParseClock(b.Start)
			be, _ := queue.ParseClock(b.End)
			for m := max(0, bs); m < min(be, len(open)); m++ {
				open[m] = false
			}
		}
		break
	}
	return open
}

func cmp0(a, b int) int {
	if a == 0 {
		return b
	}
	return a
}

type simEvent struct {
	at     float64
	k      int
	seq    int
	finish bool // the counter's citizen is done (else: a wake-up of an idle counter)
}

type simEvents []simEvent

func (h simEvents) Len() int { return len(h) }
func (h simEvents) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h simEvents) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *simEvents) Push(x any)   { *h = append(*h, x.(simEvent)) }
func (h *simEvents) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
