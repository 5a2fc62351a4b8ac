package vpcd_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"xephang/drivers/pcsc/vpcd"
)

type card struct {
	resets atomic.Int32
	answer []byte
}

func (c *card) ATR() []byte { return []byte{0x3B, 0x80, 0x80, 0x01, 0x01} }
func (c *card) Reset()      { c.resets.Add(1) }
func (c *card) Transmit(apdu []byte) []byte {
	if c.answer != nil {
		return c.answer
	}
	return append(append([]byte(nil), apdu[4:]...), 0x90, 0x00)
}

// driver plays vpcd's side: it listens, takes the card's connection and
// sends frames.
type driver struct {
	t    *testing.T
	conn net.Conn
}

func listen(t *testing.T) (net.Listener, *vpcd.Slot) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := vpcd.NewSlot(l.Addr().String())
	t.Cleanup(func() { s.Close() })
	return l, s
}

func accept(t *testing.T, l net.Listener) *driver {
	t.Helper()
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &driver{t, conn}
}

func (d *driver) send(b ...byte) {
	d.t.Helper()
	f := binary.BigEndian.AppendUint16(nil, uint16(len(b)))
	if _, err := d.conn.Write(append(f, b...)); err != nil {
		d.t.Fatal(err)
	}
}

func (d *driver) recv() []byte {
	d.t.Helper()
	var head [2]byte
	if _, err := io.ReadFull(d.conn, head[:]); err != nil {
		d.t.Fatal(err)
	}
	b := make([]byte, binary.BigEndian.Uint16(head[:]))
	if _, err := io.ReadFull(d.conn, b); err != nil {
		d.t.Fatal(err)
	}
	return b
}

func TestProtocol(t *testing.T) {
	l, s := listen(t)
	c := &card{}
	if err := s.Insert(c); err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(c); !errors.Is(err, vpcd.ErrInserted) {
		t.Fatalf("second Insert: %v, want ErrInserted", err)
	}
	d := accept(t, l)

	d.send(0x04)
	if got := d.recv(); !bytes.Equal(got, c.ATR()) {
		t.Fatalf("ATR % X", got)
	}
	d.send(0x01) // power on: no answer, a reset
	d.send(0x02) // reset
	d.send(0x00) // power off
	d.send(0x00, 0xE0, 0x00, 0x00, 0x01, 0x42)
	if got := d.recv(); !bytes.Equal(got, []byte{0x01, 0x42, 0x90, 0x00}) {
		t.Fatalf("answer % X", got)
	}
	if n := c.resets.Load(); n != 2 {
		t.Fatalf("%d resets, want 2", n)
	}

	// The largest frame each way.
	big := make([]byte, 0xFFFF)
	big[1] = 0xE0
	d.send(big...)
	if got := d.recv(); len(got) != 0xFFFF-4+2 {
		t.Fatalf("answer of %d bytes", len(got))
	}

	// Remove closes the connection: the driver reads end of file.
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after Remove: %v, want EOF", err)
	}

	// A card that answers nothing gets 6F00 framed (an empty frame would
	// tell vpcd the card is gone).
	if err := s.Insert(&card{answer: []byte{}}); err != nil {
		t.Fatal(err)
	}
	d = accept(t, l)
	d.send(0x00, 0xA4, 0x04, 0x00)
	if got := d.recv(); !bytes.Equal(got, []byte{0x6F, 0x00}) {
		t.Fatalf("answer % X, want 6F 00", got)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(c); !errors.Is(err, vpcd.ErrClosed) {
		t.Fatalf("Insert after Close: %v, want ErrClosed", err)
	}
}

func TestInsertWithoutDriver(t *testing.T) {
	l, s := listen(t)
	l.Close()
	if err := s.Insert(&card{}); err == nil {
		t.Fatal("Insert with no driver listening succeeded")
	}
}
