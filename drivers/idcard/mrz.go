package idcard

import (
	"strings"
	"time"
)

// Lengths of the machine-readable zones this package reads (ICAO Doc 9303).
const (
	TD1Line  = 30 // ID cards: three lines of 30 (Part 5)
	TD1Lines = 3
	TD3Line  = 44 // passports: two lines of 44 (Part 4)
	TD3Lines = 2
)

// CheckDigit computes the ICAO 9303 check digit of s: weights 7, 3, 1
// repeating; digits count as themselves, A–Z as 10–35, and '<' as 0
// (Doc 9303 Part 3, 4.9). It reports false when s has another character.
func CheckDigit(s string) (byte, bool) {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		var v int
		switch ch := s[i]; {
		case ch >= '0' && ch <= '9':
			v = int(ch - '0')
		case ch >= 'A' && ch <= 'Z':
			v = int(ch-'A') + 10
		case ch == '<':
			v = 0
		default:
			return 0, false
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10), true
}

// verify compares the check digit at want with the one computed over field;
// '<' stands for 0 where a field may be left empty.
func (c *Card) verify(name, field string, want byte) {
	got, ok := CheckDigit(field)
	if !ok {
		c.problem("%s has characters outside the MRZ set", name)
		return
	}
	if want == '<' {
		want = '0'
	}
	if got != want {
		c.problem("%s check digit does not match", name)
	}
}

// mrzLines splits text into MRZ lines: one line per text line, or a single
// run of 90 or 88 characters cut into TD1 or TD3 lines.
func mrzLines(text string) []string {
	var lines []string
	for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		l = strings.TrimSpace(l)
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 1 {
		switch l := lines[0]; len(l) {
		case TD1Line * TD1Lines:
			return []string{l[:30], l[30:60], l[60:]}
		case TD3Line * TD3Lines:
			return []string{l[:44], l[44:]}
		}
	}
	return lines
}

func isMRZChars(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '<') {
			return false
		}
	}
	return true
}

// ParseMRZ reads a machine-readable zone: the three 30-character lines of an
// ID card (TD1, as on the back of a CCCD) or the two 44-character lines of a
// passport (TD3). It verifies every check digit and the composite, and on a
// Vietnamese card (issuing state VNM) reads the 12-digit personal number from
// the optional data, checks its own check digit and that the document number
// is its last nine digits. It always returns a Card with what could be read;
// the error is nil exactly when the Card is valid, otherwise it wraps
// ErrInvalid.
func ParseMRZ(text string, now time.Time) (*Card, error) {
	c := &Card{Source: SourceMRZ}
	if len(text) > MaxPayload {
		c.problem("MRZ longer than %d bytes", MaxPayload)
		return c, c.finish(now)
	}
	lines := mrzLines(text)
	for _, l := range lines {
		if !isMRZChars(l) {
			c.problem("MRZ has characters outside A-Z, 0-9 and <")
			return c, c.finish(now)
		}
	}
	switch {
	case len(lines) == TD1Lines && len(lines[0]) == TD1Line && len(lines[1]) == TD1Line && len(lines[2]) == TD1Line:
		c.parseTD1(lines, now)
	case len(lines) == TD3Lines && len(lines[0]) == TD3Line && len(lines[1]) == TD3Line:
		c.parseTD3(lines, now)
	default:
		c.problem("MRZ must be 3 lines of 30 or 2 lines of 44 characters")
	}
	return c, c.finish(now)
}

func (c *Card) parseTD1(l []string, now time.Time) {
	l1, l2, l3 := l[0], l[1], l[2]
	c.DocumentCode = strings.TrimRight(l1[0:2], "<")
	c.IssuingState = strings.TrimRight(l1[2:5], "<")
	if c.DocumentCode == "" || (l1[0] != 'I' && l1[0] != 'A' && l1[0] != 'C') {
		c.problem("document code must start with I, A or C")
	}
	docNum, docCheck, opt1 := l1[5:14], l1[14], l1[15:30]
	if docCheck == '<' && strings.TrimRight(opt1, "<") != "" {
		// Long document number: its end and check digit run into the
		// optional data, up to the first filler (Doc 9303 Part 5, 4.2.4).
		rest := opt1
		if i := strings.IndexByte(rest, '<'); i >= 0 {
			rest = rest[:i]
		}
		if len(rest) >= 2 {
			c.verify("document number", docNum+rest[:len(rest)-1], rest[len(rest)-1])
			docNum += rest[:len(rest)-1]
		} else {
			c.problem("document number check digit is missing")
		}
	} else {
		c.verify("document number", docNum, docCheck)
	}
	c.DocumentNumber = strings.TrimRight(docNum, "<")
	c.readDatesAndSex(l2[0:6], l2[6], l2[7], l2[8:14], l2[14], now)
	c.Nationality = strings.TrimRight(l2[15:18], "<")
	c.verify("composite", l1[5:30]+l2[0:7]+l2[8:15]+l2[18:29], l2[29])
	c.Name = mrzName(l3)
	if c.Name == "" {
		c.problem("name is empty")
	}
	if c.IssuingState == "VNM" {
		c.readVietnameseNumber(opt1)
	}
}

// readVietnameseNumber reads the optional data of line 1 of a CCCD: the 12
// digits of the personal number, two fillers, and a check digit over them.
func (c *Card) readVietnameseNumber(opt1 string) {
	number := opt1[0:12]
	if !allDigits(number) {
		c.problem("personal number in the MRZ must be 12 digits")
		return
	}
	c.verify("personal number", number, opt1[14])
	c.IDNumber = number
	if c.DocumentNumber != number[3:] {
		c.problem("document number is not the last nine digits of the personal number")
	}
	if c.DocumentCode != "ID" {
		c.problem("document code of a Vietnamese ID card must be ID")
	}
	if c.Nationality != "VNM" {
		c.problem("nationality of a Vietnamese ID card must be VNM")
	}
}

func (c *Card) parseTD3(l []string, now time.Time) {
	l1, l2 := l[0], l[1]
	c.DocumentCode = strings.TrimRight(l1[0:2], "<")
	if l1[0] != 'P' {
		c.problem("document code of a passport must start with P")
	}
	c.IssuingState = strings.TrimRight(l1[2:5], "<")
	c.Name = mrzName(l1[5:44])
	if c.Name == "" {
		c.problem("name is empty")
	}
	c.verify("document number", l2[0:9], l2[9])
	c.DocumentNumber = strings.TrimRight(l2[0:9], "<")
	c.Nationality = strings.TrimRight(l2[10:13], "<")
	c.readDatesAndSex(l2[13:19], l2[19], l2[20], l2[21:27], l2[27], now)
	c.verify("personal number", l2[28:42], l2[42])
	c.verify("composite", l2[0:10]+l2[13:20]+l2[21:43], l2[43])
}

func (c *Card) readDatesAndSex(birth string, birthCheck, sex byte, expiry string, expiryCheck byte, now time.Time) {
	c.verify("birth date", birth, birthCheck)
	c.verify("expiry date", expiry, expiryCheck)
	switch sex {
	case 'M':
		c.Sex = Male
	case 'F':
		c.Sex = Female
	case '<', 'X':
		c.Sex = Unknown
	default:
		c.problem("sex must be M, F or <")
	}
	if d, ok := mrzDate(birth, birthCentury(birth, now)); ok {
		c.BirthDate = d
	} else {
		c.problem("birth date is not a date in YYMMDD")
	}
	if expiry == "<<<<<<" {
		return // no expiry (cards of people aged 60 and over)
	}
	if d, ok := mrzDate(expiry, expiryCentury(expiry, now)); ok {
		c.ExpiryDate = d
	} else {
		c.problem("expiry date is not a date in YYMMDD")
	}
}

// birthCentury picks the century of a YYMMDD birth date: the latest that does
// not put the birth in the future. The personal number, when present, is
// checked against it afterwards.
func birthCentury(yymmdd string, now time.Time) int {
	if !allDigits(yymmdd) {
		return 1900
	}
	yy := atoi(yymmdd[0:2])
	century := now.Year() / 100 * 100
	if d, ok := validDate(century+yy, atoi(yymmdd[2:4]), atoi(yymmdd[4:6])); ok && !DateOf(now).Before(d) {
		return century
	}
	return century - 100
}

// expiryCentury picks the century of a YYMMDD expiry date that puts it
// within 50 years of now, as a document is valid for at most a few decades.
func expiryCentury(yymmdd string, now time.Time) int {
	century := now.Year() / 100 * 100
	if !allDigits(yymmdd) {
		return century
	}
	switch y := century + atoi(yymmdd[0:2]); {
	case y > now.Year()+50:
		return century - 100
	case y < now.Year()-50:
		return century + 100
	}
	return century
}

func mrzDate(yymmdd string, century int) (Date, bool) {
	if len(yymmdd) != 6 || !allDigits(yymmdd) {
		return Date{}, false
	}
	return validDate(century+atoi(yymmdd[0:2]), atoi(yymmdd[2:4]), atoi(yymmdd[4:6]))
}

// mrzName turns "NGUYEN<<VAN<AN<<<" into "NGUYEN VAN AN": primary identifier
// first, then the secondary, fillers as spaces.
func mrzName(s string) string {
	s = strings.TrimRight(s, "<")
	primary, secondary, _ := strings.Cut(s, "<<")
	name := strings.ReplaceAll(primary, "<", " ") + " " + strings.ReplaceAll(secondary, "<", " ")
	return strings.Join(strings.Fields(name), " ")
}
