package emrtd

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"
	"testing"

	"xephang/drivers/emrtd/chipsim"
	"xephang/drivers/emrtd/lds"
)

func fuzzSMs(t testing.TB) []*SM {
	a, err := NewSM(Cipher3DES, unhex(t, "979EC13B1CBFE9DCD01AB0FED307EAE5"), unhex(t, "F1CB1F1FB5ADF208806B89DC579DC1F8"), unhex(t, "887022120C06C228"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSM(CipherAES128, unhex(t, "F5F0E35C0D7161EE6724EE513A0D9A7F"), unhex(t, "FE251C7858B356B24514B3BD5F4297D1"), make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	return []*SM{a, b}
}

// An answer under secure messaging is the chip's (or an attacker's): any
// bytes give an error or a checked answer, never a panic.
func FuzzUnwrapResponse(f *testing.F) {
	f.Add(unhex(f, "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
	f.Add(unhex(f, "990290008E08FA855A5D4C50A8ED9000"))
	f.Add(unhex(f, "6A82"))
	f.Add(unhex(f, "85089FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
	f.Add(unhex(f, "87830000019000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, sm := range fuzzSMs(t) {
			if r, err := sm.UnwrapResponse(b); err == nil && len(r) < 2 {
				t.Fatalf("answer %X without status", r)
			}
		}
	})
}

// The card side takes any command bytes from a reader.
func FuzzUnwrapCommand(f *testing.F) {
	f.Add(unhex(f, "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"))
	f.Add(unhex(f, "0CB000000D9701048E08ED6705417E96BA5500"))
	f.Add(unhex(f, "0CB1000000000D970200008E08ED6705417E96BA550000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, sm := range fuzzSMs(t) {
			p, err := sm.UnwrapCommand(b)
			if err == nil {
				if _, err := parseCommand(p); err != nil {
					t.Fatalf("plain command %X does not parse", p)
				}
			}
		}
	})
}

// Reading a file from a chip that answers anything ends, with the file or an
// error.
func FuzzReadFile(f *testing.F) {
	f.Add(unhex(f, "9000"), unhex(f, "60145F019000"), unhex(f, "04303130365F36063034303030305C0261759000"))
	f.Add(unhex(f, "9000"), unhex(f, "7582FFFF9000"), unhex(f, "00006282"))
	f.Add(unhex(f, "9000"), unhex(f, "7F61839000"), unhex(f, "6A82"))
	f.Fuzz(func(t *testing.T, sel, first, rest []byte) {
		answers := [][]byte{sel, first}
		n := 0
		card := transmitterFunc(func(apdu []byte) ([]byte, error) {
			n++
			if n > 1000 {
				t.Fatal("more than 1000 APDUs for one file")
			}
			if n <= len(answers) {
				return answers[n-1], nil
			}
			return rest, nil
		})
		if b, err := ReadFile(card, FIDCOM, n%2 == 0); err == nil && len(b) == 0 {
			t.Fatal("empty file without error")
		}
	})
}

type transmitterFunc func([]byte) ([]byte, error)

func (f transmitterFunc) Transmit(apdu []byte) ([]byte, error) { return f(apdu) }

// An active authentication signature is the chip's: any bytes give a
// verdict, never a panic.
func FuzzActiveAuthSignature(f *testing.F) {
	k := rsaKey(f)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), randReader{})
	if err != nil {
		f.Fatal(err)
	}
	pub := &rsa.PublicKey{N: new(big.Int).Set(k.N), E: k.E}
	f.Add(make([]byte, 128))
	f.Add(k.N.Bytes())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, sig []byte) {
		if err := verifyISO9796(pub, []byte("12345678"), sig); err != nil && !errors.Is(err, ErrActiveAuth) {
			t.Fatalf("err = %v", err)
		}
		if err := verifyPlainECDSA(&ec.PublicKey, []byte("12345678"), sig); err == nil {
			t.Fatal("a fuzzed ECDSA signature verified")
		}
	})
}

// PACE's answers are the chip's: any bytes at any step end the run with a
// session or an error, never a panic.
func FuzzPACEAnswers(f *testing.F) {
	f.Add(false, unhex(f, "7C12801095A3A016522EE98D01E76CB6B98B42C39000"), unhex(f, "7C438241"+g1PKMapIC+"9000"), unhex(f, "7C438441"+g1PKIC+"9000"), unhex(f, "7C0A86083ABB9674BCE93C089000"))
	f.Add(true, unhex(f, "7C128010854D8DF5827FA6852D1A4FA701CDDDCA9000"), unhex(f, "7C8183828180"+g2PKMapIC+"9000"), unhex(f, "7C8183848180"+g2PKIC+"9000"), unhex(f, "7C0A8608917F37B5C0E6D8D19000"))
	f.Add(false, unhex(f, "7C0280009000"), unhex(f, "7C0382010400"), unhex(f, "7C43844104"+strings.Repeat("00", 64)+"9000"), unhex(f, "6300"))
	f.Fuzz(func(t *testing.T, dh bool, a1, a2, a3, a4 []byte) {
		answers := [][]byte{{0x90, 0x00}, a1, a2, a3, a4}
		n := 0
		card := transmitterFunc(func([]byte) ([]byte, error) {
			if n >= len(answers) {
				return []byte{0x6D, 0x00}, nil
			}
			n++
			return answers[n-1], nil
		})
		info := exampleG1
		if dh {
			info = exampleG2
		}
		s, err := PACE(card, info, AccessKey{MRZ: &exampleMRZG})
		if err == nil && s == nil {
			t.Fatal("no session and no error")
		}
	})
}

// DG14 is the chip's: any bytes give a chip authentication key whose
// public point lies on its curve, or none, never a panic.
func FuzzChipAuthKey(f *testing.F) {
	for _, o := range []chipsim.Options{{ChipAuth: true}, {ChipAuth: true, CACipher: "3DES", CACurve: "P-256"}, {ActiveAuth: true, ChipAuth: true, CACipher: "AES-256"}, {ChipAuth: true, CACurve: "DH-2048"}} {
		card, err := chipsim.New(chipsim.DemoHolder("adult"), o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(card.Files()[FIDOfDG(14)])
	}
	f.Fuzz(func(t *testing.T, dg14 []byte) {
		infos, err := lds.ParseDG14(dg14)
		if err != nil {
			return
		}
		k, ok := ChipAuthKeyOf(infos)
		if !ok {
			return
		}
		if blockSize(k.Cipher) == 0 || k.group() == nil {
			t.Fatalf("key %+v", k)
		}
		if k.Curve != nil {
			if x, _ := k.Curve.Unmarshal(k.Public); x == nil {
				t.Fatalf("key %+v off its curve", k)
			}
		} else if _, err := k.dh.public(k.Public); err != nil {
			t.Fatalf("DH key %+v: %v", k, err)
		}
		for _, apdu := range caCommands(k, k.Public) {
			if _, err := parseCommand(apdu); err != nil {
				t.Fatalf("command %X: %v", apdu, err)
			}
		}
	})
}
