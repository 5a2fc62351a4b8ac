package port

import "errors"

// Sentinel errors of the package; test with errors.Is.
var (
	// ErrClosed means the port was closed by its owner.
	ErrClosed = errors.New("port closed")
	// ErrDisconnected means the device is not connected now; Reconnecting is
	// trying to reopen it.
	ErrDisconnected = errors.New("device disconnected")
	// ErrBadSpec means a device specification could not be understood.
	ErrBadSpec = errors.New("bad device specification")
)
