package report

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// benchCentre is a busy merged commune centre: five services, three of
// them bookable, five counters.
func benchCentre() queue.Centre {
	c := queue.Centre{
		ID: "bench", Name: "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm", Timezone: "Asia/Ho_Chi_Minh",
		Breaks: []queue.Break{{Start: "11:30", End: "13:30"}},
		Services: []queue.Service{
			{Code: "A", Name: "Hộ tịch", NameEn: "Civil status", Minutes: 8, Bookable: true, SlotMinutes: 15, SlotCapacity: 4},
			{Code: "B", Name: "Đất đai", NameEn: "Land", Minutes: 20, Bookable: true, SlotMinutes: 30, SlotCapacity: 3},
			{Code: "C", Name: "Chứng thực", NameEn: "Certification", Minutes: 5, Bookable: true, SlotMinutes: 15, SlotCapacity: 4},
			{Code: "D", Name: "Cư trú", NameEn: "Residence", Minutes: 10},
			{Code: "E", Name: "Chính sách xã hội", NameEn: "Social policy", Minutes: 12},
		},
	}
	for n := 1; n <= 5; n++ {
		c.Counters = append(c.Counters, queue.CounterConfig{Number: n, Name: fmt.Sprintf("Quầy %d", n), Services: []string{"A", "B", "C", "D", "E"}})
	}
	for wd := 1; wd <= 6; wd++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: wd, Open: "07:30", Close: "17:00"})
	}
	c.Normalize()
	return c
}

// generateMonth writes a month (November 2026) of about n tickets and
// their bookings to st, one commit per day, and returns the period.
func generateMonth(tb testing.TB, st queue.Store, c queue.Centre, n int) Period {
	tb.Helper()
	p, _ := PeriodOf(KindMonth, "2026-11-24")
	loc := c.Location()
	rng := rand.New(rand.NewPCG(1, 2))
	var open []string
	for _, d := range p.Days() {
		if day, _ := time.Parse(time.DateOnly, d); day.Weekday() != time.Sunday {
			open = append(open, d)
		}
	}
	perDay := n / len(open)
	docs := []string{"Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Giấy chứng nhận kết hôn", "Thẻ căn cước"}
	statuses := []string{"present", "present", "present", "missing", "unreadable", "inconsistent"}
	clerks := []string{"lan", "minh", "hoa", "tuan", "thu"}
	first := true
	id := 0
	for _, d := range open {
		day, _ := time.ParseInLocation(time.DateOnly, d, loc)
		ch := &queue.Changes{Centre: c.ID}
		if first {
			ch.Config = &c
			first = false
		}
		for i := 0; i < perDay; i++ {
			id++
			svc := c.Services[rng.IntN(len(c.Services))]
			// Issue times spread over the opening hours, busier mornings.
			mins := 7*60 + 30 + int(rng.ExpFloat64()*120)%(9*60+30)
			issued := day.Add(time.Duration(mins)*time.Minute + time.Duration(rng.IntN(60))*time.Second)
			t := queue.Ticket{
				ID: fmt.Sprintf("t%07d", id), Centre: c.ID, Service: svc.Code, Seq: i + 1, Day: d,
				Number: queue.FormatNumber(svc.Code, i+1), Priority: queue.PriorityNormal,
				IssuedAt: issued, OrderAt: issued, Source: queue.SourceKiosk, Kiosk: "k1",
			}
			t.Key = "key-" + t.ID
			if rng.IntN(20) == 0 {
				t.Priority = queue.PriorityElderly
			}
			if rng.IntN(50) == 0 {
				t.Offline = true
			}
			if svc.Bookable && rng.IntN(5) == 0 {
				slot := issued.Truncate(15 * time.Minute).Add(15 * time.Minute)
				code := fmt.Sprintf("BK%07d", id)
				t.Source, t.Booking, t.SlotStart, t.OrderAt = queue.SourceBooking, code, &slot, slot
				ch.Bookings = append(ch.Bookings, queue.Booking{
					Code: code, Centre: c.ID, Service: svc.Code, Start: slot, End: slot.Add(15 * time.Minute), Day: d,
					Status: queue.BookingCheckedIn, Source: queue.BookedOnline, CreatedAt: slot.Add(-48 * time.Hour),
					Ticket: t.ID, CheckedInAt: &issued, Citizen: queue.Citizen{Key: "k" + code, IDMasked: "0010******12", Name: "Nguyễn Văn A", Phone: "0912345678"},
				})
			}
			wait := time.Duration(rng.ExpFloat64()*float64(20*time.Minute)) + 30*time.Second
			called := t.OrderAt.Add(wait)
			t.Counter, t.ServedBy, t.Calls = 1+rng.IntN(5), clerks[rng.IntN(len(clerks))], 1
			t.FirstCalledAt, t.CalledAt = &called, &called
			switch x := rng.IntN(100); {
			case x < 90:
				fin := called.Add(time.Duration(float64(svc.Minutes)*60*(0.5+rng.Float64())) * time.Second)
				t.Status, t.FinishedAt = queue.StatusDone, &fin
				if rng.IntN(3) == 0 {
					t.Rating = 1 + rng.IntN(4)
				}
			case x < 96:
				fin := called.Add(time.Minute)
				t.Status, t.FinishedAt, t.Calls = queue.StatusNoShow, &fin, 2
			default:
				fin := day.Add(24 * time.Hour)
				t.Status, t.FinishedAt, t.FirstCalledAt, t.CalledAt, t.Counter, t.ServedBy = queue.StatusExpired, &fin, nil, nil, 0, ""
			}
			if rng.IntN(10) == 0 {
				d1, d2 := docs[rng.IntN(len(docs))], docs[rng.IntN(len(docs))]
				s1, s2 := statuses[rng.IntN(len(statuses))], statuses[rng.IntN(len(statuses))]
				t.Precheck = fmt.Appendf(nil, `{"procedure":"khai-sinh","ok":%v,"documents":[{"name":%q,"status":%q,"pages":[1]},{"name":%q,"status":%q,"pages":[2]}],"fields":{"ho_ten":"Nguyễn Văn A"}}`, s1 == "present" && s2 == "present", d1, s1, d2, s2)
			}
			ch.Tickets = append(ch.Tickets, t)
		}
		// Missed and cancelled bookings: no ticket.
		for i := 0; i < perDay/40; i++ {
			id++
			slot := day.Add(time.Duration(8*60+15*rng.IntN(30)) * time.Minute)
			status := queue.BookingNoShow
			if i%2 == 0 {
				status = queue.BookingCancelled
			}
			ch.Bookings = append(ch.Bookings, queue.Booking{Code: fmt.Sprintf("BK%07d", id), Centre: c.ID, Service: "A", Start: slot, End: slot.Add(15 * time.Minute), Day: d, Status: status, Source: queue.BookedOnline})
		}
		if err := st.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
			tb.Fatal(err)
		}
	}
	return p
}

// BenchmarkMonthReport measures a month's report of a centre with 100,000
// tickets in a real bbolt store: reading and computing, then each output.
func BenchmarkMonthReport(b *testing.B) {
	st := openStore(b)
	c := benchCentre()
	p := generateMonth(b, st, c, 100_000)
	ctx := context.Background()
	in, err := Load(ctx, st, c, p)
	if err != nil {
		b.Fatal(err)
	}
	if len(in.Tickets) < 99_000 {
		b.Fatalf("generated %d tickets", len(in.Tickets))
	}
	r := Compute(in)
	b.Run("load+compute", func(b *testing.B) {
		for b.Loop() {
			in, err := Load(ctx, st, c, p)
			if err != nil {
				b.Fatal(err)
			}
			Compute(in)
		}
		b.ReportMetric(float64(len(in.Tickets)), "tickets")
	})
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			if _, err := Load(ctx, st, c, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compute", func(b *testing.B) {
		for b.Loop() {
			Compute(in)
		}
	})
	b.Run("csv", func(b *testing.B) {
		for b.Loop() {
			if err := r.WriteCSV(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pdf", func(b *testing.B) {
		for b.Loop() {
			if err := r.WritePDF(io.Discard, "vi"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
