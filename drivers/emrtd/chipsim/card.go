package chipsim

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"io"
	"math/big"
	"sync"
)

// appletAID is the eMRTD application's identifier (Doc 9303 Part 10, 3.1).
var appletAID = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}

// paceOID is id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), the
// protocol the simulated card offers in EF.CardAccess.
const paceOID = PACEOID

var paceOIDBytes = []byte{0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02}

// paceParameterID is brainpoolP256r1 among PACE's standardized domain
// parameters (Doc 9303 Part 11, 9.5.1).
const paceParameterID = 13

// Well-known file identifiers.
const (
	fidMF         = 0x3F00
	fidCardAccess = 0x011C
)

// maxRead caps one READ BINARY answer so a protected answer still fits in
// vpcd's 16-bit frame and pcsc-lite's extended buffer.
const maxRead = 0xFF00

// chip is the card's fixed content and keys; state is what a session changes.
type chip struct {
	atr      []byte
	mf       map[uint16][]byte // EF.CardAccess when PACE is offered
	lds      map[uint16][]byte // files of the eMRTD application
	bacSeed  []byte            // K_seed from the MRZ (16 bytes)
	mrzHash  []byte            // SHA-1 of the MRZ information, PACE's MRZ password
	can      string            // PACE's card access number, "" when none
	pace     bool
	aaKey    crypto.Signer // nil when the card has no Active Authentication
	caKey    *caKey        // nil when the card has no Chip Authentication
	rand     io.Reader
	maxRead  int
	extended bool
}

type state struct {
	applet    bool
	ef        []byte // selected elementary file, nil when none
	efLDS     bool   // the selected file needs an access control session
	challenge []byte // last GET CHALLENGE, for BAC
	sm        *smSession

	// PACE in progress
	paceStep  int    // 0 none, 1 after MSE:Set AT, 2 nonce sent, 3 mapped, 4 keys agreed
	pacePw    []byte // K_π
	paceNonce *big.Int
	paceMapSK *big.Int
	paceGen   point
	paceSK    *big.Int
	pacePK    []byte // the card's ephemeral public key, encoded
	paceIFDPK []byte // the terminal's ephemeral public key, encoded
	paceKeys  [2][]byte

	caStep int // chip authentication: 1 after MSE:Set AT (AES), GENERAL AUTHENTICATE next
}

// card is the simulated chip behind Card.
type card struct {
	mu sync.Mutex
	chip
	st state
}

func (c *card) reset() {
	c.mu.Lock()
	c.st = state{}
	c.mu.Unlock()
}

// transmit answers one command APDU with data and status word.
func (c *card) transmit(apdu []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd, ok := parseCommand(apdu)
	if !ok {
		return withSW(nil, swWrongLength)
	}
	if sm := c.st.sm; sm != nil {
		plain, ok := sm.unwrap(cmd)
		if !ok {
			// An unprotected command or a wrong MAC ends the session, as
			// real chips do; the reader must authenticate again.
			c.st = state{}
			return withSW(nil, swSMIncorrect)
		}
		data, sw := c.handle(plain)
		if c.st.sm == nil {
			return withSW(nil, sw)
		}
		return sm.wrap(plain.ins, data, sw)
	}
	if cmd.cla&0x0C != 0 {
		// Protected command without a session.
		return withSW(nil, swSMMissing)
	}
	data, sw := c.handle(cmd)
	return withSW(data, sw)
}

func (c *card) handle(cmd command) ([]byte, int) {
	if cmd.cla&^0x10 != 0 {
		return nil, swCLANotSupported
	}
	switch cmd.ins {
	case 0xA4:
		return c.selectFile(cmd)
	case 0xB0, 0xB1:
		return c.readBinary(cmd)
	case 0x84:
		return c.getChallenge(cmd)
	case 0x82:
		return c.externalAuthenticate(cmd)
	case 0x22:
		if cmd.p1 == 0x41 {
			return c.mseCA(cmd)
		}
		return c.mseSetAT(cmd)
	case 0x86:
		if c.st.caStep == 1 {
			return c.caGeneralAuthenticate(cmd)
		}
		return c.generalAuthenticate(cmd)
	case 0x88:
		return c.internalAuthenticate(cmd)
	}
	return nil, swINSNotSupported
}

func (c *card) selectFile(cmd command) ([]byte, int) {
	switch cmd.p1 {
	case 0x04: // by DF name
		if !bytes.Equal(cmd.data, appletAID) {
			return nil, swFileNotFound
		}
		c.st.applet, c.st.ef = true, nil
		return nil, swOK
	case 0x00:
		if len(cmd.data) == 0 || bytes.Equal(cmd.data, []byte{0x3F, 0x00}) {
			c.st.applet, c.st.ef = false, nil
			return nil, swOK
		}
	case 0x02:
	default:
		return nil, 0x6A86
	}
	if len(cmd.data) != 2 {
		return nil, swWrongData
	}
	fid := binary.BigEndian.Uint16(cmd.data)
	f, needsSession, ok := c.file(fid)
	if !ok {
		return nil, swFileNotFound
	}
	if needsSession && c.st.sm == nil {
		return nil, swSecurityStatus
	}
	c.st.ef, c.st.efLDS = f, needsSession
	if cmd.p2&0x0C == 0x0C {
		return nil, swOK
	}
	fcp := tlv(nil, 0x80, []byte{byte(len(f) >> 8), byte(len(f))})
	fcp = tlv(fcp, 0x82, []byte{0x01})
	fcp = tlv(fcp, 0x83, cmd.data)
	return tlv(nil, 0x62, fcp), swOK
}

// file finds an EF in the current DF (EF.CardAccess is also found from the
// application, as chips accept).
func (c *card) file(fid uint16) (f []byte, needsSession, ok bool) {
	if c.st.applet {
		if f, ok := c.lds[fid]; ok {
			return f, true, true
		}
	}
	f, ok = c.mf[fid]
	return f, false, ok
}

func (c *card) readBinary(cmd command) ([]byte, int) {
	offset := 0
	if cmd.ins == 0xB0 {
		if cmd.p1&0x80 != 0 { // short EF identifier
			sfi := cmd.p1 & 0x1F
			f, needsSession, ok := c.file(0x0100 | uint16(sfi))
			if !ok {
				return nil, swFileNotFound
			}
			c.st.ef, c.st.efLDS = f, needsSession
			offset = int(cmd.p2)
		} else {
			offset = int(cmd.p1)<<8 | int(cmd.p2)
		}
	} else {
		tag, v, rest, ok := nextTLV(cmd.data)
		if !ok || tag != 0x54 || len(rest) != 0 || len(v) == 0 || len(v) > 3 {
			return nil, swWrongData
		}
		for _, b := range v {
			offset = offset<<8 | int(b)
		}
	}
	if c.st.ef == nil {
		return nil, 0x6986
	}
	if c.st.efLDS && c.st.sm == nil {
		return nil, swSecurityStatus
	}
	f := c.st.ef
	if offset > len(f) {
		return nil, swOffsetBeyondFile
	}
	n := cmd.le
	if !cmd.hasLe {
		n = 256
	}
	if n > c.maxRead {
		n = c.maxRead
	}
	sw := swOK
	if offset+n > len(f) {
		n = len(f) - offset
		sw = 0x6282 // end of file reached before Le bytes
	}
	if cmd.ins == 0xB1 {
		// Le counts the DO'53' around the data too.
		for n > 0 && len(tlv(nil, 0x53, make([]byte, n))) > cmd.le && cmd.hasLe {
			n--
			sw = swOK
		}
		return tlv(nil, 0x53, f[offset:offset+n]), sw
	}
	return f[offset : offset+n], sw
}

func (c *card) getChallenge(cmd command) ([]byte, int) {
	if cmd.p1 != 0 || cmd.p2 != 0 {
		return nil, 0x6A86
	}
	if !cmd.hasLe || cmd.le != 8 {
		return nil, swWrongLength
	}
	ch := make([]byte, 8)
	if _, err := io.ReadFull(c.rand, ch); err != nil {
		return nil, 0x6F00
	}
	c.st.challenge = ch
	return ch, swOK
}

// externalAuthenticate is BAC's mutual authentication (Doc 9303 Part 11,
// 9.7.2 and Appendix D.3). A wrong MRZ gives 6300 and uses up the
// challenge; nothing else changes and the card never locks.
func (c *card) externalAuthenticate(cmd command) ([]byte, int) {
	if c.st.sm != nil {
		return nil, swConditions
	}
	if len(cmd.data) != 40 {
		return nil, swWrongLength
	}
	rndIC := c.st.challenge
	c.st.challenge = nil
	if rndIC == nil {
		return nil, swConditions
	}
	kenc := kdf(c.bacSeed, kdfEnc, 0)
	kmac := kdf(c.bacSeed, kdfMac, 0)
	eIFD, mIFD := cmd.data[:32], cmd.data[32:]
	if subtle.ConstantTimeCompare(retailMAC(kmac, pad(eIFD, 8)), mIFD) != 1 {
		return nil, swAuthFailed
	}
	s := cbcDecrypt(des3(kenc), make([]byte, 8), eIFD)
	rndIFD, gotIC, kIFD := s[:8], s[8:16], s[16:32]
	if subtle.ConstantTimeCompare(gotIC, rndIC) != 1 {
		return nil, swAuthFailed
	}
	kIC := make([]byte, 16)
	if _, err := io.ReadFull(c.rand, kIC); err != nil {
		return nil, 0x6F00
	}
	r := append(append(append([]byte(nil), rndIC...), rndIFD...), kIC...)
	eIC := cbcEncrypt(des3(kenc), make([]byte, 8), r)
	out := append(eIC, retailMAC(kmac, pad(eIC, 8))...)
	seed := make([]byte, 16)
	subtle.XORBytes(seed, kIFD, kIC)
	c.st.sm = &smSession{
		kenc: kdf(seed, kdfEnc, 0),
		kmac: kdf(seed, kdfMac, 0),
		ssc:  append(append([]byte(nil), rndIC[4:]...), rndIFD[4:]...),
	}
	// The answer itself goes out unprotected: the session starts after it.
	return out, swOK
}

// internalAuthenticate is Active Authentication (Doc 9303 Part 11, 6.1): the
// card signs the terminal's 8-byte challenge with the key whose public half
// is in DG15.
func (c *card) internalAuthenticate(cmd command) ([]byte, int) {
	if c.aaKey == nil {
		return nil, swINSNotSupported
	}
	if c.st.sm == nil {
		return nil, swSecurityStatus
	}
	if len(cmd.data) != 8 {
		return nil, swWrongData
	}
	switch k := c.aaKey.(type) {
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(cmd.data)
		r, s, err := ecdsa.Sign(c.rand, k, h[:])
		if err != nil {
			return nil, 0x6F00
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		sig := make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
		return sig, swOK
	case *rsa.PrivateKey:
		sig, err := sign9796(c.rand, k, cmd.data)
		if err != nil {
			return nil, 0x6F00
		}
		return sig, swOK
	}
	return nil, swINSNotSupported
}

// sign9796 signs m2 with ISO/IEC 9796-2 digital signature scheme 1 (partial
// message recovery) and SHA-1: F = 6A || M1 || SHA-1(M1 || M2) || BC with a
// random M1, s = F^d mod n.
func sign9796(rnd io.Reader, k *rsa.PrivateKey, m2 []byte) ([]byte, error) {
	size := k.Size()
	m1 := make([]byte, size-2-sha1.Size)
	if _, err := io.ReadFull(rnd, m1); err != nil {
		return nil, err
	}
	h := sha1.Sum(append(append([]byte(nil), m1...), m2...))
	f := append(append(append([]byte{0x6A}, m1...), h[:]...), 0xBC)
	s := new(big.Int).Exp(new(big.Int).SetBytes(f), k.D, k.N)
	return s.FillBytes(make([]byte, size)), nil
}
