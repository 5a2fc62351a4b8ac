// Package idcardsim simulates the kiosk's card readers on a real
// pseudo-terminal: a 2D scanner in serial (USB-CDC) mode that sends a CCCD QR
// payload ending in "\r\n", and an MRZ reader that sends the three lines of a
// TD1 zone. The driver side opens Path() exactly as it opens the real
// device, so idcard.Reader and drivers/port run unchanged.
package idcardsim

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"xephang/drivers/port"
)

// Sample payloads of made-up people, valid in structure, check digits and
// cross-checks, for the demo and for tests.
const (
	// SampleQR is a front-side QR payload (born 12/03/1995, issued 01/06/2021).
	SampleQR = "001095012345|012345678|Nguyễn Văn An|12031995|Nam|Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội|01062021"
	// SampleElderlyQR is the QR of a holder aged over 75 in 2026.
	SampleElderlyQR = "036148001122||Phạm Thị Lan|05051948|Nữ|Xóm 3, xã Hải Hậu, Nam Định|10102021"
)

// SampleMRZ is the back-side MRZ of the holder of SampleQR.
var SampleMRZ = []string{
	"IDVNM0950123455001095012345<<6",
	"9503124M3503122VNM<<<<<<<<<<<0",
	"NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<",
}

// Reader is a simulated QR or MRZ reader on a pseudo-terminal.
type Reader struct {
	mu  sync.Mutex
	pty *port.PTY
}

// Start opens the pseudo-terminal of a simulated reader.
func Start() (*Reader, error) {
	p, err := port.NewPTY()
	if err != nil {
		return nil, fmt.Errorf("idcardsim: %w", err)
	}
	return &Reader{pty: p}, nil
}

// Path returns the device path a driver opens, e.g. /dev/pts/3.
func (r *Reader) Path() string { return r.pty.Path() }

// Link gives the simulated device a stable name, as a udev rule would.
func (r *Reader) Link(path string) error { return r.pty.Link(path) }

// SendQR sends one QR scan: the payload and "\r\n", as scanners in serial
// mode do by default.
func (r *Reader) SendQR(payload string) error {
	return r.Send([]byte(payload + "\r\n"))
}

// SendMRZ sends MRZ lines, each ending in "\r\n".
func (r *Reader) SendMRZ(lines ...string) error {
	return r.Send([]byte(strings.Join(lines, "\r\n") + "\r\n"))
}

// Send sends raw bytes, e.g. garbage for robustness tests. It fails if the
// driver has not read earlier data within two seconds.
func (r *Reader) Send(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.pty.Master.SetWriteDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return fmt.Errorf("idcardsim: send: %w", err)
	}
	if _, err := r.pty.Master.Write(b); err != nil {
		return fmt.Errorf("idcardsim: send: %w", err)
	}
	return nil
}

// Close unplugs the simulated reader; the driver's reads fail with EIO.
func (r *Reader) Close() error {
	if err := r.pty.Close(); err != nil {
		return fmt.Errorf("idcardsim: %w", err)
	}
	return nil
}
