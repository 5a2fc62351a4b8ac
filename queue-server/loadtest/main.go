// Command loadtest measures queue-server (issue 2's benchmarks) and prints
// markdown tables:
//
//	loadtest -scenario issue -server bin/queue-server   # tickets/s and latency, beside the floors
//	loadtest -scenario ws -server bin/queue-server      # next → event at 1,000 WebSocket displays
//	loadtest -scenario wait                             # estimated-wait error over simulated days
//	loadtest -scenario booking -server bin/queue-server # bookings/s spread over slots, and 64 fighting for one
//	loadtest -scenario replay -server bin/queue-server  # a clerk's latency under 50 since=0 event streams
//	loadtest -scenario notify -server bin/queue-server  # what notifications add per ticket; messages/s through the outbox
//	loadtest -scenario all -server bin/queue-server
//
// Everything runs on 127.0.0.1; every loop is bounded in count and time.
// The server under test is the real binary, started on a fresh data
// directory with -demo, in its own process.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"syscall"
	"time"
)

type options struct {
	scenario string
	server   string
	dir      string
	dur      time.Duration
	floorDur time.Duration
	clients  []int
	displays int
	calls    int
	seeds    int
	// notifyMessages is how many messages the notify scenario puts through the outbox.
	notifyMessages int
	profile        string
	addr           string // bare-server child only
	bareBolt       string // bare-server child only: commit each request here
}

func main() {
	var o options
	var clients string
	flag.StringVar(&o.scenario, "scenario", "all", "issue, ws, wait, booking, replay, notify or all")
	flag.StringVar(&o.server, "server", "bin/queue-server", "queue-server binary to run and measure")
	flag.StringVar(&o.dir, "dir", "", "scratch directory for data files, on the disk to measure (default: a new temporary directory)")
	flag.DurationVar(&o.dur, "duration", 10*time.Second, "length of each server load phase")
	flag.DurationVar(&o.floorDur, "floor-duration", 5*time.Second, "length of each floor / in-process phase")
	flag.StringVar(&clients, "clients", "1,64", "concurrent clients of each phase, comma-separated")
	flag.IntVar(&o.displays, "displays", 1000, "WebSocket displays")
	flag.IntVar(&o.calls, "calls", 200, "counter calls to time at the displays")
	flag.IntVar(&o.seeds, "seeds", 20, "simulated days for the wait scenario")
	flag.IntVar(&o.notifyMessages, "messages", 5000, "messages the notify scenario puts through the outbox")
	flag.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the in-process engine phase (64 writers) here")
	flag.StringVar(&o.addr, "bare-addr", "", "internal: serve the bare JSON handler on this address")
	flag.StringVar(&o.bareBolt, "bare-bolt", "", "internal: the bare handler also commits one key per request to a fresh bbolt file in this directory")
	flag.Parse()
	if o.addr != "" {
		serveBare(o.addr, o.bareBolt)
		return
	}
	for _, f := range splitInts(clients) {
		if f < 1 || f > 1024 {
			fatalf("-clients: 1 to 1024")
		}
		o.clients = append(o.clients, f)
	}
	raiseNoFile()
	if o.dir == "" {
		d, err := os.MkdirTemp("", "xephang-bench-")
		if err != nil {
			fatalf("%v", err)
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	fmt.Printf("<!-- loadtest %s, GOMAXPROCS %d, %s -->\n\n", o.scenario, runtime.GOMAXPROCS(0), time.Now().Format(time.RFC3339))
	run := func(name string, f func(options) error) {
		if o.scenario != name && o.scenario != "all" {
			return
		}
		if err := f(o); err != nil {
			fatalf("%s: %v", name, err)
		}
	}
	run("issue", issueScenario)
	run("ws", wsScenario)
	run("wait", waitScenario)
	run("booking", bookingScenario)
	run("replay", replayScenario)
	run("notify", notifyScenario)
	switch o.scenario {
	case "issue", "ws", "wait", "booking", "replay", "notify", "all":
	default:
		fatalf("unknown -scenario %q", o.scenario)
	}
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "loadtest: "+format+"\n", a...)
	os.Exit(1)
}

func logf(format string, a ...any) { fmt.Fprintf(os.Stderr, "loadtest: "+format+"\n", a...) }

func splitInts(s string) []int {
	var out []int
	n, in := 0, false
	for _, r := range s + "," {
		switch {
		case r >= '0' && r <= '9':
			n, in = n*10+int(r-'0'), true
		case r == ',' && in:
			out = append(out, n)
			n, in = 0, false
		}
	}
	return out
}

// raiseNoFile lifts the open-file limit to its hard maximum; the server
// child inherits it.
func raiseNoFile() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		logf("raise RLIMIT_NOFILE: %v", err)
	}
}

// Latencies accumulates timings.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// row is one line of the throughput table.
type row struct {
	name    string
	clients int
	n       int
	errs    int
	elapsed time.Duration
	lat     latencies
	note    string
}

func (r row) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func printRows(w io.Writer, title string, rows []row, base map[int]row, baseName string) {
	fmt.Fprintf(w, "### %s\n\n", title)
	fmt.Fprintf(w, "| what | clients | ops | errors | ops/s | p50 ms | p99 ms | max ms | vs %s | notes |\n", baseName)
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range rows {
		ratio := "—"
		if b, ok := base[r.clients]; ok && b.rate() > 0 {
			ratio = fmt.Sprintf("%.2f×", r.rate()/b.rate())
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.0f | %s | %s | %s | %s | %s |\n",
			r.name, r.clients, r.n, r.errs, r.rate(), ms(r.lat.pct(50)), ms(r.lat.pct(99)), ms(r.lat.pct(100)), ratio, r.note)
	}
	fmt.Fprintln(w)
}
