package chipsim

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"math/big"
	"testing"
)

// A minimal terminal side, only to drive the card in-process: PACE and
// secure messaging wrapping as Doc 9303 Part 11 describes them. The reader
// the product uses is drivers/emrtd; the end-to-end tests use it.

type terminal struct {
	t  *testing.T
	c  *card               // the card in process, or nil
	tx func([]byte) []byte // else how APDUs reach it
	sm *smSession
}

func (tm *terminal) raw(apdu []byte) ([]byte, int) {
	tm.t.Helper()
	var r []byte
	if tm.c != nil {
		r = tm.c.transmit(apdu)
	} else {
		r = tm.tx(apdu)
	}
	if len(r) < 2 {
		tm.t.Fatalf("answer %X", r)
	}
	return r[:len(r)-2], int(r[len(r)-2])<<8 | int(r[len(r)-1])
}

// send protects a plain command (data, Le as given; le 0 for none) and
// checks and decrypts the answer.
func (tm *terminal) send(cla, ins, p1, p2 byte, data []byte, le int) ([]byte, int) {
	tm.t.Helper()
	s := tm.sm
	s.incSSC()
	var dos []byte
	if len(data) > 0 {
		e := cbcEncrypt(s.block(), s.iv(), pad(data, s.size()))
		dos = tlv(dos, 0x87, append([]byte{1}, e...))
	}
	ext := le > 256
	if le > 0 {
		if ext {
			dos = tlv(dos, 0x97, []byte{byte(le >> 8), byte(le)})
		} else {
			dos = tlv(dos, 0x97, []byte{byte(le)})
		}
	}
	hdr := []byte{cla | 0x0C, ins, p1, p2}
	mac := s.mac(append(pad(hdr, s.size()), dos...))
	dos = tlv(dos, 0x8E, mac)
	apdu := append([]byte(nil), hdr...)
	if ext {
		apdu = append(apdu, 0, byte(len(dos)>>8), byte(len(dos)))
		apdu = append(append(apdu, dos...), 0, 0)
	} else {
		apdu = append(append(append(apdu, byte(len(dos))), dos...), 0)
	}
	r, sw := tm.raw(apdu)
	if sw == swSMIncorrect || sw == swSMMissing {
		return nil, sw
	}
	s.incSSC()
	var macIn, enc, gotMAC []byte
	rest := r
	for len(rest) > 0 {
		tag, v, next, ok := nextTLV(rest)
		if !ok {
			tm.t.Fatalf("answer %X", r)
		}
		if tag != 0x8E {
			macIn = append(macIn, rest[:len(rest)-len(next)]...)
		}
		switch tag {
		case 0x87:
			enc = v[1:]
		case 0x8E:
			gotMAC = v
		}
		rest = next
	}
	if subtle.ConstantTimeCompare(s.mac(macIn), gotMAC) != 1 {
		tm.t.Fatalf("answer MAC wrong: %X", r)
	}
	if enc == nil {
		return nil, sw
	}
	d, ok := unpad(cbcDecrypt(s.block(), s.iv(), enc))
	if !ok {
		tm.t.Fatal("answer padding")
	}
	return d, sw
}

// pace runs PACE with a password (1 MRZ, 2 CAN) and returns the status word
// of the last step.
func (tm *terminal) pace(ref byte, secret []byte) int {
	tm.t.Helper()
	ec := brainpoolP256r1
	mse := tlv(tlv(nil, 0x80, paceOIDBytes), 0x83, []byte{ref})
	if _, sw := tm.raw(append([]byte{0x00, 0x22, 0xC1, 0xA4, byte(len(mse))}, mse...)); sw != swOK {
		return sw
	}
	ga := func(cla byte, inner []byte) (map[int][]byte, int) {
		d := tlv(nil, 0x7C, inner)
		r, sw := tm.raw(append(append([]byte{cla, 0x86, 0, 0, byte(len(d))}, d...), 0))
		if sw != swOK {
			return nil, sw
		}
		m, ok := dynamicAuthData(r)
		if !ok {
			tm.t.Fatalf("GA answer %X", r)
		}
		return m, sw
	}
	kpi := kdf(secret, kdfPi, 16)
	m, sw := ga(0x10, nil)
	if sw != swOK {
		return sw
	}
	s := new(big.Int).SetBytes(cbcDecrypt(newAES(kpi), make([]byte, 16), m[0x80]))
	skMap, _ := ec.scalar(rand.Reader)
	m, sw = ga(0x10, tlv(nil, 0x81, ec.encode(ec.mul(ec.g(), skMap))))
	if sw != swOK {
		return sw
	}
	pkMapIC, ok := ec.decode(m[0x82])
	if !ok {
		tm.t.Fatal("mapping key off the curve")
	}
	gen := ec.add(ec.mul(ec.g(), s), ec.mul(pkMapIC, skMap))
	sk, _ := ec.scalar(rand.Reader)
	pk := ec.encode(ec.mul(gen, sk))
	m, sw = ga(0x10, tlv(nil, 0x83, pk))
	if sw != swOK {
		return sw
	}
	pkIC, ok := ec.decode(m[0x84])
	if !ok {
		tm.t.Fatal("card key off the curve")
	}
	x := ec.mul(pkIC, sk).x.FillBytes(make([]byte, 32))
	kenc, kmac := kdf(x, kdfEnc, 16), kdf(x, kdfMac, 16)
	m, sw = ga(0x00, tlv(nil, 0x85, cmac(kmac, publicKeyObject(m[0x84]))))
	if sw != swOK {
		return sw
	}
	if !bytes.Equal(m[0x86], cmac(kmac, publicKeyObject(pk))) {
		tm.t.Fatal("card token wrong")
	}
	tm.sm = &smSession{aes: true, kenc: kenc, kmac: kmac, ssc: make([]byte, 16)}
	return swOK
}
