package report

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"xephang/queue-server/queue"
)

// loadWorkers bounds how many days ReadDays reads at once: the store's
// reads are independent read transactions, and decoding dominates.
var loadWorkers = min(8, max(2, runtime.GOMAXPROCS(0)))

// Day is what the store holds of one local day of a centre.
type Day struct {
	Day      string
	Tickets  []queue.Ticket
	Bookings []queue.Booking
}

// ReadDays reads the tickets and bookings of a centre's days with a few
// workers, until ctx ends. It returns the days read in the order given,
// stopping before the first that was not read when ctx ended (so a caller
// out of time gets a contiguous stretch from the first day), or the first
// error of the store.
func ReadDays(ctx context.Context, st queue.Store, centre string, days []string) ([]Day, error) {
	got := make([]Day, len(days))
	done := make([]bool, len(days))
	var firstErr error
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(loadWorkers, len(days)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				ts, err := st.Tickets(centre, days[i])
				if err != nil {
					err = fmt.Errorf("tickets of %s: %w", days[i], err)
				}
				var bs []queue.Booking
				if err == nil {
					if bs, err = st.Bookings(centre, days[i]); err != nil {
						err = fmt.Errorf("bookings of %s: %w", days[i], err)
					}
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if err == nil {
					got[i], done[i] = Day{Day: days[i], Tickets: ts, Bookings: bs}, true
				}
				mu.Unlock()
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
	if firstErr != nil {
		return nil, firstErr
	}
	n := 0
	for n < len(days) && done[n] {
		n++
	}
	return got[:n], nil
}

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
	got, err := ReadDays(ctx, st, c.ID, days)
	if err != nil {
		return Input{}, fmt.Errorf("report: %w", err)
	}
	if err := ctx.Err(); err != nil { // some days were not read
		return Input{}, fmt.Errorf("report: %w", err)
	}
	in := Input{Centre: c, Period: p, GeneratedAt: time.Now(), Staff: map[string]string{}}
	nt, nb := 0, 0
	for _, d := range got {
		nt += len(d.Tickets)
		nb += len(d.Bookings)
	}
	in.Tickets = make([]queue.Ticket, 0, nt)
	in.Bookings = make([]queue.Booking, 0, nb)
	for _, d := range got {
		in.Tickets = append(in.Tickets, d.Tickets...)
		in.Bookings = append(in.Bookings, d.Bookings...)
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
