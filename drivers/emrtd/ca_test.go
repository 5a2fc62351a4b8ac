package emrtd

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"xephang/drivers/emrtd/lds"
)

// We found no published worked example of chip authentication (Doc 9303
// Part 11 has none; we searched for others in vain); its steps are pinned
// here by what is published: the
// key agreement and KDF are those of PACE, which the Appendix G.1 worked
// example pins (pace_test.go: ECDH on brainpoolP256r1, K = x coordinate,
// KS_enc/KS_mac by counters 1 and 2); on P-256 the agreement is checked
// against crypto/ecdh, an implementation that is not ours; the APDUs are
// pinned byte for byte from Doc 9303 Part 11 §6.2.4.1 and TR-03110 Part 3
// B.1/B.11; and chipsim, written apart from this package, answers them
// (chipsim_test.go).

// fixedRand gives the same bytes forever: a fixed ephemeral key.
type fixedRand byte

func (r fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestChipAuthCommands(t *testing.T) {
	pk := append([]byte{0x04}, bytes.Repeat([]byte{0xAB}, 64)...)
	hexPK := strings.Repeat("AB", 64)
	// 3DES, no key ID: MSE:Set KAT, 91 the ephemeral key.
	got := caCommands(ChipAuthKey{OID: oidCAECDH + "1", Cipher: Cipher3DES, KeyID: -1}, pk)
	want := "002241A643" + "9141" + "04" + hexPK
	if len(got) != 1 || strings.ToUpper(hex.EncodeToString(got[0])) != want {
		t.Errorf("Set KAT: %X\nwant %s", got, want)
	}
	// 3DES with key ID 2: 84 02 after the key.
	got = caCommands(ChipAuthKey{OID: oidCAECDH + "1", Cipher: Cipher3DES, KeyID: 2}, pk)
	if want := "002241A646" + "9141" + "04" + hexPK + "840102"; strings.ToUpper(hex.EncodeToString(got[0])) != want {
		t.Errorf("Set KAT with key ID: %X", got[0])
	}
	// AES-128, key ID 1: MSE:Set AT (80 the protocol's OID, 84 the key ID),
	// then GENERAL AUTHENTICATE with 7C{80 the ephemeral key}, Le 00.
	got = caCommands(ChipAuthKey{OID: oidCAECDH + "2", Cipher: CipherAES128, KeyID: 1}, pk)
	if len(got) != 2 {
		t.Fatalf("%d commands", len(got))
	}
	if want := "002241A40F" + "800A04007F00070202030202" + "840101"; strings.ToUpper(hex.EncodeToString(got[0])) != want {
		t.Errorf("Set AT: %X\nwant %s", got[0], want)
	}
	if want := "0086000045" + "7C43" + "8041" + "04" + hexPK + "00"; strings.ToUpper(hex.EncodeToString(got[1])) != want {
		t.Errorf("GENERAL AUTHENTICATE: %X\nwant %s", got[1], want)
	}
	// Key ID 0 is sent as one zero byte.
	got = caCommands(ChipAuthKey{OID: oidCAECDH + "4", Cipher: CipherAES256, KeyID: 0}, pk)
	if !bytes.HasSuffix(got[0], []byte{0x84, 0x01, 0x00}) {
		t.Errorf("key ID 0: %X", got[0])
	}
}

// The agreement on P-256 as crypto/ecdh computes it, and the new session's
// keys from it by the KDF with SSC zero.
func TestChipAuthAgreementP256(t *testing.T) {
	chipKey, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g := &ecGroup{c: nistP256, gx: nistP256.Gx, gy: nistP256.Gy}
	sk, pk, err := g.keyPair(fixedRand(0x11))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := ecdh.P256().NewPrivateKey(bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pk, ours.PublicKey().Bytes()) {
		t.Fatalf("ephemeral public key %X, crypto/ecdh %X", pk, ours.PublicKey().Bytes())
	}
	shared, err := g.agree(sk, chipKey.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want, err := chipKey.ECDH(ours.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, want) {
		t.Fatalf("shared secret %X, crypto/ecdh %X", shared, want)
	}
	for _, c := range []string{Cipher3DES, CipherAES128, CipherAES256} {
		s, err := caSession(&Session{access: "BAC"}, c, shared)
		if err != nil {
			t.Fatal(err)
		}
		if s.Access() != "BAC" || s.Cipher() != c || !bytes.Equal(s.sm.SSC(), make([]byte, blockSize(c))) {
			t.Errorf("%s: access %s, SSC %X", c, s.Access(), s.sm.SSC())
		}
		ref, _ := NewSM(c, DeriveKey(want, 1, c), DeriveKey(want, 2, c), make([]byte, blockSize(c)))
		a, _ := s.sm.WrapCommand([]byte{0x00, 0xB0, 0x00, 0x00, 0x10})
		b, _ := ref.WrapCommand([]byte{0x00, 0xB0, 0x00, 0x00, 0x10})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: keys differ from the KDF's", c)
		}
	}
}

// spki builds an elliptic-curve SubjectPublicKeyInfo with params.
func spki(t *testing.T, alg asn1.ObjectIdentifier, params []byte, point []byte) []byte {
	t.Helper()
	type algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	a := algorithm{Algorithm: alg}
	if params != nil {
		a.Parameters = asn1.RawValue{FullBytes: params}
	}
	b, err := asn1.Marshal(struct {
		Algorithm algorithm
		Key       asn1.BitString
	}{a, asn1.BitString{Bytes: point, BitLength: 8 * len(point)}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestChipAuthKeyOf(t *testing.T) {
	bp := brainpoolP256r1
	point := bp.Marshal(bp.ScalarBaseMult(bytesInt(0x22)))
	p256 := nistP256.Marshal(nistP256.ScalarBaseMult(bytesInt(0x22)))
	named, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7})
	byID, _ := asn1.Marshal(13)
	ecPub := asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	pkECDH := asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 2}
	info := func(oid string, keyID int) lds.SecurityInfo {
		return lds.SecurityInfo{Kind: "ChipAuthentication", OID: oid, Version: 1, KeyID: keyID}
	}
	pub := func(der []byte, keyID int) lds.SecurityInfo {
		return lds.SecurityInfo{Kind: "ChipAuthenticationPublicKey", OID: "0.4.0.127.0.7.2.2.1.2", PublicKey: der, KeyID: keyID}
	}
	for _, v := range []struct {
		name   string
		infos  []lds.SecurityInfo
		ok     bool
		cipher string
		curve  string
		keyID  int
	}{
		{"named brainpool AES-128", []lds.SecurityInfo{info(oidCAECDH+"2", 1), pub(spki(t, ecPub, named, point), 1)}, true, CipherAES128, "brainpoolP256r1", 1},
		{"parameter ID 13", []lds.SecurityInfo{info(oidCAECDH+"3", -1), pub(spki(t, pkECDH, byID, point), -1)}, true, CipherAES192, "brainpoolP256r1", -1},
		{"P-256 by name, 3DES", []lds.SecurityInfo{info(oidCAECDH+"1", -1), pub(spki(t, ecPub, mustOID(t, "1.2.840.10045.3.1.7"), p256), -1)}, true, Cipher3DES, "P-256", -1},
		{"no info: 3DES", []lds.SecurityInfo{pub(spki(t, ecPub, named, point), -1)}, true, Cipher3DES, "brainpoolP256r1", -1},
		{"key IDs differ", []lds.SecurityInfo{info(oidCAECDH+"2", 1), pub(spki(t, ecPub, named, point), 2)}, false, "", "", 0},
		{"DH protocol, EC key", []lds.SecurityInfo{info("0.4.0.127.0.7.2.2.3.1.2", -1), pub(spki(t, ecPub, named, point), -1)}, false, "", "", 0},
		{"version 2", []lds.SecurityInfo{{Kind: "ChipAuthentication", OID: oidCAECDH + "2", Version: 2, KeyID: -1}, pub(spki(t, ecPub, named, point), -1)}, false, "", "", 0},
		{"point off the curve", []lds.SecurityInfo{info(oidCAECDH+"2", -1), pub(spki(t, ecPub, named, p256), -1)}, false, "", "", 0},
		{"unknown curve", []lds.SecurityInfo{info(oidCAECDH+"2", -1), pub(spki(t, ecPub, mustOID(t, "1.3.132.0.10"), point), -1)}, false, "", "", 0},
		{"no key", []lds.SecurityInfo{info(oidCAECDH+"2", -1)}, false, "", "", 0},
	} {
		k, ok := ChipAuthKeyOf(v.infos)
		if ok != v.ok || (ok && (k.Cipher != v.cipher || k.Curve.Name != v.curve || k.KeyID != v.keyID)) {
			t.Errorf("%s: %v %+v", v.name, ok, k)
		}
	}
}

func bytesInt(b byte) *big.Int { return new(big.Int).SetBytes(bytes.Repeat([]byte{b}, 32)) }

func mustOID(t *testing.T, s string) []byte {
	t.Helper()
	o, err := encodeOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{0x06, byte(len(o))}, o...)
}

// A chip that refuses chip authentication inside its session: ErrChipAuth.
func TestChipAuthRefused(t *testing.T) {
	kEnc, kMac := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16)
	reader, _ := NewSM(CipherAES128, kEnc, kMac, make([]byte, 16))
	card, _ := NewSM(CipherAES128, kEnc, kMac, make([]byte, 16))
	chip := transmitterFunc(func(apdu []byte) ([]byte, error) {
		if _, err := card.UnwrapCommand(apdu); err != nil {
			return nil, err
		}
		return card.WrapResponse([]byte{0x6A, 0x80})
	})
	bp := brainpoolP256r1
	k := ChipAuthKey{OID: oidCAECDH + "2", Cipher: CipherAES128, KeyID: -1, Curve: bp, Public: bp.Marshal(bp.Gx, bp.Gy)}
	if _, err := ChipAuth(NewSession(chip, reader, "PACE"), k); !errors.Is(err, ErrChipAuth) {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkChipAuthAgreement is the reader's share of chip authentication's
// cryptography: an ephemeral key pair and the agreement with the chip's
// key, on this package's curve arithmetic (math/big, Jacobian) and on
// RFC 5114's 2048-bit DH group.
func BenchmarkChipAuthAgreement(b *testing.B) {
	dh, _ := dhGroupByParameterID(2)
	for _, v := range []struct {
		name  string
		group func() paceGroup
	}{
		{"brainpoolP256r1", func() paceGroup { return &ecGroup{c: brainpoolP256r1, gx: brainpoolP256r1.Gx, gy: brainpoolP256r1.Gy} }},
		{"P-256", func() paceGroup { return &ecGroup{c: nistP256, gx: nistP256.Gx, gy: nistP256.Gy} }},
		{"DH-2048-256", func() paceGroup { return dh }},
	} {
		b.Run(v.name, func(b *testing.B) {
			g := v.group()
			_, chip, err := g.keyPair(rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				sk, _, err := g.keyPair(rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := g.agree(sk, chip); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A DH key of DG14: X9.42 parameters or RFC 5114's by ID, the key in its
// subgroup; one outside it is refused.
func TestChipAuthKeyOfDH(t *testing.T) {
	g, _ := dhGroupByParameterID(2)
	y := new(big.Int).Exp(g.g, big.NewInt(12345), g.p)
	yDER, _ := asn1.Marshal(y)
	x942, _ := asn1.Marshal(struct{ P, G, Q *big.Int }{g.p, g.g, g.q})
	byID, _ := asn1.Marshal(2)
	dhAlg := asn1.ObjectIdentifier{1, 2, 840, 10046, 2, 1}
	bad, _ := asn1.Marshal(new(big.Int).Sub(g.p, big.NewInt(1))) // p−1: order 2
	for _, v := range []struct {
		name string
		spki []byte
		ok   bool
	}{
		{"X9.42 parameters", spki(t, dhAlg, x942, yDER), true},
		{"parameter ID 2", spki(t, asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 1}, byID, yDER), true},
		{"p−1", spki(t, dhAlg, x942, bad), false},
		{"no parameters", spki(t, dhAlg, nil, yDER), false},
	} {
		infos := []lds.SecurityInfo{
			{Kind: "ChipAuthentication", OID: oidCADH + "2", Version: 1, KeyID: -1},
			{Kind: "ChipAuthenticationPublicKey", OID: oidPKDH, PublicKey: v.spki, KeyID: -1},
		}
		k, ok := ChipAuthKeyOf(infos)
		if ok != v.ok || (ok && (k.Curve != nil || k.Cipher != CipherAES128 || len(k.Public) != 256 || new(big.Int).SetBytes(k.Public).Cmp(y) != 0)) {
			t.Errorf("%s: %v %+v", v.name, ok, k)
		}
	}
}
