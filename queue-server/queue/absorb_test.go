package queue

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"
)

// TestAbsorb runs random days of work on one centre's live state and has a
// second live state, restored from the same start, absorb each commit's
// changes: after every commit the two hold the same state, indexes
// included, and say the same to callers.
func TestAbsorb(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { absorbRun(t, seed) })
	}
}

func absorbRun(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	mutate := func(c *Centre) {
		for d := 1; d <= 6; d++ {
			c.Hours = append(c.Hours, Hours{Weekday: d, Open: "07:30", Close: "17:00"})
		}
		c.Hours = c.Hours[1:]
		c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 30, 2
		c.Normalize()
	}
	a := newTestLive(t, mutate)
	a.TakeChanges()
	b := Restore(a.snapshotForTest(), day0, a.newID)
	now := day0
	var codes []string
	for step := 0; step < 300; step++ {
		now = now.Add(time.Duration(r.IntN(20)) * time.Minute)
		if r.IntN(60) == 0 { // a night passes
			now = now.Add(14 * time.Hour)
		}
		n := 1 + r.IntN(2)
		switch k := r.IntN(10); {
		case k < 3:
			a.Issue(now, IssueRequest{Service: []string{"A", "B"}[r.IntN(2)], Key: fmt.Sprintf("k%d", step%50), Source: SourceKiosk})
		case k < 4:
			// Identified and told: online numbers, and walk-ins who ask
			// to be told; a webhook comes and goes; time brings its work.
			switch r.IntN(4) {
			case 0:
				a.Issue(now, IssueRequest{Service: "A", Source: SourceOnline, Citizen: fmt.Sprintf("cit%d", r.IntN(5)), Notify: &NotifyRequest{Phone: "0912345678", Consent: true}})
			case 1:
				if w := a.Waiting(now); len(w) > 0 {
					a.SetTicketNotify(now, w[r.IntN(len(w))].ID, NotifyRequest{Email: "a@example.vn", Consent: r.IntN(4) > 0}, "public")
				}
			case 2:
				if hs := a.Webhooks(); len(hs) > 0 && r.IntN(2) == 0 {
					a.DeleteWebhook(now, hs[0].ID, "admin")
				} else {
					a.AddWebhook(now, Webhook{URL: "https://x.example/h", Secret: "s", Events: []string{EventCalled}}, "admin")
				}
			default:
				a.Due(now)
			}
		case k < 5:
			a.Resume(now, n, "canbo")
		case k < 7:
			a.Next(now, n, "canbo")
		case k < 8:
			a.Finish(now, n)
		case k < 9:
			start := now.Truncate(30 * time.Minute).Add(time.Duration(1+r.IntN(16)) * 30 * time.Minute)
			code := fmt.Sprintf("C%03d", step)
			if _, err := a.Book(now, BookRequest{Code: code, Service: "A", Start: start, Citizen: Citizen{Key: fmt.Sprintf("cit%d", r.IntN(5)), Name: "Nguyễn Văn An", Phone: "0912345678"}, Source: BookedOnline}); err == nil {
				codes = append(codes, code)
			}
		case r.IntN(8) == 0:
			cfg := a.Config()
			if len(cfg.Counters) == 1 {
				cfg.Counters = append(cfg.Counters, CounterConfig{Number: 2, Name: "Quầy 2", Services: []string{"A"}})
			} else {
				cfg.Counters = cfg.Counters[:1]
			}
			cfg.Normalize()
			a.Configure(now, cfg, "admin")
		default:
			if len(codes) > 0 {
				a.CancelBooking(now, codes[r.IntN(len(codes))], "", true, "canbo")
			}
			a.Roll(now)
		}
		ch := a.TakeChanges()
		if ch.Empty() {
			continue
		}
		ch.Rev = a.Rev() + 1
		a.SetRev(ch.Rev)
		// What crosses the store is JSON: absorb a copy that went through it.
		var through Changes
		raw, _ := json.Marshal(ch)
		if err := json.Unmarshal(raw, &through); err != nil {
			t.Fatal(err)
		}
		b.Absorb(&through)
		if da, db := a.dumpForTest(now), b.dumpForTest(now); !reflect.DeepEqual(da, db) {
			va, vb := reflect.ValueOf(da), reflect.ValueOf(db)
			for _, v := range []reflect.Value{va, va.Field(0)} {
				w := vb
				if v != va {
					w = vb.Field(0)
				}
				for i := 0; i < v.NumField(); i++ {
					if !reflect.DeepEqual(v.Field(i).Interface(), w.Field(i).Interface()) {
						ja, _ := json.Marshal(v.Field(i).Interface())
						jb, _ := json.Marshal(w.Field(i).Interface())
						t.Errorf("step %d: %s differs after absorbing\nwriter:   %s\nabsorber: %s", step, v.Type().Field(i).Name, ja, jb)
					}
				}
			}
			t.FailNow()
		}
	}
}

// snapshotForTest is what a store would load of the centre now.
func (l *Live) snapshotForTest() Snapshot {
	s := Snapshot{Config: l.cfg, Meta: l.meta, Numbers: map[string]int{}, Rev: l.rev}
	for _, t := range l.tickets {
		s.Tickets = append(s.Tickets, *t)
	}
	for _, c := range l.counters {
		s.Counters = append(s.Counters, *c)
	}
	for k, v := range l.numbers {
		s.Numbers[k] = v
	}
	for _, st := range l.stats {
		if st.Samples > 0 { // an unsampled one is the configured minutes, made on first use
			s.Stats = append(s.Stats, *st)
		}
	}
	for _, b := range l.bookings {
		s.Bookings = append(s.Bookings, *b)
	}
	for _, b := range l.blocks {
		s.Blocks = append(s.Blocks, *b)
	}
	for k, ats := range l.noShows {
		for _, at := range ats {
			s.NoShows = append(s.NoShows, NoShow{Key: k, At: at})
		}
	}
	return s
}

type liveDump struct {
	Snapshot  Snapshot
	Day       string
	ByKey     map[string]string
	ByCitizen map[string][]string
	SlotTaken map[string]int
	Waiting   []string
	Queue     map[string]int // waiting per service (estimates depend on when each state last computed them)
	Watch     []string       // tickets waiting for their "near" message
	Hooks     []Webhook
}

func (l *Live) dumpForTest(now time.Time) liveDump {
	s := l.snapshotForTest()
	sort.Slice(s.Tickets, func(i, j int) bool { return s.Tickets[i].ID < s.Tickets[j].ID })
	sort.Slice(s.Counters, func(i, j int) bool { return s.Counters[i].Number < s.Counters[j].Number })
	sort.Slice(s.Stats, func(i, j int) bool { return s.Stats[i].Service < s.Stats[j].Service })
	sort.Slice(s.Bookings, func(i, j int) bool { return s.Bookings[i].Code < s.Bookings[j].Code })
	sort.Slice(s.Blocks, func(i, j int) bool { return s.Blocks[i].ID < s.Blocks[j].ID })
	sort.Slice(s.NoShows, func(i, j int) bool {
		return s.NoShows[i].Key < s.NoShows[j].Key || s.NoShows[i].Key == s.NoShows[j].Key && s.NoShows[i].At.Before(s.NoShows[j].At)
	})
	// JSON normalises times (monotonic readings, locations) as the store does.
	raw, _ := json.Marshal(s)
	var norm Snapshot
	json.Unmarshal(raw, &norm)
	d := liveDump{Snapshot: norm, Day: l.day, ByKey: l.byKey, ByCitizen: map[string][]string{}, SlotTaken: map[string]int{}, Queue: map[string]int{}}
	for svc, q := range l.Queue(now) {
		d.Queue[svc] = q.Waiting
	}
	for k, v := range l.byCitizen {
		d.ByCitizen[k] = slices.Sorted(slices.Values(v))
	}
	for k, v := range l.slotTaken {
		if v != 0 {
			d.SlotTaken[k] = v
		}
	}
	for _, w := range l.Waiting(now) {
		d.Waiting = append(d.Waiting, w.ID)
	}
	d.Watch = slices.Sorted(maps.Keys(l.watch))
	for _, w := range l.Webhooks() {
		w.CreatedAt = w.CreatedAt.UTC().Round(0)
		d.Hooks = append(d.Hooks, w)
	}
	return d
}
