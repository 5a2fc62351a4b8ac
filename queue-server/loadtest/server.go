package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
)

// child is a server process under test.
type child struct {
	cmd  *exec.Cmd
	base string
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startChild runs a server binary on a free loopback port and waits for
// GET probe to answer (at most 20 s).
func startChild(bin string, args []string, env []string, probe string) (*child, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{addr}", addr)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "XEPHANG_ADDR="+addr, "XEPHANG_LOG_LEVEL=warn")
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, base: "http://" + addr}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(c.base + probe)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return c, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.stop()
	return nil, fmt.Errorf("%s did not answer %s within 20 s", bin, probe)
}

// startServer runs queue-server with the demo centre on a fresh data
// directory under dir.
func startServer(bin, dir, name string) (*child, error) {
	data := filepath.Join(dir, name)
	os.RemoveAll(data)
	return startChild(bin, []string{"-addr", "{addr}", "-data", data, "-demo"}, nil, "/readyz")
}

// startBare runs this program as the bare JSON server; with boltDir, its
// handler also commits one key per request to a fresh bbolt file there.
func startBare(boltDir string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-bare-addr", "{addr}"}
	if boltDir != "" {
		args = append(args, "-bare-bolt", boltDir)
	}
	return startChild(self, args, nil, "/")
}

// stop ends the child (SIGTERM, then SIGKILL after 10 s).
func (c *child) stop() {
	if c.cmd.Process == nil {
		return
	}
	c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// rss returns the child's resident set size and its peak, in bytes.
func (c *child) rss() (cur, peak int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && (fs[0] == "VmRSS:" || fs[0] == "VmHWM:") {
			kb, _ := strconv.ParseInt(fs[1], 10, 64)
			if fs[0] == "VmRSS:" {
				cur = kb << 10
			} else {
				peak = kb << 10
			}
		}
	}
	return cur, peak
}

// metrics scrapes the server's Prometheus text and returns the samples
// without labels (and the sums and counts of histograms).
func (c *child) metrics() map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(c.base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.Contains(line, "{") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) == 2 {
			if v, err := strconv.ParseFloat(fs[1], 64); err == nil {
				out[fs[0]] = v
			}
		}
	}
	return out
}

// newTransport is the client setup of every HTTP phase: keep-alive, enough
// idle connections for every client.
func newTransport(clients int) *http.Transport {
	return &http.Transport{
		MaxIdleConns:        clients * 2,
		MaxIdleConnsPerHost: clients * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
}

// clerk logs in once as the demo's first clerk and returns the token.
func clerk(ctx context.Context, base string) (string, error) {
	c := apiv1.NewClient(base)
	if err := c.Login(ctx, demo.Clerks[0], demo.ClerkPassword); err != nil {
		return "", err
	}
	return c.Token, nil
}

func mib(b float64) string { return fmt.Sprintf("%.1f", b/(1<<20)) }
