package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"xephang/drivers/scanner"
	"xephang/drivers/scanner/scannersim"
)

// scannerTest implements `kioskd scanner test`: find the scanner, scan one
// page (or a feeder batch), say what works.
func scannerTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd scanner test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backend := fs.String("backend", "sane", "sane, escl, folder or sim (simulated)")
	device := fs.String("device", "", "SANE device (sane); the first one found when empty")
	url := fs.String("url", "", "eSCL root URL (escl), e.g. http://192.0.2.20/eSCL")
	dir := fs.String("dir", "", "shared folder the scanner saves to (folder)")
	out := fs.String("out", "", "where to keep the scanned pages; a temporary directory when empty")
	adf := fs.Bool("adf", false, "scan from the document feeder instead of the glass")
	resolution := fs.Int("resolution", 150, "dots per inch")
	wait := fs.Duration("timeout", 60*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return exitUsage
	}
	ok := func(format string, a ...any) { fmt.Fprintf(stdout, "OK    "+format+"\n", a...) }
	bad := func(format string, a ...any) { fmt.Fprintf(stdout, "LỖI   "+format+"\n", a...) }
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()

	var sc scanner.Scanner
	switch *backend {
	case "sane":
		dev := *device
		if dev == "" {
			devs, err := scanner.ListSANE(ctx, "")
			if err != nil {
				bad("Không chạy được scanimage: %v", err)
				bad("%s", scanner.Describe(err))
				return exitProblem
			}
			if len(devs) == 0 {
				bad("SANE không thấy máy quét nào (no SANE scanner found): kiểm tra cáp USB và nguồn")
				return exitProblem
			}
			dev = devs[0]
			ok("SANE thấy %d máy quét, dùng %s", len(devs), dev)
		}
		sc = &scanner.SANE{Device: dev}
	case "escl":
		if *url == "" {
			fmt.Fprintln(stderr, "kioskd: -backend escl needs -url")
			return exitUsage
		}
		e := &scanner.ESCL{URL: *url}
		caps, err := e.Capabilities(ctx)
		if err != nil {
			bad("Máy quét mạng không trả lời %s: %v", *url, err)
			return exitProblem
		}
		ok("Máy quét mạng: %s (kính: %v, khay nạp: %v, độ phân giải %v)", caps.MakeAndModel, caps.Platen, caps.ADF, caps.Resolutions)
		sc = e
	case "folder":
		if *dir == "" {
			fmt.Fprintln(stderr, "kioskd: -backend folder needs -dir")
			return exitUsage
		}
		sc = &scanner.Folder{Dir: *dir}
		fmt.Fprintf(stdout, "Chờ máy quét lưu trang vào %s … (waiting for a page)\n", *dir)
	case "sim":
		sc = &scannersim.Scanner{Pages: 3, Delay: 100 * time.Millisecond}
	default:
		fmt.Fprintf(stderr, "kioskd: unknown backend %q\n", *backend)
		return exitUsage
	}

	outDir := *out
	if outDir == "" {
		d, err := os.MkdirTemp("", "kioskd-scan-")
		if err != nil {
			bad("%v", err)
			return exitProblem
		}
		outDir = d
	}
	opt := scanner.Options{Dir: outDir, Resolution: *resolution, MaxPages: 1}
	if *adf {
		opt.Source, opt.MaxPages = scanner.ADF, 0
	}
	lastPct := -1
	start := time.Now()
	pages, err := sc.Scan(ctx, opt, func(p scanner.Progress) {
		if pct := int(p.Percent) / 25 * 25; pct != lastPct || p.Done {
			lastPct = pct
			fmt.Fprintf(stdout, "      trang %d: %d%%\n", p.Page, pct)
		}
	})
	for _, p := range pages {
		ok("Trang %d: %s (%d byte)", p.Number, p.Path, p.Size)
	}
	if err != nil {
		bad("Quét thất bại sau %d trang: %s", len(pages), scanner.Describe(err))
		bad("(%s) %v", scanner.DescribeEN(err), err)
		return exitProblem
	}
	ok("Quét xong %d trang trong %v với %s (scan works)", len(pages), time.Since(start).Round(time.Millisecond), sc)
	return exitOK
}
