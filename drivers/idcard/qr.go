package idcard

import (
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxPayload is the longest QR payload or MRZ text accepted, in bytes; a
// card's QR holds well under 300.
const MaxPayload = 1024

// qrFields is the number of fields every card QR carries; newer cards may
// add more after them.
const qrFields = 7

// ParseQR reads the payload of the QR code on the front of a card:
//
//	CCCD|CMND|Họ tên|ddmmyyyy|Nam/Nữ|Nơi thường trú|ddmmyyyy
//
// The old CMND number may be empty and extra trailing fields are ignored.
// It always returns a Card with what could be read; the error is nil exactly
// when the Card is valid, otherwise it wraps ErrInvalid. now gives today's
// date for the expiry and future-date checks.
func ParseQR(payload string, now time.Time) (*Card, error) {
	c := &Card{Source: SourceQR}
	payload = strings.TrimPrefix(payload, "\uFEFF")
	payload = strings.TrimRight(payload, "\r\n")
	switch {
	case len(payload) > MaxPayload:
		c.problem("QR payload longer than %d bytes", MaxPayload)
		return c, c.finish(now)
	case !utf8.ValidString(payload):
		c.problem("QR payload is not UTF-8")
		return c, c.finish(now)
	}
	fields := strings.Split(payload, "|")
	if len(fields) < qrFields {
		c.problem("QR payload has %d fields, want at least %d", len(fields), qrFields)
		return c, c.finish(now)
	}
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}

	c.IDNumber = fields[0]
	if old := fields[1]; old != "" {
		c.OldIDNumber = old
		if !allDigits(old) || (len(old) != 9 && len(old) != 12) {
			c.problem("old ID number must be 9 or 12 digits")
		}
	}
	c.Name = cleanName(fields[2])
	if !plausibleName(c.Name) {
		c.problem("name is empty or has characters other than letters")
	}
	if d, ok := parseDDMMYYYY(fields[3]); ok {
		c.BirthDate = d
	} else {
		c.problem("birth date is not a date in ddmmyyyy")
	}
	switch sexWord(fields[4]) {
	case "nam", "male", "m":
		c.Sex = Male
	case "nữ", "nu", "female", "f":
		c.Sex = Female
	default:
		c.problem("sex must be Nam or Nữ")
	}
	c.Address = cleanName(fields[5])
	if fields[6] != "" {
		if d, ok := parseDDMMYYYY(fields[6]); ok {
			c.IssueDate = d
			if !c.BirthDate.IsZero() && d.Before(c.BirthDate) {
				c.problem("issue date is before the birth date")
			}
			if DateOf(now).Before(d) {
				c.problem("issue date is in the future")
			}
		} else {
			c.problem("issue date is not a date in ddmmyyyy")
		}
	} else {
		c.problem("issue date is missing")
	}
	return c, c.finish(now)
}

func sexWord(s string) string {
	return strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))
}

func parseDDMMYYYY(s string) (Date, bool) {
	if len(s) != 8 || !allDigits(s) {
		return Date{}, false
	}
	d := atoi(s[0:2])
	m := atoi(s[2:4])
	y := atoi(s[4:8])
	if y < 1850 {
		return Date{}, false
	}
	return validDate(y, m, d)
}

// atoi converts a string already known to be ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
