package escpos

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// DefaultStatusTimeout is how long Status waits for each reply.
const DefaultStatusTimeout = time.Second

// writeChunk is how many bytes PrintTicket writes at a time, so a cancelled
// context stops a slow serial job between chunks.
const writeChunk = 512

// Printer prints tickets on an ESC/POS printer and reads its status.
type Printer struct {
	// StatusTimeout bounds the wait for each status reply; DefaultStatusTimeout when zero.
	StatusTimeout time.Duration

	w       io.Writer
	r       io.Reader
	profile Profile

	mu       sync.Mutex // one job or status request at a time
	once     sync.Once
	replies  chan byte
	readDone chan struct{}
	readErr  error
}

// New returns a Printer writing to w with profile p. r carries the printer's
// replies (the same port, usually); nil when the link is one-way, and then
// Status returns ErrNoStatus and PrintTicket prints without asking. The
// Printer reads r from its first status request on, so make one Printer per
// port and keep it.
func New(w io.Writer, r io.Reader, p Profile) *Printer {
	return &Printer{w: w, r: r, profile: p}
}

// Profile returns the printer's profile.
func (p *Printer) Profile() Profile {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.profile
}

// SetProfile changes the profile used for the next tickets.
func (p *Printer) SetProfile(prof Profile) {
	p.mu.Lock()
	p.profile = prof
	p.mu.Unlock()
}

// startReader copies reply bytes into a channel, so a status request can
// wait for them with a deadline.
func (p *Printer) startReader() {
	p.once.Do(func() {
		p.replies = make(chan byte, 64)
		p.readDone = make(chan struct{})
		go func() {
			defer close(p.readDone)
			buf := make([]byte, 64)
			for {
				n, err := p.r.Read(buf)
				for _, b := range buf[:n] {
					select {
					case p.replies <- b:
					default: // nobody asked: drop unsolicited bytes
					}
				}
				if err != nil {
					p.readErr = err
					return
				}
			}
		}()
	})
}

// Status asks the printer for its real-time status (DLE EOT 1–4). A printer
// that does not answer gives Status{NoReply: true} and an error wrapping
// ErrNoReply.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status(ctx)
}

func (p *Printer) status(ctx context.Context) (Status, error) {
	if p.r == nil {
		return Status{}, fmt.Errorf("escpos: status: %w", ErrNoStatus)
	}
	p.startReader()
	timeout := p.StatusTimeout
	if timeout <= 0 {
		timeout = DefaultStatusTimeout
	}
	// Forget bytes left over from earlier (late replies, garbage).
	for drained := false; !drained; {
		select {
		case <-p.replies:
		default:
			drained = true
		}
	}
	var replies [4]byte
	for i, req := range StatusRequests {
		if _, err := p.w.Write(req[:]); err != nil {
			return Status{NoReply: true}, fmt.Errorf("escpos: status request: %w", err)
		}
		b, err := p.reply(ctx, timeout)
		if err != nil {
			return Status{NoReply: true}, fmt.Errorf("escpos: status %d: %w", i+1, err)
		}
		replies[i] = b
	}
	return ParseStatus(replies)
}

// reply waits for the next byte shaped like a status reply.
func (p *Printer) reply(ctx context.Context, timeout time.Duration) (byte, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case b := <-p.replies:
			if IsStatusByte(b) {
				return b, nil
			}
		case <-p.readDone:
			// Bytes read just before the reader stopped are still queued.
			select {
			case b := <-p.replies:
				if IsStatusByte(b) {
					return b, nil
				}
				continue
			default:
			}
			return 0, fmt.Errorf("%w: %w", ErrNoReply, p.readErr)
		case <-timer.C:
			return 0, ErrNoReply
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// PrintTicket prints t. When the printer has a status channel it asks first
// and refuses with a *StatusError (wrapping ErrCannotPrint) if the ticket
// would not come out, so the kiosk can say why instead of issuing a number
// nobody holds.
func (p *Printer) PrintTicket(ctx context.Context, t Ticket) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	data, err := EncodeTicket(t, p.profile)
	if err != nil {
		return err
	}
	if p.r != nil {
		st, err := p.status(ctx)
		if err != nil {
			return err
		}
		if !st.CanPrint() {
			return &StatusError{Status: st}
		}
	}
	return p.write(ctx, data)
}

// Write sends raw ESC/POS bytes as one job, e.g. a test page.
func (p *Printer) Write(ctx context.Context, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.write(ctx, data)
}

func (p *Printer) write(ctx context.Context, data []byte) error {
	for len(data) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("escpos: print: %w", err)
		}
		n := min(len(data), writeChunk)
		if _, err := p.w.Write(data[:n]); err != nil {
			return fmt.Errorf("escpos: print: %w", err)
		}
		data = data[n:]
	}
	return nil
}
