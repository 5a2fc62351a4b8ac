package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
	"xephang/queue-server/testsrv"
)

// Several queue-server processes on one PostgreSQL database, behind a
// real haproxy: the tests of issue 17's proofs.

// instance is a queue-server process of a cluster test.
type instance struct {
	cmd  *exec.Cmd
	url  string
	addr string
}

// startInstance runs the binary on database db with the shared data
// directory (CA and key file), on a free loopback port.
func startInstance(t testing.TB, bin, data, db string, extra ...string) *instance {
	t.Helper()
	return startProcessArgs(t, bin, append([]string{"-data", data, "-database", db}, extra...)...)
}

// startProcessArgs runs the binary with the demo and args on a free
// loopback port.
func startProcessArgs(t testing.TB, bin string, extra ...string) *instance {
	t.Helper()
	args := append([]string{"-demo", "-addr", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XEPHANG_ADMIN_PASSWORD=admin-secret")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := listenRe.FindStringSubmatch(line); m != nil {
				found <- m[1]
				continue
			}
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
				t.Log(line)
			}
		}
	}()
	select {
	case addr := <-found:
		return &instance{cmd: cmd, url: "http://" + addr, addr: addr}
	case <-time.After(30 * time.Second):
		t.Fatal("queue-server did not start in 30 s")
	}
	return nil
}

// cluster starts a fresh database, two instances on it and haproxy in
// front of them.
func cluster(t *testing.T) (a, b *instance, lb string) {
	t.Helper()
	pg := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
	db := pg.CreateDB(t)
	bin := buildBinary(t)
	data := t.TempDir()
	a = startInstance(t, bin, data, db)
	b = startInstance(t, bin, data, db) // the same key file and CA: made by a, read by b
	return a, b, "http://" + testsrv.StartHAProxy(t, a.addr, b.addr).Addr
}

func clerkClient(t testing.TB, url string) *apiv1.Client {
	t.Helper()
	c := apiv1.NewClient(url)
	if err := c.Login(context.Background(), "canbo1", "demo12345"); err != nil {
		t.Fatal(err)
	}
	return c
}

// display follows a centre's events: directly on one instance, and when
// that one dies, through the load balancer again with since= its last
// seq. It records every seq it saw.
type display struct {
	mu   sync.Mutex
	seqs []uint64
	err  error
}

func (d *display) follow(ctx context.Context, first, fallback *apiv1.Client, since uint64) {
	c := first
	for ctx.Err() == nil {
		es, err := c.Events(ctx, "hoan-kiem", since)
		if err != nil {
			c = fallback
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for ctx.Err() == nil {
			ev, err := es.Next(time.Now().Add(500 * time.Millisecond))
			if err != nil {
				var ne interface{ Timeout() bool }
				if errors.As(err, &ne) && ne.Timeout() {
					es.Close() // a read timeout spoils a gorilla connection: open again
				}
				break
			}
			if ev.Type == "replay.truncated" {
				continue
			}
			d.mu.Lock()
			d.seqs = append(d.seqs, ev.Seq)
			d.mu.Unlock()
			since = ev.Seq
		}
		es.Close()
		c = fallback
	}
}

// check reports a display's seqs that are not first+1, first+2, … last.
func (d *display) check(first, last uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	want := first + 1
	for _, s := range d.seqs {
		if s != want {
			return fmt.Errorf("saw seq %d where %d was due (%d events seen)", s, want, len(d.seqs))
		}
		want++
	}
	if want-1 != last {
		return fmt.Errorf("saw up to seq %d, the centre is at %d", want-1, last)
	}
	return nil
}

// TestClusterKill9 runs 64 clients issuing and calling through haproxy in
// front of two instances, kills one with SIGKILL mid-load and checks that
// every acknowledged ticket exists exactly once, that numbers per service
// are contiguous, and that displays on the survivor, and those of the dead
// one that came back through the balancer with since=, saw every event in
// order.
func TestClusterKill9(t *testing.T) {
	a, b, lb := cluster(t)
	ctx := context.Background()
	ca, cb := clerkClient(t, a.url), clerkClient(t, b.url)
	viaLB := clerkClient(t, lb)
	// Counters 1 and 2 open for calling.
	for _, n := range []int{1, 2} {
		if _, err := cb.Counter(ctx, "hoan-kiem", n, "resume", nil); err != nil {
			t.Fatal(err)
		}
	}
	q, err := cb.Queue(ctx, "hoan-kiem")
	if err != nil {
		t.Fatal(err)
	}
	start := q.LastSeq
	dctx, stopDisplays := context.WithCancel(ctx)
	var displays []*display
	var dwg sync.WaitGroup
	for i := 0; i < 8; i++ {
		d := &display{}
		displays = append(displays, d)
		first := cb // on the survivor
		if i%2 == 1 {
			first = ca // on the instance to die: they come back through the balancer
		}
		dwg.Add(1)
		go func() { defer dwg.Done(); d.follow(dctx, first, viaLB, start) }()
	}
	time.Sleep(300 * time.Millisecond) // the displays subscribe

	var mu sync.Mutex
	acked := map[string]string{} // id → number
	var errs atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 64; i++ {
		c := apiv1.NewClient(lb)
		c.Token = viaLB.Token
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 5000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if i%16 == 15 { // a few clerks call
					if _, _, err := c.Next(ctx, "hoan-kiem", 1+i%2); err != nil {
						errs.Add(1)
					}
					continue
				}
				tk, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: []string{"A", "B"}[n%2]})
				if err != nil {
					errs.Add(1)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				mu.Lock()
				acked[tk.ID] = tk.Number
				mu.Unlock()
			}
		}()
	}
	waitFor := func(n int) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d tickets acknowledged in 60 s", got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(500)
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	mu.Lock()
	atKill := len(acked)
	mu.Unlock()
	waitFor(atKill + 500) // the survivor carries on alone
	close(stop)
	wg.Wait()

	all, err := cb.Tickets(ctx, "hoan-kiem", false)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	perService := map[string][]string{}
	for _, tk := range all {
		if _, dup := byID[tk.ID]; dup {
			t.Fatalf("ticket %s listed twice", tk.ID)
		}
		byID[tk.ID] = tk.Number
		perService[tk.Service] = append(perService[tk.Service], tk.Number)
	}
	for id, num := range acked {
		if byID[id] != num {
			t.Fatalf("acknowledged ticket %s (%s) is %q after the kill", num, id, byID[id])
		}
	}
	for svc, nums := range perService {
		sort.Strings(nums)
		for i, n := range nums {
			if want := queue.FormatNumber(svc, i+1); n != want {
				t.Fatalf("service %s: numbers not unique and contiguous at %d: %s, want %s", svc, i, n, want)
			}
		}
	}
	q, err = cb.Queue(ctx, "hoan-kiem")
	if err != nil {
		t.Fatal(err)
	}
	// Every display catches up to the last seq, then is checked.
	deadline := time.Now().Add(30 * time.Second)
	for i, d := range displays {
		for {
			err := d.check(start, q.LastSeq)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("display %d (first on %s): %v", i, map[bool]string{true: "the survivor", false: "the killed one"}[i%2 == 0], err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	stopDisplays()
	dwg.Wait()
	t.Logf("%d acknowledged (%d before the kill), %d stored, %d failed requests (in flight to the killed one, retried), %d events seen by each display",
		len(acked), atKill, len(all), errs.Load(), q.LastSeq-start)
}

// TestClusterBookingRace sends 200 bookings for one slot of capacity 3,
// half to each instance at once: exactly 3 win, all others are told the
// slot is full.
func TestClusterBookingRace(t *testing.T) {
	a, b, _ := cluster(t)
	ctx := context.Background()
	admin := apiv1.NewClient(a.url)
	if err := admin.Login(ctx, "admin", "admin-secret"); err != nil {
		t.Fatal(err)
	}
	c := raceCentre()
	if _, err := admin.PutCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	date := time.Now().In(c.Location()).AddDate(0, 0, 2).Format(time.DateOnly)
	var slots []apiv1.SlotView
	if _, err := admin.Do(ctx, "GET", "/api/v1/centres/race/slots?service=B&date="+date, nil, &slots); err != nil || len(slots) == 0 {
		t.Fatalf("slots: %v %v", slots, err)
	}
	target := slots[len(slots)/2].Start
	var won, full atomic.Int64
	var other sync.Map
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		cl := apiv1.NewClient([]string{a.url, b.url}[i%2])
		cl.Token = admin.Token
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"service": "B", "start": target,
				"citizen": map[string]string{"id_number": fmt.Sprintf("001090%06d", i), "name": "Nguyễn Văn Đua", "phone": "0912345678"}}
			st, err := cl.Do(ctx, "POST", "/api/v1/centres/race/bookings", body, nil)
			switch {
			case st == http.StatusCreated:
				won.Add(1)
			case st == http.StatusConflict:
				full.Add(1)
			default:
				other.Store(i, fmt.Sprintf("%d %v", st, err))
			}
		}()
	}
	wg.Wait()
	other.Range(func(k, v any) bool { t.Errorf("booking %v: %v", k, v); return true })
	if won.Load() != 3 || full.Load() != 197 {
		t.Fatalf("%d booked and %d refused as full; want 3 and 197", won.Load(), full.Load())
	}
	// Both instances agree on the three.
	for _, url := range []string{a.url, b.url} {
		cl := apiv1.NewClient(url)
		cl.Token = admin.Token
		var bs []apiv1.BookingView
		if _, err := cl.Do(ctx, "GET", "/api/v1/centres/race/bookings?date="+date, nil, &bs); err != nil {
			t.Fatal(err)
		}
		if len(bs) != 3 {
			t.Fatalf("%s lists %d bookings, want 3", url, len(bs))
		}
	}
}

func raceCentre() queue.Centre {
	c := queue.Centre{ID: "race", Name: "Trung tâm thử tranh chỗ", Timezone: "Asia/Ho_Chi_Minh"}
	for d := 0; d < 7; d++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: d, Open: "07:00", Close: "17:00"})
	}
	c.Services = []queue.Service{{Code: "B", Name: "Chứng thực", Minutes: 5, Bookable: true, SlotMinutes: 30, SlotCapacity: 3}}
	c.Counters = []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"B"}}}
	c.Rules.BookingsPerDay = 2
	c.Normalize()
	return c
}

// TestClusterDatabaseFailover runs an instance on a multi-host connection
// string over a primary and its synchronous standby, kills the primary
// with SIGKILL mid-load, promotes the standby and checks that the
// instance reconnects and every acknowledged ticket is on the new primary.
func TestClusterDatabaseFailover(t *testing.T) {
	killToAck, promoteToAck := failover(t, true)
	t.Logf("first acknowledgement %v after the primary's death, %v after the promotion", killToAck.Round(time.Millisecond), promoteToAck.Round(time.Millisecond))
}

// failover is TestClusterDatabaseFailover's run; it returns the time from
// the primary's death, and from the promotion, to the first ticket
// acknowledged after it.
func failover(t testing.TB, checkReady bool) (killToAck, promoteToAck time.Duration) {
	t.Helper()
	primary := testsrv.StartPostgres(t, testsrv.PGOptions{})
	dbURL := primary.CreateDB(t)
	standby := primary.Standby(t, true)
	name := dbURL[strings.LastIndex(dbURL, "/")+1 : strings.Index(dbURL, "?")]
	multi := fmt.Sprintf("postgres://%s@127.0.0.1:%d,127.0.0.1:%d/%s?sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		testsrv.Superuser, primary.Port, standby.Port, name)
	bin := buildBinary(t)
	inst := startInstance(t, bin, t.TempDir(), multi)
	ctx := context.Background()
	c := clerkClient(t, inst.url)
	var mu sync.Mutex
	acked := map[string]string{}
	var lastAck atomic.Int64 // unix nanos of the latest acknowledgement
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("failover-%d-%d", i, n)
				tk, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "B", IdempotencyKey: key})
				for err != nil { // the same key again: never a second number
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
					tk, err = c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "B", IdempotencyKey: key})
				}
				mu.Lock()
				acked[tk.ID] = tk.Number
				mu.Unlock()
				lastAck.Store(time.Now().UnixNano())
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	killed := time.Now()
	primary.Kill(t)
	if checkReady {
		// Without a primary the instance says it is not ready, so a load
		// balancer sends nothing to it.
		deadline := time.Now().Add(10 * time.Second)
		for {
			status := 0
			resp, err := http.Get(inst.url + "/readyz")
			if err == nil {
				resp.Body.Close()
				status = resp.StatusCode
			}
			if status == http.StatusServiceUnavailable {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz answers %d (%v) with the primary dead, want 503", status, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	standby.Promote(t)
	promoted := time.Now()
	// Service resumes: an acknowledgement after the promotion.
	deadline := time.Now().Add(60 * time.Second)
	for time.Unix(0, lastAck.Load()).Before(promoted) {
		if time.Now().After(deadline) {
			t.Fatal("no ticket acknowledged within 60 s of the promotion")
		}
		time.Sleep(5 * time.Millisecond)
	}
	resumed := time.Unix(0, lastAck.Load())
	close(stop)
	wg.Wait()
	all, err := c.Tickets(ctx, "hoan-kiem", false)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for _, tk := range all {
		byID[tk.ID] = tk.Number
	}
	for id, num := range acked {
		if byID[id] != num {
			t.Fatalf("acknowledged ticket %s (%s) is %q on the promoted standby", num, id, byID[id])
		}
	}
	// And the database itself, not the instance's memory, has them.
	if got := standby.SQL(t, name, "SELECT count(*) FROM tickets WHERE centre = 'hoan-kiem'"); got != fmt.Sprint(len(all)) {
		t.Fatalf("the new primary holds %s tickets, the instance lists %d", got, len(all))
	}
	t.Logf("%d acknowledged; standby promoted %v after the primary's death", len(acked), promoted.Sub(killed).Round(time.Millisecond))
	return resumed.Sub(killed), resumed.Sub(promoted)
}

// TestClusterReportsFromStandby: an instance with -report-database reads
// its reports from a standby (read-only: no migration, the schema must be
// applied), finds there what it wrote to the primary, and reads nothing
// else there.
func TestClusterReportsFromStandby(t *testing.T) {
	primary := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
	dbURL := primary.CreateDB(t)
	bin := buildBinary(t)
	data := t.TempDir()
	// The schema exists on the primary before the standby copies it.
	first := startInstance(t, bin, data, dbURL)
	first.cmd.Process.Kill()
	first.cmd.Wait()
	standby := primary.Standby(t, false)
	name := dbURL[strings.LastIndex(dbURL, "/")+1 : strings.Index(dbURL, "?")]
	inst := startInstance(t, bin, data, dbURL, "-report-database", standby.URL(name))
	ctx := context.Background()
	c := clerkClient(t, inst.url)
	for i := 0; i < 5; i++ {
		if _, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "A"}); err != nil {
			t.Fatal(err)
		}
	}
	admin := apiv1.NewClient(inst.url)
	if err := admin.Login(ctx, "admin", "admin-secret"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var rep struct {
			Total struct {
				Tickets int `json:"tickets"`
			} `json:"total"`
		}
		st, err := admin.Do(ctx, "GET", "/api/v1/centres/hoan-kiem/reports?period=day", nil, &rep)
		if st == http.StatusOK && rep.Total.Tickets == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("report from the standby: %d %v, %d tickets, want 5", st, err, rep.Total.Tickets)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Reports read the standby alone, writes never go to it: with the
	// standby dead, reports fail and tickets are still issued.
	standby.Kill(t)
	if st, _ := admin.Do(ctx, "GET", "/api/v1/centres/hoan-kiem/reports?period=day", nil, nil); st == http.StatusOK {
		t.Fatal("a report answered with its database dead: it was not read from the standby")
	}
	if _, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "A"}); err != nil {
		t.Fatal(err)
	}
}
