package queue

// Work that comes with time rather than with a request: "your turn is
// near" as estimates shrink, booking reminders, staff alerts, online
// numbers expiring at closing. The engine runs Due for each centre on its
// ticker; DueNow tells, without changing anything, whether Due would.

import (
	"slices"
	"sort"
	"strconv"
	"time"
)

// Alert kinds.
const (
	AlertWait  = "wait"  // a service's longest wait is over its threshold
	AlertPause = "pause" // a counter is paused longer than planned
)

// Alert is a staff alert in force.
type Alert struct {
	Kind    string    `json:"kind"`
	Service string    `json:"service,omitempty"`
	Counter int       `json:"counter,omitempty"`
	Since   time.Time `json:"since"`
	// Minutes is the wait (or pause) when raised, and Limit the threshold.
	Minutes int `json:"minutes"`
	Limit   int `json:"limit"`
}

func (a Alert) key() string { return a.Kind + "/" + a.Service + "/" + strconv.Itoa(a.Counter) }

// Alerts returns the staff alerts in force.
func (l *Live) Alerts() []Alert { return slices.Clone(l.meta.Alerts) }

// DueNow reports whether Due would change anything at now.
func (l *Live) DueNow(now time.Time) bool { return l.due(now, false) }

// Due does the work that time brought: it tells near tickets, sends
// booking reminders, raises and clears alerts, expires online numbers
// at closing.
func (l *Live) Due(now time.Time) {
	l.Roll(now)
	l.due(now, true)
}

func (l *Live) due(now time.Time, apply bool) bool {
	if l.RollDue(now) {
		return true
	}
	found := false
	for _, f := range []func(time.Time, bool) bool{l.checkNearAll, l.reminders, l.checkAlerts, l.expireOnline} {
		if f(now, apply) {
			found = true
			if !apply {
				return true
			}
		}
	}
	return found
}

func (l *Live) checkNearAll(now time.Time, apply bool) bool { return l.checkNear(now, apply, nil) }

// reminders tells booked citizens the day before at 17:00 and one hour
// before their slot.
func (l *Live) reminders(now time.Time, apply bool) bool {
	var due []*Booking
	for _, b := range l.bookings {
		if b.Status != BookingActive || len(b.Notify) == 0 || !now.Before(b.Start) {
			continue
		}
		if l.reminderDue(now, b) != "" {
			if !apply {
				return true
			}
			due = append(due, b)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].Code < due[j].Code })
	for _, b := range due {
		topic := l.reminderDue(now, b)
		b.Notified = append(slices.Clip(b.Notified), topic)
		l.touchBooking(b)
		l.tellBooking(now, b, topic, nil)
	}
	return len(due) > 0
}

// ReminderHour is when the day-before reminder goes, local time.
const ReminderHour = 17

// reminderDue returns the reminder a booking is due, or "": the hour
// before its slot, or from 17:00 the day before (not for a booking made
// after that time: its confirmation was the reminder).
func (l *Live) reminderDue(now time.Time, b *Booking) string {
	if now.After(b.Start.Add(-time.Hour)) {
		if !slices.Contains(b.Notified, TopicReminderHour) && b.CreatedAt.Before(b.Start.Add(-time.Hour)) {
			return TopicReminderHour
		}
		return ""
	}
	s := b.Start.In(l.loc)
	eve := time.Date(s.Year(), s.Month(), s.Day()-1, ReminderHour, 0, 0, 0, l.loc)
	if !now.Before(eve) && b.CreatedAt.Before(eve) && !slices.Contains(b.Notified, TopicReminderDay) {
		return TopicReminderDay
	}
	return ""
}

// checkAlerts raises an alert when a service's longest wait passes its
// threshold or a counter stays paused longer than planned, and clears it
// when that ends: each as an event (alert.raised, alert.cleared), which
// consoles, admin and webhooks receive.
func (l *Live) checkAlerts(now time.Time, apply bool) bool {
	want := map[string]Alert{}
	r := l.cfg.Rules
	oldest := map[string]time.Time{}
	for _, t := range l.tickets {
		if t.Status != StatusWaiting || t.Day != l.day || t.OrderAt.After(now) {
			continue
		}
		if o, ok := oldest[t.Service]; !ok || t.OrderAt.Before(o) {
			oldest[t.Service] = t.OrderAt
		}
	}
	for svc, o := range oldest {
		limit := r.AlertWaitMinutes
		if s, ok := l.cfg.Service(svc); ok && s.AlertWaitMinutes > 0 {
			limit = s.AlertWaitMinutes
		}
		if m := int(now.Sub(o) / time.Minute); m >= limit {
			a := Alert{Kind: AlertWait, Service: svc, Since: now, Minutes: m, Limit: limit}
			want[a.key()] = a
		}
	}
	for _, c := range l.counters {
		if c.Status != CounterPaused {
			continue
		}
		limit := r.AlertPauseMinutes
		if c.Planned > 0 {
			limit = c.Planned
		}
		if m := int(now.Sub(c.Since) / time.Minute); m >= limit {
			a := Alert{Kind: AlertPause, Counter: c.Number, Since: now, Minutes: m, Limit: limit}
			want[a.key()] = a
		}
	}
	have := map[string]bool{}
	var kept []Alert
	changed := false
	for _, a := range l.meta.Alerts {
		have[a.key()] = true
		if _, ok := want[a.key()]; ok {
			kept = append(kept, a)
			continue
		}
		changed = true
		if apply {
			l.emit(now, Event{Type: EventAlertCleared, Service: a.Service, Counter: a.Counter, Reason: a.Kind})
		}
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		if !have[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := want[k]
		changed = true
		kept = append(kept, a)
		if apply {
			l.emit(now, Event{Type: EventAlertRaised, Service: a.Service, Counter: a.Counter, Reason: a.Kind, Minutes: a.Minutes})
		}
	}
	if changed && apply {
		l.meta.Alerts = kept
		l.dirtyMeta = true
	}
	return changed
}

// expireOnline expires the online numbers still waiting when the centre
// closes: they were worth a place in today's line only.
func (l *Live) expireOnline(now time.Time, apply bool) bool {
	closes, ok := l.closing(now)
	if !ok || now.Before(closes) {
		return false
	}
	var due []*Ticket
	for _, t := range l.tickets {
		if t.Source == SourceOnline && t.Status == StatusWaiting && t.Day == l.day {
			if !apply {
				return true
			}
			due = append(due, t)
		}
	}
	sortTickets(due)
	for _, t := range due {
		t.Status = StatusExpired
		t.FinishedAt = timePtr(now)
		l.touchTicket(t)
		l.emit(now, Event{Type: EventExpired, Ticket: eventTicket(t)})
	}
	return len(due) > 0
}

// closing returns today's closing time, if the centre opens today.
func (l *Live) closing(now time.Time) (time.Time, bool) {
	lt := now.In(l.loc)
	for _, h := range l.cfg.Hours {
		if h.Weekday == int(lt.Weekday()) {
			cl, _ := ParseClock(h.Close)
			return time.Date(lt.Year(), lt.Month(), lt.Day(), cl/60, cl%60, 0, 0, l.loc), true
		}
	}
	return time.Time{}, false
}

// OnlineOpen reports whether same-day numbers are taken from the phone at
// t: on a day the centre opens (hours for its weekday, not a closed
// date), from the rules' online_from to online_until, local time.
func (c *Centre) OnlineOpen(t time.Time) bool {
	lt := t.In(c.Location())
	day := lt.Format(time.DateOnly)
	if slices.Contains(c.ClosedDates, day) {
		return false
	}
	from, ok1 := ParseClock(c.Rules.OnlineFrom)
	until, ok2 := ParseClock(c.Rules.OnlineUntil)
	if !ok1 || !ok2 {
		from, until = 8*60, 16*60
	}
	m := lt.Hour()*60 + lt.Minute()
	for _, h := range c.Hours {
		if h.Weekday == int(lt.Weekday()) {
			return m >= from && m < until
		}
	}
	return false
}

// citizenNumbers counts a citizen's numbers of a day: identified tickets
// (not void, not a booking's: the booking counts) and bookings booked or
// checked in.
func (l *Live) citizenNumbers(key, day string) int {
	n := 0
	if day == l.day {
		for _, t := range l.tickets {
			if t.Citizen == key && t.Day == day && t.Booking == "" && t.Status != StatusVoid {
				n++
			}
		}
	}
	for _, code := range l.byCitizen[key] {
		if b := l.bookings[code]; b != nil && b.Day == day && (b.Status == BookingActive || b.Status == BookingCheckedIn) {
			n++
		}
	}
	return n
}

// checkDailyNumbers refuses a citizen's new number (ticket or booking) of
// a day when they hold the rules' numbers_per_day already.
func (l *Live) checkDailyNumbers(key, day string, except int) error {
	limit := l.cfg.Rules.NumbersPerDay
	if limit == 0 {
		limit = 2
	}
	if l.citizenNumbers(key, day)-except >= limit {
		return Errorf(ELimitReached, "at most %d numbers per person per day (walk-in numbers, online numbers and bookings together)", "mỗi người được lấy tối đa %d số một ngày (số tại quầy, số trực tuyến và lịch hẹn cộng lại)", limit)
	}
	return nil
}

// CloseDay cancels every active booking of a day the centre must close
// unexpectedly, telling each citizen who asked to be told, with the
// staff's message; the day becomes a closed date (no new bookings). It
// returns how many bookings it cancelled.
func (l *Live) CloseDay(now time.Time, day, message, actor string) (int, error) {
	l.Roll(now)
	if _, err := time.Parse(time.DateOnly, day); err != nil || !dateRe.MatchString(day) {
		return 0, Errorf(EInvalid, "date %q: use YYYY-MM-DD", "ngày %q: dùng YYYY-MM-DD", day).At("date")
	}
	if day < l.day {
		return 0, Errorf(EInvalid, "%s has passed", "ngày %s đã qua", day).At("date")
	}
	message = NFC(message)
	if err := CheckText("message", message, 300); err != nil {
		return 0, err
	}
	if message == "" {
		return 0, Errorf(EInvalid, "a message for the citizens is required", "cần lời nhắn gửi công dân").At("message")
	}
	if !slices.Contains(l.cfg.ClosedDates, day) {
		cfg := l.cfg
		cfg.ClosedDates = append(slices.Clone(cfg.ClosedDates), day)
		sort.Strings(cfg.ClosedDates)
		l.cfg = cfg
		l.dirtyCfg = true
	}
	var codes []string
	for code, b := range l.bookings {
		if b.Day == day && b.Status == BookingActive {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		b := l.bookings[code]
		b.Status = BookingCancelled
		b.CancelledAt = timePtr(now)
		l.slotTaken[slotKey(b.Service, b.Start)]--
		l.touchBooking(b)
		l.emit(now, Event{Type: EventCancelled, Booking: &EventBooking{Service: b.Service, Start: b.Start, Source: b.Source}})
		l.tellBooking(now, b, TopicCentreClosed, map[string]string{"message": message})
	}
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: "centre.close_day", Reason: day + ": " + message})
	return len(codes), nil
}
