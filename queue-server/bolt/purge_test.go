package bolt_test

import (
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// TestPurgeDropsOldEvents: the event log does not grow without end:
// events of local days before the retention cut-off go with the personal
// data; later ones (and the current day's) stay.
func TestPurgeDropsOldEvents(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
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
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{{Centre: c.ID, Config: &c, Meta: &meta, Events: evs}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Purge(c.ID, "2026-11-04", day(5).AddDate(0, 0, -60), day(5)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(c.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if e.At.Before(time.Date(2026, 11, 4, 0, 0, 0, 0, hcm)) && e.Seq <= meta.DaySeq {
			t.Fatalf("event %d of %s kept after the purge", e.Seq, e.At)
		}
	}
	// Seqs 10-12 (the 4th) and 13-15 (the current day) stay; 16, though
	// dated the 3rd, follows the day's start and is kept with its day.
	if len(got) != 7 || got[0].Seq != 10 {
		t.Fatalf("events after the purge: %d, first %d", len(got), got[0].Seq)
	}
}

// TestSpentChallenges: a spent challenge stays spent across a reopen
// until it expires; expired ones are deleted as new ones are spent.
func TestSpentChallenges(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	exp := now.Add(10 * time.Minute)
	if fresh, err := s.SpendChallenge("c1", exp, now); err != nil || !fresh {
		t.Fatalf("first spend: %v %v", fresh, err)
	}
	s.Close()
	s = MustOpen(t, dir)
	if fresh, _ := s.SpendChallenge("c1", exp, now); fresh {
		t.Fatal("spent again after a reopen")
	}
	later := exp.Add(time.Minute)
	if fresh, _ := s.SpendChallenge("c2", later.Add(10*time.Minute), later); !fresh {
		t.Fatal("a new challenge refused")
	}
	n := 0
	s.DB().View(func(tx *bbolt.Tx) error { n = tx.Bucket([]byte("pow")).Stats().KeyN; return nil })
	if n != 1 {
		t.Fatalf("%d spent challenges kept, want 1 (the expired one deleted)", n)
	}
}
