package testsrv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// LB is a haproxy load balancer of a test.
type LB struct {
	Addr string // host:port of its frontend
	cmd  *exec.Cmd
}

// StartHAProxy starts haproxy on a free loopback port in front of the
// backends (host:port), round robin, each checked with GET /readyz every
// 200 ms (down after 2 failures, up after 2 successes). It stops when the
// test ends.
func StartHAProxy(t testing.TB, backends ...string) *LB {
	t.Helper()
	return StartHAProxyBalance(t, "roundrobin", backends...)
}

// ByCentre is the balance of the README's deployment: requests hashed on
// the path up to the centre (/api/v1/centres/{id}/), consistently, so a
// centre's requests go to one instance while it is up and the others take
// its share when it is not.
const ByCentre = "uri depth 4\n    hash-type consistent"

// StartHAProxyBalance is StartHAProxy with the given balance algorithm
// (haproxy's "balance" line, e.g. ByCentre).
func StartHAProxyBalance(t testing.TB, balance string, backends ...string) *LB {
	t.Helper()
	path, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("testsrv: haproxy is not installed (run provisioning/dev-deps.sh test)")
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var servers strings.Builder
	for i, b := range backends {
		fmt.Fprintf(&servers, "    server qs%d %s check inter 200ms fall 2 rise 2\n", i+1, b)
	}
	cfg := fmt.Sprintf(`global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option redispatch
    retries 2
frontend www
    bind 127.0.0.1:%d
    option forwardfor
    default_backend queue
backend queue
    balance %s
    option httpchk GET /readyz
    http-check expect status 200
%s`, port, strings.ReplaceAll(balance, "\\n", "\n"), servers.String())
	dir := t.TempDir()
	file := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(path, "-c", "-q", "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n%s", err, out, cfg)
	}
	lb := &LB{Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	lb.cmd = exec.Command(path, "-db", "-f", file)
	lb.cmd.Stdout, lb.cmd.Stderr = os.Stderr, os.Stderr
	if err := lb.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.cmd.Process.Kill(); lb.cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", lb.Addr, time.Second)
		if err == nil {
			c.Close()
			return lb
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy never listened on %s: %v", lb.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
