package forms

import (
	"strings"
	"time"
)

var digitWords = [...]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// numberWords writes 0 ≤ n < 10000 in Vietnamese words as a date is
// written on a civil status form: 21 "hai mươi mốt", 15 "mười lăm",
// 25 "hai mươi lăm", 2005 "hai nghìn không trăm linh năm".
func numberWords(n int) string {
	if n == 0 {
		return digitWords[0]
	}
	var w []string
	th, h, t, u := n/1000, n/100%10, n/10%10, n%10
	if th > 0 {
		w = append(w, digitWords[th], "nghìn")
	}
	if h > 0 || th > 0 && (t > 0 || u > 0) {
		w = append(w, digitWords[h], "trăm")
	}
	switch {
	case t == 0 && u == 0:
	case t == 0:
		if th > 0 || h > 0 {
			w = append(w, "linh")
		}
		w = append(w, digitWords[u])
	case t == 1:
		w = append(w, "mười")
		if u == 5 {
			w = append(w, "lăm")
		} else if u > 0 {
			w = append(w, digitWords[u])
		}
	default:
		w = append(w, digitWords[t], "mươi")
		switch u {
		case 0:
		case 1:
			w = append(w, "mốt")
		case 5:
			w = append(w, "lăm")
		default:
			w = append(w, digitWords[u])
		}
	}
	return strings.Join(w, " ")
}

var monthWords = [...]string{"", "một", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "mười hai"}

// DateWords writes a date in words as the "ghi bằng chữ" line of a birth
// registration: "Ngày hai mươi mốt tháng tư năm hai nghìn không trăm hai
// mươi bốn".
func DateWords(d time.Time) string {
	return "Ngày " + numberWords(d.Day()) + " tháng " + monthWords[d.Month()] + " năm " + numberWords(d.Year())
}
