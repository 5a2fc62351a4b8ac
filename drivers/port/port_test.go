package port

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func newPTY(t *testing.T) *PTY {
	t.Helper()
	p, err := NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// readFull reads exactly n bytes from r or fails the test after 5 s.
func readFull(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		ch <- res{b, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("read: %v", r.err)
		}
		return r.b
	case <-time.After(5 * time.Second):
		t.Fatal("read timed out")
	}
	return nil
}

func TestSerialOverPTY(t *testing.T) {
	p := newPTY(t)
	s, err := OpenSerial(SerialConfig{Path: p.Path(), Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Bytes a tty would mangle in cooked mode pass through untouched.
	raw := []byte{0x10, 0x04, 0x01, '\r', '\n', 0x03, 0x1a, 0xff}
	if _, err := p.Master.Write(raw); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, s, len(raw)); string(got) != string(raw) {
		t.Errorf("device→host: got % x", got)
	}
	if _, err := s.Write(raw); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, p.Master, len(raw)); string(got) != string(raw) {
		t.Errorf("host→device: got % x", got)
	}
}

func TestSerialReadWaitsThroughTimeouts(t *testing.T) {
	p := newPTY(t)
	s, err := OpenSerial(SerialConfig{Path: p.Path()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		time.Sleep(350 * time.Millisecond) // several read timeouts pass first
		p.Master.Write([]byte("late"))
	}()
	if got := readFull(t, s, 4); string(got) != "late" {
		t.Errorf("got %q", got)
	}
}

func TestSerialCloseUnblocksRead(t *testing.T) {
	p := newPTY(t)
	s, err := OpenSerial(SerialConfig{Path: p.Path()})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 8))
		errc <- err
	}()
	time.Sleep(150 * time.Millisecond)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Read after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Read still blocked after Close")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

func TestSerialDeviceGone(t *testing.T) {
	p := newPTY(t)
	s, err := OpenSerial(SerialConfig{Path: p.Path()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 8))
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	p.Close()
	select {
	case err := <-errc:
		if err == nil || errors.Is(err, ErrClosed) {
			t.Errorf("Read when the device went away: %v, want EIO", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Read blocked after the device went away")
	}
}

func TestReconnectingReplug(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "xephang-reader")
	p1 := newPTY(t)
	if err := p1.Link(link); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var states []State
	r := NewReconnecting(func(ctx context.Context) (io.ReadWriteCloser, error) {
		return OpenSerial(SerialConfig{Path: link})
	}, Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond}, func(s State, err error) {
		mu.Lock()
		states = append(states, s)
		mu.Unlock()
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.WaitState(ctx, Connected); err != nil {
		t.Fatal(err)
	}
	p1.Master.Write([]byte("one\r"))
	if got := readFull(t, r, 4); string(got) != "one\r" {
		t.Fatalf("got %q", got)
	}

	// Unplug: a pending Read sees EIO, the state goes to Disconnected, and
	// writes fail at once.
	reads := make(chan string, 1)
	go func() {
		b := make([]byte, 4)
		n, _ := io.ReadFull(r, b)
		reads <- string(b[:n])
	}()
	time.Sleep(50 * time.Millisecond)
	// As udev does on unplug, the stable name goes first: otherwise the
	// freed /dev/pts/N may be handed to another process's pty and reopened
	// before the state is seen Disconnected.
	os.Remove(link)
	p1.Close()
	if err := r.WaitState(ctx, Disconnected); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, ErrDisconnected) {
		t.Errorf("Write while unplugged: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // several failed reopen attempts

	// Plug back in under the same name: the pending Read gets the new data.
	p2 := newPTY(t)
	if err := p2.Link(link); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitState(ctx, Connected); err != nil {
		t.Fatal(err)
	}
	p2.Master.Write([]byte("two\r"))
	select {
	case got := <-reads:
		if got != "two\r" {
			t.Errorf("after replug got %q", got)
		}
	case <-ctx.Done():
		t.Fatal("no read after replug")
	}
	if _, err := r.Write([]byte("ok")); err != nil {
		t.Errorf("Write after replug: %v", err)
	}
	if got := readFull(t, p2.Master, 2); string(got) != "ok" {
		t.Errorf("device got %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(states) < 3 || states[0] != Connected || states[1] != Disconnected || states[len(states)-1] != Connected {
		t.Errorf("state changes %v", states)
	}
}

func TestReconnectingBackoff(t *testing.T) {
	var mu sync.Mutex
	var attempts []time.Time
	r := NewReconnecting(func(ctx context.Context) (io.ReadWriteCloser, error) {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, time.Now())
		if len(attempts) < 6 {
			return nil, errors.New("no such device")
		}
		a, b := net.Pipe()
		go io.Copy(io.Discard, b)
		return a, nil
	}, Backoff{Min: 20 * time.Millisecond, Max: 80 * time.Millisecond}, nil)
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.WaitState(ctx, Connected); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Waits grow 20, 40, 80, 80, 80 ms (each jittered down to half at most).
	for i := 1; i < len(attempts); i++ {
		gap := attempts[i].Sub(attempts[i-1])
		want := min(20*time.Millisecond<<(i-1), 80*time.Millisecond)
		if gap < want/2 || gap > want+500*time.Millisecond {
			t.Errorf("attempt %d after %v, want about %v", i, gap, want)
		}
	}
}

func TestReconnectingClose(t *testing.T) {
	r := NewReconnecting(func(ctx context.Context) (io.ReadWriteCloser, error) {
		return nil, errors.New("never there")
	}, Backoff{Min: 10 * time.Millisecond}, nil)
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 1))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	r.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Read after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Read blocked after Close")
	}
	if st, _ := r.State(); st != Closed {
		t.Errorf("state %v", st)
	}
	if _, err := r.Write(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

func TestOpenSpecs(t *testing.T) {
	ctx := context.Background()
	for _, spec := range []string{"", "serial:", "serial:/dev/x?baud=fast", "serial:/dev/x?parity=odd", "lpt:/dev/lp0", "nothing"} {
		if _, err := Open(ctx, spec); !errors.Is(err, ErrBadSpec) {
			t.Errorf("Open(%q) = %v, want ErrBadSpec", spec, err)
		}
	}
	p := newPTY(t)
	c, err := Open(ctx, "serial:"+p.Path()+"?baud=115200")
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hi"))
	if got := readFull(t, p.Master, 2); string(got) != "hi" {
		t.Errorf("serial spec: %q", got)
	}
	c.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			conn.Write([]byte{0x12})
			conn.Close()
		}
	}()
	c, err = Open(ctx, "tcp:"+ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, c, 1); got[0] != 0x12 {
		t.Errorf("tcp: % x", got)
	}
	c.Close()

	f, err := Open(ctx, "usblp:"+p.Path())
	if err != nil {
		t.Fatal(err)
	}
	p.Master.Write([]byte{0x16})
	if got := readFull(t, f, 1); got[0] != 0x16 {
		t.Errorf("usblp: % x", got)
	}
	f.Close()
	if _, err := Open(ctx, "usblp:/nonexistent/lp0"); err == nil {
		t.Error("opened a missing device")
	}
}
