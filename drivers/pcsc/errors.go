package pcsc

import (
	"errors"
	"fmt"
)

// The classes of a failure; errors.Is tells them apart. Every error of this
// package other than a context's is an *Error wrapping one of them, or none
// when the code belongs to no class.
var (
	// ErrNoService: pcscd is not running or not reachable (its socket).
	ErrNoService = errors.New("pcsc: no PC/SC service (pcscd)")
	// ErrNoReaders: pcscd runs but knows no reader.
	ErrNoReaders = errors.New("pcsc: no reader")
	// ErrReaderGone: the reader is unknown to pcscd (unplugged, or a wrong name).
	ErrReaderGone = errors.New("pcsc: reader gone")
	// ErrNoCard: there is no card on the reader.
	ErrNoCard = errors.New("pcsc: no card on the reader")
	// ErrRemoved: the card went away while connected (also mid-APDU).
	ErrRemoved = errors.New("pcsc: card removed")
)

// PC/SC result codes this package names (pcsclite.h).
const (
	codeCancelled          = 0x80100002
	codeInsufficientBuffer = 0x80100008
	codeUnknownReader      = 0x80100009
	codeTimeout            = 0x8010000A
	codeNoSmartcard        = 0x8010000C
	codeCommError          = 0x80100013 // SCARD_F_COMM_ERROR
	codeNotTransacted      = 0x80100016
	codeReaderUnavailable  = 0x80100017
	codeNoService          = 0x8010001D
	codeServiceStopped     = 0x8010001E
	codeNoReaders          = 0x8010002E
	codeCommDataLost       = 0x8010002F
	codeUnresponsiveCard   = 0x80100066
	codeUnpoweredCard      = 0x80100067
	codeRemovedCard        = 0x80100069
)

// Error is a PC/SC call that failed: the function (Op, e.g.
// "SCardTransmit") and its result code (SCARD_E_*, SCARD_W_*, SCARD_F_*).
type Error struct {
	Op   string
	Code uint32
	// class, when set, replaces the class the code alone gives (a
	// transmit error after which the card is found gone is ErrRemoved).
	class error
}

func (e *Error) Error() string {
	return fmt.Sprintf("pcsc: %s: %s (0x%08X)", e.Op, describe(e.Code), e.Code)
}

// Unwrap gives the class of the failure (nil when it has none).
func (e *Error) Unwrap() error {
	if e.class != nil {
		return e.class
	}
	return classOf(e.Code)
}

func classOf(code uint32) error {
	switch code {
	case codeNoService, codeServiceStopped:
		return ErrNoService
	case codeNoReaders:
		return ErrNoReaders
	case codeUnknownReader, codeReaderUnavailable:
		return ErrReaderGone
	case codeNoSmartcard:
		return ErrNoCard
	case codeRemovedCard:
		return ErrRemoved
	}
	return nil
}

// describe is the English text of a result code, for messages; pcsc-lite's
// own table (pcsc_stringify_error) answers for the codes not listed.
func describe(code uint32) string {
	switch code {
	case codeNoService:
		return "the PC/SC service (pcscd) is not running"
	case codeNoReaders:
		return "no reader is connected"
	case codeUnknownReader:
		return "unknown reader"
	case codeNoSmartcard:
		return "no card on the reader"
	case codeRemovedCard:
		return "the card was removed"
	case codeCancelled:
		return "cancelled"
	}
	return stringify(code)
}
