package pgstore

import (
	"testing"
	"time"

	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// The event log does not grow without end: events of local days before
// the retention cut-off go with the personal data; later ones (and the
// current day's) stay. Expired sessions go too.
func TestPurgeDropsOldEvents(t *testing.T) {
	s := open(t, db(t))
	c := storetest.Centre("phuong-e")
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, hcm) }
	var evs []queue.Event
	seq := uint64(0)
	for _, d := range []int{1, 2, 3, 4, 5} {
		for range 3 {
			seq++
			evs = append(evs, queue.Event{Seq: seq, Type: queue.EventPaused, At: day(d), Counter: 1})
		}
	}
	// Just before local midnight of the 4th, in UTC already the 4th's day before.
	seq++
	evs = append(evs, queue.Event{Seq: seq, Type: queue.EventPaused, At: time.Date(2026, 11, 3, 23, 59, 0, 0, hcm)})
	meta := queue.Meta{LastSeq: seq, Day: "2026-11-05", DaySeq: 12}
	err := s.Commit(&queue.Batch{
		Centres:  []*queue.Changes{{Centre: c.ID, Config: &c, Meta: &meta, Events: evs}},
		Sessions: []queue.Session{{Hash: "old", Username: "u", Expires: day(5)}, {Hash: "new", Username: "u", Expires: day(6)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Purge(c.ID, "2026-11-04", day(5).AddDate(0, 0, -60), day(5)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(c.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// Seqs 10-12 (the 4th) and 13-15 (the current day) stay; 16, though
	// dated the 3rd, follows the day's start and is kept with its day.
	if len(got) != 7 || got[0].Seq != 10 || got[6].Seq != 16 {
		t.Fatalf("events after the purge: %d, first %d", len(got), got[0].Seq)
	}
	if _, err := s.Session("old"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("expired session: %v", err)
	}
	if _, err := s.Session("new"); err != nil {
		t.Fatalf("live session: %v", err)
	}
}
