package queue

import "strings"

// BookingCodeAlphabet is the symbols of a booking code: no 0/O, 1/I, as
// codes are read aloud and typed from paper.
const BookingCodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// BookingCodeLen is the length of a booking code (40 bits).
const BookingCodeLen = 8

// NormBookingCode accepts a code typed or scanned with spaces, dashes or
// lower case: "7kq2-m9xd" → "7KQ2M9XD".
func NormBookingCode(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
}

// ValidBookingCode reports whether s (normalised) has the shape of a
// booking code: BookingCodeLen symbols of BookingCodeAlphabet.
func ValidBookingCode(s string) bool {
	if len(s) != BookingCodeLen {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(BookingCodeAlphabet, r) {
			return false
		}
	}
	return true
}
