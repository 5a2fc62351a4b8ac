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

// maskCCCD masks a number for storing and reading back (queue.MaskID).
func maskCCCD(n string) string { return queue.MaskID(n) }

// shownMask shows a stored masked number with no more digits than
// queue.MaskedDigits, whenever it was stored.
func shownMask(m string) string { return queue.MaskID(m) }
