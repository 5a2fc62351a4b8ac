package idcard

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

var hcm = mustLoad("Asia/Ho_Chi_Minh")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}

// today is the fixed "now" of the tests.
var today = time.Date(2026, 11, 24, 9, 30, 0, 0, hcm)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckDigitICAO(t *testing.T) {
	// Worked examples of ICAO Doc 9303 Part 3 and the Part 4/5 specimens.
	for _, tc := range []struct{ in, want string }{
		{"520727", "3"},
		{"D23145890", "7"},
		{"740812", "2"},
		{"120415", "9"},
		{"L898902C3", "6"},
		{"ZE184226B<<<<<", "1"},
		{"D23145890734", "9"},
		{"<<<<<<", "0"},
	} {
		got, ok := CheckDigit(tc.in)
		if !ok || string(got) != tc.want {
			t.Errorf("CheckDigit(%q) = %q, %v; want %s", tc.in, got, ok, tc.want)
		}
	}
	if _, ok := CheckDigit("ab"); ok {
		t.Error("CheckDigit accepted lower case")
	}
}

func TestParseMRZSpecimens(t *testing.T) {
	tests := []struct {
		file           string
		docNum, name   string
		birth, expiry  string
		sex            Sex
		id             string
		expired, valid bool
	}{
		{"icao-td1-specimen.mrz", "D23145890", "ERIKSSON ANNA MARIA", "1974-08-12", "2012-04-15", Female, "", true, true},
		{"icao-td1-long-docnum.mrz", "D23145890734", "STEVENSON PETER JOHN", "1934-07-12", "1995-07-12", Male, "", true, true},
		{"icao-td3-specimen.mrz", "L898902C3", "ERIKSSON ANNA MARIA", "1974-08-12", "2012-04-15", Female, "", true, true},
		{"vnm-cccd-male.mrz", "095012345", "NGUYEN VAN AN", "1995-03-12", "2035-03-12", Male, "001095012345", false, true},
		{"vnm-cccd-female-2000s.mrz", "305001234", "TRAN THI THU THUY", "2005-07-20", "2030-07-20", Female, "079305001234", false, true},
		{"vnm-cccd-no-expiry.mrz", "058000321", "LE VAN BA", "1958-01-01", "", Male, "048058000321", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c, err := ParseMRZ(readTestdata(t, tc.file), today)
			if (err == nil) != tc.valid || c.Valid != tc.valid {
				t.Fatalf("valid = %v, err = %v, errors %q", c.Valid, err, c.Errors)
			}
			if c.DocumentNumber != tc.docNum || c.Name != tc.name || c.BirthDate.String() != tc.birth ||
				c.ExpiryDate.String() != tc.expiry || c.Sex != tc.sex || c.IDNumber != tc.id || c.Expired != tc.expired {
				t.Errorf("got doc %q name %q birth %s expiry %s sex %q id %q expired %v",
					c.DocumentNumber, c.Name, c.BirthDate, c.ExpiryDate, c.Sex, c.IDNumber, c.Expired)
			}
			if c.Source != SourceMRZ {
				t.Errorf("source = %q", c.Source)
			}
		})
	}
}

func TestParseMRZVietnameseFields(t *testing.T) {
	c, err := ParseMRZ(readTestdata(t, "vnm-cccd-female-2000s.mrz"), today)
	if err != nil {
		t.Fatal(err)
	}
	if c.DocumentCode != "ID" || c.IssuingState != "VNM" || c.Nationality != "VNM" || c.Province != "Hồ Chí Minh" {
		t.Errorf("got code %q state %q nationality %q province %q", c.DocumentCode, c.IssuingState, c.Nationality, c.Province)
	}
	if got := c.Age(today); got != 21 {
		t.Errorf("Age = %d, want 21", got)
	}
}

// corrupt changes the character at (line, col), both 1-based as in Doc 9303.
func corrupt(mrz string, line, col int, ch byte) string {
	lines := strings.Split(strings.TrimSpace(mrz), "\n")
	b := []byte(lines[line-1])
	b[col-1] = ch
	lines[line-1] = string(b)
	return strings.Join(lines, "\n")
}

func TestParseMRZDetectsEveryCheck(t *testing.T) {
	base := readTestdata(t, "vnm-cccd-male.mrz")
	tests := []struct {
		name      string
		line, col int
		ch        byte
		want      string
	}{
		{"document number digit", 1, 8, '9', "document number check digit"},
		{"document check digit", 1, 15, '0', "document number check digit"},
		{"personal number check digit", 1, 30, '1', "personal number check digit"},
		{"personal number digit", 1, 20, '7', "personal number check digit"},
		{"birth date", 2, 6, '3', "birth date check digit"},
		{"birth check digit", 2, 7, '5', "birth date check digit"},
		{"expiry", 2, 10, '6', "expiry date check digit"},
		{"composite", 2, 30, '9', "composite check digit"},
		{"optional data of line 2", 2, 20, 'X', "composite check digit"},
		{"sex against the number", 2, 8, 'F', "sex does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseMRZ(corrupt(base, tc.line, tc.col, tc.ch), today)
			if !errors.Is(err, ErrInvalid) || c.Valid {
				t.Fatalf("err = %v, valid %v", err, c.Valid)
			}
			if !strings.Contains(strings.Join(c.Errors, "; "), tc.want) {
				t.Errorf("errors %q do not mention %q", c.Errors, tc.want)
			}
		})
	}
}

func TestParseMRZCrossChecks(t *testing.T) {
	// A zone with correct check digits whose personal number disagrees with
	// the birth year: built with CheckDigit so only the cross-check fails.
	num := "001097012345" // says born in 1997
	doc := num[3:]
	cd := func(s string) string { b, _ := CheckDigit(s); return string(b) }
	l1 := "IDVNM" + doc + cd(doc) + num + "<<" + cd(num)
	l2 := "950312" + cd("950312") + "M" + "350312" + cd("350312") + "VNM" + "<<<<<<<<<<<"
	l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
	c, err := ParseMRZ(l1+"\n"+l2+"\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<", today)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	if len(c.Errors) != 1 || !strings.Contains(c.Errors[0], "birth year does not match") {
		t.Errorf("errors = %q", c.Errors)
	}
}

func TestParseMRZShapes(t *testing.T) {
	base := strings.TrimSpace(readTestdata(t, "vnm-cccd-male.mrz"))
	oneLine := strings.ReplaceAll(base, "\n", "")
	if c, err := ParseMRZ(oneLine, today); err != nil || c.IDNumber != "001095012345" {
		t.Errorf("90-character run: %v", err)
	}
	crlf := strings.ReplaceAll(base, "\n", "\r\n") + "\r\n"
	if _, err := ParseMRZ(crlf, today); err != nil {
		t.Errorf("CRLF lines: %v", err)
	}
	for name, in := range map[string]string{
		"two lines":  strings.Join(strings.Split(base, "\n")[:2], "\n"),
		"lower case": strings.ToLower(base),
		"short line": strings.Replace(base, "<<6\n", "<6\n", 1),
		"empty":      "",
	} {
		if c, err := ParseMRZ(in, today); !errors.Is(err, ErrInvalid) || c.Valid || len(c.Errors) == 0 {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestParseQR(t *testing.T) {
	c, err := ParseQR(readTestdata(t, "cccd.qr"), today)
	if err != nil {
		t.Fatalf("ParseQR: %v (%q)", err, c.Errors)
	}
	want := Card{
		Source: SourceQR, IDNumber: "001095012345", OldIDNumber: "012345678", Name: "Nguyễn Văn An",
		BirthDate: Date{1995, 3, 12}, Sex: Male, IssueDate: Date{2021, 6, 1},
		ExpiryDate: Date{2035, 3, 12}, ExpiryDerived: true, Province: "Hà Nội",
		Address: "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội", Valid: true, Errors: []string{},
	}
	gotJSON, _ := json.Marshal(c)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("got  %s\nwant %s", gotJSON, wantJSON)
	}

	c, err = ParseQR(readTestdata(t, "cccd-no-cmnd-extra.qr"), today)
	if err != nil {
		t.Fatalf("extra fields: %v", err)
	}
	if c.OldIDNumber != "" || c.Sex != Female || c.ExpiryDate.String() != "2030-07-20" || c.Name != "Trần Thị Thu Thủy" {
		t.Errorf("got %+v", c)
	}
}

func TestParseQRNormalisesToNFC(t *testing.T) {
	nfd := norm.NFD.String("001095012345||Nguyễn  Văn An|12031995|Nam|Hà Nội|01062021")
	c, err := ParseQR(nfd, today)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Nguyễn Văn An" || !norm.NFC.IsNormalString(c.Name) {
		t.Errorf("name %q is not NFC with single spaces", c.Name)
	}
	c, err = ParseQR(norm.NFD.String("079305001234||Trần Thị Thu Thủy|20072005|Nữ|x|15082023"), today)
	if err != nil || c.Sex != Female {
		t.Errorf("NFD Nữ: sex %q err %v", c.Sex, err)
	}
}

func TestParseQRProblems(t *testing.T) {
	const good = "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021"
	field := func(i int, v string) string {
		f := strings.Split(good, "|")
		f[i] = v
		return strings.Join(f, "|")
	}
	tests := []struct{ name, in, want string }{
		{"too few fields", "001095012345|Nguyễn Văn An|12031995", "fields"},
		{"short number", field(0, "00109501234"), "12 digits"},
		{"letters in number", field(0, "00109501234X"), "12 digits"},
		{"unknown province", field(0, "003095012345"), "unknown province code 003"},
		{"century", field(0, "001295012345"), "birth century does not match"},
		{"year", field(0, "001096012345"), "birth year does not match"},
		{"sex", field(4, "Nữ"), "sex does not match"},
		{"sex word", field(4, "Khác"), "sex must be"},
		{"old number", field(1, "12345678"), "old ID number"},
		{"bad date", field(3, "31021995"), "birth date is not a date"},
		{"future birth", field(0, "001226012345") + "", "birth"},
		{"issue before birth", field(6, "01011990"), "issue date is before"},
		{"issue in future", field(6, "01012027"), "issue date is in the future"},
		{"no issue date", field(6, ""), "issue date is missing"},
		{"empty name", field(2, " "), "name is empty"},
		{"digits in name", field(2, "Nguyen 2"), "name is empty or has"},
		{"not utf-8", "001095012345||Nguy\xffn|12031995|Nam|x|01062021", "UTF-8"},
		{"too long", good + "|" + strings.Repeat("x", MaxPayload), "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseQR(tc.in, today)
			if !errors.Is(err, ErrInvalid) || c.Valid {
				t.Fatalf("err = %v valid = %v", err, c.Valid)
			}
			if !strings.Contains(strings.Join(c.Errors, "; "), tc.want) {
				t.Errorf("errors %q do not mention %q", c.Errors, tc.want)
			}
			for _, e := range c.Errors {
				if c.IDNumber != "" && len(c.IDNumber) >= 9 && strings.Contains(e, c.IDNumber) {
					t.Errorf("error %q repeats the personal number", e)
				}
			}
		})
	}
}

func TestDerivedExpiry(t *testing.T) {
	tests := []struct {
		birth, issue, want string
		expired            bool
	}{
		{"01011995", "01062021", "2035-01-01", false}, // at 26: until 40
		{"01012000", "01062021", "2025-01-01", true},  // at 21: until 25, passed
		{"01012000", "01062023", "2040-01-01", false}, // at 23, within 2 years of 25: until 40
		{"01011970", "01062021", "2030-01-01", false}, // at 51: until 60
		{"01011962", "01062021", "", false},           // at 59: no expiry
		{"29022000", "01062021", "2025-03-01", true},  // 29 February, common year
	}
	for _, tc := range tests {
		t.Run(tc.birth+"-"+tc.issue, func(t *testing.T) {
			num := "001" + map[bool]string{true: "2", false: "0"}[tc.birth[4:6] == "20"] + tc.birth[6:8] + "012345"
			c, err := ParseQR(num+"||Lê Văn Ba|"+tc.birth+"|Nam|x|"+tc.issue, today)
			if err != nil {
				t.Fatalf("%v %q", err, c.Errors)
			}
			if c.ExpiryDate.String() != tc.want || c.Expired != tc.expired {
				t.Errorf("expiry %s expired %v; want %s %v", c.ExpiryDate, c.Expired, tc.want, tc.expired)
			}
		})
	}
}

func TestAge(t *testing.T) {
	c := &Card{BirthDate: Date{1950, 11, 25}}
	if got := c.Age(today); got != 75 {
		t.Errorf("day before the 76th birthday: Age = %d", got)
	}
	c.BirthDate = Date{1950, 11, 24}
	if got := c.Age(today); got != 76 {
		t.Errorf("on the birthday: Age = %d", got)
	}
	if got := (&Card{}).Age(today); got != -1 {
		t.Errorf("unknown birth date: Age = %d", got)
	}
}

func TestParseDispatch(t *testing.T) {
	if c, err := Parse(readTestdata(t, "cccd.qr"), today); err != nil || c.Source != SourceQR {
		t.Errorf("QR: %v", err)
	}
	if c, err := Parse(readTestdata(t, "vnm-cccd-male.mrz"), today); err != nil || c.Source != SourceMRZ {
		t.Errorf("MRZ: %v", err)
	}
	for _, in := range []string{"", "hello", "\x00\x01\x02", strings.Repeat("<", 31)} {
		if c, err := Parse(in, today); !errors.Is(err, ErrUnrecognised) || c != nil {
			t.Errorf("Parse(%q) = %v, %v", in, c, err)
		}
	}
}

func TestDateJSON(t *testing.T) {
	var d Date
	if err := json.Unmarshal([]byte(`"2026-02-03"`), &d); err != nil || d != (Date{2026, 2, 3}) {
		t.Errorf("got %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`null`), &d); err != nil || !d.IsZero() {
		t.Errorf("null: %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`"03/02/2026"`), &d); err == nil {
		t.Error("accepted a non-ISO date")
	}
	b, _ := json.Marshal(Date{})
	if string(b) != "null" {
		t.Errorf("zero date = %s", b)
	}
}

func TestProvinceCodes(t *testing.T) {
	if len(provinces) != 63 {
		t.Errorf("%d province codes, want 63", len(provinces))
	}
	if p, ok := ProvinceName("079"); !ok || p != "Hồ Chí Minh" {
		t.Errorf("079 = %q", p)
	}
}

// checkInvariants holds for every Card any parser returns.
func checkInvariants(t *testing.T, c *Card, err error) {
	t.Helper()
	if c == nil {
		return
	}
	if c.Valid != (err == nil) || c.Valid != (len(c.Errors) == 0) {
		t.Fatalf("valid %v, err %v, errors %q", c.Valid, err, c.Errors)
	}
	if err != nil && !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v does not wrap ErrInvalid", err)
	}
	if c.Valid && c.IDNumber != "" && (len(c.IDNumber) != 12 || !allDigits(c.IDNumber)) {
		t.Fatalf("valid card with number %q", c.IDNumber)
	}
	if _, err := json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	if len(c.IDNumber) >= 9 {
		for _, e := range c.Errors {
			if strings.Contains(e, c.IDNumber) {
				t.Fatalf("error %q repeats the personal number", e)
			}
		}
	}
}

func FuzzParseQR(f *testing.F) {
	f.Add(readTestdata(f, "cccd.qr"))
	f.Add(readTestdata(f, "cccd-no-cmnd-extra.qr"))
	f.Add("001095012345||A|29022000|Nữ||")
	f.Add("|||||||")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseQR(in, today)
		if c == nil {
			t.Fatal("nil card")
		}
		checkInvariants(t, c, err)
		if c.Valid && (c.Sex == Unknown || c.BirthDate.IsZero() || c.Name == "") {
			t.Fatalf("valid QR card missing a field: %+v", c)
		}
	})
}

func FuzzParseMRZ(f *testing.F) {
	for _, name := range []string{"icao-td1-specimen.mrz", "icao-td1-long-docnum.mrz", "icao-td3-specimen.mrz",
		"vnm-cccd-male.mrz", "vnm-cccd-no-expiry.mrz"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseMRZ(in, today)
		if c == nil {
			t.Fatal("nil card")
		}
		checkInvariants(t, c, err)
		c2, err2 := Parse(in, today)
		if c2 != nil {
			checkInvariants(t, c2, err2)
		}
	})
}
