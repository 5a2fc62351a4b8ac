package waitsim

import (
	"testing"
	"time"

	"xephang/queue-server/queue"
)

func simCentre(t *testing.T) queue.Centre {
	t.Helper()
	c := queue.Centre{ID: "sim", Name: "Mô phỏng", Timezone: queue.DefaultTimezone,
		Hours:    []queue.Hours{{Weekday: 2, Open: "08:00", Close: "17:00"}},
		Breaks:   []queue.Break{{Start: "12:00", End: "13:00"}},
		Services: []queue.Service{{Code: "A", Name: "Hộ tịch", Minutes: 10}, {Code: "B", Name: "Chứng thực", Minutes: 5}},
		Counters: []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A"}}, {Number: 2, Name: "Quầy 2", Services: []string{"A", "B"}}}}
	c.Normalize()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSimulate(t *testing.T) {
	c := simCentre(t)
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, c.Location()) // a Tuesday
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	var arr []Arrival
	for i := range 12 { // twelve A at 09:00–09:11
		arr = append(arr, Arrival{Service: "A", At: at(9, i)})
	}
	arr = append(arr, Arrival{Service: "B", At: at(7, 30)}, Arrival{Service: "A", At: at(12, 10)})
	allDay := map[int][]int{}
	for h := 8; h < 17; h++ {
		allDay[h] = []int{1, 2}
	}
	one := map[int][]int{}
	for h := 8; h < 17; h++ {
		one[h] = []int{1, 2}
	}
	one[9] = []int{1}
	a, err := Simulate(c, arr, allDay, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Simulate(c, arr, one, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Unserved != 0 || b.Unserved != 0 || len(a.Waits) != len(arr) {
		t.Fatalf("unserved %d, %d; waits %d", a.Unserved, b.Unserved, len(a.Waits))
	}
	byA := func(w Wait) bool { return w.Service == "A" && w.At.Hour() == 9 }
	if a.P90(byA) >= b.P90(byA) {
		t.Errorf("two counters: p90 %v, one: %v", a.P90(byA), b.P90(byA))
	}
	for _, w := range a.Waits {
		switch {
		case w.Service == "B":
			// Came before opening: its wait starts at 08:00, served at once.
			if !w.Start.Equal(at(8, 0)) || w.Wait != 0 || w.Counter != 2 {
				t.Errorf("early B: %+v", w)
			}
		case w.At.Hour() == 12:
			// Came at lunch: its wait starts at 13:00.
			if !w.Start.Equal(at(13, 0)) || w.Wait != 0 {
				t.Errorf("lunch A: %+v", w)
			}
		}
	}
	// The same seed gives the same day; no counter for B: unserved.
	again, _ := Simulate(c, arr, allDay, nil, 1)
	for i := range a.Waits {
		x, y := a.Waits[i], again.Waits[i]
		if x.Wait != y.Wait || x.Counter != y.Counter || !x.Start.Equal(y.Start) || x.Service != y.Service {
			t.Fatalf("the same seed gave different days: %+v, %+v", a.Waits[i], again.Waits[i])
		}
	}
	onlyA := map[int][]int{8: {1}, 9: {1}, 10: {1}}
	r, err := Simulate(c, arr, onlyA, map[string]time.Duration{"A": time.Minute}, 1)
	if err != nil {
		t.Fatal(err)
	}
	isB := func(w Wait) bool { return w.Service == "B" }
	if r.Unserved != 1 || r.P90(isB) != time.Duration(1<<63-1) {
		t.Errorf("B without a counter: unserved %d, p90 %v", r.Unserved, r.P90(isB))
	}
	// Counters of the last planned hour serve those left after it: the
	// lunch-time A waits from 13:00 to the close.
	for _, w := range r.Waits {
		if w.Service == "A" && (w.Counter != 1 || (w.At.Hour() == 12 && w.Wait != 4*time.Hour)) {
			t.Errorf("A: %+v", w)
		}
	}
	if _, err := Simulate(c, arr, map[int][]int{9: {7}}, nil, 1); err == nil {
		t.Error("an unknown counter was accepted")
	}
}

// TestOpenMinutes: the minute grid is Centre.OpenAt's.
func TestOpenMinutes(t *testing.T) {
	c := simCentre(t)
	c.ClosedDates = []string{"2026-12-01"}
	for _, d := range []string{"2026-11-24", "2026-11-25", "2026-12-01"} {
		midnight, _ := time.ParseInLocation(time.DateOnly, d, c.Location())
		grid := openMinutes(c, midnight)
		for m := range grid {
			if want := c.OpenAt(midnight.Add(time.Duration(m)*time.Minute), c.Location()); grid[m] != want {
				t.Fatalf("%s minute %d: %v, OpenAt %v", d, m, grid[m], want)
			}
		}
	}
}
