package emrtd

import (
	"crypto/cipher"
	"crypto/subtle"
	"fmt"
)

// SM is the state of one secure-messaging channel (Doc 9303 Part 11 §9.8):
// the session keys and the send sequence counter (SSC), which both sides
// increment before every command and every answer. The reader uses
// WrapCommand and UnwrapResponse (Session does it for every APDU); a chip
// simulator uses UnwrapCommand and WrapResponse. Not safe for concurrent use.
type SM struct {
	cipher  string
	enc     cipher.Block
	mac     *macer
	ssc     []byte
	lastINS byte // the INS of the last command unwrapped (card side): odd INS answers in DO85
}

// NewSM starts secure messaging with the session keys KS_enc and KS_mac of
// the cipher ("3DES": 16-byte keys, 8-byte SSC; "AES-128/192/256": 16-byte
// SSC) and the SSC's starting value (BAC: RND.IC[4:8] || RND.IFD[4:8];
// PACE: zero).
func NewSM(cipherName string, kEnc, kMac, ssc []byte) (*SM, error) {
	bs := blockSize(cipherName)
	if bs == 0 {
		return nil, fmt.Errorf("emrtd: unknown cipher %q", cipherName)
	}
	if len(ssc) != bs {
		return nil, fmt.Errorf("emrtd: SSC of %d bytes for %s", len(ssc), cipherName)
	}
	enc, err := newBlock(cipherName, kEnc)
	if err != nil {
		return nil, err
	}
	m, err := newMACer(cipherName, kMac)
	if err != nil {
		return nil, err
	}
	return &SM{cipher: cipherName, enc: enc, mac: m, ssc: append([]byte(nil), ssc...)}, nil
}

// Cipher is the cipher's name ("3DES", "AES-128", …).
func (s *SM) Cipher() string { return s.cipher }

// SSC is a copy of the send sequence counter as it is now.
func (s *SM) SSC() []byte { return append([]byte(nil), s.ssc...) }

func (s *SM) increment() {
	for i := len(s.ssc) - 1; i >= 0; i-- {
		s.ssc[i]++
		if s.ssc[i] != 0 {
			return
		}
	}
}

// iv is the CBC IV of the current message: zeros for 3DES, E(KS_enc, SSC) for AES.
func (s *SM) iv() []byte {
	iv := make([]byte, len(s.ssc))
	if s.cipher != Cipher3DES {
		s.enc.Encrypt(iv, s.ssc)
	}
	return iv
}

func (s *SM) bs() int { return len(s.ssc) }

func (s *SM) encrypt(plain []byte) []byte {
	out, _ := cbcBlock(s.enc, s.iv(), pad(plain, s.bs()), true)
	return out
}

func (s *SM) decrypt(ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%s.bs() != 0 {
		return nil, fmt.Errorf("%w: encrypted data of %d bytes", ErrSecureMessaging, len(ct))
	}
	p, err := cbcBlock(s.enc, s.iv(), ct, false)
	if err != nil {
		return nil, err
	}
	p, err = unpad(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecureMessaging, err)
	}
	return p, nil
}

// checksum is the MAC over SSC || msg (msg padded here).
func (s *SM) checksum(msg []byte) []byte {
	n := make([]byte, 0, len(s.ssc)+len(msg)+s.bs())
	n = append(append(n, s.ssc...), msg...)
	return s.mac.mac(pad(n, s.bs()))
}

// dataObject is DO87 (padding indicator 01 and cryptogram) for even INS, or
// DO85 (cryptogram alone) for odd INS, whose data are BER-TLV.
func (s *SM) dataObject(ins byte, plain []byte) []byte {
	ct := s.encrypt(plain)
	if ins&1 == 1 {
		return appendTLV(nil, 0x85, ct)
	}
	return appendTLV(nil, 0x87, append([]byte{0x01}, ct...))
}

// WrapCommand protects a plain command APDU: CLA with bits 0x0C, data
// encrypted in DO87 (DO85 for odd INS), Le in DO97, the MAC in DO8E, Le 00
// (0000 when extended). The SSC is incremented first.
func (s *SM) WrapCommand(apdu []byte) ([]byte, error) {
	c, err := parseCommand(apdu)
	if err != nil {
		return nil, err
	}
	s.increment()
	head := []byte{c.cla | 0x0C, c.ins, c.p1, c.p2}
	var dos []byte
	if len(c.data) > 0 {
		dos = s.dataObject(c.ins, c.data)
	}
	if c.le >= 0 {
		if c.extended() {
			dos = append(dos, 0x97, 0x02, byte(c.le>>8), byte(c.le))
		} else {
			dos = append(dos, 0x97, 0x01, byte(c.le))
		}
	}
	mac := s.checksum(append(pad(head, s.bs()), dos...))
	dos = append(dos, 0x8E, 0x08)
	dos = append(dos, mac...)
	p := command{cla: head[0], ins: c.ins, p1: c.p1, p2: c.p2, data: dos, le: 256, ext: c.extended()}
	if p.extended() {
		p.le = 65536
	}
	return p.bytes(), nil
}

// UnwrapResponse checks and opens a protected answer (DO87/DO85, DO99, DO8E
// and the SW) and returns the plain answer: data then the status word of
// DO99. The SSC is incremented first. A MAC that fails, a missing MAC on a
// successful answer, or a malformed object is ErrSecureMessaging; a bare
// error status without data (the chip may answer so, ISO 7816-4 §10.2) is
// returned as it is, except 6987/6988 (the chip found our SM wrong), which is
// ErrSecureMessaging too.
func (s *SM) UnwrapResponse(rapdu []byte) ([]byte, error) {
	body, sw, err := status(rapdu)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecureMessaging, err)
	}
	s.increment()
	if len(body) == 0 {
		switch {
		case sw == 0x6987 || sw == 0x6988:
			return nil, fmt.Errorf("%w: the chip answered %04X (SM data objects missing or wrong)", ErrSecureMessaging, sw)
		case sw == 0x9000 || sw>>8 == 0x61 || sw>>8 == 0x62 || sw>>8 == 0x63:
			return nil, fmt.Errorf("%w: answer %04X without MAC", ErrSecureMessaging, sw)
		}
		return []byte{byte(sw >> 8), byte(sw)}, nil
	}
	var (
		data, sw99, mac []byte
		covered         []byte
		dataTag         int
	)
	for rest := body; len(rest) > 0; {
		o, r, err := nextTLV(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSecureMessaging, err)
		}
		rest = r
		if mac != nil {
			return nil, fmt.Errorf("%w: data after the MAC", ErrSecureMessaging)
		}
		switch o.tag {
		case 0x87, 0x85:
			if dataTag != 0 || sw99 != nil {
				return nil, fmt.Errorf("%w: data object out of order", ErrSecureMessaging)
			}
			dataTag, data = o.tag, o.value
		case 0x99:
			if sw99 != nil || len(o.value) != 2 {
				return nil, fmt.Errorf("%w: bad DO99", ErrSecureMessaging)
			}
			sw99 = o.value
		case 0x8E:
			if len(o.value) != 8 {
				return nil, fmt.Errorf("%w: MAC of %d bytes", ErrSecureMessaging, len(o.value))
			}
			mac = o.value
			continue
		default:
			return nil, fmt.Errorf("%w: unexpected data object %X", ErrSecureMessaging, o.tag)
		}
		covered = append(covered, o.raw...)
	}
	if mac == nil {
		return nil, fmt.Errorf("%w: answer without MAC", ErrSecureMessaging)
	}
	if subtle.ConstantTimeCompare(s.checksum(covered), mac) != 1 {
		return nil, fmt.Errorf("%w: the answer's MAC does not verify", ErrSecureMessaging)
	}
	var plain []byte
	switch dataTag {
	case 0x87:
		if len(data) < 1 || data[0] != 0x01 {
			return nil, fmt.Errorf("%w: DO87 without padding indicator 01", ErrSecureMessaging)
		}
		if plain, err = s.decrypt(data[1:]); err != nil {
			return nil, err
		}
	case 0x85:
		if plain, err = s.decrypt(data); err != nil {
			return nil, err
		}
	}
	if sw99 == nil {
		return append(plain, byte(sw>>8), byte(sw)), nil
	}
	return append(plain, sw99...), nil
}

// UnwrapCommand is the card side of WrapCommand: it checks the MAC of a
// protected command and returns the plain command APDU. The SSC is
// incremented first. Errors wrap ErrSecureMessaging (a chip answers them with
// 6988).
func (s *SM) UnwrapCommand(apdu []byte) ([]byte, error) {
	c, err := parseCommand(apdu)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSecureMessaging, err)
	}
	s.increment()
	s.lastINS = c.ins
	if c.cla&0x0C != 0x0C {
		return nil, fmt.Errorf("%w: command not protected", ErrSecureMessaging)
	}
	var (
		data, le, mac []byte
		covered       []byte
		dataTag       int
		hasLe         bool
	)
	for rest := c.data; len(rest) > 0; {
		o, r, err := nextTLV(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSecureMessaging, err)
		}
		rest = r
		if mac != nil {
			return nil, fmt.Errorf("%w: data after the MAC", ErrSecureMessaging)
		}
		switch o.tag {
		case 0x87, 0x85:
			if dataTag != 0 || hasLe {
				return nil, fmt.Errorf("%w: data object out of order", ErrSecureMessaging)
			}
			dataTag, data = o.tag, o.value
		case 0x97:
			if hasLe || len(o.value) > 2 {
				return nil, fmt.Errorf("%w: bad DO97", ErrSecureMessaging)
			}
			hasLe, le = true, o.value
		case 0x8E:
			if len(o.value) != 8 {
				return nil, fmt.Errorf("%w: MAC of %d bytes", ErrSecureMessaging, len(o.value))
			}
			mac = o.value
			continue
		default:
			return nil, fmt.Errorf("%w: unexpected data object %X", ErrSecureMessaging, o.tag)
		}
		covered = append(covered, o.raw...)
	}
	if mac == nil {
		return nil, fmt.Errorf("%w: command without MAC", ErrSecureMessaging)
	}
	head := pad([]byte{c.cla, c.ins, c.p1, c.p2}, s.bs())
	if subtle.ConstantTimeCompare(s.checksum(append(head, covered...)), mac) != 1 {
		return nil, fmt.Errorf("%w: the command's MAC does not verify", ErrSecureMessaging)
	}
	plain := command{cla: c.cla &^ 0x0C, ins: c.ins, p1: c.p1, p2: c.p2, le: -1, ext: c.ext}
	switch dataTag {
	case 0x87:
		if len(data) < 1 || data[0] != 0x01 {
			return nil, fmt.Errorf("%w: DO87 without padding indicator 01", ErrSecureMessaging)
		}
		if plain.data, err = s.decrypt(data[1:]); err != nil {
			return nil, err
		}
	case 0x85:
		if plain.data, err = s.decrypt(data); err != nil {
			return nil, err
		}
	}
	if hasLe {
		switch len(le) {
		case 0:
			plain.le = 256
		case 1:
			plain.le = shortLe(le[0])
		case 2:
			plain.le = extLe(le[0], le[1])
			plain.ext = true
		}
	}
	return plain.bytes(), nil
}

// WrapResponse is the card side of UnwrapResponse: it protects a plain answer
// (data then SW) to the command UnwrapCommand opened last: DO87 (DO85 for an
// odd INS) when there are data, DO99, DO8E, and SW. The SSC is incremented
// first.
func (s *SM) WrapResponse(rapdu []byte) ([]byte, error) {
	data, sw, err := status(rapdu)
	if err != nil {
		return nil, err
	}
	s.increment()
	var dos []byte
	if len(data) > 0 {
		dos = s.dataObject(s.lastINS, data)
	}
	dos = append(dos, 0x99, 0x02, byte(sw>>8), byte(sw))
	mac := s.checksum(dos)
	dos = append(dos, 0x8E, 0x08)
	dos = append(dos, mac...)
	return append(dos, byte(sw>>8), byte(sw)), nil
}

// Session is a secure-messaging channel over a Transmitter, opened by BAC or
// PACE: every command is wrapped and every answer unwrapped and checked.
type Session struct {
	t      Transmitter
	sm     *SM
	access string
}

// NewSession runs secure messaging with sm over t.
func NewSession(t Transmitter, sm *SM, access string) *Session {
	return &Session{t: t, sm: sm, access: access}
}

// Access is how the session was opened: "BAC" or "PACE".
func (s *Session) Access() string { return s.access }

// Cipher is the session's cipher ("3DES", "AES-128", …).
func (s *Session) Cipher() string { return s.sm.cipher }

// Transmit wraps apdu, sends it and returns the checked plain answer (data
// then SW). ErrSecureMessaging when the answer's MAC fails or it is malformed.
func (s *Session) Transmit(apdu []byte) ([]byte, error) {
	p, err := s.sm.WrapCommand(apdu)
	if err != nil {
		return nil, err
	}
	r, err := exchange(s.t, p)
	if err != nil {
		return nil, err
	}
	return s.sm.UnwrapResponse(r)
}
