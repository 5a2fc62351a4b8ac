package report

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"xephang/queue-server/queue"
)

// loadWorkers bounds how many days Load reads at once: the store's reads
// are independent read transactions, and decoding dominates.
var loadWorkers = min(8, max(2, runtime.GOMAXPROCS(0)))

// Load reads the tickets and bookings of the period's local days and the
// staff's display names. It stops early when ctx is done.
func Load(ctx context.Context, st queue.Store, c queue.Centre, p Period) (Input, error) {
	days := p.Days()
	if len(days) == 0 {
		return Input{}, queue.Errorf(queue.EInvalid, "empty period %s … %s", "kỳ báo cáo trống %s … %s", p.From, p.To)
	}
	if len(days) > MaxDays {
		return Input{}, queue.Errorf(queue.EInvalid, "a report covers at most %d days (asked for %d)", "báo cáo chỉ gồm tối đa %d ngày (yêu cầu %d ngày)", MaxDays, len(days))
	}
	type dayData struct {
		tickets  []queue.Ticket
		bookings []queue.Booking
		err      error
	}
	got := make([]dayData, len(days))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(loadWorkers, len(days)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d := &got[i]
				if d.tickets, d.err = st.Tickets(c.ID, days[i]); d.err != nil {
					d.err = fmt.Errorf("report: tickets of %s: %w", days[i], d.err)
					cancel()
					continue
				}
				if d.bookings, d.err = st.Bookings(c.ID, days[i]); d.err != nil {
					d.err = fmt.Errorf("report: bookings of %s: %w", days[i], d.err)
					cancel()
				}
			}
		}()
	}
feed:
	for i := range days {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for _, d := range got {
		if d.err != nil {
			return Input{}, d.err
		}
	}
	if err := ctx.Err(); err != nil {
		return Input{}, fmt.Errorf("report: %w", err)
	}
	in := Input{Centre: c, Period: p, GeneratedAt: time.Now(), Staff: map[string]string{}}
	nt, nb := 0, 0
	for _, d := range got {
		nt += len(d.tickets)
		nb += len(d.bookings)
	}
	in.Tickets = make([]queue.Ticket, 0, nt)
	in.Bookings = make([]queue.Booking, 0, nb)
	for _, d := range got {
		in.Tickets = append(in.Tickets, d.tickets...)
		in.Bookings = append(in.Bookings, d.bookings...)
	}
	users, err := st.Users()
	if err != nil {
		return Input{}, fmt.Errorf("report: users: %w", err)
	}
	for _, u := range users {
		if u.Name != "" && (u.Centre == "" || u.Centre == c.ID) {
			in.Staff[u.Username] = u.Name
		}
	}
	return in, nil
}
