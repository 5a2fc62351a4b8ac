package devices

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/idcard/chip"
	"xephang/drivers/pcsc"
	"xephang/queue-server/queue"
)

// ChipReader is a reader of CCCD chips, PC/SC's or the simulator's: the
// daemon, `kioskd idcard chip` and the counter's agent read through it
// with the same code (ReadChip).
type ChipReader interface {
	// Connect waits up to ctx for a card on the reader and connects to it.
	Connect(ctx context.Context) (ChipCard, error)
	// WaitPresent returns when a card lies on the reader, WaitRemoved
	// when none does (or ctx is done).
	WaitPresent(ctx context.Context) error
	WaitRemoved(ctx context.Context) error
	String() string
}

// ChipCard is a card connected on a chip reader (*pcsc.Card).
type ChipCard interface {
	Transmit(apdu []byte) ([]byte, error)
	ExtendedLength() bool
	Close() error
}

// ErrNoChipCard is no card on the chip reader within the wait.
var ErrNoChipCard = errors.New("devices: no card on the chip reader")

// ReadChip waits up to wait for a card on r (progress "waiting" first),
// then reads its chip with key (progress "reading"), bounded by ctx. The
// error wraps ErrNoChipCard when no card came, and passes emrtd's and
// pcsc's through (errors.Is emrtd.ErrAccessDenied, pcsc.ErrRemoved).
func ReadChip(ctx context.Context, r ChipReader, key emrtd.AccessKey, cscas *lds.CSCAs, wait time.Duration, progress func(state string)) (*chip.Result, error) {
	if progress == nil {
		progress = func(string) {}
	}
	progress("waiting")
	wctx, cancel := context.WithTimeout(ctx, wait)
	card, err := r.Connect(wctx)
	waited := wctx.Err() != nil
	cancel()
	if err != nil {
		if ctx.Err() == nil && waited {
			return nil, fmt.Errorf("%w (%s, %v)", ErrNoChipCard, r, wait)
		}
		return nil, err
	}
	defer card.Close()
	progress("reading")
	return chip.Read(ctx, card, key, cscas, time.Now())
}

// OpenChipReader opens the chip reader of spec: a PC/SC reader by (part
// of) its name, or auto for the first one; nil for "" or off. The
// simulator's is Sim.Chip.
func OpenChipReader(spec string) (ChipReader, error) {
	switch spec {
	case "", "off", "none":
		return nil, nil
	case SimSpec:
		return nil, fmt.Errorf("devices: the simulated chip reader comes with the simulators (-simulate)")
	}
	return &PCSCReader{Name: spec}, nil
}

// PCSCReader is a chip reader of pcscd: Name is the reader's name, a part
// of it, or auto (the first reader). Each operation has its own PC/SC
// context, so the watcher and a read may run at once.
type PCSCReader struct {
	Name string
}

func (p *PCSCReader) String() string { return "PC/SC " + p.Name }

// resolve finds the reader's full name.
func (p *PCSCReader) resolve(c *pcsc.Context) (string, error) {
	names, err := c.Readers()
	if err != nil {
		return "", err
	}
	if p.Name == "auto" || p.Name == "" {
		return names[0], nil
	}
	for _, n := range names {
		if n == p.Name {
			return n, nil
		}
	}
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), strings.ToLower(p.Name)) {
			return n, nil
		}
	}
	return "", fmt.Errorf("devices: no PC/SC reader %q (readers: %s): %w", p.Name, strings.Join(names, ", "), pcsc.ErrNoReaders)
}

// Connect waits for a card and connects to it.
func (p *PCSCReader) Connect(ctx context.Context) (ChipCard, error) {
	c, err := pcsc.Establish()
	if err != nil {
		return nil, err
	}
	name, err := p.resolve(c)
	if err == nil {
		err = c.WaitForCard(ctx, name)
	}
	var k *pcsc.Card
	if err == nil {
		k, err = c.Connect(name)
	}
	if err != nil {
		c.Release()
		return nil, err
	}
	return &pcscCard{Card: k, ctx: c}, nil
}

// WaitPresent waits for a card.
func (p *PCSCReader) WaitPresent(ctx context.Context) error {
	return p.wait(ctx, (*pcsc.Context).WaitForCard)
}

// WaitRemoved waits for the card to leave.
func (p *PCSCReader) WaitRemoved(ctx context.Context) error {
	return p.wait(ctx, (*pcsc.Context).WaitForRemoval)
}

func (p *PCSCReader) wait(ctx context.Context, f func(*pcsc.Context, context.Context, string) error) error {
	c, err := pcsc.Establish()
	if err != nil {
		return err
	}
	defer c.Release()
	name, err := p.resolve(c)
	if err != nil {
		return err
	}
	return f(c, ctx, name)
}

// pcscCard is a connected card with its context, released together.
type pcscCard struct {
	*pcsc.Card
	ctx *pcsc.Context
}

func (k *pcscCard) Close() error {
	err := k.Card.Close()
	k.ctx.Release()
	return err
}

// SimChip is the simulated chip reader: a card put on it (chipsim's, in
// process, no pcscd) lies there until removed or its hold runs out.
type SimChip struct {
	mu      sync.Mutex
	card    simChipCard
	until   time.Time
	gen     int           // grows with every card put or removed
	changed chan struct{} // closed and replaced on every change
	breakN  int           // the next n transmits fail as if the card left
}

// simChipCard is the card side (a chipsim.Card, as vpcd serves it).
type simChipCard interface {
	ATR() []byte
	Transmit(apdu []byte) []byte
	Reset()
}

// NewSimChip returns an empty simulated chip reader.
func NewSimChip() *SimChip { return &SimChip{changed: make(chan struct{})} }

func (s *SimChip) String() string { return "simulated chip reader" }

// Put lays card on the reader for hold (forever when zero).
func (s *SimChip) Put(card simChipCard, hold time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	card.Reset()
	s.card, s.gen = card, s.gen+1
	s.until = time.Time{}
	if hold > 0 {
		s.until = time.Now().Add(hold)
	}
	s.notify()
}

// Remove takes the card off the reader.
func (s *SimChip) Remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.card, s.gen = nil, s.gen+1
	s.notify()
}

// Break makes the next n transmits fail as a card taken off mid-read.
func (s *SimChip) Break(n int) {
	s.mu.Lock()
	s.breakN = n
	s.mu.Unlock()
}

func (s *SimChip) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// current is the card on the reader and its generation; s.mu is held.
func (s *SimChip) current() (simChipCard, int, <-chan struct{}, time.Duration) {
	if s.card != nil && !s.until.IsZero() && !time.Now().Before(s.until) {
		s.card, s.gen = nil, s.gen+1
		s.notify()
	}
	left := time.Duration(0)
	if s.card != nil && !s.until.IsZero() {
		left = time.Until(s.until)
	}
	return s.card, s.gen, s.changed, left
}

// await waits until present(card) holds.
func (s *SimChip) await(ctx context.Context, present bool) (simChipCard, int, error) {
	for {
		s.mu.Lock()
		card, gen, changed, left := s.current()
		s.mu.Unlock()
		if (card != nil) == present {
			return card, gen, nil
		}
		var timeout <-chan time.Time
		if left > 0 {
			timeout = time.After(left)
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-changed:
		case <-timeout:
		}
	}
}

// Connect waits for a card and connects to it.
func (s *SimChip) Connect(ctx context.Context) (ChipCard, error) {
	card, gen, err := s.await(ctx, true)
	if err != nil {
		return nil, err
	}
	return &simConn{s: s, card: card, gen: gen}, nil
}

// WaitPresent waits for a card.
func (s *SimChip) WaitPresent(ctx context.Context) error {
	_, _, err := s.await(ctx, true)
	return err
}

// WaitRemoved waits for the card to leave.
func (s *SimChip) WaitRemoved(ctx context.Context) error {
	_, _, err := s.await(ctx, false)
	return err
}

// simConn is a connection to the simulated card: it fails as PC/SC does
// once the card left (pcsc.ErrRemoved).
type simConn struct {
	s    *SimChip
	card simChipCard
	gen  int
}

func (c *simConn) Transmit(apdu []byte) ([]byte, error) {
	c.s.mu.Lock()
	_, gen, _, _ := c.s.current()
	broken := c.s.breakN > 0
	if broken {
		c.s.breakN--
	}
	c.s.mu.Unlock()
	if gen != c.gen || broken {
		return nil, fmt.Errorf("devices: simulated chip: %w", pcsc.ErrRemoved)
	}
	return c.card.Transmit(apdu), nil
}

func (c *simConn) ExtendedLength() bool { return true }
func (c *simConn) Close() error         { return nil }

// chipStatus is the chip reader's status for the screen and the
// heartbeat: a PC/SC reader must be known to pcscd.
func chipStatus(r ChipReader) queue.DeviceStatus {
	st := queue.DeviceStatus{Name: "chip-reader", Kind: "chip-reader", Status: "ok", Detail: "Sẵn sàng đọc chip thẻ căn cước"}
	if p, ok := r.(*PCSCReader); ok {
		c, err := pcsc.Establish()
		if err == nil {
			_, err = p.resolve(c)
			c.Release()
		}
		if err != nil {
			st.Status, st.Detail = "disconnected", "Đầu đọc chip chưa kết nối: "+err.Error()
		}
	}
	return st
}
