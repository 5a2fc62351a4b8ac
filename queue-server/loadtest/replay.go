package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/demo"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/queue"
)

// The event replay attack of issue 14 (point 10): 50 anonymous streams
// from one address, each asking for since=0 and reconnecting as soon as it
// has caught up, against a store holding a month of events, while a clerk
// issues and calls tickets. The clerk's latency is measured without and
// with the attack in the same run.
const (
	replayAttackers = 50
	replayDays      = 30
	replayPerDay    = 1000 // tickets a day: issued, called, finished
	replayToday     = 300
	refusedPause    = 100 * time.Millisecond // an attacker refused (429) retries after this
)

// replayStore writes a month of a busy centre's history into dir, day by
// day through the engine with its clock set to each day, and the demo's
// clerks. It returns the events written.
func replayStore(dir string) (uint64, error) {
	st, err := bolt.Open(dir)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	c, err := demo.Centre()
	if err != nil {
		return 0, err
	}
	loc := c.Location()
	today := time.Now().In(loc)
	var mu sync.Mutex
	now := time.Date(today.Year(), today.Month(), today.Day()-replayDays, 8, 0, 0, 0, loc)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	eng, err := engine.New(engine.Config{Store: st, Now: clock})
	if err != nil {
		return 0, err
	}
	defer eng.Close()
	ctx := context.Background()
	api := httpapi.New(httpapi.Config{Engine: eng, Store: st, Now: clock, BcryptCost: 4})
	if _, err := eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutCentre(c, "bench"); return nil, nil }); err != nil {
		return 0, err
	}
	for _, u := range demo.Clerks {
		if _, err := api.PutUser(ctx, u, apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: c.ID, Name: "Cán bộ", Password: demo.ClerkPassword}); err != nil {
			return 0, err
		}
	}
	var last uint64
	for d := 0; d <= replayDays; d++ {
		mu.Lock()
		now = time.Date(today.Year(), today.Month(), today.Day()-replayDays+d, 8, 0, 0, 0, loc)
		if d == replayDays {
			now = time.Now()
		}
		mu.Unlock()
		n := replayPerDay
		if d == replayDays {
			n = replayToday
		}
		v, err := eng.Write(ctx, func(tx *engine.Tx) (any, error) {
			l, err := tx.Live(c.ID)
			if err != nil {
				return nil, err
			}
			l.Roll(tx.Now)
			for i := range n {
				if _, err := l.Issue(tx.Now, queue.IssueRequest{Service: []string{"A", "B"}[i%2], Source: queue.SourceStaff}); err != nil {
					return nil, err
				}
			}
			for range n {
				if _, _, err := l.Next(tx.Now, 1+rand2(), "canbo1"); err != nil {
					return nil, err
				}
			}
			return l.LastSeq(), nil
		})
		if err != nil {
			return 0, fmt.Errorf("day %d: %w", d, err)
		}
		last = v.(uint64)
	}
	return last, nil
}

var rr atomic.Uint32

// rand2 alternates counters 1 and 2 (both serve A and B).
func rand2() int { return int(rr.Add(1) % 2) }

// cpuSeconds is the child's user+system CPU time so far.
func (c *child) cpuSeconds() float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fs) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(fs[11], 64)
	st, _ := strconv.ParseFloat(fs[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// replayPhase is one measured phase of the scenario.
type replayPhase struct {
	name                  string
	lat                   latencies
	errs                  int
	elapsed               time.Duration
	cpu                   float64
	streams, refused, evs int64
	firstType             string
}

// replayScenario runs the attack against one server binary.
func replayScenario(o options) error {
	data := filepath.Join(o.dir, "replay")
	os.RemoveAll(data)
	t0 := time.Now()
	last, err := replayStore(data)
	if err != nil {
		return fmt.Errorf("writing a month of events: %w", err)
	}
	fi, _ := os.Stat(filepath.Join(data, bolt.FileName))
	logf("replay: %d events over %d days written in %s (%s MiB)", last, replayDays+1, time.Since(t0).Round(time.Second), mib(float64(fi.Size())))
	srv, err := startChild(o.server, []string{"-addr", "{addr}", "-data", data}, nil, "/readyz")
	if err != nil {
		return err
	}
	defer srv.stop()
	ctx := context.Background()
	token, err := clerk(ctx, srv.base)
	if err != nil {
		return err
	}
	base := replayPhaseRun(srv, token, o.dur, 0)
	attack := replayPhaseRun(srv, token, o.dur, replayAttackers)
	after := replayPhaseRun(srv, token, o.dur/2, 0)
	fmt.Printf("### Event replay attack (%s)\n\n", filepath.Base(o.server))
	fmt.Printf("A store of %d events (%d days of %d tickets, today %d), %s MiB; the clerk issues a ticket and calls the next, one at a time; "+
		"%d attackers on 127.0.0.1 open since=0 streams, read until caught up, and reconnect at once (after %s when refused).\n\n",
		last, replayDays, replayPerDay, replayToday, mib(float64(fi.Size())), replayAttackers, refusedPause)
	fmt.Println("| phase | clerk requests | errors | p50 ms | p90 ms | p99 ms | p90 vs no attack | server CPU s / wall s | streams replayed | refused (429) | events sent | first message |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, p := range []replayPhase{base, attack, after} {
		ratio := float64(p.lat.pct(90)) / float64(base.lat.pct(90))
		fmt.Printf("| %s | %d | %d | %s | %s | %s | %.1f× | %.1f / %.1f | %d | %d | %d | %s |\n", p.name, len(p.lat), p.errs,
			ms(p.lat.pct(50)), ms(p.lat.pct(90)), ms(p.lat.pct(99)), ratio, p.cpu, p.elapsed.Seconds(), p.streams, p.refused, p.evs, p.firstType)
	}
	fmt.Println()
	return nil
}

// replayPhaseRun measures the clerk for d with attackers attacking.
func replayPhaseRun(srv *child, token string, d time.Duration, attackers int) replayPhase {
	p := replayPhase{name: "no attack"}
	if attackers > 0 {
		p.name = fmt.Sprintf("%d since=0 streams", attackers)
	}
	const centre = "hoan-kiem"
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var streams, refused, evs atomic.Int64
	var first atomic.Value
	url := "ws" + srv.base[len("http"):] + "/api/v1/centres/" + centre + "/events?since=0"
	for range attackers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				conn, resp, err := dialer.Dial(url, nil)
				if err != nil {
					if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
						refused.Add(1)
					}
					select {
					case <-stop:
						return
					case <-time.After(refusedPause):
					}
					continue
				}
				streams.Add(1)
				n := 0
				for {
					// Caught up: nothing more within 300 ms.
					conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
					var e struct {
						Type string `json:"type"`
					}
					if conn.ReadJSON(&e) != nil {
						break
					}
					if n == 0 {
						first.CompareAndSwap(nil, e.Type)
					}
					n++
				}
				evs.Add(int64(n))
				conn.Close()
			}
		}()
	}
	if attackers > 0 {
		time.Sleep(time.Second) // let the attack take hold
	}
	c := apiv1.NewClient(srv.base)
	c.Token = token
	ctx := context.Background()
	cpu0, start := srv.cpuSeconds(), time.Now()
	for i := 0; time.Since(start) < d; i++ {
		t := time.Now()
		var err error
		if i%2 == 0 {
			_, err = c.Issue(ctx, centre, apiv1.IssueRequest{Service: "A"})
		} else {
			_, _, err = c.Next(ctx, centre, 1)
		}
		if err != nil {
			p.errs++
			continue
		}
		p.lat = append(p.lat, time.Since(t))
	}
	p.elapsed, p.cpu = time.Since(start), srv.cpuSeconds()-cpu0
	close(stop)
	wg.Wait()
	p.streams, p.refused, p.evs = streams.Load(), refused.Load(), evs.Load()
	p.firstType = "—"
	if v, ok := first.Load().(string); ok {
		p.firstType = "`" + v + "`"
	}
	return p
}
