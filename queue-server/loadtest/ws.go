package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"xephang/queue-server/apiv1"

	"github.com/gorilla/websocket"
)

type seen struct {
	number string
	at     time.Time
}

type display struct {
	conn  *websocket.Conn
	calls []seen
	err   error
}

// wsScenario times a counter's next until the ticket.called event reaches
// every one of o.displays WebSocket displays, and weighs the server with
// them connected.
func wsScenario(o options) error {
	// Every display dials from 127.0.0.1: the server must take as many
	// streams from one address (its default is 64 per address).
	data := filepath.Join(o.dir, "ws")
	os.RemoveAll(data)
	srv, err := startChild(o.server, []string{"-addr", "{addr}", "-data", data, "-demo",
		"-streams-per-addr", strconv.Itoa(o.displays + 16)}, nil, "/readyz")
	if err != nil {
		return err
	}
	defer srv.stop()
	ctx := context.Background()
	token, err := clerk(ctx, srv.base)
	if err != nil {
		return err
	}
	c := apiv1.NewClient(srv.base)
	c.Token = token
	const centre = "hoan-kiem"
	for i := 0; i < o.calls+5; i++ {
		if _, err := c.Issue(ctx, centre, apiv1.IssueRequest{Service: "A"}); err != nil {
			return fmt.Errorf("pre-issue: %w", err)
		}
	}
	q, err := c.Queue(ctx, centre)
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	rss0, _ := srv.rss()
	m0 := srv.metrics()

	// Connect the displays, 50 at a time.
	url := "ws" + srv.base[len("http"):] + "/api/v1/centres/" + centre + "/events?since=" + strconv.FormatUint(q.LastSeq, 10)
	dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	ds := make([]*display, o.displays)
	var total atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	connStart := time.Now()
	var dialErr atomic.Value
	for i := range ds {
		ds[i] = &display{calls: make([]seen, 0, o.calls+8)}
		sem <- struct{}{}
		wg.Add(1)
		go func(d *display) {
			defer wg.Done()
			conn, _, err := dialer.Dial(url, nil)
			<-sem
			if err != nil {
				dialErr.Store(err)
				d.err = err
				return
			}
			d.conn = conn
		}(ds[i])
	}
	wg.Wait()
	if err, ok := dialErr.Load().(error); ok {
		return fmt.Errorf("dial a display: %w", err)
	}
	connTook := time.Since(connStart)
	stopAt := time.Now().Add(time.Duration(o.calls)*3*time.Second + time.Minute) // bound on the readers
	var readers sync.WaitGroup
	for _, d := range ds {
		readers.Add(1)
		go func() {
			defer readers.Done()
			d.conn.SetReadDeadline(stopAt)
			var ev struct {
				Type   string `json:"type"`
				Ticket struct {
					Number string `json:"number"`
				} `json:"ticket"`
			}
			for {
				_, msg, err := d.conn.ReadMessage()
				if err != nil {
					d.err = err
					return
				}
				at := time.Now()
				ev.Type, ev.Ticket.Number = "", ""
				if json.Unmarshal(msg, &ev) == nil && ev.Type == "ticket.called" {
					d.calls = append(d.calls, seen{ev.Ticket.Number, at})
					total.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second) // let the server settle with every subscriber
	rss1, _ := srv.rss()
	m1 := srv.metrics()

	// The calls, back to back: each waits for every display (or 2 s).
	sent := map[string]time.Time{}
	var nextLat latencies
	var late int
	for i := 0; i < o.calls; i++ {
		t0 := time.Now()
		t, ok, err := c.Next(ctx, centre, 1)
		if err != nil || !ok {
			return fmt.Errorf("next %d: ok=%v err=%v", i, ok, err)
		}
		nextLat = append(nextLat, time.Since(t0))
		sent[t.Number] = t0
		want := int64(i+1) * int64(o.displays)
		deadline := time.Now().Add(2 * time.Second)
		for total.Load() < want && time.Now().Before(deadline) {
			time.Sleep(100 * time.Microsecond)
		}
		if total.Load() < want {
			late++
		}
	}
	rss2, peak := srv.rss()
	m2 := srv.metrics()
	for _, d := range ds {
		d.conn.Close()
	}
	readers.Wait()

	var all latencies
	perCall := map[string]time.Duration{} // number → slowest display
	missing, dropped := 0, 0
	for _, d := range ds {
		got := 0
		for _, s := range d.calls {
			t0, ok := sent[s.number]
			if !ok {
				continue
			}
			got++
			l := s.at.Sub(t0)
			all = append(all, l)
			if l > perCall[s.number] {
				perCall[s.number] = l
			}
		}
		missing += o.calls - got
		if got < o.calls {
			dropped++
		}
	}
	var slowest latencies
	for _, l := range perCall {
		slowest = append(slowest, l)
	}

	w := os.Stdout
	fmt.Fprintf(w, "## 2. Counter `next` → `ticket.called` at %d WebSocket displays\n\n", o.displays)
	fmt.Fprintf(w, "%d displays (in the load tool's process) connected in %s; %d calls at counter 1, back to back, each waiting for every display (2 s at most).\n\n",
		o.displays, connTook.Round(time.Millisecond), o.calls)
	fmt.Fprintln(w, "| measure | samples | p50 ms | p99 ms | max ms |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| `next` HTTP round trip (durable) | %d | %s | %s | %s |\n", len(nextLat), ms(nextLat.pct(50)), ms(nextLat.pct(99)), ms(nextLat.pct(100)))
	fmt.Fprintf(w, "| send of `next` → event at a display (every display × call) | %d | %s | %s | %s |\n", len(all), ms(all.pct(50)), ms(all.pct(99)), ms(all.pct(100)))
	fmt.Fprintf(w, "| send of `next` → event at the last display (per call) | %d | %s | %s | %s |\n", len(slowest), ms(slowest.pct(50)), ms(slowest.pct(99)), ms(slowest.pct(100)))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Events missing: %d (displays missing any: %d); calls not seen by every display within 2 s: %d.\n\n", missing, dropped, late)
	fmt.Fprintln(w, "| server (queue-server process) | RSS MiB | Go heap in use MiB | goroutines | subscribers |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| before the displays | %s | %s | %.0f | %.0f |\n", mib(float64(rss0)), mib(m0["go_memstats_heap_inuse_bytes"]), m0["go_goroutines"], m0["xephang_event_subscribers"])
	fmt.Fprintf(w, "| %d displays connected | %s | %s | %.0f | %.0f |\n", o.displays, mib(float64(rss1)), mib(m1["go_memstats_heap_inuse_bytes"]), m1["go_goroutines"], m1["xephang_event_subscribers"])
	fmt.Fprintf(w, "| after the %d calls (peak RSS %s) | %s | %s | %.0f | %.0f |\n", o.calls, mib(float64(peak)), mib(float64(rss2)), mib(m2["go_memstats_heap_inuse_bytes"]), m2["go_goroutines"], m2["xephang_event_subscribers"])
	fmt.Fprintf(w, "| per display (connected − before) | %.1f KiB | %.1f KiB | %.1f | |\n\n",
		float64(rss1-rss0)/1024/float64(o.displays), (m1["go_memstats_heap_inuse_bytes"]-m0["go_memstats_heap_inuse_bytes"])/1024/float64(o.displays),
		(m1["go_goroutines"]-m0["go_goroutines"])/float64(o.displays))
	return nil
}
