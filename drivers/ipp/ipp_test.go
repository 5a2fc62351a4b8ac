package ipp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/jung-kurt/gofpdf"

	"xephang/drivers/ipp"
	"xephang/drivers/ipp/ipptest"
)

// testPDF is an A4 page of Vietnamese text.
func testPDF(t *testing.T, text string) []byte {
	t.Helper()
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("DejaVu", "", dejavusans.TTF)
	pdf.AddPage()
	pdf.SetFont("DejaVu", "", 14)
	pdf.Cell(0, 10, text)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	return string(out)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestPrintPDF(t *testing.T) {
	srv := ipptest.Start(t, ipptest.Options{})
	p := &ipp.Printer{URL: srv.URL}
	c := ctx(t)

	a, err := p.Attributes(c)
	if err != nil {
		t.Fatalf("Attributes: %v\n%s", err, srv.Log())
	}
	if a.State != ipp.PrinterIdle || !a.Accepting || !a.Supports("application/pdf") || a.MakeAndModel == "" || a.Name != "Xephang A4" {
		t.Fatalf("attributes %+v", a)
	}

	const text = "Tờ khai in thử: Nguyễn Thị Hương, Đà Nẵng, ỹ ự ổ"
	doc := testPDF(t, text)
	id, err := p.Print(c, "to-khai-thu.pdf", "application/pdf", bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("Print: %v\n%s", err, srv.Log())
	}
	if id <= 0 {
		t.Fatalf("job id %d", id)
	}
	start := time.Now()
	j, err := p.Wait(c, id, 100*time.Millisecond)
	t.Logf("job %d: %s after %v", id, j.State, time.Since(start))
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if j.State != ipp.JobCompleted || j.ID != id {
		t.Fatalf("job %+v, want completed", j)
	}
	docs, err := srv.Documents()
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("spool holds %d documents, want 1: %v", len(docs), keys(docs))
	}
	for name, got := range docs {
		if !bytes.Equal(got, doc) {
			t.Fatalf("spool %s: %d bytes, not the %d sent", name, len(got), len(doc))
		}
		if s := pdftotext(t, got); !strings.Contains(s, text) {
			t.Fatalf("pdftotext of %s: %q", name, s)
		}
		t.Logf("spooled %s: %d bytes", name, len(got))
	}
}

func TestBadFormatRefused(t *testing.T) {
	srv := ipptest.Start(t, ipptest.Options{})
	p := &ipp.Printer{URL: srv.URL}
	_, err := p.Print(ctx(t), "x", "application/x-not-a-format", strings.NewReader("hello"))
	var se *ipp.StatusError
	if !errors.As(err, &se) || !errors.Is(err, ipp.ErrRefused) || !se.FormatRefused() {
		t.Fatalf("err %v, want ErrRefused, the format refused", err)
	}
	t.Logf("refused: %v", err)
	if !strings.Contains(err.Error(), "client-error-") || !strings.Contains(err.Error(), "document-format") {
		t.Errorf("error %q does not name the status and the printer's message", err)
	}
	if d := ipp.Describe(err); !strings.Contains(d, "application/pdf") {
		t.Errorf("Describe: %q", d)
	}
	// A printer that takes no PDF says so too.
	ps := ipptest.Start(t, ipptest.Options{Formats: []string{"image/pwg-raster"}})
	p = &ipp.Printer{URL: ps.URL}
	a, err := p.Attributes(ctx(t))
	if err != nil || a.Supports("application/pdf") {
		t.Fatalf("attributes %+v %v", a, err)
	}
	_, err = p.Print(ctx(t), "x", "application/pdf", bytes.NewReader(testPDF(t, "x")))
	if !errors.As(err, &se) || !se.FormatRefused() {
		t.Fatalf("err %v", err)
	}
}

func TestStoppedPrinterUnreachable(t *testing.T) {
	srv := ipptest.Start(t, ipptest.Options{})
	p := &ipp.Printer{URL: srv.URL}
	c := ctx(t)
	if _, err := p.Attributes(c); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := p.Attributes(c); !errors.Is(err, ipp.ErrUnreachable) {
		t.Fatalf("Attributes of a stopped printer: %v, want ErrUnreachable", err)
	}
	_, err := p.Print(c, "x", "application/pdf", bytes.NewReader(testPDF(t, "x")))
	if !errors.Is(err, ipp.ErrUnreachable) {
		t.Fatalf("Print to a stopped printer: %v, want ErrUnreachable", err)
	}
	if d := ipp.Describe(err); !strings.Contains(d, "Không kết nối được") {
		t.Errorf("Describe: %q", d)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	p.URL = srv.URL
	if _, err := p.Attributes(c); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// TestIPPS prints over TLS: refused (unreachable: the handshake fails)
// while the printer's self-signed certificate is not trusted, printed
// once the client trusts it.
func TestIPPS(t *testing.T) {
	srv := ipptest.Start(t, ipptest.Options{})
	c := ctx(t)
	p := &ipp.Printer{URL: srv.SecureURL}
	_, err := p.Attributes(c)
	if !errors.Is(err, ipp.ErrUnreachable) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	if d := ipp.Describe(err); !strings.Contains(d, "chứng chỉ TLS") {
		t.Errorf("Describe: %q", d)
	}
	if p.HTTP, err = ipp.TrustingClient(srv.CertPEM()); err != nil {
		t.Fatal(err)
	}
	doc := testPDF(t, "Qua TLS: Đà Lạt")
	id, err := p.Print(c, "tls.pdf", "application/pdf", bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("Print over ipps: %v", err)
	}
	if j, err := p.Wait(c, id, 100*time.Millisecond); err != nil || j.State != ipp.JobCompleted {
		t.Fatalf("job %+v %v", j, err)
	}
	docs, _ := srv.Documents()
	if len(docs) != 1 {
		t.Fatalf("spool %d documents", len(docs))
	}
}

func TestUnknownJob(t *testing.T) {
	srv := ipptest.Start(t, ipptest.Options{})
	p := &ipp.Printer{URL: srv.URL}
	_, err := p.Job(ctx(t), 4242)
	var se *ipp.StatusError
	if !errors.As(err, &se) || se.Code != ipp.StatusNotFound {
		t.Fatalf("err %v, want client-error-not-found", err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+" "+string(v[:min(len(v), 16)]))
	}
	return out
}
