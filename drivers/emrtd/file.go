package emrtd

import (
	"errors"
	"fmt"
)

// File identifiers of Doc 9303 Part 10 §3.
const (
	FIDCardAccess = 0x011C // under the MF, read before access control
	FIDCOM        = 0x011E
	FIDSOD        = 0x011D
	FIDDG1        = 0x0101
)

// FIDOfDG is the file identifier of data group n (1–16).
func FIDOfDG(n int) uint16 { return 0x0100 + uint16(n) }

// AID of the LDS1 eMRTD application.
var aidEMRTD = []byte{0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}

// SelectApplet selects the eMRTD application (AID A0000002471001). A chip
// without it is ErrNotEMRTD.
func SelectApplet(t Transmitter) error {
	apdu := append([]byte{0x00, 0xA4, 0x04, 0x0C, byte(len(aidEMRTD))}, aidEMRTD...)
	if _, err := transmitOK(t, "SELECT application", apdu); err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			return fmt.Errorf("%w: %v", ErrNotEMRTD, err)
		}
		return err
	}
	return nil
}

// Chunk sizes of READ BINARY. Short: 0xDF bytes of data keep the protected
// answer (DO87 with its padding, DO99, DO8E) within 256 bytes. Extended:
// 0xF00 keeps it within a 4 KB buffer, which readers that announce extended
// length take.
const (
	chunkShort    = 0xDF
	chunkExtended = 0xF00
	firstRead     = 4 // tag and length of most files; more is read when the length needs it
	maxFileSize   = 1 << 20
)

// ReadFile selects the elementary file fid in the current application (or
// the MF, before selecting one) and reads it whole: a first READ BINARY for
// the TLV header says the file's length, then chunks (extended length when
// ext). Offsets past 32767 use READ BINARY with odd INS (B1). A missing file is
// a *StatusError with SW 6A82.
func ReadFile(t Transmitter, fid uint16, ext bool) ([]byte, error) {
	return readFile(t, fid, ext, firstRead)
}

func selectEF(t Transmitter, fid uint16) error {
	_, err := transmitOK(t, "SELECT", []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, byte(fid >> 8), byte(fid)})
	return err
}

func readFile(t Transmitter, fid uint16, ext bool, first int) ([]byte, error) {
	if err := selectEF(t, fid); err != nil {
		return nil, err
	}
	buf, eof, err := readBinary(t, 0, first)
	if err != nil {
		return nil, err
	}
	return readRest(t, fid, ext, buf, eof)
}

// readCardAccess reads EF.CardAccess: SELECT by FID, or, for a chip that
// refuses that at the MF, READ BINARY with its short EF identifier 1C (which
// selects it too).
func readCardAccess(t Transmitter) ([]byte, error) {
	b, err := ReadFile(t, FIDCardAccess, false)
	var se *StatusError
	if err == nil || !errors.As(err, &se) || se.Op != "SELECT" {
		return b, err
	}
	r, err := exchange(t, []byte{0x00, 0xB0, 0x80 | 0x1C, 0x00, firstRead})
	if err != nil {
		return nil, err
	}
	buf, sw, err := status(r)
	if err != nil {
		return nil, err
	}
	if sw != 0x9000 && sw != 0x6282 {
		return nil, &StatusError{Op: "READ BINARY", SW: sw}
	}
	return readRest(t, FIDCardAccess, false, buf, sw == 0x6282)
}

// readRest reads the rest of the selected file whose first bytes are buf.
func readRest(t Transmitter, fid uint16, ext bool, buf []byte, eof bool) ([]byte, error) {
	total, ok, err := headerLength(buf)
	for !ok && err == nil && !eof && len(buf) < 8 {
		var more []byte
		more, eof, err = readBinary(t, len(buf), 8-len(buf))
		if err != nil {
			return nil, err
		}
		if len(more) == 0 {
			break
		}
		buf = append(buf, more...)
		total, ok, err = headerLength(buf)
	}
	if err != nil || !ok {
		return nil, fmt.Errorf("emrtd: file %04X does not start with a TLV header: %w", fid, ErrNotEMRTD)
	}
	if total > maxFileSize {
		return nil, fmt.Errorf("emrtd: file %04X says it holds %d bytes: %w", fid, total, ErrNotEMRTD)
	}
	if len(buf) > total {
		buf = buf[:total]
	}
	chunk := chunkShort
	if ext {
		chunk = chunkExtended
	}
	for len(buf) < total && !eof {
		n := min(chunk, total-len(buf))
		var part []byte
		part, eof, err = readBinary(t, len(buf), n)
		if err != nil {
			return nil, err
		}
		if len(part) == 0 {
			break
		}
		buf = append(buf, part...)
	}
	if len(buf) < total {
		return nil, fmt.Errorf("emrtd: file %04X ended after %d of %d bytes: %w", fid, len(buf), total, ErrNotEMRTD)
	}
	return buf[:total], nil
}

// readBinary reads n bytes at offset of the selected file. eof is true when
// the chip said the file ended first (6282).
func readBinary(t Transmitter, offset, n int) (data []byte, eof bool, err error) {
	var apdu []byte
	odd := offset > 0x7FFF
	if !odd {
		c := command{cla: 0, ins: 0xB0, p1: byte(offset >> 8), p2: byte(offset), le: n}
		apdu = c.bytes()
	} else {
		// ISO 7816-4 §11.3.3: the offset in a DO54, the answer in a DO53.
		off := []byte{byte(offset >> 16), byte(offset >> 8), byte(offset)}
		if off[0] == 0 {
			off = off[1:]
		}
		le := n + 4 // room for the DO53 header
		c := command{cla: 0, ins: 0xB1, data: appendTLV(nil, 0x54, off), le: le}
		apdu = c.bytes()
	}
	r, err := exchange(t, apdu)
	if err != nil {
		return nil, false, err
	}
	data, sw, err := status(r)
	if err != nil {
		return nil, false, err
	}
	switch {
	case sw == 0x9000:
	case sw == 0x6282:
		eof = true
	default:
		return nil, false, &StatusError{Op: "READ BINARY", SW: sw}
	}
	if odd {
		o, _, err := nextTLV(data)
		if err != nil || o.tag != 0x53 {
			return nil, false, fmt.Errorf("emrtd: READ BINARY B1: answer without DO53: %w", ErrNotEMRTD)
		}
		data = o.value
	}
	if len(data) > n {
		data = data[:n]
	}
	return data, eof, nil
}
