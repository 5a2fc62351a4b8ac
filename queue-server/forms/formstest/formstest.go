// Package formstest holds what tests of forms and of their users share:
// the generated set of card holders (every tone mark on every vowel, đ and
// Đ, old and new tone placement), the text pdftotext reads from a PDF, and
// the check that every card field a form takes is printed exactly.
package formstest

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/forms"
)

// Tone marks (none, huyền, sắc, hỏi, ngã, nặng) and the twelve vowels they
// go on, decomposed: the names of Cards compose every pair.
var (
	Tones  = []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
	Vowels = []string{"a", "a\u0306", "a\u0302", "e", "e\u0302", "i", "o", "o\u0302", "o\u031b", "u", "u\u031b", "y"}
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

// Cards is the generated set of card holders: for each vowel a name with
// that vowel under every tone (every other name in capitals, as some cards
// print it), with Đ; names with the old tone placement (hoà, thuỷ, khoẻ)
// and the new (hòa, thủy); one name in decomposed form (as some readers
// send it); each with a personal number that agrees with its birth
// century, year and sex, an issue date, and an address with diacritics
// (đ in "đường"). Men and women alternate.
func Cards() []forms.Person {
	var names []string
	for i, v := range Vowels {
		words := []string{"Đặng"}
		for _, tone := range Tones {
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
	var out []forms.Person
	for i, n := range names {
		year := 1950 + i*4
		sex := []string{"M", "F"}[i%2]
		g := 0
		if year >= 2000 {
			g = 2
		}
		if sex == "F" {
			g++
		}
		out = append(out, forms.Person{
			IDNumber:  fmt.Sprintf("%s%d%02d%06d", provinces[i%len(provinces)], g, year%100, 100000+i*7919),
			Name:      n,
			BirthDate: fmt.Sprintf("%d-%02d-%02d", year, 1+i%12, 1+(i*3)%28),
			Sex:       sex,
			Address:   addresses[i%len(addresses)],
			IssueDate: "2021-07-01",
		})
	}
	return out
}

// Printed is how each card field of p is printed on a form, by source:
// NFC text, dates dd/mm/yyyy, sex Nam or Nữ.
func Printed(p forms.Person) map[string]string {
	date := func(d string) string {
		if len(d) != 10 {
			return d
		}
		return d[8:10] + "/" + d[5:7] + "/" + d[:4]
	}
	return map[string]string{
		"card.name": norm.NFC.String(p.Name), "card.id_number": p.IDNumber, "card.address": norm.NFC.String(p.Address),
		"card.birth_date": date(p.BirthDate), "card.issue_date": date(p.IssueDate), "card.sex": map[string]string{"M": "Nam", "F": "Nữ"}[p.Sex],
	}
}

// PDFText is the text of a PDF as pdftotext (poppler-utils) reads it, in NFC.
func PDFText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "fd://0", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("pdftotext (install poppler-utils via provisioning/dev-deps.sh): %v", err)
	}
	return norm.NFC.String(string(out))
}

// CheckCard fails tb unless every field of f that takes a card field p
// has is printed in text exactly, whole on one line, after its label (on
// the label's line or the next). It returns how many fields it checked.
func CheckCard(tb testing.TB, f *forms.Form, p forms.Person, text string) int {
	tb.Helper()
	want := Printed(p)
	lines := strings.Split(text, "\n")
	n := 0
	for _, sec := range f.Sections {
		for _, fd := range sec.Fields {
			w := want[fd.Source]
			if w == "" || fd.SourceSex != "" && fd.SourceSex != p.Sex {
				continue
			}
			n++
			if !afterLabel(lines, fd.Label+":", w) {
				tb.Errorf("%s: %s: %q is not printed whole after %q", f.Procedure, fd.Name, w, fd.Label)
			}
		}
	}
	return n
}

func afterLabel(lines []string, label, value string) bool {
	for i, l := range lines {
		if j := strings.Index(l, label); j >= 0 {
			if strings.Contains(l[j:], value) || i+1 < len(lines) && strings.HasPrefix(lines[i+1], value) {
				return true
			}
		}
	}
	return false
}
