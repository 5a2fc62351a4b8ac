package queue

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// DefaultTimezone is the time zone of a centre that names none.
const DefaultTimezone = "Asia/Ho_Chi_Minh"

// Priority modes of a centre.
const (
	PriorityStrict     = "strict"     // legal-priority tickets always first
	PriorityInterleave = "interleave" // one priority ticket after every N others
)

// Centre is a service centre's configuration, as PUT by an admin.
type Centre struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Address     string          `json:"address,omitempty"`
	Timezone    string          `json:"timezone"`
	Hours       []Hours         `json:"hours"`
	Breaks      []Break         `json:"breaks,omitempty"`
	ClosedDates []string        `json:"closed_dates,omitempty"` // YYYY-MM-DD, local
	Services    []Service       `json:"services"`
	Counters    []CounterConfig `json:"counters"`
	Rules       Rules           `json:"rules"`
}

// Hours are the opening hours of one weekday (0 = Sunday … 6 = Saturday).
type Hours struct {
	Weekday int    `json:"weekday"`
	Open    string `json:"open"`  // HH:MM local
	Close   string `json:"close"` // HH:MM local
}

// Break is a daily closed period inside opening hours (lunch).
type Break struct {
	Start string `json:"start"` // HH:MM local
	End   string `json:"end"`   // HH:MM local
}

// Service is one kind of procedure a centre serves, with its letter code.
type Service struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	NameEn       string `json:"name_en,omitempty"`
	Minutes      int    `json:"minutes"` // expected service time, seeds the estimate
	Bookable     bool   `json:"bookable"`
	SlotMinutes  int    `json:"slot_minutes,omitempty"`
	SlotCapacity int    `json:"slot_capacity,omitempty"`
	// WalkInShare is the percentage of the service's counter time in each
	// slot kept for walk-ins: a slot takes at most (100 − share)% of what
	// the counters serving it can serve in it, and at most SlotCapacity.
	WalkInShare int `json:"walk_in_share,omitempty"`
	// Papers are what a citizen should bring, printed on the booking
	// confirmation (the dossier catalogue refines them by procedure).
	Papers []string `json:"papers,omitempty"`
	// AlertWaitMinutes overrides the rules' alert_wait_minutes for the
	// service (0: the rules').
	AlertWaitMinutes int `json:"alert_wait_minutes,omitempty"`
}

// CounterConfig is a counter (quầy) and the services it serves.
type CounterConfig struct {
	Number   int      `json:"number"`
	Name     string   `json:"name"`
	Services []string `json:"services"`
}

// Rules are a centre's tunable queueing rules; zero values take defaults.
type Rules struct {
	PriorityMode     string `json:"priority_mode,omitempty"`      // strict (default) or interleave
	PriorityEvery    int    `json:"priority_every,omitempty"`     // interleave: priority after every N others (default 3)
	NoShowMinCalls   int    `json:"no_show_min_calls,omitempty"`  // calls before a no-show is allowed (default 2)
	RecallGapSeconds int    `json:"recall_gap_seconds,omitempty"` // minimum gap between calls of a ticket (default 30)

	// Booking rules (defaults after iHanoi's online numbers).
	BookingDays         int `json:"booking_days,omitempty"`           // bookable days from today (default 7: today + 6)
	MinNoticeMinutes    int `json:"min_notice_minutes,omitempty"`     // a slot must start at least this far ahead (default 30)
	BookingsPerDay      int `json:"bookings_per_day,omitempty"`       // active bookings per citizen per day (default 2)
	BookingsPerService  int `json:"bookings_per_service,omitempty"`   // … of one service per day (default 1)
	MaxReschedules      int `json:"max_reschedules,omitempty"`        // changes of a booking (default 2)
	CheckInEarlyMinutes int `json:"check_in_early_minutes,omitempty"` // check-in opens this long before the slot (default 60)
	LateGraceMinutes    int `json:"late_grace_minutes,omitempty"`     // after the slot start, a later arrival is a walk-in (default 15)
	NoShowLimit         int `json:"no_show_limit,omitempty"`          // no-shows within NoShowWindowDays that block booking (default 2)
	NoShowWindowDays    int `json:"no_show_window_days,omitempty"`    // default 60
	NoShowBlockDays     int `json:"no_show_block_days,omitempty"`     // how long booking stays blocked (default 30)
	RetentionDays       int `json:"retention_days,omitempty"`         // personal data of bookings is purged this long after the slot (default 30)

	// The window in which kiosks issue walk-in numbers, relative to each
	// day's opening and closing (defaults 30 and 30): a kiosk does not
	// print A001 at 01:23 for a centre that opens at 07:30. Staff issue
	// at any time. Pointers: zero is a real setting (at opening).
	WalkInOpensMinutesBefore  *int `json:"walk_in_opens_minutes_before,omitempty"`
	WalkInClosesMinutesBefore *int `json:"walk_in_closes_minutes_before,omitempty"`

	// Same-day numbers from the phone: the local window they are taken in
	// (defaults 08:00 and 16:00, on days the centre opens), and how many
	// numbers one citizen holds a day, walk-in numbers identified by a
	// card read, online numbers and bookings together (default 2).
	OnlineFrom    string `json:"online_from,omitempty"`
	OnlineUntil   string `json:"online_until,omitempty"`
	NumbersPerDay int    `json:"numbers_per_day,omitempty"`

	// Notifications: "your turn is near" when a ticket reaches position
	// NearPosition or an estimated wait of NearMinutes (defaults 3 and 10);
	// PhoneChannels are the gateways a phone message tries, in order
	// (default zns then sms; those the server has configured).
	NearPosition  int      `json:"near_position,omitempty"`
	NearMinutes   int      `json:"near_minutes,omitempty"`
	PhoneChannels []string `json:"phone_channels,omitempty"`

	// Staff alerts: a service's longest wait over AlertWaitMinutes
	// (default 45, or per service), a counter paused longer than planned
	// (the pause's minutes, else AlertPauseMinutes, default 15).
	AlertWaitMinutes  int `json:"alert_wait_minutes,omitempty"`
	AlertPauseMinutes int `json:"alert_pause_minutes,omitempty"`

	// NotifyExpiryMinutes: a ticket's message not delivered within this
	// many minutes is given up (default 30): a "called" an hour late
	// misleads.
	NotifyExpiryMinutes int `json:"notify_expiry_minutes,omitempty"`
}

// Gateways of phone messages (Rules.PhoneChannels).
const (
	GatewayZNS = "zns"
	GatewaySMS = "sms"
)

// Defaults applied by Normalize.
const (
	DefaultPriorityEvery    = 3
	DefaultNoShowMinCalls   = 2
	DefaultRecallGapSeconds = 30
	DefaultServiceMinutes   = 10
	// DefaultWalkInMinutes is how long before opening kiosks start issuing
	// numbers, and how long before closing they stop.
	DefaultWalkInMinutes = 30
)

var (
	centreIDRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	serviceCodeRe = regexp.MustCompile(`^[A-Z]{1,2}$`)
	dateRe        = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// ValidCentreID reports whether id is a well-formed centre id (lower-case
// letters, digits and hyphens, at most 64).
func ValidCentreID(id string) bool { return centreIDRe.MatchString(id) }

// NFC returns s in Unicode normalisation form C with surrounding space trimmed.
func NFC(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// Normalize fills defaults and puts every text in NFC.
func (c *Centre) Normalize() {
	c.Name = NFC(c.Name)
	c.Address = NFC(c.Address)
	if c.Timezone == "" {
		c.Timezone = DefaultTimezone
	}
	for i := range c.Services {
		s := &c.Services[i]
		s.Code = strings.ToUpper(strings.TrimSpace(s.Code))
		s.Name = NFC(s.Name)
		s.NameEn = NFC(s.NameEn)
		for j := range s.Papers {
			s.Papers[j] = NFC(s.Papers[j])
		}
		if s.Minutes == 0 {
			s.Minutes = DefaultServiceMinutes
		}
		if s.Bookable && s.SlotMinutes == 0 {
			s.SlotMinutes = 15
		}
		if s.Bookable && s.SlotCapacity == 0 {
			s.SlotCapacity = 1
		}
	}
	for i := range c.Counters {
		k := &c.Counters[i]
		k.Name = NFC(k.Name)
		for j := range k.Services {
			k.Services[j] = strings.ToUpper(strings.TrimSpace(k.Services[j]))
		}
	}
	sort.Slice(c.Counters, func(i, j int) bool { return c.Counters[i].Number < c.Counters[j].Number })
	r := &c.Rules
	if r.PriorityMode == "" {
		r.PriorityMode = PriorityStrict
	}
	if r.PriorityEvery == 0 {
		r.PriorityEvery = DefaultPriorityEvery
	}
	if r.NoShowMinCalls == 0 {
		r.NoShowMinCalls = DefaultNoShowMinCalls
	}
	if r.RecallGapSeconds == 0 {
		r.RecallGapSeconds = DefaultRecallGapSeconds
	}
	for _, d := range []struct {
		v   *int
		def int
	}{
		{&r.BookingDays, 7}, {&r.MinNoticeMinutes, 30}, {&r.BookingsPerDay, 2}, {&r.BookingsPerService, 1},
		{&r.MaxReschedules, 2}, {&r.CheckInEarlyMinutes, 60}, {&r.LateGraceMinutes, 15},
		{&r.NoShowLimit, 2}, {&r.NoShowWindowDays, 60}, {&r.NoShowBlockDays, 30}, {&r.RetentionDays, 30},
		{&r.NumbersPerDay, 2}, {&r.NearPosition, 3}, {&r.NearMinutes, 10}, {&r.AlertWaitMinutes, 45}, {&r.AlertPauseMinutes, 15},
		{&r.NotifyExpiryMinutes, 30},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if r.OnlineFrom == "" {
		r.OnlineFrom = "08:00"
	}
	if r.OnlineUntil == "" {
		r.OnlineUntil = "16:00"
	}
	if r.PhoneChannels == nil {
		r.PhoneChannels = []string{GatewayZNS, GatewaySMS}
	}
	for _, p := range []**int{&r.WalkInOpensMinutesBefore, &r.WalkInClosesMinutesBefore} {
		if *p == nil {
			v := DefaultWalkInMinutes
			*p = &v
		}
	}
}

// Validate checks a normalised centre and returns an EInvalid *Error naming
// the first problem.
func (c *Centre) Validate() error {
	if !ValidCentreID(c.ID) {
		return Errorf(EInvalid, "centre id %q: use lower-case letters, digits and hyphens", "mã trung tâm %q: chỉ dùng chữ thường, số và dấu gạch ngang", c.ID).At("id")
	}
	if c.Name == "" || len(c.Name) > 200 {
		return Errorf(EInvalid, "centre name is required (at most 200 bytes)", "cần tên trung tâm (tối đa 200 byte)").At("name")
	}
	if err := CheckText("name", c.Name, 200); err != nil {
		return err
	}
	if err := CheckText("address", c.Address, 500); err != nil {
		return err
	}
	// "Local" is the server's own zone, whatever the machine says: a
	// centre names its zone (IANA, e.g. Asia/Ho_Chi_Minh).
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "Local" || c.Timezone == "" {
		return Errorf(EInvalid, "time zone %q: an IANA name such as Asia/Ho_Chi_Minh", "múi giờ %q: dùng tên IANA, ví dụ Asia/Ho_Chi_Minh", c.Timezone).At("timezone")
	}
	seenDay := map[int]bool{}
	for i, h := range c.Hours {
		if h.Weekday < 0 || h.Weekday > 6 {
			return Errorf(EInvalid, "weekday %d: use 0 (Sunday) to 6 (Saturday)", "thứ %d: dùng 0 (Chủ nhật) đến 6 (Thứ bảy)", h.Weekday).At(fmt.Sprintf("hours[%d].weekday", i))
		}
		if seenDay[h.Weekday] {
			return Errorf(EInvalid, "weekday %d is listed twice", "thứ %d bị khai báo hai lần", h.Weekday).At(fmt.Sprintf("hours[%d].weekday", i))
		}
		seenDay[h.Weekday] = true
		o, ok1 := ParseClock(h.Open)
		cl, ok2 := ParseClock(h.Close)
		if !ok1 || !ok2 || o >= cl {
			return Errorf(EInvalid, "hours of weekday %d: open and close are HH:MM, open before close", "giờ làm việc thứ %d: giờ mở và đóng dạng HH:MM, mở trước đóng", h.Weekday).At(fmt.Sprintf("hours[%d]", i))
		}
	}
	for i, b := range c.Breaks {
		s, ok1 := ParseClock(b.Start)
		e, ok2 := ParseClock(b.End)
		if !ok1 || !ok2 || s >= e {
			return Errorf(EInvalid, "break %s–%s: start and end are HH:MM, start before end", "giờ nghỉ %s–%s: dạng HH:MM, bắt đầu trước kết thúc", b.Start, b.End).At(fmt.Sprintf("breaks[%d]", i))
		}
	}
	for i, d := range c.ClosedDates {
		if _, err := time.Parse(time.DateOnly, d); err != nil || !dateRe.MatchString(d) {
			return Errorf(EInvalid, "closed date %q: use YYYY-MM-DD", "ngày nghỉ %q: dùng YYYY-MM-DD", d).At(fmt.Sprintf("closed_dates[%d]", i))
		}
	}
	if len(c.Services) == 0 {
		return Errorf(EInvalid, "a centre needs at least one service", "trung tâm cần ít nhất một lĩnh vực").At("services")
	}
	codes := map[string]bool{}
	for i, s := range c.Services {
		if !serviceCodeRe.MatchString(s.Code) {
			return Errorf(EInvalid, "service code %q: one or two letters A–Z", "mã lĩnh vực %q: một hoặc hai chữ cái A–Z", s.Code).At(fmt.Sprintf("services[%d].code", i))
		}
		if codes[s.Code] {
			return Errorf(EInvalid, "service code %q is listed twice", "mã lĩnh vực %q bị khai báo hai lần", s.Code).At(fmt.Sprintf("services[%d].code", i))
		}
		codes[s.Code] = true
		if s.Name == "" || len(s.Name) > 200 {
			return Errorf(EInvalid, "service %s needs a name (at most 200 bytes)", "lĩnh vực %s cần tên (tối đa 200 byte)", s.Code).At(fmt.Sprintf("services[%d].name", i))
		}
		if err := CheckText(fmt.Sprintf("services[%d].name", i), s.Name, 200); err != nil {
			return err
		}
		if err := CheckText(fmt.Sprintf("services[%d].name_en", i), s.NameEn, 200); err != nil {
			return err
		}
		for j, p := range s.Papers {
			if err := CheckText(fmt.Sprintf("services[%d].papers[%d]", i, j), p, 500); err != nil {
				return err
			}
		}
		if s.Minutes < 1 || s.Minutes > 480 {
			return Errorf(EInvalid, "service %s: minutes between 1 and 480", "lĩnh vực %s: số phút từ 1 đến 480", s.Code).At(fmt.Sprintf("services[%d].minutes", i))
		}
		if s.AlertWaitMinutes < 0 || s.AlertWaitMinutes > 600 {
			return Errorf(EInvalid, "service %s: alert_wait_minutes 0–600", "lĩnh vực %s: alert_wait_minutes từ 0 đến 600", s.Code).At(fmt.Sprintf("services[%d].alert_wait_minutes", i))
		}
		if s.WalkInShare < 0 || s.WalkInShare > 90 {
			return Errorf(EInvalid, "service %s: walk_in_share is a percentage from 0 to 90", "lĩnh vực %s: walk_in_share là phần trăm từ 0 đến 90", s.Code).At(fmt.Sprintf("services[%d].walk_in_share", i))
		}
		if s.Bookable && (s.SlotMinutes < 5 || s.SlotMinutes > 240 || s.SlotCapacity < 1 || s.SlotCapacity > 100) {
			return Errorf(EInvalid, "service %s: slot_minutes 5–240 and slot_capacity 1–100", "lĩnh vực %s: slot_minutes 5–240 và slot_capacity 1–100", s.Code).At(fmt.Sprintf("services[%d]", i))
		}
	}
	nums := map[int]bool{}
	for i, k := range c.Counters {
		if k.Number < 1 || k.Number > 999 {
			return Errorf(EInvalid, "counter number %d: 1 to 999", "số quầy %d: từ 1 đến 999", k.Number).At(fmt.Sprintf("counters[%d].number", i))
		}
		if nums[k.Number] {
			return Errorf(EInvalid, "counter %d is listed twice", "quầy %d bị khai báo hai lần", k.Number).At(fmt.Sprintf("counters[%d].number", i))
		}
		nums[k.Number] = true
		if err := CheckText(fmt.Sprintf("counters[%d].name", i), k.Name, 200); err != nil {
			return err
		}
		if len(k.Services) == 0 {
			return Errorf(EInvalid, "counter %d serves no service", "quầy %d chưa phục vụ lĩnh vực nào", k.Number).At(fmt.Sprintf("counters[%d].services", i))
		}
		for j, s := range k.Services {
			if !codes[s] {
				return Errorf(EInvalid, "counter %d serves unknown service %q", "quầy %d phục vụ lĩnh vực không tồn tại %q", k.Number, s).At(fmt.Sprintf("counters[%d].services[%d]", i, j))
			}
		}
	}
	r := c.Rules
	if r.PriorityMode != PriorityStrict && r.PriorityMode != PriorityInterleave {
		return Errorf(EInvalid, "priority_mode is strict or interleave", "priority_mode là strict hoặc interleave").At("rules.priority_mode")
	}
	if r.PriorityEvery < 1 || r.PriorityEvery > 50 || r.NoShowMinCalls < 1 || r.NoShowMinCalls > 10 || r.RecallGapSeconds < 0 || r.RecallGapSeconds > 3600 {
		return Errorf(EInvalid, "rules out of range: priority_every 1–50, no_show_min_calls 1–10, recall_gap_seconds 0–3600", "quy tắc ngoài giới hạn: priority_every 1–50, no_show_min_calls 1–10, recall_gap_seconds 0–3600").At("rules")
	}
	if r.BookingDays < 1 || r.BookingDays > 60 || r.MinNoticeMinutes < 0 || r.MinNoticeMinutes > 7*24*60 ||
		r.BookingsPerDay < 1 || r.BookingsPerDay > 20 || r.BookingsPerService < 1 || r.BookingsPerService > r.BookingsPerDay ||
		r.MaxReschedules < 0 || r.MaxReschedules > 10 || r.CheckInEarlyMinutes < 0 || r.CheckInEarlyMinutes > 24*60 ||
		r.LateGraceMinutes < 0 || r.LateGraceMinutes > 240 || r.NoShowLimit < 1 || r.NoShowWindowDays < 1 || r.NoShowWindowDays > 365 ||
		r.NoShowBlockDays < 0 || r.NoShowBlockDays > 365 || r.RetentionDays < 1 || r.RetentionDays > 3650 {
		return Errorf(EInvalid, "booking rules out of range (see the API description)", "quy tắc đặt lịch ngoài giới hạn (xem mô tả API)").At("rules")
	}
	if v := r.WalkInOpensMinutesBefore; v != nil && (*v < 0 || *v > 240) {
		return Errorf(EInvalid, "walk_in_opens_minutes_before: 0 to 240 minutes", "walk_in_opens_minutes_before: từ 0 đến 240 phút").At("rules.walk_in_opens_minutes_before")
	}
	if v := r.WalkInClosesMinutesBefore; v != nil && (*v < -60 || *v > 240) {
		return Errorf(EInvalid, "walk_in_closes_minutes_before: -60 to 240 minutes (negative: after closing)", "walk_in_closes_minutes_before: từ -60 đến 240 phút (số âm: sau giờ đóng cửa)").At("rules.walk_in_closes_minutes_before")
	}
	from, ok1 := ParseClock(r.OnlineFrom)
	until, ok2 := ParseClock(r.OnlineUntil)
	if !ok1 || !ok2 || from >= until {
		return Errorf(EInvalid, "online_from and online_until are HH:MM, from before until", "online_from và online_until dạng HH:MM, giờ bắt đầu trước giờ kết thúc").At("rules.online_from")
	}
	if r.NumbersPerDay < 1 || r.NumbersPerDay > 20 || r.NearPosition < 1 || r.NearPosition > 50 || r.NearMinutes < 1 || r.NearMinutes > 240 ||
		r.AlertWaitMinutes < 5 || r.AlertWaitMinutes > 600 || r.AlertPauseMinutes < 1 || r.AlertPauseMinutes > 600 ||
		r.NotifyExpiryMinutes < 5 || r.NotifyExpiryMinutes > 240 {
		return Errorf(EInvalid, "rules out of range: numbers_per_day 1–20, near_position 1–50, near_minutes 1–240, alert_wait_minutes 5–600, alert_pause_minutes 1–600, notify_expiry_minutes 5–240",
			"quy tắc ngoài giới hạn: numbers_per_day 1–20, near_position 1–50, near_minutes 1–240, alert_wait_minutes 5–600, alert_pause_minutes 1–600, notify_expiry_minutes 5–240").At("rules")
	}
	seen := map[string]bool{}
	for i, g := range r.PhoneChannels {
		if (g != GatewayZNS && g != GatewaySMS) || seen[g] {
			return Errorf(EInvalid, "phone_channels: zns and sms, each at most once", "phone_channels: zns và sms, mỗi loại tối đa một lần").At(fmt.Sprintf("rules.phone_channels[%d]", i))
		}
		seen[g] = true
	}
	return nil
}

// walkInMinutes returns the rules' walk-in offsets, defaults applied.
func (r Rules) walkInMinutes() (before, closeBefore int) {
	before, closeBefore = DefaultWalkInMinutes, DefaultWalkInMinutes
	if r.WalkInOpensMinutesBefore != nil {
		before = *r.WalkInOpensMinutesBefore
	}
	if r.WalkInClosesMinutesBefore != nil {
		closeBefore = *r.WalkInClosesMinutesBefore
	}
	return before, closeBefore
}

// WalkInOpen reports whether kiosks issue walk-in numbers at t: on a day the
// centre opens (its weekday has hours, not a closed date), from
// walk_in_opens_minutes_before its opening to walk_in_closes_minutes_before
// its closing. Lunch breaks do not stop it: people arriving then wait. When
// closed, next is when the window opens again (zero if not within 31 days:
// no hours configured).
func (c *Centre) WalkInOpen(t time.Time) (open bool, next time.Time) {
	loc := c.Location()
	lt := t.In(loc)
	before, closeBefore := c.Rules.walkInMinutes()
	closed := map[string]bool{}
	for _, d := range c.ClosedDates {
		closed[d] = true
	}
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	for d := 0; d <= 31; d++ {
		day := midnight.AddDate(0, 0, d)
		if closed[day.Format(time.DateOnly)] {
			continue
		}
		for _, h := range c.Hours {
			if h.Weekday != int(day.Weekday()) {
				continue
			}
			o, ok1 := ParseClock(h.Open)
			cl, ok2 := ParseClock(h.Close)
			if !ok1 || !ok2 {
				continue
			}
			// Wall-clock minutes of that local day (time.Date keeps DST right).
			from := time.Date(day.Year(), day.Month(), day.Day(), 0, o-before, 0, 0, loc)
			until := time.Date(day.Year(), day.Month(), day.Day(), 0, cl-closeBefore, 0, 0, loc)
			if !until.After(from) {
				continue
			}
			if !lt.Before(from) && lt.Before(until) {
				return true, time.Time{}
			}
			if lt.Before(from) && (next.IsZero() || from.Before(next)) {
				next = from
			}
		}
		if !next.IsZero() {
			return false, next
		}
	}
	return false, time.Time{}
}

// Service returns the service with the code, if any.
func (c *Centre) Service(code string) (Service, bool) {
	for _, s := range c.Services {
		if s.Code == code {
			return s, true
		}
	}
	return Service{}, false
}

// Counter returns the counter with the number, if any.
func (c *Centre) Counter(n int) (CounterConfig, bool) {
	for _, k := range c.Counters {
		if k.Number == n {
			return k, true
		}
	}
	return CounterConfig{}, false
}

// Location returns the centre's time zone (UTC if it cannot be loaded, which
// Validate prevents).
func (c *Centre) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// OpenAt reports whether the centre is open at t: a weekday with hours, not a
// closed date, inside the hours and outside breaks.
func (c *Centre) OpenAt(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	day := lt.Format(time.DateOnly)
	for _, d := range c.ClosedDates {
		if d == day {
			return false
		}
	}
	m := lt.Hour()*60 + lt.Minute()
	for _, h := range c.Hours {
		if h.Weekday != int(lt.Weekday()) {
			continue
		}
		o, _ := ParseClock(h.Open)
		cl, _ := ParseClock(h.Close)
		if m < o || m >= cl {
			return false
		}
		for _, b := range c.Breaks {
			s, _ := ParseClock(b.Start)
			e, _ := ParseClock(b.End)
			if m >= s && m < e {
				return false
			}
		}
		return true
	}
	return false
}

// ParseClock parses "HH:MM" into minutes after midnight.
func ParseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, m := 0, 0
	for i, ch := range s {
		if i == 2 {
			continue
		}
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if i < 2 {
			h = h*10 + int(ch-'0')
		} else {
			m = m*10 + int(ch-'0')
		}
	}
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}
