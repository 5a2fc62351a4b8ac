package chipsim

import "encoding/binary"

// Status words the card answers with (ISO/IEC 7816-4).
const (
	swOK               = 0x9000
	swAuthFailed       = 0x6300 // EXTERNAL AUTHENTICATE / PACE token wrong
	swWrongLength      = 0x6700
	swSecurityStatus   = 0x6982 // file needs an access control session
	swConditions       = 0x6985 // command out of sequence
	swSMMissing        = 0x6987 // expected secure-messaging data objects missing
	swSMIncorrect      = 0x6988 // secure-messaging MAC or data objects wrong
	swWrongData        = 0x6A80
	swFileNotFound     = 0x6A82
	swWrongP1P2        = 0x6B00
	swINSNotSupported  = 0x6D00
	swCLANotSupported  = 0x6E00
	swOffsetBeyondFile = 0x6B00
)

// command is one parsed command APDU, short or extended.
type command struct {
	cla, ins, p1, p2 byte
	data             []byte
	le               int  // expected length; 256 or 65536 for a zero Le
	hasLe            bool // Le present
	extended         bool // extended length encoding
}

// parseCommand decodes the four ISO/IEC 7816-3 cases in short and extended
// form; ok is false for a malformed APDU.
func parseCommand(b []byte) (command, bool) {
	if len(b) < 4 {
		return command{}, false
	}
	c := command{cla: b[0], ins: b[1], p1: b[2], p2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
	case len(body) == 1: // case 2 short
		c.le, c.hasLe = shortLe(body[0]), true
	case body[0] != 0: // case 3 or 4 short
		n := int(body[0])
		switch len(body) {
		case 1 + n:
		case 2 + n:
			c.le, c.hasLe = shortLe(body[1+n]), true
		default:
			return command{}, false
		}
		c.data = body[1 : 1+n]
	case len(body) == 3: // case 2 extended
		c.le, c.hasLe, c.extended = extLe(body[1:3]), true, true
	default: // case 3 or 4 extended
		if len(body) < 3 {
			return command{}, false
		}
		n := int(binary.BigEndian.Uint16(body[1:3]))
		c.extended = true
		switch len(body) {
		case 3 + n:
		case 5 + n:
			c.le, c.hasLe = extLe(body[3+n:]), true
		default:
			return command{}, false
		}
		if n == 0 {
			return command{}, false
		}
		c.data = body[3 : 3+n]
	}
	return c, true
}

func shortLe(b byte) int {
	if b == 0 {
		return 256
	}
	return int(b)
}

func extLe(b []byte) int {
	n := int(binary.BigEndian.Uint16(b))
	if n == 0 {
		return 65536
	}
	return n
}

// tlv appends one BER-TLV with a one- or two-byte tag and a definite length.
func tlv(dst []byte, tag int, value []byte) []byte {
	if tag > 0xFF {
		dst = append(dst, byte(tag>>8))
	}
	dst = append(dst, byte(tag))
	switch n := len(value); {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xFF:
		dst = append(dst, 0x81, byte(n))
	default:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	}
	return append(dst, value...)
}

// nextTLV reads one BER-TLV (tags of up to two bytes, lengths of up to
// three) from b; ok is false when it does not fit.
func nextTLV(b []byte) (tag int, value, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag = int(b[0])
	i := 1
	if b[0]&0x1F == 0x1F {
		tag = tag<<8 | int(b[1])
		i = 2
	}
	if i >= len(b) {
		return 0, nil, nil, false
	}
	n := int(b[i])
	i++
	switch n {
	case 0x81:
		if i >= len(b) {
			return 0, nil, nil, false
		}
		n = int(b[i])
		i++
	case 0x82:
		if i+1 >= len(b) {
			return 0, nil, nil, false
		}
		n = int(b[i])<<8 | int(b[i+1])
		i += 2
	default:
		if n > 0x80 {
			return 0, nil, nil, false
		}
	}
	if n > len(b)-i {
		return 0, nil, nil, false
	}
	return tag, b[i : i+n], b[i+n:], true
}

func withSW(data []byte, sw int) []byte {
	return append(append([]byte(nil), data...), byte(sw>>8), byte(sw))
}
