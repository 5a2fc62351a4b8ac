package forms

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Tone marks (huyền, sắc, hỏi, ngã, nặng) and the vowels they go on, in
// decomposed form: the set below composes every pair.
var (
	tones  = []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
	vowels = []string{"a", "a\u0306", "a\u0302", "e", "e\u0302", "i", "o", "o\u0302", "o\u031b", "u", "u\u031b", "y"}
)

var addresses = []string{
	"Số 7 ngõ 15 phố Huế, phường Hai Bà Trưng, thành phố Hà Nội",
	"Thôn Đông Thuỷ, xã Ea Kar, tỉnh Đắk Lắk",
	"Ấp Mỹ Hoà, xã Tân Phú Đông, tỉnh Đồng Tháp",
	"Tổ 3, khu phố Ông Ích Khiêm, phường Hải Châu, thành phố Đà Nẵng",
	"Bản Nậm Ún, xã Mường Lạn, tỉnh Sơn La",
	"Số 121/4 đường Nguyễn Thị Minh Khai, phường Bến Nghé, Thành phố Hồ Chí Minh",
	"Xóm Giữa, thôn Ỷ La, xã Dương Nội, thành phố Hà Nội",
	"Khu tập thể Ủy ban, đường Trần Hưng Đạo, phường Quy Nhơn, tỉnh Gia Lai",
}

// cardSet is the generated set of card holders: for each vowel a name
// with that vowel under every tone (every other card in capitals, as some
// cards print it), đ and Đ, names with the old tone placement (hoà, thuỷ,
// khoẻ) and the new (hòa, thủy), one read in decomposed form, each with a
// valid personal number of its birth century and sex, and an address with
// diacritics.
func cardSet() []Person {
	var names []string
	for i, v := range vowels {
		words := []string{"Đặng"}
		for _, tone := range tones {
			words = append(words, "T"+norm.NFC.String(v+tone))
		}
		name := strings.Join(words, " ")
		if i%2 == 1 {
			name = strings.ToUpper(name)
		}
		names = append(names, name)
	}
	names = append(names, "Nguyễn Thị Hoà Thuỷ", "Nguyễn Thị Hòa Thủy", "Lê Khoẻ Quỳnh", "ĐOÀN THUỶ HOÀ", "Hoàng Đình Đức",
		norm.NFD.String("Trịnh Thị Ngọc Ánh"))
	provinces := []string{"001", "079", "048", "066", "087", "014", "031", "092"}
	var out []Person
	for i, n := range names {
		year := 1950 + i*4
		sex := []string{"M", "F"}[i%2]
		cs := 0
		if year >= 2000 {
			cs = 2
		}
		if sex == "F" {
			cs++
		}
		out = append(out, Person{
			IDNumber:  fmt.Sprintf("%s%d%02d%06d", provinces[i%len(provinces)], cs, year%100, 100000+i*7919),
			Name:      n,
			BirthDate: fmt.Sprintf("%d-%02d-%02d", year, 1+i%12, 1+(i*3)%28),
			Sex:       sex,
			Address:   addresses[i%len(addresses)],
			IssueDate: "2021-07-01",
		})
	}
	return out
}

// TestCardFieldsLandExactly: for the six procedures and every card of the
// set, each field the form takes from the card is prefilled, validates,
// and is printed exactly (NFC) on one line of the PDF's text.
func TestCardFieldsLandExactly(t *testing.T) {
	cards := cardSet()
	if len(cards) < 18 {
		t.Fatalf("card set of %d", len(cards))
	}
	forms := Default().Forms()
	if len(forms) != 6 {
		t.Fatalf("%d forms", len(forms))
	}
	for _, v := range vowels {
		for _, tone := range tones {
			if !strings.Contains(norm.NFD.String(strings.ToLower(strings.Join(names(cards), " "))), norm.NFD.String(v+tone)) {
				t.Errorf("no name has %q", norm.NFC.String(v+tone))
			}
		}
	}
	for _, f := range forms {
		t.Run(f.Procedure, func(t *testing.T) {
			for _, p := range cards {
				values := f.Prefill(p, "card", today)
				v := Filled{Procedure: f.Procedure, Values: values, Sources: map[string]string{}}
				for k := range values {
					v.Sources[k] = "card"
				}
				for _, e := range f.Validate(&v, today) {
					if e.Code != CodeRequired {
						t.Errorf("%s: %s: %+v", p.Name, f.Procedure, e)
					}
				}
				pdf, err := f.PDF(&v, RenderOptions{Now: today})
				if err != nil {
					t.Fatal(err)
				}
				text := pdfText(t, pdf)
				want := map[string]string{"card.name": norm.NFC.String(p.Name), "card.id_number": p.IDNumber, "card.address": p.Address,
					"card.birth_date": p.BirthDate[8:10] + "/" + p.BirthDate[5:7] + "/" + p.BirthDate[:4], "card.sex": map[string]string{"M": "Nam", "F": "Nữ"}[p.Sex]}
				n := 0
				for _, fd := range f.fields() {
					w, ok := want[fd.Source]
					if !ok || fd.SourceSex != "" && fd.SourceSex != p.Sex {
						continue
					}
					n++
					if line, _ := onLine(text, w); !line {
						t.Errorf("%s: %s: %q not on one line of the PDF's text", f.Procedure, fd.Name, w)
					}
					if !afterLabel(text, fd.Label+":", w) {
						t.Errorf("%s: %s: %q is not after its label", f.Procedure, fd.Name, w)
					}
				}
				if n < 2 {
					t.Errorf("%s takes %d card fields of %s", f.Procedure, n, p.Sex)
				}
			}
		})
	}
}

// afterLabel reports whether value follows label on its line, or is the
// line after the label's (a value too long to share the label's line).
func afterLabel(text, label, value string) bool {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if j := strings.Index(l, label); j >= 0 {
			if strings.Contains(l[j:], value) || i+1 < len(lines) && strings.HasPrefix(lines[i+1], value) {
				return true
			}
		}
	}
	return false
}

func names(ps []Person) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestPrefill(t *testing.T) {
	set, err := Parse(map[string][]byte{"p.json": []byte(`{"procedure":"p","version":"2026-12-05","title":"T","template":"M","legal_basis":"L",
		"sections":[{"fields":[
		{"name":"a","label":"A","type":"name","source":"card.name"},
		{"name":"b","label":"B","type":"phone","source":"booking.phone"},
		{"name":"c","label":"C","type":"date","source":"today"},
		{"name":"d","label":"D","type":"date","source":"card.birth_date"},
		{"name":"w","label":"W","type":"date_words","from":"d"},
		{"name":"f","label":"F","type":"id_number","source":"card.id_number","source_sex":"F"},
		{"name":"e","label":"E","type":"text"}]}],"signature":{"label":"S"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := set.Form("p")
	day := time.Date(2026, 12, 5, 23, 0, 0, 0, time.UTC)
	got := f.Prefill(Person{Name: norm.NFD.String("Lê Thị Thuỷ"), BirthDate: "1990-04-21", Sex: "M", IDNumber: "001090012345"}, "card", day)
	want := map[string]string{"a": "Lê Thị Thuỷ", "c": "2026-12-05", "d": "1990-04-21", "w": "Ngày hai mươi mốt tháng tư năm một nghìn chín trăm chín mươi"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("card: %v, want %v", got, want)
	}
	got = f.Prefill(Person{Name: "Lê Thị Thuỷ", Phone: "0912345678", IDNumber: "001190012345", Sex: "F"}, "booking", day)
	want = map[string]string{"a": "Lê Thị Thuỷ", "b": "0912345678", "c": "2026-12-05", "f": "001190012345"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("booking: %v, want %v", got, want)
	}
}
