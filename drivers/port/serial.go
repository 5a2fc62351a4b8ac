package port

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tarm/serial"
)

// DefaultReadTimeout is the poll interval of a serial read: how long Close
// may wait for a blocked Read to notice it. tarm/serial rounds it to tenths
// of a second (termios VTIME).
const DefaultReadTimeout = 100 * time.Millisecond

// SerialConfig says how to open a serial port.
type SerialConfig struct {
	Path        string        // e.g. /dev/ttyACM0, /dev/ttyUSB0, or a udev symlink
	Baud        int           // e.g. 9600, 115200; 9600 when zero
	ReadTimeout time.Duration // DefaultReadTimeout when zero
}

// Serial is an open serial port whose Read blocks until there is data, the
// device fails, or the port is closed.
type Serial struct {
	path    string
	p       *serial.Port
	closed  atomic.Bool
	once    sync.Once
	rmu     sync.Mutex // one Read at a time, so Close can wait for it
	dev     uint64     // device number of what path named at open
	checked time.Time  // last look at path while reads time out
}

// goneCheckEvery is how often a Read that keeps timing out looks whether the
// device node it opened is still there: a hung-up tty may keep answering
// reads with nothing instead of EIO, and udev removes (or repoints) the
// node on unplug.
const goneCheckEvery = 250 * time.Millisecond

// deviceOf returns the device number path names, following links.
func deviceOf(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, nil
	}
	return uint64(st.Rdev), nil
}

// OpenSerial opens a serial port, 8N1, raw, with a read timeout.
func OpenSerial(cfg SerialConfig) (*Serial, error) {
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	p, err := serial.OpenPort(&serial.Config{Name: cfg.Path, Baud: cfg.Baud, ReadTimeout: cfg.ReadTimeout})
	if err != nil {
		return nil, fmt.Errorf("port: open %s: %w", cfg.Path, err)
	}
	dev, _ := deviceOf(cfg.Path)
	return &Serial{path: cfg.Path, p: p, dev: dev, checked: time.Now()}, nil
}

// Read reads at least one byte, blocking until there is data. It returns
// ErrClosed after Close and the device's error (EIO when it is gone) when
// the device fails.
func (s *Serial) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for {
		if s.closed.Load() {
			return 0, fmt.Errorf("port: read %s: %w", s.path, ErrClosed)
		}
		n, err := s.p.Read(b)
		if n > 0 {
			return n, nil
		}
		if err == nil || errors.Is(err, io.EOF) {
			// The read timed out: nothing yet, unless the device is gone.
			if s.dev != 0 && time.Since(s.checked) >= goneCheckEvery {
				s.checked = time.Now()
				if d, serr := deviceOf(s.path); serr != nil || d != s.dev {
					return 0, fmt.Errorf("port: read %s: device node gone or replaced: %w", s.path, ErrDisconnected)
				}
			}
			continue
		}
		if s.closed.Load() {
			return 0, fmt.Errorf("port: read %s: %w", s.path, ErrClosed)
		}
		return 0, fmt.Errorf("port: read %s: %w", s.path, err)
	}
}

// Write writes b to the port.
func (s *Serial) Write(b []byte) (int, error) {
	if s.closed.Load() {
		return 0, fmt.Errorf("port: write %s: %w", s.path, ErrClosed)
	}
	n, err := s.p.Write(b)
	if err != nil {
		return n, fmt.Errorf("port: write %s: %w", s.path, err)
	}
	return n, nil
}

// Close closes the port; a blocked Read returns within the read timeout.
func (s *Serial) Close() error {
	var err error
	s.once.Do(func() {
		s.closed.Store(true)
		// Wait for a Read in progress to see the flag: closing the file under
		// a blocked read is what hangs.
		s.rmu.Lock()
		err = s.p.Close()
		s.rmu.Unlock()
	})
	if err != nil {
		return fmt.Errorf("port: close %s: %w", s.path, err)
	}
	return nil
}

// String returns the port's path.
func (s *Serial) String() string { return s.path }
