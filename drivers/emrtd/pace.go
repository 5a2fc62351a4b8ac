package emrtd

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"xephang/drivers/emrtd/lds"
)

// AccessKey is what opens the chip: PACE with the CAN when CAN is set, else
// the MRZ (PACE when the chip offers it, else BAC).
type AccessKey struct {
	MRZ *MRZInfo
	CAN string // card access number, the six digits printed on the card
}

// The PACE protocols: id-PACE (BSI TR-03110 / Doc 9303 Part 11 §9.2.3)
// followed by mapping and key agreement (1 = DH, 2 = ECDH, both generic
// mapping) and cipher (1 3DES, 2 AES-128, 3 AES-192, 4 AES-256).
const oidPACE = "0.4.0.127.0.7.2.2.4."

var paceCiphers = map[string]string{
	oidPACE + "1.1": Cipher3DES,
	oidPACE + "1.2": CipherAES128,
	oidPACE + "1.3": CipherAES192,
	oidPACE + "1.4": CipherAES256,
	oidPACE + "2.1": Cipher3DES,
	oidPACE + "2.2": CipherAES128,
	oidPACE + "2.3": CipherAES192,
	oidPACE + "2.4": CipherAES256,
}

// errPACEUnsupported means this reader cannot run the PACE variant offered
// (Read falls back to BAC).
var errPACEUnsupported = errors.New("emrtd: PACE variant not supported")

// PACESupported reports whether PACE can run with this PACEInfo of EF.CardAccess:
// generic mapping over ECDH on one of the curves of CurveByParameterID, or
// over DH on one of the groups 0, 1, 2 (RFC 5114).
func PACESupported(p lds.PACEInfo) bool {
	_, _, err := paceGroupOf(p)
	return err == nil
}

// paceGroupOf gives the cipher and the group of a PACEInfo.
func paceGroupOf(p lds.PACEInfo) (string, paceGroup, error) {
	cipherName, ok := paceCiphers[p.OID]
	if !ok {
		return "", nil, fmt.Errorf("%w: protocol %s", errPACEUnsupported, p.OID)
	}
	if strings.HasPrefix(p.OID, oidPACE+"1.") {
		g, err := dhGroupByParameterID(p.ParameterID)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %v", errPACEUnsupported, err)
		}
		return cipherName, g, nil
	}
	c, err := CurveByParameterID(p.ParameterID)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", errPACEUnsupported, err)
	}
	return cipherName, &ecGroup{c: c, gx: c.Gx, gy: c.Gy}, nil
}

// PACE runs PACE (Doc 9303 Part 11 §4.4) with generic mapping over ECDH or
// DH at the chip's MF: MSE:Set AT, then four chained GENERAL AUTHENTICATE steps
// (encrypted nonce, mapping, key agreement, mutual authentication tokens).
// A refused password is ErrAccessDenied. The session's SSC starts at zero.
func PACE(t Transmitter, p lds.PACEInfo, key AccessKey) (*Session, error) {
	return pace(t, p, key, rand.Reader)
}

func pace(t Transmitter, p lds.PACEInfo, key AccessKey, rnd io.Reader) (*Session, error) {
	cipherName, group, err := paceGroupOf(p)
	if err != nil {
		return nil, err
	}
	oid, err := encodeOID(p.OID)
	if err != nil {
		return nil, err
	}
	var secret []byte
	var ref byte
	switch {
	case key.CAN != "":
		secret, ref = []byte(key.CAN), 0x02
	case key.MRZ != nil:
		secret, ref = key.MRZ.paceSecret(), 0x01
	default:
		return nil, errors.New("emrtd: PACE without MRZ or CAN")
	}
	kPI := DeriveKey(secret, counterPI, cipherName)

	// MSE:Set AT — protocol, password, domain parameters.
	set := appendTLV(nil, 0x80, oid)
	set = append(set, 0x83, 0x01, ref)
	set = append(set, 0x84, 0x01, byte(p.ParameterID))
	if _, err := transmitOK(t, "MSE:Set AT", command{cla: 0x00, ins: 0x22, p1: 0xC1, p2: 0xA4, data: set, le: -1}.bytes()); err != nil {
		return nil, fmt.Errorf("emrtd: PACE: %w", err)
	}

	// 1. The chip's nonce, encrypted with K_π.
	z, err := generalAuthenticate(t, true, 0, nil, 0x80)
	if err != nil {
		return nil, err
	}
	if len(z) == 0 || len(z)%blockSize(cipherName) != 0 {
		return nil, fmt.Errorf("emrtd: PACE: encrypted nonce of %d bytes: %w", len(z), ErrNotEMRTD)
	}
	sb, err := Decrypt(cipherName, kPI, nil, z)
	if err != nil {
		return nil, err
	}
	s := new(big.Int).SetBytes(sb)

	// 2. Generic mapping: G~ = s·G + H, H the key agreement of the mapping keys.
	skMap, pkMap, err := group.keyPair(rnd)
	if err != nil {
		return nil, err
	}
	pkMapIC, err := generalAuthenticate(t, true, 0x81, pkMap, 0x82)
	if err != nil {
		return nil, err
	}
	if err := group.mapGenerator(s, skMap, pkMapIC); err != nil {
		return nil, err
	}

	// 3. Key agreement on the mapped generator.
	sk, pkIFD, err := group.keyPair(rnd)
	if err != nil {
		return nil, err
	}
	pkIC, err := generalAuthenticate(t, true, 0x83, pkIFD, 0x84)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(pkIC, pkIFD) {
		return nil, fmt.Errorf("emrtd: PACE: the chip sent our own key back: %w", ErrNotEMRTD)
	}
	shared, err := group.agree(sk, pkIC)
	if err != nil {
		return nil, err
	}
	ksEnc := DeriveKey(shared, counterEnc, cipherName)
	ksMac := DeriveKey(shared, counterMAC, cipherName)

	// 4. Mutual authentication: each side MACs the other's public key.
	tIFD := authToken(cipherName, ksMac, p.OID, group.publicTag(), pkIC)
	tIC, err := generalAuthenticate(t, false, 0x85, tIFD, 0x86)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && isAuthFailure(se.SW) {
			return nil, ErrAccessDenied
		}
		return nil, err
	}
	if subtle.ConstantTimeCompare(tIC, authToken(cipherName, ksMac, p.OID, group.publicTag(), pkIFD)) != 1 {
		return nil, fmt.Errorf("emrtd: PACE: the chip's token does not verify: %w", ErrAccessDenied)
	}
	sm, err := NewSM(cipherName, ksEnc, ksMac, make([]byte, blockSize(cipherName)))
	if err != nil {
		return nil, err
	}
	return NewSession(t, sm, "PACE"), nil
}

// AuthToken is PACE's authentication token (Doc 9303 Part 11 §4.4.3.4) for
// ECDH: the MAC with KS_mac of the public key data object 7F49 holding the
// protocol's OID (06) and the other side's ephemeral public point (86).
func AuthToken(cipherName string, ksMac []byte, oid string, point []byte) []byte {
	return authToken(cipherName, ksMac, oid, 0x86, point)
}

// authToken is AuthToken with the public key's tag: 86 (an EC point) or 84
// (a DH public value).
func authToken(cipherName string, ksMac []byte, oid string, tag int, pub []byte) []byte {
	o, err := encodeOID(oid)
	if err != nil {
		return nil
	}
	inner := appendTLV(nil, 0x06, o)
	inner = appendTLV(inner, tag, pub)
	data := appendTLV(nil, 0x7F49, inner)
	if cipherName == Cipher3DES {
		return MAC(cipherName, ksMac, data)
	}
	// CMAC pads by itself: the token is over the object as it is (the
	// worked example of Appendix G.1 pins this).
	m, err := newMACer(cipherName, ksMac)
	if err != nil {
		return nil
	}
	return cmac(m.aes, m.k1, m.k2, data)[:8]
}

// encodeOID is the DER content of a dotted object identifier.
func encodeOID(dotted string) ([]byte, error) {
	var oid asn1.ObjectIdentifier
	for _, part := range strings.Split(dotted, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("emrtd: bad OID %q", dotted)
		}
		oid = append(oid, n)
	}
	der, err := asn1.Marshal(oid)
	if err != nil {
		return nil, fmt.Errorf("emrtd: bad OID %q: %v", dotted, err)
	}
	o, _, err := nextTLV(der)
	if err != nil {
		return nil, err
	}
	return o.value, nil
}

// generalAuthenticate sends one GENERAL AUTHENTICATE step: a dynamic
// authentication data object 7C holding tag (none when 0) and returns the
// value of the answer's want tag. chained sets CLA 10 (more steps follow).
func generalAuthenticate(t Transmitter, chained bool, tag int, value []byte, want int) ([]byte, error) {
	var inner []byte
	if tag != 0 {
		inner = appendTLV(nil, tag, value)
	}
	c := command{cla: 0x00, ins: 0x86, p1: 0, p2: 0, data: appendTLV(nil, 0x7C, inner), le: 256}
	if chained {
		c.cla = 0x10
	}
	resp, err := transmitOK(t, "GENERAL AUTHENTICATE", c.bytes())
	if err != nil {
		return nil, fmt.Errorf("emrtd: PACE: %w", err)
	}
	o, _, err := nextTLV(resp)
	if err != nil || o.tag != 0x7C {
		return nil, fmt.Errorf("emrtd: PACE: answer without 7C: %w", ErrNotEMRTD)
	}
	for rest := o.value; len(rest) > 0; {
		d, r, err := nextTLV(rest)
		if err != nil {
			break
		}
		if d.tag == want {
			return d.value, nil
		}
		rest = r
	}
	return nil, fmt.Errorf("emrtd: PACE: answer without data object %X: %w", want, ErrNotEMRTD)
}

// randomScalar draws k in [1, n−1] from rnd.
func randomScalar(n *big.Int, rnd io.Reader) (*big.Int, error) {
	b := make([]byte, (n.BitLen()+7)/8)
	for range 100 {
		if _, err := io.ReadFull(rnd, b); err != nil {
			return nil, err
		}
		if extra := len(b)*8 - n.BitLen(); extra > 0 {
			b[0] &= 0xFF >> extra
		}
		k := new(big.Int).SetBytes(b)
		if k.Sign() > 0 && k.Cmp(n) < 0 {
			return k, nil
		}
	}
	return nil, errors.New("emrtd: no random scalar")
}

// paceGroup is the algebra PACE's generic mapping runs in: an elliptic
// curve or a DH group, with the generator the mapping replaces.
type paceGroup interface {
	keyPair(rnd io.Reader) (sk *big.Int, pk []byte, err error) // on the current generator
	mapGenerator(s, skMap *big.Int, pkMapIC []byte) error      // G~ = s·G + sk·PK (g~ = g^s · PK^sk)
	agree(sk *big.Int, pk []byte) ([]byte, error)              // the shared secret's bytes
	publicTag() int                                            // the tag of a public key in 7F49
}

// ecGroup is PACE on a curve.
type ecGroup struct {
	c      *Curve
	gx, gy *big.Int
}

func (g *ecGroup) keyPair(rnd io.Reader) (*big.Int, []byte, error) {
	sk, err := randomScalar(g.c.N, rnd)
	if err != nil {
		return nil, nil, err
	}
	x, y := g.c.ScalarMult(g.gx, g.gy, sk)
	return sk, g.c.Marshal(x, y), nil
}

func (g *ecGroup) mapGenerator(s, skMap *big.Int, pkMapIC []byte) error {
	x, y := g.c.Unmarshal(pkMapIC)
	if x == nil {
		return fmt.Errorf("emrtd: PACE: the chip's mapping key is not a point of %s: %w", g.c.Name, ErrNotEMRTD)
	}
	hX, hY := g.c.ScalarMult(x, y, skMap)
	if hX == nil {
		return fmt.Errorf("emrtd: PACE: mapping gave the point at infinity: %w", ErrNotEMRTD)
	}
	sX, sY := g.c.ScalarBaseMult(s)
	g.gx, g.gy = g.c.Add(sX, sY, hX, hY)
	if g.gx == nil {
		return fmt.Errorf("emrtd: PACE: mapped generator at infinity: %w", ErrNotEMRTD)
	}
	return nil
}

func (g *ecGroup) agree(sk *big.Int, pk []byte) ([]byte, error) {
	x, y := g.c.Unmarshal(pk)
	if x == nil {
		return nil, fmt.Errorf("emrtd: PACE: the chip's ephemeral key is not a point of %s: %w", g.c.Name, ErrNotEMRTD)
	}
	kX, _ := g.c.ScalarMult(x, y, sk)
	if kX == nil {
		return nil, fmt.Errorf("emrtd: PACE: key agreement at infinity: %w", ErrNotEMRTD)
	}
	return kX.FillBytes(make([]byte, g.c.byteLen)), nil
}

func (g *ecGroup) publicTag() int { return 0x86 }
