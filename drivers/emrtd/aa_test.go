package emrtd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
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
