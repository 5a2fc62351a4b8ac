package escpossim

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"sync"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/go-fonts/dejavu/dejavusansmono"
	"github.com/go-fonts/dejavu/dejavusansmonobold"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/charmap"

	"xephang/drivers/escpos"
)

// Charset is how a code page's bytes become text.
type Charset int

// Charsets the simulator knows.
const (
	PC437 Charset = iota
	CP1258
	TCVN3
	TCVN3Capital
)

// EpsonCodePages maps ESC t n to charsets as on Epson TM printers, plus the
// Windows-1258 numbers of the Zjiang (27, 94) and Rongta (35) clones, so one
// simulator accepts every built-in profile.
var EpsonCodePages = map[byte]Charset{
	0: PC437, 52: CP1258, 27: CP1258, 94: CP1258, 35: CP1258,
	escpos.PageTCVN3: TCVN3, escpos.PageTCVN3Capital: TCVN3Capital,
}

// Limits keep a decoder fed garbage small and quick.
const (
	MaxHeight    = 8000    // dots of paper rendered per job: a metre at 203 dpi
	maxImageData = 1 << 20 // bytes of one GS v 0 image accepted
)

// Info is what a job contained, besides its picture.
type Info struct {
	Lines  []string // text lines as the printer's font printed them, decoded
	QR     []string // data of each QR code printed
	Raster int      // raster images printed
	Cut    bool     // the job ended with a cut
}

// Text returns the text lines joined with newlines.
func (i Info) Text() string { return strings.Join(i.Lines, "\n") }

// cmdLen returns the length of the command or character at the start of b,
// and false when b holds only part of it.
func cmdLen(b []byte) (int, bool) {
	need := func(n int) (int, bool) { return n, len(b) >= n }
	switch b[0] {
	case 0x10: // DLE
		if len(b) < 2 {
			return 0, false
		}
		switch b[1] {
		case 0x04, 0x05:
			return need(3)
		case 0x14:
			return need(5)
		}
		return 1, true
	case 0x1B: // ESC
		if len(b) < 2 {
			return 0, false
		}
		switch b[1] {
		case '@', '2', '<':
			return 2, true
		case '!', '-', '3', 'E', 'G', 'J', 'M', 'R', 'T', 'U', 'V', 'a', 'd', 'e', 'r', 't', '{':
			return need(3)
		case '*': // ESC * m nL nH d...: 8-dot (m < 2) or 24-dot columns
			if len(b) < 5 {
				return 0, false
			}
			cols := int(b[3]) + int(b[4])<<8
			if b[2] >= 32 {
				cols *= 3
			}
			return need(5 + cols)
		case '$', '\\':
			return need(4)
		case 'p':
			return need(5)
		case 'c':
			return need(4)
		}
		return 2, true
	case 0x1D: // GS
		if len(b) < 2 {
			return 0, false
		}
		switch b[1] {
		case '!', 'B', 'H', 'f', 'h', 'w', 'r', 'a', 'b':
			return need(3)
		case 'L', 'W':
			return need(4)
		case 'V':
			if len(b) < 3 {
				return 0, false
			}
			if b[2] >= 65 {
				return need(4)
			}
			return 3, true
		case '(':
			if len(b) < 5 {
				return 0, false
			}
			return need(5 + int(b[3]) + int(b[4])<<8)
		case 'v':
			if len(b) < 8 {
				return 0, false
			}
			n := (int(b[4]) + int(b[5])<<8) * (int(b[6]) + int(b[7])<<8)
			if n > maxImageData {
				return 8, true // implausible: drop the header, print the rest as it comes
			}
			return need(8 + n)
		}
		return 2, true
	}
	return 1, true
}

// monoFonts render the printer's own font (12×24 font A).
type monoFonts struct {
	mu            sync.Mutex
	regular, bold font.Face
	// DejaVu Sans Mono lacks some Vietnamese letters (ầ, ế, ả…); DejaVu
	// Sans has them all and stands in, squeezed into the cell.
	fallback, fallbackBold font.Face
	glyphs                 map[glyphKey]*image.Alpha // rendered cells, by rune and weight
}

type glyphKey struct {
	r    rune
	bold bool
}

var (
	monoOnce sync.Once
	mono     *monoFonts
)

func loadMono() *monoFonts {
	monoOnce.Do(func() {
		mk := func(ttf []byte, size float64) font.Face {
			f, err := opentype.Parse(ttf)
			if err != nil {
				panic("escpossim: embedded font: " + err.Error()) // embedded data: cannot happen
			}
			fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				panic("escpossim: embedded font: " + err.Error())
			}
			return fc
		}
		mono = &monoFonts{regular: mk(dejavusansmono.TTF, 19), bold: mk(dejavusansmonobold.TTF, 19),
			fallback: mk(dejavusans.TTF, 17), fallbackBold: mk(dejavusansbold.TTF, 17), glyphs: map[glyphKey]*image.Alpha{}}
	})
	return mono
}

// cell is one character waiting in the line buffer with its style.
type cell struct {
	r             rune
	bold, reverse bool
	underline     bool
	w, h          int
}

// decoder renders one job.
type decoder struct {
	pages   map[byte]Charset
	dots    int
	canvas  *image.Gray
	y       int
	align   int
	bold    bool
	under   bool
	reverse bool
	wmul    int
	hmul    int
	page    byte
	spacing int
	line    []cell
	layout  bool   // lay out only, drawing no pixels (fuzzing the parser)
	pending []byte // bytes of the current text run, same page
	qrData  string
	qrSize  int
	info    Info
}

func newDecoder(dots int, pages map[byte]Charset) *decoder {
	d := &decoder{pages: pages, dots: dots, canvas: image.NewGray(image.Rect(0, 0, dots, 2048))}
	whiten(d.canvas)
	d.reset()
	return d
}

// whiten makes a new canvas white: a byte fill, where draw.Draw with
// image.White takes the slow generic path (most of a decode's time).
func whiten(g *image.Gray) {
	for i := range g.Pix {
		g.Pix[i] = 0xFF
	}
}

func (d *decoder) reset() {
	d.align, d.bold, d.under, d.reverse, d.wmul, d.hmul, d.page, d.spacing = 0, false, false, false, 1, 1, 0, 30
	d.qrSize = 3
}

// Decode renders ESC/POS bytes as the printer would print them, on paper
// dots wide (576 for 80 mm, 384 for 58 mm), and tells what it printed.
// Unknown commands are skipped; it never fails.
func Decode(data []byte, dots int, pages map[byte]Charset) (*image.Gray, Info) {
	return decode(data, dots, pages, false)
}

func decode(data []byte, dots int, pages map[byte]Charset, layoutOnly bool) (*image.Gray, Info) {
	if pages == nil {
		pages = EpsonCodePages
	}
	d := newDecoder(dots, pages)
	d.layout = layoutOnly
	for len(data) > 0 {
		n, ok := cmdLen(data)
		if !ok {
			break // a truncated command at the end: nothing more to print
		}
		d.exec(data[:n])
		data = data[n:]
	}
	d.flushLine(false)
	return d.result(), d.info
}

func (d *decoder) result() *image.Gray {
	h := max(d.y, 1)
	if d.layout {
		h = min(h, d.canvas.Bounds().Dy())
	}
	return d.canvas.SubImage(image.Rect(0, 0, d.dots, h)).(*image.Gray)
}

// grow makes room for h more rows below y.
func (d *decoder) grow(h int) bool {
	if d.y+h > MaxHeight {
		return false
	}
	if d.layout {
		return true
	}
	if b := d.canvas.Bounds(); d.y+h > b.Dy() {
		nh := min(max(b.Dy()*2, d.y+h), MaxHeight)
		c := image.NewGray(image.Rect(0, 0, d.dots, nh))
		whiten(c)
		draw.Draw(c, b, d.canvas, image.Point{}, draw.Src)
		d.canvas = c
	}
	return true
}

func (d *decoder) exec(c []byte) {
	switch c[0] {
	case '\n':
		d.flushLine(true)
		return
	case '\r', 0x10:
		return
	case '\t':
		d.text([]byte("    "))
		return
	case 0x1B:
		d.esc(c)
		return
	case 0x1D:
		d.gs(c)
		return
	}
	if c[0] < 0x20 || c[0] == 0x7F {
		return
	}
	d.text(c)
}

func (d *decoder) esc(c []byte) {
	if len(c) < 2 {
		return
	}
	arg := byte(0)
	if len(c) > 2 {
		arg = c[2]
	}
	switch c[1] {
	case '@':
		d.flushLine(false)
		d.reset()
	case 'a':
		d.align = int(arg % 48 % 3)
	case 'E':
		d.bold = arg&1 == 1
	case '-':
		d.under = arg%48 != 0
	case '!':
		d.bold = arg&0x08 != 0
		d.hmul, d.wmul = 1, 1
		if arg&0x10 != 0 {
			d.hmul = 2
		}
		if arg&0x20 != 0 {
			d.wmul = 2
		}
		d.under = arg&0x80 != 0
	case 't':
		d.flushText()
		d.page = arg
	case 'd':
		d.flushLine(true)
		d.feed(int(arg) * d.spacing)
	case 'J':
		d.flushLine(false)
		d.feed(int(arg))
	case '2':
		d.spacing = 30
	case '3':
		d.spacing = max(int(arg), 1)
	}
}

func (d *decoder) gs(c []byte) {
	if len(c) < 2 {
		return
	}
	switch c[1] {
	case '!':
		if len(c) > 2 {
			d.wmul = int(c[2]>>4&7) + 1
			d.hmul = int(c[2]&7) + 1
		}
	case 'B':
		if len(c) > 2 {
			d.reverse = c[2]&1 == 1
		}
	case 'V':
		d.flushLine(false)
		d.info.Cut = true
	case 'v':
		if len(c) >= 8 {
			d.raster(c)
		}
	case '(':
		if len(c) >= 5 && c[2] == 'k' {
			d.qr(c[5:])
		}
	}
}

func (d *decoder) feed(n int) {
	if d.grow(n) {
		d.y += n
	}
}

// text queues printable bytes in the current code page.
func (d *decoder) text(b []byte) {
	d.pending = append(d.pending, b...)
}

// flushText decodes the queued bytes with the current page into cells.
func (d *decoder) flushText() {
	if len(d.pending) == 0 {
		return
	}
	var s string
	switch d.pages[d.page] {
	case CP1258:
		s = escpos.DecodeCP1258(d.pending)
	case TCVN3:
		s = escpos.DecodeTCVN3(escpos.PageTCVN3, d.pending)
	case TCVN3Capital:
		s = escpos.DecodeTCVN3(escpos.PageTCVN3Capital, d.pending)
	default:
		b, _ := charmap.CodePage437.NewDecoder().Bytes(d.pending)
		s = string(b)
	}
	d.pending = d.pending[:0]
	for _, r := range s {
		c := cell{r: r, bold: d.bold, reverse: d.reverse, underline: d.under, w: d.wmul, h: d.hmul}
		if d.lineWidth()+12*c.w > d.dots && len(d.line) > 0 {
			d.printLine() // the line buffer is full: the printer prints it and goes on
		}
		d.line = append(d.line, c)
	}
}

func (d *decoder) lineWidth() int {
	w := 0
	for _, c := range d.line {
		w += 12 * c.w
	}
	return w
}

// flushLine prints the line buffer; an empty buffer feeds one line when
// feedEmpty (LF on an empty line).
func (d *decoder) flushLine(feedEmpty bool) {
	d.flushText()
	if len(d.line) == 0 {
		if feedEmpty {
			d.feed(d.spacing)
		}
		return
	}
	d.printLine()
}

// printLine draws the cells of the line buffer and empties it.
func (d *decoder) printLine() {
	var sb strings.Builder
	width, hmax := 0, 1
	for _, c := range d.line {
		sb.WriteRune(c.r)
		width += 12 * c.w
		hmax = max(hmax, c.h)
	}
	d.info.Lines = append(d.info.Lines, sb.String())
	lineH := max(d.spacing, 24*hmax+6)
	if !d.grow(lineH) {
		d.line = d.line[:0]
		return
	}
	if d.layout {
		d.y += lineH
		d.line = d.line[:0]
		return
	}
	x := d.alignX(width)
	m := loadMono()
	m.mu.Lock()
	for _, c := range d.line {
		cw, ch := 12*c.w, 24*c.h
		top := d.y + lineH - 6 - ch // characters sit on a common baseline
		d.drawCell(m, c, x, top, cw, ch)
		x += cw
	}
	m.mu.Unlock()
	d.y += lineH
	d.line = d.line[:0]
}

func (d *decoder) alignX(width int) int {
	switch d.align {
	case 1:
		return max((d.dots-width)/2, 0)
	case 2:
		return max(d.dots-width, 0)
	}
	return 0
}

// drawCell draws one character in a 12×24 cell scaled by its magnification.
func (d *decoder) drawCell(m *monoFonts, c cell, x, y, cw, ch int) {
	fc := m.regular
	if c.bold {
		fc = m.bold
	}
	if _, ok := fc.GlyphAdvance(c.r); !ok {
		fc = m.fallback
		if c.bold {
			fc = m.fallbackBold
		}
	}
	key := glyphKey{c.r, c.bold}
	glyph, ok := m.glyphs[key]
	if !ok {
		glyph = image.NewAlpha(image.Rect(0, 0, 12, 24))
		dr := font.Drawer{Dst: glyph, Src: image.Opaque, Face: fc, Dot: fixed.P(0, 19)}
		dr.DrawString(string(c.r))
		if len(m.glyphs) < 4096 {
			m.glyphs[key] = glyph
		}
	}
	cv := d.canvas
	for gy := 0; gy < ch; gy++ {
		row := cv.Pix[(y+gy)*cv.Stride:]
		grow := glyph.Pix[(gy/c.h)*glyph.Stride:]
		for gx := 0; gx < cw && x+gx < d.dots; gx++ {
			ink := grow[gx/c.w] >= 100 || (c.underline && gy >= ch-2)
			if ink != c.reverse {
				row[x+gx] = 0
			}
		}
	}
}

// raster prints GS v 0 m xL xH yL yH d...
func (d *decoder) raster(c []byte) {
	d.flushLine(false)
	mode := c[3] % 48
	stride := int(c[4]) + int(c[5])<<8
	h := int(c[6]) + int(c[7])<<8
	data := c[8:]
	if stride == 0 || h == 0 || len(data) < stride*h {
		return
	}
	sx, sy := 1, 1
	if mode&1 != 0 {
		sx = 2
	}
	if mode&2 != 0 {
		sy = 2
	}
	if !d.grow(h * sy) {
		return
	}
	d.info.Raster++
	if d.layout {
		d.y += h * sy
		return
	}
	x0 := d.alignX(stride * 8 * sx)
	for y := 0; y < h; y++ {
		for x := 0; x < stride*8; x++ {
			if data[y*stride+x/8]&(0x80>>(x%8)) == 0 {
				continue
			}
			for dy := 0; dy < sy; dy++ {
				for dx := 0; dx < sx; dx++ {
					if px := x0 + x*sx + dx; px < d.dots {
						d.canvas.SetGray(px, d.y+y*sy+dy, color.Gray{})
					}
				}
			}
		}
	}
	d.y += h * sy
}

// qr handles GS ( k with cn = 49 (QR code): size, store, print.
func (d *decoder) qr(p []byte) {
	if len(p) < 2 || p[0] != 49 {
		return
	}
	switch p[1] {
	case 67:
		if len(p) > 2 && p[2] >= 1 && p[2] <= 16 {
			d.qrSize = int(p[2])
		}
	case 80:
		if len(p) >= 3 {
			d.qrData = string(p[3:])
		}
	case 81:
		d.flushLine(false)
		d.printQR()
	}
}

func (d *decoder) printQR() {
	if d.qrData == "" {
		return
	}
	if d.layout {
		d.info.QR = append(d.info.QR, d.qrData)
		return
	}
	q, err := qrcode.New(d.qrData, qrcode.Medium)
	if err != nil {
		return
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	size := len(bm) * d.qrSize
	if !d.grow(size + 8) {
		return
	}
	d.info.QR = append(d.info.QR, d.qrData)
	x0 := d.alignX(size)
	for y, row := range bm {
		for x, on := range row {
			if !on {
				continue
			}
			r := image.Rect(x0+x*d.qrSize, d.y+4+y*d.qrSize, x0+(x+1)*d.qrSize, d.y+4+(y+1)*d.qrSize)
			draw.Draw(d.canvas, r.Intersect(d.canvas.Bounds()), image.Black, image.Point{}, draw.Src)
		}
	}
	d.y += size + 8
}
