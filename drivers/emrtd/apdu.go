package emrtd

import (
	"errors"
	"fmt"
)

// Transmitter sends one command APDU and returns the answer with its status
// word (SW1 SW2) last. *pcsc.Card and *Session satisfy it.
type Transmitter interface {
	Transmit(apdu []byte) ([]byte, error)
}

// command is a parsed ISO 7816-4 command APDU.
type command struct {
	cla, ins, p1, p2 byte
	data             []byte
	le               int  // expected length: -1 none, else 1…65536 (256 = short "00")
	ext              bool // encoded with extended length
}

var errAPDU = errors.New("emrtd: malformed command APDU")

// parseCommand reads the seven cases of ISO 7816-4 §5.1 (1, 2S, 3S, 4S, 2E, 3E, 4E).
func parseCommand(b []byte) (command, error) {
	if len(b) < 4 {
		return command{}, errAPDU
	}
	c := command{cla: b[0], ins: b[1], p1: b[2], p2: b[3], le: -1}
	body := b[4:]
	switch {
	case len(body) == 0:
	case len(body) == 1:
		c.le = shortLe(body[0])
	case body[0] != 0:
		n := int(body[0])
		switch len(body) {
		case 1 + n:
			c.data = body[1:]
		case 2 + n:
			c.data = body[1 : 1+n]
			c.le = shortLe(body[1+n])
		default:
			return command{}, errAPDU
		}
	case len(body) == 3:
		c.ext = true
		c.le = extLe(body[1], body[2])
	case len(body) >= 3:
		c.ext = true
		n := int(body[1])<<8 | int(body[2])
		switch len(body) {
		case 3 + n:
			c.data = body[3:]
		case 5 + n:
			c.data = body[3 : 3+n]
			c.le = extLe(body[3+n], body[4+n])
		default:
			return command{}, errAPDU
		}
		if n == 0 {
			return command{}, errAPDU
		}
	default:
		return command{}, errAPDU
	}
	return c, nil
}

func shortLe(b byte) int {
	if b == 0 {
		return 256
	}
	return int(b)
}

func extLe(hi, lo byte) int {
	n := int(hi)<<8 | int(lo)
	if n == 0 {
		return 65536
	}
	return n
}

// extended reports whether the command needs extended length encoding.
func (c command) extended() bool {
	return c.ext || len(c.data) > 255 || c.le > 256
}

// bytes encodes the command, short when it fits and c.ext is not set.
func (c command) bytes() []byte {
	out := []byte{c.cla, c.ins, c.p1, c.p2}
	if !c.extended() {
		if len(c.data) > 0 {
			out = append(out, byte(len(c.data)))
			out = append(out, c.data...)
		}
		if c.le >= 0 {
			out = append(out, byte(c.le)) // 256 → 00
		}
		return out
	}
	if len(c.data) > 0 {
		out = append(out, 0, byte(len(c.data)>>8), byte(len(c.data)))
		out = append(out, c.data...)
	}
	if c.le >= 0 {
		if len(c.data) == 0 {
			out = append(out, 0)
		}
		out = append(out, byte(c.le>>8), byte(c.le)) // 65536 → 0000
	}
	return out
}

// status splits an answer into its data and status word.
func status(r []byte) ([]byte, uint16, error) {
	if len(r) < 2 {
		return nil, 0, fmt.Errorf("emrtd: answer of %d bytes has no status word", len(r))
	}
	n := len(r) - 2
	return r[:n], uint16(r[n])<<8 | uint16(r[n+1]), nil
}

// exchange transmits one APDU and follows the transport's status words: 61xx
// (more data: GET RESPONSE) and 6Cxx (wrong Le: send again with xx), which T=0
// readers leave to the application.
func exchange(t Transmitter, apdu []byte) ([]byte, error) {
	r, err := t.Transmit(apdu)
	if err != nil {
		return nil, err
	}
	for i := 0; i < 64; i++ {
		data, sw, err := status(r)
		if err != nil {
			return nil, err
		}
		switch sw >> 8 {
		case 0x61:
			more, err := t.Transmit([]byte{0x00, 0xC0, 0, 0, byte(sw)})
			if err != nil {
				return nil, err
			}
			r = append(append([]byte(nil), data...), more...)
			continue
		case 0x6C:
			if len(apdu) == 5 { // case 2 short: the only one where Le can be retried as is
				again := append([]byte(nil), apdu...)
				again[4] = byte(sw)
				apdu = again
				if r, err = t.Transmit(again); err != nil {
					return nil, err
				}
				continue
			}
		}
		return r, nil
	}
	return nil, errors.New("emrtd: too many GET RESPONSE rounds")
}

// transmitOK sends an APDU and returns its data when the status is 9000.
func transmitOK(t Transmitter, op string, apdu []byte) ([]byte, error) {
	r, err := exchange(t, apdu)
	if err != nil {
		return nil, err
	}
	data, sw, err := status(r)
	if err != nil {
		return nil, err
	}
	if sw != 0x9000 {
		return data, &StatusError{Op: op, SW: sw}
	}
	return data, nil
}

// tlv is one BER-TLV data object.
type tlv struct {
	tag   int
	value []byte
	raw   []byte // tag, length and value as they were encoded
}

var errTLV = errors.New("malformed TLV")

// nextTLV reads one BER-TLV object (tags up to three bytes, lengths up to
// 0x84 form) from b and returns it with the rest.
func nextTLV(b []byte) (tlv, []byte, error) {
	if len(b) < 2 {
		return tlv{}, nil, errTLV
	}
	i := 1
	tag := int(b[0])
	if b[0]&0x1F == 0x1F {
		for {
			if i >= len(b) || i > 3 {
				return tlv{}, nil, errTLV
			}
			tag = tag<<8 | int(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return tlv{}, nil, errTLV
	}
	n := int(b[i])
	i++
	if n&0x80 != 0 {
		k := n & 0x7F
		if k == 0 || k > 3 || i+k > len(b) {
			return tlv{}, nil, errTLV
		}
		n = 0
		for j := 0; j < k; j++ {
			n = n<<8 | int(b[i+j])
		}
		i += k
	}
	if n > len(b)-i {
		return tlv{}, nil, errTLV
	}
	return tlv{tag: tag, value: b[i : i+n], raw: b[:i+n]}, b[i+n:], nil
}

// headerLength reads a TLV header (tag and length) from the start of a file
// and returns the total length of the object; ok is false when b is too short
// to tell.
func headerLength(b []byte) (total int, ok bool, err error) {
	if len(b) < 2 {
		return 0, false, nil
	}
	i := 1
	if b[0]&0x1F == 0x1F {
		for {
			if i >= len(b) {
				return 0, false, nil
			}
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
			if i > 3 {
				return 0, false, errTLV
			}
		}
	}
	if i >= len(b) {
		return 0, false, nil
	}
	n := int(b[i])
	i++
	if n&0x80 != 0 {
		k := n & 0x7F
		if k == 0 || k > 3 {
			return 0, false, errTLV
		}
		if i+k > len(b) {
			return 0, false, nil
		}
		n = 0
		for j := 0; j < k; j++ {
			n = n<<8 | int(b[i+j])
		}
		i += k
	}
	return i + n, true, nil
}

// appendTLV appends tag (one or two bytes), a DER length and value.
func appendTLV(out []byte, tag int, value []byte) []byte {
	if tag > 0xFF {
		out = append(out, byte(tag>>8))
	}
	out = append(out, byte(tag))
	out = appendLength(out, len(value))
	return append(out, value...)
}

func appendLength(out []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(out, byte(n))
	case n <= 0xFF:
		return append(out, 0x81, byte(n))
	case n <= 0xFFFF:
		return append(out, 0x82, byte(n>>8), byte(n))
	default:
		return append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
}
