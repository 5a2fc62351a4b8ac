package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xephang/drivers/idcard/idcardsim"
	"xephang/drivers/ipp/ipptest"
	"xephang/kiosk/devices"
	"xephang/queue-server/forms/formstest"
)

// runCmd runs kioskd in-process with a time limit.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestIdcardParse(t *testing.T) {
	tests := []struct {
		name, in string
		code     int
		want     map[string]any
	}{
		{"qr", idcardsim.SampleQR + "\r\n", 0, map[string]any{"id_number": "001095012345", "name": "Nguyễn Văn An",
			"birth_date": "1995-03-12", "sex": "M", "expiry_date": "2035-03-12", "valid": true, "expired": false}},
		{"mrz", strings.Join(idcardsim.SampleMRZ, "\n") + "\n", 0, map[string]any{"id_number": "001095012345", "name": "NGUYEN VAN AN",
			"birth_date": "1995-03-12", "sex": "M", "expiry_date": "2035-03-12", "valid": true}},
		{"elderly", idcardsim.SampleElderlyQR, 0, map[string]any{"sex": "F", "birth_date": "1948-05-05", "expiry_date": nil, "valid": true}},
		{"bad check digit", strings.Replace(strings.Join(idcardsim.SampleMRZ, "\n"), "9503124M", "9503125M", 1), 1,
			map[string]any{"valid": false}},
		{"garbage", "hello\n", 1, map[string]any{"valid": false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.in, "idcard", "parse", "-today", "2026-11-24")
			if code != tc.code {
				t.Fatalf("exit %d, want %d; %s %s", code, tc.code, out, errOut)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			errs, ok := got["errors"].([]any)
			if !ok || (tc.code == 0) != (len(errs) == 0) {
				t.Errorf("errors = %v", got["errors"])
			}
		})
	}
	code, out, _ := runCmd(t, strings.Replace(idcardsim.SampleQR, "01062021", "01061991", 1), "idcard", "parse", "-today", "2026-11-24")
	if code != 1 || !strings.Contains(out, `"issue date is before the birth date"`) {
		t.Errorf("issued before birth: %d %s", code, out)
	}
	code, out, _ = runCmd(t, "001200012345||Lê An|01012000|Nam|x|01012018", "idcard", "parse", "-today", "2026-11-24")
	if code != 0 || !strings.Contains(out, `"expired": true`) {
		t.Errorf("expired card: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "idcard", "parse", "-today", "24/11/2026"); code != exitUsage {
		t.Errorf("bad -today: exit %d", code)
	}
}

func TestPrinterTestOnSimulator(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd(t, "", "printer", "test", "-simulate", dir, "-profile", "epson-cp1258")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	for _, f := range []string{"0001.escpos", "0001.png"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(out, "Máy in sẵn sàng") {
		t.Errorf("output: %s", out)
	}

	code, out, _ = runCmd(t, "", "printer", "test", "-simulate", t.TempDir(), "-simulate-status", "paper-out")
	if code != 1 || !strings.Contains(out, "Máy in hết giấy") {
		t.Errorf("paper out: exit %d, %s", code, out)
	}
	code, out, _ = runCmd(t, "", "printer", "test", "-simulate", t.TempDir(), "-simulate-status", "near-end", "-status-only")
	if code != 0 || !strings.Contains(out, "Giấy in sắp hết") {
		t.Errorf("near end: exit %d, %s", code, out)
	}
	code, out, _ = runCmd(t, "", "printer", "test", "-device", "serial:/dev/nonexistent-printer")
	if code != 1 || !strings.Contains(out, "Không mở được cổng máy in") {
		t.Errorf("missing device: exit %d, %s", code, out)
	}
	if code, out, _ := runCmd(t, "", "printer", "test", "-list"); code != 0 || !strings.Contains(out, "epson-cp1258") {
		t.Errorf("-list: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "printer", "test"); code != exitUsage {
		t.Errorf("no device: exit %d", code)
	}
}

// TestPrinterTestA4 prints the A4 test page on CUPS's ippeveprinter and
// waits for the job; a printer gone and a printer without PDF fail, saying why.
func TestPrinterTestA4(t *testing.T) {
	srv := ipptest.Start(t, ipptest.Options{})
	code, out, errOut := runCmd(t, "", "printer", "test", "-a4", srv.URL)
	if code != 0 || !strings.Contains(out, "đã in xong") || !strings.Contains(out, "Xephang A4 Test") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	docs, err := srv.Documents()
	if err != nil || len(docs) != 1 {
		t.Fatalf("spool: %d documents, %v", len(docs), err)
	}
	for _, doc := range docs {
		text := strings.ReplaceAll(formstest.PDFText(t, doc), " ", "")
		for _, l := range devices.A4TestLines {
			if !strings.Contains(text, strings.ReplaceAll(l, " ", "")) {
				t.Errorf("test page lacks %q", l)
			}
		}
	}
	if code, out, _ := runCmd(t, "", "printer", "test", "-a4", srv.URL, "-status-only"); code != 0 || !strings.Contains(out, "idle") {
		t.Errorf("-status-only: exit %d %s", code, out)
	}
	// ipps://: the printer's self-signed certificate is refused, then
	// trusted with -a4-ca.
	if code, out, _ := runCmd(t, "", "printer", "test", "-a4", srv.SecureURL, "-status-only"); code != exitProblem || !strings.Contains(out, "chứng chỉ TLS") {
		t.Errorf("untrusted ipps: exit %d %s", code, out)
	}
	ca := filepath.Join(t.TempDir(), "printer.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, "", "printer", "test", "-a4", srv.SecureURL, "-a4-ca", ca); code != 0 || !strings.Contains(out, "đã in xong") {
		t.Errorf("trusted ipps: exit %d %s", code, out)
	}
	if code, _, errOut := runCmd(t, "", "printer", "test", "-a4", srv.SecureURL, "-a4-ca", "/nonexistent.pem"); code != exitUsage || !strings.Contains(errOut, "-a4-ca") {
		t.Errorf("missing -a4-ca file: exit %d %s", code, errOut)
	}
	srv.Stop()
	if code, out, _ := runCmd(t, "", "printer", "test", "-a4", srv.URL); code != exitProblem || !strings.Contains(out, "Không kết nối được máy in A4") {
		t.Errorf("printer stopped: exit %d %s", code, out)
	}
	raster := ipptest.Start(t, ipptest.Options{Formats: []string{"image/pwg-raster"}})
	if code, out, _ := runCmd(t, "", "printer", "test", "-a4", raster.URL); code != exitProblem || !strings.Contains(out, "không in được tệp PDF") {
		t.Errorf("no PDF: exit %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "printer", "test", "-a4", "http://printer/ipp"); code != exitUsage {
		t.Errorf("http URL: exit %d", code)
	}
}

func TestScannerTest(t *testing.T) {
	code, out, errOut := runCmd(t, "", "scanner", "test", "-device", "test", "-resolution", "50", "-out", t.TempDir())
	if code != 0 || !strings.Contains(out, "Quét xong 1 trang") {
		t.Fatalf("sane test backend: exit %d: %s %s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "", "scanner", "test", "-backend", "sim", "-adf", "-out", t.TempDir())
	if code != 0 || !strings.Contains(out, "Quét xong 3 trang") {
		t.Errorf("simulated feeder: exit %d: %s", code, out)
	}
	code, out, _ = runCmd(t, "", "scanner", "test", "-scanner", "sim", "-adf", "-out", t.TempDir())
	if code != 0 || !strings.Contains(out, "Quét xong 3 trang") {
		t.Errorf("simulated feeder by the daemon's spec: exit %d: %s", code, out)
	}
	code, out, _ = runCmd(t, "", "scanner", "test", "-scanner", "folder:"+t.TempDir(), "-timeout", "300ms", "-out", t.TempDir())
	if code != 1 || !strings.Contains(out, "Chờ máy quét lưu trang") {
		t.Errorf("folder by the daemon's spec: exit %d: %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "scanner", "test", "-scanner", "floppy:/a"); code != exitUsage {
		t.Errorf("unknown scanner spec: exit %d", code)
	}
	code, out, _ = runCmd(t, "", "scanner", "test", "-backend", "folder", "-dir", t.TempDir(), "-timeout", "300ms", "-out", t.TempDir())
	if code != 1 || !strings.Contains(out, "LỖI") {
		t.Errorf("empty folder: exit %d: %s", code, out)
	}
	code, out, _ = runCmd(t, "", "scanner", "test", "-backend", "escl", "-url", "http://127.0.0.1:1/eSCL", "-timeout", "5s")
	if code != 1 || !strings.Contains(out, "không trả lời") {
		t.Errorf("unreachable eSCL: exit %d: %s", code, out)
	}
}

func TestDispatch(t *testing.T) {
	for _, args := range [][]string{{"-addr", "0.0.0.0:8090"}, {"-bogus"}, {"bogus"}, {"idcard"}, {"enroll"}, {"enroll", "-token", "x"}, {"digitise"}, {"digitise", "page.png"}, {"counter-scan"}} {
		if code, _, errOut := runCmd(t, "", args...); code != exitUsage || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	// Not enrolled: the daemon says what to run.
	dir := t.TempDir()
	if code, _, errOut := runCmd(t, "", "-data", dir, "-addr", "127.0.0.1:0"); code != exitProblem || !strings.Contains(errOut, "kioskd enroll") {
		t.Errorf("not enrolled: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "counter-scan", "-data", dir, "-counter", "1", "-scanner", "folder:"+dir); code != exitProblem || !strings.Contains(errOut, "kioskd enroll") {
		t.Errorf("counter-scan not enrolled: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := runCmd(t, "", "help"); code != 0 || !strings.Contains(out, "idcard parse") || !strings.Contains(out, "kioskd digitise -out") || !strings.Contains(out, "kioskd counter-scan") {
		t.Errorf("help: %d", code)
	}
}

// TestForm runs `kioskd form` as a technician would: a card's QR payload
// in, the birth registration form filled from it out as a PDF; the fields
// left to fill are a warning, the exit code 0.
func TestForm(t *testing.T) {
	out := filepath.Join(t.TempDir(), "to-khai.pdf")
	code, stdout, stderr := runCmd(t, "", "form", "-procedure", "khai-sinh", "-card", idcardsim.SampleQR, "-out", out, "-today", "2026-12-05")
	if code != exitOK || !strings.Contains(stderr, "warning") || !strings.Contains(stdout, "TỜ KHAI ĐĂNG KÝ KHAI SINH") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := formstest.PDFText(t, pdf)
	for _, w := range []string{"Họ, chữ đệm, tên người yêu cầu: Nguyễn Văn An", "001095012345", "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội"} {
		if !strings.Contains(text, w) {
			t.Errorf("PDF lacks %q:\n%s", w, text)
		}
	}
	if code, _, _ := runCmd(t, "", "form", "-procedure", "khai-sinh"); code != exitUsage {
		t.Errorf("no card: exit %d", code)
	}
	if code, out, _ := runCmd(t, "", "help"); code != 0 || !strings.Contains(out, "kioskd form -procedure") {
		t.Errorf("help: %d", code)
	}
}
