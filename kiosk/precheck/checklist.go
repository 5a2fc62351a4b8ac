package precheck

import (
	"fmt"
	"image"
	"image/draw"
	"strings"
	"sync"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"xephang/drivers/escpos"
	"xephang/kiosk/catalogue"
)

// Checklist is the printed summary a citizen takes from the kiosk: one
// line per document of the procedure, with a mark and the reason.
type Checklist struct {
	Title   string // "KIỂM TRA HỒ SƠ"
	Name    string // the procedure
	Ticket  string // queue number, when one was issued
	Lines   []ChecklistLine
	Footer  string
	Printed time.Time
}

// ChecklistLine is one document.
type ChecklistLine struct {
	Mark   string // "[x]" present, "[ ]" missing, "[?]" unreadable, "[!]" inconsistent
	Name   string
	Reason string // first reason, if any
}

var marks = map[Status]string{Present: "[x]", Missing: "[ ]", Unreadable: "[?]", Inconsistent: "[!]"}

// NewChecklist builds the checklist of a result.
func NewChecklist(r *Result, proc *catalogue.Procedure, ticket string, now time.Time) Checklist {
	c := Checklist{Title: "KIỂM TRA HỒ SƠ", Name: proc.Name, Ticket: ticket, Printed: now,
		Footer: "Kết quả kiểm tra tự động, chỉ để tham khảo. Cán bộ tại quầy sẽ kiểm tra lại."}
	for _, d := range r.Documents {
		l := ChecklistLine{Mark: marks[d.Status], Name: d.Name}
		if len(d.Reasons) > 0 {
			l.Reason = d.Reasons[0]
		}
		c.Lines = append(c.Lines, l)
	}
	return c
}

// Text returns the checklist as plain lines (NFC), for the screen or a log
// without personal data.
func (c Checklist) Text() []string {
	out := []string{c.Title, c.Name}
	if c.Ticket != "" {
		out = append(out, "Số thứ tự: "+c.Ticket)
	}
	for _, l := range c.Lines {
		out = append(out, l.Mark+" "+l.Name)
		if l.Reason != "" {
			out = append(out, "    "+l.Reason)
		}
	}
	return append(out, c.Footer, "In lúc: "+c.Printed.Format("02/01/2006 - 15:04:05"))
}

// ESCPOS encodes the checklist for printer profile p: lines with
// diacritics as CP1258 or TCVN-3 text on those profiles, as raster images
// (DejaVu Sans) on raster ones, folded to ASCII on ascii ones. drivers/escpos
// only encodes whole queue tickets; its line encoder is not exported, so
// the few commands needed are written here (see README: what to move).
func (c Checklist) ESCPOS(p escpos.Profile) ([]byte, error) {
	b := []byte{0x1B, '@'}
	cols := p.Columns
	if cols <= 0 {
		cols = 48
	}
	for i, l := range c.Text() {
		for _, ln := range wrapCols(l, cols) {
			enc, err := encodeLine(ln, p)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				b = append(b, 0x1B, 'E', 1)
			}
			b = append(b, enc...)
			if i == 0 {
				b = append(b, 0x1B, 'E', 0)
			}
		}
	}
	return append(b, 0x1B, 'd', 4, 0x1D, 'V', 66, 0), nil
}

func encodeLine(s string, p escpos.Profile) ([]byte, error) {
	ascii := true
	for _, r := range s {
		if r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return append([]byte(s), '\n'), nil
	}
	switch p.Text {
	case escpos.TextCP1258:
		if e, err := escpos.EncodeCP1258(s); err == nil {
			return append(append([]byte{0x1B, 't', p.CodePage}, e...), '\n'), nil
		}
	case escpos.TextTCVN3:
		if page, e, err := escpos.EncodeTCVN3(s); err == nil {
			return append(append([]byte{0x1B, 't', page}, e...), '\n'), nil
		}
	case escpos.TextASCII:
		return append([]byte(escpos.ToASCII(s)), '\n'), nil
	}
	return rasterLine(s, p)
}

var (
	faceOnce sync.Once
	face     font.Face
	faceErr  error
)

// rasterLine draws s with DejaVu Sans and sends it as GS v 0.
func rasterLine(s string, p escpos.Profile) ([]byte, error) {
	faceOnce.Do(func() {
		f, err := opentype.Parse(dejavusans.TTF)
		if err != nil {
			faceErr = err
			return
		}
		face, faceErr = opentype.NewFace(f, &opentype.FaceOptions{Size: 22, DPI: 72, Hinting: font.HintingFull})
	})
	if faceErr != nil {
		return nil, fmt.Errorf("precheck: checklist font: %w", faceErr)
	}
	width := p.Dots
	if width <= 0 {
		width = 576
	}
	h := face.Metrics().Height.Ceil() + 4
	img := image.NewGray(image.Rect(0, 0, width, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	(&font.Drawer{Dst: img, Src: image.Black, Face: face, Dot: fixed.P(0, face.Metrics().Ascent.Ceil()+2)}).DrawString(s)
	wb := (width + 7) / 8
	out := []byte{0x1D, 'v', '0', 0, byte(wb), byte(wb >> 8), byte(h), byte(h >> 8)}
	for y := 0; y < h; y++ {
		for xb := 0; xb < wb; xb++ {
			var v byte
			for bit := 0; bit < 8; bit++ {
				x := xb*8 + bit
				if x < width && img.Pix[y*img.Stride+x] < 128 {
					v |= 0x80 >> bit
				}
			}
			// Never emit DLE EOT/ENQ/DC4 inside image data: Epson firmware acts on them.
			if n := len(out); n > 0 && out[n-1] == 0x10 && (v == 0x04 || v == 0x05 || v == 0x14) {
				v &^= 0x04 // drop one dot, as drivers/escpos does
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// wrapCols breaks s into lines of at most cols characters.
func wrapCols(s string, cols int) []string {
	var out []string
	cur := ""
	for _, w := range strings.Fields(s) {
		if cur != "" && len([]rune(cur))+1+len([]rune(w)) > cols {
			out = append(out, cur)
			cur = "    " + w
			continue
		}
		if cur == "" {
			cur = w
			if strings.HasPrefix(s, "    ") {
				cur = "    " + w
			}
		} else {
			cur += " " + w
		}
	}
	return append(out, cur)
}
