package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/forecast"
	"xephang/queue-server/queue"
	"xephang/queue-server/report"
)

// learntForecast is what a centre's history taught: the fitted model (nil
// when the history is too short) and the service times it shows.
type learntForecast struct {
	model *forecast.Model
	cal   *forecast.Calendar
	times map[string]time.Duration
	days  int // days of history read
	notes []string
	// held is the forecast of the pastDays before today made by a model
	// fitted on the history before them (nil when that history is too
	// short): what the forecast said a week ago, to measure it against
	// what came.
	held *forecast.Forecast
}

// learnForecast reads up to historyDays complete days before today and
// fits the model on them.
func (s *Server) learnForecast(ctx context.Context, c queue.Centre, today time.Time) (*learntForecast, error) {
	days := make([]string, historyDays)
	for i := range days {
		days[i] = today.AddDate(0, 0, -1-i).Format(time.DateOnly)
	}
	got, err := loadDays(ctx, s.reports, c.ID, days)
	if err != nil {
		return nil, err
	}
	lf := &learntForecast{cal: forecast.VietnamCalendar(), days: len(got)}
	if len(got) < len(days) && ctx.Err() != nil {
		lf.notes = append(lf.notes, fmt.Sprintf("Chỉ đọc kịp %d ngày gần nhất của lịch sử (giới hạn thời gian).", len(got)))
	}
	// The history begins with the centre's first day of tickets read: the
	// days before it are before the centre was used, not days nobody
	// came (counted as zeros, they would pull the level down).
	first := len(got)
	for i, d := range got {
		if len(d.Tickets) > 0 {
			first = i + 1
		}
	}
	h := forecast.History{Centre: c, To: today.AddDate(0, 0, -1), From: today.AddDate(0, 0, -max(1, first))}
	var served []queue.Ticket
	for _, d := range got {
		for _, t := range d.Tickets {
			if t.Status == queue.StatusVoid {
				continue
			}
			svc := t.Service
			if len(t.Transfers) > 0 { // the arrival was for the first service
				svc = t.Transfers[0]
			}
			h.Arrivals = append(h.Arrivals, forecast.Arrival{Service: svc, At: t.IssuedAt, Booked: t.Booking != ""})
			if t.Status == queue.StatusDone {
				served = append(served, t)
			}
		}
	}
	sort.Slice(h.Arrivals, func(i, j int) bool { return h.Arrivals[i].At.Before(h.Arrivals[j].At) })
	lf.times = forecast.ServiceTimes(h, served)
	lf.model, err = forecast.Fit(h, lf.cal)
	if errors.Is(err, forecast.ErrTooLittleHistory) {
		lf.model = nil
		lf.notes = append(lf.notes, fmt.Sprintf("Chưa đủ lịch sử để dự báo: cần ít nhất 2 tuần có khách, mới có %d ngày.", countOpenDays(got)))
		return lf, nil
	}
	if err != nil {
		return nil, err
	}
	lf.held = heldOut(h, lf.cal, today)
	return lf, nil
}

// heldOut fits a model on h without its last pastDays days and forecasts
// those days from the first of them, as the forecast made then would have
// (bookings aside: when a booking was made is not known, so they are
// learnt as arrivals, not given as a floor). Nil when what is left is too
// short to fit.
func heldOut(h forecast.History, cal *forecast.Calendar, today time.Time) *forecast.Forecast {
	start := today.AddDate(0, 0, -pastDays)
	if !h.From.Before(start) {
		return nil
	}
	h0 := forecast.History{Centre: h.Centre, From: h.From, To: start.AddDate(0, 0, -1)}
	for _, a := range h.Arrivals { // sorted by time
		if !a.At.Before(start) {
			break
		}
		h0.Arrivals = append(h0.Arrivals, a)
	}
	m, err := forecast.Fit(h0, cal)
	if err != nil {
		return nil
	}
	return m.Forecast(forecast.Options{Days: pastDays, Now: start, Calendar: cal})
}

// accuracyOf is the WAPE of the forecast of the days before today
// against what came: Σ|forecast − actual| / Σ actual over the open days
// of all services that have an actual. Nil when none came.
func accuracyOf(days []apiv1.ForecastDay, today string) *apiv1.ForecastAccuracy {
	var errSum, actualSum float64
	n := 0
	for _, d := range days {
		if d.Service != "" || d.Day >= today || d.Actual == nil || (d.Closed && *d.Actual == 0) {
			continue
		}
		errSum += math.Abs(d.Mean - float64(*d.Actual))
		actualSum += float64(*d.Actual)
		n++
	}
	if actualSum == 0 {
		return nil
	}
	return &apiv1.ForecastAccuracy{Days: n, WAPE: math.Round(errSum/actualSum*1000) / 1000}
}

// countOpenDays counts the days read that had any ticket.
func countOpenDays(got []report.Day) int {
	n := 0
	for _, d := range got {
		if len(d.Tickets) > 0 {
			n++
		}
	}
	return n
}

// view forecasts p.days days from now, with the bookings and today's
// tickets of fresh (one report.Day per day, from today), and plans p.planDay
// ("": the first open day after today, else today).
func (lf *learntForecast) view(c queue.Centre, now time.Time, fresh []report.Day, p forecastParams) (apiv1.ForecastView, error) {
	v := apiv1.ForecastView{
		Centre: c.ID, Generated: now.UTC().Format(time.RFC3339), Today: fresh[0].Day, Days: []apiv1.ForecastDay{}, Points: []apiv1.ForecastPoint{},
		Notes: append([]string{}, lf.notes...),
	}
	if lf.model == nil {
		return v, nil
	}
	var booked []forecast.Booked
	slots := map[string]int{}
	for _, d := range fresh {
		for _, b := range d.Bookings {
			if b.Status != queue.BookingActive || b.Ticket != "" || !b.Start.After(now) {
				continue
			}
			k := b.Service + "\x00" + b.Start.UTC().Format(time.RFC3339)
			if _, ok := slots[k]; !ok {
				booked = append(booked, forecast.Booked{Service: b.Service, Start: b.Start})
			}
			slots[k]++
		}
	}
	for i := range booked {
		booked[i].Count = slots[booked[i].Service+"\x00"+booked[i].Start.UTC().Format(time.RFC3339)]
	}
	f := lf.model.Forecast(forecast.Options{Days: p.days, Now: now, Calendar: lf.cal, Booked: booked, Past: p.past})
	today := fresh[0].Day
	if lf.held != nil { // the days before today: what was forecast then
		f = withHeld(f, lf.held, today)
	}
	v.Model = f.Model
	v.Notes = append(v.Notes, f.Notes...)
	for _, pt := range f.Points {
		v.Points = append(v.Points, apiv1.ForecastPoint{Service: pt.Service, Day: pt.Day, Hour: pt.Hour,
			Mean: round2(pt.Mean), Low: round2(pt.Low), High: round2(pt.High), Booked: pt.Booked})
	}
	// Today's arrivals so far, of all services and per service.
	actual := map[string]int{}
	for _, t := range fresh[0].Tickets {
		if t.Status != queue.StatusVoid {
			actual[""]++
			actual[t.Service]++
		}
	}
	for _, d := range f.Days {
		fd := apiv1.ForecastDay{Day: d.Day, Service: d.Service, Mean: round2(d.Mean), Low: round2(d.Low), High: round2(d.High)}
		if d.Day == today {
			n := actual[d.Service]
			fd.Actual = &n
		}
		fd.Closed, fd.Holiday = d.Closed, d.Holiday
		if d.Actual != nil && d.Day < today {
			n := *d.Actual
			fd.Actual = &n
		}
		v.Days = append(v.Days, fd)
	}
	if lf.held != nil { // else the past days' forecast is in sample: no measure of trust
		v.Accuracy = accuracyOf(v.Days, today)
	}
	if p.noPlan {
		return v, nil
	}
	if p.planDay == "" { // the first open day after today, else today
		p.planDay = today
		for _, d := range f.Days {
			if d.Service == "" && d.Day > today && !d.Closed {
				p.planDay = d.Day
				break
			}
		}
	}
	plan, err := forecast.MakePlan(f, p.planDay, forecast.PlanOptions{
		Target: time.Duration(p.target) * time.Minute, ServiceTimes: lf.times, Roster: c.Counters, Seed: 1,
	})
	if err != nil {
		return v, err
	}
	expected := map[int]float64{}
	for _, pt := range f.Points {
		if pt.Day == p.planDay {
			expected[pt.Hour] += pt.Mean
		}
	}
	sp := &apiv1.StaffingPlan{Day: p.planDay, TargetMinutes: p.target, Hours: []apiv1.PlanHour{},
		CounterHours: plan.CounterHours, AllDayCounterHours: plan.AllDayCounterHours, MetShare: round2(plan.MetShare)}
	for _, h := range plan.Hours {
		counters := append([]int{}, h.Counters...)
		sp.Hours = append(sp.Hours, apiv1.PlanHour{Hour: h.Hour, Counters: counters, Needed: h.Needed, Roster: h.Roster,
			Short: h.Short, P90Minutes: round2(min(h.P90.Minutes(), maxP90Minutes)), Met: h.Met, Expected: round2(expected[h.Hour])})
	}
	v.Plan = sp
	return v, nil
}

// withHeld is f with the forecasts of the days before today taken from
// held (the actuals stay f's): a copy, f is not changed.
func withHeld(f, held *forecast.Forecast, today string) *forecast.Forecast {
	type key struct{ day, service string }
	then := map[key]forecast.DaySum{}
	for _, d := range held.Days {
		then[key{d.Day, d.Service}] = d
	}
	g := *f
	g.Days = make([]forecast.DaySum, 0, len(f.Days))
	for _, d := range f.Days {
		if h, ok := then[key{d.Day, d.Service}]; ok && d.Day < today {
			d.Mean, d.Low, d.High = h.Mean, h.Low, h.High
		}
		g.Days = append(g.Days, d)
	}
	g.Points = make([]forecast.Point, 0, len(f.Points))
	for _, pt := range held.Points {
		if pt.Day < today {
			g.Points = append(g.Points, pt)
		}
	}
	for _, pt := range f.Points {
		if pt.Day >= today {
			g.Points = append(g.Points, pt)
		}
	}
	return &g
}

// maxP90Minutes caps the simulated wait shown: past a day the queue does
// not empty, and the number says nothing more.
const maxP90Minutes = 24 * 60

func round2(x float64) float64 { return math.Round(x*100) / 100 }
