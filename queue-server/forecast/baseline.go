package forecast

import "time"

// SeasonalNaive is the backtest's first baseline: each service's arrivals
// per hour on the same weekday a week before the day (or the latest such
// day of the history on which the centre had arrivals, when that one is
// not in it or was closed).
func SeasonalNaive(h History, day time.Time) map[string][24]float64 {
	days := sameWeekdays(h, day, 1)
	if len(days) == 0 {
		return map[string][24]float64{}
	}
	return days[0]
}

// FourWeekAverage is the second baseline: the mean per service and hour of
// the four latest same weekdays of the history before the day with
// arrivals (closed days skipped).
func FourWeekAverage(h History, day time.Time) map[string][24]float64 {
	days := sameWeekdays(h, day, 4)
	out := map[string][24]float64{}
	for _, d := range days {
		for s, hs := range d {
			o := out[s]
			for i := range 24 {
				o[i] += hs[i] / float64(len(days))
			}
			out[s] = o
		}
	}
	return out
}

// sameWeekdays returns the counts of up to n latest days of the history, a
// week or more before day and on its weekday, that had arrivals, latest first.
func sameWeekdays(h History, day time.Time, n int) []map[string][24]float64 {
	loc := h.Centre.Location()
	target := civil(day.In(loc))
	last := civil(h.To.In(loc))
	if h.To.IsZero() {
		last = target.AddDate(0, 0, -1)
	}
	start := target.AddDate(0, 0, -7)
	for start.After(last) {
		start = start.AddDate(0, 0, -7)
	}
	// Candidate days: the latest n+8 same weekdays (closed ones are skipped).
	cand := map[time.Time]int{}
	for k := range n + 8 {
		cand[start.AddDate(0, 0, -7*k)] = k
	}
	counts := make([]map[string][24]float64, n+8)
	for _, a := range h.Arrivals {
		lt := a.At.In(loc)
		k, ok := cand[civil(lt)]
		if !ok {
			continue
		}
		if counts[k] == nil {
			counts[k] = map[string][24]float64{}
		}
		c := counts[k][a.Service]
		c[lt.Hour()]++
		counts[k][a.Service] = c
	}
	var out []map[string][24]float64
	for _, c := range counts {
		if c != nil && len(out) < n {
			out = append(out, c)
		}
	}
	return out
}
