package lds

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// DG13 is Vietnam's data group 13: the holder's data in Vietnamese (UTF-8,
// with diacritics) as numbered fields. The named fields are the known
// numbers (see the package documentation); Fields keeps every field read,
// unknown numbers too, in the chip's order.
type DG13 struct {
	IDNumber    string // 1: số định danh cá nhân (12 digits)
	Name        string // 2: họ, chữ đệm và tên
	BirthDate   string // 3: DD/MM/YYYY as on the chip
	Sex         string // 4: "Nam" or "Nữ"
	Nationality string // 5
	Ethnicity   string // 6
	Religion    string // 7
	Origin      string // 8: quê quán
	Residence   string // 9: nơi thường trú
	Marks       string // 10: đặc điểm nhận dạng
	IssueDate   string // 11: DD/MM/YYYY
	ExpiryDate  string // 12: DD/MM/YYYY, or a word when the card does not expire
	Father      string // 13, first value
	Mother      string // 13, second value
	Spouse      string // 14
	OldIDNumber string // 15: the 9-digit CMND number, when the holder had one
	Fields      []Field
}

// Field is one numbered field of DG13 and its string values.
type Field struct {
	Number int
	Values []string
}

// DG13 field numbers.
const (
	fieldIDNumber = iota + 1
	fieldName
	fieldBirthDate
	fieldSex
	fieldNationality
	fieldEthnicity
	fieldReligion
	fieldOrigin
	fieldResidence
	fieldMarks
	fieldIssueDate
	fieldExpiryDate
	fieldParents
	fieldSpouse
	fieldOldIDNumber
)

// ASN.1 universal tags of the strings a field may hold.
var stringTags = []uint32{0x0C /* UTF8String */, 0x13 /* PrintableString */, 0x16 /* IA5String */, 0x04 /* OCTET STRING */, 0x14 /* T61String */}

// ParseDG13 reads DG13 (tag 6D). Every SEQUENCE whose first element is an
// INTEGER is a field: the INTEGER is its number, the strings after it (at
// any depth: the parents' names are nested) are its values, normalised to
// NFC. Other SEQUENCEs are looked into, other elements skipped, so a
// wrapper around the fields is read as well.
func ParseDG13(b []byte) (*DG13, error) {
	v, err := outer(b, tagDG13, "DG13")
	if err != nil {
		return nil, err
	}
	d := &DG13{}
	if err := walkDG13(v, d, 0); err != nil {
		return nil, fmt.Errorf("lds: DG13: %w", err)
	}
	if len(d.Fields) == 0 {
		return nil, fmt.Errorf("lds: DG13: no numbered field")
	}
	for _, f := range d.Fields {
		d.set(f)
	}
	return d, nil
}

func walkDG13(b []byte, d *DG13, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested too deeply")
	}
	elems, err := readAll(b)
	if err != nil {
		return err
	}
	for _, e := range elems {
		if !e.constructed {
			continue
		}
		inner, err := readAll(e.value)
		if err != nil {
			return err
		}
		if len(inner) > 0 && inner[0].tag == 0x02 {
			n, ok := smallInt(inner[0].value)
			if !ok {
				return fmt.Errorf("field number out of range")
			}
			f := Field{Number: n}
			if err := fieldStrings(inner[1:], &f.Values, depth+1); err != nil {
				return err
			}
			d.Fields = append(d.Fields, f)
			continue
		}
		if err := walkDG13(e.value, d, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// fieldStrings appends the strings among elems (depth first) to out.
func fieldStrings(elems []tlv, out *[]string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested too deeply")
	}
	for _, e := range elems {
		switch {
		case slices.Contains(stringTags, e.tag):
			if !utf8.Valid(e.value) {
				return fmt.Errorf("a value is not UTF-8")
			}
			*out = append(*out, norm.NFC.String(string(e.value)))
		case e.constructed:
			inner, err := readAll(e.value)
			if err != nil {
				return err
			}
			if err := fieldStrings(inner, out, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// smallInt reads a non-negative DER INTEGER below 2^24.
func smallInt(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 4 || b[0]&0x80 != 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		n = n<<8 | int(c)
	}
	return n, n < 1<<24
}

// set fills the named field f stands for (the first occurrence wins).
func (d *DG13) set(f Field) {
	first := func(i int) string {
		if i < len(f.Values) {
			return f.Values[i]
		}
		return ""
	}
	put := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	switch f.Number {
	case fieldIDNumber:
		put(&d.IDNumber, first(0))
	case fieldName:
		put(&d.Name, first(0))
	case fieldBirthDate:
		put(&d.BirthDate, first(0))
	case fieldSex:
		put(&d.Sex, first(0))
	case fieldNationality:
		put(&d.Nationality, first(0))
	case fieldEthnicity:
		put(&d.Ethnicity, first(0))
	case fieldReligion:
		put(&d.Religion, first(0))
	case fieldOrigin:
		put(&d.Origin, first(0))
	case fieldResidence:
		put(&d.Residence, first(0))
	case fieldMarks:
		put(&d.Marks, first(0))
	case fieldIssueDate:
		put(&d.IssueDate, first(0))
	case fieldExpiryDate:
		put(&d.ExpiryDate, first(0))
	case fieldParents:
		put(&d.Father, first(0))
		put(&d.Mother, first(1))
	case fieldSpouse:
		put(&d.Spouse, first(0))
	case fieldOldIDNumber:
		put(&d.OldIDNumber, first(0))
	}
}

// BuildDG13 makes DG13 in the layout ParseDG13 reads: tag 6D around one
// SEQUENCE { INTEGER number, UTF8String value } per field, fields 1 to 15
// from the named fields (empty ones left out), the parents as
// SEQUENCE { INTEGER 13, SEQUENCE { UTF8String father }, SEQUENCE {
// UTF8String mother } }, then the Fields whose numbers are not named (or
// all of Fields, in their order, when the named fields are all empty).
func BuildDG13(d DG13) []byte {
	named := []struct {
		n int
		v string
	}{
		{fieldIDNumber, d.IDNumber}, {fieldName, d.Name}, {fieldBirthDate, d.BirthDate}, {fieldSex, d.Sex},
		{fieldNationality, d.Nationality}, {fieldEthnicity, d.Ethnicity}, {fieldReligion, d.Religion},
		{fieldOrigin, d.Origin}, {fieldResidence, d.Residence}, {fieldMarks, d.Marks},
		{fieldIssueDate, d.IssueDate}, {fieldExpiryDate, d.ExpiryDate},
	}
	var body []byte
	any := false
	for _, f := range named {
		if f.v != "" {
			body = append(body, fieldBytes(f.n, f.v)...)
			any = true
		}
	}
	if d.Father != "" || d.Mother != "" {
		body = appendTLV(body, 0x30, slices.Concat(intBytes(fieldParents),
			tlvBytes(0x30, tlvBytes(0x0C, []byte(d.Father))),
			tlvBytes(0x30, tlvBytes(0x0C, []byte(d.Mother)))))
		any = true
	}
	for _, f := range []struct {
		n int
		v string
	}{{fieldSpouse, d.Spouse}, {fieldOldIDNumber, d.OldIDNumber}} {
		if f.v != "" {
			body = append(body, fieldBytes(f.n, f.v)...)
			any = true
		}
	}
	for _, f := range d.Fields {
		if any && f.Number >= fieldIDNumber && f.Number <= fieldOldIDNumber {
			continue
		}
		body = append(body, fieldBytes(f.Number, f.Values...)...)
	}
	return tlvBytes(tagDG13, body)
}

func fieldBytes(n int, values ...string) []byte {
	v := intBytes(n)
	for _, s := range values {
		v = appendTLV(v, 0x0C, []byte(s))
	}
	return tlvBytes(0x30, v)
}

// intBytes is a DER INTEGER of a non-negative n.
func intBytes(n int) []byte {
	var v []byte
	for x := n; ; x >>= 8 {
		v = append([]byte{byte(x)}, v...)
		if x < 0x80 {
			break
		}
	}
	return tlvBytes(0x02, v)
}
