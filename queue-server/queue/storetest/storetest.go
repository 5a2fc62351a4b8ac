// Package storetest is the conformance suite every queue.Store passes: run
// Run from each store's tests with a function that opens a fresh store.
package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// Open returns a new, empty store; reopen (may be nil) closes it and opens
// the same data again.
type Open func(t *testing.T) (s queue.Store, reopen func() queue.Store)

var hcm, _ = time.LoadLocation("Asia/Ho_Chi_Minh")

// Centre returns a small valid centre for tests.
func Centre(id string) queue.Centre {
	c := queue.Centre{
		ID: id, Name: "Trung tâm Phục vụ hành chính công phường Thử", Timezone: "Asia/Ho_Chi_Minh",
		Hours: []queue.Hours{{Weekday: 1, Open: "07:30", Close: "17:00"}},
		Services: []queue.Service{
			{Code: "A", Name: "Hộ tịch", NameEn: "Civil status", Minutes: 10},
			{Code: "B", Name: "Chứng thực", Minutes: 5},
		},
		Counters: []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A", "B"}}},
	}
	c.Normalize()
	return c
}

// AlwaysOpen opens c every day round the clock, so that tests of kiosks
// on the real clock issue numbers whatever the hour they run at.
func AlwaysOpen(c *queue.Centre) {
	c.Hours = nil
	for d := 0; d < 7; d++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: d, Open: "00:00", Close: "24:00"})
	}
	zero := 0
	c.Breaks, c.ClosedDates = nil, nil
	c.Rules.WalkInClosesMinutesBefore = &zero
}

// BenchCommitTickets is the benchmark of a store's commit of one ticket:
// each op issues a ticket of centre c1 (services A and B in turn) and
// commits it with its event, as a lone kiosk's request does.
func BenchCommitTickets(b *testing.B, s queue.Store, now time.Time, newID func() string) {
	benchCommitTickets(b, s, now, newID, false)
}

// BenchCommitTicketsNotified is BenchCommitTickets with what a ticket
// whose citizen asked to be told adds to its commit: a contact (a phone)
// and the "issued" message in the outbox.
func BenchCommitTicketsNotified(b *testing.B, s queue.Store, now time.Time, newID func() string) {
	benchCommitTickets(b, s, now, newID, true)
}

func benchCommitTickets(b *testing.B, s queue.Store, now time.Time, newID func() string, notified bool) {
	l := queue.NewLive(Centre("c1"), now, newID)
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		b.Fatal(err)
	}
	services := []string{"A", "B"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tk, err := l.Issue(now, queue.IssueRequest{Service: services[i%2], Source: queue.SourceStaff})
		if err != nil {
			b.Fatal(err)
		}
		ch := l.TakeChanges()
		if notified {
			ref := queue.ContactRef(queue.RefTicket, tk.ID)
			ch.Contacts = []queue.Contact{{Ref: ref, Centre: "c1", Phone: "84912345678", ConsentAt: now, Expires: now.Add(10 * time.Hour)}}
			at := now.Add(time.Duration(i) * time.Millisecond) // messages follow one another, as in a day
			m := Message(newID(), "c1", queue.ChannelPhone, at, at)
			m.Ref, m.Topic, m.Data = ref, queue.TopicIssued, map[string]string{"number": tk.Number, "service": tk.Service, "position": "4", "minutes": "20"}
			ch.Outbox = []queue.Message{m}
		}
		if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
			b.Fatal(err)
		}
	}
}

// Run runs the conformance suite.
func Run(t *testing.T, open Open) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, open) })
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open) })
	t.Run("Bookings", func(t *testing.T) { testBookings(t, open) })
	t.Run("Kiosks", func(t *testing.T) { testKiosks(t, open) })
	t.Run("TicketLookup", func(t *testing.T) { testTicketLookup(t, open) })
	t.Run("PurgeDropsOldEvents", func(t *testing.T) { testPurgeDropsOldEvents(t, open) })
	runOutbox(t, open)
	runDossiers(t, open)
	t.Run("ProcedureQuestions", func(t *testing.T) { testProcedureQuestions(t, open) })
	t.Run("Identities", func(t *testing.T) { testIdentities(t, open) })
}

// testPurgeDropsOldEvents: the event log does not grow without end:
// events of local days before the retention cut-off go with the personal
// data; later ones (and the current day's) stay. Expired sessions go too.
func testPurgeDropsOldEvents(t *testing.T, open Open) {
	s, _ := open(t)
	c := Centre("phuong-e")
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
	for _, e := range got {
		if e.At.Before(time.Date(2026, 11, 4, 0, 0, 0, 0, hcm)) && e.Seq <= meta.DaySeq {
			t.Fatalf("event %d of %s kept after the purge", e.Seq, e.At)
		}
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

// testTicketLookup finds tickets by id, key and day across centres and
// days, whether or not their ids carry their day (queue.TicketID).
func testTicketLookup(t *testing.T, open Open) {
	s, reopen := open(t)
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	tue := mon.Add(24 * time.Hour)
	var want []queue.Ticket
	newID := ids() // ids are unique across centres
	for _, id := range []string{"phuong-x", "phuong-y"} {
		l := queue.NewLive(Centre(id), mon, newID)
		for i := 0; i < 3; i++ {
			tk, err := l.Issue(mon.Add(time.Duration(i)*time.Minute), queue.IssueRequest{Service: "A", Key: fmt.Sprintf("%s/mon/%d", id, i)})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, tk)
		}
		commit(t, s, l.TakeChanges())
		for i := 0; i < 2; i++ {
			tk, _ := l.Issue(tue.Add(time.Duration(i)*time.Minute), queue.IssueRequest{Service: "B", Key: fmt.Sprintf("%s/tue/%d", id, i)})
			want = append(want, tk)
		}
		commit(t, s, l.TakeChanges())
	}
	// A ticket that changes after its issue's commit: its last state wins.
	ly := queue.Restore(mustLoad(t, s, "phuong-y"), tue.Add(5*time.Minute), newID)
	called, _, err := ly.Next(tue.Add(5*time.Minute), 1, "canbo1")
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, ly.TakeChanges())
	// Ids that do not carry their day: from another source, or naming
	// another day than the ticket's.
	odd := []queue.Ticket{
		{ID: "legacy-0001", Centre: "phuong-y", Number: "A901", Service: "A", Seq: 901, Day: "2026-11-20", Status: queue.StatusDone, Key: "kiosk-9/1", IssuedAt: mon.AddDate(0, 0, -3)},
		{ID: queue.TicketID("2026-11-01", "odd"), Centre: "phuong-y", Number: "A902", Service: "A", Seq: 902, Day: "2026-11-20", Status: queue.StatusDone, IssuedAt: mon.AddDate(0, 0, -3)},
	}
	commit(t, s, &queue.Changes{Centre: "phuong-y", Tickets: odd})
	want = append(want, odd...)
	if reopen != nil {
		s = reopen()
	}
	perDay := map[string]int{}
	for _, w := range want {
		got, err := s.Ticket(w.ID)
		if err != nil || got.ID != w.ID || got.Centre != w.Centre || got.Number != w.Number || got.Day != w.Day {
			t.Fatalf("Ticket(%s) of %s %s: %+v %v", w.ID, w.Centre, w.Day, got, err)
		}
		if w.Key != "" {
			if got, err := s.TicketByKey(w.Centre, w.Key); err != nil || got.ID != w.ID {
				t.Fatalf("TicketByKey(%s): %+v %v", w.Key, got, err)
			}
		}
		// Monday's tickets were still waiting when Tuesday began: the
		// store must give their last state, not the one they were issued in.
		wantStatus := map[string]string{"2026-11-23": queue.StatusExpired, "2026-11-24": queue.StatusWaiting}[w.Day]
		if w.ID == called.ID {
			wantStatus = queue.StatusCalled
		}
		if wantStatus != "" && got.Status != wantStatus {
			t.Fatalf("Ticket(%s) of %s: status %s, want %s", w.ID, w.Day, got.Status, wantStatus)
		}
		perDay[w.Centre+" "+w.Day]++
	}
	for cd, n := range perDay {
		centre, day, _ := strings.Cut(cd, " ")
		got, err := s.Tickets(centre, day)
		if err != nil || len(got) != n {
			t.Fatalf("Tickets(%s, %s): %d %v, want %d", centre, day, len(got), err, n)
		}
		for _, g := range got {
			if g.Day != day || g.Centre != centre {
				t.Fatalf("Tickets(%s, %s) gave %s of %s %s", centre, day, g.ID, g.Centre, g.Day)
			}
		}
	}
	for _, id := range []string{queue.TicketID("2026-11-23", "nosuchticket"), "nope", ""} {
		if _, err := s.Ticket(id); queue.ErrorCode(err) != queue.ENotFound {
			t.Errorf("Ticket(%q) of nothing: %v", id, err)
		}
	}
	// Tuesday is the current day: its tickets load, Monday's (expired when
	// the day rolled) and the odd past ones do not.
	snap, err := s.LoadCentre("phuong-y")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Tickets) != 2 {
		t.Fatalf("loaded %d tickets, want Tuesday's 2", len(snap.Tickets))
	}
	for _, tk := range snap.Tickets {
		if tk.Day != "2026-11-24" || tk.Status != queue.StatusWaiting && tk.ID != called.ID || tk.ID == called.ID && tk.Status != queue.StatusCalled {
			t.Fatalf("loaded %+v", tk)
		}
	}
}

func mustLoad(t *testing.T, s queue.Store, centre string) queue.Snapshot {
	t.Helper()
	snap, err := s.LoadCentre(centre)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func testKiosks(t *testing.T, open Open) {
	s, reopen := open(t)
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, hcm)
	l := queue.NewLive(Centre("phuong-k"), now, ids())
	b, err := l.LeaseBlock(now, "kiosk-1", "A", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Issue(now, queue.IssueRequest{Service: "A", Number: "A903", IssuedAt: now, Kiosk: "kiosk-1", Key: "k/3"}); err != nil {
		t.Fatal(err)
	}
	err = s.Commit(&queue.Batch{
		Centres:     []*queue.Changes{l.TakeChanges()},
		Kiosks:      []queue.Kiosk{{ID: "kiosk-1", Centre: "phuong-k", Name: "Ki-ốt sảnh", EnrolledAt: now, Devices: []queue.DeviceStatus{{Name: "printer", Kind: "printer", Status: "ok"}}}},
		Enrollments: []queue.Enrollment{{Hash: "h", Centre: "phuong-k", Expires: now.Add(24 * time.Hour), UsedBy: "kiosk-1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if reopen != nil {
		s = reopen()
	}
	snap, err := s.LoadCentre("phuong-k")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Blocks) != 1 || snap.Blocks[0].ID != b.ID || len(snap.Blocks[0].Used) != 1 || snap.Blocks[0].Used[0] != 903 {
		t.Fatalf("blocks %+v", snap.Blocks)
	}
	r := queue.Restore(snap, now.Add(time.Minute), ids())
	if n, _ := r.Issue(now.Add(time.Minute), queue.IssueRequest{Service: "A"}); n.Number != "A001" {
		t.Fatalf("online after a stored block: %s, want A001", n.Number)
	}
	if b2, _ := r.LeaseBlock(now, "kiosk-1", "A", "", 5); b2.From != 911 {
		t.Fatalf("block after a stored block: %+v, want from 911", b2)
	}
	if _, err := r.Issue(now.Add(time.Minute), queue.IssueRequest{Service: "A", Number: "A903", IssuedAt: now, Kiosk: "kiosk-1", Key: "other"}); queue.ErrorCode(err) != queue.EConflict {
		t.Fatalf("a used block number after reload: %v", err)
	}
	k, err := s.Kiosk("kiosk-1")
	if err != nil || k.Name != "Ki-ốt sảnh" || k.Devices[0].Status != "ok" {
		t.Fatalf("Kiosk: %+v %v", k, err)
	}
	if ks, _ := s.Kiosks(); len(ks) != 1 {
		t.Fatalf("Kiosks: %d", len(ks))
	}
	if en, err := s.Enrollment("h"); err != nil || en.UsedBy != "kiosk-1" {
		t.Fatalf("Enrollment: %+v %v", en, err)
	}
	if ens, err := s.Enrollments(); err != nil || len(ens) != 1 || ens[0].Hash != "h" || ens[0].Status(now) != "used" {
		t.Fatalf("Enrollments: %+v %v", ens, err)
	}
	for name, err := range map[string]error{"Kiosk": second(s.Kiosk("nope")), "Enrollment": second(s.Enrollment("nope"))} {
		if queue.ErrorCode(err) != queue.ENotFound {
			t.Errorf("%s of a missing thing: %v", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func testBookings(t *testing.T, open Open) {
	s, reopen := open(t)
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, hcm) // Monday
	c := Centre("phuong-c")
	c.Hours = append(c.Hours, queue.Hours{Weekday: 2, Open: "07:30", Close: "17:00"})
	c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 30, 2
	l := queue.NewLive(c, now, ids())
	cit := queue.Citizen{Key: "hmac-of-cccd", IDMasked: "********1234", Name: "Nguyễn Văn An", Phone: "0912345678"}
	mon := time.Date(2026, 11, 23, 10, 0, 0, 0, hcm)
	b1, err := l.Book(now, queue.BookRequest{Code: "AAAA2222", Service: "A", Start: mon, Citizen: cit})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, l.TakeChanges())
	if _, err := l.Reschedule(now, b1.Code, cit.Key, mon.Add(24*time.Hour), false, "public"); err != nil {
		t.Fatal(err)
	}
	commit(t, s, l.TakeChanges())
	if reopen != nil {
		s = reopen()
	}
	snap, err := s.LoadCentre("phuong-c")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Bookings) != 1 || snap.Bookings[0].Day != "2026-11-24" || snap.Bookings[0].Citizen.Name != "Nguyễn Văn An" {
		t.Fatalf("loaded bookings %+v (a rescheduled booking is loaded once, on its new day)", snap.Bookings)
	}
	got, err := s.Booking("AAAA2222")
	if err != nil || got.Reschedules != 1 {
		t.Fatalf("Booking: %+v %v", got, err)
	}
	if _, err := s.Booking("ZZZZ9999"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("missing booking: %v", err)
	}
	ns := queue.NoShow{Key: "k", At: now.AddDate(0, 0, -70), Code: "OLD"}
	fresh := queue.NoShow{Key: "k", At: now.AddDate(0, 0, -5), Code: "NEW"}
	commit(t, s, &queue.Changes{Centre: "phuong-c", NoShows: []queue.NoShow{ns, fresh}})
	n, err := s.Purge("phuong-c", "2026-11-25", now.AddDate(0, 0, -60), now)
	if err != nil || n != 1 {
		t.Fatalf("Purge: %d %v", n, err)
	}
	got, _ = s.Booking("AAAA2222")
	if !got.Purged || got.Citizen != (queue.Citizen{}) {
		t.Fatalf("purged booking still holds %+v", got.Citizen)
	}
	if n, _ := s.Purge("phuong-c", "2026-11-25", now.AddDate(0, 0, -60), now); n != 0 {
		t.Fatalf("second purge purged %d", n)
	}
	snap, _ = s.LoadCentre("phuong-c")
	if len(snap.NoShows) != 1 || snap.NoShows[0].Code != "NEW" {
		t.Fatalf("no-shows after purge %+v", snap.NoShows)
	}
}

func ids() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("id%05d", n) }
}

func commit(t *testing.T, s queue.Store, chs ...*queue.Changes) {
	t.Helper()
	if err := s.Commit(&queue.Batch{Centres: chs}); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func testRoundTrip(t *testing.T, open Open) {
	s, reopen := open(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(Centre("phuong-a"), now, ids())
	a, _ := l.Issue(now, queue.IssueRequest{Service: "A", Key: "kiosk-1/0001"})
	l.Issue(now.Add(time.Second), queue.IssueRequest{Service: "A", Priority: queue.PriorityElderly})
	l.Issue(now.Add(2*time.Second), queue.IssueRequest{Service: "B"})
	l.Next(now.Add(time.Minute), 1, "clerk")
	l.Next(now.Add(11*time.Minute), 1, "clerk")
	commit(t, s, l.TakeChanges())
	if reopen != nil {
		s = reopen()
	}
	snaps, err := s.LoadCentres()
	if err != nil || len(snaps) != 1 {
		t.Fatalf("LoadCentres: %d, %v", len(snaps), err)
	}
	r := queue.Restore(snaps[0], now.Add(12*time.Minute), ids())
	if r.LastSeq() != l.LastSeq() || r.Config().Name != l.Config().Name {
		t.Fatalf("restored seq %d name %q, want %d %q", r.LastSeq(), r.Config().Name, l.LastSeq(), l.Config().Name)
	}
	rc, lc := r.Counters(), l.Counters()
	if len(rc) != len(lc) {
		t.Fatalf("%d counters restored, want %d", len(rc), len(lc))
	}
	for i := range rc {
		a, b := rc[i], lc[i]
		if a.Number != b.Number || a.Status != b.Status || a.Current != b.Current || a.Clerk != b.Clerk || !a.Since.Equal(b.Since) {
			t.Fatalf("counter restored as %+v, want %+v", a, b)
		}
	}
	if got, want := len(r.Today()), 3; got != want {
		t.Fatalf("restored %d tickets of today, want %d", got, want)
	}
	for _, tk := range l.Today() {
		rt, ok := r.Ticket(tk.ID)
		if !ok || rt.Status != tk.Status || rt.Number != tk.Number || !rt.IssuedAt.Equal(tk.IssuedAt) {
			t.Fatalf("ticket %s restored as %+v", tk.Number, rt)
		}
	}
	if n, _ := r.Issue(now.Add(13*time.Minute), queue.IssueRequest{Service: "A"}); n.Number != "A003" {
		t.Fatalf("numbering after reload: %s, want A003", n.Number)
	}
	got, err := s.Ticket(a.ID)
	if err != nil || got.Number != "A001" || got.Status != queue.StatusCalled { // the elderly ticket went first
		t.Fatalf("Ticket: %+v %v", got, err)
	}
	got, err = s.TicketByKey("phuong-a", "kiosk-1/0001")
	if err != nil || got.ID != a.ID {
		t.Fatalf("TicketByKey: %+v %v", got, err)
	}
	day, err := s.Tickets("phuong-a", "2026-11-23")
	if err != nil || len(day) != 3 {
		t.Fatalf("Tickets of the day: %d %v", len(day), err)
	}
	// The next day: yesterday's open tickets expire and leave the snapshot.
	r.TakeChanges()
	r.Roll(now.Add(24 * time.Hour))
	commit(t, s, r.TakeChanges())
	snap, err := s.LoadCentre("phuong-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Tickets) != 0 || snap.Meta.Day != "2026-11-24" {
		t.Fatalf("after the day rolled: %d tickets loaded, day %s", len(snap.Tickets), snap.Meta.Day)
	}
}

func testNotFound(t *testing.T, open Open) {
	s, _ := open(t)
	checks := map[string]error{}
	_, checks["Ticket"] = s.Ticket("nope")
	_, checks["TicketByKey"] = s.TicketByKey("nope", "k")
	_, checks["LoadCentre"] = s.LoadCentre("nope")
	_, checks["User"] = s.User("nope")
	_, checks["Session"] = s.Session("nope")
	_, checks["Events"] = s.Events("nope", 0, 10)
	for name, err := range checks {
		if queue.ErrorCode(err) != queue.ENotFound {
			t.Errorf("%s of a missing thing: %v, want a not_found error", name, err)
		}
	}
	if err := s.Commit(&queue.Batch{}); err != nil {
		t.Errorf("empty commit: %v", err)
	}
}

func testAccounts(t *testing.T, open Open) {
	s, reopen := open(t)
	exp := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	err := s.Commit(&queue.Batch{
		Users:    []queue.User{{Username: "canbo1", Role: queue.RoleClerk, Centre: "x", PasswordHash: []byte("h"), Epoch: 3}, {Username: "admin", Role: queue.RoleAdmin}},
		Sessions: []queue.Session{{Hash: "h1", Username: "canbo1", Expires: exp, Epoch: 3}, {Hash: "h2", Username: "admin", Expires: exp}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(&queue.Batch{DeleteSessions: []string{"h2"}}); err != nil {
		t.Fatal(err)
	}
	if reopen != nil {
		s = reopen()
	}
	u, err := s.User("canbo1")
	if err != nil || u.Centre != "x" || string(u.PasswordHash) != "h" || u.Epoch != 3 { // the epoch ends sessions: it must persist
		t.Fatalf("User: %+v %v", u, err)
	}
	if us, _ := s.Users(); len(us) != 2 {
		t.Fatalf("Users: %d", len(us))
	}
	if se, err := s.Session("h1"); err != nil || se.Username != "canbo1" || !se.Expires.Equal(exp) || se.Epoch != 3 {
		t.Fatalf("Session: %+v %v", se, err)
	}
	if _, err := s.Session("h2"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("deleted session: %v", err)
	}
}

func testEvents(t *testing.T, open Open) {
	s, _ := open(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(Centre("phuong-b"), now, ids())
	for i := 0; i < 30; i++ {
		l.Issue(now, queue.IssueRequest{Service: "A"})
		if i%10 == 9 {
			commit(t, s, l.TakeChanges())
		}
	}
	evs, err := s.Events("phuong-b", 0, 1000)
	if err != nil || uint64(len(evs)) != l.LastSeq() {
		t.Fatalf("%d events (%v), want %d", len(evs), err, l.LastSeq())
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	page, _ := s.Events("phuong-b", 5, 3)
	if len(page) != 3 || page[0].Seq != 6 || page[2].Seq != 8 {
		t.Fatalf("page after 5: %+v", page)
	}
	if e, _ := s.Events("phuong-b", l.LastSeq(), 10); len(e) != 0 {
		t.Fatalf("events after the last: %d", len(e))
	}
}
