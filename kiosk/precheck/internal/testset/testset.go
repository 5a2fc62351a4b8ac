// Package testset renders filled-in dossier pages for testing and measuring
// the pre-check: the forms of the procedure catalogue typed with DejaVu Sans
// at a chosen resolution, optionally turned (skew) and spoiled with scanner
// noise, each with the truth of what is written on it.
//
// The pages follow the catalogue's field labels and order, as the printed
// forms do; they are typed, not handwritten, which is what the kiosk can
// promise to read.
package testset

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/f64"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"

	"xephang/drivers/idcard"
	"xephang/kiosk/catalogue"
)

// Options say how a page is "scanned".
type Options struct {
	DPI    int     // 300 when zero
	Skew   float64 // degrees, counter-clockwise
	Noise  float64 // 0–1: grey noise amplitude and share of salt-and-pepper specks (0.05 is a poor scanner)
	Layout Layout  // how labels and values are printed; the zero Layout is the catalogue's wording, one "Label: value" a line
}

// Page is one generated page and its truth.
type Page struct {
	Kind   string            // catalogue kind id
	Fields map[string]string // field name → value as the pre-check should report it
	Image  *image.Gray
	Opt    Options
	// Words are every word typed on the page, in the order typed, with
	// the box of its ink; nil when the page was turned (Options.Skew).
	Words []Word
}

// Word is a word typed on a page and where: the bounds of its glyphs, in
// pixels.
type Word struct {
	Text string
	Box  image.Rectangle
}

// Person is someone named in a dossier.
type Person struct {
	Name  string // as written on the forms (may use old tone placement)
	Birth idcard.Date
	Male  bool
	ID    string // 12-digit personal number matching birth year and sex
}

// Dossier is the people and facts one citizen's papers share.
type Dossier struct {
	People   map[string]*Person // by field prefix: applicant, child, mother, father, husband, wife, holder…
	Relation string
}

var (
	surnames     = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middleMale   = []string{"Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Xuân"}
	middleFemale = []string{"Thị", "Ngọc", "Thu", "Thanh", "Bích", "Khánh"}
	givenMale    = []string{"An", "Bình", "Cường", "Dũng", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quân", "Sơn", "Tuấn", "Việt", "Hòa", "Khải", "Nghĩa"}
	givenFemale  = []string{"Anh", "Chi", "Hà", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Phương", "Thảo", "Trang", "Thủy", "Hòa", "Yến", "Nguyệt", "Huyền"}
	provinces    = []string{"001", "079", "031", "048", "092", "036", "038", "040", "046", "075"}
)

// NewPerson makes up a person born between from and to.
func NewPerson(rng *rand.Rand, male bool, from, to int) *Person {
	p := &Person{Male: male}
	mid, given := middleFemale, givenFemale
	if male {
		mid, given = middleMale, givenMale
	}
	g := given[rng.IntN(len(given))]
	if rng.IntN(2) == 0 { // half the forms use the new tone placement
		g = strings.NewReplacer("Hòa", "Hoà", "Thủy", "Thuỷ").Replace(g)
	}
	p.Name = surnames[rng.IntN(len(surnames))] + " " + mid[rng.IntN(len(mid))] + " " + g
	t := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN((to-from)*365))
	p.Birth = idcard.DateOf(t)
	century := (p.Birth.Year/100 - 19) * 2
	if !male {
		century++
	}
	p.ID = fmt.Sprintf("%s%d%02d%06d", provinces[rng.IntN(len(provinces))], century, p.Birth.Year%100, rng.IntN(1000000))
	return p
}

// NewDossier makes up the people of one dossier.
func NewDossier(rng *rand.Rand) *Dossier {
	mother := NewPerson(rng, false, 1985, 2003)
	father := NewPerson(rng, true, 1982, 2001)
	child := NewPerson(rng, rng.IntN(2) == 0, 2025, 2026)
	d := &Dossier{People: map[string]*Person{
		"mother": mother, "father": father, "child": child,
		"husband": NewPerson(rng, true, 1980, 2004), "wife": NewPerson(rng, false, 1982, 2006),
		"status_person": nil, "witness": NewPerson(rng, rng.IntN(2) == 0, 1950, 1990),
		"subject": NewPerson(rng, rng.IntN(2) == 0, 1960, 2020),
	}}
	applicant, rel := mother, "Mẹ"
	if rng.IntN(2) == 0 {
		applicant, rel = father, "Cha"
	}
	d.People["applicant"], d.People["holder"], d.Relation = applicant, applicant, rel
	d.People["status_person"] = d.People["wife"]
	return d
}

// Truth returns the value the pre-check should report for a field.
func (d *Dossier) Truth(f catalogue.Field) (written, truth string) {
	prefix, attr := splitField(f.Name)
	p := d.People[prefix]
	switch {
	case p != nil && attr == "name":
		return strings.ToUpper(p.Name), canonicalUpper(p.Name)
	case p != nil && attr == "id_number":
		return p.ID, p.ID
	case p != nil && attr == "birth_date":
		return fmt.Sprintf("%02d/%02d/%04d", p.Birth.Day, p.Birth.Month, p.Birth.Year), p.Birth.String()
	case p != nil && attr == "birth_date_words":
		w := dateWords(p.Birth)
		return w, p.Birth.String()
	case p != nil && attr == "birth_year":
		y := fmt.Sprint(p.Birth.Year)
		return y, y
	case p != nil && attr == "sex":
		if p.Male {
			return "Nam", "M"
		}
		return "Nữ", "F"
	}
	v := map[string]string{
		"applicant_relation": d.Relation,
		"marital_status":     "Chưa đăng ký kết hôn với ai",
		"extract_kind":       "Khai sinh",
		"residence_address":  "Đăng ký thường trú tại số 12 phố Hàng Bông",
		"parcel_number":      "125",
		"map_sheet":          "17",
	}[f.Name]
	if v == "" {
		v = "Không có"
	}
	return v, norm.NFC.String(v)
}

func splitField(name string) (prefix, attr string) {
	for _, a := range []string{"birth_date_words", "birth_date", "birth_year", "id_number", "name", "sex"} {
		if p, ok := strings.CutSuffix(name, "_"+a); ok {
			return p, a
		}
	}
	return "", name
}

// Render draws one page of kind k for dossier d.
func Render(k *catalogue.Kind, d *Dossier, rng *rand.Rand, opt Options) (*Page, error) {
	if opt.DPI == 0 {
		opt.DPI = 300
	}
	f, err := loadFaces(opt.DPI)
	if err != nil {
		return nil, err
	}
	w, h := int(8.27*float64(opt.DPI)), int(11.69*float64(opt.DPI))
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	pg := &Page{Kind: k.ID, Fields: map[string]string{}, Image: img, Opt: opt}
	in := float64(opt.DPI)
	left, right := int(0.9*in), w-int(0.8*in)
	y := int(0.8 * in)
	line := func(face font.Face) int { return face.Metrics().Height.Ceil() * 13 / 10 }
	text := func(face font.Face, s string, x, y int) {
		(&font.Drawer{Dst: img, Src: image.Black, Face: face, Dot: fixed.P(x, y)}).DrawString(s)
		pg.Words = append(pg.Words, wordsOf(face, s, x, y)...)
	}
	centre := func(face font.Face, s string, cx, y int) {
		adv := font.MeasureString(face, s).Ceil()
		text(face, s, cx-adv/2, y)
	}
	card := k.ID == "giay-to-tuy-than"
	if card {
		// A photocopy of the card, about 1.6 times its size, at the top.
		cw, ch := int(5.4*in), int(3.4*in)
		x0, y0 := left, y
		for i := 0; i < 3; i++ {
			xdraw.Draw(img, image.Rect(x0+i, y0+i, x0+cw-i, y0+i+1), image.Black, image.Point{}, draw.Src)
			xdraw.Draw(img, image.Rect(x0+i, y0+ch-i-1, x0+cw-i, y0+ch-i), image.Black, image.Point{}, draw.Src)
			xdraw.Draw(img, image.Rect(x0+i, y0+i, x0+i+1, y0+ch-i), image.Black, image.Point{}, draw.Src)
			xdraw.Draw(img, image.Rect(x0+cw-i-1, y0+i, x0+cw-i, y0+ch-i), image.Black, image.Point{}, draw.Src)
		}
		cy := y0 + line(f.small) + int(0.1*in)
		centre(f.small, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", x0+cw/2, cy)
		cy += line(f.small)
		centre(f.small, "Độc lập - Tự do - Hạnh phúc", x0+cw/2, cy)
		cy += line(f.bold)
		centre(f.bold, k.Titles[0], x0+cw/2, cy)
		cy += line(f.body)
		centre(f.small, "Citizen Identity Card", x0+cw/2, cy)
		cy += line(f.body)
		lay := opt.Layout
		lay.TwoLine = false // no room on a card
		for _, fl := range lay.order(k, rng) {
			wr, tr := d.Truth(fl)
			if lay.IsZero() {
				text(f.small, fl.Label+": "+wr, x0+int(0.3*in), cy)
				cy += line(f.small)
			} else {
				small := &faces{body: f.small, small: f.small, bold: f.bold, title: f.title}
				cy = lay.field(pen{img, small, line, text}, lay.label(k, fl, rng), lay.value(k, fl, wr, rng), false, x0+int(0.3*in), cy, cw-int(0.5*in), rng, opt.DPI)
			}
			pg.Fields[fl.Name] = tr
		}
	} else {
		// Header: authority on the left, national motto on the right.
		lx, rx := left+int(1.2*in), left+(right-left)*2/3
		centre(f.small, "ỦY BAN NHÂN DÂN", lx, y)
		centre(f.bold, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", rx, y)
		y += line(f.small)
		centre(f.small, "PHƯỜNG BA ĐÌNH", lx, y)
		centre(f.bold, "Độc lập - Tự do - Hạnh phúc", rx, y)
		y += 2 * line(f.body)
		if k.Form != "" && strings.Contains(k.Form, "CT01") {
			text(f.small, "Mẫu CT01 ban hành kèm theo Thông tư số 66/2023/TT-BCA", right-int(4.2*in), int(0.5*in))
		}
		title := "GIẤY KHAI SINH" // an original to certify: any paper
		if len(k.Titles) > 0 {
			title = k.Titles[0]
		}
		centre(f.title, title, w/2, y)
		y += 2 * line(f.body)
		text(f.body, "Kính gửi: Ủy ban nhân dân phường Ba Đình", left+int(1.5*in), y)
		y += line(f.body) * 3 / 2
		if !opt.Layout.IsZero() {
			y = renderLayout(k, d, pg, pen{img, f, line, text}, opt, rng, left, right, y)
		}
		fillers := []string{"Nơi cư trú: số 8 phố Phan Đình Phùng, phường Ba Đình, Hà Nội", "Dân tộc: Kinh        Quốc tịch: Việt Nam", "Nơi sinh: Bệnh viện Phụ sản Hà Nội"}
		for i, fl := range k.Fields {
			if !opt.Layout.IsZero() {
				break
			}
			wr, tr := d.Truth(fl)
			s := fl.Label + ": " + wr
			if fl.Type == catalogue.TypeDateWords {
				s = fl.Label + ": " + upperFirst(wr)
			}
			for _, ln := range wrap(f.body, s, right-left) {
				text(f.body, ln, left, y)
				y += line(f.body)
			}
			pg.Fields[fl.Name] = tr
			if i%3 == 2 {
				text(f.body, fillers[(i/3)%len(fillers)], left, y)
				y += line(f.body)
			}
		}
		for _, s := range []string{
			"Tôi cam đoan nội dung đề nghị đăng ký trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về cam đoan của mình.",
			fmt.Sprintf("Làm tại: phường Ba Đình, ngày %d tháng %d năm 2026", 1+rng.IntN(28), 1+rng.IntN(12)),
		} {
			y += line(f.body) / 2
			for _, ln := range wrap(f.body, s, right-left) {
				text(f.body, ln, left, y)
				y += line(f.body)
			}
		}
		centre(f.bold, "Người yêu cầu", right-int(1.3*in), y+line(f.body))
	}
	out := img
	if opt.Skew != 0 {
		out = rotate(out, opt.Skew)
		pg.Words = nil
	}
	if opt.Noise > 0 {
		addNoise(out, rng, opt.Noise)
	}
	pg.Image = out
	return pg, nil
}

// wordsOf returns the words of s drawn from (x, y) with face, each with
// the bounds of its glyphs.
func wordsOf(face font.Face, s string, x, y int) []Word {
	var out []Word
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		if j > i {
			adv := font.MeasureString(face, s[:i])
			b, _ := font.BoundString(face, s[i:j])
			b = b.Add(fixed.P(x, y).Add(fixed.Point26_6{X: adv}))
			out = append(out, Word{Text: s[i:j], Box: image.Rect(b.Min.X.Floor(), b.Min.Y.Floor(), b.Max.X.Ceil(), b.Max.Y.Ceil())})
		}
		i = j + 1
	}
	return out
}

func upperFirst(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = []rune(strings.ToUpper(string(r[0])))[0]
	}
	return string(r)
}

// wrap breaks s into lines that fit width.
func wrap(face font.Face, s string, width int) []string {
	var out []string
	cur := ""
	for _, w := range strings.Fields(s) {
		try := strings.TrimSpace(cur + " " + w)
		if cur != "" && font.MeasureString(face, try).Ceil() > width {
			out = append(out, cur)
			cur = w
			continue
		}
		cur = try
	}
	return append(out, cur)
}

// rotate turns img by deg degrees counter-clockwise about its centre, white
// outside, with bilinear interpolation (golang.org/x/image/draw).
func rotate(img *image.Gray, deg float64) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(b)
	draw.Draw(out, b, image.White, image.Point{}, draw.Src)
	a := -deg * math.Pi / 180
	c, s := math.Cos(a), math.Sin(a)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	m := f64.Aff3{c, -s, cx - c*cx + s*cy, s, c, cy - s*cx - c*cy}
	xdraw.BiLinear.Transform(out, m, img, b, xdraw.Over, nil)
	return out
}

// addNoise adds grey noise of amplitude ±96·level and flips about level/10
// of the pixels to black or white specks.
func addNoise(img *image.Gray, rng *rand.Rand, level float64) {
	amp := int(96 * level)
	specks := level / 10
	for i, v := range img.Pix {
		n := int(v)
		if amp > 0 {
			n += rng.IntN(2*amp+1) - amp
		}
		if rng.Float64() < specks {
			if rng.IntN(2) == 0 {
				n = 0
			} else {
				n = 255
			}
		}
		img.Pix[i] = uint8(min(255, max(0, n)))
	}
}

type faces struct{ body, small, bold, title font.Face }

var faceCache = map[int]*faces{}

func loadFaces(dpi int) (*faces, error) {
	if f, ok := faceCache[dpi]; ok {
		return f, nil
	}
	reg, err := opentype.Parse(dejavusans.TTF)
	if err != nil {
		return nil, err
	}
	bold, err := opentype.Parse(dejavusansbold.TTF)
	if err != nil {
		return nil, err
	}
	mk := func(ft *opentype.Font, pt float64) font.Face {
		face, _ := opentype.NewFace(ft, &opentype.FaceOptions{Size: pt, DPI: float64(dpi), Hinting: font.HintingFull})
		return face
	}
	f := &faces{body: mk(reg, 11), small: mk(reg, 9.5), bold: mk(bold, 10.5), title: mk(bold, 14)}
	faceCache[dpi] = f
	return f, nil
}

// Blank returns a white page with a little noise, as a scanner gives when
// the citizen puts a page in face down.
func Blank(rng *rand.Rand, opt Options) *image.Gray {
	if opt.DPI == 0 {
		opt.DPI = 300
	}
	img := image.NewGray(image.Rect(0, 0, int(8.27*float64(opt.DPI)), int(11.69*float64(opt.DPI))))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.Gray{245}}, image.Point{}, draw.Src)
	if opt.Noise > 0 {
		addNoise(img, rng, opt.Noise)
	}
	return img
}

// PagesFor returns the kinds of one complete dossier of procedure p: the
// first kind of every required document, and of optional ones with fields.
func PagesFor(p *catalogue.Procedure) []string {
	var out []string
	for _, d := range p.Documents {
		if len(d.Kinds) > 0 && d.Required {
			out = append(out, d.Kinds[0])
		}
	}
	return out
}
