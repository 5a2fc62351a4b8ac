package idcard

import "errors"

// Sentinel errors of the package; test with errors.Is.
var (
	// ErrInvalid means a payload was read as a card but failed a structural
	// check, a check digit or a cross-check; Card.Errors says which.
	ErrInvalid = errors.New("card is not valid")
	// ErrUnrecognised means the input is neither a card QR payload nor an MRZ.
	ErrUnrecognised = errors.New("input is neither a card QR code nor an MRZ")
	// ErrLineTooLong means a reader sent a line longer than MaxLine bytes.
	ErrLineTooLong = errors.New("line too long")
	// ErrIncompleteMRZ means MRZ lines stopped before the whole zone was read.
	ErrIncompleteMRZ = errors.New("incomplete MRZ")
)
