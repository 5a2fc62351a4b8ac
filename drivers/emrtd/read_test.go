package emrtd

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"xephang/drivers/emrtd/lds"
)

func newCard(t testing.TB, aa crypto.Signer, dgs ...int) *testCard {
	files := map[uint16][]byte{
		FIDCOM: lds.BuildCOM(dgs),
		FIDSOD: file(0x77, 1500),
	}
	tags := map[int]byte{1: 0x61, 2: 0x75, 13: 0x6D, 14: 0x6E, 15: 0x6F}
	for _, n := range dgs {
		switch {
		case n == 15 && aa != nil:
			b, err := lds.BuildDG15(aa.Public())
			if err != nil {
				t.Fatal(err)
			}
			files[FIDOfDG(15)] = b
		case n == 2:
			files[FIDOfDG(2)] = file(tags[n], 20000)
		default:
			files[FIDOfDG(n)] = file(tags[n], 90+n*20)
		}
	}
	files[FIDOfDG(3)] = file(0x63, 50) // present but never listed: not read
	return &testCard{t: t, mrz: holderMRZ, files: files, aaKey: aa}
}

func withPACE(c *testCard, oid string, param int) *testCard {
	c.pace = lds.PACEInfo{OID: oid, Version: 2, ParameterID: param}
	c.cardAccess = lds.BuildCardAccess([]lds.PACEInfo{{OID: oid, Version: 2, ParameterID: param}})
	return c
}

func checkFiles(t *testing.T, c *testCard, chip *Chip, dgs ...int) {
	t.Helper()
	if len(chip.DGs) != len(dgs) {
		t.Errorf("read DGs %v, want %v", keys(chip.DGs), dgs)
	}
	for _, n := range dgs {
		if !bytes.Equal(chip.DGs[n], c.files[FIDOfDG(n)]) {
			t.Errorf("DG%d differs (%d bytes, want %d)", n, len(chip.DGs[n]), len(c.files[FIDOfDG(n)]))
		}
	}
	if !bytes.Equal(chip.SOD, c.files[FIDSOD]) || !bytes.Equal(chip.COM, c.files[FIDCOM]) {
		t.Error("EF.SOD or EF.COM differs")
	}
}

func keys(m map[int][]byte) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestReadBAC(t *testing.T) {
	c := newCard(t, rsaKey(t), 1, 2, 13, 15)
	chip, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, false)
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, c, chip, 1, 2, 13, 15)
	if chip.CardAccess != nil || chip.Stats.Access != "BAC" || chip.ActiveAuth != "passed" || chip.Stats.Extended {
		t.Errorf("card access %X, stats %+v, AA %s", chip.CardAccess, chip.Stats, chip.ActiveAuth)
	}
	if chip.Stats.APDUs != c.n || chip.Stats.BytesIn < 20000 {
		t.Errorf("stats %+v after %d APDUs", chip.Stats, c.n)
	}
}

func TestReadPACE(t *testing.T) {
	for _, v := range []struct {
		oid   string
		param int
		can   bool
	}{
		{"0.4.0.127.0.7.2.2.4.2.2", 13, false}, // AES-128, brainpoolP256r1 (the CCCD's)
		{"0.4.0.127.0.7.2.2.4.2.2", 13, true},
		{"0.4.0.127.0.7.2.2.4.2.4", 12, false}, // AES-256, P-256
		{"0.4.0.127.0.7.2.2.4.2.3", 16, true},  // AES-192, brainpoolP384r1
		{"0.4.0.127.0.7.2.2.4.2.4", 17, false}, // AES-256, brainpoolP512r1
		{"0.4.0.127.0.7.2.2.4.2.1", 15, false}, // 3DES, P-384
		{"0.4.0.127.0.7.2.2.4.1.2", 0, false},  // DH, 1024-bit group, AES-128
		{"0.4.0.127.0.7.2.2.4.1.4", 2, true},   // DH, 2048-bit group, AES-256
	} {
		t.Run(fmt.Sprintf("%s/%d/can=%v", v.oid, v.param, v.can), func(t *testing.T) {
			ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			c := withPACE(newCard(t, ec, 1, 2, 13, 14, 15), v.oid, v.param)
			c.can = "123456"
			key := AccessKey{MRZ: &holderMRZ}
			if v.can {
				key = AccessKey{CAN: "123456"}
			}
			chip, err := Read(context.Background(), c, key, v.param == 13)
			if err != nil {
				t.Fatal(err)
			}
			checkFiles(t, c, chip, 1, 2, 13, 14, 15)
			if chip.Stats.Access != "PACE" || chip.ActiveAuth != "passed" || !bytes.Equal(chip.CardAccess, c.cardAccess) {
				t.Errorf("stats %+v, AA %s", chip.Stats, chip.ActiveAuth)
			}
		})
	}
}

// A chip that gives EF.CardAccess only by its short EF identifier.
func TestReadCardAccessBySFI(t *testing.T) {
	c := withPACE(newCard(t, nil, 1), "0.4.0.127.0.7.2.2.4.2.2", 13)
	c.sfiOnly = true
	chip, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, false)
	if err != nil {
		t.Fatal(err)
	}
	if chip.Stats.Access != "PACE" || !bytes.Equal(chip.CardAccess, c.cardAccess) {
		t.Errorf("access %s, card access %X", chip.Stats.Access, chip.CardAccess)
	}
}

// A chip that offers only a PACE variant we do not run (DH) is read with BAC.
func TestReadPACEUnsupportedFallsBackToBAC(t *testing.T) {
	c := withPACE(newCard(t, nil, 1), "0.4.0.127.0.7.2.2.4.4.2", 13) // integrated mapping
	chip, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, false)
	if err != nil {
		t.Fatal(err)
	}
	if chip.Stats.Access != "BAC" || chip.ActiveAuth != "not_supported" {
		t.Errorf("stats %+v AA %s", chip.Stats, chip.ActiveAuth)
	}
	if _, err := Read(context.Background(), c, AccessKey{CAN: "123456"}, false); err == nil || errors.Is(err, ErrAccessDenied) {
		t.Errorf("CAN on a BAC chip: err = %v", err)
	}
}

// A wrong MRZ is refused clearly, and the same card reads at once with the
// right one (no lock-up, no state left behind).
func TestReadWrongKey(t *testing.T) {
	wrong := MRZInfo{DocumentNumber: "C03005988", BirthDate: "900103", ExpiryDate: "300102"}
	for _, pace := range []bool{false, true} {
		c := newCard(t, nil, 1)
		if pace {
			withPACE(c, "0.4.0.127.0.7.2.2.4.2.2", 13)
		}
		for i := 0; i < 3; i++ {
			if _, err := Read(context.Background(), c, AccessKey{MRZ: &wrong}, false); !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("pace=%v: err = %v, want ErrAccessDenied", pace, err)
			}
		}
		if pace {
			c.can = "123456"
			if _, err := Read(context.Background(), c, AccessKey{CAN: "654321"}, false); !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("wrong CAN: err = %v", err)
			}
		}
		if _, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, false); err != nil {
			t.Fatalf("pace=%v: right key after wrong ones: %v", pace, err)
		}
	}
}

func TestReadExtendedLength(t *testing.T) {
	short := newCard(t, nil, 1, 2)
	a, err := Read(context.Background(), short, AccessKey{MRZ: &holderMRZ}, false)
	if err != nil {
		t.Fatal(err)
	}
	ext := newCard(t, nil, 1, 2)
	b, err := Read(context.Background(), ext, AccessKey{MRZ: &holderMRZ}, true)
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, ext, b, 1, 2)
	if !b.Stats.Extended || b.Stats.APDUs >= a.Stats.APDUs {
		t.Errorf("extended %+v, short %+v", b.Stats, a.Stats)
	}
	// A chip that refuses extended length is read in short chunks.
	no := newCard(t, nil, 1, 2)
	no.noExtended = true
	c, err := Read(context.Background(), no, AccessKey{MRZ: &holderMRZ}, true)
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, no, c, 1, 2)
	if c.Stats.Extended {
		t.Errorf("stats %+v", c.Stats)
	}
}

// A file past 32767 bytes is read on with odd INS B1; a chip that gives less
// than asked is followed.
func TestReadLargeFile(t *testing.T) {
	c := newCard(t, nil, 1)
	c.files[FIDOfDG(2)] = file(0x75, 40000)
	c.files[FIDCOM] = lds.BuildCOM([]int{1, 2})
	c.maxLe = 200
	chip, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, true)
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, c, chip, 1, 2)
	if c.ins[0xB1] == 0 {
		t.Error("no READ BINARY B1")
	}
}

func TestReadActiveAuthFailed(t *testing.T) {
	for _, k := range []crypto.Signer{rsaKey(t), func() crypto.Signer { k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader); return k }()} {
		c := newCard(t, k, 1, 15)
		c.aaBad = true
		chip, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, false)
		if err != nil {
			t.Fatal(err)
		}
		if chip.ActiveAuth != "failed" {
			t.Errorf("%T: AA %s, want failed", k, chip.ActiveAuth)
		}
	}
}

func TestReadTamperedAnswer(t *testing.T) {
	c := newCard(t, nil, 1, 2)
	n := 0
	c.tamper = func(r []byte) []byte {
		n++
		if n == 12 && len(r) > 4 {
			r = append([]byte(nil), r...)
			r[3] ^= 0x40
		}
		return r
	}
	if _, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, false); !errors.Is(err, ErrSecureMessaging) {
		t.Fatalf("err = %v, want ErrSecureMessaging", err)
	}
}

// The transport's error (a card taken away) comes back as it is, and ctx
// stops the read between APDUs.
func TestReadRemovedAndCancelled(t *testing.T) {
	c := newCard(t, nil, 1, 2)
	c.removeAt = 20
	if _, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, false); !errors.Is(err, errRemovedCard) {
		t.Fatalf("err = %v, want the transport's", err)
	}
	c.removeAt, c.n, c.sm, c.app = 0, 0, nil, false // the card put back
	if _, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, false); err != nil {
		t.Fatalf("read after removal: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, c, AccessKey{MRZ: &holderMRZ}, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestReadNoKey(t *testing.T) {
	if _, err := Read(context.Background(), newCard(t, nil, 1), AccessKey{}, false); err == nil {
		t.Fatal("read without a key")
	}
}
