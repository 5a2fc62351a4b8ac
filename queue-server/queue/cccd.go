package queue

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// What a CCCD number is (Thông tư 59/2021/TT-BCA): twelve digits PPP G YY
// RRRRRR, a province code, a century and sex digit, the last two digits of
// the birth year, a serial. There is no check digit. The domain owns the
// province table: the server checks numbers typed on the booking page,
// without a card; the card reader (drivers/idcard) knows nothing of the
// server and keeps its own copy for the cards it reads, which the
// repository's root test holds equal to this one.

// CheckCCCD validates the structure of a 12-digit personal number (spaces
// ignored): a known province code, a century/sex digit and a birth year
// that give an age from 0 to 130 at now. It returns the number without
// spaces, or an EInvalid error saying what is wrong (never the number).
func CheckCCCD(n string, now time.Time) (string, error) {
	n = strings.ReplaceAll(strings.TrimSpace(n), " ", "")
	bad := func(why, vi string) error {
		return Errorf(EInvalid, "CCCD number: %[1]s", "số căn cước: %[2]s", why, vi)
	}
	if len(n) != 12 {
		return "", bad("12 digits", "gồm 12 chữ số")
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return "", bad("12 digits", "gồm 12 chữ số")
		}
	}
	if _, ok := CCCDProvince(n[:3]); !ok {
		return "", bad("the first three digits are not a province code", "ba chữ số đầu không phải mã tỉnh, thành phố")
	}
	year := 1900 + int(n[3]-'0')/2*100 + int(n[4]-'0')*10 + int(n[5]-'0')
	if age := now.Year() - year; age < 0 || age > 130 {
		return "", bad("the century and year digits give no possible birth year", "chữ số thế kỷ và năm sinh không hợp lệ")
	}
	return n, nil
}

// CitizenKey is the keyed hash (HMAC-SHA-256 under the server's citizen
// key) under which a CCCD number is stored and matched: the number itself
// is never stored.
func CitizenKey(secret []byte, number string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("cccd:" + number))
	return hex.EncodeToString(m.Sum(nil))
}

// CCCDProvince returns the province of birth registration for a personal
// number's first three digits, and whether the code is known.
func CCCDProvince(code string) (string, bool) {
	p, ok := cccdProvinces[code]
	return p, ok
}

// cccdProvinces maps the three-digit code at the start of a personal number
// to the province where the birth was registered (63 codes, Thông tư
// 59/2021/TT-BCA, Phụ lục; codes stay as issued after the 2025 province
// mergers).
var cccdProvinces = map[string]string{
	"001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
	"008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
	"014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
	"020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
	"026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
	"033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
	"037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
	"044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
	"049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
	"056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
	"064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
	"070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
	"077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
	"083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
	"089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
	"094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}
