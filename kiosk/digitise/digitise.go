// Package digitise makes scanned pages into searchable PDFs: each page is
// its scan, as a grey JPEG, with the words OCR read on it laid over as
// invisible text (render mode 3) in DejaVu Sans, each on its word's box, so
// a PDF reader finds, selects and copies them where the image shows them.
// The words are those the pre-check read (precheck.CheckPages): a page is
// read once.
//
// A PDF holds a citizen's papers: neither it nor anything of its words is
// logged.
package digitise

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/jung-kurt/gofpdf"

	"xephang/kiosk/precheck"
)

// JPEGQuality is the quality of the page images: text stays sharp to the
// eye and to OCR at 300 dpi, a page weighs a few hundred kB.
const JPEGQuality = 75

// ErrNoPages means there was no page to put in a PDF.
var ErrNoPages = errors.New("digitise: no pages")

// Page is one page of a searchable PDF.
type Page struct {
	Image image.Image // the scan; made grey
	DPI   int         // resolution of Image: sets the size of the PDF page
	Words []precheck.Word
}

// dejavuHeight is the height of DejaVu Sans from descender to ascender, in
// ems (ascent 0.928, descent 0.236): what Tesseract's x_size of a line of
// it measures.
const dejavuHeight = 1.164

// PDF makes one searchable PDF of the pages, each page the size of its
// image at its resolution.
func PDF(pages []Page) (_ []byte, err error) {
	if len(pages) == 0 {
		return nil, ErrNoPages
	}
	defer func() {
		// gofpdf panics on some input it does not handle; the kiosk
		// keeps running and the pages keep their pre-check.
		if r := recover(); r != nil {
			err = fmt.Errorf("digitise: pdf: %v", r)
		}
	}()
	pdf := gofpdf.New("P", "pt", "A4", "")
	pdf.SetCreator("Xếp Hàng", true)
	pdf.SetProducer("Xếp Hàng kioskd", true)
	pdf.AddUTF8FontFromBytes("DejaVu", "", dejavusans.TTF)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	var jpg bytes.Buffer
	for i, p := range pages {
		if p.Image == nil || p.Image.Bounds().Empty() {
			return nil, fmt.Errorf("digitise: page %d: no image", i+1)
		}
		if p.DPI <= 0 || p.DPI > 2400 {
			return nil, fmt.Errorf("digitise: page %d: resolution %d dpi", i+1, p.DPI)
		}
		px := 72 / float64(p.DPI) // points per pixel
		b := p.Image.Bounds()
		w, h := float64(b.Dx())*px, float64(b.Dy())*px
		pdf.AddPageFormat("P", gofpdf.SizeType{Wd: w, Ht: h})
		jpg.Reset()
		if err := jpeg.Encode(&jpg, gray(p.Image), &jpeg.Options{Quality: JPEGQuality}); err != nil {
			return nil, fmt.Errorf("digitise: page %d: %w", i+1, err)
		}
		name := fmt.Sprintf("page%d", i+1)
		opt := gofpdf.ImageOptions{ImageType: "JPG"}
		pdf.RegisterImageOptionsReader(name, opt, &jpg)
		pdf.ImageOptions(name, 0, 0, w, h, false, opt, 0, "")
		pdf.SetFont("DejaVu", "", 10)
		pdf.SetTextRenderingMode(3)
		for _, wd := range p.Words {
			placeWord(pdf, wd, b.Min, px)
		}
		if err := pdf.Error(); err != nil {
			return nil, fmt.Errorf("digitise: page %d: %w", i+1, err)
		}
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("digitise: %w", err)
	}
	return out.Bytes(), nil
}

// placeWord writes one word, invisible, on its baseline at the left of its
// box, in the size of its line's letters, stretched or squeezed to the
// width of its box.
func placeWord(pdf *gofpdf.Fpdf, w precheck.Word, origin image.Point, px float64) {
	text := printable(w.Text)
	if text == "" || w.Box.Empty() {
		return
	}
	box := w.Box.Sub(origin)
	size := float64(w.Size)
	base := float64(w.Baseline - origin.Y)
	if w.Size <= 0 { // no line metrics: the box is the letters' height
		size = float64(box.Dy())
		base = float64(box.Max.Y)
	}
	size = size / dejavuHeight * px
	if size < 1 {
		return
	}
	x, y := float64(box.Min.X)*px, base*px
	// The size is set outside the transform: q…Q would undo it behind
	// gofpdf's back.
	pdf.SetFontSize(size)
	tw := pdf.GetStringWidth(text)
	if tw <= 0 {
		return
	}
	pdf.TransformBegin()
	pdf.TransformScaleX(float64(box.Dx())*px/tw*100, x, y)
	pdf.Text(x, y, text)
	pdf.TransformEnd()
}

// printable returns s as valid UTF-8 without control or format
// characters (which Tesseract does not give, but hOCR may carry) nor
// characters beyond the Basic Multilingual Plane, its spaces single and
// trimmed.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) || r > 0xFFFF: // gofpdf maps the BMP only
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return strings.Join(strings.Fields(s), " ")
}

// gray returns img as 8-bit grey.
func gray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g
}

// PageOf is the page of a searchable PDF for a page as the pre-check read
// it; ok is false when it has no image (the file could not be opened).
func PageOf(t precheck.PageText) (Page, bool) {
	if t.Image == nil {
		return Page{}, false
	}
	p := Page{Image: t.Image, DPI: t.DPI}
	if t.Text != nil {
		for _, l := range t.Text.Lines {
			p.Words = append(p.Words, l.Words...)
		}
	}
	return p, true
}

// Document is one document of a dossier, digitised: its pages as one
// searchable PDF, with what the pre-check found of it.
// In JSON (as the kiosk keeps it beside the PDF file) it is the meta of
// POST /api/v1/tickets/{id}/documents without the id.
type Document struct {
	Name    string            `json:"name"`    // Vietnamese, as in the catalogue; OtherName for pages of no document
	Kind    string            `json:"kind"`    // catalogue kind id of its first page; OtherKind for pages of no document
	Pages   int               `json:"pages"`   // pages in PDF
	Status  string            `json:"status"`  // the pre-check's status: present, inconsistent…
	Reasons []string          `json:"reasons"` // plain Vietnamese, as the pre-check gave them
	Fields  map[string]string `json:"fields"`  // what was read on its pages, by field name
	PDF     []byte            `json:"-"`
	SHA256  string            `json:"sha256"` // of PDF, lower-case hex
}

// The document of pages the pre-check placed in no document of the dossier.
const (
	OtherName = "Giấy tờ khác"
	OtherKind = "khac"
)

// Documents makes one searchable PDF per document of a pre-check's result
// that has pages, in the result's order, then one of the pages it placed
// in none (not recognised, or of a paper outside the dossier), if any.
// pages are what CheckPages returned with res, one per page checked.
func Documents(res *precheck.Result, pages []precheck.PageText) ([]Document, error) {
	if res == nil || len(pages) != len(res.Pages) {
		return nil, fmt.Errorf("digitise: %d pages for a result of %d", len(pages), lenPages(res))
	}
	placed := make([]bool, len(pages))
	var out []Document
	for _, d := range res.Documents {
		var nums []int
		for _, n := range d.Pages {
			if n >= 1 && n <= len(pages) && !placed[n-1] {
				placed[n-1] = true
				nums = append(nums, n)
			}
		}
		if len(nums) == 0 {
			continue
		}
		doc, err := document(d.Name, res.Pages[nums[0]-1].Kind, string(d.Status), d.Reasons, nums, pages)
		if err != nil {
			return nil, err
		}
		if doc.Pages > 0 {
			out = append(out, doc)
		}
	}
	var rest []int
	var reasons []string
	status := string(precheck.Unreadable)
	for i, pl := range placed {
		if pl || pages[i].Image == nil {
			continue
		}
		rest = append(rest, i+1)
		for _, r := range res.Pages[i].Problems {
			if !slices.Contains(reasons, r) {
				reasons = append(reasons, r)
			}
		}
		if res.Pages[i].Kind != "" {
			status = string(precheck.Present) // a paper recognised, outside the dossier
		}
	}
	if len(rest) > 0 {
		doc, err := document(OtherName, OtherKind, status, reasons, rest, pages)
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
	return out, nil
}

func lenPages(res *precheck.Result) int {
	if res == nil {
		return 0
	}
	return len(res.Pages)
}

// document digitises pages nums (from 1) as one document.
func document(name, kind, status string, reasons []string, nums []int, pages []precheck.PageText) (Document, error) {
	d := Document{Name: name, Kind: kind, Status: status, Reasons: append([]string{}, reasons...), Fields: map[string]string{}}
	var ps []Page
	words := map[string]string{} // dates read only in words
	for _, n := range nums {
		p, ok := PageOf(pages[n-1])
		if !ok {
			continue
		}
		ps = append(ps, p)
		for _, f := range slices.Sorted(maps.Keys(pages[n-1].Fields)) {
			v := pages[n-1].Fields[f]
			if digits, ok := strings.CutSuffix(f, "_words"); ok {
				if _, seen := words[digits]; !seen {
					words[digits] = v
				}
				continue
			}
			if _, seen := d.Fields[f]; !seen {
				d.Fields[f] = v
			}
		}
	}
	for f, v := range words {
		if _, ok := d.Fields[f]; !ok {
			d.Fields[f] = v
		}
	}
	if len(ps) == 0 {
		return d, nil
	}
	b, err := PDF(ps)
	if err != nil {
		return Document{}, err
	}
	sum := sha256.Sum256(b)
	d.PDF, d.SHA256, d.Pages = b, hex.EncodeToString(sum[:]), len(ps)
	return d, nil
}
