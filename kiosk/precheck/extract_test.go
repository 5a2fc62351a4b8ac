package precheck

import (
	"image"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

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
<span class='ocr_line' id='line_1_1' title="bbox 100 200 500 260; baseline 0.01 -10; x_size 50; x_descenders 9; x_ascenders 9"><span class='ocrx_word' title='bbox 100 205 200 250; x_wconf 96'>TỜ</span> <span class='ocrx_word' title='bbox 300 204 500 250; x_wconf 90'>KHAI</span></span>
<span class='ocr_line'><span class='ocrx_word' title='x_wconf 50'>A&amp;B</span></span></p></div></div>`
	tx, err := ParseHOCR(strings.NewReader(h))
	if err != nil {
		t.Fatal(err)
	}
	if len(tx.Lines) != 2 || tx.Lines[0].Text != "TỜ KHAI" || tx.Lines[0].Conf != 93 || tx.Lines[1].Text != "A&B" || tx.Words != 3 {
		t.Errorf("%+v", tx)
	}
	// Baseline under a word: 260 − 10 + 0.01·(centre − 100), rounded.
	want := []Word{{Text: "TỜ", Conf: 96, Box: image.Rect(100, 205, 200, 250), Baseline: 251, Size: 50}, {Text: "KHAI", Conf: 90, Box: image.Rect(300, 204, 500, 250), Baseline: 253, Size: 50}}
	if !slices.Equal(tx.Lines[0].Words, want) {
		t.Errorf("words %+v, want %+v", tx.Lines[0].Words, want)
	}
	if w := tx.Lines[1].Words; len(w) != 1 || w[0].Text != "A&B" || w[0].Conf != 50 || !w[0].Box.Empty() || w[0].Size != 0 {
		t.Errorf("word without box: %+v", w)
	}
	tx.Offset(image.Pt(10, 20))
	if w := tx.Lines[0].Words[1]; w.Box != image.Rect(310, 224, 510, 270) || w.Baseline != 273 || tx.Lines[0].Box != image.Rect(110, 220, 510, 280) {
		t.Errorf("offset: %+v", w)
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
		if err != nil {
			return
		}
		n := 0
		for _, l := range tx.Lines {
			for _, w := range l.Words {
				if w.Text == "" || w.Text != norm.NFC.String(w.Text) {
					t.Fatalf("word %q", w.Text)
				}
				if w.Box.Min.X < 0 || w.Box.Min.Y < 0 || w.Size < 0 {
					t.Fatalf("box %+v", w)
				}
				n++
			}
		}
		if n != tx.Words {
			t.Fatalf("%d words in lines, %d counted", n, tx.Words)
		}
	})
}

// Labels as other form versions, hospitals and printers word and place
// them: every case must read the same values.
func TestExtractLabelVariants(t *testing.T) {
	cat := catalogue.Default()
	sinh := map[string]string{"mother_name": "LÊ THỊ HUYỀN", "mother_id_number": "079301644426", "child_birth_date": "2025-10-04", "child_sex": "F", "child_name": "ĐẶNG THANH HƯƠNG"}
	for _, tc := range []struct {
		name, kind, text string
		want             map[string]string
	}{
		{"Thông tư 17/2012 wording", "giay-chung-sinh", `GIẤY CHỨNG SINH
Họ và tên mẹ/người nuôi dưỡng: LÊ THỊ HUYỀN
Số CMND/CCCD/Số định danh cá nhân: 079301644426
Đã sinh con vào lúc: 08 giờ 15 phút, ngày 04 tháng 10 năm 2025
Giới tính của con: Nữ
Dự định đặt tên con (là): ĐẶNG THANH HƯƠNG`, sinh},
		{"no colon", "giay-chung-sinh", `Họ và tên mẹ LÊ THỊ HUYỀN
Số CMND/CCCD/Số định danh cá nhân 079301644426
Sinh con vào lúc 08 giờ 15 phút ngày 04/10/2025
Giới tính con Nữ
Dự định đặt tên con là ĐẶNG THANH HƯƠNG`, sinh},
		{"two-line labels, value on the first line", "giay-chung-sinh", `Họ và tên mẹ/người ......... LÊ THỊ HUYỀN .........
nuôi dưỡng:
Số CMND/CCCD/Số 079301644426
định danh cá nhân:
Đã sinh con vào lúc: 04/10/2025
Giới tính của con: Nữ
Dự định đặt tên con (là): ĐẶNG THANH HƯƠNG`, sinh},
		{"two-line labels, value after the second line", "giay-chung-sinh", `Họ và tên mẹ/người
nuôi dưỡng: LÊ THỊ HUYỀN
Số CMND/CCCD/Số
định danh cá nhân: 079301644426
Ngày sinh của con: 04/10/2025
Giới tính: Nữ
Tên dự định đặt cho con: ĐẶNG THANH HƯƠNG`, sinh},
		{"values on the next line", "giay-chung-sinh", `Họ tên mẹ:
LÊ THỊ HUYỀN
Số định danh cá nhân của mẹ:
079301644426
(Ghi theo thẻ căn cước)
Đã sinh con vào lúc:
08 giờ 15 phút ngày 04/10/2025
Giới tính của con:
Nữ
Dự định đặt tên con là:
ĐẶNG THANH HƯƠNG`, sinh},
		{"OCR slips and wordings not in the table", "giay-chung-sinh", `Ho va tèn me/ngưòi nuoi duỡng: LÊ THỊ HUYỀN
Số CCCD của mẹ: 079301644426
Đã sinh con vào lủc: 04/10/2025
Giói tính của con: Nữ
Dư đinh đăt tên con la: ĐẶNG THANH HƯƠNG`, sinh},
		{"sections reordered, fields beside values, extra text", "to-khai-khai-sinh", `TỜ KHAI ĐĂNG KÝ KHAI SINH
Mẫu số 01 - Ban hành kèm theo văn bản hướng dẫn hiện hành
THÔNG TIN VỀ NGƯỜI CHA
Họ và tên người cha: ......... NGUYỄN VĂN HÒA .........
Sinh năm: 1990        Dân tộc: Kinh
THÔNG TIN VỀ NGƯỜI MẸ
Họ và tên mẹ: TRẦN THỊ MAI
(Ghi đầy đủ theo giấy tờ tùy thân, bằng chữ in hoa)
Năm sinh: 1995        Quốc tịch: Việt Nam
I. THÔNG TIN NGƯỜI YÊU CẦU
Họ, chữ đệm và tên người yêu cầu: NGUYỄN VĂN HÒA
Giấy tờ tùy thân (CCCD/Số định danh cá nhân): 001090123456
Mối quan hệ với người được khai sinh: Cha
II. THÔNG TIN NGƯỜI ĐƯỢC KHAI SINH
Họ và tên: NGUYỄN THỊ THỦY
Ngày tháng năm sinh: 15/03/2025        Nơi sinh: Hà Nội
Bằng chữ: Ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi lăm
Nam/Nữ: Nữ
Người yêu cầu (ký, ghi rõ họ và tên)`, map[string]string{
			"applicant_name": "NGUYỄN VĂN HOÀ", "applicant_id_number": "001090123456", "applicant_relation": "Cha",
			"child_name": "NGUYỄN THỊ THUỶ", "child_birth_date": "2025-03-15", "child_birth_date_words": "2025-03-15",
			"child_sex": "F", "mother_name": "TRẦN THỊ MAI", "mother_birth_year": "1995",
			"father_name": "NGUYỄN VĂN HOÀ", "father_birth_year": "1990",
		}},
		{"card with bilingual labels, value below", "giay-to-tuy-than", `CĂN CƯỚC CÔNG DÂN
Số/No.: 038093151316
Họ và tên/Full name:
LÊ MINH HÙNG
Ngày sinh/Date of birth: 19/04/1993
Giới tính/Sex: Nam        Quốc tịch/Nationality: Việt Nam`, map[string]string{
			"holder_id_number": "038093151316", "holder_name": "LÊ MINH HÙNG", "holder_birth_date": "1993-04-19", "holder_sex": "M",
		}},
		{"CT01 footnote marks", "to-khai-cu-tru", `Họ, chữ đệm và tên(1): HỒ VĂN QUÂN
Ngày, tháng, năm sinh(2): 01/02/1988
Giới tính(3): Nam
Số định danh cá nhân(4): 040088329080
Nội dung đề nghị(5): Đăng ký thường trú tại số 12 phố Hàng Bông`, map[string]string{
			"applicant_name": "HỒ VĂN QUÂN", "applicant_birth_date": "1988-02-01", "applicant_sex": "M", "applicant_id_number": "040088329080",
			"residence_address": "Đăng ký thường trú tại số 12 phố Hàng Bông",
		}},
		{"CT01 as OCR garbles it", "to-khai-cu-tru", `Họ, chữ đệm và tên(1) HỒ VĂN QUÂN
Ngày sinhh quy 01/02/1988.........
Giới tính 3) Nam
Số định danh cá nhân(4): ˆ......... 040088329080
Nội dung đề nghị 5)......... Đăng ký thường trú tại số 12 phố Hàng Bông`, map[string]string{
			"applicant_name": "HỒ VĂN QUÂN", "applicant_birth_date": "1988-02-01", "applicant_sex": "M", "applicant_id_number": "040088329080",
			"residence_address": "Đăng ký thường trú tại số 12 phố Hàng Bông",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex := ExtractFields(cat.Kind(tc.kind), textOf(tc.text), DefaultLabels())
			for k, v := range tc.want {
				if ex.Values[k].Value != v {
					t.Errorf("%s = %q, want %q (missing: %v)", k, ex.Values[k].Value, v, ex.Missing[k])
				}
			}
			if len(ex.Missing) != 0 {
				t.Errorf("missing %v", ex.Missing)
			}
		})
	}
}

// A value column: Tesseract reads the labels' column and the values'
// column as separate lines, in any order; the value is found by position.
func TestExtractValueColumn(t *testing.T) {
	k := catalogue.Default().Kind("giay-chung-sinh")
	line := func(s string, x, y, w int) Line { return Line{Text: s, Conf: 90, Box: image.Rect(x, y, x+w, y+50)} }
	tx := &Text{Conf: 90, Lines: []Line{
		line("GIẤY CHỨNG SINH", 900, 300, 700),
		line("Họ và tên mẹ/người", 270, 800, 560),
		line("nuôi dưỡng", 270, 870, 300),
		line("Số CMND/CCCD/Số", 270, 960, 500),
		line("định danh cá nhân", 270, 1030, 500),
		line("Đã sinh con vào lúc", 270, 1120, 560),
		line("Giới tính của con", 270, 1200, 520),
		line("Dự định đặt tên con (là)", 270, 1280, 700),
		line("LÊ THỊ HUYỀN", 1000, 802, 420),
		line("079301644426", 1000, 962, 400),
		line("04/10/2025", 1000, 1122, 300),
		line("Nữ", 1000, 1202, 80),
		line("ĐẶNG THANH HƯƠNG", 1000, 1282, 600),
	}}
	ex := ExtractFields(k, tx, DefaultLabels())
	want := map[string]string{"mother_name": "LÊ THỊ HUYỀN", "mother_id_number": "079301644426", "child_birth_date": "2025-10-04", "child_sex": "F", "child_name": "ĐẶNG THANH HƯƠNG"}
	for f, v := range want {
		if ex.Values[f].Value != v {
			t.Errorf("%s = %q, want %q", f, ex.Values[f].Value, v)
		}
	}
}

// A field not found says why: no label, or a label without a value.
func TestExtractMissing(t *testing.T) {
	k := catalogue.Default().Kind("giay-chung-sinh")
	ex := ExtractFields(k, textOf("Họ và tên mẹ: LÊ THỊ HUYỀN\nGiới tính của con: ???\nDân tộc: Kinh"), DefaultLabels())
	if ex.Missing["child_sex"] != MissValue || ex.Missing["child_name"] != MissLabel || ex.Values["mother_name"].Value != "LÊ THỊ HUYỀN" {
		t.Errorf("%+v", ex)
	}
}

// Every kind and field of the table exists in the catalogue, and every
// field's own label is among its wordings.
func TestLabelTable(t *testing.T) {
	cat := catalogue.Default()
	tb := DefaultLabels()
	for kid, fields := range tb.Kinds {
		k := cat.Kind(kid)
		if k == nil {
			t.Errorf("labels.json: kind %q not in the catalogue", kid)
			continue
		}
		for name := range fields {
			found := false
			for _, f := range k.Fields {
				found = found || f.Name == name
			}
			if !found {
				t.Errorf("labels.json: %s has no field %q", kid, name)
			}
		}
	}
	for _, k := range cat.Kinds {
		for _, f := range k.Fields {
			v := tb.Variants(&k, f)
			if len(v) == 0 || v[0] != foldKeyString(f.Label) {
				t.Errorf("%s.%s: variants %q", k.ID, f.Name, v)
			}
		}
	}
	if got := tb.Variants(cat.Kind("to-khai-khai-sinh"), catalogue.Field{Label: "Họ, chữ đệm, tên người mẹ"}); !slices.Contains(got, "ho va ten me") || slices.Contains(got, "ho va ten nguoi me sinh") {
		t.Errorf("phrase swaps: %q", got)
	}
}

// FuzzLabelMatch feeds outside text (what OCR read) to the label matcher:
// folded keys map back into the text, and extraction from lines placed
// anywhere never panics nor keeps an empty value.
func FuzzLabelMatch(f *testing.F) {
	f.Add("Họ và tên mẹ/người\nnuôi dưỡng: LÊ THỊ HUYỀN\nSố CMND/CCCD/Số định danh cá nhân 079301644426", 7)
	f.Add("Giới tính: Nữ   Dân tộc: Kinh\n:::: (1)\n......", 0)
	f.Add("Đ\u0301\u0323: ̉ ̀x", 3)
	cat := catalogue.Default()
	kinds := []string{"giay-chung-sinh", "to-khai-khai-sinh", "giay-to-tuy-than", "don-dang-ky-dat-dai"}
	f.Fuzz(func(t *testing.T, s string, seed int) {
		if len(s) > 2048 {
			return
		}
		key, offs := FoldKey(s)
		if len(key) != len(offs) {
			t.Fatalf("%d runes, %d offsets", len(key), len(offs))
		}
		for i, o := range offs {
			if o < 0 || o > len(norm.NFC.String(s)) || i > 0 && o < offs[i-1] {
				t.Fatalf("offset %d = %d", i, o)
			}
		}
		tx := textOf(s)
		for i := range tx.Lines {
			x, y := (seed*(i+3))%1500, (seed*(i+1)*37)%3000
			if x < 0 {
				x = -x
			}
			if y < 0 {
				y = -y
			}
			tx.Lines[i].Box = image.Rect(x, y, x+10+len(tx.Lines[i].Text)*20, y+50)
		}
		for _, id := range kinds {
			k := cat.Kind(id)
			for _, text := range []*Text{textOf(s), tx} {
				ex := ExtractFields(k, text, DefaultLabels())
				for name, v := range ex.Values {
					if v.Value == "" {
						t.Fatalf("%s: empty value kept", name)
					}
					if _, miss := ex.Missing[name]; miss {
						t.Fatalf("%s both read and missing", name)
					}
				}
				if len(ex.Values)+len(ex.Missing) != len(k.Fields) {
					t.Fatalf("%d read + %d missing of %d fields", len(ex.Values), len(ex.Missing), len(k.Fields))
				}
			}
		}
	})
}

func BenchmarkExtractFields(b *testing.B) {
	k := catalogue.Default().Kind("to-khai-khai-sinh")
	s := ""
	for i := 0; i < 4; i++ {
		s += "Họ và tên người cha: ......... NGUYỄN VĂN HÒA .........\nSinh năm: 1990        Dân tộc: Kinh\nTôi cam đoan nội dung đề nghị đăng ký trên đây là đúng sự thật và chịu trách nhiệm\nHọ, chữ đệm và tên người yêu cầu: NGUYỄN VĂN HÒA\nGiấy tờ tùy thân (CCCD/Số định danh cá nhân): 001090123456\nNgày tháng năm sinh: 15/03/2025        Nơi sinh: Hà Nội\nBằng chữ: Ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi lăm\n"
	}
	tx := textOf(s)
	for b.Loop() {
		ExtractFields(k, tx, DefaultLabels())
	}
}

// A centre's own label table must be a valid one: kioskd precheck -labels
// refuses a broken file before reading any page.
func TestCommandLabelsFile(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/labels.json"
	if err := os.WriteFile(bad, []byte(`{"phrases": [["Họ và tên"]]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	if code := Command([]string{"-procedure", "khai-sinh", "-labels", bad, "page.png"}, nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "labels") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	if _, err := ParseLabelTable(labelsJSON); err != nil {
		t.Error(err)
	}
}

// Printed instructions under a label are not its value.
func TestExtractSkipsInstructions(t *testing.T) {
	k := catalogue.Default().Kind("to-khai-khai-sinh")
	ex := ExtractFields(k, textOf("Quan hệ với người được khai sinh:\n(Ghi rõ theo giấy khai sinh hoặc thẻ căn cước)\nMẹ\nHọ và tên:\n(Ghi đầy đủ bằng chữ in hoa)\n(Nếu có)\nNGUYỄN THỊ THỦY"), DefaultLabels())
	if ex.Values["applicant_relation"].Value != "Mẹ" || ex.Values["child_name"].Value != "NGUYỄN THỊ THUỶ" {
		t.Errorf("%+v", ex.Values)
	}
}
