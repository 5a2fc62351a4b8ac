package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/httpapi"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// demoStore runs the demo once in a new directory, issues a few tickets,
// and stops: a real store file.
func demoStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true, AdminPassword: "admin-secret"}, quiet)
	ctx := context.Background()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	c := apiv1.NewClient("http://" + m.Addr())
	if err := c.Login(ctx, "canbo1", "demo12345"); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if _, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "C"}); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()
	return dir
}

func status(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDamagedStoreRefused runs the real binary on store files damaged the
// three ways of the attack review (a middle page overwritten, the file
// truncated, zero bytes): it refuses to start with what is wrong and how
// to restore, exit code 1, no panic and no fault; `check` says the same,
// and 0 on a good store.
func TestDamagedStoreRefused(t *testing.T) {
	bin := buildBinary(t)
	good := demoStore(t)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: still running after 30 s (it started on a damaged store?)\n%s", args, out.String())
		}
		return cmd.ProcessState.ExitCode(), out.String()
	}
	if code, out := run("check", "-data", good); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("check of a good store: %d %s", code, out)
	}
	raw, err := os.ReadFile(filepath.Join(good, bolt.FileName))
	if err != nil {
		t.Fatal(err)
	}
	damaged := map[string]func([]byte) []byte{
		"middle page overwritten": func(b []byte) []byte {
			// The page of the accounts, in the middle of the file (a
			// free page's damage would harm nothing).
			r := rand.New(rand.NewPCG(3, 4))
			mid := bytes.Index(b, []byte("canbo1")) / 4096 * 4096
			if mid < 2*4096 {
				t.Fatalf("accounts on page %d", mid/4096)
			}
			for i := mid; i < mid+4096; i++ {
				b[i] = byte(r.Uint32())
			}
			return b
		},
		"truncated":  func(b []byte) []byte { return b[:len(b)/2] },
		"zero bytes": func(b []byte) []byte { return nil },
	}
	for name, damage := range damaged {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, bolt.FileName), damage(bytes.Clone(raw)), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := run("-addr", "127.0.0.1:0", "-data", dir, "-demo")
			if code != 1 || !strings.Contains(out, "damaged") || !strings.Contains(out, "backup") ||
				strings.Contains(out, "goroutine ") || strings.Contains(out, "SIGSEGV") || strings.Contains(out, "SIGBUS") || strings.Contains(out, "listening") {
				t.Fatalf("start on a damaged store: exit %d\n%s", code, out)
			}
			if code, out2 := run("check", "-data", dir); code != 1 || !strings.Contains(out2, "damaged") {
				t.Fatalf("check: exit %d\n%s", code, out2)
			}
			if fi, _ := os.Stat(filepath.Join(dir, bolt.FileName)); name == "zero bytes" && fi.Size() != 0 {
				t.Fatal("the 0-byte file was made a new store")
			}
		})
	}
}

// TestStoreFileDeletedWhileRunning: the file deleted under the running
// server makes /readyz not ready at once, writes 503, the metric 0; the
// next start refuses the directory unless -init.
func TestStoreFileDeletedWhileRunning(t *testing.T) {
	dir := t.TempDir()
	logs := &syncWriter{w: &bytes.Buffer{}}
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true, MinFree: 1}, slog.New(slog.NewTextHandler(logs, nil)))
	ctx := context.Background()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	url := "http://" + m.Addr()
	c := apiv1.NewClient(url)
	if err := c.Login(ctx, "canbo1", "demo12345"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "C"}); err != nil {
		t.Fatal(err)
	}
	if code, _ := status(t, url+"/readyz"); code != 200 {
		t.Fatalf("readyz before: %d", code)
	}
	if err := os.Remove(filepath.Join(dir, bolt.FileName)); err != nil {
		t.Fatal(err)
	}
	if code, body := status(t, url+"/readyz"); code != 503 || !strings.Contains(body, "bị xóa hoặc bị thay thế") {
		t.Fatalf("readyz after the file was deleted: %d %s", code, body)
	}
	var ae *apiv1.APIError
	if _, err := c.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "C"}); !errors.As(err, &ae) || ae.Status != 503 {
		t.Fatalf("a ticket issued into a deleted file: %v, want 503", err)
	}
	if _, body := status(t, url+"/metrics"); !strings.Contains(body, "xephang_store_file_ok 0") {
		t.Fatal("metrics do not say the store file is gone")
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "STORE PROBLEM") {
		t.Fatalf("no ERROR logged:\n%s", logs.String())
	}
	m.Close()
	m2 := NewMain(Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true}, quiet)
	if err := m2.Run(ctx); !errors.Is(err, bolt.ErrStoreMissing) || !strings.Contains(err.Error(), "-init") {
		m2.Close()
		t.Fatalf("restart on the directory without its file: %v, want refused", err)
	}
	m3 := NewMain(Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true, Init: true}, quiet)
	if err := m3.Run(ctx); err != nil {
		t.Fatalf("with -init: %v", err)
	}
	m3.Close()
}

// TestStoreFileReplacedWhileRunning: a file put in place of the open one
// (a restore over a running server) is noticed by the watch within a
// second or two, without any request.
func TestStoreFileReplacedWhileRunning(t *testing.T) {
	dir := demoStore(t)
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: dir, MinFree: 1}, quiet)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	path := filepath.Join(dir, bolt.FileName)
	raw, _ := os.ReadFile(path)
	if err := os.WriteFile(path+".new", raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := status(t, "http://"+m.Addr()+"/metrics")
		if strings.Contains(body, "xephang_store_file_ok 0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watch did not notice the replaced file")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := status(t, "http://"+m.Addr()+"/readyz"); code != 503 {
		t.Fatalf("readyz: %d", code)
	}
}

// TestReadyzDiskFull: less free space than the threshold is not ready.
func TestReadyzDiskFull(t *testing.T) {
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), MinFree: 1 << 62}, quiet)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if code, body := status(t, "http://"+m.Addr()+"/readyz"); code != 503 || !strings.Contains(body, "ổ đĩa") {
		t.Fatalf("readyz with the disk under the threshold: %d %s", code, body)
	}
}

// TestNewDirectoryNeedsNoInit: a directory that never held a store is
// initialised without -init (make run, the demo, a new install).
func TestNewDirectoryNeedsNoInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true}, quiet)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := os.Stat(filepath.Join(dir, "xephang.store")); err != nil {
		t.Fatal("no marker written beside the new store")
	}
}

// syncWriter lets the server's goroutines log into one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func TestParseConfigStoreAndStreams(t *testing.T) {
	env := map[string]string{"XEPHANG_MIN_FREE_MB": "10", "XEPHANG_STREAMS_PER_ADDR": "40"}
	cfg, err := ParseConfig([]string{"-init"}, func(k string) string { return env[k] })
	if err != nil || !cfg.Init || cfg.MinFree != 10<<20 || cfg.StreamsPerAddr != 40 {
		t.Fatalf("%+v %v", cfg, err)
	}
	cfg, err = ParseConfig(nil, func(string) string { return "" })
	if err != nil || cfg.Init || cfg.MinFree != 256<<20 || cfg.StreamsPerAddr != httpapi.DefaultStreamsPerAddr {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	if _, err := ParseConfig([]string{"-streams-per-addr", "0"}, func(string) string { return "" }); err == nil {
		t.Fatal("-streams-per-addr 0 accepted")
	}
}
