package forms

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// pdfText is the text of a PDF as pdftotext reads it, in NFC (as
// formstest.PDFText, which this package's own tests cannot import).
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "fd://0", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext (install poppler-utils via provisioning/dev-deps.sh): %v", err)
	}
	return norm.NFC.String(string(out))
}

// onLine reports whether s is on one line of text, and whether it is in
// text at all once line breaks count as spaces.
func onLine(text, s string) (line, anywhere bool) {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return true, true
		}
	}
	return false, strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(s), " "))
}

// sample is a valid value of each field, so that every definition can be
// filled whole.
func sample(fd *Field, i int) string {
	switch {
	case fd.Name == "applicant_email":
		return fmt.Sprintf("nguoi%d@mien.vn", i)
	case fd.Pattern != "":
		return fmt.Sprint(i%9 + 1)
	}
	switch fd.Type {
	case TypeText:
		s := fmt.Sprintf("Nội dung mục %d", i)
		if fd.max() < len([]rune(s)) {
			s = fmt.Sprintf("Mục %d", i)
		}
		return s
	case TypeName:
		return []string{"Nguyễn Thị Hoà", "Trần Văn Thuỷ", "Lê Ngọc Ánh", "Phạm Đức Quý", "Đặng Thị Ngữ"}[i%5]
	case TypeAddress:
		return fmt.Sprintf("Số %d đường Lê Lợi, phường Bến Thành, thành phố Hồ Chí Minh", i)
	case TypeIDNumber:
		return fmt.Sprintf("0790850%05d", i)
	case TypeDate:
		return fmt.Sprintf("19%02d-0%d-%02d", 50+i%40, 1+i%9, 1+i%28)
	case TypeYear:
		return fmt.Sprint(1950 + i)
	case TypeSex:
		return []string{"M", "F"}[i%2]
	case TypeChoice:
		return fd.Options[len(fd.Options)-1].Value
	case TypePhone:
		return fmt.Sprintf("09123456%02d", i)
	case TypeNumber:
		return "120,5"
	}
	return ""
}

// TestEveryFormRenders fills every field of every data file and finds
// each printed value again with pdftotext; the form left blank renders too.
func TestEveryFormRenders(t *testing.T) {
	for _, f := range Default().Forms() {
		t.Run(f.Procedure, func(t *testing.T) {
			v := Filled{Procedure: f.Procedure, Values: map[string]string{}}
			for i, fd := range f.fields() {
				if fd.Type != TypeDateWords {
					v.Values[fd.Name] = sample(fd, i)
				}
			}
			if errs := f.Validate(&v, today); len(errs) != 0 {
				t.Fatalf("a whole sample does not validate: %+v", errs)
			}
			pdf, err := f.PDF(&v, RenderOptions{Commune: "phường Hoàn Kiếm", Place: "Hà Nội", Ref: "A-017", Now: today})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatal("not a PDF")
			}
			text := pdfText(t, pdf)
			d := &doc{values: v.Values}
			var wants []string
			for _, fd := range f.fields() {
				s := d.shown(fd)
				if fd.Type == TypeChoice {
					s = "☒ " + s
				}
				wants = append(wants, fd.Label, s)
			}
			wants = append(wants, f.Title, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", f.PlacePrefix+"Hà Nội, ngày 05 tháng 12 năm 2026",
				f.Signature.Label, f.Template, "Phiên bản "+f.Version, "Mã: A-017")
			if f.Addressee != "" {
				wants = append(wants, strings.ReplaceAll(f.Addressee, "{commune}", "phường Hoàn Kiếm"))
			}
			if f.Declaration != "" {
				wants = append(wants, f.Declaration)
			}
			for _, w := range wants {
				if _, ok := onLine(text, w); !ok {
					t.Errorf("%q not in the PDF's text", w)
				}
			}
			blank, err := f.PDF(&Filled{Procedure: f.Procedure}, RenderOptions{Now: today})
			if err != nil {
				t.Fatal(err)
			}
			if text := pdfText(t, blank); !strings.Contains(text, f.Title) || !strings.Contains(text, dots) {
				t.Errorf("blank form: %q", text)
			}
		})
	}
}

// TestLongValuesWrap: a value longer than a line goes on dotted lines of
// its own and is all there, line breaks aside; the signer's name follows
// the field it names.
func TestLongValuesWrap(t *testing.T) {
	f, _ := Default().Form("thuong-tru")
	long := strings.Repeat("Đăng ký thường trú vào chỗ ở hợp pháp thuộc quyền sở hữu của tôi, ", 5)
	long = strings.TrimSpace(long[:len(long)-2])
	v := Filled{Procedure: f.Procedure, Values: map[string]string{"applicant_name": "Vũ Thị Thuỳ Dương", "request": long,
		"residence_address": "Số 45 ngách 12/3 ngõ 100 đường Nguyễn Trãi, phường Thanh Xuân Trung, quận Thanh Xuân, thành phố Hà Nội, Việt Nam"}}
	if errs := f.Validate(&v, today); len(errs) != 3 { // birth date, sex, number: required
		t.Fatalf("errors %+v", errs)
	}
	pdf, err := f.PDF(&v, RenderOptions{Now: today})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	if line, anywhere := onLine(text, long); line || !anywhere {
		t.Errorf("the long request: on one line %v, there at all %v:\n%s", line, anywhere, text)
	}
	if _, ok := onLine(text, v.Values["residence_address"]); !ok {
		t.Errorf("address missing:\n%s", text)
	}
	if !strings.Contains(text, "Người kê khai") || strings.Count(text, "Vũ Thị Thuỳ Dương") != 2 {
		t.Errorf("signature: %s", text)
	}
}

// TestPDFSpecialCharacters: what PDF strings escape, and markup, are
// printed as typed.
func TestPDFSpecialCharacters(t *testing.T) {
	f, _ := Default().Form("chung-thuc-ban-sao")
	odd := `Bằng (bản gốc) \ 50% <b>&amp; “Đại học” ½ — ‘x’`
	v := Filled{Procedure: f.Procedure, Values: map[string]string{"document_name": odd}}
	pdf, err := f.PDF(&v, RenderOptions{Now: today, Ref: "(B-2)"})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	if line, _ := onLine(text, odd); !line || !strings.Contains(text, "Mã: (B-2)") {
		t.Errorf("%q not printed as typed:\n%s", odd, text)
	}
}
