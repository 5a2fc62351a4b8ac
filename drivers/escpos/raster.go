package escpos

import (
	"fmt"
	"image"
	"image/draw"
	"sync"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Bitmap is a 1-bit image in ESC/POS raster order: rows top to bottom, each
// row Stride bytes, the most significant bit the leftmost dot, 1 = black.
type Bitmap struct {
	Width, Height, Stride int
	Bits                  []byte
}

// At reports whether the dot at (x, y) is black.
func (b *Bitmap) At(x, y int) bool {
	if x < 0 || y < 0 || x >= b.Width || y >= b.Height {
		return false
	}
	return b.Bits[y*b.Stride+x/8]&(0x80>>(x%8)) != 0
}

// fontSet renders text with the embedded DejaVu Sans faces. opentype faces
// are not safe for concurrent use, hence the mutex.
type fontSet struct {
	mu      sync.Mutex
	regular *opentype.Font
	bold    *opentype.Font
	faces   map[faceKey]font.Face
}

type faceKey struct {
	bold bool
	px   int
}

var (
	fontsOnce sync.Once
	fonts     *fontSet
	fontsErr  error
)

func loadFonts() (*fontSet, error) {
	fontsOnce.Do(func() {
		r, err := opentype.Parse(dejavusans.TTF)
		if err != nil {
			fontsErr = fmt.Errorf("escpos: font: %w", err)
			return
		}
		b, err := opentype.Parse(dejavusansbold.TTF)
		if err != nil {
			fontsErr = fmt.Errorf("escpos: font: %w", err)
			return
		}
		fonts = &fontSet{regular: r, bold: b, faces: map[faceKey]font.Face{}}
	})
	return fonts, fontsErr
}

// face returns the face of the given weight and pixel size; call with mu held.
func (f *fontSet) face(bold bool, px int) (font.Face, error) {
	k := faceKey{bold, px}
	if fc, ok := f.faces[k]; ok {
		return fc, nil
	}
	src := f.regular
	if bold {
		src = f.bold
	}
	fc, err := opentype.NewFace(src, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("escpos: font face: %w", err)
	}
	f.faces[k] = fc
	return fc, nil
}

// measure returns the advance width of s in dots.
func (f *fontSet) measure(s string, bold bool, px int) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.face(bold, px)
	if err != nil {
		return 0, err
	}
	return font.MeasureString(fc, s).Ceil(), nil
}

// rasterLine is one line of text drawn for GS v 0: the bitmap cropped to
// its ink, the print mode m (0 dot for dot, 3 twice as wide and as high)
// and the blank dots of the line box above and below the ink, fed with
// ESC J instead of being sent as white rows.
type rasterLine struct {
	bm           *Bitmap
	mode         byte
	above, below int // blank dots on paper (after the mode's scaling)
}

// inkThreshold is the glyph coverage (of 255) from which a dot is black.
// The font is drawn without hinting, so a tone mark one dot thick straddles
// two rows at partial coverage; at half coverage (128) the acute and the
// hook above of é and ẻ at 18 dots, or the grave of Ồ, lose the dots that
// tell them apart. A quarter keeps them, and slightly bolder text suits a
// thermal head anyway.
const inkThreshold = 64

// tallLetters are the letters that reach highest above the baseline.
const tallLetters = "ỖẪỄỮẴẲẨỂỔỞỬỶ"

// render draws one line of text and crops it to its ink, horizontally and
// vertically. px is the face size in dots of the bitmap; quad says it is
// printed at m=3. The line box is the face's full height plus two dots each
// side, so lines stack evenly; the blank part of it is returned as
// above/below. invert gives white text on a black band (the booking mark),
// which keeps its whole box.
func (f *fontSet) render(s string, bold bool, px int, quad, invert bool) (*rasterLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, err := f.face(bold, px)
	if err != nil {
		return nil, err
	}
	m := fc.Metrics()
	// Capitals with two marks (Ỗ, Ấ, Ẵ) rise above the face's ascent
	// (3 dots at 17 to 22 px): the box reaches above them, or the top of
	// their marks is cut off; every line of a size has the same box.
	ascent, descent := m.Ascent.Ceil(), m.Descent.Ceil()
	if b, _ := font.BoundString(fc, tallLetters); -b.Min.Y.Floor() > ascent {
		ascent = -b.Min.Y.Floor()
	}
	if b, _ := font.BoundString(fc, s); b.Max.Y.Ceil() > descent {
		descent = b.Max.Y.Ceil()
	}
	pad := 2
	w := font.MeasureString(fc, s).Ceil() + 2*pad
	h := ascent + descent + 2*pad
	dst := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: dst, Src: image.Opaque, Face: fc, Dot: fixed.P(pad, pad+ascent)}
	d.DrawString(s)
	left, right, top, bottom := w, 0, h, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if dst.AlphaAt(x, y).A >= inkThreshold {
				left, right = min(left, x), max(right, x+1)
				top, bottom = min(top, y), max(bottom, y+1)
			}
		}
	}
	if right <= left {
		left, right, top, bottom = 0, 1, 0, 1 // blank line: one white dot
	}
	if invert {
		left, right = max(left-8, 0), min(right+8, w)
		top, bottom = 0, h
	}
	bm := newBitmap(right-left, bottom-top)
	for y := top; y < bottom; y++ {
		for x := left; x < right; x++ {
			if (dst.AlphaAt(x, y).A >= inkThreshold) != invert {
				bm.Bits[(y-top)*bm.Stride+(x-left)/8] |= 0x80 >> ((x - left) % 8)
			}
		}
	}
	if invert {
		// Blacken the padding bits past Width in each row's last byte too,
		// so the band has clean edges on printers that print whole bytes.
		for y := 0; y < bm.Height; y++ {
			for x := bm.Width; x < bm.Stride*8; x++ {
				bm.Bits[y*bm.Stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	rl := &rasterLine{bm: bm, above: top, below: h - bottom}
	if quad {
		rl.mode = 3
		rl.above, rl.below = 2*rl.above, 2*rl.below
	}
	return rl, nil
}

func newBitmap(w, h int) *Bitmap {
	stride := (w + 7) / 8
	return &Bitmap{Width: w, Height: h, Stride: stride, Bits: make([]byte, stride*h)}
}

// FromImage converts img to a Bitmap, dots darker than mid-grey black.
func FromImage(img image.Image) *Bitmap {
	r := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(g, g.Bounds(), img, r.Min, draw.Src)
	bm := newBitmap(r.Dx(), r.Dy())
	for y := 0; y < bm.Height; y++ {
		for x := 0; x < bm.Width; x++ {
			if g.GrayAt(x, y).Y < 128 {
				bm.Bits[y*bm.Stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return bm
}

// appendRaster appends GS v 0 for bm; mode 0 prints it dot for dot, 1 at
// double width, 2 double height, 3 both. Real-time command
// sequences inside the data are broken up (see the package doc).
func appendRaster(dst []byte, bm *Bitmap, mode byte) []byte {
	dst = append(dst, 0x1D, 'v', '0', mode,
		byte(bm.Stride), byte(bm.Stride>>8), byte(bm.Height), byte(bm.Height>>8))
	start := len(dst)
	dst = append(dst, bm.Bits...)
	defuseRealtime(dst[start:])
	return dst
}

// defuseRealtime clears bit 2 of a byte that would complete DLE EOT, DLE ENQ
// or DLE DC4 after a 0x10: one white dot instead of a printer that answers a
// status request, or powers off, in the middle of an image.
func defuseRealtime(b []byte) {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0x10 {
			switch b[i+1] {
			case 0x04, 0x05, 0x14:
				b[i+1] &^= 0x04
			}
		}
	}
}
