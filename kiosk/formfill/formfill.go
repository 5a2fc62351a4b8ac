// Package formfill turns what the kiosk read from an ID card into the
// person a form is prefilled from (forms.Person), and implements the
// technician's `kioskd form`: a card's payload in, the procedure's tờ khai
// filled from it out, as the official PDF.
package formfill

import (
	"golang.org/x/text/unicode/norm"

	"xephang/drivers/idcard"
	"xephang/queue-server/forms"
)

// Person is the card's holder as forms know a person: the name as on the
// card (NFC; capitals without diacritics when read from an MRZ), dates
// YYYY-MM-DD, sex M or F. A nil card is nobody.
func Person(c *idcard.Card) forms.Person {
	if c == nil {
		return forms.Person{}
	}
	return forms.Person{
		IDNumber:    c.IDNumber,
		OldIDNumber: c.OldIDNumber,
		Name:        norm.NFC.String(c.Name),
		BirthDate:   c.BirthDate.String(),
		Sex:         string(c.Sex),
		Address:     norm.NFC.String(c.Address),
		IssueDate:   c.IssueDate.String(),
		ExpiryDate:  c.ExpiryDate.String(),
	}
}
