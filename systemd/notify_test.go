package systemd_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xephang/systemd"
)

// The watchdog pings at half WatchdogSec while the check passes, and
// withholds the ping while it fails.
func TestWatchdogPingsOnlyWhileHealthy(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "100000") // 100 ms: a ping every 50 ms
	var healthy atomic.Bool
	healthy.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		systemd.Watchdog(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), func(c context.Context) error {
			if _, ok := c.Deadline(); !ok {
				return errors.New("no deadline for the check")
			}
			if !healthy.Load() {
				return errors.New("not healthy")
			}
			return nil
		})
	}()
	read := func(d time.Duration) (int, error) {
		n := 0
		buf := make([]byte, 64)
		conn.SetReadDeadline(time.Now().Add(d))
		for {
			m, err := conn.Read(buf)
			if err != nil {
				return n, nil
			}
			if strings.TrimSpace(string(buf[:m])) != "WATCHDOG=1" {
				return n, errors.New("unexpected message " + string(buf[:m]))
			}
			n++
		}
	}
	if n, err := read(300 * time.Millisecond); err != nil || n < 2 {
		t.Fatalf("healthy: %d pings, %v", n, err)
	}
	healthy.Store(false)
	read(80 * time.Millisecond) // a ping already on its way
	if n, err := read(300 * time.Millisecond); err != nil || n != 0 {
		t.Fatalf("not healthy: %d pings, %v", n, err)
	}
	cancel()
	<-done
}
