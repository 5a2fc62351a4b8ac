package precheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/jpeg" // scanners and phones send JPEG
	"image/png"
	"io"
	"math"
	"strconv"

	_ "golang.org/x/image/bmp"  // some scan-to-folder scanners
	_ "golang.org/x/image/tiff" // scanimage --format=tiff
)

// Resolution limits. OCR of Vietnamese needs the tone marks, a few pixels
// each: below MinDPI whole lines vanish, so the citizen is asked to rescan;
// pages below TargetDPI are enlarged to it before OCR.
const (
	MinDPI    = 200
	TargetDPI = 300
	// a4WidthInches estimates the resolution of a page that does not say it.
	a4WidthInches = 8.27
)

// Prepared is a page made ready for OCR.
type Prepared struct {
	Gray     *image.Gray // deskewed, binarised (0 or 255), at OCRDPI
	DPI      int         // resolution of the page as scanned
	DPIKnown bool        // DPI came from the file, not estimated from its width
	OCRDPI   int         // resolution of Gray
	Skew     float64     // degrees the page was turned counter-clockwise on the scanner (straightened by −Skew)
	Ink      float64     // share of dark pixels, 0–1
}

// PrepareOptions tunes Prepare; the zero value is what the kiosk uses.
type PrepareOptions struct {
	DPI          int  // the page's resolution when the caller knows it (scanner options)
	NoDeskew     bool // leave the skew alone
	Binarise     bool // Sauvola binarisation and speck removal before OCR (off: measured worse on noisy scans than Tesseract's own Otsu)
	NoUpscale    bool // OCR low-resolution pages as they are
	MaxSkewAngle float64
}

// Prepare decodes a page image and makes it ready for OCR: grey levels,
// resolution check and enlargement to TargetDPI, deskew by projection
// profiles; optionally Sauvola adaptive binarisation and removal of lone
// specks (PrepareOptions.Binarise).
func Prepare(data []byte, opt PrepareOptions) (*Prepared, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("precheck: decode page: %w", err)
	}
	p := &Prepared{DPI: opt.DPI, DPIKnown: opt.DPI > 0}
	if p.DPI <= 0 {
		if d := pngDPI(data); d > 0 {
			p.DPI, p.DPIKnown = d, true
		}
	}
	g := toGray(img)
	if p.DPI <= 0 {
		w := g.Bounds().Dx()
		if h := g.Bounds().Dy(); h < w {
			w = h // landscape: the short side is the A4 width
		}
		p.DPI = int(math.Round(float64(w) / a4WidthInches))
	}
	p.OCRDPI = p.DPI
	if !opt.NoUpscale && p.DPI < TargetDPI-50 && p.DPI >= 50 {
		g = scaleGray(g, float64(TargetDPI)/float64(p.DPI))
		p.OCRDPI = TargetDPI
	}
	if !opt.NoDeskew {
		max := opt.MaxSkewAngle
		if max == 0 {
			max = 6
		}
		p.Skew = estimateSkew(g, p.OCRDPI, max)
		if math.Abs(p.Skew) >= 0.15 {
			g = rotateGray(g, -p.Skew)
		}
	}
	if opt.Binarise {
		g = sauvola(g, p.OCRDPI)
		despeckle(g)
	}
	p.Ink = inkShare(g)
	p.Gray = g
	return p, nil
}

// pngDPI reads the pHYs chunk of a PNG (pixels per metre), or 0.
func pngDPI(b []byte) int {
	if len(b) < 8 || string(b[:8]) != "\x89PNG\r\n\x1a\n" {
		return 0
	}
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || i+12+n > len(b) {
			return 0
		}
		if typ == "pHYs" && n == 9 && b[i+16] == 1 {
			ppm := binary.BigEndian.Uint32(b[i+8:])
			return int(math.Round(float64(ppm) * 0.0254))
		}
		if typ == "IDAT" || typ == "IEND" {
			return 0
		}
		i += 12 + n
	}
	return 0
}

// EncodePNG writes a grey page as PNG with its resolution in pHYs, so the
// bare tesseract command sees the same dpi as the pipeline.
func EncodePNG(w io.Writer, g *image.Gray, dpi int) error {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, g); err != nil {
		return err
	}
	b := buf.Bytes()
	// Insert pHYs right after IHDR (8-byte signature + 25-byte IHDR chunk).
	var chunk [21]byte
	binary.BigEndian.PutUint32(chunk[0:], 9)
	copy(chunk[4:], "pHYs")
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	if _, err := w.Write(b[:33]); err != nil {
		return err
	}
	if _, err := w.Write(chunk[:]); err != nil {
		return err
	}
	_, err := w.Write(b[33:])
	return err
}

// PNM returns g as a binary PGM (P5), which Leptonica reads without the cost
// of PNG compression.
func PNM(g *image.Gray) []byte {
	w, h := g.Bounds().Dx(), g.Bounds().Dy()
	hdr := "P5\n" + strconv.Itoa(w) + " " + strconv.Itoa(h) + "\n255\n"
	out := make([]byte, 0, len(hdr)+w*h)
	out = append(out, hdr...)
	for y := 0; y < h; y++ {
		out = append(out, g.Pix[y*g.Stride:y*g.Stride+w]...)
	}
	return out
}

// toGray converts any image to 8-bit grey, with fast paths for what
// decoders return.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], m.Pix[(y)*m.Stride:])
		}
	case *image.YCbCr:
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				g.Pix[y*g.Stride+x] = m.Y[m.YOffset(b.Min.X+x, b.Min.Y+y)]
			}
		}
	case *image.RGBA:
		for y := 0; y < b.Dy(); y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < b.Dx(); x++ {
				r, gg, bb := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2])
				g.Pix[y*g.Stride+x] = uint8((19595*r + 38470*gg + 7471*bb + 1<<15) >> 16)
			}
		}
	case *image.NRGBA:
		for y := 0; y < b.Dy(); y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < b.Dx(); x++ {
				r, gg, bb, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
				l := (19595*r + 38470*gg + 7471*bb + 1<<15) >> 16
				l = (l*a + 255*(255-a)) / 255 // transparent counts as white paper
				g.Pix[y*g.Stride+x] = uint8(l)
			}
		}
	default:
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				g.Pix[y*g.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return g
}

// scaleGray resizes g by factor f with bilinear interpolation.
func scaleGray(g *image.Gray, f float64) *image.Gray {
	sw, sh := g.Bounds().Dx(), g.Bounds().Dy()
	dw, dh := int(float64(sw)*f+0.5), int(float64(sh)*f+0.5)
	out := image.NewGray(image.Rect(0, 0, dw, dh))
	xs := make([]int32, dw)
	xf := make([]uint16, dw)
	for x := 0; x < dw; x++ {
		i, sx := scaledFrom(x, f, sw)
		xs[x], xf[x] = int32(i), uint16((sx-float64(i))*256)
	}
	for y := 0; y < dh; y++ {
		j, sy := scaledFrom(y, f, sh)
		fy := uint32((sy - float64(j)) * 256)
		r0 := g.Pix[j*g.Stride:]
		r1 := r0
		if j+1 < sh {
			r1 = g.Pix[(j+1)*g.Stride:]
		}
		dst := out.Pix[y*out.Stride:]
		for x := 0; x < dw; x++ {
			i, fx := xs[x], uint32(xf[x])
			i1 := i + 1
			if int(i1) >= sw {
				i1 = i
			}
			top := uint32(r0[i])*(256-fx) + uint32(r0[i1])*fx
			bot := uint32(r1[i])*(256-fx) + uint32(r1[i1])*fx
			dst[x] = uint8((top*(256-fy) + bot*fy + 1<<15) >> 16)
		}
	}
	return out
}

// scaledFrom maps pixel d of an image scaled by f from n pixels back to the
// source: the position s there and the pixel i at or before it, i+1 ≤ n-1
// when n > 1.
func scaledFrom(d int, f float64, n int) (i int, s float64) {
	s = (float64(d)+0.5)/f - 0.5
	if s < 0 {
		s = 0
	}
	i = int(s)
	if i >= n-1 {
		i, s = max(n-2, 0), float64(n-1)
	}
	return i, s
}

// otsu returns the global threshold maximising between-class variance.
func otsu(hist *[256]int, total int) int {
	var sum float64
	for i, n := range hist {
		sum += float64(i * n)
	}
	var sumB, wB float64
	best, th := -1.0, 128
	for t := 0; t < 256; t++ {
		wB += float64(hist[t])
		if wB == 0 {
			continue
		}
		wF := float64(total) - wB
		if wF == 0 {
			break
		}
		sumB += float64(t * hist[t])
		mB, mF := sumB/wB, (sum-sumB)/wF
		if v := wB * wF * (mB - mF) * (mB - mF); v > best {
			best, th = v, t
		}
	}
	return th
}

// estimateSkew finds the angle (degrees) of the text lines: on a copy at
// about 75 dpi, dark pixels are sheared for each candidate angle and the
// angle whose row profile is the most peaked (largest sum of squares) wins;
// a coarse pass in 0.5° steps is refined in 0.1° steps.
func estimateSkew(g *image.Gray, dpi int, maxAngle float64) float64 {
	step := max(1, dpi/75)
	w, h := g.Bounds().Dx()/step, g.Bounds().Dy()/step
	if w < 50 || h < 50 {
		return 0
	}
	var hist [256]int
	for y := 0; y < h; y++ {
		row := g.Pix[y*step*g.Stride:]
		for x := 0; x < w; x++ {
			hist[row[x*step]]++
		}
	}
	th := uint8(otsu(&hist, w*h))
	type pt struct{ x, y int32 }
	var dark []pt
	for y := 0; y < h; y++ {
		row := g.Pix[y*step*g.Stride:]
		for x := 0; x < w; x++ {
			if row[x*step] < th {
				dark = append(dark, pt{int32(x), int32(y)})
			}
		}
	}
	if len(dark) < 200 || len(dark) > w*h/2 {
		return 0 // blank or black: nothing to straighten by
	}
	bins := make([]int32, h+2*w+4)
	score := func(a float64) float64 {
		clear(bins)
		t := math.Tan(a * math.Pi / 180)
		off := float64(w) + 2
		for _, p := range dark {
			i := int(float64(p.y) + float64(p.x)*t + off)
			if i >= 0 && i < len(bins) {
				bins[i]++
			}
		}
		var s float64
		for _, n := range bins {
			s += float64(n) * float64(n)
		}
		return s
	}
	search := func(lo, hi, st float64) float64 {
		best, bestA := -1.0, 0.0
		for a := lo; a <= hi+1e-9; a += st {
			if s := score(a); s > best {
				best, bestA = s, a
			}
		}
		return bestA
	}
	a := search(-maxAngle, maxAngle, 0.5)
	a = search(a-0.5, a+0.5, 0.1)
	// A line rising to the right by a degrees (turned counter-clockwise)
	// satisfies y + x·tan(a) = c in image coordinates (y down), so a is the
	// page's skew and rotateGray(g, −a) turns it back.
	return a
}

// rotateGray turns g by deg degrees (counter-clockwise on screen) about its
// centre, filling with white, with bilinear interpolation.
func rotateGray(g *image.Gray, deg float64) *image.Gray {
	w, h := g.Bounds().Dx(), g.Bounds().Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	rad := deg * math.Pi / 180
	c, s := math.Cos(rad), math.Sin(rad)
	cx, cy := float64(w)/2, float64(h)/2
	const one = 1 << 16
	for y := 0; y < h; y++ {
		dy := float64(y) - cy
		// Source of (x, y): rotate back by −deg.
		sx0 := c*(-cx) - s*dy + cx
		sy0 := s*(-cx) + c*dy + cy
		fx, fy := int64(sx0*one), int64(sy0*one)
		dfx, dfy := int64(c*one), int64(s*one)
		dst := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			ix, iy := fx>>16, fy>>16
			if ix < 0 || iy < 0 || ix >= int64(w-1) || iy >= int64(h-1) {
				dst[x] = 255
			} else {
				ax, ay := uint32(fx&(one-1))>>8, uint32(fy&(one-1))>>8
				p := g.Pix[int(iy)*g.Stride+int(ix):]
				q := g.Pix[int(iy+1)*g.Stride+int(ix):]
				top := uint32(p[0])*(256-ax) + uint32(p[1])*ax
				bot := uint32(q[0])*(256-ax) + uint32(q[1])*ax
				dst[x] = uint8((top*(256-ay) + bot*ay + 1<<15) >> 16)
			}
			fx += dfx
			fy += dfy
		}
	}
	return out
}

// sauvola binarises g with Sauvola's threshold T = m·(1 + k·(s/R − 1)) over
// a window of about 1/8 inch, computed with sliding column sums so memory
// stays at a few rows whatever the page size (J. Sauvola, M. Pietikäinen,
// "Adaptive document image binarization", Pattern Recognition 33, 2000).
func sauvola(g *image.Gray, dpi int) *image.Gray {
	const k, R = 0.2, 128.0
	w, h := g.Bounds().Dx(), g.Bounds().Dy()
	r := max(7, dpi/16) // half window
	out := image.NewGray(image.Rect(0, 0, w, h))
	col := make([]uint32, w)
	col2 := make([]uint64, w)
	addRow := func(y int, sign int) {
		row := g.Pix[y*g.Stride:]
		for x := 0; x < w; x++ {
			v := uint32(row[x])
			if sign > 0 {
				col[x] += v
				col2[x] += uint64(v * v)
			} else {
				col[x] -= v
				col2[x] -= uint64(v * v)
			}
		}
	}
	for y := 0; y < min(r, h); y++ {
		addRow(y, 1)
	}
	for y := 0; y < h; y++ {
		if y+r < h {
			addRow(y+r, 1)
		}
		if y-r-1 >= 0 {
			addRow(y-r-1, -1)
		}
		rows := min(h-1, y+r) - max(0, y-r) + 1
		var s uint32
		var s2 uint64
		for x := 0; x < min(r, w); x++ {
			s += col[x]
			s2 += col2[x]
		}
		src := g.Pix[y*g.Stride:]
		dst := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			if x+r < w {
				s += col[x+r]
				s2 += col2[x+r]
			}
			if x-r-1 >= 0 {
				s -= col[x-r-1]
				s2 -= col2[x-r-1]
			}
			n := float64(rows * (min(w-1, x+r) - max(0, x-r) + 1))
			m := float64(s) / n
			v := float64(s2)/n - m*m
			sd := 0.0
			if v > 0 {
				sd = math.Sqrt(v)
			}
			t := m * (1 + k*(sd/R-1))
			if float64(src[x]) <= t && src[x] < 200 {
				dst[x] = 0
			} else {
				dst[x] = 255
			}
		}
	}
	return out
}

// despeckle whitens black pixels with no black 8-neighbour: scanner dust and
// salt noise, which Tesseract otherwise reads as dots and tone marks.
func despeckle(g *image.Gray) {
	w, h := g.Bounds().Dx(), g.Bounds().Dy()
	var lone []int
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*g.Stride + x
			if g.Pix[i] != 0 {
				continue
			}
			n := 0
			for _, j := range [8]int{i - g.Stride - 1, i - g.Stride, i - g.Stride + 1, i - 1, i + 1, i + g.Stride - 1, i + g.Stride, i + g.Stride + 1} {
				if g.Pix[j] == 0 {
					n++
				}
			}
			if n == 0 {
				lone = append(lone, i)
			}
		}
	}
	for _, i := range lone {
		g.Pix[i] = 255
	}
}

// inkShare is the share of pixels darker than mid-grey.
func inkShare(g *image.Gray) float64 {
	w, h := g.Bounds().Dx(), g.Bounds().Dy()
	if w == 0 || h == 0 {
		return 0
	}
	n := 0
	for y := 0; y < h; y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			if v < 128 {
				n++
			}
		}
	}
	return float64(n) / float64(w*h)
}
