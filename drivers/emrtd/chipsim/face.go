package chipsim

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
)

// Face sizes: an ICAO portrait is 3:4; chips hold small ones (240×320 and
// about 15 KB at most on a CCCD).
const (
	faceWidth  = 240
	faceHeight = 320
)

// look is what tells the drawn faces apart.
type look struct {
	skin, hair, shirt, background color.RGBA
	grey                          bool // white hair, as the elderly holder has
	longHair                      bool
}

// drawFace draws a made-up portrait: background, shoulders, head, hair, eyes,
// brows, nose and mouth, in flat colours with soft edges, so that it stays
// small as a JPEG and looks like a photo slot, not like a real person.
func drawFace(l look) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, faceWidth, faceHeight))
	cx, cy := float64(faceWidth)/2, float64(faceHeight)*0.42
	for y := 0; y < faceHeight; y++ {
		for x := 0; x < faceWidth; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			c := l.background
			// a soft vertical gradient, as studio backgrounds have
			c = mix(c, color.RGBA{255, 255, 255, 255}, 0.25*(1-fy/faceHeight))
			// shoulders
			if d := ellipse(fx, fy, cx, faceHeight*1.08, 120, 95); d < 1 {
				c = mix(c, l.shirt, edge(d))
			}
			// neck
			if math.Abs(fx-cx) < 28 && fy > cy+60 && fy < faceHeight*0.86 {
				c = mix(l.skin, color.RGBA{0, 0, 0, 255}, 0.12)
			}
			// hair behind the head
			hairW, hairH := 72.0, 88.0
			if l.longHair {
				hairW, hairH = 78, 120
			}
			if d := ellipse(fx, fy, cx, cy-8+(hairH-88)/2, hairW, hairH); d < 1 && fy < cy+(hairH-40) {
				c = mix(c, l.hair, edge(d))
			}
			// head
			if d := ellipse(fx, fy, cx, cy+6, 58, 76); d < 1 {
				c = mix(c, l.skin, edge(d))
				// fringe over the forehead
				if h := ellipse(fx, fy, cx, cy-52, 66, 40); h < 1 {
					c = mix(c, l.hair, edge(h))
				}
			}
			// ears
			for _, ex := range []float64{cx - 58, cx + 58} {
				if d := ellipse(fx, fy, ex, cy+10, 9, 16); d < 1 {
					c = mix(c, l.skin, edge(d))
				}
			}
			// eyes, irises and brows
			for _, ex := range []float64{cx - 22, cx + 22} {
				if d := ellipse(fx, fy, ex, cy+2, 11, 6); d < 1 {
					c = mix(c, color.RGBA{245, 245, 240, 255}, edge(d))
				}
				if d := ellipse(fx, fy, ex, cy+2, 5, 5); d < 1 {
					c = mix(c, color.RGBA{40, 28, 20, 255}, edge(d))
				}
				if d := ellipse(fx, fy, ex, cy-12, 14, 3); d < 1 {
					brow := l.hair
					if l.grey {
						brow = color.RGBA{150, 150, 150, 255}
					}
					c = mix(c, brow, edge(d))
				}
			}
			// nose shadow
			if d := ellipse(fx, fy, cx+2, cy+22, 6, 14); d < 1 {
				c = mix(c, color.RGBA{0, 0, 0, 255}, 0.08*edge(d))
			}
			// mouth
			if d := ellipse(fx, fy, cx, cy+46, 18, 5); d < 1 {
				c = mix(c, color.RGBA{170, 80, 80, 255}, edge(d))
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// ellipse is the normalised distance of (x, y) from an ellipse's centre:
// below 1 inside.
func ellipse(x, y, cx, cy, rx, ry float64) float64 {
	dx, dy := (x-cx)/rx, (y-cy)/ry
	return math.Sqrt(dx*dx + dy*dy)
}

// edge is 1 inside a shape and falls to 0 over its last few per cent, which
// keeps edges soft (and the JPEG small).
func edge(d float64) float64 {
	return math.Min(1, (1-d)*20)
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	if t <= 0 {
		return a
	}
	if t >= 1 {
		return b
	}
	m := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t + 0.5) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 255}
}

// faceJPEG encodes a drawn face as a baseline JPEG.
func faceJPEG(l look) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, drawFace(l), &jpeg.Options{Quality: 70}); err != nil {
		panic(err) // writing to memory does not fail
	}
	return b.Bytes()
}

// looks of the demo holders.

var looks = map[string]look{
	"adult": {skin: color.RGBA{224, 182, 150, 255}, hair: color.RGBA{30, 24, 20, 255},
		shirt: color.RGBA{40, 60, 110, 255}, background: color.RGBA{200, 215, 235, 255}},
	"elderly": {skin: color.RGBA{214, 170, 140, 255}, hair: color.RGBA{215, 215, 210, 255},
		shirt: color.RGBA{120, 50, 60, 255}, background: color.RGBA{200, 215, 235, 255}, grey: true, longHair: true},
	"tones": {skin: color.RGBA{230, 190, 160, 255}, hair: color.RGBA{45, 30, 25, 255},
		shirt: color.RGBA{245, 245, 245, 255}, background: color.RGBA{200, 215, 235, 255}, longHair: true},
}
