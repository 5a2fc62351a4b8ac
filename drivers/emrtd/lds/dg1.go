package lds

import (
	"fmt"
	"strings"
)

// ParseDG1 reads DG1 and returns the MRZ, its lines joined by "\n" (TD1: 3
// lines of 30; TD2: 2 of 36; TD3: 2 of 44).
func ParseDG1(b []byte) (mrz string, err error) {
	v, err := outer(b, tagDG1, "DG1")
	if err != nil {
		return "", err
	}
	elems, err := readAll(v)
	if err != nil {
		return "", fmt.Errorf("lds: DG1: %w", err)
	}
	raw, ok := find(elems, 0x5F1F)
	if !ok {
		return "", fmt.Errorf("lds: DG1: no MRZ (5F1F)")
	}
	for _, c := range raw {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<') {
			return "", fmt.Errorf("lds: DG1: a character outside the MRZ set")
		}
	}
	width := 0
	switch len(raw) {
	case 90:
		width = 30
	case 72:
		width = 36
	case 88:
		width = 44
	default:
		return "", fmt.Errorf("lds: DG1: MRZ of %d characters (want 90, 72 or 88)", len(raw))
	}
	lines := make([]string, 0, 3)
	for i := 0; i < len(raw); i += width {
		lines = append(lines, string(raw[i:i+width]))
	}
	return strings.Join(lines, "\n"), nil
}

// BuildDG1 makes DG1 holding mrz (its lines joined by "\n", or not).
func BuildDG1(mrz string) []byte {
	flat := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, mrz)
	return tlvBytes(tagDG1, tlvBytes(0x5F1F, []byte(flat)))
}
