// Package port opens the byte streams device drivers speak over, and keeps
// them open: serial ports (USB-CDC QR scanners and MRZ readers, RS-232 and
// USB-serial ticket printers) through github.com/tarm/serial, printers on TCP
// port 9100, and USB printer-class devices (/dev/usb/lp*).
//
// Drivers in drivers/ never take a path: they take an io.Reader or
// io.Writer, and this package is the small separate concern of turning a
// configured device into one.
//
// tarm/serial on Linux, as checked on a pseudo-terminal: a port must be opened
// with a ReadTimeout, or Close hangs while a Read is blocked; with one, a Read
// that times out returns (0, io.EOF), which means "nothing yet", not "closed";
// once the device is gone, Read and Write fail with EIO. Serial hides the
// first two: its Read blocks until data arrives, the port fails, or it is
// closed. Reconnecting handles the third: it reopens the device with
// exponential backoff and reports "disconnected" meanwhile.
//
// PTY makes a raw pseudo-terminal pair for the simulators, so tests and the
// demo run the real driver code over a real tty.
package port
