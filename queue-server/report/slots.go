package report

import (
	"slices"
	"time"

	"xephang/queue-server/queue"
)

// slotCapacities returns, per bookable service, the booking places of the
// slots on the given local dates, derived as queue.Live derives them (the
// opening hours, breaks and closed dates, every SlotMinutes, SlotCapacity
// places less what WalkInShare keeps for walk-ins). It uses the centre's
// current configuration: a report cannot know past ones.
func slotCapacities(c queue.Centre, days []string) map[string]int {
	out := map[string]int{}
	loc := c.Location()
	for _, svc := range c.Services {
		if !svc.Bookable || svc.SlotMinutes <= 0 {
			continue
		}
		per := slotCapacity(c, svc)
		n := 0
		for _, d := range days {
			n += daySlots(c, svc, d, loc)
		}
		out[svc.Code] = n * per
	}
	return out
}

// slotCapacity mirrors queue.Live's: at most SlotCapacity, and at most
// (100 − WalkInShare)% of what the service's counters serve in a slot.
func slotCapacity(c queue.Centre, svc queue.Service) int {
	capacity := svc.SlotCapacity
	if svc.WalkInShare > 0 {
		counters := 0
		for _, k := range c.Counters {
			if slices.Contains(k.Services, svc.Code) {
				counters++
			}
		}
		throughput := float64(counters*svc.SlotMinutes) / float64(max(1, svc.Minutes))
		capacity = min(capacity, int(throughput*float64(100-svc.WalkInShare)/100))
	}
	return max(capacity, 0)
}

// daySlots counts a service's slots on a local date, as queue.Live lists
// them: wholly inside the hours, outside breaks, skipping starts that do
// not exist on the day clocks go forward.
func daySlots(c queue.Centre, svc queue.Service, day string, loc *time.Location) int {
	if slices.Contains(c.ClosedDates, day) {
		return 0
	}
	date, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0
	}
	n := 0
	for _, h := range c.Hours {
		if h.Weekday != int(date.Weekday()) {
			continue
		}
		open, ok1 := queue.ParseClock(h.Open)
		closing, ok2 := queue.ParseClock(h.Close)
		if !ok1 || !ok2 {
			continue
		}
		for m := open; m+svc.SlotMinutes <= closing; m += svc.SlotMinutes {
			if inBreak(c, m, m+svc.SlotMinutes) {
				continue
			}
			start := time.Date(date.Year(), date.Month(), date.Day(), m/60, m%60, 0, 0, loc)
			if start.Hour()*60+start.Minute() != m {
				continue
			}
			n++
		}
	}
	return n
}

func inBreak(c queue.Centre, from, to int) bool {
	for _, b := range c.Breaks {
		s, _ := queue.ParseClock(b.Start)
		e, _ := queue.ParseClock(b.End)
		if from < e && to > s {
			return true
		}
	}
	return false
}
