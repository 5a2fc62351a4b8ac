package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"xephang/queue-server/queue"
)

// The demo history's patterns: people per open day of each service, and
// how weekdays, the month's first and last working days, the days around
// a holiday and the year's trend change that.
var (
	dailyBase = map[string]float64{"A": 24, "B": 27, "C": 8, "D": 4, "E": 5, "F": 6}
	// weekdayFactor: Mondays carry the weekend's errands, Saturday
	// mornings are short.
	weekdayFactor = [7]float64{0, 1.3, 1.05, 1.0, 0.95, 1.1, 0.75}
	// bookedShare of a bookable service's tickets came from bookings.
	bookedShare = 0.2
)

// hourShape is the relative arrival rate at a local hour: a morning peak
// from 8 to 10, a smaller one after lunch.
func hourShape(h int) float64 {
	return [24]float64{7: 0.8, 8: 1.6, 9: 1.5, 10: 1.1, 11: 0.6, 12: 0.3, 13: 0.9, 14: 1.2, 15: 1.0, 16: 0.6}[h]
}

// History generates the demo centre's tickets of the days before today
// (days of them, oldest first, one slice per day; closed days are empty):
// walk-ins and checked-in bookings with the patterns above and Poisson
// noise, each served at a counter of its service. closed (nil: none) tells
// the days the centre was shut beside its hours and closed dates (public
// holidays); the day before one is busier. The same arguments give the
// same history.
func History(c queue.Centre, today time.Time, days int, closed func(day time.Time) bool) [][]queue.Ticket {
	loc := c.Location()
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	shut := func(d time.Time) bool {
		if closed != nil && closed(d) {
			return true
		}
		ds := d.Format(time.DateOnly)
		for _, cd := range c.ClosedDates {
			if cd == ds {
				return true
			}
		}
		for _, h := range c.Hours {
			if h.Weekday == int(d.Weekday()) {
				return false
			}
		}
		return true
	}
	out := make([][]queue.Ticket, days)
	for i := range days {
		day := today.AddDate(0, 0, i-days)
		if shut(day) {
			continue
		}
		rng := rand.New(rand.NewPCG(uint64(day.Unix()), 7))
		f := weekdayFactor[day.Weekday()]
		// The month's first and last working days are busier.
		if firstWorking(day, shut) {
			f *= 1.35
		}
		if lastWorking(day, shut) {
			f *= 1.2
		}
		if next := day.AddDate(0, 0, 1); closed != nil && closed(next) {
			f *= 1.3
		}
		// A slow trend: a tenth more people a year.
		f *= 1 + 0.1*float64(i)/365
		out[i] = dayTickets(c, day, f, rng)
	}
	return out
}

func firstWorking(day time.Time, shut func(time.Time) bool) bool {
	for d := day.AddDate(0, 0, -1); d.Month() == day.Month(); d = d.AddDate(0, 0, -1) {
		if !shut(d) {
			return false
		}
	}
	return true
}

func lastWorking(day time.Time, shut func(time.Time) bool) bool {
	for d := day.AddDate(0, 0, 1); d.Month() == day.Month(); d = d.AddDate(0, 0, 1) {
		if !shut(d) {
			return false
		}
	}
	return true
}

// dayTickets draws one open day's tickets, f times the base rates.
func dayTickets(c queue.Centre, day time.Time, f float64, rng *rand.Rand) []queue.Ticket {
	ds := day.Format(time.DateOnly)
	var open []int // open minutes of the day
	loc := day.Location()
	for m := 0; m < 24*60; m++ {
		if c.OpenAt(day.Add(time.Duration(m)*time.Minute), loc) {
			open = append(open, m)
		}
	}
	shape := 0.0
	for _, m := range open {
		shape += hourShape(m / 60)
	}
	var out []queue.Ticket
	for _, s := range c.Services {
		var counters []int
		for _, k := range c.Counters {
			for _, code := range k.Services {
				if code == s.Code {
					counters = append(counters, k.Number)
				}
			}
		}
		seq := 0
		for _, m := range open {
			rate := dailyBase[s.Code] * f * hourShape(m/60) / shape
			for range poisson(rng, rate) {
				seq++
				at := day.Add(time.Duration(m)*time.Minute + time.Duration(rng.IntN(60))*time.Second)
				t := queue.Ticket{
					ID: queue.TicketID(ds, randomID(rng)), Centre: c.ID,
					Service: s.Code, Seq: seq, Day: ds, Number: queue.FormatNumber(s.Code, seq), Priority: queue.PriorityNormal,
					IssuedAt: at, OrderAt: at, Source: queue.SourceKiosk, Status: queue.StatusDone,
				}
				if s.Bookable && rng.Float64() < bookedShare {
					t.Booking = fmt.Sprintf("DEMO%s%04d", s.Code, seq)
				}
				called := at.Add(time.Duration(60+rng.IntN(15*60)) * time.Second)
				done := called.Add(time.Duration(float64(s.Minutes) * 60 * math.Exp(rng.NormFloat64()*0.3) * float64(time.Second)))
				t.FirstCalledAt, t.CalledAt, t.FinishedAt, t.Calls = &called, &called, &done, 1
				if len(counters) > 0 {
					t.Counter = counters[rng.IntN(len(counters))]
					t.ServedBy = fmt.Sprintf("canbo%d", t.Counter)
				}
				out = append(out, t)
			}
		}
	}
	return out
}

// randomID is the random part of a ticket id (22 of [a-z2-7]).
func randomID(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 22)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// poisson draws a Poisson count of mean lambda (small: Knuth's method).
func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
