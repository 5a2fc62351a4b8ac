package digitise_test

import (
	"bytes"
	"image"
	"testing"

	"xephang/kiosk/digitise"
	"xephang/kiosk/precheck"
)

// FuzzPDF lays words as OCR may give them (any text: Tesseract's hOCR is
// outside input, any box, baseline and size) over a sound page: PDF
// makes a PDF, whatever the words.
func FuzzPDF(f *testing.F) {
	f.Add("Hà Nội", 10, 10, 60, 20, 18, 12)
	f.Add("\x00\xff\U0001F600 ", -5, 300, 0, 2, 0, -1)
	f.Add("ﷺ‮x", 0, 0, 1000000, 1000000, 1<<30, 1<<30)
	img := image.NewGray(image.Rect(0, 0, 120, 80))
	f.Fuzz(func(t *testing.T, text string, x, y, w, h, base, size int) {
		if len(text) > 512 {
			return
		}
		wd := precheck.Word{Text: text, Box: image.Rect(x, y, x+w, y+h), Baseline: base, Size: size}
		pdf, err := digitise.PDF([]digitise.Page{{Image: img, DPI: 72, Words: []precheck.Word{wd, wd}}})
		if err != nil { // the page is sound: whatever its words, a PDF
			t.Fatal(err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 16)])
		}
	})
}
