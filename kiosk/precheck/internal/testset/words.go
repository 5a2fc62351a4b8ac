package testset

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/idcard"
)

// These repeat the pre-check's own writers on purpose: the generator must
// not share code with what it tests.

var ones = []string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

func numberWords(n int) string {
	th, h, rest := n/1000, n/100%10, n%100
	var w []string
	if th > 0 {
		w = append(w, ones[th], "nghìn")
	}
	if th > 0 || h > 0 {
		if rest == 0 && h == 0 {
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

func dateWords(d idcard.Date) string {
	return fmt.Sprintf("ngày %s tháng %s năm %s", numberWords(d.Day), numberWords(int(d.Month)), numberWords(d.Year))
}

// canonicalUpper writes a name in capitals with the new tone placement for
// the few syllables the generator spells both ways.
func canonicalUpper(s string) string {
	s = strings.NewReplacer("Hòa", "Hoà", "Thủy", "Thuỷ").Replace(norm.NFC.String(s))
	return strings.Map(unicode.ToUpper, s)
}
