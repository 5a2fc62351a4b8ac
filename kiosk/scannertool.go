package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"xephang/drivers/scanner"
	"xephang/kiosk/devices"
)

// scannerTest implements `kioskd scanner test`: find the scanner, scan one
// page (or a feeder batch), say what works.
func scannerTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd scanner test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("scanner", "", "the scanner, as the daemon's -scanner: sane[:DEVICE], escl:URL, folder:DIR or sim (simulated)")
	backend := fs.String("backend", "sane", "the same in parts: sane, escl, folder or sim, with -device, -url or -dir")
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

	if *spec == "" {
		switch *backend {
		case "sane":
			*spec = "sane:" + *device
		case "escl":
			if *url == "" {
				fmt.Fprintln(stderr, "kioskd: -backend escl needs -url")
				return exitUsage
			}
			*spec = "escl:" + *url
		case "folder":
			if *dir == "" {
				fmt.Fprintln(stderr, "kioskd: -backend folder needs -dir")
				return exitUsage
			}
			*spec = "folder:" + *dir
		default:
			*spec = *backend
		}
	}
	sc, err := devices.OpenScanner(*spec)
	if err != nil || sc == nil {
		fmt.Fprintf(stderr, "kioskd: unknown scanner %q: sane[:DEVICE], escl:URL, folder:DIR or sim\n", *spec)
		return exitUsage
	}
	switch s := sc.(type) {
	case *scanner.SANE:
		if s.Device == "" {
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
			s.Device = devs[0]
			ok("SANE thấy %d máy quét, dùng %s", len(devs), s.Device)
		}
	case *scanner.ESCL:
		caps, err := s.Capabilities(ctx)
		if err != nil {
			bad("Máy quét mạng không trả lời %s: %v", s.URL, err)
			return exitProblem
		}
		ok("Máy quét mạng: %s (kính: %v, khay nạp: %v, độ phân giải %v)", caps.MakeAndModel, caps.Platen, caps.ADF, caps.Resolutions)
	case *scanner.Folder:
		fmt.Fprintf(stdout, "Chờ máy quét lưu trang vào %s … (waiting for a page)\n", s.Dir)
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
