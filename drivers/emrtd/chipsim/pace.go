package chipsim

import (
	"bytes"
	"crypto/subtle"
	"io"
	"math/big"
)

// PACE, card side (Doc 9303 Part 11, 4.4 and 9.5): generic mapping, ECDH on
// brainpoolP256r1, AES-128 secure messaging. MSE:Set AT chooses the password
// (MRZ or CAN); four chained GENERAL AUTHENTICATE commands follow: encrypted
// nonce, mapping, key agreement, authentication tokens. A wrong password
// fails at the tokens with 6300 and leaves the card as before.

func (c *card) mseSetAT(cmd command) ([]byte, int) {
	if cmd.p1 != 0xC1 || cmd.p2 != 0xA4 {
		return nil, 0x6A86
	}
	if !c.pace || c.st.sm != nil {
		return nil, swConditions
	}
	c.st.paceStep = 0
	var oid, ref []byte
	rest := cmd.data
	for len(rest) > 0 {
		tag, v, r, ok := nextTLV(rest)
		if !ok {
			return nil, swWrongData
		}
		rest = r
		switch tag {
		case 0x80:
			oid = v
		case 0x83:
			ref = v
		case 0x84:
			if len(v) != 1 || v[0] != paceParameterID {
				return nil, 0x6A80
			}
		}
	}
	if !bytes.Equal(oid, paceOIDBytes) || len(ref) != 1 {
		return nil, swWrongData
	}
	switch ref[0] {
	case 1: // MRZ
		c.st.pacePw = kdf(c.mrzHash, kdfPi, 16)
	case 2: // CAN
		if c.can == "" {
			return nil, 0x6A88
		}
		c.st.pacePw = kdf([]byte(c.can), kdfPi, 16)
	default:
		return nil, 0x6A88
	}
	c.st.paceStep = 1
	return nil, swOK
}

// dynamicAuthData reads the 7C template of a GENERAL AUTHENTICATE.
func dynamicAuthData(b []byte) (map[int][]byte, bool) {
	tag, v, rest, ok := nextTLV(b)
	if !ok || tag != 0x7C || len(rest) != 0 {
		return nil, false
	}
	out := map[int][]byte{}
	for len(v) > 0 {
		t, w, r, ok := nextTLV(v)
		if !ok {
			return nil, false
		}
		out[t] = w
		v = r
	}
	return out, true
}

func (c *card) generalAuthenticate(cmd command) ([]byte, int) {
	step := c.st.paceStep
	if step == 0 || c.st.sm != nil {
		return nil, swConditions
	}
	data, sw := c.paceStep(step, cmd)
	if sw != swOK {
		c.st.paceStep = 0 // start again from MSE:Set AT
	}
	return data, sw
}

func (c *card) paceStep(step int, cmd command) ([]byte, int) {
	in, ok := dynamicAuthData(cmd.data)
	if !ok {
		return nil, swWrongData
	}
	ec := brainpoolP256r1
	switch step {
	case 1: // encrypted nonce
		s := make([]byte, 16)
		if _, err := io.ReadFull(c.rand, s); err != nil {
			return nil, 0x6F00
		}
		c.st.paceNonce = new(big.Int).SetBytes(s)
		z := cbcEncrypt(newAES(c.st.pacePw), make([]byte, 16), s)
		c.st.paceStep = 2
		return tlv(nil, 0x7C, tlv(nil, 0x80, z)), swOK
	case 2: // mapping: G~ = s·G + SK_map·PK_map,IFD
		pk, ok := ec.decode(in[0x81])
		if !ok {
			return nil, swWrongData
		}
		sk, err := ec.scalar(c.rand)
		if err != nil {
			return nil, 0x6F00
		}
		h := ec.mul(pk, sk)
		c.st.paceGen = ec.add(ec.mul(ec.g(), c.st.paceNonce), h)
		if c.st.paceGen.x == nil {
			return nil, swWrongData
		}
		c.st.paceStep = 3
		return tlv(nil, 0x7C, tlv(nil, 0x82, ec.encode(ec.mul(ec.g(), sk)))), swOK
	case 3: // key agreement on the mapped generator
		pk, ok := ec.decode(in[0x83])
		if !ok {
			return nil, swWrongData
		}
		sk, err := ec.scalar(c.rand)
		if err != nil {
			return nil, 0x6F00
		}
		own := ec.encode(ec.mul(c.st.paceGen, sk))
		if bytes.Equal(own, in[0x83]) {
			return nil, swWrongData
		}
		k := ec.mul(pk, sk)
		if k.x == nil {
			return nil, swWrongData
		}
		x := k.x.FillBytes(make([]byte, ec.size))
		c.st.paceKeys = [2][]byte{kdf(x, kdfEnc, 16), kdf(x, kdfMac, 16)}
		c.st.pacePK, c.st.paceIFDPK = own, append([]byte(nil), in[0x83]...)
		c.st.paceStep = 4
		return tlv(nil, 0x7C, tlv(nil, 0x84, own)), swOK
	case 4: // authentication tokens
		if cmd.cla&0x10 != 0 {
			return nil, swConditions
		}
		kmac := c.st.paceKeys[1]
		want := cmac(kmac, publicKeyObject(c.st.pacePK))
		if subtle.ConstantTimeCompare(want, in[0x85]) != 1 {
			return nil, swAuthFailed
		}
		tic := cmac(kmac, publicKeyObject(c.st.paceIFDPK))
		c.st.sm = &smSession{aes: true, kenc: c.st.paceKeys[0], kmac: kmac, ssc: make([]byte, 16)}
		c.st.paceStep = 0
		return tlv(nil, 0x7C, tlv(nil, 0x86, tic)), swOK
	}
	return nil, swConditions
}

// publicKeyObject is the public key data object the tokens are computed
// over: 7F49 { 06 OID, 86 point }.
func publicKeyObject(pk []byte) []byte {
	return tlv(nil, 0x7F49, tlv(tlv(nil, 0x06, paceOIDBytes), 0x86, pk))
}
