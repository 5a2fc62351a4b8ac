package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync/atomic"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/demo"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

var services = []string{"A", "B", "C", "D", "E", "F"}

// issueScenario measures durable ticket issuing over HTTP beside its floors.
func issueScenario(o options) error {
	var floors, mids, server []row
	boltBase := map[int]row{}
	httpBase := map[int]row{}

	// Floors on the same disk, fresh files.
	for _, n := range o.clients {
		r, err := boltFloor(o.dir, n, o.floorDur, false)
		if err != nil {
			return err
		}
		floors = append(floors, r)
		boltBase[n] = r
	}
	for _, n := range o.clients {
		r, err := boltFloor(o.dir, n, o.floorDur, true)
		if err != nil {
			return err
		}
		floors = append(floors, r)
	}
	// Our engine's group commit in-process: the same bbolt store, no HTTP.
	for _, n := range o.clients {
		r, err := engineRun(o, n)
		if err != nil {
			return err
		}
		mids = append(mids, r)
	}
	// The bare HTTP floor, then the same handler committing one key per
	// request with a bare bbolt Update: the ceiling of any HTTP service
	// durable on bbolt here.
	ceiling := map[int]row{}
	for _, b := range []struct {
		name, boltDir string
		into          map[int]row
	}{
		{"bare net/http, small JSON", "", httpBase},
		{"bare net/http + bbolt `Update` of 1 key", o.dir, ceiling},
	} {
		bare, err := startBare(b.boltDir)
		if err != nil {
			return err
		}
		for _, n := range o.clients {
			r := httpRun(b.name, bare.base+"/", "", n, o.floorDur)
			floors = append(floors, r)
			b.into[n] = r
		}
		bare.stop()
	}

	// The real server, over real HTTP, a fresh data directory per phase.
	type srvStat struct {
		clients                int
		perCommit, commitMs    float64
		rss, heap, goroutines  float64
		waitingAfter, issuedAt int
	}
	var stats []srvStat
	for _, n := range o.clients {
		srv, err := startServer(o.server, o.dir, fmt.Sprintf("issue-%d", n))
		if err != nil {
			return err
		}
		ctx := context.Background()
		token, err := clerk(ctx, srv.base)
		if err != nil {
			srv.stop()
			return err
		}
		m0 := srv.metrics()
		r := httpRun("queue-server `POST …/tickets`", srv.base+"/api/v1/centres/hoan-kiem/tickets", token, n, o.dur)
		m1 := srv.metrics()
		commits := m1["xephang_store_commit_requests_count"] - m0["xephang_store_commit_requests_count"]
		reqs := m1["xephang_store_commit_requests_sum"] - m0["xephang_store_commit_requests_sum"]
		secs := m1["xephang_store_commit_seconds_sum"] - m0["xephang_store_commit_seconds_sum"]
		rss, _ := srv.rss()
		st := srvStat{clients: n, rss: float64(rss), heap: m1["go_memstats_heap_inuse_bytes"], goroutines: m1["go_goroutines"], issuedAt: r.n}
		if commits > 0 {
			st.perCommit = reqs / commits
			st.commitMs = secs / commits * 1000
		}
		r.note = fmt.Sprintf("%.1f requests/commit, commit %.2f ms", st.perCommit, st.commitMs)
		stats = append(stats, st)
		server = append(server, r)
		srv.stop()
	}

	var inter []row
	if slices.Contains(o.clients, 1) {
		var err error
		if inter, err = interleaved(o, o.dur); err != nil {
			return err
		}
	}

	w := os.Stdout
	fmt.Fprintln(w, "## 1. Tickets issued per second")
	fmt.Fprintln(w)
	printRows(w, "Floors (same disk, fresh files; same HTTP client setup)", floors, boltBase, "bbolt Update")
	printRows(w, "Engine group commit, in-process (bolt store + engine + queue.Live.Issue, no HTTP)", mids, boltBase, "bbolt Update")
	printRows(w, "queue-server over HTTP (loopback, keep-alive, one clerk token)", server, boltBase, "bbolt Update")
	fmt.Fprintln(w, "| clients | server ops/s vs bare HTTP | vs bare HTTP + bbolt `Update` | server RSS MiB | Go heap in use MiB | goroutines |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: |")
	for i, st := range stats {
		ratio := server[i].rate() / httpBase[st.clients].rate()
		ceil := server[i].rate() / ceiling[st.clients].rate()
		fmt.Fprintf(w, "| %d | %.3f× | %.3f× | %s | %s | %.0f |\n", st.clients, ratio, ceil, mib(st.rss), mib(st.heap), st.goroutines)
	}
	fmt.Fprintln(w)
	if len(inter) > 0 {
		printRows(w, "One client, interleaved: 0.5-s slices of each in turn on a fresh file / server", inter, map[int]row{1: inter[0]}, "bbolt Update")
		fmt.Fprintf(w, "Server against the bare HTTP + `Update` ceiling, interleaved: **%.3f×**.\n\n", inter[2].rate()/inter[1].rate())
	}
	return nil
}

// httpRun posts small JSON ticket requests from n keep-alive clients.
func httpRun(name, url, token string, n int, d time.Duration) row {
	tr := newTransport(n)
	defer tr.CloseIdleConnections()
	return drive(name, n, d, httpOp(tr, url, token))
}

// httpOp posts one small JSON ticket request and expects 201 Created.
func httpOp(tr *http.Transport, url, token string) func(w, i int) error {
	hc := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	return func(w, i int) error {
		body := fmt.Sprintf(`{"service":%q}`, services[(w+i)%len(services)])
		req, err := http.NewRequest("POST", url, bytes.NewReader([]byte(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return err
	}
}

// interleaved measures one client against the bare bbolt Update, the bare
// HTTP + Update ceiling and the server in alternating slices of 0.5 s, d
// for each in all: a drift of the machine (other tenants of the host, the
// disk's moods) then weighs on all three alike, which phases run one
// after the other cannot promise.
func interleaved(o options, d time.Duration) ([]row, error) {
	db, bucket, err := floorFile(o.dir, "interleaved-floor.db")
	if err != nil {
		return nil, err
	}
	defer os.Remove(filepath.Join(o.dir, "interleaved-floor.db"))
	defer db.Close()
	ceil, err := startBare(o.dir)
	if err != nil {
		return nil, err
	}
	defer ceil.stop()
	srv, err := startServer(o.server, o.dir, "interleaved")
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	token, err := clerk(context.Background(), srv.base)
	if err != nil {
		return nil, err
	}
	tr := newTransport(2)
	defer tr.CloseIdleConnections()
	phases := []struct {
		name string
		op   func(w, i int) error
	}{
		{"bbolt `Update`, 1 key", boltOp(db, bucket, false)},
		{"bare net/http + bbolt `Update` of 1 key", httpOp(tr, ceil.base+"/", "")},
		{"queue-server `POST …/tickets`", httpOp(tr, srv.base+"/api/v1/centres/hoan-kiem/tickets", token)},
	}
	rows := make([]row, len(phases))
	for i, p := range phases {
		rows[i] = row{name: p.name, clients: 1}
	}
	const slice = 500 * time.Millisecond
	for done := time.Duration(0); done < d; done += slice {
		for i, p := range phases {
			rows[i].add(driveQuiet(p.name, 1, slice, p.op))
		}
	}
	for _, r := range rows {
		logf("interleaved %s ×1: %.0f ops/s", r.name, r.rate())
	}
	return rows, nil
}

// engineRun issues tickets through the engine in-process on a fresh bolt
// store: what group commit gives without HTTP.
func engineRun(o options, n int) (row, error) {
	dir, err := os.MkdirTemp(o.dir, "engine-")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	st, err := bolt.Open(dir)
	if err != nil {
		return row{}, err
	}
	defer st.Close()
	var commits, reqs atomic.Int64
	eng, err := engine.New(engine.Config{Store: st, Observer: engine.Observer{Commit: func(r int, _ time.Duration, _ error) {
		commits.Add(1)
		reqs.Add(int64(r))
	}}})
	if err != nil {
		return row{}, err
	}
	defer eng.Close()
	c, err := demo.Centre()
	if err != nil {
		return row{}, err
	}
	ctx := context.Background()
	if _, err := eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutCentre(c, "bench"); return nil, nil }); err != nil {
		return row{}, err
	}
	if o.profile != "" && n == o.clients[len(o.clients)-1] {
		f, err := os.Create(o.profile)
		if err != nil {
			return row{}, err
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	commits.Store(0)
	reqs.Store(0)
	r := drive("engine.Write(Issue)", n, o.floorDur, func(w, i int) error {
		_, err := eng.Write(ctx, func(tx *engine.Tx) (any, error) {
			l, err := tx.Live(c.ID)
			if err != nil {
				return nil, err
			}
			return l.Issue(tx.Now, queue.IssueRequest{Service: services[(w+i)%len(services)], Source: queue.SourceStaff})
		})
		return err
	})
	if c := commits.Load(); c > 0 {
		r.note = fmt.Sprintf("%.1f requests/commit", float64(reqs.Load())/float64(c))
	}
	return r, nil
}
