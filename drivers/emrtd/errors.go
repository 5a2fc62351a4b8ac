package emrtd

import (
	"errors"
	"fmt"
)

var (
	// ErrAccessDenied means the chip refused the access key: a wrong MRZ or
	// CAN (BAC's EXTERNAL AUTHENTICATE or PACE's mutual authentication
	// failed). Retrying with the same key is useless.
	ErrAccessDenied = errors.New("emrtd: access denied: the chip refused the key (wrong MRZ or CAN)")
	// ErrSecureMessaging means an answer under secure messaging was malformed
	// or its MAC did not verify: the channel can no longer be trusted.
	ErrSecureMessaging = errors.New("emrtd: secure messaging failed")
	// ErrNotEMRTD means the chip has no ICAO eMRTD application or does not
	// speak the protocol as Doc 9303 says.
	ErrNotEMRTD = errors.New("emrtd: not an ICAO eMRTD chip")
)

// StatusError is an answer whose status word is not success.
type StatusError struct {
	Op string // "SELECT", "READ BINARY", …
	SW uint16
}

func (e *StatusError) Error() string { return fmt.Sprintf("emrtd: %s: status %04X", e.Op, e.SW) }

// swNotFound is ISO 7816-4's "file or application not found".
const swNotFound = 0x6A82

// isNotFound reports whether err is the chip's "file not found".
func isNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.SW == swNotFound || se.SW == 0x6A88)
}
