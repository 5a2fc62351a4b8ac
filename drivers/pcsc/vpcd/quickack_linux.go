package vpcd

import (
	"net"
	"syscall"
)

// quickAck asks the kernel to acknowledge the next segments at once.
// vsmartcard before 3.4 (Debian 12's 3.3) writes a frame's length and its
// payload in two sends without TCP_NODELAY: Nagle holds the payload until
// the length is acknowledged, and a delayed ACK costs 40 ms per APDU.
// Linux leaves quick-ack mode by itself, so it is asked again before each
// read.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
