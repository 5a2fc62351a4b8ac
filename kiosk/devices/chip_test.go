package devices

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"xephang/drivers/emrtd/chipsim"
	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/idcard/chip"
	"xephang/drivers/idcard/idcardsim"
	"xephang/drivers/pcsc"
)

func TestSimChipReads(t *testing.T) {
	s, err := startSims(&Config{ChipReader: SimSpec, Log: slog.New(slog.DiscardHandler)}, escpos.Profile{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	key, err := chip.KeyFromCard(optical)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing on the reader: the wait ends, saying so.
	var states []string
	if _, err := ReadChip(ctx, s.Chip, key, s.ChipCSCAs(), 50*time.Millisecond, func(st string) { states = append(states, st) }); !errors.Is(err, ErrNoChipCard) {
		t.Fatalf("empty reader: %v", err)
	}
	for kind, want := range map[string]string{"adult": "genuine", "chip-altered": "data_altered", "chip-unknown": "unknown_issuer", "chip-cloned": "genuine"} {
		holder, opt := "adult", s.chipOptions()
		switch kind {
		case "chip-altered":
			opt.Alter = true
		case "chip-unknown":
			opt.PKI = s.unknown
		case "chip-cloned":
			opt.CAClone = true
		}
		card, err := chipsim.New(chipsim.DemoHolder(holder), opt)
		if err != nil {
			t.Fatal(err)
		}
		s.Chip.Put(card, time.Minute)
		states = nil
		r, err := ReadChip(ctx, s.Chip, key, s.ChipCSCAs(), time.Second, func(st string) { states = append(states, st) })
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if string(r.Authenticity) != want || r.Card.Name != "Nguyễn Văn An" || len(r.FaceJPEG) == 0 || len(states) != 2 {
			t.Errorf("%s: %s %q face %d states %v", kind, r.Authenticity, r.Card.Name, len(r.FaceJPEG), states)
		}
		if wantCA := map[bool]string{false: "passed", true: "failed"}[kind == "chip-cloned"]; r.ChipAuth != wantCA || r.ActiveAuth != "passed" || r.Cloned() != (kind == "chip-cloned") {
			t.Errorf("%s: chip authentication %s, active %s", kind, r.ChipAuth, r.ActiveAuth)
		}
		if m := chip.CrossCheck(r, optical); len(m) != 0 {
			t.Errorf("%s: mismatches %v", kind, m)
		}
	}
	// Taken off mid-read: pcsc's error, and the next read works.
	s.Chip.Break(1)
	if _, err := ReadChip(ctx, s.Chip, key, nil, time.Second, nil); !errors.Is(err, pcsc.ErrRemoved) {
		t.Fatalf("broken: %v", err)
	}
	if _, err := ReadChip(ctx, s.Chip, key, nil, time.Second, nil); err != nil {
		t.Fatalf("after a break: %v", err)
	}
	// The elderly card's JPEG 2000 face is converted, its QR opens it.
	elderly, _ := chipsim.New(chipsim.DemoHolder("elderly"), chipsim.Options{PKI: s.pki})
	s.Chip.Put(elderly, time.Minute)
	eo, _ := idcard.ParseQR(idcardsim.SampleElderlyQR, time.Now())
	ek, err := chip.KeyFromCard(eo)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadChip(ctx, s.Chip, ek, s.ChipCSCAs(), time.Second, nil)
	if err != nil || r.Face.Format != "jp2" || len(r.FaceJPEG) < 2 || r.FaceJPEG[0] != 0xFF || r.Authenticity != "genuine" {
		t.Fatalf("elderly: %v %+v", err, r)
	}
	// The hold runs out: the card leaves by itself.
	s.Chip.Put(elderly, 30*time.Millisecond)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Chip.WaitRemoved(wctx); err != nil {
		t.Fatal(err)
	}
}

// TestSimChipRace: cards put and removed while reads and waits run.
func TestSimChipRace(t *testing.T) {
	s := NewSimChip()
	card, err := chipsim.New(chipsim.DemoHolder("adult"), chipsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				switch i {
				case 0:
					s.Put(card, time.Millisecond)
					s.Remove()
				case 1:
					c, cctx := context.WithTimeout(ctx, time.Millisecond)
					if k, err := s.Connect(c); err == nil {
						k.Transmit([]byte{0, 0xA4, 4, 0x0C})
						k.Close()
					}
					cctx()
				case 2:
					c, cctx := context.WithTimeout(ctx, time.Millisecond)
					s.WaitPresent(c)
					s.WaitRemoved(c)
					cctx()
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkSimChipRead: one chip read of the simulated reader as -simulate
// does it (chipsim in process, BAC, every DG, passive authentication, chip
// and active authentication), and the same card without either.
func BenchmarkSimChipRead(b *testing.B) {
	s, err := startSims(&Config{ChipReader: SimSpec, Log: slog.New(slog.DiscardHandler)}, escpos.Profile{})
	if err != nil {
		b.Fatal(err)
	}
	optical, _ := idcard.ParseQR(idcardsim.SampleQR, time.Now())
	key, _ := chip.KeyFromCard(optical)
	cscas := s.ChipCSCAs()
	for _, v := range []struct {
		name string
		o    chipsim.Options
	}{{"simulate", s.chipOptions()}, {"no-CA-no-AA", chipsim.Options{PKI: s.pki}}} {
		b.Run(v.name, func(b *testing.B) {
			card, _ := chipsim.New(chipsim.DemoHolder("adult"), v.o)
			s.Chip.Put(card, 0)
			for b.Loop() {
				r, err := ReadChip(context.Background(), s.Chip, key, cscas, time.Second, nil)
				if err != nil || r.Authenticity != "genuine" || (v.o.ChipAuth && r.ChipAuth != "passed") {
					b.Fatal(err)
				}
				b.ReportMetric(float64(r.Stats.APDUs), "APDUs/op")
			}
		})
	}
}
