package idcard

import (
	"fmt"
	"strings"
	"time"
)

// Parse reads either a card QR payload or an MRZ, whichever text is: a payload
// with '|' separators is a QR, text made of MRZ characters is an MRZ. It
// returns ErrUnrecognised (and a nil Card) for anything else; otherwise as
// ParseQR and ParseMRZ.
func Parse(text string, now time.Time) (*Card, error) {
	trimmed := strings.TrimSpace(strings.TrimPrefix(text, "\uFEFF"))
	switch {
	case strings.Contains(trimmed, "|"):
		return ParseQR(trimmed, now)
	case looksLikeMRZ(trimmed):
		return ParseMRZ(trimmed, now)
	}
	return nil, fmt.Errorf("idcard: %w", ErrUnrecognised)
}

// looksLikeMRZ reports whether text is made of MRZ lines of a known length.
func looksLikeMRZ(text string) bool {
	lines := mrzLines(text)
	if len(lines) == 0 {
		return false
	}
	for _, l := range lines {
		if !isMRZChars(l) || (len(l) != TD1Line && len(l) != TD3Line) {
			return false
		}
	}
	return true
}
