package bookingdoc

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"xephang/queue-server/queue"
)

var hcm, _ = time.LoadLocation("Asia/Ho_Chi_Minh")

func fixture() (queue.Centre, queue.Booking) {
	cfg := queue.Centre{ID: "phuong-thu", Name: "Trung tâm Phục vụ hành chính công phường Thử", Address: "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội",
		Timezone: "Asia/Ho_Chi_Minh", Services: []queue.Service{{Code: "A", Name: "Hộ tịch", Papers: []string{"Tờ khai đăng ký khai sinh", "Giấy chứng sinh"}}},
		Rules: queue.Rules{CheckInEarlyMinutes: 30, LateGraceMinutes: 15, MaxReschedules: 2}}
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	b := queue.Booking{Code: "ABCDEFGH", Centre: cfg.ID, Service: "A", Start: start, End: start.Add(30 * time.Minute), Status: queue.BookingActive,
		Citizen: queue.Citizen{IDMasked: "••••••••••45", Name: "Nguyễn Văn Thành"}}
	return cfg, b
}

// pdfText is the text of a PDF as pdftotext reads it (from its standard
// input).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "fd://0", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext (install poppler-utils via provisioning/dev-deps.sh): %v", err)
	}
	return string(out)
}

func TestPDF(t *testing.T) {
	cfg, b := fixture()
	render := func() string {
		t.Helper()
		pdf, err := PDF(cfg, b)
		if err != nil {
			t.Fatal(err)
		}
		return pdfText(t, pdf)
	}
	text := render()
	wants := []string{"TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG THỬ", "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội", "XÁC NHẬN LỊCH HẸN",
		"ABCD-EFGH", "Hộ tịch", "09:00–09:30, Thứ Ba 24/11/2026", "Nguyễn Văn Thành", "••••••••••45", "Tờ khai đăng ký khai sinh", "Giấy chứng sinh",
		"mở trước 30 phút"}
	if missing := slices.DeleteFunc(wants, func(w string) bool { return strings.Contains(text, w) }); len(missing) > 0 {
		t.Errorf("PDF text lacks %q:\n%s", missing, text)
	}
	b.Purged = true
	if text := render(); strings.Contains(text, "Nguyễn Văn Thành") || strings.Contains(text, "••45") {
		t.Errorf("a purged booking's PDF names the citizen:\n%s", text)
	}
}

func TestICS(t *testing.T) {
	cfg, b := fixture()
	cfg.Name = "Trung tâm\rATTENDEE:mailto:a@evil.example\nURL:http://evil.example\r\nX-A:1; b, c\\d"
	raw := string(ICS(cfg, b, time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)))
	for _, line := range strings.Split(raw, "\r\n") {
		if len(line) > 75 {
			t.Errorf("ICS line longer than 75 octets: %q", line)
		}
	}
	unfolded := strings.ReplaceAll(raw, "\r\n ", "")
	if !strings.Contains(unfolded, `Trung tâm\nATTENDEE:mailto:a@evil.example\nURL:http://evil.example\nX-A:1\; b\, c\\d`) {
		t.Errorf("the centre's name is not escaped as RFC 5545 says:\n%s", unfolded)
	}
	cal, err := ical.NewDecoder(strings.NewReader(raw)).Decode()
	if err != nil || len(cal.Events()) != 1 {
		t.Fatalf("ICS does not parse as one event: %v\n%s", err, raw)
	}
	ev := cal.Events()[0]
	if start, err := ev.DateTimeStart(hcm); err != nil || !start.Equal(b.Start) {
		t.Errorf("DTSTART %v %v", start, err)
	}
	if st, _ := ev.Props.Text(ical.PropStatus); st != "CONFIRMED" {
		t.Errorf("STATUS %q", st)
	}
	b.Status = queue.BookingCancelled
	cal, err = ical.NewDecoder(strings.NewReader(string(ICS(cfg, b, time.Now())))).Decode()
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := cal.Events()[0].Props.Text(ical.PropStatus); st != "CANCELLED" {
		t.Errorf("a cancelled booking's STATUS %q", st)
	}
}

func TestDisplayCode(t *testing.T) {
	if DisplayCode("ABCDEFGH") != "ABCD-EFGH" || DisplayCode("ABC") != "ABC" {
		t.Errorf("DisplayCode: %q %q", DisplayCode("ABCDEFGH"), DisplayCode("ABC"))
	}
}
