package storecopy_test

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

var hcm, _ = time.LoadLocation("Asia/Ho_Chi_Minh")

// month is what monthStore made: enough to look everything up again.
type month struct {
	centres  []string
	days     []string
	tickets  []string             // ids
	keys     map[string][2]string // idempotency key → centre, ticket id
	bookings []string             // codes
	sessions []string             // hashes of the sessions not expired at end
	contacts []string             // refs, of contacts given (some purged since)
	webhooks []string             // ids, deleted ones too
	expired  []string             // … and of those expired
	dossiers []string             // owners of dossiers (forms, documents, confirmations)
	end      time.Time
}

// monthStore fills a bbolt store in dir with a month of work on three
// centres done through queue.Live as the engine does it: walk-ins and
// bookings (some cancelled, some missed: no-shows), calls, recalls,
// transfers, no-shows, ratings, number blocks leased to kiosks, a
// reconfiguration, a day's roll each day, one centre's old events purged;
// messages in the outbox with the changes that caused them (a quarter of
// the tickets with a contact, some calls posted to webhooks), delivered
// each evening, sent or failed, the last day's left pending; webhooks,
// one deleted; one centre's expired contacts and old messages purged;
// with users, sessions (some expired), kiosks, enrolment tokens and the
// key's fingerprint. The last day is left open: its waiting tickets are
// kept only in their issued events.
func monthStore(t testing.TB, dir string, days int) month {
	t.Helper()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.DB().NoSync = true // a test's data: durability is not what it is about
	r := rand.New(rand.NewPCG(17, 1))
	newID := func() string {
		const abc = "abcdefghijklmnopqrstuvwxyz234567"
		b := make([]byte, 26)
		for i := range b {
			b[i] = abc[r.IntN(len(abc))]
		}
		return string(b)
	}
	m := month{keys: map[string][2]string{}}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, hcm)
	// The outbox's choices draw from a source of their own: the month's
	// work is the same with or without them.
	ro := rand.New(rand.NewPCG(18, 1))
	var outbox []queue.Message
	var contacts []queue.Contact
	var webhooks []queue.Webhook
	commit := func(chs ...*queue.Changes) {
		t.Helper()
		if err := s.Commit(&queue.Batch{Centres: chs}); err != nil {
			t.Fatal(err)
		}
	}
	var lives []*queue.Live
	for i, id := range []string{"phuong-a", "phuong-b", "xa-c"} {
		c := storetest.Centre(id)
		c.Hours = nil
		for d := 1; d <= 6; d++ {
			c.Hours = append(c.Hours, queue.Hours{Weekday: d, Open: "07:30", Close: "17:00"})
		}
		c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 30, 3
		c.Counters = append(c.Counters, queue.CounterConfig{Number: 2, Name: "Quầy 2", Services: []string{"A"}})
		if i == 2 {
			c.Services = append(c.Services, queue.Service{Code: "C", Name: "Đất đai", Minutes: 20})
			c.Counters = append(c.Counters, queue.CounterConfig{Number: 3, Name: "Quầy 3", Services: []string{"B", "C"}})
		}
		c.Normalize()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		l := queue.NewLive(c, start.Add(-time.Hour), newID)
		first := l.TakeChanges()
		first.Webhooks = []queue.Webhook{{ID: "wh-" + id, Centre: id, URL: "https://motcua.example/" + id, Events: []string{"ticket.called"},
			Secret: "secret-" + id, CreatedAt: start, CreatedBy: "admin"}}
		m.webhooks = append(m.webhooks, "wh-"+id)
		commit(first)
		lives = append(lives, l)
		m.centres = append(m.centres, id)
	}
	type booked struct {
		code, centre string
		li           int
	}
	var open []booked
	for d := range days {
		day := start.AddDate(0, 0, d)
		m.days = append(m.days, day.Format(time.DateOnly))
		if day.Weekday() == time.Sunday {
			continue
		}
		for li, l := range lives {
			cfg := l.Config()
			now := day.Add(7*time.Hour + 25*time.Minute)
			act := func(f func()) {
				f()
				ch := l.TakeChanges()
				ch.Outbox, ch.Contacts, ch.Webhooks = outbox, contacts, webhooks
				outbox, contacts, webhooks = nil, nil, nil
				if !ch.Empty() {
					commit(ch)
				}
			}
			for _, k := range cfg.Counters {
				act(func() { l.Resume(now, k.Number, fmt.Sprintf("canbo-%d", k.Number)) })
			}
			act(func() { l.LeaseBlock(now, "kiosk-"+cfg.ID+"-1", "B", "", 10) })
			if d == 12 && li == 1 { // a counter added mid-month
				cfg.Counters = append(cfg.Counters, queue.CounterConfig{Number: 4, Name: "Quầy 4", Services: []string{"A", "B"}})
				cfg.Normalize()
				act(func() { l.Configure(now, cfg, "admin") })
				cfg = l.Config()
				webhooks = []queue.Webhook{{ID: "wh-extra", Centre: cfg.ID, URL: "https://app.example/hook", Secret: "s", CreatedAt: now, Deleted: true}}
				m.webhooks = append(m.webhooks, "wh-extra")
				act(func() {})
			}
			steps := 250 + r.IntN(100)
			for step := range steps {
				now = now.Add(time.Duration(1+r.IntN(4)) * 30 * time.Second)
				k := cfg.Counters[r.IntN(len(cfg.Counters))].Number
				svc := cfg.Services[r.IntN(len(cfg.Services))].Code
				switch x := r.IntN(20); {
				case x < 8:
					act(func() {
						req := queue.IssueRequest{Service: svc, Source: queue.SourceKiosk, Kiosk: "kiosk-" + cfg.ID + "-1"}
						if r.IntN(3) == 0 {
							req.Key = fmt.Sprintf("key-%s-%d-%d", cfg.ID, d, step)
						}
						if r.IntN(10) == 0 {
							req.Priority = queue.PriorityElderly
						}
						if tk, err := l.Issue(now, req); err == nil {
							if ro.IntN(4) == 0 {
								ref := queue.ContactRef(queue.RefTicket, tk.ID)
								contacts = append(contacts, queue.Contact{Ref: ref, Centre: cfg.ID, Phone: fmt.Sprintf("8491%07d", ro.IntN(1e7)),
									ConsentAt: now, Expires: day.Add(24 * time.Hour)})
								outbox = append(outbox, queue.Message{ID: "msg-" + tk.ID, Centre: cfg.ID, Channel: queue.ChannelPhone, Ref: ref,
									Topic: queue.TopicIssued, Data: map[string]string{"number": tk.Number, "service": tk.Service},
									CreatedAt: now, Expires: now.Add(time.Hour), Status: queue.MessagePending, NextAt: now})
								m.contacts = append(m.contacts, ref)
							}
							m.tickets = append(m.tickets, tk.ID)
							if tk.Key != "" {
								m.keys[tk.Key] = [2]string{cfg.ID, tk.ID}
							}
						}
					})
				case x < 12:
					act(func() {
						tk, _, err := l.Next(now, k, fmt.Sprintf("canbo-%d", k))
						if err == nil && tk.ID != "" && ro.IntN(5) == 0 {
							id := "hook-" + tk.ID + fmt.Sprint(step)
							outbox = append(outbox, queue.Message{ID: id, Centre: cfg.ID, Channel: queue.ChannelWebhook, Ref: "wh-" + cfg.ID,
								Topic: "ticket.called", CreatedAt: now, Expires: now.Add(24 * time.Hour), Status: queue.MessagePending, NextAt: now,
								Body: []byte(fmt.Sprintf(`{"id":%q,"type":"ticket.called","data":{"number":%q,"counter":%d}}`, id, tk.Number, k))})
						}
					})
				case x < 13:
					act(func() { l.Recall(now, k) })
				case x < 14:
					act(func() {
						now = now.Add(time.Minute)
						l.Recall(now, k)
						now = now.Add(time.Minute)
						l.NoShow(now, k)
					})
				case x < 15:
					act(func() {
						if tk, err := l.Finish(now, k); err == nil && r.IntN(2) == 0 {
							l.RateTicket(now, tk.ID, 1+r.IntN(4))
						}
					})
				case x < 16:
					act(func() { l.Transfer(now, k, cfg.Services[r.IntN(len(cfg.Services))].Code) })
				case x < 18:
					slot := day.AddDate(0, 0, 1+r.IntN(5)).Add(time.Duration(8*60+30*r.IntN(16)) * time.Minute)
					code := fmt.Sprintf("BK%05d", len(m.bookings))
					act(func() {
						_, err := l.Book(now, queue.BookRequest{Code: code, Service: "A", Start: slot, Source: queue.BookedOnline,
							Citizen: queue.Citizen{Key: fmt.Sprintf("cccd-%d", r.IntN(400)), IDMasked: "********1234", Name: "Nguyễn Thị Bình", Phone: "0912345678"}})
						if err == nil {
							m.bookings = append(m.bookings, code)
							open = append(open, booked{code, cfg.ID, li})
						}
					})
				case x < 19:
					if len(open) > 0 {
						b := open[r.IntN(len(open))]
						if b.li == li {
							act(func() { l.CancelBooking(now, b.code, "", true, "canbo-1") })
						}
					}
				default:
					for _, b := range open {
						if b.li != li {
							continue
						}
						if bk, ok := l.Booking(b.code); ok && bk.Day == l.Day() && bk.Status == queue.BookingActive && r.IntN(3) > 0 {
							act(func() {
								if tk, _, err := l.CheckIn(now, b.code, "kiosk-"+cfg.ID+"-1", ""); err == nil {
									m.tickets = append(m.tickets, tk.ID)
									m.keys[tk.Key] = [2]string{cfg.ID, tk.ID}
								}
							})
						}
					}
				}
			}
			if d < days-1 {
				// Evening: some counters close, a few tickets stay open
				// and expire at the next day's roll.
				act(func() { l.Close(day.Add(17*time.Hour), 1) })
			}
		}
		if d < days-1 {
			// The day's messages delivered: most sent, some given up.
			evening := day.Add(18 * time.Hour)
			ms, err := s.ClaimMessages(evening, time.Minute, 100000)
			if err != nil {
				t.Fatal(err)
			}
			for i := range ms {
				ms[i].Attempts = 1 + ro.IntN(3)
				if ro.IntN(6) == 0 {
					ms[i].Status, ms[i].Error = queue.MessageFailed, "zns: template error"
				} else {
					ms[i].Status, ms[i].Via, ms[i].SentAt = queue.MessageSent, "zns", &evening
				}
			}
			if err := s.SaveDelivery(ms); err != nil {
				t.Fatal(err)
			}
		}
	}
	m.end = start.AddDate(0, 0, days-1).Add(17 * time.Hour)
	// The first centre's events of the first ten days are purged, with
	// its expired contacts and its messages older than 14 days.
	if days > 10 {
		if _, err := s.Purge("phuong-a", m.days[10], m.end.AddDate(0, 0, -60), m.end); err != nil {
			t.Fatal(err)
		}
	}
	// Accounts and devices.
	var b queue.Batch
	b.Users = append(b.Users, queue.User{Username: "admin", Role: queue.RoleAdmin, Name: "Quản trị", PasswordHash: []byte("$2a$10$abc"), CreatedAt: start})
	for i, id := range m.centres {
		b.Users = append(b.Users, queue.User{Username: fmt.Sprintf("canbo-%d", i+1), Role: queue.RoleClerk, Centre: id, Name: "Cán bộ", PasswordHash: []byte("$2a$10$def"), CreatedAt: start, Epoch: i})
		b.Users = append(b.Users, queue.User{Username: "kiosk-" + id + "-1", Role: queue.RoleKiosk, Centre: id, CreatedAt: start})
		b.Kiosks = append(b.Kiosks, queue.Kiosk{ID: "kiosk-" + id + "-1", Centre: id, Name: "Ki-ốt sảnh", EnrolledAt: start, LastSeen: m.end, Version: "1.2.3",
			Devices: []queue.DeviceStatus{{Name: "Máy in", Kind: "printer", Status: "ok"}}})
		b.Enrollments = append(b.Enrollments, queue.Enrollment{Hash: fmt.Sprintf("enr-%d", i), Centre: id, Expires: start.AddDate(0, 0, 1), CreatedBy: "admin", CreatedAt: start, UsedBy: "kiosk-" + id + "-1"})
	}
	for i := range 8 {
		se := queue.Session{Hash: fmt.Sprintf("sess-%d", i), Username: "admin", Expires: time.Now().Add(12 * time.Hour)}
		if i%3 == 0 {
			se.Expires = m.end.Add(-time.Hour)
			m.expired = append(m.expired, se.Hash)
		} else {
			m.sessions = append(m.sessions, se.Hash)
		}
		b.Sessions = append(b.Sessions, se)
	}
	if err := s.Commit(&b); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeyID("citizen", "sha256:0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	// Dossiers of every 37th ticket: a form, documents with their PDFs,
	// every other one confirmed.
	for i := 0; i < len(m.tickets); i += 37 {
		tk, err := s.Ticket(m.tickets[i])
		if err != nil {
			t.Fatal(err)
		}
		owner := queue.DossierTicket(tk.ID)
		exp := m.end.AddDate(0, 0, 30)
		f := queue.DossierForm{Owner: owner, Centre: tk.Centre, Procedure: "khai-sinh", UpdatedAt: tk.IssuedAt, UpdatedBy: "kiosk-1", Expires: exp,
			Filled: json.RawMessage(fmt.Sprintf(`{"procedure":"khai-sinh","version":"2026-12-05","values":{"applicant_name":"Nguyễn Thị Hoà %d"},"sources":{"applicant_name":"card"}}`, i))}
		if err := s.PutForm(f); err != nil {
			t.Fatal(err)
		}
		for j := range 1 + i%3 {
			d, pdf := storetest.Document(owner, fmt.Sprintf("doc-%d-%d", i, j), tk.IssuedAt)
			d.Centre, d.Expires = tk.Centre, exp
			if err := s.PutDocument(d, pdf); err != nil {
				t.Fatal(err)
			}
		}
		if i%2 == 0 {
			if err := s.Confirm(queue.DossierConfirm{Owner: owner, Centre: tk.Centre, By: "canbo-1", At: tk.IssuedAt, Expires: exp}); err != nil {
				t.Fatal(err)
			}
		}
		m.dossiers = append(m.dossiers, owner)
	}
	// Questions asked of the procedure guidance with every 11th ticket,
	// some understood and chosen.
	for i := 0; i < len(m.tickets); i += 11 {
		tk, err := s.Ticket(m.tickets[i])
		if err != nil {
			t.Fatal(err)
		}
		q := queue.ProcedureQuestion{Centre: tk.Centre, Day: tk.IssuedAt.In(time.UTC).Format(time.DateOnly), Q: fmt.Sprintf("làm sổ đỏ lần %d", i%5),
			Understood: i%3 != 0, At: tk.IssuedAt}
		if q.Understood {
			q.Chosen = "dat-dai-lan-dau"
		}
		if err := s.CountProcedureQuestion(q); err != nil {
			t.Fatal(err)
		}
	}
	return m
}
