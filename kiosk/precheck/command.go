package precheck

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"xephang/drivers/idcard"
	"xephang/kiosk/catalogue"
)

// Exit codes of Command, as kioskd's technician commands use them.
const (
	exitOK      = 0 // every required document present and consistent
	exitProblem = 1 // something is missing, unreadable or inconsistent, or the check failed
	exitUsage   = 2 // bad command line
)

// Command implements
//
//	kioskd precheck -procedure ID [-card PAYLOAD] IMAGE…
//
// It runs the pre-check on page images, with the card read at the kiosk
// when given (a QR payload, or the MRZ lines separated by newlines or "\n";
// "-" reads it from stdin), and prints the Result as JSON on stdout.
// Tesseract must run single-threaded: when OMP_THREAD_LIMIT is not 1 and
// the process was started as "… precheck …", Command restarts it with the
// variable set (libgomp reads it only at start-up).
func Command(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd precheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	procedure := fs.String("procedure", "", "procedure id: "+strings.Join(catalogue.Default().IDs(), ", "))
	cardArg := fs.String("card", "", "card QR payload or MRZ read at the kiosk; - reads it from stdin")
	workers := fs.Int("workers", 2, "OCR workers (Tesseract clients)")
	dpi := fs.Int("dpi", 0, "resolution of the images when they do not say it")
	catPath := fs.String("catalogue", "", "catalogue JSON file instead of the built-in one")
	labelsPath := fs.String("labels", "", "label wordings JSON file (the format of labels.json) instead of the built-in one")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kioskd precheck -procedure ID [-card PAYLOAD] IMAGE…")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *procedure == "" || fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	cat := catalogue.Default()
	if *catPath != "" {
		c, err := catalogue.Load(*catPath)
		if err != nil {
			fmt.Fprintln(stderr, "kioskd precheck:", err)
			return exitUsage
		}
		cat = c
	}
	var labels *LabelTable
	if *labelsPath != "" {
		b, err := os.ReadFile(*labelsPath)
		if err == nil {
			labels, err = ParseLabelTable(b)
		}
		if err != nil {
			fmt.Fprintln(stderr, "kioskd precheck:", err)
			return exitUsage
		}
	}
	if _, err := cat.Procedure(*procedure); err != nil {
		fmt.Fprintf(stderr, "kioskd precheck: unknown procedure %q; known: %s\n", *procedure, strings.Join(cat.IDs(), ", "))
		return exitUsage
	}
	if !SingleThreaded() {
		RestartSingleThreaded("precheck", stderr)
	}
	var card *idcard.Card
	if *cardArg != "" {
		payload := *cardArg
		if payload == "-" {
			b, err := io.ReadAll(io.LimitReader(stdin, idcard.MaxPayload+1))
			if err != nil {
				fmt.Fprintln(stderr, "kioskd precheck: card:", err)
				return exitUsage
			}
			payload = string(b)
		}
		payload = strings.TrimSpace(strings.ReplaceAll(payload, `\n`, "\n"))
		c, err := idcard.Parse(payload, time.Now())
		if c == nil {
			fmt.Fprintln(stderr, "kioskd precheck: card:", err)
			return exitUsage
		}
		card = c // an invalid card is still checked against, and reported
	}
	var pages []Page
	for _, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(stderr, "kioskd precheck:", err)
			return exitProblem
		}
		pages = append(pages, Page{Data: b, DPI: *dpi})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	ch, err := NewChecker(Config{Catalogue: cat, Labels: labels, OCR: OCROptions{Workers: *workers}})
	if err != nil {
		fmt.Fprintln(stderr, "kioskd precheck:", err)
		return exitProblem
	}
	defer ch.Close()
	res, err := ch.Check(ctx, *procedure, pages, card, nil)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd precheck:", err)
		return exitProblem
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(stderr, "kioskd precheck:", err)
		return exitProblem
	}
	if !res.OK {
		return exitProblem
	}
	return exitOK
}

// RestartSingleThreaded restarts the process with OMP_THREAD_LIMIT=1 when
// it was started as the technician command `kioskd <command> …` (libgomp
// reads the variable only at start-up); otherwise, as in tests that run
// the command in-process, it only warns. Call it when SingleThreaded is
// false, before any Tesseract client is made.
func RestartSingleThreaded(command string, stderr io.Writer) {
	if !slices.Contains(os.Args, command) {
		fmt.Fprintf(stderr, "kioskd %s: OMP_THREAD_LIMIT is not 1: OCR will be several times slower\n", command)
		return
	}
	exe, err := os.Executable()
	if err == nil {
		err = syscall.Exec(exe, os.Args, append(os.Environ(), "OMP_THREAD_LIMIT=1"))
	}
	fmt.Fprintf(stderr, "kioskd %s: cannot restart with OMP_THREAD_LIMIT=1: %v\n", command, err)
}
