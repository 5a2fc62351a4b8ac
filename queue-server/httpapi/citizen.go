package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"xephang/drivers/idcard"
	"xephang/queue-server/queue"
)

// checkCCCD validates the structure of a 12-digit personal number (Thông tư
// 59/2021/TT-BCA): a known province code, a century/sex digit and a birth
// year that give an age from 0 to 130 at now. There is no check digit.
func checkCCCD(n string, now time.Time) (string, error) {
	n = strings.ReplaceAll(strings.TrimSpace(n), " ", "")
	bad := func(why, vi string) error {
		return queue.Errorf(queue.EInvalid, "CCCD number: %[1]s", "số căn cước: %[2]s", why, vi)
	}
	if len(n) != 12 {
		return "", bad("12 digits", "gồm 12 chữ số")
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return "", bad("12 digits", "gồm 12 chữ số")
		}
	}
	if _, ok := idcard.ProvinceName(n[:3]); !ok {
		return "", bad("the first three digits are not a province code", "ba chữ số đầu không phải mã tỉnh, thành phố")
	}
	year := 1900 + int(n[3]-'0')/2*100 + int(n[4]-'0')*10 + int(n[5]-'0')
	if age := now.Year() - year; age < 0 || age > 130 {
		return "", bad("the century and year digits give no possible birth year", "chữ số thế kỷ và năm sinh không hợp lệ")
	}
	return n, nil
}

// citizenKey is the keyed hash under which a CCCD number is stored and
// matched: the number itself is never stored.
func (s *Server) citizenKey(number string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("cccd:" + number))
	return hex.EncodeToString(m.Sum(nil))
}

// maskCCCD keeps only the last two digits of a number, to tell two
// bookings apart when reading them back: with four, the province, century
// and year digits (known structure) left about ten thousand candidates,
// tried in minutes against a copied database.
func maskCCCD(n string) string { return strings.Repeat("•", len(n)-2) + n[len(n)-2:] }

// shownMask shows a stored masked number with at most its last two digits:
// bookings made before the mask was shortened kept four.
func shownMask(m string) string {
	r := []rune(m)
	if len(r) <= 2 {
		return m
	}
	return strings.Repeat("•", len(r)-2) + string(r[len(r)-2:])
}
