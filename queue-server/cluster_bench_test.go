package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
	"xephang/queue-server/testsrv"
)

// Benchmarks of issue 17 (make bench runs them with -benchtime=Nx: N
// tickets per run). Every store is durable: bbolt fsyncs, PostgreSQL runs
// with fsync and synchronous_commit on, on the same machine.

// benchSetup is a running store and the URL clients use.
type benchSetup struct {
	url       string
	instances []string // each instance's own URL, for its metrics
	admin     *apiv1.Client
}

// commits sums the instances' commit counters: how many commits and write
// requests they made.
func (s *benchSetup) commits(b *testing.B) (commits, requests float64) {
	for _, u := range s.instances {
		resp, err := http.Get(u + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			v, _ := strconv.ParseFloat(f[1], 64)
			switch f[0] {
			case "xephang_store_commit_requests_count":
				commits += v
			case "xephang_store_commit_requests_sum":
				requests += v
			}
		}
		resp.Body.Close()
	}
	return commits, requests
}

// setupFor starts the servers of a kind, stopped when b ends: "bbolt"
// (one instance on its file), "pg1" (one instance on PostgreSQL), "pg2"
// (two instances on PostgreSQL behind haproxy, round robin: every round of
// each contends with the other's for the same centres), "pg2-by-centre"
// (the same, balanced by centre as the README advises).
func setupFor(b *testing.B, benchBin, kind string) *benchSetup {
	var url string
	var instances []string
	switch kind {
	case "bbolt":
		inst := startProcessArgs(b, benchBin, "-data", b.TempDir())
		url = inst.url
		instances = []string{url}
	case "pg1", "pg2", "pg2-by-centre":
		pg := testsrv.StartPostgres(b, testsrv.PGOptions{Settings: []string{"max_connections = 300"}})
		db := pg.CreateDB(b)
		data := b.TempDir()
		a := startInstance(b, benchBin, data, db)
		url = a.url
		instances = []string{a.url}
		if kind != "pg1" {
			bb := startInstance(b, benchBin, data, db)
			balance := "roundrobin"
			if kind == "pg2-by-centre" {
				balance = testsrv.ByCentre
			}
			url = "http://" + testsrv.StartHAProxyBalance(b, balance, a.addr, bb.addr).Addr
			instances = append(instances, bb.url)
		}
	}
	admin := apiv1.NewClient(url)
	if err := admin.Login(context.Background(), "admin", "admin-secret"); err != nil {
		b.Fatal(err)
	}
	for i := 1; i <= 8; i++ {
		if _, err := admin.PutCentre(context.Background(), benchCentreN(i)); err != nil {
			b.Fatal(err)
		}
	}
	return &benchSetup{url: url, instances: instances, admin: admin}
}

func benchCentreN(i int) queue.Centre {
	c := queue.Centre{ID: fmt.Sprintf("bench-%d", i), Name: fmt.Sprintf("Trung tâm đo tải %d", i), Timezone: "Asia/Ho_Chi_Minh"}
	for d := 0; d < 7; d++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: d, Open: "00:00", Close: "24:00"})
	}
	c.Services = []queue.Service{{Code: "A", Name: "Hộ tịch", Minutes: 5}, {Code: "B", Name: "Chứng thực", Minutes: 5}}
	c.Counters = []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A", "B"}}}
	zero := 0
	c.Rules.WalkInClosesMinutesBefore = &zero
	c.Normalize()
	return c
}

// BenchmarkClusterIssue measures durable tickets per second and the p99
// latency of issuing, over HTTP, for each store, with the clients spread
// over 8 centres (a province) or all on one centre (the worst case).
func BenchmarkClusterIssue(b *testing.B) {
	bin := buildBinary(b)
	for _, kind := range []string{"bbolt", "pg1", "pg2", "pg2-by-centre"} {
		b.Run("store="+kind, func(b *testing.B) { benchIssue(b, setupFor(b, bin, kind)) })
	}
}

func benchIssue(b *testing.B, s *benchSetup) {
	for _, centres := range []int{8, 1} {
		for _, clients := range []int{1, 64} {
			b.Run(fmt.Sprintf("centres=%d/clients=%d", centres, clients), func(b *testing.B) {
				tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
				defer tr.CloseIdleConnections()
				hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
				var next atomic.Int64
				lats := make([][]time.Duration, clients)
				var failed atomic.Int64
				var wg sync.WaitGroup
				commits0, requests0 := s.commits(b)
				b.ResetTimer()
				start := time.Now()
				for w := 0; w < clients; w++ {
					c := apiv1.NewClient(s.url)
					c.Token, c.HTTP = s.admin.Token, hc
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							centre := fmt.Sprintf("bench-%d", 1+int(i)%centres)
							t0 := time.Now()
							if _, err := c.Issue(context.Background(), centre, apiv1.IssueRequest{Service: "A"}); err != nil {
								failed.Add(1)
								continue
							}
							lats[w] = append(lats[w], time.Since(t0))
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				all := slices.Concat(lats...)
				slices.Sort(all)
				if f := failed.Load(); f > 0 {
					b.Fatalf("%d of %d requests failed", f, b.N)
				}
				commits1, requests1 := s.commits(b)
				b.ReportMetric((requests1-requests0)/(commits1-commits0), "tickets/commit")
				b.ReportMetric(float64(len(all))/elapsed.Seconds(), "tickets/s")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// BenchmarkClusterEventDelay measures the delay from a call made on one
// instance to its event at 1,000 displays connected to the other: b.N
// calls, the p99 over every display and call.
func BenchmarkClusterEventDelay(b *testing.B) {
	pg := testsrv.StartPostgres(b, testsrv.PGOptions{})
	db := pg.CreateDB(b)
	bin := buildBinary(b)
	data := b.TempDir()
	a := startInstance(b, bin, data, db, "-streams-per-addr", "2000")
	bb := startInstance(b, bin, data, db, "-streams-per-addr", "2000")
	ctx := context.Background()
	ca, cb := clerkClient(b, a.url), clerkClient(b, bb.url)
	for i := 0; i < b.N+10; i++ {
		if _, err := ca.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "B"}); err != nil {
			b.Fatal(err)
		}
	}
	q, err := cb.Queue(ctx, "hoan-kiem")
	if err != nil {
		b.Fatal(err)
	}
	const displays = 1000
	type seen struct {
		seq uint64
		at  time.Time
	}
	got := make([][]seen, displays)
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := 0; i < displays; i++ {
		es, err := cb.Events(dctx, "hoan-kiem", q.LastSeq)
		if err != nil {
			b.Fatalf("display %d: %v", i, err)
		}
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			defer es.Close()
			ready.Done()
			for {
				ev, err := es.Next(time.Now().Add(30 * time.Second))
				if err != nil || dctx.Err() != nil {
					return
				}
				got[i] = append(got[i], seen{ev.Seq, time.Now()})
			}
		}()
	}
	ready.Wait()
	sent := map[uint64]time.Time{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, _, err := ca.Next(ctx, "hoan-kiem", 1); err != nil {
			b.Fatal(err)
		}
		q, err := ca.Queue(ctx, "hoan-kiem")
		if err != nil {
			b.Fatal(err)
		}
		sent[q.LastSeq] = t0
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	b.StopTimer()
	cancel()
	wg.Wait()
	var delays []time.Duration
	missing := 0
	for _, g := range got {
		at := map[uint64]time.Time{}
		for _, s := range g {
			at[s.seq] = s.at
		}
		for seq, t0 := range sent {
			if a, ok := at[seq]; ok {
				delays = append(delays, a.Sub(t0))
			} else {
				missing++
			}
		}
	}
	if missing > 0 || len(delays) == 0 {
		b.Fatalf("%d call events never reached a display (%d did)", missing, len(delays))
	}
	slices.Sort(delays)
	b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(delays[len(delays)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkClusterFailover measures, once per run, the seconds from the
// PostgreSQL primary's death to the first ticket acknowledged on the
// promoted standby (the promotion itself included).
func BenchmarkClusterFailover(b *testing.B) {
	for i := 0; i < b.N; i++ {
		killToAck, promoteToAck := failover(b, false)
		b.ReportMetric(killToAck.Seconds(), "s-kill-to-ack")
		b.ReportMetric(promoteToAck.Seconds(), "s-promote-to-ack")
	}
	b.ReportMetric(0, "ns/op")
}
