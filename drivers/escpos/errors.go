package escpos

import "errors"

// Sentinel errors of the package; test with errors.Is.
var (
	// ErrCannotPrint means the printer's status says it cannot print now
	// (paper out, cover open, offline, error); the StatusError says why.
	ErrCannotPrint = errors.New("printer cannot print")
	// ErrNoReply means the printer did not answer a status request in time.
	ErrNoReply = errors.New("printer did not answer")
	// ErrUnencodable means text has a character the code page lacks.
	ErrUnencodable = errors.New("character not in code page")
	// ErrBadTicket means a ticket field cannot be printed (e.g. a number
	// with characters other than A-Z, 0-9 and '-').
	ErrBadTicket = errors.New("bad ticket")
	// ErrNoStatus means the printer was given no reader, so its status
	// cannot be asked (one-way USB printer-class devices).
	ErrNoStatus = errors.New("printer has no status channel")
)
