package chipsim

import (
	"context"
	"crypto/sha1"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"xephang/drivers/emrtd/lds"
	"xephang/drivers/pcsc"
	"xephang/drivers/pcsc/pcsctest"
	"xephang/drivers/pcsc/vpcd"
)

func TestMain(m *testing.M) { pcsctest.Main(m) }

// emptyReader starts pcscd (once) and waits until its virtual reader is
// empty, now and again when the test ends (after the test's own cleanups
// took its card away), so that no test sees the card of another.
func emptyReader(t testing.TB) *pcsctest.Daemon {
	t.Helper()
	d := pcsctest.Start(t)
	wait := func() {
		pc, err := pcsc.Establish()
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Release()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := pc.WaitForRemoval(ctx, d.Reader); err != nil {
			t.Fatalf("the virtual reader stays busy: %v", err)
		}
	}
	wait()
	t.Cleanup(wait)
	return d
}

// connect waits for the card on the virtual reader and connects to it.
func connect(t testing.TB, d *pcsctest.Daemon) (*pcsc.Context, *pcsc.Card) {
	t.Helper()
	pc, err := pcsc.Establish()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Release() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pc.WaitForCard(ctx, d.Reader); err != nil {
		t.Fatalf("wait for card: %v", err)
	}
	k, err := pc.Connect(d.Reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return pc, k
}

// waitGone waits until pcscd sees the reader empty.
func waitGone(t testing.TB, pc *pcsc.Context, d *pcsctest.Daemon) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pc.WaitForRemoval(ctx, d.Reader); err != nil {
		t.Fatalf("wait for removal: %v", err)
	}
}

func pcscTx(t *testing.T, k *pcsc.Card) func([]byte) []byte {
	return func(apdu []byte) []byte {
		r, err := k.Transmit(apdu)
		if err != nil {
			t.Fatalf("transmit: %v", err)
		}
		return r
	}
}

// epassFiles writes the files of h's card for epass.py and returns its
// arguments.
func epassFiles(t testing.TB, files map[uint16][]byte, mrz string) []string {
	dir := t.TempDir()
	args := []string{"-B", "testdata/epass.py", "--mrz", mrz}
	for _, f := range []struct {
		name string
		fid  uint16
	}{{"com", 0x011E}, {"dg1", 0x0101}, {"dg2", 0x0102}, {"dg13", 0x010D}, {"sod", 0x011D}} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, files[f.fid], 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--"+f.name, p)
	}
	return args
}

// startEPass runs vicc's ePass on the virtual reader until the test ends
// or stop is called (the card leaves the reader).
func startEPass(t testing.TB, d *pcsctest.Daemon, args []string) (stop func()) {
	t.Helper()
	host, port, err := net.SplitHostPort(d.VPCD)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(debianPython, append(args, "--host", host, "--port", port)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = sync.OnceFunc(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	t.Cleanup(stop)
	return stop
}

// TestThroughPCSCD puts a chipsim card and then vicc's ePass on Debian's
// pcscd through vpcd and runs BAC and a protected read of DG13 against each
// with the test terminal: the cards answer through a real PC/SC stack.
func TestThroughPCSCD(t *testing.T) {
	d := emptyReader(t)
	h := DemoHolder("tones")
	c, err := New(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := mrzInformation(h.MRZ)
	seed := sha1.Sum([]byte(info))
	read := func(t *testing.T, k *pcsc.Card) []byte {
		tm := &terminal{t: t, tx: pcscTx(t, k)}
		if _, sw := tm.raw(unhex(t, "00A4040C07A0000002471001")); sw != swOK {
			t.Fatalf("SELECT applet %04X", sw)
		}
		tm.sm = bacTerminal(t, tm.tx, seed[:16])
		if _, sw := tm.send(0, 0xA4, 2, 0x0C, []byte{1, 0x0D}, 0); sw != swOK {
			t.Fatalf("SELECT DG13 %04X", sw)
		}
		got, sw := tm.send(0, 0xB0, 0, 0, nil, 0xDF)
		if sw != swOK && sw != 0x6282 {
			t.Fatalf("READ BINARY %04X", sw)
		}
		return got
	}
	want := c.Files()[0x010D][:0xDF]
	t.Run("chipsim", func(t *testing.T) {
		slot := vpcd.NewSlot(d.VPCD)
		if err := slot.Insert(c); err != nil {
			t.Fatal(err)
		}
		pc, k := connect(t, d)
		if !k.ExtendedLength() {
			t.Error("extended length not announced")
		}
		if got := read(t, k); string(got) != string(want) {
			t.Fatalf("DG13 %X", got)
		}
		k.Close()
		slot.Close()
		waitGone(t, pc, d)
	})
	t.Run("vicc ePass", func(t *testing.T) {
		startEPass(t, d, epassFiles(t, c.Files(), h.MRZ))
		_, k := connect(t, d)
		if got := read(t, k); string(got) != string(want) {
			t.Fatalf("DG13 %X", got)
		}
		d13, err := lds.ParseDG13(c.Files()[0x010D])
		if err != nil || d13.Name != h.DG13.Name {
			t.Fatal(d13, err)
		}
	})
}
