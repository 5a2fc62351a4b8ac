// Command kioskd is the kiosk daemon of Xếp Hàng: it drives the ticket
// printer, the CCCD readers and the document scanner, serves the local
// touchscreen UI, and syncs with the queue server.
//
// Usage:
//
//	kioskd [-server URL] [-addr 127.0.0.1:8090] [-data DIR] [-simulate] [-config FILE]   the daemon
//	kioskd enroll -server URL -token T -data DIR [-name N]   enrol once with a token from the admin
//	kioskd idcard parse [-today YYYY-MM-DD]      card QR payload or MRZ on stdin → JSON
//	kioskd idcard chip [-reader NAME] -mrz "L1 L2 L3" [-csca DIR]   the card's chip through PC/SC → JSON
//	kioskd printer test [-device SPEC | -simulate DIR] [-profile NAME]
//	kioskd printer test -a4 ipp://HOST/PATH      the A4 printer: a test page, waits for the job
//	kioskd scanner test [-scanner sane[:DEV]|escl:URL|folder:DIR|sim] …
//	kioskd precheck -procedure ID [-card PAYLOAD] IMAGE…   dossier pre-check on page images → JSON
//	kioskd digitise -out FILE.pdf IMAGE…   page images → one searchable PDF (OCR)
//	kioskd counter-scan -data DIR -counter N -scanner SPEC   a counter's scans → its current ticket's dossier
//	kioskd counter-scan -data DIR -counter N -chip-reader NAME -card-reader PORT   a card read at the counter → its ticket's identity
//	kioskd form -procedure ID -card PAYLOAD -out FILE.pdf   the procedure's tờ khai filled from a card → PDF
//
// Technician commands exit 0 when everything checked works, 1 when something
// does not (and say what in plain words), 2 on a usage error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"xephang/kiosk/digitise"
	"xephang/kiosk/formfill"
	"xephang/kiosk/precheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes of kioskd.
const (
	exitOK      = 0 // everything checked works
	exitProblem = 1 // something does not work; the output says what
	exitUsage   = 2 // bad command line, or a mode not available yet
)

// run dispatches a command line; it is main without the process around it,
// so tests run every command in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return runDaemon(ctx, args, stderr)
	}
	cmd, sub, rest := args[0], "", args[1:]
	if len(rest) > 0 {
		sub, rest = rest[0], rest[1:]
	}
	switch cmd + " " + sub {
	case "idcard parse":
		return idcardParse(ctx, rest, stdin, stdout, stderr)
	case "idcard chip":
		return idcardChip(ctx, rest, stdout, stderr)
	case "printer test":
		return printerTest(ctx, rest, stdout, stderr)
	case "scanner test":
		return scannerTest(ctx, rest, stdout, stderr)
	}
	switch cmd {
	case "help", "-h", "--help":
		usage(stdout)
		return exitOK
	case "enroll":
		return enroll(ctx, args[1:], stdout, stderr, os.Getenv)
	case "precheck":
		return precheck.Command(args[1:], stdin, stdout, stderr)
	case "digitise":
		return digitise.Command(args[1:], stdout, stderr)
	case "counter-scan":
		return counterScan(ctx, args[1:], stdout, stderr)
	case "form":
		return formfill.Command(args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "kioskd: unknown command %q\n", cmd+" "+sub)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  kioskd [-server URL] [-addr 127.0.0.1:8090] [-data DIR] [-simulate] [-config FILE]
                                                 the kiosk daemon (kioskd -h for every setting)
  kioskd enroll -server URL -token T -data DIR [-name N] [-force] [-kiosk-server https://HOST:PORT [-ca FILE]]
                                                 enrol this kiosk with a one-time token from the admin
                                                 (https:// or -mtls: a key made here and a client certificate)
  kioskd idcard parse [-today YYYY-MM-DD]        read a card QR payload or MRZ from stdin, print JSON
  kioskd idcard chip [-reader NAME] -mrz "LINE1 LINE2 LINE3" [-csca DIR] [-card QR-PAYLOAD]
                                                 read the card's chip through PC/SC with its MRZ's key, check its
                                                 issuer's signature, print JSON (face in base64, authenticity)
  kioskd printer test [-device SPEC | -simulate DIR] [-profile NAME] [-58]
                                                 check the ticket printer and print a test ticket
  kioskd printer test -a4 ipp://HOST[:PORT]/PATH [-status-only]
                                                 check the A4 printer, print a test page, wait for the job
  kioskd scanner test [-scanner SCANNER] [-out DIR] [-adf]
                                                 check the document scanner and scan one page
                                                 (-backend sane|escl|folder|sim [-device D] [-url URL] [-dir DIR]: the same in parts)
  kioskd precheck -procedure ID [-card PAYLOAD] IMAGE…
                                                 pre-check a dossier's page images with OCR, print JSON
  kioskd digitise -out FILE.pdf IMAGE…           read page images with OCR into one searchable PDF
  kioskd counter-scan [-server URL] -data DIR -counter N -scanner SCANNER [-procedure ID] [-once]
                                                 on a clerk's PC enrolled like a kiosk: each batch scanned is read,
                                                 pre-checked, made searchable and sent to the ticket served at counter N
  kioskd counter-scan … -chip-reader NAME -card-reader PORT [-csca DIR]
                                                 and each card read at the counter (its code, then its chip) is the
                                                 identity of the ticket served there
  kioskd form -procedure ID -card PAYLOAD -out FILE.pdf [-commune C] [-place P] [-ref R]
                                                 fill the procedure's tờ khai from a card (QR payload or the
                                                 MRZ's three lines; - reads stdin) and write its PDF
device SPEC: serial:/dev/ttyUSB0?baud=9600 | tcp:HOST:9100 | usblp:/dev/usb/lp0
SCANNER: sane[:DEVICE] | escl:URL | folder:DIR | sim, as the daemon's -scanner
`)
}
