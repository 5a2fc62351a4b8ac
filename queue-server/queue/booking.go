package queue

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"xephang/queue-server/queue/personname"
)

// Booking statuses.
const (
	BookingActive    = "booked"
	BookingCancelled = "cancelled"
	BookingCheckedIn = "checked_in"
	BookingNoShow    = "no_show"
)

// Booking sources.
const (
	BookedOnline = "online"
	BookedStaff  = "staff"
	BookedKiosk  = "kiosk"
)

// Citizen is who a booking is for, as stored: the CCCD number only as a
// keyed hash (Key, for matching) and masked (for reading back), name in
// NFC, phone. Purged after the centre's retention period.
type Citizen struct {
	Key      string `json:"key,omitempty"`
	IDMasked string `json:"id_masked,omitempty"`
	Name     string `json:"name,omitempty"`
	Phone    string `json:"phone,omitempty"`
}

// Booking is one citizen's appointment in a slot.
type Booking struct {
	Code        string     `json:"code"`
	Centre      string     `json:"centre"`
	Service     string     `json:"service"`
	Start       time.Time  `json:"start"`
	End         time.Time  `json:"end"`
	Day         string     `json:"day"` // local date of Start
	Status      string     `json:"status"`
	Citizen     Citizen    `json:"citizen"`
	Source      string     `json:"source"`
	CreatedAt   time.Time  `json:"created_at"`
	Reschedules int        `json:"reschedules,omitempty"`
	Ticket      string     `json:"ticket,omitempty"`
	CheckedInAt *time.Time `json:"checked_in_at,omitempty"`
	Late        bool       `json:"late,omitempty"` // checked in after the grace period: a walk-in
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
	Purged      bool       `json:"purged,omitempty"`
	// Form: its citizen filled the procedure's form (kept in the store's
	// Dossiers); the ticket of its check-in starts with it.
	Form bool `json:"form,omitempty"`
	// Notify are the channels its citizen chose (addresses in its
	// Contact); Notified the reminders already sent.
	Notify   []string `json:"notify,omitempty"`
	Notified []string `json:"notified,omitempty"`
}

// NoShow is one missed booking of a citizen, kept (by the citizen's key)
// for the no-show rule.
type NoShow struct {
	Key  string    `json:"key"`
	At   time.Time `json:"at"`
	Code string    `json:"code"`
}

// Slot is a bookable period of a service.
type Slot struct {
	Start     time.Time
	End       time.Time
	Capacity  int
	Available int
	TooSoon   bool // starts within the minimum notice (or has passed)
}

// BookRequest asks for a booking. Code is chosen by the caller, unique
// among all bookings of the store; Citizen.Key is the keyed hash of the
// validated CCCD number.
type BookRequest struct {
	Code    string
	Service string
	Start   time.Time
	Citizen Citizen
	Source  string
	Actor   string
	Notify  *NotifyRequest // how the citizen asked to be told, if at all
}

func (l *Live) bookingService(code string) (Service, error) {
	svc, ok := l.cfg.Service(code)
	if !ok {
		return svc, Errorf(ENotFound, "unknown service %q", "không có lĩnh vực %q", code)
	}
	if !svc.Bookable {
		return svc, Errorf(EInvalid, "service %s cannot be booked online", "lĩnh vực %s không nhận đặt lịch trực tuyến", code)
	}
	return svc, nil
}

// slotCapacity is how many bookings one slot of the service takes.
func (l *Live) slotCapacity(svc Service) int {
	c := svc.SlotCapacity
	if svc.WalkInShare > 0 {
		counters := 0
		for _, k := range l.cfg.Counters {
			if slices.Contains(k.Services, svc.Code) {
				counters++
			}
		}
		throughput := float64(counters*svc.SlotMinutes) / float64(max(1, svc.Minutes))
		c = min(c, int(throughput*float64(100-svc.WalkInShare)/100))
	}
	return max(c, 0)
}

// daySlots lists the slots of a service on a local date: from each
// opening, every SlotMinutes, each slot wholly inside the hours and outside
// breaks. Starts follow the local clock (a start that does not exist on
// the day clocks go forward is skipped), so DST days are right.
func (l *Live) daySlots(svc Service, date time.Time) []Slot {
	day := date.Format(time.DateOnly)
	if slices.Contains(l.cfg.ClosedDates, day) {
		return nil
	}
	var out []Slot
	capacity := l.slotCapacity(svc)
	for _, h := range l.cfg.Hours {
		if h.Weekday != int(date.Weekday()) {
			continue
		}
		open, _ := ParseClock(h.Open)
		closing, _ := ParseClock(h.Close)
		for m := open; m+svc.SlotMinutes <= closing; m += svc.SlotMinutes {
			if l.inBreak(m, m+svc.SlotMinutes) {
				continue
			}
			start := time.Date(date.Year(), date.Month(), date.Day(), m/60, m%60, 0, 0, l.loc)
			if start.Hour()*60+start.Minute() != m {
				continue // a local time that does not exist (clocks went forward)
			}
			// A slot lasts its real duration, also across a clock change.
			end := start.Add(time.Duration(svc.SlotMinutes) * time.Minute)
			out = append(out, Slot{Start: start, End: end, Capacity: capacity})
		}
	}
	return out
}

func (l *Live) inBreak(from, to int) bool {
	for _, b := range l.cfg.Breaks {
		s, _ := ParseClock(b.Start)
		e, _ := ParseClock(b.End)
		if from < e && to > s {
			return true
		}
	}
	return false
}

func slotKey(service string, start time.Time) string {
	return service + "@" + start.UTC().Format(time.RFC3339)
}

// bookableDay checks a local date is inside the booking window.
func (l *Live) bookableDay(now time.Time, date string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, l.loc)
	if err != nil {
		return d, Errorf(EInvalid, "date %q: use YYYY-MM-DD", "ngày %q: dùng dạng YYYY-MM-DD", date)
	}
	today, _ := time.ParseInLocation(time.DateOnly, l.localDay(now), l.loc)
	last := today.AddDate(0, 0, l.cfg.Rules.BookingDays-1)
	if d.Before(today) || d.After(last) {
		return d, Errorf(EInvalid, "bookings are taken from %s to %s", "chỉ nhận đặt lịch từ ngày %s đến ngày %s", today.Format("02/01/2006"), last.Format("02/01/2006"))
	}
	return d, nil
}

// Slots lists the slots of a service on a local date with the places
// left. Slots that start within the minimum notice have none.
func (l *Live) Slots(now time.Time, service, date string) ([]Slot, error) {
	svc, err := l.bookingService(service)
	if err != nil {
		return nil, err
	}
	d, err := l.bookableDay(now, date)
	if err != nil {
		return nil, err
	}
	slots := l.daySlots(svc, d)
	notice := now.Add(time.Duration(l.cfg.Rules.MinNoticeMinutes) * time.Minute)
	for i := range slots {
		s := &slots[i]
		s.Available = max(0, s.Capacity-l.slotTaken[slotKey(service, s.Start)])
		if s.Start.Before(notice) {
			s.Available, s.TooSoon = 0, true
		}
	}
	return slots, nil
}

// findSlot returns the slot of the service starting at start, checking the
// window and notice.
func (l *Live) findSlot(now time.Time, svc Service, start time.Time) (Slot, error) {
	local := start.In(l.loc)
	d, err := l.bookableDay(now, local.Format(time.DateOnly))
	if err != nil {
		return Slot{}, err
	}
	if start.Before(now.Add(time.Duration(l.cfg.Rules.MinNoticeMinutes) * time.Minute)) {
		return Slot{}, Errorf(EInvalid, "this slot has passed or starts in less than %d minutes", "khung giờ này đã qua hoặc bắt đầu sau chưa đầy %d phút", l.cfg.Rules.MinNoticeMinutes)
	}
	for _, s := range l.daySlots(svc, d) {
		if s.Start.Equal(start) {
			return s, nil
		}
	}
	return Slot{}, Errorf(EInvalid, "no slot of service %s starts at %s (outside opening hours?)", "lĩnh vực %s không có khung giờ bắt đầu lúc %s (ngoài giờ làm việc?)", svc.Code, local.Format("15:04 02/01/2006"))
}

// checkCitizen applies the no-show block and the per-citizen limits on the
// day of a slot, not counting the booking being moved (except).
func (l *Live) checkCitizen(now time.Time, key, service, day, except string) error {
	r := l.cfg.Rules
	var recent []time.Time
	for _, at := range l.noShows[key] {
		if now.Sub(at) < time.Duration(r.NoShowWindowDays)*24*time.Hour {
			recent = append(recent, at)
		}
	}
	if len(recent) >= r.NoShowLimit && r.NoShowBlockDays > 0 {
		until := slices.MaxFunc(recent, time.Time.Compare).Add(time.Duration(r.NoShowBlockDays) * 24 * time.Hour)
		if now.Before(until) {
			return Errorf(EBookingBlocked, "online booking is blocked until %s after %d missed appointments; please take a number at the centre", "bạn đã lỡ hẹn %[2]d lần nên không thể đặt lịch trực tuyến đến ngày %[1]s; vui lòng lấy số tại trung tâm", until.In(l.loc).Format("02/01/2006"), len(recent))
		}
	}
	total, same := 0, 0
	for _, code := range l.byCitizen[key] {
		b := l.bookings[code]
		if b == nil || b.Code == except || b.Status != BookingActive || b.Day != day {
			continue
		}
		total++
		if b.Service == service {
			same++
		}
	}
	if err := l.checkDailyNumbers(key, day, exceptSameDay(l.bookings[except], day)); err != nil {
		return err
	}
	if same >= r.BookingsPerService {
		return Errorf(ELimitReached, "you already have a booking for this service on that day", "bạn đã có lịch hẹn cho lĩnh vực này trong ngày đó")
	}
	if total >= r.BookingsPerDay {
		return Errorf(ELimitReached, "at most %d bookings per person per day", "mỗi người được đặt tối đa %d lịch hẹn một ngày", r.BookingsPerDay)
	}
	return nil
}

// MaskedDigits is how many last digits of a CCCD number a masked number
// shows: with four, the number's structure (province, century, year) left
// about ten thousand candidates to test against a copied database.
const MaskedDigits = 2

// MaskID masks a CCCD number, or re-masks one masked with more digits
// (bookings made before the mask was shortened kept four): every character
// but the last MaskedDigits becomes a bullet.
func MaskID(s string) string {
	r := []rune(s)
	if len(r) <= MaskedDigits {
		return s
	}
	return strings.Repeat("•", len(r)-MaskedDigits) + string(r[len(r)-MaskedDigits:])
}

// CitizenName returns a citizen's full name in its stored form, or an
// EInvalid error saying why it is not a name: the one rule of package
// personname, for every way a booking is made.
func CitizenName(s string) (string, error) {
	name, err := personname.Parse(s)
	var pe *personname.Error
	if errors.As(err, &pe) {
		return "", (&Error{Code: EInvalid, EN: "full name: " + pe.EN, VI: "họ và tên: " + pe.VI}).At("citizen.name")
	}
	return name, err
}

var phoneSeparators = strings.NewReplacer(" ", "", ".", "", "-", "")

// ValidPhone reports whether s is a Vietnamese mobile number: 10 digits
// starting 03, 05, 07, 08 or 09 (or +84 / 84 and the 9 digits after the 0).
// It returns the number in its 0… form.
func ValidPhone(s string) (string, bool) {
	s = phoneSeparators.Replace(s)
	switch {
	case strings.HasPrefix(s, "+84"):
		s = "0" + s[3:]
	case strings.HasPrefix(s, "84") && len(s) == 11:
		s = "0" + s[2:]
	}
	if len(s) != 10 || s[0] != '0' || !strings.ContainsRune("35789", rune(s[1])) {
		return "", false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return s, true
}

// Book takes a place in a slot for a citizen, atomically with the slot's
// capacity and the citizen's limits.
func (l *Live) Book(now time.Time, r BookRequest) (Booking, error) {
	l.Roll(now)
	svc, err := l.bookingService(r.Service)
	if err != nil {
		return Booking{}, err
	}
	name, err := CitizenName(r.Citizen.Name)
	if err != nil {
		return Booking{}, err
	}
	r.Citizen.Name = name
	phone, ok := ValidPhone(r.Citizen.Phone)
	if !ok {
		return Booking{}, Errorf(EInvalid, "phone: a Vietnamese mobile number of 10 digits", "số điện thoại: số di động Việt Nam gồm 10 chữ số").At("citizen.phone")
	}
	r.Citizen.Phone = phone
	if r.Citizen.Key == "" || r.Code == "" {
		return Booking{}, Errorf(EInvalid, "a CCCD number is required", "cần số căn cước công dân")
	}
	if _, dup := l.bookings[r.Code]; dup {
		return Booking{}, Errorf(EConflict, "booking code collision; try again", "trùng mã đặt lịch; vui lòng thử lại")
	}
	slot, err := l.findSlot(now, svc, r.Start)
	if err != nil {
		return Booking{}, err
	}
	day := slot.Start.In(l.loc).Format(time.DateOnly)
	if err := l.checkCitizen(now, r.Citizen.Key, svc.Code, day, ""); err != nil {
		return Booking{}, err
	}
	if r.Notify != nil {
		if _, err := l.contact(now, *r.Notify, RefBooking, "", now); err != nil {
			return Booking{}, err
		}
	}
	key := slotKey(svc.Code, slot.Start)
	if l.slotTaken[key] >= slot.Capacity {
		return Booking{}, Errorf(ESlotFull, "this slot is full: choose another", "khung giờ này đã hết chỗ: vui lòng chọn khung giờ khác")
	}
	b := &Booking{
		Code: r.Code, Centre: l.cfg.ID, Service: svc.Code, Start: slot.Start, End: slot.End, Day: day,
		Status: BookingActive, Citizen: r.Citizen, Source: r.Source, CreatedAt: now,
	}
	l.addBooking(b)
	l.slotTaken[key]++
	l.touchBooking(b)
	l.audit = append(l.audit, Audit{At: now, Actor: r.Actor, Action: "booking.create", Booking: b.Code})
	l.emit(now, Event{Type: EventBooked, Booking: &EventBooking{Service: b.Service, Start: b.Start, Source: b.Source}})
	if r.Notify != nil && !r.Notify.Empty() {
		if err := l.notifyBooking(now, b, *r.Notify, r.Actor); err != nil {
			panic(err) // checked above
		}
		l.tellBooking(now, b, TopicBooked, nil)
	}
	return *b, nil
}

func (l *Live) addBooking(b *Booking) {
	l.bookings[b.Code] = b
	if b.Citizen.Key != "" && !slices.Contains(l.byCitizen[b.Citizen.Key], b.Code) {
		l.byCitizen[b.Citizen.Key] = append(l.byCitizen[b.Citizen.Key], b.Code)
	}
}

func (l *Live) touchBooking(b *Booking) { l.dirtyB[b.Code] = true; l.version++ }

// Booking returns a live booking (active, or of the last day or later).
func (l *Live) Booking(code string) (Booking, bool) {
	b, ok := l.bookings[code]
	if !ok {
		return Booking{}, false
	}
	return *b, true
}

func (l *Live) activeBooking(code, key string, staff bool) (*Booking, error) {
	b, ok := l.bookings[code]
	if !ok {
		return nil, Errorf(ENotFound, "no booking %s", "không có lịch hẹn %s", code)
	}
	if !staff && b.Citizen.Key != key {
		// Same answer as a missing code: a wrong number tells nothing.
		return nil, Errorf(ENotFound, "no booking %s for this CCCD number", "không có lịch hẹn %s với số căn cước này", code)
	}
	if b.Status != BookingActive {
		return nil, Errorf(EConflict, "booking %s is %s", "lịch hẹn %s đang ở trạng thái %s", code, b.Status)
	}
	return b, nil
}

// CancelBooking cancels an active booking: the citizen proves it is theirs
// by the key of their CCCD number; staff need not.
func (l *Live) CancelBooking(now time.Time, code, key string, staff bool, actor string) (Booking, error) {
	l.Roll(now)
	b, err := l.activeBooking(code, key, staff)
	if err != nil {
		return Booking{}, err
	}
	b.Status = BookingCancelled
	b.CancelledAt = timePtr(now)
	l.slotTaken[slotKey(b.Service, b.Start)]--
	l.touchBooking(b)
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: "booking.cancel", Booking: code})
	l.emit(now, Event{Type: EventCancelled, Booking: &EventBooking{Service: b.Service, Start: b.Start, Source: b.Source}})
	if staff {
		l.tellBooking(now, b, TopicCancelled, nil)
	}
	return *b, nil
}

// Reschedule moves an active booking to another slot of its service, at
// most MaxReschedules times, under the same rules as a new booking.
func (l *Live) Reschedule(now time.Time, code, key string, start time.Time, staff bool, actor string) (Booking, error) {
	l.Roll(now)
	b, err := l.activeBooking(code, key, staff)
	if err != nil {
		return Booking{}, err
	}
	if b.Reschedules >= l.cfg.Rules.MaxReschedules {
		return Booking{}, Errorf(ELimitReached, "a booking can be changed at most %d times", "mỗi lịch hẹn chỉ được đổi tối đa %d lần", l.cfg.Rules.MaxReschedules)
	}
	svc, err := l.bookingService(b.Service)
	if err != nil {
		return Booking{}, err
	}
	if start.Equal(b.Start) {
		return Booking{}, Errorf(EInvalid, "the booking is already at that time", "lịch hẹn đã ở khung giờ này")
	}
	slot, err := l.findSlot(now, svc, start)
	if err != nil {
		return Booking{}, err
	}
	day := slot.Start.In(l.loc).Format(time.DateOnly)
	if err := l.checkCitizen(now, b.Citizen.Key, b.Service, day, b.Code); err != nil {
		return Booking{}, err
	}
	newKey := slotKey(b.Service, slot.Start)
	if l.slotTaken[newKey] >= slot.Capacity {
		return Booking{}, Errorf(ESlotFull, "this slot is full: choose another", "khung giờ này đã hết chỗ: vui lòng chọn khung giờ khác")
	}
	from := b.Start
	l.slotTaken[slotKey(b.Service, b.Start)]--
	l.slotTaken[newKey]++
	b.Start, b.End, b.Day = slot.Start, slot.End, day
	b.Reschedules++
	l.touchBooking(b)
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: "booking.reschedule", Booking: code})
	l.emit(now, Event{Type: EventRescheduled, Booking: &EventBooking{Service: b.Service, Start: b.Start, From: from, Source: b.Source}})
	return *b, nil
}

// CheckIn turns today's booking into a ticket. Check-in opens
// CheckInEarlyMinutes before the slot; the ticket waits for its slot and is
// then called before walk-ins. After LateGraceMinutes past the slot start
// the ticket is an ordinary walk-in, still marked as from the booking.
func (l *Live) CheckIn(now time.Time, code, kiosk, actor string) (Ticket, Booking, error) {
	l.Roll(now)
	b, err := l.activeBooking(code, "", true)
	if err != nil {
		return Ticket{}, Booking{}, err
	}
	return l.checkIn(now, b, kiosk, actor)
}

func (l *Live) checkIn(now time.Time, b *Booking, kiosk, actor string) (Ticket, Booking, error) {
	r := l.cfg.Rules
	if b.Day != l.day {
		return Ticket{}, Booking{}, Errorf(ECheckInClosed, "this booking is for %s, not today", "lịch hẹn này vào ngày %s, không phải hôm nay", b.Start.In(l.loc).Format("02/01/2006"))
	}
	opens := b.Start.Add(-time.Duration(r.CheckInEarlyMinutes) * time.Minute)
	if now.Before(opens) {
		return Ticket{}, Booking{}, Errorf(ECheckInClosed, "check-in opens at %s", "có thể xác nhận đến từ %s", opens.In(l.loc).Format("15:04"))
	}
	late := now.After(b.Start.Add(time.Duration(r.LateGraceMinutes) * time.Minute))
	req := IssueRequest{Service: b.Service, Source: SourceBooking, Kiosk: kiosk, Booking: b.Code, Key: "booking:" + b.Code}
	if !late {
		start := b.Start
		req.SlotStart = &start
	}
	t, err := l.Issue(now, req)
	if err != nil {
		return Ticket{}, Booking{}, err
	}
	if b.Form {
		tk := l.tickets[t.ID]
		tk.Dossier = &DossierMark{Form: true}
		t = *tk
	}
	b.Status = BookingCheckedIn
	b.CheckedInAt = timePtr(now)
	b.Ticket = t.ID
	b.Late = late
	l.touchBooking(b)
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: "booking.check_in", Booking: b.Code, Ticket: t.ID})
	l.emit(now, Event{Type: EventCheckedIn, Booking: &EventBooking{Service: b.Service, Start: b.Start, Source: b.Source}, Ticket: eventTicket(&t)})
	return t, *b, nil
}

// CheckInCitizen checks in the citizen's next active booking of today, found
// by the key of the CCCD number read at the kiosk.
func (l *Live) CheckInCitizen(now time.Time, key, kiosk, actor string) (Ticket, Booking, error) {
	l.Roll(now)
	var todays []*Booking
	for _, code := range l.byCitizen[key] {
		if b := l.bookings[code]; b != nil && b.Status == BookingActive && b.Day == l.day {
			todays = append(todays, b)
		}
	}
	if len(todays) == 0 {
		return Ticket{}, Booking{}, Errorf(ENotFound, "no booking today for this ID card", "không có lịch hẹn hôm nay với thẻ căn cước này")
	}
	sort.Slice(todays, func(i, j int) bool { return todays[i].Start.Before(todays[j].Start) })
	return l.checkIn(now, todays[0], kiosk, actor)
}

// closeBookings records the no-shows of days before today and forgets
// bookings that are over.
func (l *Live) closeBookings(now time.Time) {
	var codes []string
	for code, b := range l.bookings {
		if b.Day < l.day {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		b := l.bookings[code]
		if b.Status == BookingActive {
			b.Status = BookingNoShow
			l.touchBooking(b)
			ns := NoShow{Key: b.Citizen.Key, At: b.Start, Code: b.Code}
			l.noShows[ns.Key] = append(l.noShows[ns.Key], ns.At)
			l.newNoShows = append(l.newNoShows, ns)
			l.emit(now, Event{Type: EventBookNoShow, Booking: &EventBooking{Service: b.Service, Start: b.Start, Source: b.Source}})
		}
	}
}

// pruneBookings drops from memory the bookings of days before today once
// their changes are taken.
func (l *Live) pruneBookings() {
	for code, b := range l.bookings {
		if b.Day < l.day && !l.dirtyB[code] {
			delete(l.bookings, code)
			delete(l.slotTaken, slotKey(b.Service, b.Start))
			codes := l.byCitizen[b.Citizen.Key]
			if i := slices.Index(codes, code); i >= 0 {
				codes = slices.Delete(codes, i, i+1)
			}
			if len(codes) == 0 {
				delete(l.byCitizen, b.Citizen.Key)
			} else {
				l.byCitizen[b.Citizen.Key] = codes
			}
		}
	}
	window := time.Duration(l.cfg.Rules.NoShowWindowDays) * 24 * time.Hour
	for k, ats := range l.noShows {
		ats = slices.DeleteFunc(ats, func(at time.Time) bool { return l.dayStart().Sub(at) > window })
		if len(ats) == 0 {
			delete(l.noShows, k)
		} else {
			l.noShows[k] = ats
		}
	}
}

func (l *Live) dayStart() time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, l.day, l.loc)
	return d
}

// Bookings returns the live bookings of a local day, by start.
func (l *Live) Bookings(day string) []Booking {
	var out []Booking
	for _, b := range l.bookings {
		if b.Day == day {
			out = append(out, *b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Start.Before(out[j].Start) || out[i].Start.Equal(out[j].Start) && out[i].Code < out[j].Code
	})
	return out
}

// exceptSameDay is 1 when a booking being moved already counts among its
// citizen's numbers of day (it is not a new one), else 0.
func exceptSameDay(b *Booking, day string) int {
	if b != nil && b.Day == day && b.Status == BookingActive {
		return 1
	}
	return 0
}
