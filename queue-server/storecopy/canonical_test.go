package storecopy

import (
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// TestCanonical: the same instants in other zones give the same bytes,
// other instants or other text other bytes; text that only looks like a
// timestamp's beginning is left alone.
func TestCanonical(t *testing.T) {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	at := time.Date(2026, 10, 3, 9, 30, 15, 123456789, hcm)
	slot := at.Add(time.Hour)
	mk := func(loc *time.Location, name string, d time.Duration) queue.Booking {
		start := slot.In(loc)
		cancelled := at.Add(d).In(loc)
		return queue.Booking{Code: "BK1", Start: start, End: start.Add(30 * time.Minute), CreatedAt: at.In(loc), CancelledAt: &cancelled,
			Citizen: queue.Citizen{Name: name}}
	}
	sum := func(b queue.Booking) string {
		raw, err := canonical(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	a := sum(mk(hcm, "Nguyễn Văn An", 0))
	if b := sum(mk(time.UTC, "Nguyễn Văn An", 0)); a != b {
		t.Fatalf("same instants differ:\n%s\n%s", a, b)
	}
	if b := sum(mk(time.FixedZone("", -5*3600), "Nguyễn Văn An", 0)); a != b {
		t.Fatalf("same instants differ:\n%s\n%s", a, b)
	}
	for _, b := range []string{sum(mk(hcm, "Nguyễn Văn Ân", 0)), sum(mk(hcm, "Nguyễn Văn An", time.Nanosecond)), sum(mk(hcm, `"2026-10-03T`, 0)), sum(mk(hcm, "", 0))} {
		if a == b {
			t.Fatalf("different rows give the same bytes: %s", a)
		}
	}
	odd := queue.Audit{Actor: "2026-10-03T09:30", Reason: `"2026-10-03T09:30:15+07:00 is not a time in a string"`, Action: ""}
	raw, err := canonical(odd)
	if err != nil || string(raw) != `{"at":"0001-01-01T00:00:00Z","actor":"2026-10-03T09:30","action":"","reason":"\"2026-10-03T09:30:15+07:00 is not a time in a string\""}` {
		t.Fatalf("%s %v", raw, err)
	}
}
