package devices

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xephang/drivers/ipp"
	"xephang/drivers/ipp/ipptest"
	"xephang/queue-server/forms/formstest"
	"xephang/queue-server/queue"
)

func a4Status(t *testing.T, d *Devices) queue.DeviceStatus {
	t.Helper()
	for _, s := range d.Status() {
		if s.Name == A4Name {
			return s
		}
	}
	t.Fatalf("no %s in %+v", A4Name, d.Status())
	return queue.DeviceStatus{}
}

// TestA4OverIPP prints the test page on CUPS's ippeveprinter through the
// kiosk's A4 device, follows its status, and sees the printer go away.
func TestA4OverIPP(t *testing.T) {
	srv := ipptest.Start(t, ipptest.Options{})
	d, err := Open(Config{A4Printer: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if st := a4Status(t, d); st.Status != "unknown" {
		t.Errorf("before any poll: %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	changes := make(chan queue.DeviceStatus, 10)
	go d.RunA4Status(ctx, 50*time.Millisecond, func(s queue.DeviceStatus) { changes <- s })
	if st := <-changes; st.Status != "ok" || st.Detail != "Máy in A4 sẵn sàng" || st.Kind != A4Name {
		t.Fatalf("status %+v", st)
	}

	page, err := A4TestPage(time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.A4.PrintPDF(ctx, "trang-in-thu.pdf", page); err != nil {
		t.Fatalf("PrintPDF: %v", err)
	}
	docs, err := srv.Documents()
	if err != nil || len(docs) != 1 {
		t.Fatalf("spool %d documents, %v", len(docs), err)
	}
	for _, doc := range docs {
		if string(doc) != string(page) {
			t.Fatalf("spooled %d bytes, not the %d sent", len(doc), len(page))
		}
		// pdftotext drops the spaces between single letters.
		text := strings.ReplaceAll(formstest.PDFText(t, doc), " ", "")
		for _, l := range A4TestLines {
			if !strings.Contains(text, strings.ReplaceAll(l, " ", "")) {
				t.Errorf("pdftotext lacks %q:\n%s", l, text)
			}
		}
	}

	srv.Stop()
	for gone := false; !gone; { // the printer may still say "processing" before it goes
		select {
		case st := <-changes:
			if gone = st.Status == "disconnected"; gone && !strings.Contains(st.Detail, "Không kết nối được máy in A4") {
				t.Fatalf("stopped printer: %+v", st)
			}
		case <-ctx.Done():
			t.Fatalf("stopped printer never shown disconnected: %+v", d.A4.Status())
		}
	}
	err = d.A4.PrintPDF(ctx, "x.pdf", page)
	if !errors.Is(err, ipp.ErrUnreachable) {
		t.Fatalf("PrintPDF on a stopped printer: %v", err)
	}
	if s := DescribeA4(err); !strings.Contains(s, "Không kết nối được máy in A4") {
		t.Errorf("DescribeA4: %q", s)
	}
}

// TestA4NoPDF: a printer that takes no PDF is not ready, and says why.
func TestA4NoPDF(t *testing.T) {
	srv := ipptest.Start(t, ipptest.Options{Formats: []string{"image/pwg-raster"}})
	a := NewA4(srv.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	page, _ := A4TestPage(time.Now(), srv.URL)
	err := a.PrintPDF(ctx, "x.pdf", page)
	if !errors.Is(err, ErrA4NotReady) || DescribeA4(err) != "Máy in A4 không in được tệp PDF" {
		t.Fatalf("err %v (%s)", err, DescribeA4(err))
	}
	if st := a.Status(); st.Status != "error" || st.Detail != "Máy in A4 không in được tệp PDF" {
		t.Errorf("status %+v", st)
	}
	if docs, _ := srv.Documents(); len(docs) != 0 {
		t.Errorf("spool %d documents", len(docs))
	}
}

func TestReasonsVI(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "",
		"none":                                  "",
		"media-empty-error":                     "hết giấy",
		"media-jam-error,door-open-warning":     "kẹt giấy, mở cửa máy",
		"toner-low-report":                      "",
		"marker-supply-low-warning,toner-low":   "sắp hết mực",
		"com.example-custom-error":              "com.example-custom",
		"media-needed,media-empty-error,paused": "cần nạp giấy, hết giấy, tạm dừng",
	} {
		var rs []string
		if in != "" {
			rs = strings.Split(in, ",")
		}
		if got := reasonsVI(rs); got != want {
			t.Errorf("reasonsVI(%q) = %q, want %q", in, got, want)
		}
	}
	err := ready(ipp.Attrs{State: ipp.PrinterStopped, Reasons: []string{"media-empty-error"}, Accepting: true})
	if DescribeA4(err) != "Máy in A4 đang dừng: hết giấy" {
		t.Errorf("stopped: %q", DescribeA4(err))
	}
	if err := ready(ipp.Attrs{State: ipp.PrinterIdle}); !errors.Is(err, ErrA4NotReady) || DescribeA4(err) != "Máy in A4 không nhận lệnh in" {
		t.Errorf("not accepting: %v", err)
	}
	if err := ready(ipp.Attrs{State: ipp.PrinterProcessing, Accepting: true, Formats: []string{"application/PDF"}}); err != nil {
		t.Errorf("busy printer taking PDF: %v", err)
	}
}

// TestA4Simulated: -simulate without a URL keeps each job as
// DATA/sim/a4/NNNN.pdf; with a URL the real printer is used.
func TestA4Simulated(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(Config{Simulate: true, SimDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	page, _ := A4TestPage(time.Now(), "sim")
	for range 2 {
		if err := d.A4.PrintPDF(ctx, "trang.pdf", page); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.A4.PrintPDF(ctx, "x", []byte("not a pdf")); !errors.Is(err, ErrA4NotReady) {
		t.Errorf("not a PDF: %v", err)
	}
	for _, n := range []string{"0001.pdf", "0002.pdf"} {
		b, err := os.ReadFile(filepath.Join(dir, "a4", n))
		if err != nil || string(b) != string(page) {
			t.Fatalf("%s: %v", n, err)
		}
	}
	if st := a4Status(t, d); st.Status != "ok" || !strings.Contains(st.Detail, "2 lệnh in") {
		t.Errorf("status %+v", st)
	}

	d2, err := Open(Config{Simulate: true, SimDir: t.TempDir(), A4Printer: "ipp://127.0.0.1:1/ipp/print"})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if _, ok := d2.A4.(*A4); !ok {
		t.Errorf("-simulate with a URL: %T, want the IPP printer", d2.A4)
	}
	d3, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if d3.A4 != nil {
		t.Errorf("no A4 printer configured: %T", d3.A4)
	}
	if _, err := Open(Config{A4Printer: "ipps://localhost/ipp/print", A4CA: filepath.Join(dir, "none.pem")}); err == nil {
		t.Error("a missing certificate file accepted")
	}
	for _, bad := range []string{"http://x/ipp", "ipp://", "lp0", "socket://10.0.0.1:9100"} {
		if _, err := Open(Config{A4Printer: bad}); err == nil {
			t.Errorf("A4 printer %q accepted", bad)
		}
	}
}
