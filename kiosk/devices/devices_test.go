package devices

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
)

func TestSplitCodes(t *testing.T) {
	in := "7KQ2-M9XD\r\n" + idcardsim.SampleQR + "\r\nabcdefgh\n" + strings.Join(idcardsim.SampleMRZ, "\n") + "\n0OIL1234\r"
	var out bytes.Buffer
	var codes []string
	splitCodes(strings.NewReader(in), &out, func(c string) { codes = append(codes, c) })
	if len(codes) != 2 || codes[0] != "7KQ2M9XD" || codes[1] != "ABCDEFGH" {
		t.Errorf("codes %q", codes)
	}
	if s := out.String(); !strings.Contains(s, idcardsim.SampleQR) || !strings.Contains(s, idcardsim.SampleMRZ[2]) || !strings.Contains(s, "0OIL1234") || strings.Contains(s, "7KQ2") {
		t.Errorf("passed through %q", s)
	}
}

// TestSimulatedDevices runs the simulators through the real drivers: the
// printer's status, a card and a booking code from the reader.
func TestSimulatedDevices(t *testing.T) {
	d, err := Open(Config{Simulate: true, SimDir: t.TempDir(), StatusEvery: 100 * time.Millisecond, Profile: "epson-cp1258"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	statuses := make(chan escpos.Status, 10)
	go d.RunStatus(ctx, func(s escpos.Status) { statuses <- s })
	cards, codes := make(chan idcard.Event, 4), make(chan string, 4)
	go d.RunReader(ctx, func(e idcard.Event) { cards <- e }, func(c string) { codes <- c })
	if st := <-statuses; !st.CanPrint() {
		t.Fatalf("printer %+v", st)
	}
	d.Sim.Printer.SetPaperOut(true)
	if st := <-statuses; !st.PaperOut {
		t.Fatalf("paper out not seen: %+v", st)
	}
	if devs := d.Status(); devs[0].Status != "error" || devs[0].Detail == "" {
		t.Errorf("devices %+v", devs)
	}
	d.Sim.Reader.SendQR(idcardsim.SampleElderlyQR)
	d.Sim.Reader.Send([]byte("7KQ2-M9XD\r\n"))
	select {
	case e := <-cards:
		if e.Card == nil || !e.Card.Valid {
			t.Errorf("card %+v", e)
		}
	case <-ctx.Done():
		t.Fatal("no card")
	}
	select {
	case c := <-codes:
		if c != "7KQ2M9XD" {
			t.Errorf("code %q", c)
		}
	case <-ctx.Done():
		t.Fatal("no code")
	}
	if !d.Healthy() {
		t.Error("not healthy")
	}
}

// One scanner spec for the daemon and the technician's test, sim included.
func TestOpenScanner(t *testing.T) {
	for spec, want := range map[string]string{"sane": "sane:", "sane:test": "sane:test", "escl:http://192.0.2.20/eSCL": "*scanner.ESCL",
		"folder:/srv/scans": "*scanner.Folder", "sim": "simulated"} {
		sc, err := OpenScanner(spec)
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		if got := fmt.Sprint(sc); !strings.HasPrefix(want, "*") && got != want {
			t.Errorf("%s: %s, want %s", spec, got, want)
		} else if got := fmt.Sprintf("%T", sc); strings.HasPrefix(want, "*") && got != want {
			t.Errorf("%s: %s, want %s", spec, got, want)
		}
	}
	if sc, err := OpenScanner(""); sc != nil || err != nil {
		t.Errorf("none: %v %v", sc, err)
	}
	for _, spec := range []string{"floppy:/a", "sim:x", "SANE"} {
		if _, err := OpenScanner(spec); err == nil {
			t.Errorf("%s accepted", spec)
		}
	}
}

// The demo's actions reach the simulated reader; a kiosk without it says so.
func TestSimDemo(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(Config{Simulate: true, SimDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Sim.JobsDir() != filepath.Join(dir, "printer") || fmt.Sprint(d.Scanner) != "simulated" {
		t.Errorf("jobs %s, scanner %v", d.Sim.JobsDir(), d.Scanner)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cards, codes := make(chan idcard.Event, 8), make(chan string, 4)
	go d.RunReader(ctx, func(e idcard.Event) { cards <- e }, func(c string) { codes <- c })
	if d.Chip == nil || d.Chip != ChipReader(d.Sim.Chip) || d.Sim.ChipCSCAs() == nil {
		t.Fatal("-simulate has no simulated chip reader")
	}
	for _, kind := range []string{"adult", "elderly", "mrz", "bad", "chip-altered", "chip-unknown", "chip-cloned"} {
		d.Sim.Chip.Remove()
		if err := d.Sim.TapCard(kind); err != nil {
			t.Fatal(kind, err)
		}
		// The chip lies on the chip reader (a bad read has none).
		c, cancelWait := context.WithTimeout(ctx, 50*time.Millisecond)
		if err := d.Chip.WaitPresent(c); (err == nil) != (kind != "bad") {
			t.Errorf("%s: chip on the reader: %v", kind, err)
		}
		cancelWait()
		select {
		case e := <-cards:
			if (e.Card != nil && e.Card.Valid) != (kind != "bad") {
				t.Errorf("%s: %+v", kind, e)
			}
		case <-ctx.Done():
			t.Fatal("no card for", kind)
		}
	}
	if err := d.Sim.TapCard("child"); err == nil {
		t.Error("an unknown sample card was tapped")
	}
	d.Sim.ScanCode("7KQ2-M9XD")
	if c := <-codes; c != "7KQ2M9XD" {
		t.Errorf("code %q", c)
	}
	var none *Sim
	if none.TapCard("adult") != ErrNotSimulated || none.ScanCode("X") != ErrNotSimulated || none.JobsDir() != "" {
		t.Error("no simulator: not said")
	}
}
