package idcard

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Source says which side of the card a Card was read from.
type Source string

// Sources of a Card.
const (
	SourceQR  Source = "qr"  // the QR code on the front
	SourceMRZ Source = "mrz" // the machine-readable zone on the back
	// SourceChip: the chip (ICAO 9303 eMRTD), read by drivers/idcard/chip.
	SourceChip Source = "chip"
)

// Sex of the holder as printed in an MRZ: "M", "F", or "" when unknown.
type Sex string

// Values of Sex.
const (
	Male    Sex = "M" // male (Nam)
	Female  Sex = "F" // female (Nữ)
	Unknown Sex = ""  // not stated or unreadable
)

// Date is a calendar date without a time zone, as printed on a card.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// String returns d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// AddYears returns the same day n years later; 29 February becomes 1 March
// in a common year, as time.Date normalises it.
func (d Date) AddYears(n int) Date {
	return DateOf(time.Date(d.Year+n, d.Month, d.Day, 12, 0, 0, 0, time.UTC))
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("idcard: date: %w", err)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return fmt.Errorf("idcard: date: %w", err)
	}
	*d = DateOf(t)
	return nil
}

// validDate builds a Date and reports whether it exists in the calendar.
func validDate(y, m, d int) (Date, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return Date{}, false
	}
	t := time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return Date{}, false
	}
	return Date{y, time.Month(m), d}, true
}

// Card is what a kiosk learns from one side of a chip ID card.
type Card struct {
	Source         Source   `json:"source"`
	IDNumber       string   `json:"id_number"`                 // 12-digit personal number
	OldIDNumber    string   `json:"old_id_number,omitempty"`   // old 9-digit CMND (QR only)
	Name           string   `json:"name"`                      // NFC; from an MRZ in capitals without diacritics
	BirthDate      Date     `json:"birth_date"`                // YYYY-MM-DD
	Sex            Sex      `json:"sex"`                       // M or F
	ExpiryDate     Date     `json:"expiry_date"`               // null when the card does not expire
	ExpiryDerived  bool     `json:"expiry_derived,omitempty"`  // computed from birth and issue dates (QR)
	IssueDate      Date     `json:"issue_date,omitzero"`       // QR only
	Address        string   `json:"address,omitempty"`         // place of permanent residence (QR only)
	DocumentCode   string   `json:"document_code,omitempty"`   // MRZ document code, "ID" on a CCCD
	DocumentNumber string   `json:"document_number,omitempty"` // MRZ document number
	IssuingState   string   `json:"issuing_state,omitempty"`   // MRZ issuing state, "VNM"
	Nationality    string   `json:"nationality,omitempty"`     // MRZ nationality, "VNM"
	Province       string   `json:"province,omitempty"`        // province of birth registration from the number
	Valid          bool     `json:"valid"`                     // structure, check digits and cross-checks hold
	Expired        bool     `json:"expired"`                   // the expiry date has passed
	Errors         []string `json:"errors"`                    // what failed, in plain English; never the number
}

// Age returns the holder's age in whole years on the date of now, or -1 when
// the birth date is unknown.
func (c *Card) Age(now time.Time) int {
	if c.BirthDate.IsZero() {
		return -1
	}
	today := DateOf(now)
	age := today.Year - c.BirthDate.Year
	if today.Before(Date{today.Year, c.BirthDate.Month, c.BirthDate.Day}) {
		age--
	}
	return age
}

func (c *Card) problem(format string, args ...any) {
	c.Errors = append(c.Errors, fmt.Sprintf(format, args...))
}

// finish runs the checks common to both sides and sets Valid and Expired.
func (c *Card) finish(now time.Time) error {
	today := DateOf(now)
	if !c.BirthDate.IsZero() && today.Before(c.BirthDate) {
		c.problem("birth date is in the future")
	}
	if c.IDNumber != "" {
		c.checkNumber()
	}
	if c.Source == SourceQR && !c.IssueDate.IsZero() && !c.BirthDate.IsZero() {
		c.deriveExpiry()
	}
	if !c.ExpiryDate.IsZero() && c.ExpiryDate.Before(today) {
		c.Expired = true
	}
	if c.Errors == nil {
		c.Errors = []string{}
	}
	c.Valid = len(c.Errors) == 0
	if !c.Valid {
		return fmt.Errorf("idcard: %w: %s", ErrInvalid, strings.Join(c.Errors, "; "))
	}
	return nil
}

// checkNumber cross-checks the personal number PPP G YY RRRRRR against the
// birth date and sex (Thông tư 59/2021/TT-BCA, Điều 7).
func (c *Card) checkNumber() {
	n := c.IDNumber
	if len(n) != 12 || !allDigits(n) {
		c.problem("personal number must be 12 digits")
		return
	}
	province, ok := provinces[n[:3]]
	if !ok {
		c.problem("personal number has an unknown province code %s", n[:3])
	}
	c.Province = province
	g := int(n[3] - '0')
	century := 1900 + (g/2)*100
	sex := Male
	if g%2 == 1 {
		sex = Female
	}
	yy := int(n[4]-'0')*10 + int(n[5]-'0')
	if c.Sex != Unknown && c.Sex != sex {
		c.problem("sex does not match the personal number")
	}
	if !c.BirthDate.IsZero() {
		if c.BirthDate.Year/100*100 != century {
			c.problem("birth century does not match the personal number")
		}
		if c.BirthDate.Year%100 != yy {
			c.problem("birth year does not match the personal number")
		}
	}
}

// renewalAges are the ages at which a card must be renewed (Luật Căn cước
// 2023, Điều 21, as Luật CCCD 2014 before it).
var renewalAges = []int{25, 40, 60}

// deriveExpiry computes the expiry of a card from its issue date when the
// payload does not carry one (the QR code): the next renewal age, skipping
// one that falls within two years of issue; none from 58 on.
func (c *Card) deriveExpiry() {
	for _, age := range renewalAges {
		if c.IssueDate.Before(c.BirthDate.AddYears(age - 2)) {
			c.ExpiryDate = c.BirthDate.AddYears(age)
			c.ExpiryDerived = true
			return
		}
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cleanName trims a name, collapses inner spaces and puts it in NFC.
// Unmark removes the diacritics of s, as an MRZ or a search without them
// writes it: tone and vowel marks dropped, đ and Đ written d and D; the
// case is kept.
func Unmark(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.NewReplacer("đ", "d", "Đ", "D").Replace(out)
}

func cleanName(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// plausibleName reports whether s is made only of letters, spaces and the
// few marks found in names.
func plausibleName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && r != ' ' && r != '-' && r != '\'' {
			return false
		}
	}
	return true
}

// provinces maps the three-digit code at the start of a personal number to the
// province where the birth was registered (63 codes, Thông tư 59/2021/TT-BCA,
// Phụ lục; codes stay as issued after the 2025 province mergers).
var provinces = map[string]string{
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

// ProvinceName returns the province of birth registration for a personal
// number's first three digits, and whether the code is known.
func ProvinceName(code string) (string, bool) {
	p, ok := provinces[code]
	return p, ok
}
