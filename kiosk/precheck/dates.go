package precheck

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"xephang/drivers/idcard"
)

// digitWords are the folded (diacritic-free) Vietnamese words for 0–9, with
// the variants forms use: mốt (1 after mươi), tư (4), lăm (5 after mười).
var digitWords = map[string]int{
	"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
	"sau": 6, "bay": 7, "tam": 8, "chin": 9,
}

// ParseNumberWords reads a number from 0 to 9999 written in Vietnamese words
// ("hai nghìn không trăm hai mươi lăm"), with or without diacritics.
func ParseNumberWords(s string) (int, bool) {
	toks := strings.Fields(Fold(strings.NewReplacer(",", " ", ".", " ", "-", " ").Replace(s)))
	if len(toks) == 0 || len(toks) > 16 {
		return 0, false
	}
	p := numParser{toks: toks}
	n, ok := p.number()
	return n, ok && p.i == len(toks)
}

type numParser struct {
	toks []string
	i    int
}

func (p *numParser) peek(k int) string {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return ""
}

func (p *numParser) digit() (int, bool) {
	d, ok := digitWords[p.peek(0)]
	if ok {
		p.i++
	}
	return d, ok
}

// number: [digit "nghin"] [digit "tram"] [tens]
func (p *numParser) number() (int, bool) {
	n, any := 0, false
	if _, ok := digitWords[p.peek(0)]; ok && (p.peek(1) == "nghin" || p.peek(1) == "ngan") {
		d, _ := p.digit()
		p.i++
		n += d * 1000
		any = true
	}
	if _, ok := digitWords[p.peek(0)]; ok && p.peek(1) == "tram" {
		d, _ := p.digit()
		p.i++
		n += d * 100
		any = true
		if d == 0 && p.i == len(p.toks) {
			return 0, false // "không trăm" is followed by the rest of the number
		}
	}
	if any && (p.peek(0) == "linh" || p.peek(0) == "le") {
		p.i++
		d, ok := p.digit()
		if !ok || d == 0 {
			return 0, false
		}
		return n + d, true
	}
	before := p.i
	t, ok := p.tens()
	if !ok {
		return n, any && p.i == len(p.toks)
	}
	if any && p.i == before+1 && t < 10 {
		return 0, false // after hundreds a lone digit needs "linh": "không trăm linh hai"
	}
	return n + t, true
}

// tens reads 0–99: "mười [digit]", "digit mươi [digit]", "digit".
func (p *numParser) tens() (int, bool) {
	if p.peek(0) == "muoi" {
		p.i++
		if d, ok := p.digit(); ok {
			if d == 0 || d == 4 && p.toks[p.i-1] == "tu" {
				return 0, false // "mười không", "mười tư" is not how 10 or 14 are written
			}
			return 10 + d, true
		}
		return 10, true
	}
	d, ok := p.digit()
	if !ok {
		return 0, false
	}
	if p.peek(0) != "muoi" {
		return d, true
	}
	if d < 2 {
		return 0, false
	}
	p.i++
	if u, ok := p.digit(); ok {
		if u == 0 {
			return 0, false
		}
		return d*10 + u, true
	}
	return d * 10, true
}

var ones = []string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// NumberWords writes n (0–9999) in Vietnamese words, as forms do:
// 15 "mười lăm", 21 "hai mươi mốt", 24 "hai mươi tư", 2005 "hai nghìn không
// trăm linh năm".
func NumberWords(n int) string {
	if n < 0 || n > 9999 {
		return strconv.Itoa(n)
	}
	var w []string
	th, h, rest := n/1000, n/100%10, n%100
	if th > 0 {
		w = append(w, ones[th], "nghìn")
	}
	if th > 0 || h > 0 {
		if th > 0 && h == 0 && rest == 0 {
			return strings.Join(w, " ")
		}
		w = append(w, ones[h], "trăm")
		if rest == 0 {
			return strings.Join(w, " ")
		}
		if rest < 10 {
			return strings.Join(append(w, "linh", ones[rest]), " ")
		}
	}
	t, u := rest/10, rest%10
	switch {
	case t == 0:
		w = append(w, ones[u])
	case t == 1:
		w = append(w, "mười")
		if u == 5 {
			w = append(w, "lăm")
		} else if u > 0 {
			w = append(w, ones[u])
		}
	default:
		w = append(w, ones[t], "mươi")
		switch u {
		case 0:
		case 1:
			w = append(w, "mốt")
		case 4:
			w = append(w, "tư")
		case 5:
			w = append(w, "lăm")
		default:
			w = append(w, ones[u])
		}
	}
	return strings.Join(w, " ")
}

// DateWords writes a date the way forms spell it out: "ngày mười lăm tháng
// ba năm hai nghìn không trăm hai mươi lăm".
func DateWords(d idcard.Date) string {
	return fmt.Sprintf("ngày %s tháng %s năm %s", NumberWords(d.Day), NumberWords(int(d.Month)), NumberWords(d.Year))
}

// ParseDateWords reads a date written in words, "ngày … tháng … năm …",
// with or without tone marks (OCR loses them; "năm" the year and "năm" five
// fold to the same word, so every split is tried). Months may also be
// written "giêng" (1) and "chạp" (12).
func ParseDateWords(s string) (idcard.Date, bool) {
	f := Fold(strings.NewReplacer(",", " ", ".", " ", ":", " ", "-", " ").Replace(s))
	toks := strings.Fields(f)
	if len(toks) > 40 {
		return idcard.Date{}, false
	}
	// Drop anything before "ngay".
	start := slices.Index(toks, "ngay")
	if start < 0 {
		return idcard.Date{}, false
	}
	toks = toks[start+1:]
	m := slices.Index(toks, "thang")
	if m < 1 {
		return idcard.Date{}, false
	}
	day, ok := ParseNumberWords(strings.Join(toks[:m], " "))
	if !ok || day < 1 || day > 31 {
		return idcard.Date{}, false
	}
	rest := toks[m+1:]
	for k := 1; k < len(rest)-1; k++ {
		if rest[k] != "nam" {
			continue
		}
		mw := strings.Join(rest[:k], " ")
		month, ok := ParseNumberWords(mw)
		switch mw {
		case "gieng":
			month, ok = 1, true
		case "chap":
			month, ok = 12, true
		}
		if !ok || month < 1 || month > 12 {
			continue
		}
		year, ok := ParseNumberWords(strings.Join(rest[k+1:], " "))
		if !ok || year < 1900 || year > 2199 {
			continue
		}
		d := idcard.Date{Year: year, Month: time.Month(month), Day: day}
		if !realDate(d) {
			return idcard.Date{}, false
		}
		return d, true
	}
	return idcard.Date{}, false
}

func realDate(d idcard.Date) bool {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

var digitDate = regexp.MustCompile(`(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})`)

// digitWordsDate is "ngày 15 tháng 3 năm 2025" with the numbers in digits,
// as the giấy chứng sinh prints the birth, in folded text.
var digitWordsDate = regexp.MustCompile(`(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})`)

// ParseDigitDate finds the first dd/mm/yyyy (or dd-mm-yyyy, dd.mm.yyyy) in
// s, else the first "ngày D tháng M năm YYYY" written in digits.
func ParseDigitDate(s string) (idcard.Date, bool) {
	m := digitDate.FindStringSubmatch(fixDigits(s))
	if m == nil {
		m = digitWordsDate.FindStringSubmatch(fixDigits(Fold(s)))
	}
	if m == nil {
		return idcard.Date{}, false
	}
	day, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	year, _ := strconv.Atoi(m[3])
	d := idcard.Date{Year: year, Month: time.Month(month), Day: day}
	if year < 1900 || year > 2199 || month < 1 || month > 12 || !realDate(d) {
		return idcard.Date{}, false
	}
	return d, true
}

// fixDigits undoes the letter-for-digit confusions OCR makes inside runs of
// digits (O→0, l/I/|→1, S→5, B→8, Z→2): a run of digits and such letters
// that holds at least one real digit is read as digits; words are left alone.
func fixDigits(s string) string {
	conf := map[rune]rune{'O': '0', 'o': '0', 'D': '0', 'Q': '0', 'l': '1', 'I': '1', '|': '1', 'i': '1', 'S': '5', 'B': '8', 'Z': '2'}
	r := []rune(s)
	for i := 0; i < len(r); {
		_, c := conf[r[i]]
		if !c && !(r[i] >= '0' && r[i] <= '9') {
			i++
			continue
		}
		j, digits := i, 0
		for j < len(r) {
			if r[j] >= '0' && r[j] <= '9' {
				digits++
			} else if _, ok := conf[r[j]]; !ok {
				break
			}
			j++
		}
		// A run glued to other letters is part of a word ("Ol2a" stays).
		glued := j < len(r) && isLetter(r[j]) || i > 0 && isLetter(r[i-1])
		if digits > 0 && !glued {
			for k := i; k < j; k++ {
				if d, ok := conf[r[k]]; ok {
					r[k] = d
				}
			}
		}
		i = j
	}
	return string(r)
}

func isLetter(r rune) bool { return unicode.IsLetter(r) }
