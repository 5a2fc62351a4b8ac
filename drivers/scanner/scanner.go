package scanner

import (
	"context"
	"fmt"
	"os"
)

// Mode is the colour mode of a scan.
type Mode string

// Colour modes.
const (
	Color Mode = "color"
	Gray  Mode = "gray"
)

// Format is the file format of scanned pages.
type Format string

// Page formats.
const (
	PNG  Format = "png"
	TIFF Format = "tiff"
	JPEG Format = "jpeg"
	PDF  Format = "pdf"
)

// Source is where the paper is.
type Source string

// Paper sources.
const (
	Flatbed Source = "flatbed" // the glass: one page
	ADF     Source = "adf"     // the automatic document feeder: a batch
)

// Options say how to scan.
type Options struct {
	Dir        string // where page files are written; required
	Resolution int    // dots per inch; 300 when zero (what OCR wants)
	Mode       Mode   // Color when empty
	Format     Format // PNG when empty
	Source     Source // Flatbed when empty
	MaxPages   int    // stop after this many pages; 0 means the whole feeder (ADF) or 1 (flatbed)
}

func (o *Options) defaults() error {
	if o.Dir == "" {
		return fmt.Errorf("scanner: no output directory: %w", ErrBadOptions)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("scanner: %w", err)
	}
	if o.Resolution <= 0 {
		o.Resolution = 300
	}
	if o.Mode == "" {
		o.Mode = Color
	}
	if o.Format == "" {
		o.Format = PNG
	}
	if o.Source == "" {
		o.Source = Flatbed
	}
	if o.Source == Flatbed && o.MaxPages == 0 {
		o.MaxPages = 1
	}
	return nil
}

// Page is one scanned page, as a file.
type Page struct {
	Number int    // 1, 2, … in the order scanned
	Path   string // the file
	Format Format
	Size   int64 // bytes
}

// Progress is reported while scanning.
type Progress struct {
	Page    int     // the page being scanned, from 1
	Percent float64 // of that page, 0–100
	Done    bool    // the page is complete
}

// Scanner scans pages. Scan returns the pages scanned, even when it fails
// part way (a jam on page 3 returns pages 1 and 2 and an error wrapping
// ErrJammed); progress, if not nil, is called from the scanning goroutine.
type Scanner interface {
	Scan(ctx context.Context, opt Options, progress func(Progress)) ([]Page, error)
	String() string // what it is, for logs and the technician
}

func report(progress func(Progress), p Progress) {
	if progress != nil {
		progress(p)
	}
}

func ext(f Format) string {
	switch f {
	case TIFF:
		return ".tiff"
	case JPEG:
		return ".jpg"
	case PDF:
		return ".pdf"
	}
	return ".png"
}
