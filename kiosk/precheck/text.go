package precheck

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The five Vietnamese tone marks as combining characters (after NFD).
const (
	toneGrave = '\u0300' // huyền
	toneAcute = '\u0301' // sắc
	toneTilde = '\u0303' // ngã
	toneHook  = '\u0309' // hỏi
	toneDot   = '\u0323' // nặng
)

func isTone(r rune) bool {
	return r == toneGrave || r == toneAcute || r == toneTilde || r == toneHook || r == toneDot
}

// isVowelBase reports whether r (already stripped of its tone, NFC) is a
// Vietnamese vowel letter.
func isVowelBase(r rune) bool {
	switch unicode.ToLower(r) {
	case 'a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y':
		return true
	}
	return false
}

// hasVowelMark reports whether r carries a vowel mark (circumflex, breve,
// horn), which always takes the tone when present.
func hasVowelMark(r rune) bool {
	switch unicode.ToLower(r) {
	case 'ă', 'â', 'ê', 'ô', 'ơ', 'ư':
		return true
	}
	return false
}

// Canonical returns s in NFC with every syllable's tone mark in one fixed
// place, the "new style" (hoà, thuỷ, khoẻ) used by Unicode fonts and most
// software, so that "Hòa" and "Hoà", "Thủy" and "Thuỷ" compare equal. Text
// that is not Vietnamese passes through in NFC.
func Canonical(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	start := -1
	flush := func(end int) {
		if start >= 0 {
			b.WriteString(canonicalSyllable(s[start:end]))
			start = -1
		}
	}
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		b.WriteRune(r)
	}
	flush(len(s))
	return b.String()
}

// canonicalSyllable moves the tone of one word (NFC) to its canonical vowel.
func canonicalSyllable(w string) string {
	var tone rune
	var base []rune // letters with vowel marks kept, tone removed
	for _, r := range norm.NFD.String(w) {
		switch {
		case isTone(r):
			if tone == 0 {
				tone = r
			}
		default:
			base = append(base, r)
		}
	}
	if tone == 0 {
		return w
	}
	letters := []rune(norm.NFC.String(string(base)))
	pos := tonePosition(letters)
	if pos < 0 {
		return w // not a Vietnamese syllable shape: leave it as written
	}
	out := make([]rune, 0, len(letters)+1)
	for i, r := range letters {
		out = append(out, r)
		if i == pos {
			out = append(out, tone)
		}
	}
	return norm.NFC.String(string(out))
}

// tonePosition returns the index of the vowel that carries the tone in a
// syllable without its tone, by the new-style rules: a vowel with a mark
// (â ê ô ơ ư ă; the ơ of ươ) takes it; else the last vowel when a final
// consonant follows or the nucleus is oa, oe, uy; else the first vowel of a
// two-vowel nucleus and the middle one of three. "qu" and "gi" before a vowel
// count as consonants.
func tonePosition(l []rune) int {
	lower := make([]rune, len(l))
	for i, r := range l {
		lower[i] = unicode.ToLower(r)
	}
	i := 0
	for i < len(lower) && !isVowelBase(lower[i]) {
		i++
	}
	if i == len(lower) {
		return -1
	}
	if i > 0 && lower[i-1] == 'q' && lower[i] == 'u' && i+1 < len(lower) && isVowelBase(lower[i+1]) {
		i++
	}
	if i == 1 && lower[0] == 'g' && lower[i] == 'i' && i+1 < len(lower) && isVowelBase(lower[i+1]) {
		i++
	}
	j := i
	for j < len(lower) && isVowelBase(lower[j]) {
		j++
	}
	for k := j; k < len(lower); k++ {
		if isVowelBase(lower[k]) {
			return -1 // vowels after consonants: not one syllable
		}
	}
	nucleus := lower[i:j]
	final := j < len(lower)
	// A marked vowel takes the tone; in ươ it is the ơ.
	for k := len(nucleus) - 1; k >= 0; k-- {
		if hasVowelMark(nucleus[k]) {
			if nucleus[k] == 'ư' && k+1 < len(nucleus) && nucleus[k+1] == 'ơ' {
				return i + k + 1
			}
			return i + k
		}
	}
	switch {
	case len(nucleus) == 1:
		return i
	case final:
		return j - 1
	case len(nucleus) == 2:
		s := string(nucleus)
		if s == "oa" || s == "oe" || s == "uy" {
			return i + 1
		}
		return i
	default:
		return i + 1
	}
}

// Fold returns s without any diacritics, in lower case, with đ as d and runs
// of space collapsed: the form pages are classified and labels found in,
// since OCR loses tone marks far more often than letters.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		switch r {
		case 'đ', 'ð':
			r = 'd'
		}
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// NormalizeName returns a person's name as a form prints it: Canonical, in
// capitals, one space between words, without stray punctuation OCR adds.
func NormalizeName(s string) string {
	s = Canonical(s)
	f := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) })
	return strings.ToUpper(strings.Join(f, " "))
}

// SameName compares two names read from different places. exact means equal
// after NormalizeName; close means equal once diacritics are dropped or one
// letter apart, which is what OCR does to a name (Nguyễn → Nguyền).
func SameName(a, b string) (exact, close bool) {
	a, b = NormalizeName(a), NormalizeName(b)
	if a == "" || b == "" {
		return false, false
	}
	if a == b {
		return true, true
	}
	fa, fb := Fold(a), Fold(b)
	if fa == fb {
		return false, true
	}
	return false, levenshtein([]rune(fa), []rune(fb)) <= 1
}

// levenshtein is the edit distance between a and b.
func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// approxFind finds pattern p in text t allowing edits (Sellers' algorithm:
// the match may start anywhere in t). It returns the smallest edit distance
// and the end offset (in runes) of the best match.
func approxFind(p, t []rune) (dist, end int) {
	if len(p) == 0 {
		return 0, 0
	}
	prev := make([]int, len(p)+1)
	cur := make([]int, len(p)+1)
	for i := range prev {
		prev[i] = i
	}
	dist, end = prev[len(p)], 0
	for j := 1; j <= len(t); j++ {
		cur[0] = 0
		for i := 1; i <= len(p); i++ {
			c := prev[i-1]
			if p[i-1] != t[j-1] {
				c++
			}
			cur[i] = min(c, prev[i]+1, cur[i-1]+1)
		}
		if cur[len(p)] < dist {
			dist, end = cur[len(p)], j
		}
		prev, cur = cur, prev
	}
	return dist, end
}
