package chipsim

import (
	"bytes"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
)

// Chip authentication, card side (Doc 9303 Part 11, 6.2, version 1): inside
// a BAC or PACE session the terminal sends an ephemeral public key — for
// 3DES in MSE:Set KAT (00 22 41 A6, 91 key [84 key ID]); for AES after
// MSE:Set AT (00 22 41 A4, 80 OID [84 key ID]) in GENERAL AUTHENTICATE
// (7C{80 key}) — and both sides derive new session keys from the x
// coordinate of the agreed point: the answer still goes out under the old
// keys, everything after under the new ones with a zero SSC.

// The chip authentication protocols the card offers: id-CA-ECDH-3DES-CBC-CBC
// and id-CA-ECDH-AES-CBC-CMAC-128/192/256 (0.4.0.127.0.7.2.2.3.2.1–4).
var caProtocols = map[string]struct {
	last   int // the OID's last arc
	keyLen int // 0 for 3DES, else the AES key's bytes
}{
	"3DES": {1, 0}, "AES-128": {2, 16}, "AES-192": {3, 24}, "AES-256": {4, 32},
}

// caCurves are the curves the card's chip authentication key may be on.
var caCurves = map[string]*curve{"brainpoolP256r1": brainpoolP256r1, "P-256": nistP256}

// nistP256 is FIPS 186-4's P-256 (a = −3), for chip authentication keys.
var nistP256 = func() *curve {
	p := elliptic.P256().Params()
	return &curve{p: p.P, a: new(big.Int).Sub(p.P, big.NewInt(3)), b: p.B, n: p.N, gx: p.Gx, gy: p.Gy, size: 32}
}()

// dhGroup is a DH group of a prime-order subgroup: RFC 5114 §2.3's
// 2048-bit MODP group with a 256-bit subgroup.
type dhGroup struct {
	p, g, q *big.Int
	size    int // bytes of p
}

var dh2048 = &dhGroup{
	p:    hexInt("87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597"),
	g:    hexInt("3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659"),
	q:    hexInt("8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3"),
	size: 256,
}

// caKey is the card's chip authentication key and protocol.
type caKey struct {
	curve  *curve   // nil for DH
	dh     *dhGroup // nil for ECDH
	d      *big.Int // the private key the card holds
	keyLen int      // 0 for 3DES, else the AES key's bytes
	oid    []byte   // the protocol's OID, DER content
	keyID  int      // -1: DG14 names no key ID
}

// caSetup makes the card's key from the options and DG14's entries for
// it: ChipAuthenticationInfo and ChipAuthenticationPublicKeyInfo (id-PK-ECDH
// with a SubjectPublicKeyInfo of id-ecPublicKey: brainpool curves with
// explicit parameters, as issuers store them, NIST curves by name). With
// clone the card holds another private key than the one DG14 names.
func caSetup(o Options, rnd io.Reader) (*caKey, []asn1.RawValue, error) {
	cipherName := o.CACipher
	if cipherName == "" {
		cipherName = "AES-128"
	}
	proto, ok := caProtocols[cipherName]
	if !ok {
		return nil, nil, fmt.Errorf("chipsim: chip authentication cipher %q", o.CACipher)
	}
	curveName := o.CACurve
	if curveName == "" {
		curveName = "brainpoolP256r1"
	}
	if curveName == "DH-2048" {
		return caSetupDH(o, proto.keyLen, proto.last, rnd)
	}
	ec, ok := caCurves[curveName]
	if !ok {
		return nil, nil, fmt.Errorf("chipsim: chip authentication curve %q", o.CACurve)
	}
	var d *big.Int
	if o.CAKey != nil {
		d = new(big.Int).SetBytes(o.CAKey)
		if d.Sign() <= 0 || d.Cmp(ec.n) >= 0 {
			return nil, nil, fmt.Errorf("chipsim: chip authentication key out of range")
		}
	} else {
		var err error
		if d, err = ec.scalar(rnd); err != nil {
			return nil, nil, err
		}
	}
	pub := ec.encode(ec.mul(ec.g(), d))
	k := &caKey{curve: ec, d: d, keyLen: proto.keyLen, keyID: -1}
	if o.CAClone {
		// A copy of another card's files: DG14 names that card's key, this
		// one holds its own.
		var err error
		if k.d, err = ec.scalar(rnd); err != nil {
			return nil, nil, err
		}
	}
	oid := asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 2, proto.last}
	full, _ := asn1.Marshal(oid)
	k.oid = full[2:]

	var params []byte
	if curveName == "P-256" {
		params, _ = asn1.Marshal(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})
	} else {
		params = explicitParameters(ec)
	}
	type algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	spki, err := asn1.Marshal(struct {
		Algorithm algorithm
		Key       asn1.BitString
	}{algorithm{asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.RawValue{FullBytes: params}}, asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
	if err != nil {
		return nil, nil, err
	}
	var info, pkInfo []byte
	if proto.keyLen == 0 {
		// 3DES, one key: no key ID (the terminal sends none).
		info, err = asn1.Marshal(struct {
			Protocol asn1.ObjectIdentifier
			Version  int
		}{oid, 1})
		if err == nil {
			pkInfo, err = asn1.Marshal(struct {
				Protocol asn1.ObjectIdentifier
				Key      asn1.RawValue
			}{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 2}, asn1.RawValue{FullBytes: spki}})
		}
	} else {
		k.keyID = 1
		info, err = asn1.Marshal(struct {
			Protocol asn1.ObjectIdentifier
			Version  int
			KeyID    int
		}{oid, 1, k.keyID})
		if err == nil {
			pkInfo, err = asn1.Marshal(struct {
				Protocol asn1.ObjectIdentifier
				Key      asn1.RawValue
				KeyID    int
			}{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 2}, asn1.RawValue{FullBytes: spki}, k.keyID})
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return k, []asn1.RawValue{{FullBytes: info}, {FullBytes: pkInfo}}, nil
}

// caSetupDH is caSetup for DH on RFC 5114's 2048-bit group: DG14's key
// is a SubjectPublicKeyInfo of dhpublicnumber with X9.42's parameters (p,
// g, q) and the INTEGER y; the protocol id-CA-DH-… (0.4.0.127.0.7.2.2.3.1.x),
// no key ID.
func caSetupDH(o Options, keyLen, last int, rnd io.Reader) (*caKey, []asn1.RawValue, error) {
	g := dh2048
	scalar := func() (*big.Int, error) {
		b := make([]byte, 32)
		for {
			if _, err := io.ReadFull(rnd, b); err != nil {
				return nil, err
			}
			if k := new(big.Int).SetBytes(b); k.Sign() > 0 && k.Cmp(g.q) < 0 {
				return k, nil
			}
		}
	}
	var d *big.Int
	var err error
	if o.CAKey != nil {
		d = new(big.Int).SetBytes(o.CAKey)
		if d.Sign() <= 0 || d.Cmp(g.q) >= 0 {
			return nil, nil, fmt.Errorf("chipsim: chip authentication key out of range")
		}
	} else if d, err = scalar(); err != nil {
		return nil, nil, err
	}
	y := new(big.Int).Exp(g.g, d, g.p)
	k := &caKey{dh: g, d: d, keyLen: keyLen, keyID: -1}
	if o.CAClone {
		if k.d, err = scalar(); err != nil {
			return nil, nil, err
		}
	}
	oid := asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3, 1, last}
	full, _ := asn1.Marshal(oid)
	k.oid = full[2:]
	params, _ := asn1.Marshal(struct{ P, G, Q *big.Int }{g.p, g.g, g.q})
	key, _ := asn1.Marshal(y)
	type algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	spki, err := asn1.Marshal(struct {
		Algorithm algorithm
		Key       asn1.BitString
	}{algorithm{asn1.ObjectIdentifier{1, 2, 840, 10046, 2, 1}, asn1.RawValue{FullBytes: params}}, asn1.BitString{Bytes: key, BitLength: 8 * len(key)}})
	if err != nil {
		return nil, nil, err
	}
	info, err := asn1.Marshal(struct {
		Protocol asn1.ObjectIdentifier
		Version  int
	}{oid, 1})
	if err != nil {
		return nil, nil, err
	}
	pkInfo, err := asn1.Marshal(struct {
		Protocol asn1.ObjectIdentifier
		Key      asn1.RawValue
	}{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1, 1}, asn1.RawValue{FullBytes: spki}})
	if err != nil {
		return nil, nil, err
	}
	return k, []asn1.RawValue{{FullBytes: info}, {FullBytes: pkInfo}}, nil
}

// explicitParameters is ECParameters with the curve spelled out (RFC 3279,
// 2.3.5): version 1, the prime field, a and b, the base point, the order,
// cofactor 1.
func explicitParameters(ec *curve) []byte {
	type fieldID struct {
		Type  asn1.ObjectIdentifier
		Prime *big.Int
	}
	type coefficients struct{ A, B []byte }
	b, err := asn1.Marshal(struct {
		Version  int
		Field    fieldID
		Curve    coefficients
		Base     []byte
		Order    *big.Int
		Cofactor int
	}{1, fieldID{asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}, ec.p},
		coefficients{ec.a.FillBytes(make([]byte, ec.size)), ec.b.FillBytes(make([]byte, ec.size))},
		ec.encode(ec.g()), ec.n, 1})
	if err != nil {
		panic(err) // fixed values
	}
	return b
}

// mseCA is MSE:Set KAT (P2 A6, 3DES) or MSE:Set AT for chip authentication
// (P2 A4, AES), only inside a session.
func (c *card) mseCA(cmd command) ([]byte, int) {
	k := c.caKey
	if k == nil {
		return nil, 0x6A80
	}
	if c.st.sm == nil {
		return nil, swSecurityStatus
	}
	c.st.caStep = 0
	var oid, pk, keyID []byte
	seen := map[int]bool{}
	for rest := cmd.data; len(rest) > 0; {
		tag, v, r, ok := nextTLV(rest)
		if !ok || seen[tag] {
			return nil, swWrongData
		}
		seen[tag] = true
		rest = r
		switch tag {
		case 0x80:
			oid = v
		case 0x84:
			keyID = v
		case 0x91:
			pk = v
		default:
			return nil, swWrongData
		}
	}
	if keyID != nil && (k.keyID < 0 || new(big.Int).SetBytes(keyID).Cmp(big.NewInt(int64(k.keyID))) != 0) {
		return nil, 0x6A88 // referenced data not found
	}
	switch cmd.p2 {
	case 0xA6: // Set KAT: 3DES
		if k.keyLen != 0 || pk == nil || oid != nil {
			return nil, swWrongData
		}
		return c.caAgree(pk, nil)
	case 0xA4: // Set AT: AES, the key follows in GENERAL AUTHENTICATE
		if k.keyLen == 0 || !bytes.Equal(oid, k.oid) || pk != nil {
			return nil, swWrongData
		}
		c.st.caStep = 1
		return nil, swOK
	}
	return nil, 0x6A86
}

// caGeneralAuthenticate is the AES variant's GENERAL AUTHENTICATE: 7C{80
// the terminal's ephemeral key}; the answer is an empty 7C.
func (c *card) caGeneralAuthenticate(cmd command) ([]byte, int) {
	c.st.caStep = 0
	if cmd.cla&0x10 != 0 {
		return nil, swConditions
	}
	in, ok := dynamicAuthData(cmd.data)
	if !ok || in[0x80] == nil {
		return nil, swWrongData
	}
	return c.caAgree(in[0x80], tlv(nil, 0x7C, nil))
}

// caAgree computes the shared secret with the terminal's key pk and makes
// the session keys of what comes next; this answer (data, 9000) still goes
// out under the old keys.
func (c *card) caAgree(pk, data []byte) ([]byte, int) {
	k := c.caKey
	var x []byte
	if k.dh != nil {
		// The terminal's y: as long as p, 1 < y < p−1, in the subgroup.
		y := new(big.Int).SetBytes(pk)
		one := big.NewInt(1)
		if len(pk) != k.dh.size || y.Cmp(one) <= 0 || y.Cmp(new(big.Int).Sub(k.dh.p, one)) >= 0 ||
			new(big.Int).Exp(y, k.dh.q, k.dh.p).Cmp(one) != 0 {
			return nil, swWrongData
		}
		x = new(big.Int).Exp(y, k.d, k.dh.p).FillBytes(make([]byte, k.dh.size))
	} else {
		q, ok := k.curve.decode(pk)
		if !ok {
			return nil, swWrongData
		}
		s := k.curve.mul(q, k.d)
		if s.x == nil {
			return nil, swWrongData
		}
		x = s.x.FillBytes(make([]byte, k.curve.size))
	}
	c.st.sm = &smSession{
		aes:  k.keyLen != 0,
		kenc: kdf(x, kdfEnc, k.keyLen),
		kmac: kdf(x, kdfMac, k.keyLen),
		ssc:  make([]byte, map[bool]int{false: 8, true: 16}[k.keyLen != 0]),
	}
	return data, swOK
}
