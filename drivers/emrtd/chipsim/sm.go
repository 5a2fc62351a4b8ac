package chipsim

import (
	"crypto/cipher"
	"crypto/subtle"
)

// smSession is the card side of secure messaging (Doc 9303 Part 11, 9.8):
// 3DES with the retail MAC after BAC, AES with CMAC after PACE; the send
// sequence counter is incremented before every command and every answer.
type smSession struct {
	aes        bool
	kenc, kmac []byte
	ssc        []byte // 8 bytes (3DES) or 16 (AES)
}

func (s *smSession) block() cipher.Block {
	if s.aes {
		return newAES(s.kenc)
	}
	return des3(s.kenc)
}

func (s *smSession) size() int {
	if s.aes {
		return 16
	}
	return 8
}

func (s *smSession) incSSC() {
	for i := len(s.ssc) - 1; i >= 0; i-- {
		s.ssc[i]++
		if s.ssc[i] != 0 {
			return
		}
	}
}

// mac computes the 8-byte MAC over SSC || data, padded.
func (s *smSession) mac(data []byte) []byte {
	in := pad(append(append([]byte(nil), s.ssc...), data...), s.size())
	if s.aes {
		return cmac(s.kmac, in)
	}
	return retailMAC(s.kmac, in)
}

func (s *smSession) iv() []byte {
	if !s.aes {
		return make([]byte, 8)
	}
	iv := make([]byte, 16)
	newAES(s.kenc).Encrypt(iv, s.ssc)
	return iv
}

// unwrap checks and decrypts a protected command. It returns the plain
// command, or ok false when the command is not protected or its MAC or data
// objects are wrong (the caller answers 6988 and ends the session).
func (s *smSession) unwrap(c command) (command, bool) {
	if c.cla&0x0C != 0x0C {
		return command{}, false
	}
	s.incSSC()
	plain := command{cla: c.cla &^ 0x0C, ins: c.ins, p1: c.p1, p2: c.p2, extended: c.extended}
	var macInput, enc, mac []byte
	odd := false
	rest := c.data
	for len(rest) > 0 {
		tag, v, r, ok := nextTLV(rest)
		if !ok {
			return command{}, false
		}
		raw := rest[:len(rest)-len(r)]
		rest = r
		switch tag {
		case 0x87:
			if len(v) < 1+s.size() || v[0] != 1 {
				return command{}, false
			}
			enc = v[1:]
			macInput = append(macInput, raw...)
		case 0x85:
			odd = true
			enc = v
			macInput = append(macInput, raw...)
		case 0x97:
			switch len(v) {
			case 1:
				plain.le = shortLe(v[0])
			case 2:
				plain.le = extLe(v)
			default:
				return command{}, false
			}
			plain.hasLe = true
			macInput = append(macInput, raw...)
		case 0x8E:
			mac = v
			if len(rest) != 0 {
				return command{}, false
			}
		default:
			return command{}, false
		}
	}
	if len(mac) != 8 {
		return command{}, false
	}
	header := pad([]byte{c.cla, c.ins, c.p1, c.p2}, s.size())
	want := s.mac(append(header, macInput...))
	if subtle.ConstantTimeCompare(want, mac) != 1 {
		return command{}, false
	}
	if enc != nil {
		if len(enc)%s.size() != 0 || len(enc) == 0 {
			return command{}, false
		}
		d, ok := unpad(cbcDecrypt(s.block(), s.iv(), enc))
		if !ok {
			return command{}, false
		}
		plain.data = d
	}
	_ = odd
	return plain, true
}

// wrap protects an answer: data in DO'87 (DO'85 for an odd INS), the status
// word in DO'99, the MAC in DO'8E; the outer status word repeats the inner.
func (s *smSession) wrap(ins byte, data []byte, sw int) []byte {
	s.incSSC()
	var out []byte
	if len(data) > 0 {
		e := cbcEncrypt(s.block(), s.iv(), pad(data, s.size()))
		if ins&1 == 1 {
			out = tlv(out, 0x85, e)
		} else {
			out = tlv(out, 0x87, append([]byte{1}, e...))
		}
	}
	out = tlv(out, 0x99, []byte{byte(sw >> 8), byte(sw)})
	out = tlv(out, 0x8E, s.mac(out))
	return withSW(out, sw)
}
