package chip

import (
	"errors"
	"fmt"
	"strings"

	"xephang/drivers/idcard"
)

// ErrNoKey is a card read that does not give what the chip's access key
// needs; the error wrapping it says what is missing.
var ErrNoKey = errors.New("chip: the card read does not give the chip's access key")

// mrzKey is what BAC's key seed is made of (Doc 9303 Part 11, 9.7.2): the
// document number as in the MRZ and the birth and expiry dates as YYMMDD
// ("<<<<<<" for a card that does not expire, as its MRZ prints it).
func mrzKey(c *idcard.Card) (number, birth, expiry string, err error) {
	if c == nil {
		return "", "", "", fmt.Errorf("%w: no card was read", ErrNoKey)
	}
	var missing []string
	number = c.DocumentNumber
	if number == "" && len(c.IDNumber) == 12 && digits(c.IDNumber) {
		// A CCCD's MRZ carries the personal number's last nine digits
		// as its document number (idcard.ParseMRZ checks it is so).
		number = c.IDNumber[3:]
	}
	if number == "" {
		missing = append(missing, "the document number (the 12-digit personal number, or the MRZ)")
	}
	if c.BirthDate.IsZero() {
		missing = append(missing, "the birth date")
	} else {
		birth = yymmdd(c.BirthDate)
	}
	switch {
	case !c.ExpiryDate.IsZero():
		expiry = yymmdd(c.ExpiryDate)
	case c.Source == idcard.SourceMRZ && c.Valid:
		expiry = "<<<<<<" // the MRZ said the card does not expire
	case c.Source == idcard.SourceQR && !c.IssueDate.IsZero() && !c.BirthDate.IsZero():
		// Issued from 58 on, the card does not expire (idcard derives no
		// expiry): its MRZ says so with fillers.
		expiry = "<<<<<<"
	case c.Source == idcard.SourceQR:
		missing = append(missing, "the expiry date (the QR carries no issue date to derive it from: read the MRZ on the back, or type the expiry)")
	default:
		missing = append(missing, "the expiry date")
	}
	if len(missing) > 0 {
		return "", "", "", fmt.Errorf("%w: missing %s", ErrNoKey, strings.Join(missing, ", "))
	}
	for len(number) < 9 {
		number += "<"
	}
	return number, birth, expiry, nil
}

func yymmdd(d idcard.Date) string {
	return fmt.Sprintf("%02d%02d%02d", d.Year%100, int(d.Month), d.Day)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Fold puts a name in the form an MRZ writes it: diacritics removed (đ is
// d), upper case, single spaces. Two reads of one card give the same
// folded name whatever side they come from.
func Fold(s string) string {
	return strings.Join(strings.Fields(strings.ToUpper(idcard.Unmark(s))), " ")
}

// mrzNameRoom is the room a TD1 MRZ has for the name (line 3): a longer
// name is cut there, so the MRZ's is then a prefix of the chip's.
const mrzNameRoom = 30

// sameName compares the chip's name with an optical read's, folded; an
// MRZ's name that filled its line may be cut short.
func sameName(chip string, optical *idcard.Card) bool {
	a, b := Fold(chip), Fold(optical.Name)
	if a == b {
		return true
	}
	// "NGUYEN<<VAN<AN" took len(words)+1 characters more than its letters.
	if optical.Source == idcard.SourceMRZ && len(b)+1 >= mrzNameRoom-1 {
		return strings.HasPrefix(a, b)
	}
	return false
}

// mismatches are the fields the chip's card and an optical read of the
// same card disagree on, by their JSON names; a field one of them lacks
// is not compared.
func mismatches(chip, optical *idcard.Card) []string {
	out := []string{}
	if chip == nil || optical == nil {
		return out
	}
	if chip.IDNumber != "" && optical.IDNumber != "" && chip.IDNumber != optical.IDNumber {
		out = append(out, "id_number")
	}
	if chip.Name != "" && optical.Name != "" && !sameName(chip.Name, optical) {
		out = append(out, "name")
	}
	if !chip.BirthDate.IsZero() && !optical.BirthDate.IsZero() && chip.BirthDate != optical.BirthDate {
		out = append(out, "birth_date")
	}
	if chip.Sex != idcard.Unknown && optical.Sex != idcard.Unknown && chip.Sex != optical.Sex {
		out = append(out, "sex")
	}
	// A QR without an expiry says nothing of it; an MRZ without one says
	// the card does not expire, which the chip must say too.
	if (!optical.ExpiryDate.IsZero() || optical.Source == idcard.SourceMRZ) && chip.ExpiryDate != optical.ExpiryDate {
		out = append(out, "expiry_date")
	}
	return out
}
