package queue

import (
	"fmt"
	"testing"
	"time"
)

func bookingLive(t *testing.T, mutate func(*Centre)) *Live {
	return newTestLive(t, func(c *Centre) {
		c.Hours = []Hours{{Weekday: 1, Open: "07:30", Close: "11:30"}, {Weekday: 2, Open: "07:30", Close: "17:00"}, {Weekday: 3, Open: "07:30", Close: "17:00"}}
		c.Breaks = []Break{{Start: "11:30", End: "13:00"}}
		c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 30, 2
		c.Normalize()
		if mutate != nil {
			mutate(c)
		}
	})
}

var codeN int

func book(l *Live, now time.Time, start time.Time, key string) (Booking, error) {
	codeN++
	return l.Book(now, BookRequest{Code: fmt.Sprintf("CODE%04d", codeN), Service: "A", Start: start, Citizen: Citizen{Key: key, Name: "Nguyễn Văn An", Phone: "0912345678"}, Source: BookedOnline})
}

func TestSlots(t *testing.T) {
	l := bookingLive(t, nil)
	// Monday 08:00: Monday closes 11:30; the 08:00 slot is within the 30 min notice.
	slots, err := l.Slots(day0, "A", "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 8 || slots[0].Start.Format("15:04") != "07:30" || slots[7].End.Format("15:04") != "11:30" {
		t.Fatalf("Monday slots %v", slots)
	}
	for _, s := range slots {
		past := s.Start.Before(day0.Add(30 * time.Minute))
		if past && s.Available != 0 || !past && s.Available != 2 {
			t.Errorf("slot %s available %d", s.Start.Format("15:04"), s.Available)
		}
	}
	// Tuesday: a full day less lunch: 07:30–11:30 (8) and 13:00–17:00 (8).
	tue, _ := l.Slots(day0, "A", "2026-11-24")
	if len(tue) != 16 || tue[8].Start.Format("15:04") != "13:00" || tue[0].Start.Location() != l.Location() {
		t.Fatalf("Tuesday slots %d, ninth at %s", len(tue), tue[8].Start.Format("15:04"))
	}
	if s, _ := l.Slots(day0, "A", "2026-11-29"); len(s) != 0 { // Sunday
		t.Fatalf("Sunday has %d slots", len(s))
	}
	for _, bad := range []string{"2026-11-22", "2026-11-30", "24/11/2026"} { // yesterday, past the 7-day window, wrong form
		if _, err := l.Slots(day0, "A", bad); ErrorCode(err) != EInvalid {
			t.Errorf("date %s: %v", bad, err)
		}
	}
	if _, err := l.Slots(day0, "B", "2026-11-24"); ErrorCode(err) != EInvalid {
		t.Errorf("unbookable service: %v", err)
	}
}

func TestSlotsClosedDateAndWalkInShare(t *testing.T) {
	l := bookingLive(t, func(c *Centre) {
		c.ClosedDates = []string{"2026-11-24"}
		c.Services[0].WalkInShare = 50 // A: 2 counters × 30 min / 10 min = 6 an slot; half kept for walk-ins → 3, capped by 2
		c.Services[0].SlotCapacity = 10
	})
	if s, _ := l.Slots(day0, "A", "2026-11-24"); len(s) != 0 {
		t.Fatalf("closed date has %d slots", len(s))
	}
	s, _ := l.Slots(day0, "A", "2026-11-25")
	if s[0].Capacity != 3 {
		t.Fatalf("capacity with walk-in share: %d, want 3", s[0].Capacity)
	}
}

func TestSlotsAcrossDST(t *testing.T) {
	// A centre in a DST zone: on the day clocks go forward the slots still
	// follow the local clock.
	c := testCentre()
	c.Timezone = "America/New_York"
	c.Hours = []Hours{{Weekday: 0, Open: "01:00", Close: "04:00"}}
	c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 60, 1
	c.Normalize()
	ny := mustLoc("America/New_York")
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, ny)
	l := NewLive(c, now, func() string { return "x" })
	s, err := l.Slots(now, "A", "2026-03-08")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range s {
		got = append(got, x.Start.Format("15:04 -0700"))
	}
	// 02:00 does not exist that night: no slot starts then, and the 01:00
	// slot lasts one real hour, up to 03:00 EDT.
	if fmt.Sprint(got) != "[01:00 -0500 03:00 -0400]" || s[0].End.Sub(s[0].Start) != time.Hour || !s[0].End.Equal(s[1].Start) {
		t.Fatalf("DST-day slots %v", got)
	}
}

func TestBookCapacityAndLimits(t *testing.T) {
	l := bookingLive(t, nil)
	nine := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	if _, err := book(l, day0, nine, "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := book(l, day0, nine, "k2"); err != nil {
		t.Fatal(err)
	}
	if _, err := book(l, day0, nine, "k3"); ErrorCode(err) != ESlotFull {
		t.Fatalf("third booking in a slot of 2: %v", err)
	}
	// One per service per day: k1 again the same day, another slot.
	if _, err := book(l, day0, nine.Add(time.Hour), "k1"); ErrorCode(err) != ELimitReached {
		t.Fatalf("second booking of a service the same day: %v", err)
	}
	// Another day is fine.
	if _, err := book(l, day0, nine.Add(24*time.Hour), "k1"); err != nil {
		t.Fatalf("next day: %v", err)
	}
	cases := []struct {
		name  string
		start time.Time
		r     func(*BookRequest)
		code  string
	}{
		{"past", day0.Add(-time.Hour), nil, EInvalid},
		{"within notice", time.Date(2026, 11, 23, 8, 0, 0, 0, hcm), nil, EInvalid},
		{"off the slot grid", nine.Add(10 * time.Minute), nil, EInvalid},
		{"lunch", time.Date(2026, 11, 24, 12, 0, 0, 0, hcm), nil, EInvalid},
		{"beyond window", nine.AddDate(0, 0, 7), nil, EInvalid},
		{"bad phone", nine, func(r *BookRequest) { r.Citizen.Phone = "0212345678" }, EInvalid},
		{"short name", nine, func(r *BookRequest) { r.Citizen.Name = "A" }, EInvalid},
		{"unbookable", nine, func(r *BookRequest) { r.Service = "B" }, EInvalid},
	}
	for _, c := range cases {
		l.TakeChanges()
		r := BookRequest{Code: "X" + c.name, Service: "A", Start: c.start, Citizen: Citizen{Key: "k9", Name: "Trần Thị Bình", Phone: "+84 912 345 678"}}
		if c.r != nil {
			c.r(&r)
		}
		if _, err := l.Book(day0, r); ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
		if ch := l.TakeChanges(); !ch.Empty() {
			t.Errorf("%s: refused booking changed state", c.name)
		}
	}
	b, err := l.Book(day0, BookRequest{Code: "OK1", Service: "A", Start: nine.Add(time.Hour), Citizen: Citizen{Key: "k9", Name: "Tra\u0302\u0300n Thi\u0323 Bi\u0300nh", Phone: "+84 912 345 678"}})
	if err != nil || b.Citizen.Phone != "0912345678" || b.Citizen.Name != "Trần Thị Bình" {
		t.Fatalf("normalised booking %+v %v", b.Citizen, err)
	}
	// Two a day in all.
	l2 := bookingLive(t, func(c *Centre) {
		c.Services[1].Bookable, c.Services[1].SlotMinutes, c.Services[1].SlotCapacity = true, 30, 5
		c.Services[2].Bookable, c.Services[2].SlotMinutes, c.Services[2].SlotCapacity = true, 30, 5
	})
	for i, svc := range []string{"A", "B", "C"} {
		_, err := l2.Book(day0, BookRequest{Code: "D" + svc, Service: svc, Start: nine, Citizen: Citizen{Key: "k", Name: "Lê Văn Cường", Phone: "0987654321"}})
		if i < 2 && err != nil || i == 2 && ErrorCode(err) != ELimitReached {
			t.Fatalf("booking %d (%s): %v", i, svc, err)
		}
	}
}

func TestCancelAndReschedule(t *testing.T) {
	l := bookingLive(t, func(c *Centre) { c.Services[0].SlotCapacity = 1 })
	nine := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	b, _ := book(l, day0, nine, "k1")
	if _, err := l.CancelBooking(day0, b.Code, "someone-else", false, "public"); ErrorCode(err) != ENotFound {
		t.Fatalf("cancel with another CCCD: %v", err)
	}
	if _, err := book(l, day0, nine, "k2"); ErrorCode(err) != ESlotFull {
		t.Fatalf("full slot: %v", err)
	}
	r1, err := l.Reschedule(day0, b.Code, "k1", nine.Add(30*time.Minute), false, "public")
	if err != nil || !r1.Start.Equal(nine.Add(30*time.Minute)) || r1.Reschedules != 1 {
		t.Fatalf("reschedule: %+v %v", r1, err)
	}
	if _, err := book(l, day0, nine, "k2"); err != nil { // the old place is free again
		t.Fatalf("old slot after reschedule: %v", err)
	}
	if _, err := l.Reschedule(day0, b.Code, "k1", nine, false, "public"); ErrorCode(err) != ESlotFull {
		t.Fatalf("reschedule into a full slot: %v", err)
	}
	if _, err := l.Reschedule(day0, b.Code, "k1", nine.Add(time.Hour), false, "public"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reschedule(day0, b.Code, "k1", nine.Add(90*time.Minute), false, "public"); ErrorCode(err) != ELimitReached {
		t.Fatalf("third change: %v", err)
	}
	c, err := l.CancelBooking(day0, b.Code, "k1", false, "public")
	if err != nil || c.Status != BookingCancelled {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	if _, err := l.CancelBooking(day0, b.Code, "k1", false, "public"); ErrorCode(err) != EConflict {
		t.Fatalf("cancel twice: %v", err)
	}
	if _, err := book(l, day0, nine.Add(time.Hour), "k3"); err != nil {
		t.Fatalf("place freed by the cancellation: %v", err)
	}
	ch := l.TakeChanges()
	types := map[string]int{}
	for _, e := range ch.Events {
		types[e.Type]++
		if e.Booking == nil || e.Ticket != nil {
			t.Fatalf("booking event %+v", e)
		}
	}
	if types[EventBooked] != 3 || types[EventRescheduled] != 2 || types[EventCancelled] != 1 {
		t.Fatalf("events %v", types)
	}
	if len(ch.Audit) != 6 {
		t.Fatalf("%d audit records, want 6", len(ch.Audit))
	}
}

func TestCheckIn(t *testing.T) {
	l := bookingLive(t, nil)
	l.Resume(day0, 1, "c")
	slot := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	onTime, _ := book(l, day0, slot, "k1")
	late, _ := book(l, day0, slot, "k2")
	tomorrow, _ := book(l, day0, slot.Add(24*time.Hour), "k3")
	if _, _, err := l.CheckIn(slot.Add(-61*time.Minute), onTime.Code, "kiosk1", "kiosk1"); ErrorCode(err) != ECheckInClosed {
		t.Fatalf("check-in 61 min early: %v", err)
	}
	if _, _, err := l.CheckIn(slot, tomorrow.Code, "kiosk1", "kiosk1"); ErrorCode(err) != ECheckInClosed {
		t.Fatalf("tomorrow's booking today: %v", err)
	}
	walkIn := issue(t, l, slot.Add(-30*time.Minute), "A", "")
	tk, b, err := l.CheckIn(slot.Add(-20*time.Minute), onTime.Code, "kiosk1", "kiosk1")
	if err != nil || tk.Booking != onTime.Code || tk.SlotStart == nil || b.Status != BookingCheckedIn || b.Ticket != tk.ID {
		t.Fatalf("check-in: %+v %+v %v", tk, b, err)
	}
	// Before the slot the walk-in goes first; once it starts the booking does.
	got, _, _ := l.Next(slot.Add(-10*time.Minute), 1, "c")
	if got.ID != walkIn.ID {
		t.Fatalf("before the slot called %s", got.Number)
	}
	w2 := issue(t, l, slot.Add(-5*time.Minute), "A", "")
	got, _, _ = l.Next(slot.Add(time.Minute), 1, "c")
	if got.ID != tk.ID {
		t.Fatalf("after the slot start called %s, want the booking", got.Number)
	}
	// 16 minutes late: an ordinary walk-in, still marked as from the booking.
	tl, bl, err := l.CheckInCitizen(slot.Add(16*time.Minute), "k2", "kiosk1", "kiosk1")
	if err != nil || tl.SlotStart != nil || tl.Booking != late.Code || !bl.Late {
		t.Fatalf("late check-in: %+v %v", tl, err)
	}
	got, _, _ = l.Next(slot.Add(17*time.Minute), 1, "c")
	if got.ID != w2.ID {
		t.Fatalf("late booking jumped the walk-in: called %s", got.Number)
	}
	if _, _, err := l.CheckIn(slot, onTime.Code, "k", "k"); ErrorCode(err) != EConflict {
		t.Fatalf("second check-in: %v", err)
	}
	if _, _, err := l.CheckInCitizen(slot, "nobody", "k", "k"); ErrorCode(err) != ENotFound {
		t.Fatalf("check-in of a card with no booking: %v", err)
	}
}

func TestNoShowsBlockBooking(t *testing.T) {
	l := bookingLive(t, nil)
	now := day0
	for d := 1; d <= 2; d++ { // Tuesday and Wednesday, missed
		start := time.Date(2026, 11, 23+d, 9, 0, 0, 0, hcm)
		if _, err := book(l, now, start, "k1"); err != nil {
			t.Fatal(err)
		}
	}
	l.TakeChanges()
	l.Roll(time.Date(2026, 11, 26, 7, 0, 0, 0, hcm)) // Thursday: both were missed
	ch := l.TakeChanges()
	if len(ch.NoShows) != 2 {
		t.Fatalf("%d no-shows recorded", len(ch.NoShows))
	}
	thu := time.Date(2026, 11, 26, 7, 0, 0, 0, hcm)
	_, err := book(l, thu, time.Date(2026, 12, 1, 9, 0, 0, 0, hcm), "k1")
	if ErrorCode(err) != EBookingBlocked {
		t.Fatalf("booking after two no-shows: %v", err)
	}
	// Restored from a snapshot, the block holds; after the block period it lifts.
	snap := Snapshot{Config: l.Config(), Meta: Meta{Day: "2026-11-26"}, NoShows: ch.NoShows}
	r := Restore(snap, thu, func() string { return "t" })
	if _, err := book(r, thu, time.Date(2026, 12, 1, 9, 0, 0, 0, hcm), "k1"); ErrorCode(err) != EBookingBlocked {
		t.Fatalf("restored: %v", err)
	}
	later := time.Date(2026, 12, 27, 8, 0, 0, 0, hcm) // Sunday, 31 days after the last no-show
	if _, err := book(r, later, time.Date(2026, 12, 29, 9, 0, 0, 0, hcm), "k1"); err != nil {
		t.Fatalf("after the block: %v", err)
	}
}

func TestValidPhone(t *testing.T) {
	for in, want := range map[string]string{"0912345678": "0912345678", "+84912345678": "0912345678", "84 912 345 678": "0912345678", "091.234.5678": "0912345678", "0312345678": "0312345678"} {
		if got, ok := ValidPhone(in); !ok || got != want {
			t.Errorf("ValidPhone(%q) = %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "0212345678", "091234567", "09123456789", "09123456a8", "1912345678"} {
		if _, ok := ValidPhone(in); ok {
			t.Errorf("ValidPhone(%q) accepted", in)
		}
	}
}
