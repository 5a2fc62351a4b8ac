package precheck

import (
	"strings"
	"testing"

	"xephang/kiosk/catalogue"
)

func textOf(s string) *Text {
	t := &Text{Conf: 90}
	for _, l := range strings.Split(s, "\n") {
		t.Lines = append(t.Lines, Line{Text: l, Conf: 90})
		t.Words += len(strings.Fields(l))
	}
	return t
}

func TestExtractBirthForm(t *testing.T) {
	k := catalogue.Default().Kind("to-khai-khai-sinh")
	// OCR as it comes: tone marks lost here and there, a 0 read as O.
	got := Extract(k, textOf(`TỜ KHAI ĐĂNG KÝ KHAI SINH
Ho, chữ đệm, tên người yêu cầu: NGUYỄN VĂN HÒA
Số định danh cá nhân: 0O1090123456
Quan hệ với người được khai sinh: Cha
Họ, chữ đệm, tên: NGUYỄN THỊ THỦY
Ngày, tháng, năm sinh: 15/03/2025
Ghi bằng chữ: Ngày mười lăm tháng ba năm hai nghìn không trăm
hai mươi lăm
Giới tính: Nữ
Họ, chữ đệm, tên người mẹ: TRẦN THỊ MAI
Năm sinh: 1995
Họ, chữ đệm, tên người cha: NGUYỄN VĂN HÒA
Năm sinh: 199O`))
	want := map[string]string{
		"applicant_name": "NGUYỄN VĂN HOÀ", "applicant_id_number": "001090123456", "applicant_relation": "Cha",
		"child_name": "NGUYỄN THỊ THUỶ", "child_birth_date": "2025-03-15", "child_birth_date_words": "2025-03-15",
		"child_sex": "F", "mother_name": "TRẦN THỊ MAI", "mother_birth_year": "1995",
		"father_name": "NGUYỄN VĂN HOÀ", "father_birth_year": "1990",
	}
	for k, v := range want {
		if got[k].Value != v {
			t.Errorf("%s = %q, want %q", k, got[k].Value, v)
		}
	}
}

func TestExtractLostLine(t *testing.T) {
	k := catalogue.Default().Kind("to-khai-khai-sinh")
	// The child's name line vanished: the mother's must not be taken for it.
	got := Extract(k, textOf("Quan hệ với người được khai sinh: Mẹ\nHọ, chữ đệm, tên người mẹ: TRẦN THỊ MAI"))
	if got["child_name"].Value != "" || got["mother_name"].Value != "TRẦN THỊ MAI" {
		t.Errorf("%+v", got)
	}
}

func TestCheckIDNumber(t *testing.T) {
	for _, tc := range []struct{ id, year, sex, want string }{
		{"001090123456", "1990", "M", ""}, {"001190123456", "1990", "F", ""},
		{"001090123456", "1991", "M", "không khớp với năm sinh 1991."}, {"001090123456", "1990", "F", "không khớp với giới tính."},
		{"001290123456", "2090", "M", ""}, {"999090123456", "", "", "mã tỉnh 999 không có thật."}, {"12345", "", "", "không phải 12 chữ số."},
	} {
		if got, _ := checkIDNumber(tc.id, tc.year, tc.sex); got != tc.want {
			t.Errorf("%s %s %s: %q, want %q", tc.id, tc.year, tc.sex, got, tc.want)
		}
	}
}

func TestParseHOCR(t *testing.T) {
	h := `<div class='ocr_page' id='page_1'><div class='ocr_carea'><p class='ocr_par' lang='vie'>
<span class='ocr_line' id='line_1_1' title="bbox 1 2 3 4"><span class='ocrx_word' title='bbox 1 2 3 4; x_wconf 96'>TỜ</span> <span class='ocrx_word' title='bbox 1 2 3 4; x_wconf 90'>KHAI</span></span>
<span class='ocr_line'><span class='ocrx_word' title='x_wconf 50'>A&amp;B</span></span></p></div></div>`
	tx, err := ParseHOCR(strings.NewReader(h))
	if err != nil {
		t.Fatal(err)
	}
	if len(tx.Lines) != 2 || tx.Lines[0].Text != "TỜ KHAI" || tx.Lines[0].Conf != 93 || tx.Lines[1].Text != "A&B" || tx.Words != 3 {
		t.Errorf("%+v", tx)
	}
}

func FuzzExtract(f *testing.F) {
	f.Add("Họ, chữ đệm, tên người yêu cầu: NGUYỄN VĂN AN\nSố định danh cá nhân: 001090123456\nGhi bằng chữ: ngày một tháng một năm hai nghìn")
	f.Add("Ngày, tháng, năm sinh: 31/02/2020\nGiới tính: Nữ\n::::")
	cat := catalogue.Default()
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		for _, k := range cat.Kinds {
			for name, v := range Extract(&k, textOf(s)) {
				if v.Value == "" {
					t.Fatalf("%s: empty value kept", name)
				}
			}
		}
		Classify(cat, []string{"to-khai-khai-sinh", "giay-chung-sinh", "ban-chinh"}, textOf(s))
		Canonical(s)
	})
}

func FuzzParseHOCR(f *testing.F) {
	f.Add(`<span class='ocr_line'><span class='ocrx_word' title='x_wconf 50'>A</span></span>`)
	f.Add(`<span class='ocrx_word'><span class='ocrx_word'>`)
	f.Fuzz(func(t *testing.T, s string) {
		tx, err := ParseHOCR(strings.NewReader(s))
		if err == nil && tx.Words < 0 {
			t.Fatal("negative words")
		}
	})
}
