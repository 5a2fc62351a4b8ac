package queue

import (
	"slices"
	"sort"
	"time"
)

// Counter statuses.
const (
	CounterOpen   = "open"
	CounterPaused = "paused"
	CounterClosed = "closed"
)

// Counter is a counter's working state.
type Counter struct {
	Number  int       `json:"number"`
	Status  string    `json:"status"`
	Reason  string    `json:"reason,omitempty"`  // why it is paused
	Current string    `json:"current,omitempty"` // id of the ticket it serves
	Clerk   string    `json:"clerk,omitempty"`
	Since   time.Time `json:"since"` // when Status last changed
	// Planned is how many minutes a pause was announced for (0: the
	// rules' alert_pause_minutes).
	Planned int `json:"planned_minutes,omitempty"`
}

// ServiceStat is the moving estimate of how long a service really takes at
// a counter, seeded by the configured minutes.
type ServiceStat struct {
	Service string  `json:"service"`
	Seconds float64 `json:"seconds"` // exponentially weighted mean
	Samples int     `json:"samples"`
}

// Meta is a centre's running counters that are not tickets or counters.
type Meta struct {
	LastSeq       uint64 `json:"last_seq"`
	Day           string `json:"day"`            // local date the current numbering belongs to
	SincePriority int    `json:"since_priority"` // interleave: others called since the last priority ticket
	// DaySeq is the seq of the last event before the current day began:
	// the day's events follow it (a store may keep a new ticket only in
	// its issued event until the ticket changes).
	DaySeq uint64 `json:"day_seq,omitempty"`
	// Alerts are the staff alerts in force (Due raises and clears them).
	Alerts []Alert `json:"alerts,omitempty"`
}

// Changes is everything one or more commands changed in a centre, to be
// committed atomically by a Store.
type Changes struct {
	Centre   string
	Config   *Centre
	Tickets  []Ticket
	Counters []Counter
	Removed  []int // counters no longer configured
	Events   []Event
	Numbers  map[string]int // NumberKey(day, service) → last number issued
	Stats    []ServiceStat
	Meta     *Meta
	Audit    []Audit
	Bookings []Booking
	NoShows  []NoShow
	Blocks   []NumberBlock
	// Outbox are the messages the changes cause, and Contacts the
	// addresses citizens gave (or removed) for them: personal data, so
	// never in a store's change log (json "-"); Webhooks the centre's
	// subscriptions created or deleted.
	Outbox   []Message `json:"-"`
	Contacts []Contact `json:"-"`
	Webhooks []Webhook
	// Rev is the centre's revision these changes make, in a store shared
	// by several servers (set by the engine; 0 otherwise).
	Rev uint64
}

// Empty reports whether there is nothing to commit.
func (c *Changes) Empty() bool {
	return c.Config == nil && len(c.Tickets) == 0 && len(c.Counters) == 0 && len(c.Removed) == 0 &&
		len(c.Events) == 0 && len(c.Numbers) == 0 && len(c.Stats) == 0 && c.Meta == nil && len(c.Audit) == 0 &&
		len(c.Bookings) == 0 && len(c.NoShows) == 0 && len(c.Blocks) == 0 &&
		len(c.Outbox) == 0 && len(c.Contacts) == 0 && len(c.Webhooks) == 0
}

// Snapshot is what a store loads to restore a centre's Live state: its
// configuration, counters, the tickets still open or issued on the latest
// day, numbering, estimates and meta.
type Snapshot struct {
	Config   Centre
	Counters []Counter
	Tickets  []Ticket
	Numbers  map[string]int
	Stats    []ServiceStat
	Meta     Meta
	Bookings []Booking // of the current day and later, and active ones
	NoShows  []NoShow  // within the rules' no-show window
	Blocks   []NumberBlock
	Webhooks []Webhook // not deleted
	Rev      uint64    // the store's revision of the centre (see Live.Rev)
}

// NumberKey is the key of a day's numbering for a service.
func NumberKey(day, service string) string { return day + "/" + service }

// Live is one centre's working state. It is not safe for concurrent use: one
// owner applies commands in order and commits the Changes they leave.
type Live struct {
	cfg      Centre
	loc      *time.Location
	day      string
	tickets  map[string]*Ticket // open tickets and the current day's
	byKey    map[string]string  // idempotency key → ticket id
	counters map[int]*Counter
	numbers  map[string]int // NumberKey(day, service) → last number given, for l.day and later
	stats    map[string]*ServiceStat
	meta     Meta
	newID    func() string
	version  uint64
	rev      uint64 // the store's revision of the centre (Rev)
	est      *estimates
	prune    bool // earlier days' tickets are to leave memory after the next TakeChanges

	bookings  map[string]*Booking     // code → booking of the current day or later
	byCitizen map[string][]string     // citizen key → booking codes
	slotTaken map[string]int          // slotKey → bookings not cancelled
	noShows   map[string][]time.Time  // citizen key → slot starts missed
	blocks    map[string]*NumberBlock // id → block of numbers leased to a kiosk, yesterday's on

	hooks       map[string]*Webhook // the centre's webhooks, not deleted
	hookIDs     []string            // their ids, sorted: deliveries in a stable order
	dirtyHooks  map[string]bool
	deleted     []Webhook       // webhooks deleted since the last TakeChanges
	outbox      []Message       // messages caused since the last TakeChanges
	contacts    []Contact       // contacts given (or removed) since then
	watch       map[string]bool // tickets waiting for their "near" message
	lineMoved   bool            // tickets moved up: deal the line again and check watch at TakeChanges
	nearNew     []string        // watched tickets whose own place is to be checked at TakeChanges
	lastAt      time.Time       // when the latest event happened
	lastMessage time.Time       // CreatedAt of the latest message (messageTime)

	dirtyT      map[string]bool
	dirtyC      map[int]bool
	removed     []int
	events      []Event
	dirtyNum    map[string]bool
	dirtyStats  map[string]bool
	dirtyMeta   bool
	dirtyCfg    bool
	audit       []Audit
	dirtyB      map[string]bool
	newNoShows  []NoShow
	dirtyBlocks map[string]bool
}

// NewLive creates the live state of a newly configured centre. newID returns
// fresh unguessable ticket ids.
func NewLive(cfg Centre, now time.Time, newID func() string) *Live {
	l := restore(Snapshot{Config: cfg}, now, newID)
	l.dirtyCfg = true
	for n := range l.counters {
		l.dirtyC[n] = true
	}
	l.emit(now, Event{Type: EventConfigured})
	return l
}

// Restore rebuilds a centre's live state from what a store loaded.
func Restore(s Snapshot, now time.Time, newID func() string) *Live {
	return restore(s, now, newID)
}

func restore(s Snapshot, now time.Time, newID func() string) *Live {
	l := &Live{
		cfg:      s.Config,
		tickets:  map[string]*Ticket{},
		byKey:    map[string]string{},
		counters: map[int]*Counter{},
		numbers:  map[string]int{},
		stats:    map[string]*ServiceStat{},
		meta:     s.Meta,
		newID:    newID,
		rev:      s.Rev,

		bookings:  map[string]*Booking{},
		byCitizen: map[string][]string{},
		slotTaken: map[string]int{},
		noShows:   map[string][]time.Time{},
		blocks:    map[string]*NumberBlock{},
		hooks:     map[string]*Webhook{},
		watch:     map[string]bool{},
	}
	l.resetDirty()
	l.loc = l.cfg.Location()
	l.day = l.meta.Day
	if l.day == "" {
		l.day = l.localDay(now)
		l.meta.Day = l.day
	}
	for i := range s.Tickets {
		t := s.Tickets[i]
		l.tickets[t.ID] = &t
		if t.Key != "" {
			l.byKey[t.Key] = t.ID
		}
		l.watchTicket(&t)
	}
	for i := range s.Webhooks {
		if w := s.Webhooks[i]; !w.Deleted {
			l.putHook(&w)
		}
	}
	for _, c := range s.Counters {
		c := c
		l.counters[c.Number] = &c
	}
	for _, st := range s.Stats {
		st := st
		l.stats[st.Service] = &st
	}
	for i := range s.Bookings {
		b := s.Bookings[i]
		l.addBooking(&b)
		if b.Status != BookingCancelled {
			l.slotTaken[slotKey(b.Service, b.Start)]++
		}
	}
	for _, ns := range s.NoShows {
		l.noShows[ns.Key] = append(l.noShows[ns.Key], ns.At)
	}
	for k, v := range s.Numbers {
		if k >= l.day {
			l.numbers[k] = v
		}
	}
	for i := range s.Blocks {
		b := s.Blocks[i]
		l.blocks[b.ID] = &b
	}
	l.syncCounters(now)
	return l
}

func (l *Live) resetDirty() {
	l.dirtyT = emptied(l.dirtyT)
	l.dirtyC = emptied(l.dirtyC)
	l.removed = nil
	l.events = nil
	l.dirtyNum = emptied(l.dirtyNum)
	l.dirtyStats = emptied(l.dirtyStats)
	l.dirtyMeta = false
	l.dirtyCfg = false
	l.audit = nil
	l.dirtyB = emptied(l.dirtyB)
	l.newNoShows = nil
	l.dirtyBlocks = emptied(l.dirtyBlocks)
	l.dirtyHooks = emptied(l.dirtyHooks)
	l.deleted, l.outbox, l.contacts = nil, nil, nil
}

// emptied returns m cleared for the next round, or a new map when m is
// nil or grew large (clearing costs its capacity, which a day's roll can
// leave big): every round resets these sets, most hold a ticket or two.
func emptied[K comparable](m map[K]bool) map[K]bool {
	if m == nil || len(m) > 64 {
		return map[K]bool{}
	}
	clear(m)
	return m
}

// syncCounters adds configured counters that have no state (closed) and
// removes the state of counters no longer configured.
func (l *Live) syncCounters(now time.Time) {
	want := map[int]bool{}
	for _, k := range l.cfg.Counters {
		want[k.Number] = true
		if _, ok := l.counters[k.Number]; !ok {
			l.counters[k.Number] = &Counter{Number: k.Number, Status: CounterClosed, Since: now}
			l.dirtyC[k.Number] = true
		}
	}
	for n := range l.counters {
		if !want[n] {
			delete(l.counters, n)
			l.removed = append(l.removed, n)
		}
	}
}

// TakeChanges returns what the commands since the last call changed and
// starts a new, empty record.
func (l *Live) TakeChanges() *Changes {
	switch {
	case l.lineMoved:
		l.checkNear(l.lastAt, true, nil)
	case len(l.nearNew) > 0:
		l.checkNear(l.lastAt, true, l.nearNew)
	}
	l.nearNew = l.nearNew[:0]
	ch := &Changes{Centre: l.cfg.ID}
	if l.dirtyCfg {
		cfg := l.cfg
		ch.Config = &cfg
	}
	ids := make([]string, 0, len(l.dirtyT))
	for id := range l.dirtyT {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if t, ok := l.tickets[id]; ok {
			ch.Tickets = append(ch.Tickets, *t)
		}
	}
	for n := range l.dirtyC {
		if c, ok := l.counters[n]; ok {
			ch.Counters = append(ch.Counters, *c)
		}
	}
	sort.Slice(ch.Counters, func(i, j int) bool { return ch.Counters[i].Number < ch.Counters[j].Number })
	ch.Removed = l.removed
	ch.Events = l.events
	if len(l.dirtyNum) > 0 {
		ch.Numbers = map[string]int{}
		for k := range l.dirtyNum {
			ch.Numbers[k] = l.numbers[k]
		}
	}
	for s := range l.dirtyStats {
		ch.Stats = append(ch.Stats, *l.stats[s])
	}
	if l.dirtyMeta || len(l.events) > 0 {
		m := l.meta
		ch.Meta = &m
	}
	ch.Audit = l.audit
	codes := make([]string, 0, len(l.dirtyB))
	for c := range l.dirtyB {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		ch.Bookings = append(ch.Bookings, *l.bookings[c])
	}
	ch.NoShows = l.newNoShows
	ch.Outbox, ch.Contacts = l.outbox, l.contacts
	ids = ids[:0]
	for id := range l.dirtyHooks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ch.Webhooks = append(ch.Webhooks, *l.hooks[id])
	}
	ch.Webhooks = append(ch.Webhooks, l.deleted...)
	ids = ids[:0]
	for id := range l.dirtyBlocks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ch.Blocks = append(ch.Blocks, *l.blocks[id])
	}
	l.resetDirty()
	// Tickets of earlier days are on their way to the store; memory keeps
	// only the open ones and the current day's.
	if !l.prune {
		return ch
	}
	l.prune = false
	l.forgetEarlierDays()
	return ch
}

// Config returns the centre's configuration.
func (l *Live) Config() Centre { return l.cfg }

// Location returns the centre's time zone.
func (l *Live) Location() *time.Location { return l.loc }

// LastSeq returns the sequence number of the latest event.
func (l *Live) LastSeq() uint64 { return l.meta.LastSeq }

// DaySeq returns the seq of the last event before the current day began:
// the day's events follow it.
func (l *Live) DaySeq() uint64 { return l.meta.DaySeq }

// Day returns the local date the live tickets are numbered in.
func (l *Live) Day() string { return l.day }

func (l *Live) localDay(t time.Time) string { return t.In(l.loc).Format(time.DateOnly) }

func (l *Live) touchTicket(t *Ticket) {
	l.dirtyT[t.ID] = true
	l.version++
	l.watchTicket(t)
}
func (l *Live) touchCounter(c *Counter) {
	l.dirtyC[c.Number] = true
	l.version++
}

func (l *Live) emit(now time.Time, e Event) {
	l.meta.LastSeq++
	e.Seq = l.meta.LastSeq
	e.At = now
	l.events = append(l.events, e)
	l.version++
	l.lastAt = now
	l.noticeEvent(e)
}

// Configure replaces the centre's configuration (already normalised and
// validated). Counters keep their state; new ones start closed; removed
// ones lose theirs, and a ticket they were serving goes back to waiting.
func (l *Live) Configure(now time.Time, cfg Centre, actor string) {
	l.Roll(now)
	l.cfg = cfg
	l.loc = cfg.Location()
	l.dirtyCfg = true
	for n, c := range l.counters {
		if _, ok := cfg.Counter(n); !ok && c.Current != "" {
			if t, ok := l.tickets[c.Current]; ok && t.Status == StatusCalled {
				t.Status = StatusWaiting
				t.Counter = 0
				l.touchTicket(t)
			}
		}
	}
	l.syncCounters(now)
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: "centre.configure"})
	l.emit(now, Event{Type: EventConfigured})
}

// RollDue reports whether now is past the centre's current local day, so
// that Roll would start a new one.
func (l *Live) RollDue(now time.Time) bool { return l.localDay(now) > l.day }

// Roll starts a new local day when now has passed midnight: tickets still
// open from earlier days expire, counters close, numbering restarts.
func (l *Live) Roll(now time.Time) {
	today := l.localDay(now)
	if today <= l.day { // same day, or the clock went back: keep numbering
		return
	}
	l.day = today
	l.meta.Day = today
	l.meta.DaySeq = l.meta.LastSeq
	l.prune = true
	for k := range l.numbers {
		if k < today {
			delete(l.numbers, k)
		}
	}
	var old []*Ticket
	for _, t := range l.tickets {
		if t.Day < today {
			old = append(old, t)
		}
	}
	sortTickets(old)
	for _, t := range old {
		// The citizen's keyed hash served the day's limit: it goes with
		// the day (the ticket stays, for reports, without it).
		if t.Citizen != "" {
			t.Citizen = ""
			l.touchTicket(t)
		}
		if t.Open() {
			t.Status = StatusExpired
			t.FinishedAt = timePtr(now)
			l.touchTicket(t)
			l.emit(now, Event{Type: EventExpired, Ticket: eventTicket(t), Counter: t.Counter})
		}
	}
	nums := make([]int, 0, len(l.counters))
	for n := range l.counters {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		c := l.counters[n]
		if c.Status != CounterClosed || c.Current != "" {
			c.Status, c.Current, c.Reason, c.Clerk, c.Since = CounterClosed, "", "", "", now
			l.touchCounter(c)
			l.emit(now, Event{Type: EventClosed, Counter: n})
		}
	}
	l.meta.SincePriority = 0
	l.dirtyMeta = true
	l.closeBookings(now)
}

func sortTickets(ts []*Ticket) {
	sort.Slice(ts, func(i, j int) bool {
		return ts[i].IssuedAt.Before(ts[j].IssuedAt) || ts[i].IssuedAt.Equal(ts[j].IssuedAt) && ts[i].ID < ts[j].ID
	})
}
