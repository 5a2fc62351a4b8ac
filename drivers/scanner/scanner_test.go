package scanner_test

import (
	"context"
	"errors"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/drivers/scanner"
	"xephang/drivers/scanner/scannersim"
)

func needScanimage(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("scanimage"); err != nil {
		t.Fatal("scanimage is not installed: run `make deps-test` (Debian packages sane-utils and libsane1)")
	}
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// testBackend is SANE's test device with a small scan area, so each page is
// quick.
func testBackend(extra ...string) *scanner.SANE {
	return &scanner.SANE{Device: "test", PageWidth: 40, PageHeight: 50,
		ExtraArgs: append([]string{"--test-picture", "Color pattern"}, extra...)}
}

type progressLog struct {
	mu   sync.Mutex
	done []int
	max  float64
}

func (l *progressLog) add(p scanner.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.Done {
		l.done = append(l.done, p.Page)
	}
	l.max = max(l.max, p.Percent)
}

func checkPNG(t *testing.T, p scanner.Page, w, h int) {
	t.Helper()
	f, err := os.Open(p.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("page %d: %v", p.Number, err)
	}
	if b := img.Bounds(); (w > 0 && (b.Dx() < w-2 || b.Dx() > w+2)) || (h > 0 && (b.Dy() < h-2 || b.Dy() > h+2)) {
		t.Errorf("page %d is %v, want about %dx%d", p.Number, b, w, h)
	}
}

func TestSANEFlatbed(t *testing.T) {
	needScanimage(t)
	var log progressLog
	dir := t.TempDir()
	pages, err := testBackend().Scan(timeout(t, 20*time.Second), scanner.Options{Dir: dir, Resolution: 100}, log.add)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || pages[0].Format != scanner.PNG || pages[0].Size == 0 {
		t.Fatalf("pages %+v", pages)
	}
	checkPNG(t, pages[0], 157, 196) // 40×50 mm at 100 dpi
	if len(log.done) != 1 || log.max != 100 {
		t.Errorf("progress: done %v, max %.1f%%", log.done, log.max)
	}
}

func TestSANEFeederBatch(t *testing.T) {
	needScanimage(t)
	var log progressLog
	pages, err := testBackend().Scan(timeout(t, 20*time.Second),
		scanner.Options{Dir: t.TempDir(), Resolution: 50, Source: scanner.ADF, Mode: scanner.Gray}, log.add)
	if err != nil {
		t.Fatal(err)
	}
	// The test backend's feeder holds 10 sheets; running out ends the batch.
	if len(pages) != 10 || len(log.done) != 10 {
		t.Fatalf("%d pages, %d done reports", len(pages), len(log.done))
	}
	for i, p := range pages {
		if p.Number != i+1 {
			t.Errorf("page %d numbered %d", i+1, p.Number)
		}
	}
	checkPNG(t, pages[9], 0, 0)

	pages, err = testBackend().Scan(timeout(t, 20*time.Second),
		scanner.Options{Dir: t.TempDir(), Resolution: 50, Source: scanner.ADF, MaxPages: 3}, nil)
	if err != nil || len(pages) != 3 {
		t.Fatalf("MaxPages 3: %d pages, %v", len(pages), err)
	}
}

func TestSANEFailures(t *testing.T) {
	needScanimage(t)
	tests := []struct {
		name string
		s    *scanner.SANE
		src  scanner.Source
		want error
		word string
	}{
		{"jam", testBackend("--read-return-value", "SANE_STATUS_JAMMED"), scanner.ADF, scanner.ErrJammed, "kẹt"},
		{"cover open", testBackend("--read-return-value", "SANE_STATUS_COVER_OPEN"), scanner.Flatbed, scanner.ErrCoverOpen, "nắp"},
		{"empty feeder", testBackend("--read-return-value", "SANE_STATUS_NO_DOCS"), scanner.ADF, scanner.ErrFeederEmpty, "trống"},
		{"busy", testBackend("--read-return-value", "SANE_STATUS_DEVICE_BUSY"), scanner.Flatbed, scanner.ErrBusy, "bận"},
		{"io error", testBackend("--read-return-value", "SANE_STATUS_IO_ERROR"), scanner.Flatbed, scanner.ErrIO, "lỗi"},
		{"no device", &scanner.SANE{Device: "nosuchdevice:0"}, scanner.Flatbed, scanner.ErrNoDevice, "Không tìm thấy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := tc.s.Scan(timeout(t, 20*time.Second), scanner.Options{Dir: t.TempDir(), Resolution: 50, Source: tc.src}, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if len(pages) != 0 {
				t.Errorf("%d pages from a failed scan", len(pages))
			}
			if d := scanner.Describe(err); !strings.Contains(strings.ToLower(d), strings.ToLower(tc.word)) {
				t.Errorf("Describe = %q", d)
			}
		})
	}
}

func TestSANECancel(t *testing.T) {
	needScanimage(t)
	s := testBackend("--read-delay=yes", "--read-delay-duration=200000", "--read-limit=yes", "--read-limit-size=16")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := s.Scan(ctx, scanner.Options{Dir: t.TempDir(), Resolution: 300}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestListSANE(t *testing.T) {
	needScanimage(t)
	if _, err := scanner.ListSANE(timeout(t, 15*time.Second), ""); err != nil {
		t.Errorf("ListSANE: %v", err)
	}
	if _, err := scanner.ListSANE(timeout(t, 5*time.Second), "no-such-scanimage"); !errors.Is(err, scanner.ErrNoScanimage) {
		t.Errorf("missing scanimage: %v", err)
	}
	_, err := (&scanner.SANE{Device: "test", Command: "no-such-scanimage"}).Scan(timeout(t, 5*time.Second), scanner.Options{Dir: t.TempDir()}, nil)
	if !errors.Is(err, scanner.ErrNoScanimage) {
		t.Errorf("Scan without scanimage: %v", err)
	}
}

func newESCL(t *testing.T, pages int) (*scannersim.ESCLServer, *scanner.ESCL) {
	srv := scannersim.NewESCLServer(pages)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, &scanner.ESCL{URL: ts.URL + "/eSCL", Poll: 10 * time.Millisecond}
}

func TestESCL(t *testing.T) {
	_, e := newESCL(t, 3)
	ctx := timeout(t, 15*time.Second)
	caps, err := e.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !caps.ADF || !caps.Platen || caps.MakeAndModel == "" || len(caps.Resolutions) != 2 || len(caps.Formats) != 2 {
		t.Errorf("capabilities %+v", caps)
	}
	var log progressLog
	pages, err := e.Scan(ctx, scanner.Options{Dir: t.TempDir()}, log.add)
	if err != nil || len(pages) != 1 {
		t.Fatalf("flatbed: %d pages, %v", len(pages), err)
	}
	checkPNG(t, pages[0], 620, 877)
	pages, err = e.Scan(ctx, scanner.Options{Dir: t.TempDir(), Source: scanner.ADF}, log.add)
	if err != nil || len(pages) != 3 {
		t.Fatalf("feeder: %d pages, %v", len(pages), err)
	}
	if len(log.done) != 4 || log.max != 100 {
		t.Errorf("progress %v %.0f", log.done, log.max)
	}
	// The feeder is empty now.
	if _, err := e.Scan(ctx, scanner.Options{Dir: t.TempDir(), Source: scanner.ADF}, nil); !errors.Is(err, scanner.ErrFeederEmpty) {
		t.Errorf("empty feeder: %v", err)
	}
}

func TestESCLJamAndBusy(t *testing.T) {
	srv, e := newESCL(t, 5)
	ctx := timeout(t, 15*time.Second)
	srv.JamAfter(2)
	pages, err := e.Scan(ctx, scanner.Options{Dir: t.TempDir(), Source: scanner.ADF}, nil)
	if !errors.Is(err, scanner.ErrJammed) || len(pages) != 2 {
		t.Fatalf("jam: %d pages, %v", len(pages), err)
	}
	srv.SetBusy(true)
	if _, err := e.Scan(ctx, scanner.Options{Dir: t.TempDir()}, nil); !errors.Is(err, scanner.ErrBusy) {
		t.Errorf("busy: %v", err)
	}
	dead := &scanner.ESCL{URL: "http://127.0.0.1:1/eSCL"}
	if _, err := dead.Scan(ctx, scanner.Options{Dir: t.TempDir()}, nil); !errors.Is(err, scanner.ErrNoDevice) {
		t.Errorf("unreachable: %v", err)
	}
}

func TestFolderTakesOnlyCompleteFiles(t *testing.T) {
	share, out := t.TempDir(), t.TempDir()
	old := filepath.Join(share, "old.png")
	os.WriteFile(old, scannersim.PagePNG(9, 30), 0o644)
	f := &scanner.Folder{Dir: share, Settle: 300 * time.Millisecond, Poll: 20 * time.Millisecond, Idle: 700 * time.Millisecond}
	page := scannersim.PagePNG(1, 75)

	errc := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		// Written over 1 s in pauses longer than a poll but shorter than Settle.
		if err := scannersim.DropFile(filepath.Join(share, "scan001.png"), page, 5, 200*time.Millisecond); err != nil {
			errc <- err
			return
		}
		// Truncated forever: no IEND, never taken.
		errc <- os.WriteFile(filepath.Join(share, "broken.png"), page[:len(page)/2], 0o644)
	}()
	var log progressLog
	pages, err := f.Scan(timeout(t, 15*time.Second), scanner.Options{Dir: out}, log.add)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || pages[0].Size != int64(len(page)) {
		t.Fatalf("pages %+v, want one of %d bytes", pages, len(page))
	}
	checkPNG(t, pages[0], 620, 877)
	if _, err := os.Stat(filepath.Join(share, "scan001.png")); !os.IsNotExist(err) {
		t.Error("the page was left on the share")
	}
	if _, err := os.Stat(old); err != nil {
		t.Error("a file that was there before the scan was taken")
	}
	if len(log.done) != 1 {
		t.Errorf("progress %v", log.done)
	}
}

func TestFolderMaxPagesAndNothing(t *testing.T) {
	share := t.TempDir()
	for i, name := range []string{"a.pdf", "b.jpg", "c.tiff"} {
		_ = i
		go func() {
			time.Sleep(50 * time.Millisecond)
			data := map[string][]byte{"a.pdf": []byte("%PDF-1.4\n...\n%%EOF\n"), "b.jpg": {0xFF, 0xD8, 1, 2, 0xFF, 0xD9}, "c.tiff": []byte("II*\x00....")}[name]
			os.WriteFile(filepath.Join(share, name), data, 0o644)
		}()
	}
	f := &scanner.Folder{Dir: share, Settle: 100 * time.Millisecond, Poll: 20 * time.Millisecond, Idle: 5 * time.Second}
	pages, err := f.Scan(timeout(t, 10*time.Second), scanner.Options{Dir: t.TempDir(), MaxPages: 3}, nil)
	if err != nil || len(pages) != 3 {
		t.Fatalf("%d pages, %v", len(pages), err)
	}
	formats := map[scanner.Format]bool{}
	for _, p := range pages {
		formats[p.Format] = true
	}
	if !formats[scanner.PDF] || !formats[scanner.JPEG] || !formats[scanner.TIFF] {
		t.Errorf("formats %v", formats)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := f.Scan(ctx, scanner.Options{Dir: t.TempDir()}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("nothing scanned: %v", err)
	}
	missing := &scanner.Folder{Dir: filepath.Join(share, "nope")}
	if _, err := missing.Scan(ctx, scanner.Options{Dir: t.TempDir()}, nil); !errors.Is(err, scanner.ErrNoDevice) {
		t.Errorf("missing folder: %v", err)
	}
}

func TestFolderWatch(t *testing.T) {
	share := t.TempDir()
	f := &scanner.Folder{Dir: share, Settle: 50 * time.Millisecond, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan string, 4)
	go f.Watch(ctx, func(path string, _ scanner.Format) {
		got <- filepath.Base(path)
		os.Remove(path)
	})
	time.Sleep(50 * time.Millisecond)
	os.WriteFile(filepath.Join(share, "x.png"), scannersim.PagePNG(1, 20), 0o644)
	os.WriteFile(filepath.Join(share, ".hidden.png"), scannersim.PagePNG(1, 20), 0o644)
	select {
	case name := <-got:
		if name != "x.png" {
			t.Errorf("took %s", name)
		}
	case <-ctx.Done():
		t.Fatal("nothing taken")
	}
}

func TestSimulatedScanner(t *testing.T) {
	s := &scannersim.Scanner{Pages: 4, JamAt: 3, Delay: 4 * time.Millisecond}
	var sc scanner.Scanner = s
	pages, err := sc.Scan(timeout(t, 5*time.Second), scanner.Options{Dir: t.TempDir(), Source: scanner.ADF}, nil)
	if !errors.Is(err, scanner.ErrJammed) || len(pages) != 2 {
		t.Fatalf("%d pages, %v", len(pages), err)
	}
	s.JamAt = 0
	pages, err = sc.Scan(timeout(t, 5*time.Second), scanner.Options{Dir: t.TempDir(), Source: scanner.ADF}, nil)
	if err != nil || len(pages) != 2 {
		t.Fatalf("rest of the feeder: %d pages, %v", len(pages), err)
	}
	if _, err := sc.Scan(timeout(t, 5*time.Second), scanner.Options{Dir: t.TempDir(), Source: scanner.ADF}, nil); !errors.Is(err, scanner.ErrFeederEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := sc.Scan(context.Background(), scanner.Options{}, nil); !errors.Is(err, scanner.ErrBadOptions) {
		t.Errorf("no dir: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	if scanner.Describe(nil) != "" || scanner.DescribeEN(nil) != "" {
		t.Error("nil error described")
	}
	for _, err := range []error{scanner.ErrJammed, scanner.ErrFeederEmpty, scanner.ErrCoverOpen, scanner.ErrBusy,
		scanner.ErrNoDevice, scanner.ErrIO, scanner.ErrNoPages, errors.New("other")} {
		if scanner.Describe(err) == "" || scanner.DescribeEN(err) == "" {
			t.Errorf("%v not described", err)
		}
	}
}
