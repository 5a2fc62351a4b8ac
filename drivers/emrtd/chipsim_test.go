package emrtd

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"xephang/drivers/emrtd/chipsim"
	"xephang/drivers/emrtd/lds"
)

// simCard serves chipsim's card in process: a chip whose cryptography is its
// own, not this package's (no pcscd here; chipsim's tests run that path).
type simCard struct{ c *chipsim.Card }

func (s simCard) Transmit(apdu []byte) ([]byte, error) { return s.c.Transmit(apdu), nil }

// mrzOf reads the access key fields of a TD1 MRZ.
func mrzOf(mrz string) MRZInfo {
	l := strings.Split(mrz, "\n")
	return MRZInfo{DocumentNumber: l[0][5:14], BirthDate: l[1][0:6], ExpiryDate: l[1][8:14]}
}

// Read against chipsim, an independently written chip: BAC, PACE with the
// MRZ and with the CAN, active authentication, and the files passive
// authentication accepts.
func TestReadChipsim(t *testing.T) {
	pki, err := lds.NewPKI("VNM", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		holder string
		pace   bool
		can    bool
	}{{"adult", false, false}, {"adult", true, false}, {"elderly", true, true}, {"tones", true, false}} {
		t.Run(v.holder, func(t *testing.T) {
			h := chipsim.DemoHolder(v.holder)
			card, err := chipsim.New(h, chipsim.Options{PKI: pki, PACE: v.pace, CAN: "123456", ActiveAuth: true})
			if err != nil {
				t.Fatal(err)
			}
			key := AccessKey{MRZ: new(MRZInfo)}
			*key.MRZ = mrzOf(h.MRZ)
			if v.can {
				key = AccessKey{CAN: "123456"}
			}
			chip, err := Read(context.Background(), simCard{card}, key, v.holder == "tones")
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{false: "BAC", true: "PACE"}[v.pace]
			if chip.Stats.Access != want || chip.ActiveAuth != "passed" {
				t.Errorf("access %s, AA %s", chip.Stats.Access, chip.ActiveAuth)
			}
			files := card.Files()
			for n, b := range chip.DGs {
				if !bytes.Equal(b, files[FIDOfDG(n)]) {
					t.Errorf("DG%d differs", n)
				}
			}
			if _, ok := chip.DGs[13]; !ok {
				t.Error("no DG13")
			}
			if r := lds.Verify(chip.SOD, chip.DGs, lds.NewCSCAs(pki.CSCA), time.Now()); r.Result != lds.Genuine {
				t.Errorf("passive authentication: %s %v", r.Result, r.Problems)
			}
		})
	}
	// A wrong MRZ: refused, and the card reads at once after.
	h := chipsim.DemoHolder("adult")
	card, err := chipsim.New(h, chipsim.Options{PKI: pki})
	if err != nil {
		t.Fatal(err)
	}
	wrong := mrzOf(h.MRZ)
	wrong.BirthDate = "010101"
	if _, err := Read(context.Background(), simCard{card}, AccessKey{MRZ: &wrong}, false); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("wrong MRZ: %v", err)
	}
	right := mrzOf(h.MRZ)
	if _, err := Read(context.Background(), simCard{card}, AccessKey{MRZ: &right}, false); err != nil {
		t.Fatalf("after a wrong MRZ: %v", err)
	}
}

// Chip authentication against chipsim: a genuine chip passes with every
// cipher and both curves, whether opened by BAC or PACE; a clone (DG14
// copied, another private key) fails and its files are still read in a new
// session; a chip without DG14 is not_supported. Passive authentication
// covers DG14, which binds the key to the issuer.
func TestReadChipAuth(t *testing.T) {
	pki, err := lds.NewPKI("VNM", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	h := chipsim.DemoHolder("adult")
	mrz := mrzOf(h.MRZ)
	for _, v := range []struct {
		name   string
		o      chipsim.Options
		want   string
		access string
	}{
		{"BAC 3DES P-256", chipsim.Options{ChipAuth: true, CACipher: "3DES", CACurve: "P-256"}, "passed", "BAC"},
		{"BAC AES-128 brainpool", chipsim.Options{ChipAuth: true}, "passed", "BAC"},
		{"PACE AES-128 brainpool AA", chipsim.Options{PACE: true, ChipAuth: true, ActiveAuth: true}, "passed", "PACE"},
		{"PACE AES-192 P-256", chipsim.Options{PACE: true, ChipAuth: true, CACipher: "AES-192", CACurve: "P-256"}, "passed", "PACE"},
		{"PACE AES-256 brainpool", chipsim.Options{PACE: true, ChipAuth: true, CACipher: "AES-256"}, "passed", "PACE"},
		{"given key, PACE AES-128", chipsim.Options{PACE: true, ChipAuth: true, CAKey: bytes.Repeat([]byte{0x42}, 32)}, "passed", "PACE"},
		{"DH BAC 3DES", chipsim.Options{ChipAuth: true, CACipher: "3DES", CACurve: "DH-2048"}, "passed", "BAC"},
		{"DH PACE AES-256", chipsim.Options{PACE: true, ChipAuth: true, CACipher: "AES-256", CACurve: "DH-2048"}, "passed", "PACE"},
		{"clone DH PACE AES-128", chipsim.Options{PACE: true, ChipAuth: true, CACurve: "DH-2048", CAClone: true}, "failed", "PACE"},
		{"clone BAC 3DES", chipsim.Options{ChipAuth: true, CACipher: "3DES", CAClone: true}, "failed", "BAC"},
		{"clone PACE AES AA", chipsim.Options{PACE: true, ChipAuth: true, CAClone: true, ActiveAuth: true}, "failed", "PACE"},
		{"no DG14", chipsim.Options{PACE: true}, "not_supported", "PACE"},
		{"DG14 for AA only", chipsim.Options{ActiveAuth: true}, "not_supported", "BAC"},
	} {
		t.Run(v.name, func(t *testing.T) {
			o := v.o
			o.PKI = pki
			card, err := chipsim.New(h, o)
			if err != nil {
				t.Fatal(err)
			}
			chip, err := Read(context.Background(), simCard{card}, AccessKey{MRZ: &mrz}, true)
			if err != nil {
				t.Fatal(err)
			}
			if chip.ChipAuth != v.want || chip.Stats.Access != v.access {
				t.Fatalf("chip authentication %s, access %s; want %s, %s", chip.ChipAuth, chip.Stats.Access, v.want, v.access)
			}
			if o.ActiveAuth && chip.ActiveAuth != "passed" {
				t.Errorf("active authentication %s", chip.ActiveAuth)
			}
			files := card.Files()
			for _, n := range []int{1, 2, 13} {
				if !bytes.Equal(chip.DGs[n], files[FIDOfDG(n)]) {
					t.Errorf("DG%d differs", n)
				}
			}
			if o.ChipAuth && !bytes.Equal(chip.DGs[14], files[FIDOfDG(14)]) {
				t.Error("DG14 not read")
			}
			if r := lds.Verify(chip.SOD, chip.DGs, lds.NewCSCAs(pki.CSCA), time.Now()); r.Result != lds.Genuine {
				t.Errorf("passive authentication: %s %v", r.Result, r.Problems)
			}
			// The card is usable at once after, with the same result.
			again, err := Read(context.Background(), simCard{card}, AccessKey{MRZ: &mrz}, false)
			if err != nil || again.ChipAuth != v.want {
				t.Errorf("second read: %v, %+v", err, again)
			}
		})
	}
	// DG14 is under passive authentication: a chip authentication key
	// swapped in DG14 after signing is data altered.
	card, err := chipsim.New(h, chipsim.Options{PKI: pki, ChipAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	chip, err := Read(context.Background(), simCard{card}, AccessKey{MRZ: &mrz}, false)
	if err != nil {
		t.Fatal(err)
	}
	other, err := chipsim.New(h, chipsim.Options{PKI: pki, ChipAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	chip.DGs[14] = other.Files()[FIDOfDG(14)]
	if r := lds.Verify(chip.SOD, chip.DGs, lds.NewCSCAs(pki.CSCA), time.Now()); r.Result != lds.DataAltered {
		t.Errorf("DG14 swapped: %s", r.Result)
	}
}

// BenchmarkReadChipAuth is one whole Read of chipsim's adult card in
// process, without and with chip authentication, in pairs that differ only
// by it; the time includes the simulated chip's own (slow, math/big affine)
// cryptography.
func BenchmarkReadChipAuth(b *testing.B) {
	pki, err := lds.NewPKI("VNM", "Test CSCA")
	if err != nil {
		b.Fatal(err)
	}
	h := chipsim.DemoHolder("adult")
	mrz := mrzOf(h.MRZ)
	for _, v := range []struct {
		name string
		o    chipsim.Options
	}{
		{"BAC", chipsim.Options{}},
		{"BAC+CA-3DES-P256", chipsim.Options{ChipAuth: true, CACipher: "3DES", CACurve: "P-256"}},
		{"BAC+CA-AES128-brainpool", chipsim.Options{ChipAuth: true}},
		{"BAC+CA-3DES-DH2048", chipsim.Options{ChipAuth: true, CACipher: "3DES", CACurve: "DH-2048"}},
		{"PACE+AA", chipsim.Options{PACE: true, ActiveAuth: true}},
		{"PACE+AA+CA-AES128-brainpool", chipsim.Options{PACE: true, ActiveAuth: true, ChipAuth: true}},
	} {
		b.Run(v.name, func(b *testing.B) {
			o := v.o
			o.PKI = pki
			card, err := chipsim.New(h, o)
			if err != nil {
				b.Fatal(err)
			}
			var st Stats
			for b.Loop() {
				chip, err := Read(context.Background(), simCard{card}, AccessKey{MRZ: &mrz}, true)
				if err != nil || (o.ChipAuth && chip.ChipAuth != "passed") {
					b.Fatal(err, chip.ChipAuth)
				}
				st = chip.Stats
			}
			b.ReportMetric(float64(st.APDUs), "APDUs/op")
			b.ReportMetric(float64(st.BytesOut), "bytes-out/op")
			b.ReportMetric(float64(st.BytesIn), "bytes-in/op")
		})
	}
}

// bareAfterCA is a clone that, once chip authentication's GENERAL
// AUTHENTICATE went through, answers every command with a bare 6A82, which
// carries no MAC: it must not pass for a chip that holds the key.
type bareAfterCA struct {
	c    *chipsim.Card
	done bool
}

func (s *bareAfterCA) Transmit(apdu []byte) ([]byte, error) {
	if s.done {
		return []byte{0x6A, 0x82}, nil
	}
	if len(apdu) > 1 && apdu[0]&0x0C == 0x0C && apdu[1] == 0x86 {
		s.done = true
	}
	return s.c.Transmit(apdu), nil
}

func TestReadChipAuthBareAnswers(t *testing.T) {
	h := chipsim.DemoHolder("adult")
	mrz := mrzOf(h.MRZ)
	card, err := chipsim.New(h, chipsim.Options{ChipAuth: true, CAClone: true})
	if err != nil {
		t.Fatal(err)
	}
	chip, err := Read(context.Background(), &bareAfterCA{c: card}, AccessKey{MRZ: &mrz}, true)
	if err != nil {
		t.Fatal(err)
	}
	if chip.ChipAuth != "failed" || len(chip.SOD) != 0 {
		t.Fatalf("chip authentication %s, SOD %d bytes", chip.ChipAuth, len(chip.SOD))
	}
}
