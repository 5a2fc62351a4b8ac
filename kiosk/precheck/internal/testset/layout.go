package testset

import (
	"image"
	"math/rand/v2"

	"golang.org/x/image/font"

	"xephang/kiosk/catalogue"
)

// Layout is how a page prints its labels and values: the ways real forms
// of one kind differ between hospitals, form versions and printers. The
// zero Layout is the catalogue's own wording, "Label: value" on one line,
// in catalogue order.
type Layout struct {
	Synonyms   bool // other wordings of the labels (older form versions, a hospital's own print)
	NoColon    bool // labels printed without their colon
	BoldLabels bool // labels in bold, values in regular type
	TwoLine    bool // labels in a narrow left column, long ones over two lines, values in a column to their right
	ValueBelow bool // each value on the line below its label
	Reorder    bool // the form's sections (one per person) in another order
	Extra      bool // more printed text: form number, instructions under labels, dotted leaders, other fields beside short values
}

// IsZero reports whether l is the plain layout.
func (l Layout) IsZero() bool { return l == Layout{} }

// Variant is a named layout of the variant test set.
type Variant struct {
	Name   string
	Layout Layout
}

// Variants are the layouts the variant test set is made of: each way a
// real form differs alone, then all of them at once.
func Variants() []Variant {
	return []Variant{
		{"label synonyms", Layout{Synonyms: true}},
		{"no colon", Layout{NoColon: true}},
		{"bold labels", Layout{BoldLabels: true}},
		{"two-line labels, value column", Layout{TwoLine: true}},
		{"value on the next line", Layout{ValueBelow: true}},
		{"sections reordered", Layout{Reorder: true}},
		{"extra printed text", Layout{Extra: true}},
		{"all variants together", Layout{Synonyms: true, NoColon: true, BoldLabels: true, TwoLine: true, Reorder: true, Extra: true}},
		{"synonyms, no colon, value below, extra", Layout{Synonyms: true, NoColon: true, ValueBelow: true, Extra: true}},
	}
}

// synonyms are other wordings of the labels, by kind and field, as other
// versions of the forms and other hospitals print them. They were written
// from the forms (Thông tư 17/2012/TT-BYT giấy chứng sinh, Thông tư
// 15/2015 and 04/2020/TT-BTP tờ khai, the CCCD, CT01), before and apart
// from the pre-check's own table of label variants.
var synonyms = map[string]map[string][]string{
	"to-khai-khai-sinh": {
		"applicant_name":         {"Họ và tên người yêu cầu", "Họ, chữ đệm và tên người yêu cầu"},
		"applicant_id_number":    {"Số CMND/CCCD/Số định danh cá nhân", "Giấy tờ tùy thân (CCCD/Số định danh cá nhân)"},
		"applicant_relation":     {"Quan hệ với người được đăng ký khai sinh", "Mối quan hệ với người được khai sinh"},
		"child_name":             {"Họ và tên", "Họ, chữ đệm và tên"},
		"child_birth_date":       {"Ngày tháng năm sinh", "Sinh ngày"},
		"child_birth_date_words": {"Bằng chữ", "(Ghi bằng chữ)"},
		"child_sex":              {"Giới tính", "Nam/Nữ"},
		"mother_name":            {"Họ và tên người mẹ", "Họ, chữ đệm và tên người mẹ", "Họ và tên mẹ"},
		"mother_birth_year":      {"Năm sinh", "Sinh năm"},
		"father_name":            {"Họ và tên người cha", "Họ và tên cha"},
		"father_birth_year":      {"Năm sinh", "Sinh năm"},
	},
	"giay-chung-sinh": {
		"mother_name":      {"Họ và tên mẹ/người nuôi dưỡng", "Họ tên mẹ", "Họ và tên người mẹ"},
		"mother_id_number": {"Số CMND/CCCD/Số định danh cá nhân", "Số CMND/Hộ chiếu/CCCD", "Số định danh cá nhân của mẹ"},
		"child_birth_date": {"Đã sinh con vào lúc", "Sinh con vào lúc", "Ngày sinh của con"},
		"child_sex":        {"Giới tính", "Giới tính con"},
		"child_name":       {"Dự định đặt tên con (là)", "Dự định đặt tên con", "Tên dự định đặt cho con"},
	},
	"van-ban-lam-chung": {
		"witness_name":     {"Họ và tên người làm chứng", "Họ, chữ đệm và tên người làm chứng"},
		"child_birth_date": {"Ngày tháng năm sinh", "Sinh ngày"},
	},
	"giay-cam-doan-viec-sinh": {
		"applicant_name":   {"Họ và tên người cam đoan", "Tôi tên là"},
		"child_birth_date": {"Ngày tháng năm sinh", "Sinh ngày"},
	},
	"giay-to-tuy-than": {
		"holder_id_number":  {"Số / No.", "Số định danh cá nhân / No."},
		"holder_name":       {"Họ và tên / Full name", "Họ, chữ đệm và tên khai sinh"},
		"holder_birth_date": {"Ngày sinh / Date of birth", "Ngày, tháng, năm sinh / Date of birth"},
		"holder_sex":        {"Giới tính / Sex"},
	},
	"to-khai-ket-hon": {
		"wife_name":          {"Họ và tên bên nữ", "Họ, chữ đệm và tên bên nữ"},
		"wife_birth_date":    {"Ngày tháng năm sinh bên nữ", "Ngày sinh bên nữ"},
		"wife_id_number":     {"Số CMND/CCCD/Số định danh cá nhân bên nữ", "Giấy tờ tùy thân bên nữ"},
		"husband_name":       {"Họ và tên bên nam", "Họ, chữ đệm và tên bên nam"},
		"husband_birth_date": {"Ngày tháng năm sinh bên nam", "Ngày sinh bên nam"},
		"husband_id_number":  {"Số CMND/CCCD/Số định danh cá nhân bên nam", "Giấy tờ tùy thân bên nam"},
	},
	"xac-nhan-tinh-trang-hon-nhan": {
		"status_person_name":       {"Họ và tên", "Họ, chữ đệm và tên"},
		"status_person_birth_date": {"Ngày tháng năm sinh", "Sinh ngày"},
		"status_person_id_number":  {"Số CMND/CCCD/Số định danh cá nhân", "Giấy tờ tùy thân"},
		"marital_status":           {"Tình trạng hôn nhân hiện nay", "Tình trạng hôn nhân"},
	},
	"to-khai-trich-luc": {
		"applicant_name":      {"Họ và tên người yêu cầu", "Họ, chữ đệm và tên người yêu cầu"},
		"applicant_id_number": {"Số CMND/CCCD/Số định danh cá nhân", "Giấy tờ tùy thân"},
		"subject_name":        {"Họ và tên người được cấp bản sao", "Họ, chữ đệm, tên người được cấp bản sao trích lục"},
		"extract_kind":        {"Loại việc hộ tịch đề nghị cấp bản sao", "Việc hộ tịch đã đăng ký"},
	},
	"to-khai-cu-tru": {
		"applicant_name":       {"Họ, chữ đệm và tên(1)", "Họ và tên"},
		"applicant_birth_date": {"Ngày, tháng, năm sinh(2)", "Ngày sinh"},
		"applicant_sex":        {"Giới tính(3)", "Giới tính"},
		"applicant_id_number":  {"Số định danh cá nhân(4)", "Số định danh cá nhân/CMND"},
		"residence_address":    {"Nội dung đề nghị(5)", "Nội dung đề nghị"},
	},
	"don-dang-ky-dat-dai": {
		"applicant_name":      {"Người sử dụng đất", "Tên người sử dụng đất, chủ sở hữu tài sản"},
		"applicant_id_number": {"Số CMND/CCCD/Số định danh cá nhân", "Giấy tờ nhân thân số"},
		"parcel_number":       {"Thửa đất số", "Số thửa"},
		"map_sheet":           {"Tờ bản đồ số", "Số tờ bản đồ"},
	},
}

// instructions are the small print some forms put under a label.
var instructions = []string{
	"(Ghi đầy đủ theo giấy tờ tùy thân, bằng chữ in hoa)",
	"(Ghi rõ theo giấy khai sinh hoặc thẻ căn cước)",
	"(Nếu có)",
}

// label returns the wording printed for field fl of kind k.
func (l Layout) label(k *catalogue.Kind, fl catalogue.Field, rng *rand.Rand) string {
	if l.Synonyms {
		if s := synonyms[k.ID][fl.Name]; len(s) > 0 {
			return s[rng.IntN(len(s))]
		}
	}
	return fl.Label
}

// value returns the value as printed: the truth's written form, or for the
// chứng sinh's birth time in synonyms layouts the form's own
// "… giờ … phút, ngày … tháng … năm …".
func (l Layout) value(k *catalogue.Kind, fl catalogue.Field, written string, rng *rand.Rand) string {
	if l.Synonyms && k.ID == "giay-chung-sinh" && fl.Name == "child_birth_date" {
		d, m, y := written[0:2], written[3:5], written[6:10]
		hm := []string{"08 giờ 15 phút", "14 giờ 40 phút", "23 giờ 05 phút"}[rng.IntN(3)]
		if rng.IntN(2) == 0 {
			return hm + ", ngày " + d + " tháng " + m + " năm " + y
		}
		return hm + " ngày " + written
	}
	return written
}

// order returns the fields of k in the order the page prints them: the
// catalogue's, or with Reorder its sections (runs of fields about the same
// person) shuffled.
func (l Layout) order(k *catalogue.Kind, rng *rand.Rand) []catalogue.Field {
	if !l.Reorder || len(k.Fields) < 2 {
		return k.Fields
	}
	var sections [][]catalogue.Field
	last := "\x00"
	for _, f := range k.Fields {
		p, _ := splitField(f.Name)
		if p != last || len(sections) == 0 {
			sections = append(sections, nil)
			last = p
		}
		sections[len(sections)-1] = append(sections[len(sections)-1], f)
	}
	if len(sections) > 1 {
		// Another order, never the catalogue's own.
		for {
			rng.Shuffle(len(sections), func(i, j int) { sections[i], sections[j] = sections[j], sections[i] })
			if sections[0][0].Name != k.Fields[0].Name {
				break
			}
		}
	} else {
		s := sections[0]
		rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	}
	var out []catalogue.Field
	for _, s := range sections {
		out = append(out, s...)
	}
	return out
}

// besides are other fields a form prints on the same line as a short value.
var besides = []string{"Dân tộc: Kinh", "Quốc tịch: Việt Nam", "Nơi sinh: Hà Nội"}

// pen draws text on a page.
type pen struct {
	img  *image.Gray
	f    *faces
	line func(font.Face) int
	text func(face font.Face, s string, x, y int)
}

// field draws one label and its value from (x, y) within width and returns
// the y of the next line.
func (l Layout) field(p pen, label, value string, short bool, x, y, width int, rng *rand.Rand, dpi int) int {
	in := float64(dpi)
	lface := p.f.body
	if l.BoldLabels {
		lface = p.f.bold
	}
	colon := ":"
	if l.NoColon {
		colon = ""
	}
	if l.Extra && short && rng.IntN(2) == 0 {
		value += "        " + besides[rng.IntN(len(besides))]
	}
	if l.Extra && rng.IntN(3) == 0 {
		value = "......... " + value + " ........."
	}
	step := p.line(p.f.body)
	switch {
	case l.TwoLine:
		col := int(2.4 * in)
		lines := wrap(lface, label+colon, col-int(0.15*in))
		vx := x + col + int(0.1*in)
		vl := wrap(p.f.body, value, width-col-int(0.1*in))
		for i := 0; i < max(len(lines), len(vl)); i++ {
			if i < len(lines) {
				p.text(lface, lines[i], x, y)
			}
			if i < len(vl) {
				p.text(p.f.body, vl[i], vx, y)
			}
			y += step
		}
	case l.ValueBelow:
		for _, ln := range wrap(lface, label+colon, width) {
			p.text(lface, ln, x, y)
			y += step
		}
		for _, ln := range wrap(p.f.body, value, width-int(0.3*in)) {
			p.text(p.f.body, ln, x+int(0.3*in), y)
			y += step
		}
	default:
		lab := label + colon + " "
		adv := font.MeasureString(lface, lab).Ceil()
		if l.NoColon {
			adv += int(0.12 * in) // a wider gap where the colon was
		}
		p.text(lface, lab, x, y)
		first := true
		for _, ln := range wrap(p.f.body, value, width-adv) {
			if first {
				p.text(p.f.body, ln, x+adv, y)
				first = false
			} else {
				p.text(p.f.body, ln, x, y)
			}
			y += step
		}
	}
	if l.Extra && rng.IntN(3) == 0 {
		p.text(p.f.small, instructions[rng.IntN(len(instructions))], x+int(0.3*in), y-step/4)
		y += p.line(p.f.small)
	}
	return y
}

// shortValue says whether a field's value is short enough for a form to
// print another field beside it.
func shortValue(t string) bool {
	return t == catalogue.TypeSex || t == catalogue.TypeYear || t == catalogue.TypeDate
}

// headings name a form's sections, by the person they are about.
var headings = map[string]string{
	"applicant": "I. THÔNG TIN NGƯỜI YÊU CẦU", "child": "II. THÔNG TIN NGƯỜI ĐƯỢC KHAI SINH",
	"mother": "THÔNG TIN VỀ NGƯỜI MẸ", "father": "THÔNG TIN VỀ NGƯỜI CHA",
	"wife": "BÊN NỮ", "husband": "BÊN NAM",
}

// renderLayout draws the labelled fields of a form page in layout
// opt.Layout from y and returns the y below them.
func renderLayout(k *catalogue.Kind, d *Dossier, pg *Page, p pen, opt Options, rng *rand.Rand, left, right, y int) int {
	l := opt.Layout
	in := float64(opt.DPI)
	if l.Extra {
		p.text(p.f.small, "Mẫu số 01 - Ban hành kèm theo văn bản hướng dẫn hiện hành", right-int(4.6*in), int(0.45*in))
		p.text(p.f.small, "(Đánh dấu X vào ô thích hợp; không tẩy xóa, sửa chữa)", left+int(1.5*in), y-p.line(p.f.body)/2)
		y += p.line(p.f.small)
	}
	fillers := []string{"Nơi cư trú: số 8 phố Phan Đình Phùng, phường Ba Đình, Hà Nội", "Dân tộc: Kinh        Quốc tịch: Việt Nam", "Nơi sinh: Bệnh viện Phụ sản Hà Nội"}
	section := "\x00"
	for i, fl := range l.order(k, rng) {
		wr, tr := d.Truth(fl)
		if fl.Type == catalogue.TypeDateWords {
			wr = upperFirst(wr)
		}
		if pre, _ := splitField(fl.Name); l.Extra && pre != section {
			section = pre
			if h := headings[pre]; h != "" {
				p.text(p.f.bold, h, left, y)
				y += p.line(p.f.body)
			}
		}
		y = l.field(p, l.label(k, fl, rng), l.value(k, fl, wr, rng), shortValue(fl.Type), left, y, right-left, rng, opt.DPI)
		pg.Fields[fl.Name] = tr
		if i%3 == 2 {
			p.text(p.f.body, fillers[(i/3)%len(fillers)], left, y)
			y += p.line(p.f.body)
		}
	}
	return y
}
