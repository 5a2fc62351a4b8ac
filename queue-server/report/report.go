// Package report computes a centre's figures over a day, week, month or
// range of local dates from the stored history (tickets and bookings), for
// centre managers: per centre, service, counter, staff member and day;
// waits and service times; arrivals by weekday and hour; booking use;
// dossier pre-checks; citizen ratings. The same Report is the API's JSON,
// a CSV (UTF-8 with BOM, for Excel) and a PDF with drawn charts.
//
// Load reads; Compute is pure. Dates are the centre's local dates, as the
// store keeps them: a ticket belongs to the local day it was issued on, a
// booking to the local day of its slot.
package report

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"xephang/queue-server/queue"
)

// DefaultTargetWait is the wait within which a citizen should be called.
const DefaultTargetWait = 15 * time.Minute

// Input is everything Compute needs; Load fills it from a store.
type Input struct {
	Centre   queue.Centre
	Period   Period
	Tickets  []queue.Ticket  // tickets issued on the period's local days
	Bookings []queue.Booking // bookings whose slot is on the period's local days
	// Staff maps usernames to display names (optional).
	Staff map[string]string
	// TargetWait is the wait target of the within-target share; zero means
	// DefaultTargetWait.
	TargetWait time.Duration
	// GeneratedAt is stamped on the report (Load sets the current time).
	GeneratedAt time.Time
}

// Report is a centre's figures over a period. Its JSON is the API's answer.
type Report struct {
	Centre            string    `json:"centre"`
	CentreName        string    `json:"centre_name"`
	Timezone          string    `json:"timezone"`
	Period            Period    `json:"period"`
	GeneratedAt       time.Time `json:"generated_at"`
	TargetWaitSeconds int       `json:"target_wait_seconds"`

	Total    Figures `json:"total"`
	Services []Group `json:"services"` // configured services, then any others met
	Counters []Group `json:"counters"` // by the counter of the last call
	Staff    []Group `json:"staff"`    // by the clerk of the last call
	Days     []Group `json:"days"`     // every date of the period, key YYYY-MM-DD

	Arrivals  Heatmap    `json:"arrivals"`
	WaitBins  []Bin      `json:"wait_distribution"`
	Bookings  BookingUse `json:"bookings"`
	Prechecks Prechecks  `json:"prechecks"`
}

// Figures are the counts and times of a set of tickets.
type Figures struct {
	Tickets     int `json:"tickets"`     // issued
	WalkIn      int `json:"walk_in"`     // not from a booking
	Booked      int `json:"booked"`      // checked in from a booking
	Offline     int `json:"offline"`     // printed by a kiosk while the server was unreachable
	Priority    int `json:"priority"`    // a legal priority group
	Transferred int `json:"transferred"` // moved from another service at least once
	Served      int `json:"served"`      // done
	NoShows     int `json:"no_shows"`    // called, did not come
	Expired     int `json:"expired"`     // still open when their day ended
	Open        int `json:"open"`        // still waiting or being served (today)
	// Cancellations are bookings (of slots in the set) cancelled.
	Cancellations int `json:"cancellations"`

	// Wait is first call − max(issue, slot start), over called tickets.
	Wait Stats `json:"wait"`
	// ServiceTime is finish − last call, over served tickets.
	ServiceTime Stats `json:"service_time"`
	// WithinTarget counts served tickets whose wait was at most the
	// target; WithinTargetShare is that over Served (0 when none).
	WithinTarget      int     `json:"within_target"`
	WithinTargetShare float64 `json:"within_target_share"`

	Ratings Ratings `json:"ratings"`
}

// Stats summarises durations, in seconds.
type Stats struct {
	Count  int     `json:"count"`
	Mean   float64 `json:"mean_seconds"`
	Median float64 `json:"median_seconds"`
	P90    float64 `json:"p90_seconds"`
	Max    float64 `json:"max_seconds"`
}

// Ratings are citizens' ratings, 1 (not satisfied) to 4 (very satisfied).
type Ratings struct {
	Count int     `json:"count"`
	By    [4]int  `json:"by_score"` // by_score[0] counts 1s … [3] counts 4s
	Mean  float64 `json:"mean"`
}

// Group is the figures of one service, counter, staff member or day.
type Group struct {
	Key    string `json:"key"`  // service code, counter number, username or date
	Name   string `json:"name"` // Vietnamese name (service, counter, staff), or the date
	NameEn string `json:"name_en,omitempty"`
	Figures
}

// Heatmap counts arrivals (issue times, local) by weekday and hour.
type Heatmap struct {
	// Counts[w][h]: weekday w (0 = Sunday … 6 = Saturday), hour h (0–23).
	Counts [7][24]int `json:"counts"`
	// Days[w] is how many dates of the period fall on weekday w, to turn
	// counts into averages.
	Days [7]int `json:"days"`
	Max  int    `json:"max"`
}

// Bin is one bar of the wait distribution: waits in [From, To) minutes;
// To 0 means no upper bound.
type Bin struct {
	From  int `json:"from_minutes"`
	To    int `json:"to_minutes"`
	Count int `json:"count"`
}

// waitBins are the bars of the wait distribution, in minutes.
var waitBins = []int{0, 5, 10, 15, 20, 30, 45, 60, 90, 120}

// BookingUse is how the bookable places of the period were used.
type BookingUse struct {
	BookingFigures
	Services []BookingService `json:"services"`
}

// BookingService is the booking use of one service.
type BookingService struct {
	Service string `json:"service"`
	Name    string `json:"name"`
	NameEn  string `json:"name_en,omitempty"`
	BookingFigures
}

// BookingFigures count bookings by what became of them. Booked counts
// every booking not cancelled; rates are over the settled ones (checked in
// or no-show), utilisation is Booked over Capacity.
type BookingFigures struct {
	Capacity    int     `json:"capacity"` // places of the period's slots (current configuration)
	Booked      int     `json:"booked"`
	CheckedIn   int     `json:"checked_in"`
	Late        int     `json:"late"` // checked in after the grace period
	NoShows     int     `json:"no_shows"`
	Pending     int     `json:"pending"` // still booked (today or later)
	Cancelled   int     `json:"cancelled"`
	Utilisation float64 `json:"utilisation"`
	CheckInRate float64 `json:"check_in_rate"`
	NoShowRate  float64 `json:"no_show_rate"`
}

// Prechecks summarise the dossier pre-checks attached to tickets.
type Prechecks struct {
	Done       int              `json:"done"`       // tickets with a pre-check
	OK         int              `json:"ok"`         // the dossier looked complete
	Invalid    int              `json:"invalid"`    // results that could not be read
	ByStatus   map[string]int   `json:"by_status"`  // documents by status
	Documents  []DocumentCount  `json:"documents"`  // by document name, most problems first
	Procedures []ProcedureCount `json:"procedures"` // by procedure id
}

// DocumentCount is what the pre-checks found of one document.
type DocumentCount struct {
	Name     string         `json:"name"`
	Checked  int            `json:"checked"`
	ByStatus map[string]int `json:"by_status"` // present, missing, unreadable, inconsistent
}

// ProcedureCount is the pre-checks of one procedure.
type ProcedureCount struct {
	Procedure string `json:"procedure"`
	Done      int    `json:"done"`
	OK        int    `json:"ok"`
}

// precheckResult is the part of a pre-check result a report reads.
type precheckResult struct {
	Procedure string `json:"procedure"`
	OK        bool   `json:"ok"`
	Documents []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"documents"`
}

// Document statuses of a pre-check, in report order.
var DocumentStatuses = []string{"present", "missing", "unreadable", "inconsistent"}

// acc accumulates the figures of one group.
type acc struct {
	f       Figures
	waits   []float64
	service []float64
	rsum    int
}

func (a *acc) add(t *queue.Ticket, wait, svc float64, hasWait, hasSvc bool, target float64) {
	f := &a.f
	f.Tickets++
	if t.Booking != "" {
		f.Booked++
	} else {
		f.WalkIn++
	}
	if t.Offline {
		f.Offline++
	}
	if t.IsPriority() {
		f.Priority++
	}
	if len(t.Transfers) > 0 {
		f.Transferred++
	}
	switch t.Status {
	case queue.StatusDone:
		f.Served++
		if hasWait && wait <= target {
			f.WithinTarget++
		}
	case queue.StatusNoShow:
		f.NoShows++
	case queue.StatusExpired:
		f.Expired++
	default:
		f.Open++
	}
	if hasWait {
		a.waits = append(a.waits, wait)
	}
	if hasSvc {
		a.service = append(a.service, svc)
	}
	if t.Rating >= 1 && t.Rating <= 4 {
		f.Ratings.Count++
		f.Ratings.By[t.Rating-1]++
		a.rsum += t.Rating
	}
}

func (a *acc) finish() Figures {
	f := a.f
	f.Wait = summarise(a.waits)
	f.ServiceTime = summarise(a.service)
	if f.Served > 0 {
		f.WithinTargetShare = round(float64(f.WithinTarget)/float64(f.Served), 4)
	}
	if f.Ratings.Count > 0 {
		f.Ratings.Mean = round(float64(a.rsum)/float64(f.Ratings.Count), 2)
	}
	return f
}

// summarise sorts xs in place and returns its statistics. Quantiles
// interpolate linearly between order statistics (as spreadsheets'
// PERCENTILE.INC), so the median of an even count is the mean of the two
// middle values.
func summarise(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	slices.Sort(xs)
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return Stats{
		Count:  len(xs),
		Mean:   round(sum/float64(len(xs)), 1),
		Median: round(quantile(xs, 0.5), 1),
		P90:    round(quantile(xs, 0.9), 1),
		Max:    xs[len(xs)-1],
	}
}

func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}

func round(x float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(x*p) / p
}

// waitOf is a ticket's wait in seconds: first call − max(issue, slot
// start), never negative (a booked citizen called before the slot waited
// nothing).
func waitOf(t *queue.Ticket) (float64, bool) {
	if t.FirstCalledAt == nil {
		return 0, false
	}
	from := t.IssuedAt
	if t.SlotStart != nil && t.SlotStart.After(from) {
		from = *t.SlotStart
	}
	return max(0, t.FirstCalledAt.Sub(from).Seconds()), true
}

// serviceOf is a served ticket's service time in seconds: finish − last call.
func serviceOf(t *queue.Ticket) (float64, bool) {
	if t.Status != queue.StatusDone || t.CalledAt == nil || t.FinishedAt == nil {
		return 0, false
	}
	return max(0, t.FinishedAt.Sub(*t.CalledAt).Seconds()), true
}

// groups keeps accumulators by key in first-seen order.
type groups struct {
	m    map[string]*acc
	keys []string
}

func (g *groups) get(k string) *acc {
	if g.m == nil {
		g.m = map[string]*acc{}
	}
	a, ok := g.m[k]
	if !ok {
		a = &acc{}
		g.m[k] = a
		g.keys = append(g.keys, k)
	}
	return a
}

// Compute turns a period's history into its report. It does no I/O.
func Compute(in Input) *Report {
	c := in.Centre
	loc := c.Location()
	target := in.TargetWait
	if target <= 0 {
		target = DefaultTargetWait
	}
	days := in.Period.Days()
	r := &Report{
		Centre: c.ID, CentreName: c.Name, Timezone: loc.String(), Period: in.Period,
		GeneratedAt: in.GeneratedAt, TargetWaitSeconds: int(target / time.Second),
	}
	for _, d := range days {
		if t, err := time.Parse(time.DateOnly, d); err == nil {
			r.Arrivals.Days[t.Weekday()]++
		}
	}
	r.WaitBins = make([]Bin, len(waitBins))
	for i, from := range waitBins {
		r.WaitBins[i].From = from
		if i+1 < len(waitBins) {
			r.WaitBins[i].To = waitBins[i+1]
		}
	}
	tl := newTally(c, days)
	tgt := target.Seconds()
	for i := range in.Tickets {
		t := &in.Tickets[i]
		day := t.Day
		if day == "" {
			day = t.IssuedAt.In(loc).Format(time.DateOnly)
		}
		if !in.Period.Contains(day) || t.Status == queue.StatusVoid {
			continue // a voided ticket was never printed: nobody held it
		}
		w, hasW := tl.addTicket(t, day, tgt)
		lt := t.IssuedAt.In(loc)
		r.Arrivals.Counts[lt.Weekday()][lt.Hour()]++
		if hasW {
			m := w / 60
			b := len(waitBins) - 1
			for b > 0 && m < float64(waitBins[b]) {
				b--
			}
			r.WaitBins[b].Count++
		}
	}
	for _, row := range r.Arrivals.Counts {
		for _, n := range row {
			r.Arrivals.Max = max(r.Arrivals.Max, n)
		}
	}
	r.Bookings = bookingsOf(c, days, in, tl)
	tl.finish(r, c, in.Staff)
	return r
}

// tally accumulates the ticket figures of a period: in all, and grouped by
// service, counter, member of staff and day; and the pre-checks.
type tally struct {
	total                            acc
	services, counters, staff, byDay groups
	pre                              *precheckAcc
}

// newTally starts the groups every report lists even when empty: each
// configured service and counter, each day of the period.
func newTally(c queue.Centre, days []string) *tally {
	tl := &tally{pre: newPrechecks()}
	for _, s := range c.Services {
		tl.services.get(s.Code)
	}
	for _, k := range c.Counters {
		tl.counters.get(strconv.Itoa(k.Number))
	}
	for _, d := range days {
		tl.byDay.get(d)
	}
	return tl
}

// addTicket counts a ticket of the local day in every group it belongs
// to, and returns its wait when it has one.
func (tl *tally) addTicket(t *queue.Ticket, day string, target float64) (float64, bool) {
	w, hasW := waitOf(t)
	s, hasS := serviceOf(t)
	tl.total.add(t, w, s, hasW, hasS, target)
	tl.services.get(t.Service).add(t, w, s, hasW, hasS, target)
	tl.byDay.get(day).add(t, w, s, hasW, hasS, target)
	if t.Counter > 0 {
		tl.counters.get(strconv.Itoa(t.Counter)).add(t, w, s, hasW, hasS, target)
	}
	if t.ServedBy != "" {
		tl.staff.get(t.ServedBy).add(t, w, s, hasW, hasS, target)
	}
	if len(t.Precheck) > 0 {
		tl.pre.add(t.Precheck)
	}
	return w, hasW
}

// finish writes the tally's groups into r, named from the centre's
// configuration and the staff's names.
func (tl *tally) finish(r *Report, c queue.Centre, staffNames map[string]string) {
	r.Total = tl.total.finish()
	r.Services = make([]Group, 0, len(tl.services.keys))
	for _, k := range tl.services.keys {
		name, nameEn := serviceName(c, k)
		r.Services = append(r.Services, Group{Key: k, Name: name, NameEn: nameEn, Figures: tl.services.m[k].finish()})
	}
	r.Counters = make([]Group, 0, len(tl.counters.keys))
	slices.SortStableFunc(tl.counters.keys, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	for _, k := range tl.counters.keys {
		n, _ := strconv.Atoi(k)
		name := "Quầy " + k
		if kc, ok := c.Counter(n); ok && kc.Name != "" {
			name = kc.Name
		}
		r.Counters = append(r.Counters, Group{Key: k, Name: name, NameEn: "Counter " + k, Figures: tl.counters.m[k].finish()})
	}
	sort.Strings(tl.staff.keys)
	r.Staff = make([]Group, 0, len(tl.staff.keys))
	for _, k := range tl.staff.keys {
		name := staffNames[k]
		if name == "" {
			name = k
		}
		r.Staff = append(r.Staff, Group{Key: k, Name: name, Figures: tl.staff.m[k].finish()})
	}
	r.Days = make([]Group, 0, len(tl.byDay.keys))
	for _, k := range tl.byDay.keys {
		r.Days = append(r.Days, Group{Key: k, Name: k, Figures: tl.byDay.m[k].finish()})
	}
	r.Prechecks = tl.pre.finish()
}

// bookingsOf computes the period's booking use per bookable service.
// Cancellations also join the ticket figures of their service and day.
func bookingsOf(c queue.Centre, days []string, in Input, tl *tally) BookingUse {
	capacity := slotCapacities(c, days)
	bookingSvc := map[string]*BookingFigures{}
	var bookingOrder []string
	bsvc := func(code string) *BookingFigures {
		b, ok := bookingSvc[code]
		if !ok {
			b = &BookingFigures{}
			bookingSvc[code] = b
			bookingOrder = append(bookingOrder, code)
		}
		return b
	}
	for _, s := range c.Services {
		if s.Bookable {
			bsvc(s.Code).Capacity = capacity[s.Code]
		}
	}
	for i := range in.Bookings {
		b := &in.Bookings[i]
		if !in.Period.Contains(b.Day) {
			continue
		}
		bf := bsvc(b.Service)
		if b.Status == queue.BookingCancelled {
			bf.Cancelled++
			tl.total.f.Cancellations++
			tl.services.get(b.Service).f.Cancellations++
			tl.byDay.get(b.Day).f.Cancellations++
			continue
		}
		bf.Booked++
		switch b.Status {
		case queue.BookingCheckedIn:
			bf.CheckedIn++
			if b.Late {
				bf.Late++
			}
		case queue.BookingNoShow:
			bf.NoShows++
		default:
			bf.Pending++
		}
	}
	var out BookingUse
	var all BookingFigures
	for _, code := range bookingOrder {
		bf := bookingSvc[code]
		all.Capacity += bf.Capacity
		all.Booked += bf.Booked
		all.CheckedIn += bf.CheckedIn
		all.Late += bf.Late
		all.NoShows += bf.NoShows
		all.Pending += bf.Pending
		all.Cancelled += bf.Cancelled
		bf.rates()
		name, nameEn := serviceName(c, code)
		out.Services = append(out.Services, BookingService{Service: code, Name: name, NameEn: nameEn, BookingFigures: *bf})
	}
	all.rates()
	out.BookingFigures = all
	if out.Services == nil {
		out.Services = []BookingService{}
	}
	return out
}

func (b *BookingFigures) rates() {
	if b.Capacity > 0 {
		b.Utilisation = round(float64(b.Booked)/float64(b.Capacity), 4)
	}
	if settled := b.CheckedIn + b.NoShows; settled > 0 {
		b.CheckInRate = round(float64(b.CheckedIn)/float64(settled), 4)
		b.NoShowRate = round(float64(b.NoShows)/float64(settled), 4)
	}
}

func serviceName(c queue.Centre, code string) (string, string) {
	if s, ok := c.Service(code); ok {
		return s.Name, s.NameEn
	}
	return code, code
}

type precheckAcc struct {
	p    Prechecks
	docs map[string]*DocumentCount
	proc map[string]*ProcedureCount
}

func newPrechecks() *precheckAcc {
	return &precheckAcc{
		p:    Prechecks{ByStatus: map[string]int{}},
		docs: map[string]*DocumentCount{},
		proc: map[string]*ProcedureCount{},
	}
}

func (a *precheckAcc) add(raw []byte) {
	a.p.Done++
	var res precheckResult
	if err := json.Unmarshal(raw, &res); err != nil {
		a.p.Invalid++
		return
	}
	if res.OK {
		a.p.OK++
	}
	pc := a.proc[res.Procedure]
	if pc == nil {
		pc = &ProcedureCount{Procedure: res.Procedure}
		a.proc[res.Procedure] = pc
	}
	pc.Done++
	if res.OK {
		pc.OK++
	}
	for _, d := range res.Documents {
		name := queue.NFC(d.Name)
		if name == "" {
			continue
		}
		dc := a.docs[name]
		if dc == nil {
			dc = &DocumentCount{Name: name, ByStatus: map[string]int{}}
			a.docs[name] = dc
		}
		dc.Checked++
		dc.ByStatus[d.Status]++
		a.p.ByStatus[d.Status]++
	}
}

func (a *precheckAcc) finish() Prechecks {
	p := a.p
	p.Documents = make([]DocumentCount, 0, len(a.docs))
	for _, d := range a.docs {
		p.Documents = append(p.Documents, *d)
	}
	problems := func(d DocumentCount) int { return d.Checked - d.ByStatus["present"] }
	sort.Slice(p.Documents, func(i, j int) bool {
		a, b := p.Documents[i], p.Documents[j]
		if pa, pb := problems(a), problems(b); pa != pb {
			return pa > pb
		}
		return a.Name < b.Name
	})
	p.Procedures = make([]ProcedureCount, 0, len(a.proc))
	for _, pc := range a.proc {
		p.Procedures = append(p.Procedures, *pc)
	}
	sort.Slice(p.Procedures, func(i, j int) bool { return p.Procedures[i].Procedure < p.Procedures[j].Procedure })
	return p
}
