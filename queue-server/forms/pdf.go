package forms

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/go-fonts/dejavu/dejavusansoblique"
	"github.com/jung-kurt/gofpdf"
	"golang.org/x/text/unicode/norm"
)

// RenderOptions are what the printed form says besides the values: the
// commune of the addressee ("xã Tân Phú", printed after "Ủy ban nhân dân"),
// the place written before the date, a reference (the ticket number), and
// the date of the form (zero: now).
type RenderOptions struct {
	Commune, Place, Ref string
	Now                 time.Time
}

// Page geometry (A4 portrait, millimetres) and type sizes (points).
const (
	pageW     = 210.0
	pageH     = 297.0
	left      = 20.0
	right     = 15.0
	top       = 15.0
	bottom    = 20.0 // below: the footer
	bodyW     = pageW - left - right
	lineH     = 6.2
	gap       = 5.0 // between two half-width fields
	sizeText  = 11.0
	sizeSmall = 8.5 // the smallest a value shrinks to before it wraps
	font      = "DejaVu"
)

// dots stands for a value left blank where the template writes one in
// running text (the addressee's commune, the place).
const dots = "………………………"

// PDF renders the filled form in the official layout: A4, the national
// header, the title, the addressee, the sections with each value on its
// dotted line, the declaration, the place and date, the signing blocks;
// in the footer the template, its legal basis, the form's version and
// opt.Ref. Values are printed in NFC, dates as dd/mm/yyyy, sex as Nam or
// Nữ, a choice as its label with the boxes of the others; each value is
// one text run (unless longer than a line), so pdftotext gives it back
// whole. Values of fields the form does not have are ignored; the caller
// validates first.
func (f *Form) PDF(v *Filled, opt RenderOptions) ([]byte, error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	values := map[string]string{}
	if v != nil {
		for k, x := range v.Values {
			values[k] = strings.TrimSpace(norm.NFC.String(x))
		}
	}
	for _, fd := range f.fields() {
		if fd.Type == TypeDateWords {
			delete(values, fd.Name)
			if d, err := time.Parse(time.DateOnly, values[fd.From]); err == nil {
				values[fd.Name] = DateWords(d)
			}
		}
	}
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(f.Title, true)
	pdf.SetCreator("Xếp Hàng", true)
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.AddUTF8FontFromBytes(font, "", dejavusans.TTF)
	pdf.AddUTF8FontFromBytes(font, "B", dejavusansbold.TTF)
	pdf.AddUTF8FontFromBytes(font, "I", dejavusansoblique.TTF)
	pdf.SetMargins(left, top, right)
	pdf.SetAutoPageBreak(false, bottom)
	pdf.SetCellMargin(0)
	d := &doc{Fpdf: pdf, values: values}
	pdf.SetFooterFunc(func() { d.footer(f, opt.Ref) })
	pdf.AddPage()
	d.header(f, opt.Commune)
	for _, sec := range f.Sections {
		d.section(sec)
	}
	d.closing(f, opt.Place, now)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("forms: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// doc draws one form; gofpdf keeps its errors until Output.
type doc struct {
	*gofpdf.Fpdf
	values map[string]string
}

// need starts a new page unless h millimetres are left above the footer.
func (d *doc) need(h float64) {
	if d.GetY()+h > pageH-bottom {
		d.AddPage()
	}
}

func (d *doc) header(f *Form, commune string) {
	d.SetFont(font, "B", 12)
	d.CellFormat(bodyW, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", 1, "C", false, 0, "")
	motto := "Độc lập - Tự do - Hạnh phúc"
	d.CellFormat(bodyW, 6, motto, "", 1, "C", false, 0, "")
	w := d.GetStringWidth(motto)
	d.SetLineWidth(0.3)
	d.Line(left+(bodyW-w)/2, d.GetY()+0.5, left+(bodyW+w)/2, d.GetY()+0.5)
	d.Ln(5)
	d.SetFont(font, "B", 14)
	d.MultiCell(bodyW, 7, f.Title, "", "C", false)
	d.Ln(3)
	if f.Addressee != "" {
		if commune == "" {
			commune = dots
		}
		d.SetFont(font, "", 12)
		d.MultiCell(bodyW, 6.5, strings.ReplaceAll(f.Addressee, "{commune}", norm.NFC.String(commune)), "", "C", false)
		d.Ln(3)
	}
}

func (d *doc) section(sec Section) {
	if sec.Title != "" {
		d.need(lineH * 2)
		d.SetFont(font, "B", sizeText)
		d.MultiCell(bodyW, lineH, sec.Title, "", "L", false)
	}
	fields := sec.Fields
	for i := 0; i < len(fields); i++ {
		a := &fields[i]
		if a.Width == "half" && i+1 < len(fields) && fields[i+1].Width == "half" {
			b := &fields[i+1]
			half := (bodyW - gap) / 2
			if d.fits(a, half) && d.fits(b, half) {
				d.need(lineH)
				y := d.GetY()
				d.line(a, left, half, y)
				d.line(b, left+half+gap, half, y)
				d.SetXY(left, y+lineH)
				i++
				continue
			}
		}
		d.full(a)
	}
}

// shown is a field's value as printed ("" when blank).
func (d *doc) shown(fd *Field) string {
	v := d.values[fd.Name]
	if v == "" {
		return ""
	}
	switch fd.Type {
	case TypeDate:
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t.Format("02/01/2006")
		}
	case TypeSex:
		switch v {
		case "M":
			return "Nam"
		case "F":
			return "Nữ"
		}
	case TypeChoice:
		if o, ok := fd.option(v); ok {
			return o.Label
		}
	}
	return v
}

// choices is a choice's options as boxes, the chosen one crossed.
func (d *doc) choices(fd *Field) []string {
	out := make([]string, len(fd.Options))
	for i, o := range fd.Options {
		box := "☐ "
		if d.values[fd.Name] == o.Value {
			box = "☒ "
		}
		out[i] = box + o.Label
	}
	return out
}

func (d *doc) labelText(fd *Field) string { return fd.Label + ": " }

// valueSize is the largest type size, down to sizeSmall, at which the
// value fits w millimetres; 0 when none does.
func (d *doc) valueSize(s string, w float64) float64 {
	for size := sizeText; size >= sizeSmall; size -= 0.5 {
		d.SetFont(font, "B", size)
		if d.GetStringWidth(s) <= w {
			return size
		}
	}
	return 0
}

// fits reports whether label and value share one line of width w.
func (d *doc) fits(fd *Field, w float64) bool {
	d.SetFont(font, "", sizeText)
	rest := w - d.GetStringWidth(d.labelText(fd)) - 1
	s := d.shown(fd)
	if fd.Type == TypeChoice {
		s = strings.Join(d.choices(fd), "   ")
	}
	return rest > 10 && (s == "" || d.valueSize(s, rest) > 0)
}

// line draws label and value of one field on one line at (x, y), the value
// on a dotted line to the end of the width.
func (d *doc) line(fd *Field, x, w, y float64) {
	d.SetFont(font, "", sizeText)
	label := d.labelText(fd)
	lw := d.GetStringWidth(label)
	d.SetXY(x, y)
	d.CellFormat(lw, lineH, label, "", 0, "L", false, 0, "")
	rest := w - lw
	if fd.Type == TypeChoice {
		d.SetFont(font, "", d.valueSize(strings.Join(d.choices(fd), "   "), rest-1))
		d.CellFormat(rest, lineH, strings.Join(d.choices(fd), "   "), "", 0, "L", false, 0, "")
		return
	}
	d.dotted(x+lw, x+w, y)
	if s := d.shown(fd); s != "" {
		d.SetFont(font, "B", d.valueSize(s, rest-1))
		d.SetXY(x+lw+0.5, y)
		d.CellFormat(rest-0.5, lineH, s, "", 0, "L", false, 0, "")
	}
}

// full draws a field across the page: on one line when it fits, else the
// label, then the value on as many dotted lines as it takes (a choice: one
// option a line).
func (d *doc) full(fd *Field) {
	if d.fits(fd, bodyW) {
		d.need(lineH)
		y := d.GetY()
		d.line(fd, left, bodyW, y)
		d.SetXY(left, y+lineH)
		return
	}
	d.need(lineH * 2)
	d.SetFont(font, "", sizeText)
	d.SetX(left)
	d.MultiCell(bodyW, lineH, d.labelText(fd), "", "L", false)
	if fd.Type == TypeChoice {
		for _, c := range d.choices(fd) {
			d.need(lineH)
			d.SetFont(font, "", sizeText)
			d.SetX(left + 5)
			d.MultiCell(bodyW-5, lineH, c, "", "L", false)
		}
		return
	}
	s := d.shown(fd)
	lines := []string{s}
	if size := d.valueSize(s, bodyW-1); size > 0 {
		d.SetFont(font, "B", size)
	} else {
		d.SetFont(font, "B", sizeText)
		lines = d.wrap(s, bodyW-1)
	}
	for _, l := range lines {
		d.need(lineH)
		y := d.GetY()
		d.dotted(left, left+bodyW, y)
		d.SetXY(left+0.5, y)
		d.CellFormat(bodyW-0.5, lineH, l, "", 0, "L", false, 0, "")
		d.SetXY(left, y+lineH)
	}
}

// wrap cuts s into lines no wider than w at spaces (a word wider than w is
// cut where it must); always at least one line.
func (d *doc) wrap(s string, w float64) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if d.GetStringWidth(try) <= w {
			cur = try
			continue
		}
		if cur != "" {
			lines = append(lines, cur)
		}
		cur = ""
		for _, r := range word {
			if d.GetStringWidth(cur+string(r)) > w && cur != "" {
				lines = append(lines, cur)
				cur = ""
			}
			cur += string(r)
		}
	}
	return append(lines, cur)
}

// dotted draws the dotted line a value is written on, from x0 to x1.
func (d *doc) dotted(x0, x1, y float64) {
	d.SetLineWidth(0.25)
	d.SetDrawColor(90, 90, 90)
	d.SetDashPattern([]float64{0.2, 1.0}, 0)
	d.Line(x0, y+lineH-1.2, x1, y+lineH-1.2)
	d.SetDashPattern(nil, 0)
	d.SetDrawColor(0, 0, 0)
}

// closing draws the declaration, the place and date, and the signing
// blocks (the cosigner on the left, the signer on the right).
func (d *doc) closing(f *Form, place string, now time.Time) {
	if f.Declaration != "" {
		d.Ln(2)
		d.SetFont(font, "", sizeText)
		d.need(lineH * 3)
		d.SetX(left)
		d.MultiCell(bodyW, 5.5, f.Declaration, "", "J", false)
	}
	d.Ln(3)
	d.need(46)
	if place == "" {
		place = dots
	}
	half := bodyW / 2
	d.SetFont(font, "I", sizeText)
	when := fmt.Sprintf("%s%s, ngày %02d tháng %02d năm %d", f.PlacePrefix, norm.NFC.String(place), now.Day(), int(now.Month()), now.Year())
	w := d.GetStringWidth(when)
	x := left + half + (half-w)/2 // centred over the signer, unless that runs past the margin
	if x+w > left+bodyW {
		x = left + bodyW - w
	}
	d.SetX(x)
	d.CellFormat(w, lineH, when, "", 1, "L", false, 0, "")
	y := d.GetY()
	d.signature(f.Signature, left+half, half, y)
	if f.Cosign != nil {
		d.signature(*f.Cosign, left, half, y)
	}
	d.SetXY(left, y+36)
}

func (d *doc) signature(s Signature, x, w, y float64) {
	d.SetXY(x, y)
	d.SetFont(font, "B", sizeText)
	d.CellFormat(w, 6, s.Label, "", 2, "C", false, 0, "")
	if s.Hint != "" {
		d.SetFont(font, "I", 9.5)
		d.CellFormat(w, 5, s.Hint, "", 2, "C", false, 0, "")
	}
	if name := d.values[s.NameField]; name != "" {
		d.SetXY(x, y+28)
		size := d.valueSize(name, w)
		if size == 0 {
			size = sizeSmall
		}
		d.SetFont(font, "B", size)
		d.CellFormat(w, 6, name, "", 2, "C", false, 0, "")
	}
}

func (d *doc) footer(f *Form, ref string) {
	d.SetY(-bottom + 4)
	d.SetFont(font, "", 7)
	d.SetTextColor(90, 90, 90)
	line := f.Template + " — " + f.LegalBasis + " · Phiên bản " + f.Version
	if ref != "" {
		line += " · Mã: " + norm.NFC.String(ref)
	}
	line += fmt.Sprintf(" · Trang %d", d.PageNo())
	d.SetX(left)
	d.MultiCell(bodyW, 3.2, line, "T", "L", false)
	d.SetTextColor(0, 0, 0)
}
