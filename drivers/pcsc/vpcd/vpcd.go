// Package vpcd is the card side of vsmartcard's virtual reader driver
// (ifd-vpcd, Debian's vsmartcard-vpcd): a Card written in Go, put on the
// virtual reader with Slot.Insert, is seen by pcscd and every PC/SC client
// as a card on a reader.
//
// The protocol (vsmartcard's virtualsmartcard/src/vpcd/vpcd.c): the driver
// listens on a TCP port, one per slot; the card connects, and from then on
// the driver sends frames of a 2-byte big-endian length and a payload. A
// 1-byte payload is a control: 0x00 power off, 0x01 power on, 0x02 reset
// (no answer), 0x04 get the ATR (answered with the ATR). Any other payload
// is a command APDU, answered with the response APDU. Frames are at most
// 65535 bytes, so a response carries at most 65533 data bytes and SW1 SW2.
// The driver asks the ATR at every presence poll; an empty answer or a
// closed connection is a card removed.
package vpcd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Card is a virtual card.
type Card interface {
	// ATR is the answer to reset.
	ATR() []byte
	// Transmit answers a command APDU with data and SW1 SW2.
	Transmit(apdu []byte) []byte
	// Reset is called at power on and reset.
	Reset()
}

// Control payloads of the driver.
const (
	ctrlOff   = 0x00
	ctrlOn    = 0x01
	ctrlReset = 0x02
	ctrlATR   = 0x04
)

// maxFrame is the largest payload a frame's length can say.
const maxFrame = 0xFFFF

// Errors of a Slot.
var (
	ErrInserted = errors.New("vpcd: a card is already in the slot")
	ErrClosed   = errors.New("vpcd: slot closed")
)

// Slot is one slot of the virtual reader (one vpcd port); it holds at most
// one card at a time.
type Slot struct {
	addr string

	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

// NewSlot makes the slot of the vpcd driver listening at addr
// ("127.0.0.1:PORT"); nothing connects before Insert.
func NewSlot(addr string) *Slot { return &Slot{addr: addr} }

// Insert connects c to the driver: pcscd sees a card at its next presence
// poll. ErrInserted when a card is there already.
func (s *Slot) Insert(c Card) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.conn != nil {
		return ErrInserted
	}
	conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		return fmt.Errorf("vpcd: insert: %w", err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	s.conn = conn
	go serve(conn, c)
	return nil
}

// Remove takes the card away: the connection closes, so that the driver
// sees the card gone, also in the middle of an APDU (a Transmit of the card
// running then ends on its own; its answer goes nowhere). Removing from an
// empty slot does nothing.
func (s *Slot) Remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// Close removes the card and refuses later inserts.
func (s *Slot) Close() error {
	err := s.Remove()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return err
}

// serve answers the driver's frames until the connection closes.
func serve(conn net.Conn, c Card) {
	defer conn.Close()
	var head [2]byte
	buf := make([]byte, maxFrame)
	for {
		quickAck(conn)
		if _, err := io.ReadFull(conn, head[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(head[:]))
		quickAck(conn)
		if _, err := io.ReadFull(conn, buf[:n]); err != nil {
			return
		}
		var answer []byte
		if n == 1 {
			switch buf[0] {
			case ctrlOff:
				continue
			case ctrlOn, ctrlReset:
				c.Reset()
				continue
			case ctrlATR:
				answer = c.ATR()
			default:
				continue
			}
		} else {
			answer = c.Transmit(append([]byte(nil), buf[:n]...))
			if len(answer) < 2 || len(answer) > maxFrame {
				answer = []byte{0x6F, 0x00} // no precise diagnosis: the card's answer cannot be framed
			}
		}
		if err := writeFrame(conn, answer); err != nil {
			return
		}
	}
}

func writeFrame(w io.Writer, b []byte) error {
	f := make([]byte, 2+len(b))
	binary.BigEndian.PutUint16(f, uint16(len(b)))
	copy(f[2:], b)
	_, err := w.Write(f)
	return err
}
