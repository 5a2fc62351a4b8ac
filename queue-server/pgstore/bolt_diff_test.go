package pgstore

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// TestSameAsBolt runs random days of work on a centre, committing each
// step's changes to the bbolt store and to this one: they read back the
// same, in the same order (snapshots, tickets of every day, events,
// audit, bookings, keys).
func TestSameAsBolt(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { sameAsBolt(t, seed) })
	}
}

func sameAsBolt(t *testing.T, seed uint64) {
	bs, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	ps := open(t, db(t))
	r := rand.New(rand.NewPCG(seed, 7))
	c := storetest.Centre("phuong-r")
	for d := 2; d <= 6; d++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: d, Open: "07:30", Close: "17:00"})
	}
	c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 30, 2
	c.Normalize()
	now := time.Date(2026, 11, 23, 7, 45, 0, 0, hcm)
	l := queue.NewLive(c, now, ids())
	var codes, keys []string
	days := map[string]bool{}
	commit := func(b *queue.Batch) {
		t.Helper()
		for _, s := range []queue.Store{bs, ps} {
			// Each store gets its own copy: pgstore writes the revision back.
			var cp queue.Batch
			raw, _ := json.Marshal(b)
			json.Unmarshal(raw, &cp)
			if err := s.Commit(&cp); err != nil {
				t.Fatalf("%T: %v", s, err)
			}
		}
	}
	for step := 0; step < 300; step++ {
		now = now.Add(time.Duration(r.IntN(20)) * time.Minute)
		if r.IntN(60) == 0 {
			now = now.Add(14 * time.Hour)
		}
		n := 1 + r.IntN(2)
		switch k := r.IntN(10); {
		case k < 4:
			key := fmt.Sprintf("k%d", step%50)
			if tk, err := l.Issue(now, queue.IssueRequest{Service: []string{"A", "B"}[r.IntN(2)], Key: key, Source: queue.SourceKiosk}); err == nil {
				keys = append(keys, key)
				days[tk.Day] = true
			}
		case k < 5:
			l.Resume(now, n, "canbo")
		case k < 7:
			l.Next(now, n, "canbo")
		case k < 8:
			l.Finish(now, n)
		case k < 9:
			start := now.Truncate(30 * time.Minute).Add(time.Duration(1+r.IntN(16)) * 30 * time.Minute)
			code := fmt.Sprintf("C%03d", step)
			cit := queue.Citizen{Key: fmt.Sprintf("cit%d", r.IntN(5)), Name: "Nguyễn Văn An", Phone: "0912345678"}
			if b, err := l.Book(now, queue.BookRequest{Code: code, Service: "A", Start: start, Citizen: cit, Source: queue.BookedOnline}); err == nil {
				codes = append(codes, code)
				days[b.Day] = true
			}
		default:
			if len(codes) > 0 {
				l.CancelBooking(now, codes[r.IntN(len(codes))], "", true, "canbo")
			}
			l.Roll(now)
		}
		ch := l.TakeChanges()
		batch := &queue.Batch{Centres: []*queue.Changes{ch}}
		if step%40 == 0 {
			batch.Users = []queue.User{{Username: fmt.Sprintf("u%d", step%3), Role: queue.RoleClerk, Centre: c.ID, CreatedAt: now}}
			batch.Sessions = []queue.Session{{Hash: fmt.Sprintf("h%d", step), Username: "u0", Expires: now.Add(time.Hour)}}
		}
		commit(batch)
		if step%50 == 49 || step == 299 {
			if _, err := bs.Purge(c.ID, now.AddDate(0, 0, -1).Format(time.DateOnly), now.AddDate(0, 0, -1), now); err != nil {
				t.Fatal(err)
			}
			if _, err := ps.Purge(c.ID, now.AddDate(0, 0, -1).Format(time.DateOnly), now.AddDate(0, 0, -1), now); err != nil {
				t.Fatal(err)
			}
			same(t, step, "LoadCentres", func(s queue.Store) (any, error) {
				snaps, err := s.LoadCentres()
				for i := range snaps {
					snaps[i].Rev = 0 // bbolt keeps none
				}
				return snaps, err
			}, bs, ps)
		}
	}
	if len(days) < 2 || l.LastSeq() < 100 || len(codes) == 0 {
		t.Fatalf("a poor run: %d days, %d events, %d bookings", len(days), l.LastSeq(), len(codes))
	}
	t.Logf("%d days, %d events, %d bookings, %d keys", len(days), l.LastSeq(), len(codes), len(keys))
	for d := range days {
		same(t, 0, "Tickets "+d, func(s queue.Store) (any, error) { return s.Tickets(c.ID, d) }, bs, ps)
		same(t, 0, "Bookings "+d, func(s queue.Store) (any, error) { return s.Bookings(c.ID, d) }, bs, ps)
	}
	same(t, 0, "Events", func(s queue.Store) (any, error) { return s.Events(c.ID, 0, 100000) }, bs, ps)
	same(t, 0, "Events page", func(s queue.Store) (any, error) { return s.Events(c.ID, 20, 7) }, bs, ps)
	same(t, 0, "Audit", func(s queue.Store) (any, error) { return s.Audit(c.ID, 30) }, bs, ps)
	same(t, 0, "Users", func(s queue.Store) (any, error) { return s.Users() }, bs, ps)
	for _, code := range codes {
		same(t, 0, "Booking "+code, func(s queue.Store) (any, error) { return s.Booking(code) }, bs, ps)
	}
	for _, k := range keys {
		same(t, 0, "TicketByKey "+k, func(s queue.Store) (any, error) { return s.TicketByKey(c.ID, k) }, bs, ps)
	}
}

// same fails the test when the two stores answer differently.
func same(t *testing.T, step int, what string, read func(queue.Store) (any, error), a, b queue.Store) {
	t.Helper()
	va, erra := read(a)
	vb, errb := read(b)
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	if string(ja) != string(jb) || queue.ErrorCode(erra) != queue.ErrorCode(errb) || (erra == nil) != (errb == nil) {
		t.Fatalf("step %d: %s differs:\nbolt:    %s %v\npgstore: %s %v", step, what, ja, erra, jb, errb)
	}
}
