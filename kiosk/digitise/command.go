package digitise

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"xephang/kiosk/precheck"
)

// Exit codes of Command, as kioskd's technician commands use them.
const (
	exitOK      = 0
	exitProblem = 1 // a page could not be read, or the PDF not written
	exitUsage   = 2
)

// Command implements
//
//	kioskd digitise -out FILE.pdf IMAGE…
//
// It reads the page images with OCR as the pre-check does (Tesseract,
// Vietnamese, single-threaded: started as "… digitise …" without
// OMP_THREAD_LIMIT=1, it restarts itself with it) and writes one
// searchable PDF of them all, in the order given.
func Command(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd digitise", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the PDF to write")
	workers := fs.Int("workers", 2, "OCR workers (Tesseract clients)")
	dpi := fs.Int("dpi", 0, "resolution of the images when they do not say it")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kioskd digitise -out FILE.pdf IMAGE…")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *out == "" || fs.NArg() == 0 || *workers < 1 || *workers > 8 {
		fs.Usage()
		return exitUsage
	}
	if !precheck.SingleThreaded() {
		precheck.RestartSingleThreaded("digitise", stderr)
	}
	pages := make([]precheck.Page, 0, fs.NArg())
	for _, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(stderr, "kioskd digitise:", err)
			return exitProblem
		}
		pages = append(pages, precheck.Page{Data: b, DPI: *dpi})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	ch, err := precheck.NewChecker(precheck.Config{OCR: precheck.OCROptions{Workers: *workers}})
	if err != nil {
		fmt.Fprintln(stderr, "kioskd digitise:", err)
		return exitProblem
	}
	defer ch.Close()
	ps, err := read(ctx, ch, pages, *workers)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd digitise:", err)
		return exitProblem
	}
	b, err := PDF(ps)
	if err == nil {
		err = os.WriteFile(*out, b, 0o600)
	}
	if err != nil {
		fmt.Fprintln(stderr, "kioskd digitise:", err)
		return exitProblem
	}
	words := 0
	for _, p := range ps {
		words += len(p.Words)
	}
	fmt.Fprintf(stdout, "%s: %d pages, %d words, %d kB\n", *out, len(ps), words, (len(b)+1023)/1024)
	return exitOK
}

// read prepares and reads pages with the checker's OCR, workers at a time.
func read(ctx context.Context, ch *precheck.Checker, pages []precheck.Page, workers int) ([]Page, error) {
	out := make([]Page, len(pages))
	errs := make([]error, len(pages))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, p := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := ch.Read(ctx, p)
			if err != nil {
				errs[i] = fmt.Errorf("page %d: %w", i+1, err)
				return
			}
			out[i], _ = PageOf(precheck.PageText{Image: r.Prepared.Gray, DPI: r.Prepared.OCRDPI, Text: r.Text})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
