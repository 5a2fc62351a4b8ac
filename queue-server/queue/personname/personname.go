// Package personname says what a person's name is, for every place a name
// enters Xếp Hàng: a citizen's full name in a booking (online, staff or
// kiosk), the name read from an ID card. One rule, so that what a form
// accepts the card reader accepts too, and nothing else gets in.
//
// A name is letters of any script (Vietnamese with its diacritics, in
// precomposed or combining form), spaces and the marks ' ’ - . found in
// names; it begins with a letter; it is stored in NFC with single spaces,
// 2 to 100 characters long. Refused: digits, control characters (CR, LF,
// tab…), invisible formatting characters (bidirectional overrides and
// isolates, zero-width joiners and spaces, soft hyphens), invisible
// "letters" (Hangul fillers), more than two combining marks on a letter,
// a mark with no letter before it, and any other symbol.
package personname

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Length bounds of a name, in characters (runes, after NFC).
const (
	MinLength = 2
	MaxLength = 100
)

// maxMarks bounds the combining marks on one letter once in NFC: Vietnamese
// needs at most two (ệ is e, circumflex, dot below) and NFC composes those.
const maxMarks = 2

// Error says why a text is not a name, in English and Vietnamese.
type Error struct {
	EN, VI string
}

func (e *Error) Error() string { return "personname: " + e.EN }

func errorf(en, vi string, args ...any) *Error {
	return &Error{EN: fmt.Sprintf(en, args...), VI: fmt.Sprintf(vi, args...)}
}

// punctuation is what a name may hold besides letters, marks and spaces.
const punctuation = "'’-."

// invisibleLetters are letters (by their Unicode category) that show
// nothing: a name of them only would look empty.
var invisibleLetters = map[rune]bool{0x115F: true, 0x1160: true, 0x3164: true, 0xFFA0: true}

// Parse returns s as a name in its canonical form (NFC, trimmed, inner
// spaces collapsed to one; any Unicode space counts as one), or an *Error
// saying why it is not one.
func Parse(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errorf("the text is not valid UTF-8", "văn bản không phải UTF-8 hợp lệ")
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	var b strings.Builder
	const (
		start = iota
		letter
		mark
		space
		punct
	)
	prev, marks, letters := start, 0, 0
	for _, r := range s {
		switch {
		case invisibleLetters[r]:
			return "", errorf("invisible character U+%04X", "có ký tự ẩn U+%04X", r)
		case unicode.IsLetter(r):
			prev, marks = letter, 0
			letters++
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
			if r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF {
				return "", errorf("invisible character U+%04X", "có ký tự ẩn U+%04X", r)
			}
			if prev != letter && prev != mark {
				return "", errorf("a diacritic (U+%04X) with no letter before it", "có dấu (U+%04X) không đi kèm chữ cái nào", r)
			}
			if marks++; marks > maxMarks {
				return "", errorf("more than %d diacritics on one letter", "một chữ cái có quá %d dấu", maxMarks)
			}
			prev = mark
			b.WriteRune(r)
		case r == ' ' || unicode.Is(unicode.Zs, r):
			if prev != space {
				b.WriteByte(' ')
			}
			prev = space
		case strings.ContainsRune(punctuation, r):
			if prev == start {
				return "", errorf("it must begin with a letter", "phải bắt đầu bằng chữ cái")
			}
			prev = punct
			b.WriteRune(r)
		case unicode.IsDigit(r) || unicode.IsNumber(r):
			return "", errorf("digits are not part of a name", "họ tên không có chữ số")
		case unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			return "", errorf("control character U+%04X (such as a line break or a tab)", "có ký tự điều khiển U+%04X (như xuống dòng hay tab)", r)
		case unicode.Is(unicode.Cf, r):
			return "", errorf("invisible formatting character U+%04X (such as a right-to-left override)", "có ký tự định dạng ẩn U+%04X (như ký tự đảo chiều chữ)", r)
		default:
			return "", errorf("character %q (U+%04X) is not used in names: letters, spaces and %s only", "ký tự %[1]q (U+%04[2]X) không dùng trong họ tên: chỉ dùng chữ cái, dấu cách và các dấu %[3]s", r, r, "' ’ - .")
		}
	}
	name := b.String()
	if letters == 0 {
		return "", errorf("a name needs letters", "họ tên phải có chữ cái")
	}
	if n := utf8.RuneCountInString(name); n < MinLength || n > MaxLength {
		return "", errorf("%d to %d characters", "từ %d đến %d ký tự", MinLength, MaxLength)
	}
	return name, nil
}

// Valid reports whether s is a name (in any form Parse accepts).
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}
