package chipsim

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/pcsc"
	"xephang/drivers/pcsc/vpcd"
)

// counting counts the APDUs and bytes a read exchanges with the card.
type counting struct {
	t              emrtd.Transmitter
	apdus, out, in int
}

func (c *counting) Transmit(apdu []byte) ([]byte, error) {
	r, err := c.t.Transmit(apdu)
	c.apdus++
	c.out += len(apdu)
	c.in += len(r)
	return r, err
}

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
	_, err = readChip(context.Background(), k, emrtd.AccessKey{MRZ: mrzKey(t, h)}, true)
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
	chip, err := readChip(context.Background(), k2, emrtd.AccessKey{MRZ: mrzKey(t, next)}, true)
	if err != nil {
		t.Fatalf("the next card: %v", err)
	}
	d13, err := lds.ParseDG13(chip.dgs[13])
	if err != nil || d13.Name != next.DG13.Name {
		t.Fatalf("the next card reads %q, %v", d13.Name, err)
	}
}

// chipRead is what readChip gets.
type chipRead struct {
	dgs map[int][]byte
	sod []byte
	aa  string
}

// readChip reads a chip as the kiosk does: EF.CardAccess, PACE when offered
// else BAC, EF.COM, the data groups it lists, EF.SOD, Active Authentication
// when DG15 is there. (emrtd.Read does this too; this helper keeps the
// tests to the reader's exported pieces.)
func readChip(ctx context.Context, t emrtd.Transmitter, key emrtd.AccessKey, ext bool) (*chipRead, error) {
	var s *emrtd.Session
	if ca, err := emrtd.ReadFile(t, 0x011C, false); err == nil {
		infos, err := lds.ParseCardAccess(ca)
		if err != nil {
			return nil, err
		}
		if s, err = emrtd.PACE(t, emrtd.PACEParams{OID: infos[0].OID, ParameterID: infos[0].ParameterID}, key); err != nil {
			return nil, err
		}
		if err := emrtd.SelectApplet(s); err != nil {
			return nil, err
		}
	} else {
		var se *emrtd.StatusError
		if !errors.As(err, &se) {
			return nil, err
		}
		if err := emrtd.SelectApplet(t); err != nil {
			return nil, err
		}
		if s, err = emrtd.BAC(t, *key.MRZ); err != nil {
			return nil, err
		}
	}
	com, err := emrtd.ReadFile(s, 0x011E, ext)
	if err != nil {
		return nil, err
	}
	_, list, err := lds.ParseCOM(com)
	if err != nil {
		return nil, err
	}
	out := &chipRead{dgs: map[int][]byte{}, aa: "not_supported"}
	for _, n := range list {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if out.dgs[n], err = emrtd.ReadFile(s, emrtd.FIDOfDG(n), ext); err != nil {
			return nil, err
		}
	}
	if out.sod, err = emrtd.ReadFile(s, 0x011D, ext); err != nil {
		return nil, err
	}
	if b, ok := out.dgs[15]; ok {
		pub, err := lds.ParseDG15(b)
		if err != nil {
			return nil, err
		}
		out.aa = "passed"
		if err := emrtd.ActiveAuth(s, pub, rand.Reader); err != nil {
			out.aa = "failed"
		}
	}
	return out, nil
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
			var cnt counting
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
				cnt = counting{t: k}
				chip, err := readChip(context.Background(), &cnt, key, ext)
				if err != nil {
					b.Fatal(err)
				}
				if v := lds.Verify(chip.sod, chip.dgs, cscas, demoNow); v.Result != lds.Genuine {
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
			b.ReportMetric(float64(cnt.apdus), "APDUs/read")
			b.ReportMetric(float64(cnt.out), "bytes-out/read")
			b.ReportMetric(float64(cnt.in), "bytes-in/read")
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
		chip, err := readChip(context.Background(), k, emrtd.AccessKey{MRZ: mrzKey(t, h)}, k.ExtendedLength())
		if err != nil {
			t.Fatalf("read vicc's ePass: %v", err)
		}
		want := lds.Genuine
		if alter {
			want = lds.DataAltered
		}
		if v := lds.Verify(chip.sod, chip.dgs, lds.NewCSCAs(pki.CSCA), demoNow); v.Result != want {
			t.Fatalf("alter=%v: %s %v", alter, v.Result, v.Problems)
		}
		d13, err := lds.ParseDG13(chip.dgs[13])
		if err != nil || d13.Name != h.DG13.Name {
			t.Fatalf("name %q, %v", d13.Name, err)
		}
		k.Close()
		stop()
		waitGone(t, pc, d)
	}
}
