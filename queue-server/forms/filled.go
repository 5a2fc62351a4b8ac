package forms

import (
	"time"

	"golang.org/x/text/unicode/norm"
)

// Person is what a card or a booking tells about the citizen: plain
// strings, dates YYYY-MM-DD, sex M or F, empty when not known.
type Person struct {
	IDNumber, OldIDNumber, Name, BirthDate, Sex, Address, IssueDate, ExpiryDate, Phone string
}

// attr is the person's value for a source's attribute (the part after
// "card." or "booking.").
func (p Person) attr(a string) string {
	switch a {
	case "id_number":
		return p.IDNumber
	case "old_id_number":
		return p.OldIDNumber
	case "name":
		return p.Name
	case "birth_date":
		return p.BirthDate
	case "sex":
		return p.Sex
	case "address":
		return p.Address
	case "issue_date":
		return p.IssueDate
	case "expiry_date":
		return p.ExpiryDate
	case "phone":
		return p.Phone
	}
	return ""
}

// Filled is a form with values: what the kiosk, the booking page and the
// server keep and exchange.
type Filled struct {
	Procedure string            `json:"procedure"`
	Version   string            `json:"version"`
	Values    map[string]string `json:"values"`
	Sources   map[string]string `json:"sources,omitempty"` // field → "card" | "booking" (prefilled, untouched)
}

// Prefill returns the values, in NFC, of the fields whose source the person
// carries; from ("card" or "booking") says where the person was read. The
// source names the usual origin of a value ("card.name", "booking.phone"),
// and a field takes the person's value of the same kind whatever the
// person came from: a booking's name fills the card.name field of a form
// opened at home, where no card is. A field with source_sex is filled only
// from a person of that sex (the bride's or the groom's side); "today" is
// today's date. Date-in-words fields follow the dates filled.
func (f *Form) Prefill(p Person, from string, today time.Time) map[string]string {
	_ = from // the person's values are the same whichever the origin; from is for the caller's Sources
	out := map[string]string{}
	for _, fd := range f.fields() {
		var v string
		switch {
		case fd.Source == "":
			continue
		case fd.Source == "today":
			v = today.Format(time.DateOnly)
		case fd.SourceSex != "" && fd.SourceSex != p.Sex:
			continue
		default:
			_, a, _ := cut(fd.Source, '.')
			v = p.attr(a)
		}
		if v = norm.NFC.String(v); v != "" {
			out[fd.Name] = v
		}
	}
	for _, fd := range f.fields() {
		if fd.Type == TypeDateWords {
			if d, err := time.Parse(time.DateOnly, out[fd.From]); err == nil {
				out[fd.Name] = DateWords(d)
			}
		}
	}
	return out
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
