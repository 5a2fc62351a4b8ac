package jp2_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"xephang/drivers/jp2"
)

// face draws a portrait like a chip's DG2 image: a background gradient, a
// skin-toned head, hair, eyes and a mouth (smooth areas and sharp edges).
func face(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)*0.48
	in := func(x, y, ex, ey, rx, ry float64) bool {
		dx, dy := (x-ex)/rx, (y-ey)/ry
		return dx*dx+dy*dy <= 1
	}
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			c := color.NRGBA{uint8(180 + 40*fy/float64(h)), uint8(200 - 30*fx/float64(w)), 230, 255}
			switch {
			case in(fx, fy, cx-0.17*float64(w), cy-0.05*float64(h), 0.06*float64(w), 0.025*float64(h)),
				in(fx, fy, cx+0.17*float64(w), cy-0.05*float64(h), 0.06*float64(w), 0.025*float64(h)):
				c = color.NRGBA{40, 30, 25, 255} // eyes
			case in(fx, fy, cx, cy+0.18*float64(h), 0.14*float64(w), 0.03*float64(h)):
				c = color.NRGBA{170, 70, 70, 255} // mouth
			case in(fx, fy, cx, cy, 0.33*float64(w), 0.36*float64(h)):
				shade := 20 * math.Sin(fx/7) * math.Cos(fy/9)
				c = color.NRGBA{uint8(220 + shade), uint8(180 + shade), uint8(150 + shade), 255}
			case in(fx, fy, cx, cy-0.12*float64(h), 0.38*float64(w), 0.36*float64(h)):
				c = color.NRGBA{30, 25, 20, 255} // hair
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// writePNM writes P6 (colour) or P5 (gray) for opj_compress.
func writePNM(t testing.TB, path string, img *image.NRGBA, gray bool) {
	t.Helper()
	var buf bytes.Buffer
	b := img.Bounds()
	magic := "P6"
	if gray {
		magic = "P5"
	}
	fmt.Fprintf(&buf, "%s\n%d %d\n255\n", magic, b.Dx(), b.Dy())
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := img.NRGBAAt(x, y)
			if gray {
				buf.WriteByte(grayOf(c))
			} else {
				buf.Write([]byte{c.R, c.G, c.B})
			}
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writePGM16 writes the gray image with 16-bit samples (v × 257), which
// decode back to v.
func writePGM16(t testing.TB, path string, img *image.NRGBA) {
	t.Helper()
	var buf bytes.Buffer
	b := img.Bounds()
	fmt.Fprintf(&buf, "P5\n%d %d\n65535\n", b.Dx(), b.Dy())
	for y := range b.Dy() {
		for x := range b.Dx() {
			v := grayOf(img.NRGBAAt(x, y))
			buf.Write([]byte{v, v})
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func grayOf(c color.NRGBA) uint8 { return color.GrayModel.Convert(c).(color.Gray).Y }

// compress runs OpenJPEG's own encoder.
func compress(t testing.TB, in, out string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("opj_compress"); err != nil {
		t.Fatal("opj_compress is not installed (Debian package libopenjp2-tools; provisioning/dev-deps.sh installs it)")
	}
	cmd := exec.Command("opj_compress", append([]string{"-i", in, "-o", out}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("opj_compress %v: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compare gives the largest and the mean absolute difference of the samples.
func compare(t *testing.T, got image.Image, want *image.NRGBA, gray bool) (worst int, mean float64) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	var sum, n int
	for y := range want.Bounds().Dy() {
		for x := range want.Bounds().Dx() {
			w := want.NRGBAAt(x, y)
			var pairs [][2]int
			if gray {
				g, ok := got.(*image.Gray)
				if !ok {
					t.Fatalf("a gray image decoded as %T", got)
				}
				pairs = [][2]int{{int(g.GrayAt(x, y).Y), int(grayOf(w))}}
			} else {
				c, ok := got.(*image.NRGBA)
				if !ok {
					t.Fatalf("a colour image decoded as %T", got)
				}
				g := c.NRGBAAt(x, y)
				if g.A != 255 {
					t.Fatalf("alpha %d at %d,%d", g.A, x, y)
				}
				pairs = [][2]int{{int(g.R), int(w.R)}, {int(g.G), int(w.G)}, {int(g.B), int(w.B)}}
			}
			for _, p := range pairs {
				d := p[0] - p[1]
				if d < 0 {
					d = -d
				}
				worst = max(worst, d)
				sum += d
				n++
			}
		}
	}
	return worst, float64(sum) / float64(n)
}

func TestDecodeFaces(t *testing.T) {
	dir := t.TempDir()
	src := face(240, 320) // ICAO's smallest token portrait is 240 wide
	writePNM(t, filepath.Join(dir, "face.ppm"), src, false)
	writePNM(t, filepath.Join(dir, "face.pgm"), src, true)
	writePGM16(t, filepath.Join(dir, "face16.pgm"), src)
	for _, tc := range []struct {
		name, in, out string
		args          []string
		gray          bool
		worst         int     // largest difference allowed
		mean          float64 // mean difference allowed
	}{
		{"jp2 lossless", "face.ppm", "a.jp2", nil, false, 0, 0},
		{"j2k lossless", "face.ppm", "a.j2k", nil, false, 0, 0},
		{"jp2 gray lossless", "face.pgm", "g.jp2", nil, true, 0, 0},
		// What passports carry: lossy, about 15-20 KB for a portrait.
		{"jp2 lossy 1:20", "face.ppm", "l.jp2", []string{"-r", "20"}, false, 40, 1.5},
		{"j2k lossy 1:40, tiles, RPCL", "face.ppm", "t.j2k", []string{"-r", "40", "-t", "128,128", "-p", "RPCL"}, false, 96, 4},
		{"jp2 gray lossy 1:10", "face.pgm", "gl.jp2", []string{"-r", "10"}, true, 16, 0.5},
		{"jp2 gray 16-bit lossless", "face16.pgm", "g16.jp2", nil, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := compress(t, filepath.Join(dir, tc.in), filepath.Join(dir, tc.out), tc.args...)
			img, err := jp2.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			worst, mean := compare(t, img, src, tc.gray)
			t.Logf("%d bytes; worst %d, mean %.2f", len(b), worst, mean)
			if worst > tc.worst || mean > tc.mean {
				t.Fatalf("worst difference %d (allowed %d), mean %.2f (allowed %.2f)", worst, tc.worst, mean, tc.mean)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	dir := t.TempDir()
	src := face(64, 80)
	writePNM(t, filepath.Join(dir, "f.ppm"), src, false)
	j2k := compress(t, filepath.Join(dir, "f.ppm"), filepath.Join(dir, "f.j2k"))
	jp2File := compress(t, filepath.Join(dir, "f.ppm"), filepath.Join(dir, "f.jp2"))

	huge := bytes.Clone(j2k)
	// SIZ: Xsiz at offset 4+2+2 of the codestream: claim 100000 pixels wide.
	huge[8], huge[9], huge[10], huge[11] = 0x00, 0x01, 0x86, 0xA0
	manyTiles := bytes.Clone(j2k)
	// XTsiz, YTsiz = 1: a tile a pixel.
	copy(manyTiles[24:32], []byte{0, 0, 0, 1, 0, 0, 0, 1})

	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, jp2.ErrFormat},
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F'}, jp2.ErrFormat},
		{"truncated codestream", j2k[:len(j2k)/2], jp2.ErrCorrupt},
		{"truncated header", j2k[:20], jp2.ErrCorrupt},
		{"truncated jp2", jp2File[:len(jp2File)-len(j2k)/2], jp2.ErrCorrupt},
		{"jp2 without codestream", jp2File[:40], jp2.ErrCorrupt},
		{"too wide", huge, jp2.ErrTooLarge},
		{"a tile a pixel", manyTiles, jp2.ErrTooLarge},
		{"over MaxBytes", append(bytes.Clone(j2k), make([]byte, jp2.MaxBytes)...), jp2.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := jp2.Decode(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode: %v, %v; want %v", img, err, tc.want)
			}
		})
	}
}

// FuzzDecode: any input is an image or an error, never a crash; the seeds
// are small faces made by opj_compress (testdata/).
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"face.j2k", "face.jp2", "face-gray.jp2"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := jp2.Decode(b)
		if err == nil && (img.Bounds().Dx() > jp2.MaxSide || img.Bounds().Dy() > jp2.MaxSide) {
			t.Fatalf("an image of %v", img.Bounds())
		}
	})
}

func BenchmarkDecodeFace(b *testing.B) {
	dir := b.TempDir()
	writePNM(b, filepath.Join(dir, "face.ppm"), face(480, 640), false)
	data := compress(b, filepath.Join(dir, "face.ppm"), filepath.Join(dir, "face.jp2"), "-r", "20")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := jp2.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
