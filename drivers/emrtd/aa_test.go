package emrtd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math/big"
	"testing"
)

func TestActiveAuth(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []crypto.Signer{rsaKey(t), ec} {
		for _, bad := range []bool{false, true} {
			c := &testCard{t: t, mrz: holderMRZ, aaKey: k, aaBad: bad}
			if err := SelectApplet(c); err != nil {
				t.Fatal(err)
			}
			s, err := BAC(c, holderMRZ)
			if err != nil {
				t.Fatal(err)
			}
			err = ActiveAuth(s, k.Public(), rand.Reader)
			if bad != errors.Is(err, ErrActiveAuth) || (!bad && err != nil) {
				t.Errorf("%T bad=%v: err = %v", k, bad, err)
			}
		}
	}
	// A key of a kind AA does not use, and a chip without INTERNAL AUTHENTICATE.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	c := &testCard{t: t, mrz: holderMRZ}
	_ = SelectApplet(c)
	s, err := BAC(c, holderMRZ)
	if err != nil {
		t.Fatal(err)
	}
	if err := ActiveAuth(s, pub, rand.Reader); !errors.Is(err, errAANotSupported) {
		t.Errorf("ed25519: err = %v", err)
	}
	if err := ActiveAuth(s, ec.Public(), rand.Reader); !errors.Is(err, errAANotSupported) {
		t.Errorf("no AA on the chip: err = %v", err)
	}
}

// ISO/IEC 9796-2 with the two-byte trailer: SHA-256 is 34 CC; a signature
// given as n − s opens the same.
func TestISO9796SHA256(t *testing.T) {
	k := rsaKey(t)
	m2 := []byte("ABCDEFGH")
	size := (k.N.BitLen() + 7) / 8
	m1 := make([]byte, size-3-sha256.Size)
	rand.Read(m1)
	h := sha256.Sum256(append(append([]byte(nil), m1...), m2...))
	f := append(append(append([]byte{0x6A}, m1...), h[:]...), 0x34, 0xCC)
	s := new(big.Int).Exp(new(big.Int).SetBytes(f), k.D, k.N)
	for _, sig := range []*big.Int{s, new(big.Int).Sub(k.N, s)} {
		if err := verifyISO9796(&k.PublicKey, m2, sig.FillBytes(make([]byte, size))); err != nil {
			t.Errorf("verify: %v", err)
		}
	}
	if err := verifyISO9796(&k.PublicKey, []byte("ABCDEFGX"), s.FillBytes(make([]byte, size))); !errors.Is(err, ErrActiveAuth) {
		t.Errorf("other challenge: %v", err)
	}
}
