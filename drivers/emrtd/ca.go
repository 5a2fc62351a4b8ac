package emrtd

import (
	"bytes"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"xephang/drivers/emrtd/lds"
)

// Chip authentication (Doc 9303 Part 11 §6.2, version 1; BSI TR-03110 Part
// 1 §3.4): the chip proves it holds the private key whose public half DG14
// carries (signed by the issuer through EF.SOD) by agreeing a key with an
// ephemeral key of ours; secure messaging restarts with keys derived from
// it. A copied chip without the private key cannot answer under them.

// The chip authentication protocols: id-CA-DH (0.4.0.127.0.7.2.2.3.1) or
// id-CA-ECDH (…3.2) followed by the cipher: 1 3DES, 2 AES-128, 3 AES-192,
// 4 AES-256.
const (
	oidCADH   = "0.4.0.127.0.7.2.2.3.1."
	oidCAECDH = "0.4.0.127.0.7.2.2.3.2."
)

// oidPKDH is id-PK-DH, the protocol of a DH chip authentication public key.
const oidPKDH = "0.4.0.127.0.7.2.2.1.1"

// oidPKECDH is id-PK-ECDH, the protocol of an ECDH chip authentication
// public key (and an algorithm its SubjectPublicKeyInfo may name).
const oidPKECDH = "0.4.0.127.0.7.2.2.1.2"

var caCiphers = map[string]string{
	oidCADH + "1":   Cipher3DES,
	oidCADH + "2":   CipherAES128,
	oidCADH + "3":   CipherAES192,
	oidCADH + "4":   CipherAES256,
	oidCAECDH + "1": Cipher3DES,
	oidCAECDH + "2": CipherAES128,
	oidCAECDH + "3": CipherAES192,
	oidCAECDH + "4": CipherAES256,
}

// ErrChipAuth means chip authentication was announced by DG14 but the chip
// did not complete it: it refused the key agreement, or it did not answer
// under the agreed keys (a copied chip without the private key).
var ErrChipAuth = errors.New("emrtd: chip authentication failed: the chip did not prove its key")

// errCANotSupported means DG14 offers no chip authentication this package
// runs (none at all, DH, an unknown curve or cipher).
var errCANotSupported = errors.New("emrtd: chip authentication not supported")

// ChipAuthKey is what chip authentication runs with, taken from DG14: the
// protocol, its cipher, the chip's static public key and its curve (or DH
// group).
type ChipAuthKey struct {
	OID    string // id-CA-ECDH-… or id-CA-DH-…, e.g. "0.4.0.127.0.7.2.2.3.2.2" (ECDH, AES-128)
	Cipher string // Cipher3DES, CipherAES128, …
	KeyID  int    // the key's identifier; -1 when DG14 gives none (one key)
	Curve  *Curve // nil for DH
	Public []byte // the chip's static public key: an uncompressed point, or DH's y as long as p
	dh     *dhGroup
}

// group is the algebra of the key agreement: the curve, or the DH group.
func (k ChipAuthKey) group() paceGroup {
	if k.dh != nil {
		return &dhGroup{p: k.dh.p, q: k.dh.q, g: k.dh.g, byteLen: k.dh.byteLen}
	}
	if k.Curve == nil {
		return nil
	}
	return &ecGroup{c: k.Curve, gx: k.Curve.Gx, gy: k.Curve.Gy}
}

// caKeyOf reads a CA public key of DG14 for the protocol oid: DH keys for
// id-CA-DH, EC keys for id-CA-ECDH.
func caKeyOf(oid, cipherName string, pk lds.SecurityInfo) (ChipAuthKey, bool) {
	k := ChipAuthKey{OID: oid, Cipher: cipherName, KeyID: pk.KeyID}
	var err error
	if strings.HasPrefix(oid, oidCADH) {
		k.dh, k.Public, err = parseDHPublicKey(pk.PublicKey)
	} else {
		k.Curve, k.Public, err = parseECPublicKey(pk.PublicKey)
	}
	return k, err == nil
}

// ChipAuthKeyOf picks from DG14's security infos the chip authentication
// this package can run: a ChipAuthenticationInfo of id-CA-ECDH with a
// ChipAuthenticationPublicKeyInfo of the same key ID, on one of the curves
// of CurveByParameterID (named, explicit parameters or a standardized
// parameter ID), or of id-CA-DH with a DH key (X9.42 parameters or RFC
// 5114's groups). Version 1 only. ok is false when there is none.
func ChipAuthKeyOf(infos []lds.SecurityInfo) (k ChipAuthKey, ok bool) {
	for _, in := range infos {
		if in.Kind != "ChipAuthentication" || in.Version != 1 {
			continue
		}
		cipherName, known := caCiphers[in.OID]
		if !known {
			continue
		}
		for _, pk := range infos {
			if pk.Kind != "ChipAuthenticationPublicKey" || (in.KeyID >= 0 && pk.KeyID != in.KeyID) {
				continue
			}
			if k, ok := caKeyOf(in.OID, cipherName, pk); ok {
				return k, true
			}
		}
	}
	// Without any ChipAuthenticationInfo the protocol is 3DES: Doc 9303
	// makes the info optional for it.
	for _, in := range infos {
		if in.Kind == "ChipAuthentication" {
			return ChipAuthKey{}, false
		}
	}
	for _, pk := range infos {
		if pk.Kind != "ChipAuthenticationPublicKey" {
			continue
		}
		oid := map[string]string{oidPKECDH: oidCAECDH + "1", oidPKDH: oidCADH + "1"}[pk.OID]
		if oid == "" {
			continue
		}
		if k, ok := caKeyOf(oid, Cipher3DES, pk); ok {
			return k, true
		}
	}
	return ChipAuthKey{}, false
}

// Object identifiers of the curves' names (RFC 5480, RFC 5639).
var curveOfOID = map[string]*Curve{
	"1.2.840.10045.3.1.7":   nistP256,
	"1.3.132.0.34":          nistP384,
	"1.3.132.0.35":          nistP521,
	"1.3.36.3.3.2.8.1.1.7":  brainpoolP256r1,
	"1.3.36.3.3.2.8.1.1.11": brainpoolP384r1,
	"1.3.36.3.3.2.8.1.1.13": brainpoolP512r1,
}

// ecParameters is the explicit form of ECParameters (RFC 3279 §2.3.5, BSI
// TR-03111 §4.1.1), as German and other passports store their CA keys.
type ecParameters struct {
	Version int
	Field   struct {
		Type  asn1.ObjectIdentifier
		Prime *big.Int
	}
	Curve struct {
		A, B []byte
		Seed asn1.BitString `asn1:"optional"`
	}
	Base     []byte
	Order    *big.Int
	Cofactor int `asn1:"optional"`
}

// parseECPublicKey reads an elliptic-curve SubjectPublicKeyInfo of DG14:
// algorithm id-ecPublicKey or id-PK-ECDH, its parameters a named curve, the
// curve's explicit parameters or a standardized domain parameter ID; the
// key an uncompressed point on that curve.
func parseECPublicKey(spki []byte) (*Curve, []byte, error) {
	var s struct {
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		Key asn1.BitString
	}
	if rest, err := asn1.Unmarshal(spki, &s); err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: public key is not a SubjectPublicKeyInfo", errCANotSupported)
	}
	switch alg := s.Algorithm.Algorithm.String(); alg {
	case "1.2.840.10045.2.1", oidPKECDH: // id-ecPublicKey, id-PK-ECDH
	default:
		return nil, nil, fmt.Errorf("%w: key algorithm %s", errCANotSupported, alg)
	}
	var c *Curve
	p := s.Algorithm.Parameters
	switch {
	case p.Class == asn1.ClassUniversal && p.Tag == asn1.TagOID:
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(p.FullBytes, &oid); err == nil {
			c = curveOfOID[oid.String()]
		}
	case p.Class == asn1.ClassUniversal && p.Tag == asn1.TagInteger:
		var id int
		if _, err := asn1.Unmarshal(p.FullBytes, &id); err == nil {
			c, _ = CurveByParameterID(id)
		}
	case p.Class == asn1.ClassUniversal && p.Tag == asn1.TagSequence:
		var e ecParameters
		if _, err := asn1.Unmarshal(p.FullBytes, &e); err == nil && e.Field.Prime != nil && e.Order != nil {
			c = curveOfParameters(e)
		}
	}
	if c == nil {
		return nil, nil, fmt.Errorf("%w: curve not known", errCANotSupported)
	}
	point := s.Key.RightAlign()
	if x, _ := c.Unmarshal(point); x == nil {
		return nil, nil, fmt.Errorf("%w: the public key is not a point of %s", errCANotSupported, c.Name)
	}
	return c, point, nil
}

// dhDomainParameters are X9.42's DomainParameters (RFC 3279 §2.3.3) as
// a DH chip authentication key carries them: p, g, q, and optional
// fields this package does not need.
type dhDomainParameters struct {
	P, G, Q *big.Int
	Rest    []asn1.RawValue `asn1:"optional"`
}

// parseDHPublicKey reads a DH SubjectPublicKeyInfo of DG14: algorithm
// dhpublicnumber or id-PK-DH, its parameters X9.42's (p, g, q: p of 1024
// to 4096 bits, q of at least 160, g and the key in the subgroup of order q) or a
// standardized parameter ID (0–2, RFC 5114); the key an INTEGER y. The key
// is returned as long as p, as the terminal's goes.
func parseDHPublicKey(spki []byte) (*dhGroup, []byte, error) {
	var s struct {
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		Key asn1.BitString
	}
	if rest, err := asn1.Unmarshal(spki, &s); err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: public key is not a SubjectPublicKeyInfo", errCANotSupported)
	}
	switch alg := s.Algorithm.Algorithm.String(); alg {
	case "1.2.840.10046.2.1", oidPKDH: // dhpublicnumber, id-PK-DH
	default:
		return nil, nil, fmt.Errorf("%w: key algorithm %s", errCANotSupported, alg)
	}
	var g *dhGroup
	p := s.Algorithm.Parameters
	switch {
	case p.Class == asn1.ClassUniversal && p.Tag == asn1.TagInteger:
		var id int
		if _, err := asn1.Unmarshal(p.FullBytes, &id); err == nil {
			g, _ = dhGroupByParameterID(id)
		}
	case p.Class == asn1.ClassUniversal && p.Tag == asn1.TagSequence:
		var d dhDomainParameters
		if _, err := asn1.Unmarshal(p.FullBytes, &d); err == nil && d.P != nil && d.G != nil && d.Q != nil {
			one := big.NewInt(1)
			if n := d.P.BitLen(); n >= 1024 && n <= 4096 && d.P.Bit(0) == 1 && d.Q.BitLen() >= 160 && d.Q.Cmp(d.P) < 0 &&
				d.G.Cmp(one) > 0 && d.G.Cmp(d.P) < 0 && new(big.Int).Exp(d.G, d.Q, d.P).Cmp(one) == 0 {
				g = &dhGroup{p: d.P, q: d.Q, g: d.G, byteLen: (n + 7) / 8}
			}
		}
	}
	if g == nil {
		return nil, nil, fmt.Errorf("%w: DH domain parameters not usable", errCANotSupported)
	}
	var y *big.Int
	if rest, err := asn1.Unmarshal(s.Key.RightAlign(), &y); err != nil || len(rest) != 0 || y == nil || y.Sign() <= 0 || y.BitLen() > g.p.BitLen() {
		return nil, nil, fmt.Errorf("%w: the DH public key is not an INTEGER", errCANotSupported)
	}
	pub := y.FillBytes(make([]byte, g.byteLen))
	if _, err := g.public(pub); err != nil {
		return nil, nil, fmt.Errorf("%w: the DH public key is not in its group", errCANotSupported)
	}
	return g, pub, nil
}

// curveOfParameters finds the known curve with e's prime, coefficients,
// base point and order.
func curveOfParameters(e ecParameters) *Curve {
	for _, c := range []*Curve{brainpoolP256r1, brainpoolP384r1, brainpoolP512r1, nistP256, nistP384, nistP521} {
		if c.P.Cmp(e.Field.Prime) != 0 || c.N.Cmp(e.Order) != 0 ||
			new(big.Int).SetBytes(e.Curve.A).Cmp(c.A) != 0 || new(big.Int).SetBytes(e.Curve.B).Cmp(c.B) != 0 {
			continue
		}
		if !bytes.Equal(e.Base, c.Marshal(c.Gx, c.Gy)) {
			continue
		}
		return c
	}
	return nil
}

// ChipAuth runs chip authentication version 1 over sess, the session of BAC
// or PACE, with k from DG14 (ChipAuthKeyOf): an ephemeral key pair on the
// chip's curve; for 3DES, MSE:Set KAT with the ephemeral public key (91)
// and the key ID (84); for AES, MSE:Set AT naming the protocol (80) and the
// key ID (84), then GENERAL AUTHENTICATE with the ephemeral public key
// (7C{80}); both answered under the old keys. The shared secret is the x
// coordinate of the agreed point (DH: the agreed value, as long as p); K_enc and K_mac come from it by DeriveKey
// (counters 1 and 2), and the new session's SSC is zero. The chip's
// refusal is ErrChipAuth; whether the chip really holds the key shows on
// the first answer of the new session (a MAC that fails: ErrSecureMessaging,
// which Read reports as a failed chip authentication).
func ChipAuth(sess *Session, k ChipAuthKey) (*Session, error) {
	return chipAuth(sess, k, rand.Reader)
}

func chipAuth(sess *Session, k ChipAuthKey, rnd io.Reader) (*Session, error) {
	g := k.group()
	if g == nil || blockSize(k.Cipher) == 0 {
		return nil, fmt.Errorf("%w: %s", errCANotSupported, k.OID)
	}
	sk, pk, err := g.keyPair(rnd)
	if err != nil {
		return nil, err
	}
	for _, apdu := range caCommands(k, pk) {
		if _, err := transmitOK(sess, "chip authentication", apdu); err != nil {
			var se *StatusError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%w: %v", ErrChipAuth, err)
			}
			return nil, err
		}
	}
	shared, err := g.agree(sk, k.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrChipAuth, err)
	}
	return caSession(sess, k.Cipher, shared)
}

// caCommands are the plain command APDUs chip authentication sends with the
// ephemeral public key pk: MSE:Set KAT for 3DES; MSE:Set AT and GENERAL
// AUTHENTICATE for AES.
func caCommands(k ChipAuthKey, pk []byte) [][]byte {
	var keyRef []byte
	if k.KeyID >= 0 {
		keyRef = appendTLV(nil, 0x84, big.NewInt(int64(k.KeyID)).Bytes())
		if k.KeyID == 0 {
			keyRef = []byte{0x84, 0x01, 0x00}
		}
	}
	if k.Cipher == Cipher3DES {
		data := append(appendTLV(nil, 0x91, pk), keyRef...)
		return [][]byte{command{cla: 0x00, ins: 0x22, p1: 0x41, p2: 0xA6, data: data, le: -1}.bytes()}
	}
	oid, _ := encodeOID(k.OID)
	set := append(appendTLV(nil, 0x80, oid), keyRef...)
	ga := appendTLV(nil, 0x7C, appendTLV(nil, 0x80, pk))
	return [][]byte{
		command{cla: 0x00, ins: 0x22, p1: 0x41, p2: 0xA4, data: set, le: -1}.bytes(),
		command{cla: 0x00, ins: 0x86, p1: 0x00, p2: 0x00, data: ga, le: 256}.bytes(),
	}
}

// caSession is the session after chip authentication: keys from the shared
// secret, SSC zero, over the same transport.
func caSession(old *Session, cipherName string, shared []byte) (*Session, error) {
	sm, err := NewSM(cipherName, DeriveKey(shared, counterEnc, cipherName), DeriveKey(shared, counterMAC, cipherName), make([]byte, blockSize(cipherName)))
	if err != nil {
		return nil, err
	}
	return NewSession(old.t, sm, old.access), nil
}
