package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// benchCentre is open every day round the clock, so the scenario has slots
// whatever the date: service A in 5-minute slots of 100 (a week holds
// 201,600 places), service B in slots of 3 to fight over.
func benchCentre() queue.Centre {
	c := queue.Centre{ID: "bench", Name: "Trung tâm đo tải", Timezone: "Asia/Ho_Chi_Minh"}
	for d := 0; d < 7; d++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: d, Open: "00:00", Close: "24:00"})
	}
	c.Services = []queue.Service{
		{Code: "A", Name: "Hộ tịch", Minutes: 5, Bookable: true, SlotMinutes: 5, SlotCapacity: 100},
		{Code: "B", Name: "Chứng thực", Minutes: 5, Bookable: true, SlotMinutes: 5, SlotCapacity: 3},
	}
	c.Counters = []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A", "B"}}}
	c.Rules.BookingsPerDay = 2
	return c
}

// bookingScenario measures bookings per second and latency with 1 and 64
// staff clients spread over a week of slots (every booking for a new
// citizen), then 64 clients all fighting for one slot of capacity 3:
// exactly 3 must win, every other answer must be 409.
func bookingScenario(o options) error {
	data := filepath.Join(o.dir, "booking")
	os.RemoveAll(data) // a fresh store: slots taken by an earlier run would skew this one
	srv, err := startChild(o.server, []string{"-addr", "{addr}", "-data", data}, append(os.Environ(), "XEPHANG_ADMIN_PASSWORD=bench-admin-pw"), "/readyz")
	if err != nil {
		return err
	}
	defer srv.stop()
	ctx := context.Background()
	admin := apiv1.NewClient(srv.base)
	if err := admin.Login(ctx, "admin", "bench-admin-pw"); err != nil {
		return err
	}
	if _, err := admin.PutCentre(ctx, benchCentre()); err != nil {
		return err
	}
	var slots []string
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	today := time.Now().In(hcm)
	for d := 1; d < 7; d++ { // from tomorrow: no slot falls inside the notice
		date := today.AddDate(0, 0, d).Format(time.DateOnly)
		var s []apiv1.SlotView
		if _, err := admin.Do(ctx, "GET", "/api/v1/centres/bench/slots?service=A&date="+date, nil, &s); err != nil {
			return err
		}
		for _, x := range s {
			slots = append(slots, x.Start)
		}
	}
	var citizen atomic.Int64
	book := func(hc *http.Client, service, start string) (int, error) {
		n := citizen.Add(1)
		body := fmt.Sprintf(`{"service":%q,"start":%q,"citizen":{"id_number":"001090%06d","name":"Nguyễn Văn Đo","phone":"0912345678"}}`, service, start, n%1_000_000)
		req, _ := http.NewRequest("POST", srv.base+"/api/v1/centres/bench/bookings", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin.Token)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var rows []row
	for _, n := range o.clients {
		tr := newTransport(n)
		hc := &http.Client{Transport: tr, Timeout: 15 * time.Second}
		var next atomic.Int64
		r := drive("bookings spread over a week of slots", n, o.dur, func(w, i int) error {
			st, err := book(hc, "A", slots[int(next.Add(1))%len(slots)])
			if err == nil && st != http.StatusCreated {
				err = fmt.Errorf("status %d", st)
			}
			return err
		})
		tr.CloseIdleConnections()
		rows = append(rows, r)
	}
	// The fight: 64 clients, one slot of 3, 640 requests in all.
	const fighters, each = 64, 10
	tr := newTransport(fighters)
	hc := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	target := slots[len(slots)/2]
	var won, full, other atomic.Int64
	fight := drive("64 clients fighting for one slot of 3", fighters, o.dur, func(w, i int) error {
		if i >= each {
			return errStop
		}
		st, err := book(hc, "B", target)
		switch {
		case err != nil:
			return err
		case st == http.StatusCreated:
			won.Add(1)
		case st == http.StatusConflict:
			full.Add(1)
		default:
			other.Add(1)
			return fmt.Errorf("status %d", st)
		}
		return nil
	})
	tr.CloseIdleConnections()
	fight.note = fmt.Sprintf("%d booked, %d answered 409 slot_full, %d other", won.Load(), full.Load(), other.Load())
	rows = append(rows, fight)
	if won.Load() != 3 {
		return fmt.Errorf("the fight for one slot of 3 gave %d bookings", won.Load())
	}
	printRows(os.Stdout, "Bookings per second (staff clients, every booking a new citizen)", rows, nil, "—")
	return nil
}
