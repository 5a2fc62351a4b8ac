package port

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal pair for a device simulator: the simulator reads
// and writes Master; the driver opens Path (the slave, /dev/pts/N) as it
// would open a serial port.
type PTY struct {
	Master *os.File // the device's side; reads return when the driver writes
	slave  *os.File // held open so the line stays up while the driver reopens
	path   string
}

// NewPTY opens a pseudo-terminal pair in raw mode (no echo, no line editing,
// no CR/LF translation), as a serial line is. Master is non-blocking under
// the Go poller, so Close interrupts a blocked Read.
func NewPTY() (*PTY, error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("port: open pty: %w", err)
	}
	if err := makeRaw(int(s.Fd())); err != nil {
		m.Close()
		s.Close()
		return nil, fmt.Errorf("port: raw mode on %s: %w", s.Name(), err)
	}
	fd, err := unix.Dup(int(m.Fd()))
	m.Close()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("port: dup pty master: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		s.Close()
		return nil, fmt.Errorf("port: pty master: %w", err)
	}
	unix.CloseOnExec(fd)
	return &PTY{Master: os.NewFile(uintptr(fd), "/dev/ptmx"), slave: s, path: s.Name()}, nil
}

// Path returns the slave device path the driver opens.
func (p *PTY) Path() string { return p.path }

// Close closes both sides; a driver reading the slave then gets EIO, as
// when a USB device is unplugged.
func (p *PTY) Close() error {
	err1 := p.Master.Close()
	err2 := p.slave.Close()
	if err1 != nil {
		return fmt.Errorf("port: close pty: %w", err1)
	}
	if err2 != nil {
		return fmt.Errorf("port: close pty: %w", err2)
	}
	return nil
}

// Link points the symbolic link at link to the slave, replacing what was
// there, as a udev rule gives a device a stable name across replugs.
func (p *PTY) Link(link string) error {
	tmp := filepath.Join(filepath.Dir(link), "."+filepath.Base(link)+".tmp")
	os.Remove(tmp)
	if err := os.Symlink(p.path, tmp); err != nil {
		return fmt.Errorf("port: link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		return fmt.Errorf("port: link %s: %w", link, err)
	}
	return nil
}

func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	// cfmakeraw(3)
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}
