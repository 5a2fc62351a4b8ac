package pcsc_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"xephang/drivers/pcsc"
	"xephang/drivers/pcsc/pcsctest"
	"xephang/drivers/pcsc/vpcd"
)

func TestMain(m *testing.M) { pcsctest.Main(m) }

// testATR announces T=0 and T=1 and, in its historical bytes, card
// capabilities with extended Lc/Le (0x73 00 00 40).
var testATR = withTCK([]byte{0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x40})

func withTCK(atr []byte) []byte {
	var x byte
	for _, b := range atr[1:] {
		x ^= b
	}
	return append(atr, x)
}

// testCard answers: INS E0 echoes the command data; INS B0 answers Ne bytes
// (short or extended Le); INS B1 blocks until released (a card taken away
// mid-command); anything else 6D00.
type testCard struct {
	atr     []byte
	started chan struct{} // INS B1 arrived
	release chan struct{} // INS B1 may answer

	mu     sync.Mutex
	resets int
}

func newTestCard() *testCard {
	return &testCard{atr: testATR, started: make(chan struct{}, 1), release: make(chan struct{})}
}

func (c *testCard) ATR() []byte { return c.atr }

func (c *testCard) Reset() {
	c.mu.Lock()
	c.resets++
	c.mu.Unlock()
}

func (c *testCard) Transmit(apdu []byte) []byte {
	if len(apdu) < 4 {
		return []byte{0x67, 0x00}
	}
	switch apdu[1] {
	case 0xE0:
		data := commandData(apdu)
		return append(append([]byte(nil), data...), 0x90, 0x00)
	case 0xB0:
		n := expected(apdu)
		if n > 0xFFFF-2 {
			n = 0xFFFF - 2 // vpcd's frame holds at most 65535 bytes
		}
		out := make([]byte, n, n+2)
		for i := range out {
			out[i] = byte(i * 7)
		}
		return append(out, 0x90, 0x00)
	case 0xB1:
		c.started <- struct{}{}
		<-c.release
		return []byte{0x90, 0x00}
	}
	return []byte{0x6D, 0x00}
}

// commandData is the data field of a case 3 or 4 APDU (short or extended).
func commandData(apdu []byte) []byte {
	body := apdu[4:]
	switch {
	case len(body) > 1 && body[0] != 0:
		n := int(body[0])
		if 1+n <= len(body) {
			return body[1 : 1+n]
		}
	case len(body) > 3 && body[0] == 0:
		n := int(body[1])<<8 | int(body[2])
		if 3+n <= len(body) {
			return body[3 : 3+n]
		}
	}
	return nil
}

// expected is Ne of a case 2 APDU (short or extended).
func expected(apdu []byte) int {
	switch len(apdu) {
	case 5:
		if apdu[4] == 0 {
			return 256
		}
		return int(apdu[4])
	case 7:
		n := int(apdu[5])<<8 | int(apdu[6])
		if n == 0 {
			return 65536
		}
		return n
	}
	return 0
}

// setup starts pcscd (once), gives a context and an empty slot, and leaves
// the slot empty at the end.
func setup(t *testing.T) (*pcsctest.Daemon, *pcsc.Context, *vpcd.Slot) {
	t.Helper()
	d := pcsctest.Start(t)
	c, err := pcsc.Establish()
	if err != nil {
		t.Fatal(err)
	}
	slot := vpcd.NewSlot(d.VPCD)
	t.Cleanup(func() {
		_ = slot.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.WaitForRemoval(ctx, d.Reader); err != nil {
			t.Errorf("card still seen after the test: %v", err)
		}
		_ = c.Release()
	})
	return d, c, slot
}

func insert(t *testing.T, c *pcsc.Context, slot *vpcd.Slot, reader string, card vpcd.Card) *pcsc.Card {
	t.Helper()
	if err := slot.Insert(card); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitForCard(ctx, reader); err != nil {
		t.Fatalf("WaitForCard: %v", err)
	}
	k, err := c.Connect(reader)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

func TestReaders(t *testing.T) {
	d, c, _ := setup(t)
	names, err := c.Readers()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, d.Reader) {
		t.Fatalf("Readers() = %q, want %q among them", names, d.Reader)
	}
}

// Without pcscd, Establish says so (in a child process: the client
// library reads the socket's name once per process).
func TestNoService(t *testing.T) {
	if os.Getenv("XEPHANG_PCSC_NO_SERVICE") == "1" {
		_, err := pcsc.Establish()
		if !errors.Is(err, pcsc.ErrNoService) {
			t.Fatalf("Establish with no pcscd: %v, want ErrNoService", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoService$", "-test.count=1")
	cmd.Env = append(os.Environ(), "XEPHANG_PCSC_NO_SERVICE=1", "PCSCLITE_CSOCK_NAME="+t.TempDir()+"/none.comm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestConnectWithoutCard(t *testing.T) {
	d, c, _ := setup(t)
	k, err := c.Connect(d.Reader)
	if !errors.Is(err, pcsc.ErrNoCard) {
		t.Fatalf("Connect on an empty reader: %v, want ErrNoCard", err)
	}
	if k != nil {
		t.Fatal("a card handle with an error")
	}
	var pe *pcsc.Error
	if !errors.As(err, &pe) || pe.Op != "SCardConnect" {
		t.Fatalf("error %#v is not a *pcsc.Error of SCardConnect", err)
	}
}

func TestUnknownReader(t *testing.T) {
	_, c, _ := setup(t)
	if _, err := c.Connect("No Such Reader 00 00"); !errors.Is(err, pcsc.ErrReaderGone) {
		t.Fatalf("Connect: %v, want ErrReaderGone", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitForCard(ctx, "No Such Reader 00 00"); !errors.Is(err, pcsc.ErrReaderGone) {
		t.Fatalf("WaitForCard: %v, want ErrReaderGone", err)
	}
}

func TestWaitForCardThenTransmit(t *testing.T) {
	d, c, slot := setup(t)
	card := newTestCard()
	waited := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		c2, err := pcsc.Establish()
		if err != nil {
			waited <- err
			return
		}
		defer c2.Release()
		waited <- c2.WaitForCard(ctx, d.Reader)
	}()
	if err := slot.Insert(card); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("WaitForCard: %v", err)
	}
	k, err := c.Connect(d.Reader)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if !bytes.Equal(k.ATR(), testATR) {
		t.Errorf("ATR % X, want % X", k.ATR(), testATR)
	}
	if !k.ExtendedLength() {
		t.Error("ExtendedLength false: vpcd takes 64 KB APDUs and the ATR says the card does")
	}

	short := []byte{0x00, 0xE0, 0x00, 0x00, 0x03, 1, 2, 3}
	got, err := k.Transmit(short)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{1, 2, 3, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("echo: % X, want % X", got, want)
	}
	if got, err := k.Transmit([]byte{0x00, 0x00, 0x00, 0x00}); err != nil || !bytes.Equal(got, []byte{0x6D, 0x00}) {
		t.Errorf("unknown INS: % X, %v; want 6D 00", got, err)
	}

	// Short Le 00: 256 bytes.
	got, err = k.Transmit([]byte{0x00, 0xB0, 0x00, 0x00, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	checkPattern(t, got, 256)

	// Extended: a 4000-byte command and the largest answer vpcd frames.
	data := bytes.Repeat([]byte{0xA5, 0x5A}, 2000)
	ext := append([]byte{0x00, 0xE0, 0x00, 0x00, 0x00, byte(len(data) >> 8), byte(len(data))}, data...)
	got, err = k.Transmit(ext)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:len(got)-2], data) || !bytes.Equal(got[len(got)-2:], []byte{0x90, 0x00}) {
		t.Errorf("extended echo: %d bytes back, want %d + 9000", len(got), len(data))
	}
	got, err = k.Transmit([]byte{0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	checkPattern(t, got, 0xFFFF-2)

	if err := slot.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForRemoval(ctx, d.Reader); err != nil {
		t.Fatalf("WaitForRemoval: %v", err)
	}
	if _, err := k.Transmit(short); !errors.Is(err, pcsc.ErrRemoved) {
		t.Fatalf("Transmit after removal: %v, want ErrRemoved", err)
	}
}

func checkPattern(t *testing.T, got []byte, n int) {
	t.Helper()
	if len(got) != n+2 {
		t.Fatalf("answer of %d bytes, want %d + SW", len(got), n)
	}
	for i := range n {
		if got[i] != byte(i*7) {
			t.Fatalf("byte %d = %02X, want %02X", i, got[i], byte(i*7))
		}
	}
	if got[n] != 0x90 || got[n+1] != 0x00 {
		t.Fatalf("SW % X, want 90 00", got[n:])
	}
}

// A card taken away while the reader waits for its answer: ErrRemoved, and
// the next card on the same reader works at once.
func TestRemovedMidTransmit(t *testing.T) {
	d, c, slot := setup(t)
	card := newTestCard()
	k := insert(t, c, slot, d.Reader, card)

	result := make(chan error, 1)
	go func() {
		_, err := k.Transmit([]byte{0x00, 0xB1, 0x00, 0x00})
		result <- err
	}()
	<-card.started
	if err := slot.Remove(); err != nil {
		t.Fatal(err)
	}
	close(card.release)
	err := <-result
	if !errors.Is(err, pcsc.ErrRemoved) {
		t.Fatalf("Transmit with the card pulled out: %v, want ErrRemoved", err)
	}
	t.Logf("pulled out mid-APDU: %v", err)
	if err := k.Close(); err != nil {
		t.Errorf("Close of the removed card: %v", err)
	}

	next := newTestCard()
	k2 := insert(t, c, slot, d.Reader, next)
	got, err := k2.Transmit([]byte{0x00, 0xE0, 0x00, 0x00, 0x01, 0x42})
	if err != nil || !bytes.Equal(got, []byte{0x42, 0x90, 0x00}) {
		t.Fatalf("next card: % X, %v", got, err)
	}
}

// A card whose ATR says nothing of extended length is not sent extended
// APDUs; WaitForRemoval keeps its deadline while the card stays.
func TestShortOnlyCard(t *testing.T) {
	d, c, slot := setup(t)
	card := newTestCard()
	card.atr = []byte{0x3B, 0x80, 0x80, 0x01, 0x01} // T=1, no historical bytes
	k := insert(t, c, slot, d.Reader, card)
	if k.ExtendedLength() {
		t.Error("ExtendedLength true for an ATR without card capabilities")
	}
	if !bytes.Equal(k.ATR(), card.atr) {
		t.Errorf("ATR % X", k.ATR())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := c.WaitForRemoval(ctx, d.Reader); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForRemoval with the card still there: %v, want DeadlineExceeded", err)
	}
	if got, err := k.Transmit([]byte{0x00, 0xE0, 0x00, 0x00, 0x01, 0x07}); err != nil || !bytes.Equal(got, []byte{0x07, 0x90, 0x00}) {
		t.Fatalf("Transmit after the wait: % X, %v", got, err)
	}
}

func TestWaitForCardCancelled(t *testing.T) {
	d, c, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- c.WaitForCard(ctx, d.Reader) }()
	time.Sleep(200 * time.Millisecond) // let it wait inside pcscd
	cancel()
	select {
	case err := <-result:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitForCard after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForCard did not return after its context ended")
	}

	// A context already over returns at once, a deadline is kept too.
	if err := c.WaitForCard(ctx, d.Reader); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitForCard with a cancelled context: %v", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer dcancel()
	if err := c.WaitForCard(dctx, d.Reader); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForCard past its deadline: %v", err)
	}

	// Cancel from another goroutine.
	go func() { result <- c.WaitForCard(context.Background(), d.Reader) }()
	time.Sleep(200 * time.Millisecond)
	if err := c.Cancel(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-result:
		var pe *pcsc.Error
		if !errors.As(err, &pe) || pe.Code != 0x80100002 {
			t.Fatalf("WaitForCard after Cancel: %v, want SCARD_E_CANCELLED", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForCard did not return after Cancel")
	}
}

func BenchmarkTransmit(b *testing.B) {
	for _, bc := range []struct {
		name string
		apdu []byte
	}{
		{"short-echo-16B", append([]byte{0x00, 0xE0, 0x00, 0x00, 16}, make([]byte, 16)...)},
		{"read-256B", []byte{0x00, 0xB0, 0x00, 0x00, 0x00}},
		{"read-extended-64KB", []byte{0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := pcsctest.Start(b)
			c, err := pcsc.Establish()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Release()
			slot := vpcd.NewSlot(d.VPCD)
			defer func() {
				_ = slot.Close()
				_ = c.WaitForRemoval(context.Background(), d.Reader)
			}()
			if err := slot.Insert(newTestCard()); err != nil {
				b.Fatal(err)
			}
			if err := c.WaitForCard(context.Background(), d.Reader); err != nil {
				b.Fatal(err)
			}
			k, err := c.Connect(d.Reader)
			if err != nil {
				b.Fatal(err)
			}
			defer k.Close()
			b.ResetTimer()
			for b.Loop() {
				if _, err := k.Transmit(bc.apdu); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInsertToConnect is a tap as the virtual reader sees it: the card
// connects to vpcd, pcscd notices it at its next presence poll,
// WaitForCard returns, Connect powers it up; then it is taken away and the
// removal noticed.
func BenchmarkInsertToConnect(b *testing.B) {
	d := pcsctest.Start(b)
	c, err := pcsc.Establish()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Release()
	slot := vpcd.NewSlot(d.VPCD)
	defer slot.Close()
	ctx := context.Background()
	var tap, gone time.Duration
	for b.Loop() {
		start := time.Now()
		if err := slot.Insert(newTestCard()); err != nil {
			b.Fatal(err)
		}
		if err := c.WaitForCard(ctx, d.Reader); err != nil {
			b.Fatal(err)
		}
		k, err := c.Connect(d.Reader)
		if err != nil {
			b.Fatal(err)
		}
		tap += time.Since(start)
		_ = k.Close()
		start = time.Now()
		_ = slot.Remove()
		if err := c.WaitForRemoval(ctx, d.Reader); err != nil {
			b.Fatal(err)
		}
		gone += time.Since(start)
	}
	b.ReportMetric(float64(tap.Milliseconds())/float64(b.N), "ms-to-connect")
	b.ReportMetric(float64(gone.Milliseconds())/float64(b.N), "ms-to-removal")
}
