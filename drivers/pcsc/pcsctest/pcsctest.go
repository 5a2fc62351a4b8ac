// Package pcsctest runs Debian's real pcscd for tests, with a vsmartcard
// virtual reader (ifd-vpcd) on a free loopback port, so that tests put Go
// cards (package vpcd) on a reader every PC/SC client of the process sees.
//
// One pcscd serves a whole test process: pcsc-lite's client library reads
// the socket's name (PCSCLITE_CSOCK_NAME) once, at its first call, so Start
// sets it before any PC/SC call and later Starts return the same daemon. A
// test package that uses it runs its tests through Main, which stops pcscd
// at the end:
//
//	func TestMain(m *testing.M) { pcsctest.Main(m) }
//
// pcscd 1.9 has no option for its socket's path; it takes the socket from
// systemd's socket activation protocol (sd_listen_fds: fd 3, LISTEN_FDS,
// LISTEN_PID), which Start speaks: it binds the socket in a private
// directory and hands it over. The readers come from a private reader.conf
// directory (-c), with vpcd's driver listening on the port pair PORT (the
// first slot, the Daemon's Reader) and PORT+1 (the driver's second slot).
// pcscd stays in the foreground (-f); polkit is switched off when the
// binary offers --disable-polkit (Debian 12's pcscd is built without it).
// pcscd still writes its pid file in /run/pcscd (it needs root, as tests
// run here and in CI).
package pcsctest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"xephang/drivers/pcsc"
)

// VPCDDriver is Debian's vsmartcard-vpcd driver for pcscd.
const VPCDDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"

// friendlyName names the virtual reader; pcscd appends " 00 00" (reader and
// slot numbers).
const friendlyName = "Xep Hang VPCD"

// Daemon is the running pcscd.
type Daemon struct {
	Socket string // pcscd's socket (PCSCLITE_CSOCK_NAME of this process)
	VPCD   string // "127.0.0.1:PORT" where vpcd waits for the card (vpcd.NewSlot)
	Reader string // the virtual reader's name, as Readers lists it
}

var (
	once    sync.Once
	daemon  *Daemon
	failure error
	running struct {
		sync.Mutex
		cmd    *exec.Cmd
		exited chan struct{} // closed when cmd.Wait returned
		dir    string
	}
)

// Start starts pcscd the first time and returns it; a clear failure (not a
// skip) when pcscd or the vpcd driver is not installed.
func Start(t testing.TB) *Daemon {
	t.Helper()
	once.Do(func() { daemon, failure = start() })
	if failure != nil {
		t.Fatalf("pcsctest: %v", failure)
	}
	return daemon
}

// Main runs the tests, then stops pcscd if a test started it.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop ends pcscd and removes its directory; Main calls it.
func Stop() {
	running.Lock()
	defer running.Unlock()
	if running.cmd != nil {
		_ = running.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-running.exited:
		case <-time.After(5 * time.Second):
			_ = running.cmd.Process.Kill()
			<-running.exited
		}
		running.cmd = nil
	}
	if running.dir != "" {
		_ = os.RemoveAll(running.dir)
		running.dir = ""
	}
}

func pcscdPath() (string, error) {
	if p, err := exec.LookPath("pcscd"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/pcscd"); err == nil {
		return "/usr/sbin/pcscd", nil
	}
	return "", errors.New("pcscd is not installed (Debian package pcscd; provisioning/dev-deps.sh installs it)")
}

func start() (*Daemon, error) {
	bin, err := pcscdPath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(VPCDDriver); err != nil {
		return nil, fmt.Errorf("the vpcd driver %s is missing (Debian package vsmartcard-vpcd; provisioning/dev-deps.sh installs it)", VPCDDriver)
	}
	dir, err := os.MkdirTemp("", "pcscd-")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			Stop()
			_ = os.RemoveAll(dir)
		}
	}()
	running.Lock()
	running.dir = dir
	running.Unlock()

	port, err := freePortPair()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "reader.conf.d")
	if err := os.Mkdir(conf, 0o755); err != nil {
		return nil, err
	}
	// vpcd reads "DEVICENAME /dev/null:PORT" as: listen on PORT (strtoul,
	// so decimal is fine), the second slot on PORT+1.
	readerConf := fmt.Sprintf("FRIENDLYNAME \"%s\"\nDEVICENAME /dev/null:%d\nLIBPATH %s\nCHANNELID %d\n",
		friendlyName, port, VPCDDriver, port)
	if err := os.WriteFile(filepath.Join(conf, "vpcd"), []byte(readerConf), 0o644); err != nil {
		return nil, err
	}

	sock := filepath.Join(dir, "pcscd.comm")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	lf, err := ln.File()
	_ = ln.Close()
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	if err := os.Chmod(sock, 0o666); err != nil {
		return nil, err
	}

	args := []string{"-f", "-c", conf}
	if help, _ := exec.Command(bin, "--help").CombinedOutput(); bytes.Contains(help, []byte("--disable-polkit")) {
		args = append(args, "--disable-polkit")
	}
	logf, err := os.Create(filepath.Join(dir, "pcscd.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// LISTEN_PID must be pcscd's own pid: the shell exports its pid and
	// execs pcscd in its place.
	cmd := exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`, bin}, args...)...)
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{lf} // fd 3 = SD_LISTEN_FDS_START
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlives the test process
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pcscd: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	running.Lock()
	running.cmd, running.exited = cmd, exited
	running.Unlock()

	if err := os.Setenv("PCSCLITE_CSOCK_NAME", sock); err != nil {
		return nil, err
	}
	d := &Daemon{Socket: sock, VPCD: fmt.Sprintf("127.0.0.1:%d", port)}
	d.Reader, err = waitReader(exited)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "pcscd.log"))
		return nil, fmt.Errorf("%v; pcscd's log:\n%s", err, tail(log, 4000))
	}
	ok = true
	return d, nil
}

// waitReader waits until pcscd lists the virtual reader's first slot.
func waitReader(exited <-chan struct{}) (string, error) {
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return "", errors.New("pcscd exited at start")
		default:
		}
		if name, err := findReader(); err == nil {
			return name, nil
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("pcscd did not list the virtual reader within 20 s: %v", last)
}

func findReader() (string, error) {
	ctx, err := pcsc.Establish()
	if err != nil {
		return "", err
	}
	defer ctx.Release()
	names, err := ctx.Readers()
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if strings.HasPrefix(n, friendlyName+" ") && strings.HasSuffix(n, " 00") {
			return n, nil
		}
	}
	return "", fmt.Errorf("readers %q", names)
}

// freePortPair finds PORT with PORT and PORT+1 free on the loopback and on
// all addresses (vpcd binds INADDR_ANY).
func freePortPair() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", port+1))
		_ = l.Close()
		if err != nil {
			continue
		}
		_ = l2.Close()
		return port, nil
	}
	return 0, errors.New("no free pair of TCP ports")
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
