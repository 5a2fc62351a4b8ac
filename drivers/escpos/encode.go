package escpos

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Windows-1258 keeps the five Vietnamese tone marks as separate combining
// characters, written after the (possibly circumflexed, breved or horned)
// base vowel.
var cp1258Tones = map[rune]byte{
	'\u0300': 0xCC, // grave (huyền)
	'\u0301': 0xEC, // acute (sắc)
	'\u0303': 0xDE, // tilde (ngã)
	'\u0309': 0xD2, // hook above (hỏi)
	'\u0323': 0xF2, // dot below (nặng)
}

// EncodeCP1258 encodes s in Windows-1258 as Vietnamese is written in it:
// base letters with their vowel marks precomposed (â ê ô ă ơ ư), tone marks
// as separate bytes after them, "Đà Nẵng" → d0 61 cc 20 4e e3 de 6e 67. It
// returns ErrUnencodable for a character the code page lacks.
func EncodeCP1258(s string) ([]byte, error) {
	runes := []rune(norm.NFD.String(s))
	out := make([]byte, 0, len(runes))
	var keep, tones []rune
	for i := 0; i < len(runes); {
		base := runes[i]
		i++
		keep, tones = append(keep[:0], base), tones[:0]
		for i < len(runes) && unicode.Is(unicode.Mn, runes[i]) {
			if _, ok := cp1258Tones[runes[i]]; ok {
				tones = append(tones, runes[i])
			} else {
				keep = append(keep, runes[i])
			}
			i++
		}
		for _, r := range norm.NFC.String(string(keep)) {
			b, ok := charmap.Windows1258.EncodeRune(r)
			if !ok || (b == 0x1A && r != 0x1A) {
				return nil, fmt.Errorf("escpos: cp1258: %q: %w", r, ErrUnencodable)
			}
			out = append(out, b)
		}
		for _, t := range tones {
			out = append(out, cp1258Tones[t])
		}
	}
	return out, nil
}

// DecodeCP1258 decodes Windows-1258 bytes into NFC text.
func DecodeCP1258(b []byte) string {
	s, err := charmap.Windows1258.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return norm.NFC.String(string(s))
}

// TCVN-3 (TCVN 5712:1993 VN3) code pages on Epson printers.
const (
	PageTCVN3        = 30 // lower-case font: ASCII as is, plus Ă Â Ê Ô Ơ Ư Đ
	PageTCVN3Capital = 31 // capitals font: every letter prints as a capital
)

// tcvn3 maps the precomposed Vietnamese letters of TCVN3 to their bytes.
var tcvn3 = map[rune]byte{
	'Ă': 0xA1, 'Â': 0xA2, 'Ê': 0xA3, 'Ô': 0xA4, 'Ơ': 0xA5, 'Ư': 0xA6, 'Đ': 0xA7,
	'ă': 0xA8, 'â': 0xA9, 'ê': 0xAA, 'ô': 0xAB, 'ơ': 0xAC, 'ư': 0xAD, 'đ': 0xAE,
	'à': 0xB5, 'ả': 0xB6, 'ã': 0xB7, 'á': 0xB8, 'ạ': 0xB9,
	'ằ': 0xBB, 'ẳ': 0xBC, 'ẵ': 0xBD, 'ắ': 0xBE, 'ặ': 0xC6,
	'ầ': 0xC7, 'ẩ': 0xC8, 'ẫ': 0xC9, 'ấ': 0xCA, 'ậ': 0xCB,
	'è': 0xCC, 'ẻ': 0xCE, 'ẽ': 0xCF, 'é': 0xD0, 'ẹ': 0xD1,
	'ề': 0xD2, 'ể': 0xD3, 'ễ': 0xD4, 'ế': 0xD5, 'ệ': 0xD6,
	'ì': 0xD7, 'ỉ': 0xD8, 'ĩ': 0xDC, 'í': 0xDD, 'ị': 0xDE,
	'ò': 0xDF, 'ỏ': 0xE1, 'õ': 0xE2, 'ó': 0xE3, 'ọ': 0xE4,
	'ồ': 0xE5, 'ổ': 0xE6, 'ỗ': 0xE7, 'ố': 0xE8, 'ộ': 0xE9,
	'ờ': 0xEA, 'ở': 0xEB, 'ỡ': 0xEC, 'ớ': 0xED, 'ợ': 0xEE,
	'ù': 0xEF, 'ủ': 0xF1, 'ũ': 0xF2, 'ú': 0xF3, 'ụ': 0xF4,
	'ừ': 0xF5, 'ử': 0xF6, 'ữ': 0xF7, 'ứ': 0xF8, 'ự': 0xF9,
	'ỳ': 0xFA, 'ỷ': 0xFB, 'ỹ': 0xFC, 'ý': 0xFD, 'ỵ': 0xFE,
}

var tcvn3Decode = func() map[byte]rune {
	m := make(map[byte]rune, len(tcvn3))
	for r, b := range tcvn3 {
		m[b] = r
	}
	return m
}()

// EncodeTCVN3 encodes s in TCVN3 and returns the code page to select with
// it: PageTCVN3, or PageTCVN3Capital for a line in capitals whose letters
// carry tones (TCVN3 has no upper-case toned letters; its capitals font
// prints the lower-case codes as capitals). It returns ErrUnencodable for
// mixed-case text with a toned capital, or a character TCVN3 lacks.
func EncodeTCVN3(s string) (page byte, b []byte, err error) {
	s = norm.NFC.String(s)
	page = PageTCVN3
	for _, r := range s {
		if r >= 0x80 && unicode.IsUpper(r) {
			if _, ok := tcvn3[r]; !ok {
				page = PageTCVN3Capital
				break
			}
		}
	}
	if page == PageTCVN3Capital {
		if strings.ToUpper(s) != s {
			return 0, nil, fmt.Errorf("escpos: tcvn3: mixed case with toned capitals: %w", ErrUnencodable)
		}
		s = strings.ToLower(s)
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < 0x80:
			out = append(out, byte(r))
		default:
			c, ok := tcvn3[r]
			if !ok {
				return 0, nil, fmt.Errorf("escpos: tcvn3: %q: %w", r, ErrUnencodable)
			}
			out = append(out, c)
		}
	}
	return page, out, nil
}

// DecodeTCVN3 decodes TCVN3 bytes printed with code page page into NFC text.
func DecodeTCVN3(page byte, b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else if r, ok := tcvn3Decode[c]; ok {
			sb.WriteRune(r)
		} else {
			sb.WriteRune('\uFFFD')
		}
	}
	if page == PageTCVN3Capital {
		return strings.ToUpper(sb.String())
	}
	return sb.String()
}

// asciiFallback spells a few common non-Latin characters in ASCII.
var asciiFallback = map[rune]string{
	'Đ': "D", 'đ': "d", '₫': "d", '“': "\"", '”': "\"", '‘': "'", '’': "'",
	'–': "-", '—': "-", '…': "...", '·': "-", '•': "*", '×': "x", '\u00A0': " ",
}

// ToASCII removes Vietnamese diacritics ("Đà Nẵng" → "Da Nang") and drops
// what has no ASCII spelling; it never produces "?".
func ToASCII(s string) string {
	var sb strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r < 0x80:
			sb.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
		default:
			if a, ok := asciiFallback[r]; ok {
				sb.WriteString(a)
			}
		}
	}
	return sb.String()
}

// isASCII reports whether s needs no code page at all.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
