// Package escpossim is a ticket printer simulator on a real pseudo-terminal.
// The driver opens Path() as a serial port and prints to it; the simulator
// answers DLE EOT status requests from its settable state (paper out, near
// end, cover open…), splits the stream into jobs at each cut, keeps every
// job's raw bytes as DIR/NNNN.escpos and renders it as DIR/NNNN.png, the
// ticket as it would come out of an 80 mm (or 58 mm) printer.
//
// With Baud set it consumes bytes no faster than a UART at that rate (ten
// bits a byte), so a driver writing to it sees the time a real serial printer
// takes; the pseudo-terminal's own buffer plays the printer's receive buffer.
package escpossim

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/port"
)

// Config sets up a simulated printer.
type Config struct {
	Dir       string           // where jobs are written; none kept when empty
	Dots      int              // paper width in dots: 576 (80 mm, default) or 384 (58 mm)
	Baud      int              // consume at most Baud/10 bytes a second; 0 for as fast as possible
	CodePages map[byte]Charset // ESC t tables; EpsonCodePages when nil
	NoPNG     bool             // keep raw bytes only (benchmarks)
}

// Job is one print job, from the first byte after the previous cut to a cut.
type Job struct {
	N       int       // sequence number, also in the file names
	Bytes   int       // bytes received for the job, status requests excluded
	Printed bool      // false when the printer could not print (paper out, cover open…)
	Raw     string    // path of NNNN.escpos, "" when Dir is empty
	PNG     string    // path of NNNN.png, "" when not rendered
	Info    Info      // what was printed
	Start   time.Time // first byte received
	End     time.Time // cut received
}

// Printer is a running simulated printer.
type Printer struct {
	cfg  Config
	pty  *port.PTY
	done chan struct{}

	mu     sync.Mutex
	cond   *sync.Cond
	status escpos.Status
	jobs   []Job
	next   int
	err    error
}

// Start opens the pseudo-terminal and starts the simulated printer.
func Start(cfg Config) (*Printer, error) {
	if cfg.Dots == 0 {
		cfg.Dots = 576
	}
	if cfg.CodePages == nil {
		cfg.CodePages = EpsonCodePages
	}
	next := 1
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("escpossim: %w", err)
		}
		next = nextNumber(cfg.Dir)
	}
	p, err := port.NewPTY()
	if err != nil {
		return nil, fmt.Errorf("escpossim: %w", err)
	}
	s := &Printer{cfg: cfg, pty: p, done: make(chan struct{}), next: next}
	s.cond = sync.NewCond(&s.mu)
	go s.loop()
	return s, nil
}

var jobName = regexp.MustCompile(`^(\d{4,})\.escpos$`)

// nextNumber continues the numbering of jobs already in dir.
func nextNumber(dir string) int {
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if m := jobName.FindStringSubmatch(e.Name()); m != nil {
			if v, err := strconv.Atoi(m[1]); err == nil && v > n {
				n = v
			}
		}
	}
	return n + 1
}

// Path returns the device the driver opens, e.g. /dev/pts/4.
func (s *Printer) Path() string { return s.pty.Path() }

// Link gives the device a stable name, as a udev rule would.
func (s *Printer) Link(path string) error { return s.pty.Link(path) }

// SetStatus sets what the printer reports and whether it prints.
func (s *Printer) SetStatus(st escpos.Status) {
	s.mu.Lock()
	s.status = st
	s.mu.Unlock()
}

// SetPaperOut sets or clears "paper out" (and the offline state it causes).
func (s *Printer) SetPaperOut(on bool) {
	s.mu.Lock()
	s.status.PaperOut, s.status.Offline = on, on || s.status.CoverOpen
	s.mu.Unlock()
}

// SetNearEnd sets or clears "paper roll near its end".
func (s *Printer) SetNearEnd(on bool) {
	s.mu.Lock()
	s.status.PaperNearEnd = on
	s.mu.Unlock()
}

// SetCoverOpen opens or closes the cover.
func (s *Printer) SetCoverOpen(on bool) {
	s.mu.Lock()
	s.status.CoverOpen, s.status.Offline = on, on || s.status.PaperOut
	s.mu.Unlock()
}

// Status returns the state the printer reports.
func (s *Printer) Status() escpos.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Jobs returns the jobs received so far.
func (s *Printer) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Job(nil), s.jobs...)
}

// WaitJobs waits until n jobs were received, and returns them all.
func (s *Printer) WaitJobs(ctx context.Context, n int) ([]Job, error) {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.jobs) < n {
		if ctx.Err() != nil {
			return append([]Job(nil), s.jobs...), fmt.Errorf("escpossim: %d of %d jobs: %w", len(s.jobs), n, ctx.Err())
		}
		if s.err != nil {
			return append([]Job(nil), s.jobs...), s.err
		}
		s.cond.Wait()
	}
	return append([]Job(nil), s.jobs...), nil
}

// Close unplugs the printer: the driver's reads and writes fail with EIO.
func (s *Printer) Close() error {
	err := s.pty.Close()
	<-s.done
	if err != nil {
		return fmt.Errorf("escpossim: %w", err)
	}
	return nil
}

// loop reads the line, answers status requests at once and collects jobs.
func (s *Printer) loop() {
	defer close(s.done)
	var (
		buf   []byte // bytes not yet parsed
		job   []byte
		start time.Time
		total int64
		t0    = time.Now()
		chunk = make([]byte, 256)
	)
	if s.cfg.Baud > 0 {
		chunk = make([]byte, max(s.cfg.Baud/10/100, 1)) // about 10 ms of line time per read
	}
	for {
		n, err := s.pty.Master.Read(chunk)
		if n > 0 {
			if s.cfg.Baud > 0 {
				// Pace like a UART: byte k arrives at t0 + k×10/baud.
				if total == 0 {
					t0 = time.Now()
				}
				total += int64(n)
				due := t0.Add(time.Duration(total * 10 * int64(time.Second) / int64(s.cfg.Baud)))
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				} else if d < -50*time.Millisecond {
					t0, total = time.Now(), 0 // the line was idle: restart the clock
				}
			}
			buf = append(buf, chunk[:n]...)
			for len(buf) > 0 {
				l, ok := cmdLen(buf)
				if !ok {
					break
				}
				c := buf[:l]
				switch {
				case l == 3 && c[0] == 0x10 && c[1] == 0x04:
					s.answer(c[2])
				case len(c) >= 2 && c[0] == 0x1D && c[1] == 'V':
					if len(job) == 0 {
						start = time.Now()
					}
					job = append(job, c...)
					s.finish(job, start)
					job = nil
				default:
					if len(job) == 0 {
						start = time.Now()
					}
					job = append(job, c...)
				}
				buf = buf[l:]
			}
			// Keep the copy small: what is left is at most one partial command.
			buf = append([]byte(nil), buf...)
		}
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				s.mu.Lock()
				s.err = fmt.Errorf("escpossim: read: %w", err)
				s.cond.Broadcast()
				s.mu.Unlock()
			}
			return
		}
	}
}

// answer replies to DLE EOT n from the current state.
func (s *Printer) answer(n byte) {
	if n < 1 || n > 4 {
		return
	}
	s.mu.Lock()
	r := s.status.Replies()[n-1]
	s.mu.Unlock()
	s.pty.Master.SetWriteDeadline(time.Now().Add(time.Second))
	s.pty.Master.Write([]byte{r})
}

// finish records a job, writes its files and renders it.
func (s *Printer) finish(data []byte, start time.Time) {
	s.mu.Lock()
	n := s.next
	s.next++
	printed := s.status.CanPrint()
	s.mu.Unlock()

	job := Job{N: n, Bytes: len(data), Printed: printed, Start: start, End: time.Now()}
	var img *image.Gray
	if printed && !s.cfg.NoPNG {
		img, job.Info = Decode(data, s.cfg.Dots, s.cfg.CodePages)
	}
	if s.cfg.Dir != "" {
		base := filepath.Join(s.cfg.Dir, fmt.Sprintf("%04d", n))
		if err := os.WriteFile(base+".escpos", data, 0o644); err == nil {
			job.Raw = base + ".escpos"
		}
		if img != nil {
			if err := writePNG(base+".png", img); err == nil {
				job.PNG = base + ".png"
			}
		}
	}
	s.mu.Lock()
	s.jobs = append(s.jobs, job)
	s.cond.Broadcast()
	s.mu.Unlock()
}

// writePNG writes img atomically, so a UI showing the latest ticket never
// reads half a file.
func writePNG(path string, img image.Image) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
