package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{"XEPHANG_ADDR": "127.0.0.1:9999", "XEPHANG_DATA": "/srv/x", "XEPHANG_ADMIN_PASSWORD": "pw"}
	cfg, err := ParseConfig([]string{"-data", "/flag"}, func(k string) string { return env[k] })
	if err != nil || cfg.Addr != "127.0.0.1:9999" || cfg.DataDir != "/flag" || cfg.AdminPassword != "pw" || cfg.Demo {
		t.Fatalf("%+v %v", cfg, err)
	}
	if _, err := ParseConfig([]string{"-nope"}, func(string) string { return "" }); err == nil {
		t.Fatal("unknown flag accepted")
	}
	for _, bad := range [][]string{{"-demo-history", "-1"}, {"-demo-history", "731"}} {
		if _, err := ParseConfig(bad, func(string) string { return "" }); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
	if cfg, err := ParseConfig(nil, func(k string) string { return map[string]string{"XEPHANG_DEMO_HISTORY": "365"}[k] }); err != nil || cfg.DemoHistory != 365 {
		t.Fatalf("XEPHANG_DEMO_HISTORY=365: %+v %v", cfg.DemoHistory, err)
	}
	if _, err := ParseConfig(nil, func(k string) string { return map[string]string{"XEPHANG_LOG_LEVEL": "loud"}[k] }); err == nil {
		t.Fatal("bad log level accepted")
	}
}

func TestMainDemo(t *testing.T) {
	dir := t.TempDir()
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true, DemoHistory: 14, AdminPassword: "admin-secret"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	c := apiv1.NewClient("http://" + m.Addr())
	if err := c.Login(ctx, "canbo1", "demo12345"); err != nil {
		t.Fatal(err)
	}
	tk, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "C"})
	if err != nil || tk.Number != "C001" || tk.ServiceName != "Đất đai" {
		t.Fatalf("%+v %v", tk, err)
	}
	// -demo-history 14: two weeks of past tickets, for the forecast page;
	// none before them.
	past := 0
	for i := 1; i <= 7; i++ {
		ts, err := m.Store.Tickets("hoan-kiem", time.Now().AddDate(0, 0, -i).Format(time.DateOnly))
		must(t, err)
		past += len(ts)
	}
	if past < 300 {
		t.Fatalf("the demo's last week holds %d tickets", past)
	}
	if ts, err := m.Store.Tickets("hoan-kiem", time.Now().AddDate(0, 0, -20).Format(time.DateOnly)); err != nil || len(ts) != 0 {
		t.Fatalf("20 days back, beyond -demo-history 14: %d tickets, %v", len(ts), err)
	}
	m.Close()
	// A second start on the same data keeps it and does not load the demo again.
	m2 := NewMain(Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := m2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	c2 := apiv1.NewClient("http://" + m2.Addr())
	got, err := c2.Ticket(ctx, tk.ID)
	if err != nil || got.Number != "C001" {
		t.Fatalf("after restart: %+v %v", got, err)
	}
}

// buildBinary builds queue-server for the tests that run it as a
// process: once for the whole test binary (each build is seconds of the
// suite), into a directory removed when the tests end (TestMain).
func buildBinary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "xephang-queue-server-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		bin := filepath.Join(dir, "queue-server")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Stderr = os.Stderr
		if built.err = cmd.Run(); built.err == nil {
			built.bin = bin
		}
	})
	if built.err != nil {
		t.Fatalf("build: %v", built.err)
	}
	return built.bin
}

var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

var listenRe = regexp.MustCompile(`queue-server listening" addr=(\S+)`)

// startProcess runs the binary with the demo on data, on a free loopback
// port, and returns its URL.
func startProcess(t *testing.T, bin, data string) (*exec.Cmd, string) {
	t.Helper()
	inst := startProcessArgs(t, bin, "-data", data)
	return inst.cmd, inst.url
}

// TestKill9LosesNothingAcknowledged issues tickets from many clients, kills
// the real process with SIGKILL mid-load, restarts it on the same data and
// checks that every acknowledged ticket is there once with its number, that
// numbers are unique and contiguous, and that numbering continues.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	cmd, url := startProcess(t, bin, data)
	ctx := context.Background()
	login := func(url string) *apiv1.Client {
		c := apiv1.NewClient(url)
		if err := c.Login(ctx, "canbo1", "demo12345"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := login(url)
	var mu sync.Mutex
	acked := map[string]string{} // id → number
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 2000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				tk, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "B"})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked[tk.ID] = tk.Number
				mu.Unlock()
			}
		}()
	}
	// Kill once a few hundred tickets are through, while clients still write.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 300 {
		t.Fatalf("only %d tickets acknowledged before the deadline", len(acked))
	}

	_, url2 := startProcess(t, bin, data)
	c2 := login(url2)
	all, err := c2.Tickets(ctx, "hoan-kiem", false)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	var numbers []string
	for _, tk := range all {
		byID[tk.ID] = tk.Number
		numbers = append(numbers, tk.Number)
	}
	for id, num := range acked {
		if byID[id] != num {
			t.Fatalf("acknowledged ticket %s (%s) is %q after kill -9", num, id, byID[id])
		}
	}
	sort.Strings(numbers)
	for i, n := range numbers {
		if want := formatB(i + 1); n != want {
			t.Fatalf("after restart numbers are not unique and contiguous at %d: %s, want %s", i, n, want)
		}
	}
	next, err := c2.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "B"})
	if err != nil || next.Number != formatB(len(numbers)+1) {
		t.Fatalf("numbering after restart: %+v %v, want %s", next, err, formatB(len(numbers)+1))
	}
	t.Logf("%d acknowledged, %d stored (the difference committed but not answered before the kill)", len(acked), len(numbers))
}

func formatB(n int) string { return queue.FormatNumber("B", n) }

// TestRedact: no password of a connection string reaches a log line.
func TestRedact(t *testing.T) {
	for _, dsn := range []string{
		"postgres://xephang:s3cret@db1,db2/xephang?target_session_attrs=read-write",
		"postgresql://xephang@db1/xephang?password=s3cret&sslmode=require",
		"host=db1 user=xephang password=s3cret dbname=xephang",
		"host=db1 password = 's3 cr\\'et' dbname=xephang",
	} {
		got := redact(dsn)
		if strings.Contains(got, "s3") || strings.Contains(got, "cret") || !strings.Contains(got, "db1") {
			t.Errorf("redact(%q) = %q", dsn, got)
		}
	}
}

// FuzzRedact: a password put in any connection string never comes out:
// what redact prints does not depend on it (two passwords of one length,
// letters and digits, give the same output).
func FuzzRedact(f *testing.F) {
	f.Add("postgres://u:%s@h/db", "s3cret")
	f.Add("host=h password=%s dbname=db", "s3cret")
	f.Add("postgresql://u@h/db?password=%s", "s3cret")
	f.Fuzz(func(t *testing.T, format, password string) {
		if len(password) < 6 || strings.Count(format, "%s") != 1 {
			return
		}
		for _, r := range password {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				return
			}
		}
		// Only the forms with a place for a password: user information,
		// a password parameter, a password key.
		if !strings.HasPrefix(format, "postgres://u:%s@") && !strings.HasPrefix(format, "postgresql://u:%s@") &&
			!strings.Contains(format, "password=%s") {
			return
		}
		other := strings.Map(func(r rune) rune { // another password, same length and kind
			switch {
			case r == 'z':
				return 'a'
			case r == '9':
				return '0'
			default:
				return r + 1
			}
		}, password)
		a := redact(strings.Replace(format, "%s", password, 1))
		b := redact(strings.Replace(format, "%s", other, 1))
		if a != b {
			t.Fatalf("redact shows the password: %q with %q, %q with %q", a, password, b, other)
		}
	})
}
