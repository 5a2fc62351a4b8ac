package idcard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Event is one thing a card reader produced: a Card (valid or not, then Err
// wraps ErrInvalid too), or an error with no Card for input that could not
// be read as a card at all.
type Event struct {
	Card *Card     // nil for an error event
	Err  error     // nil for a valid card
	At   time.Time // when the event was produced
}

// Reader turns the byte stream of a QR scanner in serial (USB-CDC) mode or of
// an MRZ reader into Events. Each QR scan ends in "\r" or "\r\n"; MRZ
// readers send one line per MRZ line (or the whole zone on one line).
type Reader struct {
	// Now is the clock used for expiry checks and event times; time.Now by default.
	Now func() time.Time

	br      *bufio.Reader
	pending []string // MRZ lines of a zone not yet complete
	queue   []Event
	skip    bool // discarding the rest of an over-long line
}

// NewReader returns a Reader over r. r should behave like a normal blocking
// reader; open serial ports with drivers/port, which hides tarm/serial's
// "(0, io.EOF) means nothing yet".
func NewReader(r io.Reader) *Reader {
	return &Reader{Now: time.Now, br: bufio.NewReaderSize(r, 4096)}
}

// Next blocks until the next Event and returns it; the error is that of the
// underlying reader (io.EOF at its end), never a card problem.
func (r *Reader) Next() (Event, error) {
	for len(r.queue) == 0 {
		line, err := r.readLine()
		if err != nil {
			if len(r.pending) > 0 {
				r.pending = nil
				return r.event(nil, fmt.Errorf("idcard: %w", ErrIncompleteMRZ)), nil
			}
			return Event{}, err
		}
		r.handle(line)
	}
	ev := r.queue[0]
	r.queue = r.queue[1:]
	return ev, nil
}

// Run calls Next until ctx is done or the stream ends, sending every Event to
// out. A read blocked in the underlying reader ends only when that reader is
// closed, so close the port after cancelling ctx. It returns nil at io.EOF.
func (r *Reader) Run(ctx context.Context, out chan<- Event) error {
	for {
		ev, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("idcard: read: %w", err)
		}
		select {
		case out <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// readLine returns the next non-empty line without its terminator. Lines
// longer than MaxPayload produce an ErrLineTooLong event and are dropped.
func (r *Reader) readLine() (string, error) {
	var sb strings.Builder
	for {
		b, err := r.br.ReadByte()
		if err != nil {
			if sb.Len() > 0 && errors.Is(err, io.EOF) && !r.skip {
				return sb.String(), nil
			}
			return "", err
		}
		if b == '\r' || b == '\n' {
			if r.skip {
				r.skip = false
				continue
			}
			if sb.Len() == 0 {
				continue
			}
			return sb.String(), nil
		}
		if r.skip {
			continue
		}
		if sb.Len() >= MaxPayload {
			r.skip = true
			sb.Reset()
			r.queue = append(r.queue, r.event(nil, fmt.Errorf("idcard: %w (over %d bytes)", ErrLineTooLong, MaxPayload)))
			return "", nil // handle ignores it; Next returns the queued event
		}
		sb.WriteByte(b)
	}
}

func (r *Reader) event(c *Card, err error) Event {
	return Event{Card: c, Err: err, At: r.Now()}
}

func (r *Reader) handle(line string) {
	if line == "" {
		return
	}
	line = strings.TrimSpace(strings.TrimPrefix(line, "\uFEFF"))
	switch {
	case line == "":
		return
	case strings.Contains(line, "|"):
		r.flushIncomplete()
		c, err := ParseQR(line, r.Now())
		r.queue = append(r.queue, r.event(c, err))
	case isMRZChars(line) && (len(line) == TD1Line*TD1Lines || len(line) == TD3Line*TD3Lines):
		r.flushIncomplete()
		c, err := ParseMRZ(line, r.Now())
		r.queue = append(r.queue, r.event(c, err))
	case isMRZChars(line) && (len(line) == TD1Line || len(line) == TD3Line):
		if len(r.pending) > 0 && (len(line) != len(r.pending[0]) || looksLikeFirstTD1Line(line)) {
			r.flushIncomplete()
		}
		r.pending = append(r.pending, line)
		want := TD1Lines
		if len(line) == TD3Line {
			want = TD3Lines
		}
		if len(r.pending) == want {
			c, err := ParseMRZ(strings.Join(r.pending, "\n"), r.Now())
			r.pending = nil
			r.queue = append(r.queue, r.event(c, err))
		}
	default:
		r.flushIncomplete()
		r.queue = append(r.queue, r.event(nil, fmt.Errorf("idcard: %w", ErrUnrecognised)))
	}
}

func (r *Reader) flushIncomplete() {
	if len(r.pending) > 0 {
		r.pending = nil
		r.queue = append(r.queue, r.event(nil, fmt.Errorf("idcard: %w", ErrIncompleteMRZ)))
	}
}

// looksLikeFirstTD1Line reports whether l has the shape of line 1 of a TD1:
// document code, state, and a document number with digits. Line 2 starts with
// digits and line 3 holds a name without digits, so neither matches; this
// lets a Reader resynchronise after a reader sent a partial zone.
func looksLikeFirstTD1Line(l string) bool {
	if len(l) != TD1Line || !strings.ContainsRune("IAC", rune(l[0])) {
		return false
	}
	for i := 1; i < 5; i++ {
		if !(l[i] >= 'A' && l[i] <= 'Z' || l[i] == '<') {
			return false
		}
	}
	return strings.ContainsAny(l[5:15], "0123456789")
}
