package chipsim

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/pcsc"
	"xephang/drivers/pcsc/vpcd"
)

// removing is a card taken off the reader by the hand of the test in the
// middle of reading DG2: at the second READ BINARY of DG2 the slot closes
// while the APDU is being answered.
type removing struct {
	*Card
	slot  *vpcd.Slot
	mu    sync.Mutex
	reads int
}

func (r *removing) Transmit(apdu []byte) []byte {
	resp := r.Card.Transmit(apdu)
	r.Card.c.mu.Lock()
	dg2 := r.Card.c.st.ef != nil && &r.Card.c.st.ef[0] == &r.Card.c.lds[0x0102][0]
	r.Card.c.mu.Unlock()
	if dg2 && len(apdu) > 1 && apdu[1] == 0xB0 {
		r.mu.Lock()
		r.reads++
		n := r.reads
		r.mu.Unlock()
		if n == 2 {
			r.slot.Remove()
		}
	}
	return resp
}

// TestRemovedMidRead pulls the card out while DG2 is read: the reader's
// error is pcsc.ErrRemoved, and the next card is read at once.
func TestRemovedMidRead(t *testing.T) {
	d := emptyReader(t)
	h := DemoHolder("adult")
	c, err := New(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	slot := vpcd.NewSlot(d.VPCD)
	defer slot.Close()
	if err := slot.Insert(&removing{Card: c, slot: slot}); err != nil {
		t.Fatal(err)
	}
	pc, k := connect(t, d)
	_, err = emrtd.Read(context.Background(), k, emrtd.AccessKey{MRZ: mrzKey(t, h)}, true)
	if !errors.Is(err, pcsc.ErrRemoved) {
		t.Fatalf("read of a card pulled out mid-DG2: %v, want pcsc.ErrRemoved", err)
	}
	k.Close()
	waitGone(t, pc, d)

	next := DemoHolder("elderly")
	c2, err := New(next, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := slot.Insert(c2); err != nil {
		t.Fatal(err)
	}
	_, k2 := connect(t, d)
	chip, err := emrtd.Read(context.Background(), k2, emrtd.AccessKey{MRZ: mrzKey(t, next)}, true)
	if err != nil {
		t.Fatalf("the next card: %v", err)
	}
	d13, err := lds.ParseDG13(chip.DGs[13])
	if err != nil || d13.Name != next.DG13.Name {
		t.Fatalf("the next card reads %q, %v", d13.Name, err)
	}
}

// BenchmarkTapToData measures, on the virtual reader, the time from a card
// laid on the reader to its data checked: insert, pcscd sees it, connect,
// access control, EF.COM, DG1, DG2, DG13 (DG14, DG15 and Active
// Authentication when the card has them), EF.SOD, passive authentication;
// then the card is taken off. It reports the APDUs and bytes of one read.
func BenchmarkTapToData(b *testing.B) {
	d := emptyReader(b)
	pki, err := lds.NewPKI("VN", "Test CSCA")
	if err != nil {
		b.Fatal(err)
	}
	cscas := lds.NewCSCAs(pki.CSCA)
	for _, bc := range []struct {
		name string
		kind string
		o    Options
		ext  bool
	}{
		{"BAC-short", "adult", Options{PKI: pki}, false},
		{"BAC-extended", "adult", Options{PKI: pki}, true},
		{"PACE-extended-AA", "adult", Options{PKI: pki, PACE: true, ActiveAuth: true}, true},
		{"PACE-extended-AA-CA", "adult", Options{PKI: pki, PACE: true, ActiveAuth: true, ChipAuth: true}, true},
		{"BAC-extended-CA-3DES", "adult", Options{PKI: pki, ChipAuth: true, CACipher: "3DES", CACurve: "P-256"}, true},
		{"BAC-extended-jp2", "elderly", Options{PKI: pki}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := DemoHolder(bc.kind)
			c, err := New(h, bc.o)
			if err != nil {
				b.Fatal(err)
			}
			slot := vpcd.NewSlot(d.VPCD)
			defer slot.Close()
			pc, err := pcsc.Establish()
			if err != nil {
				b.Fatal(err)
			}
			defer pc.Release()
			key := emrtd.AccessKey{MRZ: mrzKey(b, h)}
			var stats emrtd.Stats
			var detect, connect, read time.Duration
			for b.Loop() {
				start := time.Now()
				if err := slot.Insert(c); err != nil {
					b.Fatal(err)
				}
				if err := pc.WaitForCard(context.Background(), d.Reader); err != nil {
					b.Fatal(err)
				}
				seen := time.Now()
				detect += seen.Sub(start)
				k, err := pc.Connect(d.Reader)
				if err != nil {
					b.Fatal(err)
				}
				ext := bc.ext && k.ExtendedLength()
				connected := time.Now()
				connect += connected.Sub(seen)
				chip, err := emrtd.Read(context.Background(), k, key, ext)
				if err != nil {
					b.Fatal(err)
				}
				stats = chip.Stats
				if bc.o.ChipAuth && chip.ChipAuth != "passed" {
					b.Fatal("chip authentication", chip.ChipAuth)
				}
				if v := lds.Verify(chip.SOD, chip.DGs, cscas, demoNow); v.Result != lds.Genuine {
					b.Fatal(v.Result, v.Problems)
				}
				k.Close()
				read += time.Since(connected)
				b.StopTimer()
				slot.Remove()
				if err := pc.WaitForRemoval(context.Background(), d.Reader); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(detect.Milliseconds())/float64(b.N), "ms-to-detect/op")
			b.ReportMetric(float64(connect.Microseconds())/1000/float64(b.N), "ms-to-connect/op")
			b.ReportMetric(float64(read.Microseconds())/1000/float64(b.N), "ms-to-read/op")
			b.ReportMetric(float64(stats.APDUs), "APDUs/read")
			b.ReportMetric(float64(stats.BytesOut), "bytes-out/read")
			b.ReportMetric(float64(stats.BytesIn), "bytes-in/read")
		})
	}
}

// TestVICCEPassRead reads vicc's ePass, a card we did not write, with the
// kiosk's reader through pcscd: BAC, secure messaging, every file, and
// passive authentication of the files our test PKI signed: genuine, the
// name exact; with DG13 altered after signing, data_altered.
func TestVICCEPassRead(t *testing.T) {
	d := emptyReader(t)
	pki, err := lds.NewPKI("VN", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	h := DemoHolder("tones")
	for _, alter := range []bool{false, true} {
		c, err := New(h, Options{PKI: pki, Alter: alter})
		if err != nil {
			t.Fatal(err)
		}
		stop := startEPass(t, d, epassFiles(t, c.Files(), h.MRZ))
		pc, k := connect(t, d)
		chip, err := emrtd.Read(context.Background(), k, emrtd.AccessKey{MRZ: mrzKey(t, h)}, k.ExtendedLength())
		if err != nil {
			t.Fatalf("read vicc's ePass: %v", err)
		}
		want := lds.Genuine
		if alter {
			want = lds.DataAltered
		}
		if v := lds.Verify(chip.SOD, chip.DGs, lds.NewCSCAs(pki.CSCA), demoNow); v.Result != want {
			t.Fatalf("alter=%v: %s %v", alter, v.Result, v.Problems)
		}
		d13, err := lds.ParseDG13(chip.DGs[13])
		if err != nil || d13.Name != h.DG13.Name {
			t.Fatalf("name %q, %v", d13.Name, err)
		}
		k.Close()
		stop()
		waitGone(t, pc, d)
	}
}

// BenchmarkVICCRead reads vicc's ePass (Python, through pcscd) again and
// again while it stays on the reader: the read alone, against a card we did
// not write, and its APDUs and bytes.
func BenchmarkVICCRead(b *testing.B) {
	d := emptyReader(b)
	h := DemoHolder("adult")
	c, err := New(h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	startEPass(b, d, epassFiles(b, c.Files(), h.MRZ))
	_, k := connect(b, d)
	key := emrtd.AccessKey{MRZ: mrzKey(b, h)}
	var stats emrtd.Stats
	for b.Loop() {
		chip, err := emrtd.Read(context.Background(), k, key, k.ExtendedLength())
		if err != nil {
			b.Fatal(err)
		}
		stats = chip.Stats
	}
	b.ReportMetric(float64(stats.APDUs), "APDUs/read")
	b.ReportMetric(float64(stats.BytesOut), "bytes-out/read")
	b.ReportMetric(float64(stats.BytesIn), "bytes-in/read")
}
