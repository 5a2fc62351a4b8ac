package emrtd

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"math/big"
	"testing"

	"xephang/drivers/emrtd/lds"
)

// testCard is a tiny eMRTD chip for the flows: the MF with EF.CardAccess,
// the eMRTD application with its files, BAC, PACE (ECDH generic mapping),
// secure messaging, READ BINARY (B0 short and extended, B1), INTERNAL
// AUTHENTICATE. It answers with this package's card-side SM code; the
// byte-exact behaviour of both sides is pinned by the worked examples.
type testCard struct {
	t          testing.TB
	mrz        MRZInfo
	can        string
	cardAccess []byte            // nil: no EF.CardAccess, BAC only
	pace       lds.PACEInfo      // the variant the chip runs
	files      map[uint16][]byte // files of the application
	aaKey      crypto.Signer     // *rsa.PrivateKey or *ecdsa.PrivateKey; nil: no AA
	aaBad      bool              // sign something else (a copied chip)
	noExtended bool              // refuse extended READ BINARY with 6700
	maxLe      int               // the most one READ BINARY gives (0: as asked)
	sfiOnly    bool              // EF.CardAccess by its short EF identifier only, not by SELECT

	app      bool   // application selected
	cur      []byte // selected file
	curOK    bool
	sm       *SM
	rndIC    []byte
	paceKPI  []byte
	paceS    *big.Int
	paceStep int
	group    paceGroup
	pkIC     []byte
	pkIFD    []byte
	shared   []byte
	tamper   func(r []byte) []byte // change the answers on the wire
	removeAt int                   // fail the n-th APDU as a removed card (0: never)
	n        int
	ins      map[byte]int // plain commands seen, by INS
}

var errRemovedCard = errors.New("test card removed")

func (c *testCard) Transmit(apdu []byte) ([]byte, error) {
	c.n++
	if c.removeAt != 0 && c.n >= c.removeAt {
		return nil, errRemovedCard
	}
	r := c.answer(apdu)
	if c.tamper != nil {
		r = c.tamper(r)
	}
	return r, nil
}

func sw(v uint16, data ...[]byte) []byte {
	var out []byte
	for _, d := range data {
		out = append(out, d...)
	}
	return append(out, byte(v>>8), byte(v))
}

func (c *testCard) answer(apdu []byte) []byte {
	if len(apdu) >= 1 && apdu[0]&0x0C == 0x0C {
		if c.sm == nil {
			return sw(0x6988)
		}
		plain, err := c.sm.UnwrapCommand(apdu)
		if err != nil {
			c.sm = nil
			return sw(0x6988)
		}
		r := c.plain(plain, true)
		if c.sm == nil {
			return r
		}
		w, err := c.sm.WrapResponse(r)
		if err != nil {
			c.t.Fatal(err)
		}
		return w
	}
	return c.plain(apdu, false)
}

func (c *testCard) plain(apdu []byte, secure bool) []byte {
	cmd, err := parseCommand(apdu)
	if err != nil {
		return sw(0x6700)
	}
	if c.ins == nil {
		c.ins = map[byte]int{}
	}
	c.ins[cmd.ins]++
	if !secure && c.sm != nil && cmd.ins != 0xA4 {
		c.sm = nil // a plain command ends secure messaging
	}
	switch cmd.ins {
	case 0xA4:
		return c.selectFile(cmd, secure)
	case 0xB0, 0xB1:
		return c.readBinary(cmd)
	case 0x84:
		c.rndIC = make([]byte, 8)
		rand.Read(c.rndIC)
		return sw(0x9000, c.rndIC)
	case 0x82:
		return c.externalAuthenticate(cmd)
	case 0x22:
		return c.mseSetAT(cmd)
	case 0x86:
		return c.generalAuthenticate(cmd)
	case 0x88:
		if !secure {
			return sw(0x6982)
		}
		return c.internalAuthenticate(cmd)
	}
	return sw(0x6D00)
}

func (c *testCard) selectFile(cmd command, secure bool) []byte {
	switch {
	case cmd.p1 == 0x04 && bytes.Equal(cmd.data, aidEMRTD):
		c.app, c.curOK = true, false
		return sw(0x9000)
	case cmd.p1 == 0x02 && len(cmd.data) == 2:
		fid := uint16(cmd.data[0])<<8 | uint16(cmd.data[1])
		if !c.app {
			if fid == FIDCardAccess && c.cardAccess != nil && !c.sfiOnly {
				c.cur, c.curOK = c.cardAccess, true
				return sw(0x9000)
			}
			return sw(0x6A82)
		}
		if !secure {
			return sw(0x6982)
		}
		f, ok := c.files[fid]
		if !ok {
			return sw(0x6A82)
		}
		c.cur, c.curOK = f, true
		return sw(0x9000)
	}
	return sw(0x6A82)
}

func (c *testCard) readBinary(cmd command) []byte {
	if !c.curOK && !(cmd.ins == 0xB0 && cmd.p1&0x80 != 0) {
		return sw(0x6986)
	}
	if cmd.extended() && c.noExtended {
		return sw(0x6700)
	}
	offset, le := int(cmd.p1&0x7F)<<8|int(cmd.p2), cmd.le
	if cmd.ins == 0xB0 && cmd.p1&0x80 != 0 { // short EF identifier in P1, offset in P2
		if cmd.p1&0x1F != 0x1C || c.app || c.cardAccess == nil {
			return sw(0x6A82)
		}
		c.cur, c.curOK, offset = c.cardAccess, true, int(cmd.p2)
	}
	if cmd.ins == 0xB1 {
		o, _, err := nextTLV(cmd.data)
		if err != nil || o.tag != 0x54 {
			return sw(0x6A80)
		}
		offset = int(new(big.Int).SetBytes(o.value).Int64())
		le -= 4
	}
	if c.maxLe > 0 && le > c.maxLe {
		le = c.maxLe
	}
	if offset > len(c.cur) {
		return sw(0x6B00)
	}
	end, status := offset+le, uint16(0x9000)
	if end > len(c.cur) {
		end, status = len(c.cur), 0x6282
	}
	data := c.cur[offset:end]
	if cmd.ins == 0xB1 {
		data = appendTLV(nil, 0x53, data)
	}
	return sw(status, data)
}

func (c *testCard) externalAuthenticate(cmd command) []byte {
	seed := c.mrz.KeySeed()
	kEnc, kMac := DeriveKey(seed, 1, Cipher3DES), DeriveKey(seed, 2, Cipher3DES)
	if c.rndIC == nil || len(cmd.data) != 40 || !bytes.Equal(MAC(Cipher3DES, kMac, cmd.data[:32]), cmd.data[32:]) {
		c.rndIC = nil
		return sw(0x6300)
	}
	s, _ := Decrypt(Cipher3DES, kEnc, nil, cmd.data[:32])
	if !bytes.Equal(s[8:16], c.rndIC) {
		return sw(0x6300)
	}
	kIC := make([]byte, 16)
	rand.Read(kIC)
	r := append(append(append([]byte(nil), c.rndIC...), s[:8]...), kIC...)
	e, _ := Encrypt(Cipher3DES, kEnc, nil, r)
	seedS := make([]byte, 16)
	for i := range seedS {
		seedS[i] = s[16+i] ^ kIC[i]
	}
	ssc := append(append([]byte(nil), c.rndIC[4:]...), s[4:8]...)
	c.sm, _ = NewSM(Cipher3DES, DeriveKey(seedS, 1, Cipher3DES), DeriveKey(seedS, 2, Cipher3DES), ssc)
	c.rndIC = nil
	return sw(0x9000, e, MAC(Cipher3DES, kMac, e))
}

func (c *testCard) mseSetAT(cmd command) []byte {
	var ref byte
	for rest := cmd.data; len(rest) > 0; {
		o, r, err := nextTLV(rest)
		if err != nil {
			return sw(0x6A80)
		}
		rest = r
		if o.tag == 0x83 && len(o.value) == 1 {
			ref = o.value[0]
		}
	}
	cn := paceCiphers[c.pace.OID]
	switch ref {
	case 1:
		c.paceKPI = DeriveKey(c.mrz.paceSecret(), 3, cn)
	case 2:
		c.paceKPI = DeriveKey([]byte(c.can), 3, cn)
	default:
		return sw(0x6A80)
	}
	c.paceStep = 1
	return sw(0x9000)
}

func (c *testCard) generalAuthenticate(cmd command) []byte {
	cn := paceCiphers[c.pace.OID]
	o, _, err := nextTLV(cmd.data)
	if err != nil || o.tag != 0x7C {
		return sw(0x6A80)
	}
	var in tlv
	if len(o.value) > 0 {
		in, _, _ = nextTLV(o.value)
	}
	ga := func(tag int, v []byte) []byte { return sw(0x9000, appendTLV(nil, 0x7C, appendTLV(nil, tag, v))) }
	switch c.paceStep {
	case 1:
		_, c.group, _ = paceGroupOf(c.pace)
		s := make([]byte, 16)
		rand.Read(s)
		c.paceS = new(big.Int).SetBytes(s)
		z, _ := Encrypt(cn, c.paceKPI, nil, s)
		c.paceStep = 2
		return ga(0x80, z)
	case 2:
		if in.tag != 0x81 {
			return sw(0x6A80)
		}
		sk, pk, _ := c.group.keyPair(rand.Reader)
		if err := c.group.mapGenerator(c.paceS, sk, in.value); err != nil {
			return sw(0x6A80)
		}
		c.paceStep = 3
		return ga(0x82, pk)
	case 3:
		if in.tag != 0x83 {
			return sw(0x6A80)
		}
		sk, pk, _ := c.group.keyPair(rand.Reader)
		shared, err := c.group.agree(sk, in.value)
		if err != nil {
			return sw(0x6A80)
		}
		c.pkIC, c.pkIFD, c.shared = pk, in.value, shared
		c.paceStep = 4
		return ga(0x84, c.pkIC)
	case 4:
		c.paceStep = 0
		ksMac := DeriveKey(c.shared, 2, cn)
		tag := c.group.publicTag()
		if in.tag != 0x85 || !bytes.Equal(in.value, authToken(cn, ksMac, c.pace.OID, tag, c.pkIC)) {
			return sw(0x6300)
		}
		c.sm, _ = NewSM(cn, DeriveKey(c.shared, 1, cn), ksMac, make([]byte, blockSize(cn)))
		return ga(0x86, authToken(cn, ksMac, c.pace.OID, tag, c.pkIFD))
	}
	return sw(0x6985)
}

func (c *testCard) internalAuthenticate(cmd command) []byte {
	if c.aaKey == nil {
		return sw(0x6D00)
	}
	m2 := cmd.data
	if c.aaBad {
		m2 = []byte("not the challenge")
	}
	switch k := c.aaKey.(type) {
	case *rsa.PrivateKey:
		size := (k.N.BitLen() + 7) / 8
		m1 := make([]byte, size-2-sha1.Size)
		rand.Read(m1)
		h := sha1.Sum(append(append([]byte(nil), m1...), m2...))
		f := append(append(append([]byte{0x6A}, m1...), h[:]...), 0xBC)
		s := new(big.Int).Exp(new(big.Int).SetBytes(f), k.D, k.N)
		if alt := new(big.Int).Sub(k.N, s); alt.Cmp(s) < 0 { // ISO/IEC 9796-2: min(s, n−s)
			s = alt
		}
		return sw(0x9000, s.FillBytes(make([]byte, size)))
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(m2)
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			c.t.Fatal(err)
		}
		size := (k.Params().N.BitLen() + 7) / 8
		return sw(0x9000, r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size)))
	}
	return sw(0x6D00)
}

var holderMRZ = MRZInfo{DocumentNumber: "C03005988", BirthDate: "900102", ExpiryDate: "300102"}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// randReader is crypto/rand for places that take an io.Reader.
type randReader struct{}

func (randReader) Read(b []byte) (int, error) { return rand.Read(b) }

// file makes an LDS file of tag with n bytes of content.
func file(tag byte, n int) []byte {
	body := make([]byte, n)
	for i := range body {
		body[i] = byte(i * 7)
	}
	return appendTLV(nil, int(tag), body)
}
