// Package scannersim simulates document scanners so kioskd, its tests and
// the demo run without one: Scanner produces page images behind the
// scanner.Scanner interface (with a jam or an empty feeder on request),
// ESCLServer is an eSCL (AirScan) network scanner to serve on loopback, and
// DropFile writes a page into a folder slowly, as a scan-to-folder scanner
// does over the network. SANE needs no simulator here: its own "test"
// backend is the real thing.
package scannersim

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"xephang/drivers/scanner"
)

// PageImage draws page n of a simulated dossier at dpi dots per inch (A4,
// a title, ruled lines), recognisable in tests and the demo.
func PageImage(n, dpi int) image.Image {
	if dpi <= 0 {
		dpi = 75
	}
	w, h := 210*dpi*10/254, 297*dpi*10/254
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	ink := image.NewUniform(color.RGBA{20, 20, 60, 255})
	m := dpi / 4
	for y := m * 3; y < h-m; y += dpi / 3 {
		draw.Draw(img, image.Rect(m, y, w-m, y+max(dpi/150, 1)), ink, image.Point{}, draw.Src)
	}
	d := font.Drawer{Dst: img, Src: ink, Face: basicfont.Face7x13, Dot: fixed.P(m, m*2)}
	d.DrawString(fmt.Sprintf("XEP HANG - TRANG %d / PAGE %d", n, n))
	return img
}

// PagePNG is PageImage encoded as PNG.
func PagePNG(n, dpi int) []byte {
	var b bytes.Buffer
	png.Encode(&b, PageImage(n, dpi))
	return b.Bytes()
}

// Scanner is a simulated scanner with a document feeder.
type Scanner struct {
	Pages int           // sheets in the feeder; a flatbed scan always has one
	JamAt int           // the page that jams (0: none)
	Delay time.Duration // time to scan one page
	DPI   int           // resolution of the produced images; 75 when zero (kept small)

	mu sync.Mutex
}

// String returns "simulated".
func (s *Scanner) String() string { return "simulated" }

// Scan writes PNG pages into opt.Dir with progress, as a real scanner would.
func (s *Scanner) Scan(ctx context.Context, opt scanner.Options, progress func(scanner.Progress)) ([]scanner.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if opt.Dir == "" {
		return nil, fmt.Errorf("scannersim: %w", scanner.ErrBadOptions)
	}
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("scannersim: %w", err)
	}
	avail := 1
	if opt.Source == scanner.ADF {
		avail = s.Pages
		if avail == 0 {
			return nil, fmt.Errorf("scannersim: %w", scanner.ErrFeederEmpty)
		}
	}
	if opt.MaxPages > 0 {
		avail = min(avail, opt.MaxPages)
	}
	var pages []scanner.Page
	for n := 1; n <= avail; n++ {
		for step := 0; step <= 4; step++ {
			if progress != nil {
				progress(scanner.Progress{Page: n, Percent: float64(step * 25), Done: step == 4 && n != s.JamAt})
			}
			if n == s.JamAt && step == 2 {
				return pages, fmt.Errorf("scannersim: page %d: %w", n, scanner.ErrJammed)
			}
			select {
			case <-time.After(s.Delay / 4):
			case <-ctx.Done():
				return pages, fmt.Errorf("scannersim: %w", ctx.Err())
			}
		}
		path := filepath.Join(opt.Dir, fmt.Sprintf("sim-%d-%04d.png", time.Now().UnixNano(), n))
		data := PagePNG(n, s.DPI)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return pages, fmt.Errorf("scannersim: %w", err)
		}
		pages = append(pages, scanner.Page{Number: n, Path: path, Format: scanner.PNG, Size: int64(len(data))})
		if opt.Source == scanner.ADF {
			s.Pages--
		}
	}
	return pages, nil
}

// DropFile writes data to path in chunks with gap between them, as a
// network scanner saving to a share does; readers see a growing file.
func DropFile(path string, data []byte, chunks int, gap time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("scannersim: %w", err)
	}
	chunks = max(chunks, 1)
	size := (len(data) + chunks - 1) / chunks
	for len(data) > 0 {
		k := min(size, len(data))
		if _, err := f.Write(data[:k]); err != nil {
			f.Close()
			return fmt.Errorf("scannersim: %w", err)
		}
		data = data[k:]
		if len(data) > 0 {
			time.Sleep(gap)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("scannersim: %w", err)
	}
	return nil
}
