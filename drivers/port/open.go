package port

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Open opens a device from its specification:
//
//	serial:/dev/ttyUSB0?baud=9600   a serial port (baud 9600 when omitted)
//	tcp:192.0.2.10:9100             a network printer's raw port
//	usblp:/dev/usb/lp0              a USB printer-class device
//
// The returned stream's Read blocks until there is data, as drivers expect.
func Open(ctx context.Context, spec string) (io.ReadWriteCloser, error) {
	kind, rest, ok := strings.Cut(spec, ":")
	if !ok || rest == "" {
		return nil, fmt.Errorf("port: %q: %w", spec, ErrBadSpec)
	}
	switch kind {
	case "serial":
		cfg, err := parseSerial(rest)
		if err != nil {
			return nil, fmt.Errorf("port: %q: %w", spec, err)
		}
		return OpenSerial(cfg)
	case "tcp":
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		c, err := d.DialContext(dctx, "tcp", rest)
		if err != nil {
			return nil, fmt.Errorf("port: dial %s: %w", rest, err)
		}
		return c, nil
	case "usblp":
		return OpenFile(rest)
	}
	return nil, fmt.Errorf("port: %q: unknown kind %q: %w", spec, kind, ErrBadSpec)
}

func parseSerial(s string) (SerialConfig, error) {
	path, query, _ := strings.Cut(s, "?")
	cfg := SerialConfig{Path: path}
	if path == "" {
		return cfg, ErrBadSpec
	}
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "baud":
			b, err := strconv.Atoi(v)
			if err != nil || b <= 0 {
				return cfg, fmt.Errorf("baud %q: %w", v, ErrBadSpec)
			}
			cfg.Baud = b
		default:
			return cfg, fmt.Errorf("option %q: %w", k, ErrBadSpec)
		}
	}
	return cfg, nil
}

// File is a character device opened as a file, such as /dev/usb/lp0; its
// Read polls, because usblp answers "no data" instead of blocking.
type File struct {
	f      *os.File
	closed atomic.Bool
	rmu    sync.Mutex
	once   sync.Once
}

// OpenFile opens a character device for reading and writing.
func OpenFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("port: open %s: %w", path, err)
	}
	return &File{f: f}, nil
}

// Read blocks until there is data, the device fails or the file is closed.
func (f *File) Read(b []byte) (int, error) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	for {
		if f.closed.Load() {
			return 0, fmt.Errorf("port: read %s: %w", f.f.Name(), ErrClosed)
		}
		n, err := f.f.Read(b)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("port: read %s: %w", f.f.Name(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Write writes b to the device.
func (f *File) Write(b []byte) (int, error) {
	n, err := f.f.Write(b)
	if err != nil {
		return n, fmt.Errorf("port: write %s: %w", f.f.Name(), err)
	}
	return n, nil
}

// Close closes the device.
func (f *File) Close() error {
	var err error
	f.once.Do(func() {
		f.closed.Store(true)
		err = f.f.Close()
	})
	return err
}
