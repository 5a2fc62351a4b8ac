// Package ipptest runs a real IPP Everywhere printer for tests:
// ippeveprinter from CUPS (Debian's cups-ipp-utils) on 127.0.0.1 and a
// free port, keeping every job's document in its spool directory.
//
// ippeveprinter (CUPS 2.4) will not start without a D-Bus system bus to
// reach Avahi through, even with DNS-SD advertising off, so each printer
// gets a private dbus-daemon (dbus-daemon package) of its own; no Avahi
// daemon is needed, the client waits for one that never comes.
package ipptest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options of a printer.
type Options struct {
	// Formats it accepts (-f), "application/pdf" when empty.
	Formats []string
	// Command run on each document (-c) instead of ippeveprinter's own
	// simulated printing; "" for /bin/true, which completes a job at once.
	Command string
	Name    string // the service name, "Xephang A4" when empty
}

// Printer is a running ippeveprinter.
type Printer struct {
	URL string // ipp://127.0.0.1:PORT/ipp/print
	// SecureURL is the same printer over TLS, ipps://localhost:PORT/ipp/print
	// (the name its certificate holds); CertPEM says whom to trust.
	SecureURL string
	Spool     string // the spool directory, jobs kept (-k)
	Port      int

	tb      testing.TB
	dir     string
	mu      sync.Mutex
	cmd     *exec.Cmd
	waitErr chan error
	log     *lockedBuffer
	bus     *exec.Cmd
	busAddr string
	opt     Options
}

// Start starts a printer, stopped at the end of the test. It fails the
// test when ippeveprinter or dbus-daemon is missing (make deps-test
// installs them).
func Start(tb testing.TB, opt Options) *Printer {
	tb.Helper()
	for _, bin := range []string{"ippeveprinter", "dbus-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + bin); err2 != nil {
				tb.Fatalf("ipptest: %s not found (provisioning/dev-deps.sh test installs cups-ipp-utils and dbus-daemon): %v", bin, err)
			}
		}
	}
	if len(opt.Formats) == 0 {
		opt.Formats = []string{"application/pdf"}
	}
	if opt.Command == "" {
		opt.Command = "/bin/true"
	}
	if opt.Name == "" {
		opt.Name = "Xephang A4"
	}
	dir := tb.TempDir()
	p := &Printer{tb: tb, dir: dir, Spool: filepath.Join(dir, "spool"), opt: opt}
	for _, d := range []string{p.Spool, filepath.Join(dir, "keys")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	p.startBus()
	tb.Cleanup(p.stopAll)
	var err error
	for range 3 { // a free port can be taken between finding and binding it
		if err = p.Restart(); err == nil {
			return p
		}
	}
	tb.Fatalf("ipptest: %v", err)
	return nil
}

func lookBin(name string) string {
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	return "/usr/sbin/" + name
}

// startBus starts the private D-Bus bus ippeveprinter's Avahi client
// connects to. Replies must be allowed: without them the client waits
// for D-Bus's 25 s timeout and ippeveprinter never listens.
func (p *Printer) startBus() {
	sock := filepath.Join(p.dir, "bus.sock")
	conf := filepath.Join(p.dir, "bus.conf")
	err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path=`+sock+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow own="*"/>
    <allow receive_sender="*"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		p.tb.Fatal(err)
	}
	p.bus = exec.Command(lookBin("dbus-daemon"), "--config-file="+conf, "--nofork", "--nopidfile")
	var out bytes.Buffer
	p.bus.Stdout, p.bus.Stderr = &out, &out
	if err := p.bus.Start(); err != nil {
		p.tb.Fatalf("ipptest: dbus-daemon: %v", err)
	}
	p.busAddr = "unix:path=" + sock
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.bus.Process.Kill()
			p.bus.Wait()
			p.tb.Fatalf("ipptest: dbus-daemon made no socket in 10 s: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Restart starts the printer again after Stop, on a new port when the
// last one is taken (the URL then changes), keeping the spool.
func (p *Printer) Restart() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("ipptest: printer already running")
	}
	port := p.Port
	if port == 0 || !portFree(port) {
		var err error
		if port, err = freePort(); err != nil {
			return err
		}
	}
	// -n localhost: ippeveprinter binds the name for IPv4 and IPv6 alike;
	// 127.0.0.1 has no IPv6 address and makes it fail.
	// -K: the self-signed certificate it makes for ipps:// stays in the
	// test's folder.
	args := []string{"-p", strconv.Itoa(port), "-d", p.Spool, "-K", filepath.Join(p.dir, "keys"), "-k", "-r", "off", "-n", "localhost",
		"-f", strings.Join(p.opt.Formats, ","), "-c", p.opt.Command, "-m", "A4 Test", "-M", "Xephang", p.opt.Name}
	cmd := exec.Command(lookBin("ippeveprinter"), args...)
	cmd.Env = append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+p.busAddr)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("ipptest: ippeveprinter: %w", err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case werr := <-waitErr:
			return fmt.Errorf("ipptest: ippeveprinter exited (%v): %s", werr, log.String())
		case <-ctx.Done():
			cmd.Process.Kill()
			<-waitErr
			return fmt.Errorf("ipptest: ippeveprinter not listening on %s in 10 s: %s", addr, log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.cmd, p.waitErr, p.log, p.Port = cmd, waitErr, log, port
	p.URL = fmt.Sprintf("ipp://127.0.0.1:%d/ipp/print", port)
	p.SecureURL = fmt.Sprintf("ipps://localhost:%d/ipp/print", port)
	return nil
}

// CertPEM is the self-signed certificate ippeveprinter serves ipps://
// with (made at its first TLS connection; empty before).
func (p *Printer) CertPEM() []byte {
	b, _ := os.ReadFile(filepath.Join(p.dir, "keys", "localhost.crt"))
	return b
}

func portFree(port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// Stop stops the printer (SIGTERM, then SIGKILL after 5 s): from then on
// it refuses connections.
func (p *Printer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.waitErr:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.waitErr
	}
	p.cmd = nil
}

// Log is what ippeveprinter wrote so far.
func (p *Printer) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.log == nil {
		return ""
	}
	return p.log.String()
}

// lockedBuffer is ippeveprinter's output, read while it writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (p *Printer) stopAll() {
	p.Stop()
	if p.bus != nil {
		p.bus.Process.Kill()
		p.bus.Wait()
	}
}

// Documents are the documents of the jobs printed so far, by their spool
// file name (JOBID-NAME.EXT); the command's output files (.prn) are left
// out.
func (p *Printer) Documents() (map[string][]byte, error) {
	ents, err := os.ReadDir(p.Spool)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".prn") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.Spool, e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = b
	}
	return out, nil
}
