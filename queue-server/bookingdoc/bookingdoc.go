// Package bookingdoc renders what a citizen keeps of a booking: the
// confirmation as a PDF (with the code's QR, scanned at the kiosk to check
// in) and the calendar file (ICS, RFC 5545). Who may read them, and the
// signed links, are the HTTP handlers'.
package bookingdoc

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/jung-kurt/gofpdf"
	qrcode "github.com/skip2/go-qrcode"

	"xephang/queue-server/queue"
)

// localWhen writes a slot as a Vietnamese reads it: "08:30–09:00, Thứ Ba 24/11/2026".
func localWhen(b queue.Booking, loc *time.Location) string {
	s, e := b.Start.In(loc), b.End.In(loc)
	return fmt.Sprintf("%s–%s, %s %s", s.Format("15:04"), e.Format("15:04"), queue.WeekdayVI(s.Weekday()), s.Format("02/01/2006"))
}

// DisplayCode groups a booking code for reading aloud: ABCD-EFGH.
func DisplayCode(c string) string {
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

var defaultPapers = []string{"Thẻ căn cước (CCCD) hoặc giấy tờ tùy thân", "Các giấy tờ theo thủ tục hành chính cần làm"}

// PDF renders the confirmation: centre, address, service, time,
// code, a QR code of the code (scanned at the kiosk to check in), papers to
// bring. DejaVu Sans (embedded) covers Vietnamese.
func PDF(cfg queue.Centre, b queue.Booking) ([]byte, error) {
	loc := cfg.Location()
	svc, _ := cfg.Service(b.Service)
	pdf := gofpdf.New("P", "mm", "A5", "")
	pdf.SetTitle("Xác nhận lịch hẹn "+DisplayCode(b.Code), true)
	pdf.SetCreator("Xếp Hàng", true)
	pdf.AddUTF8FontFromBytes("DejaVu", "", dejavusans.TTF)
	pdf.AddUTF8FontFromBytes("DejaVu", "B", dejavusansbold.TTF)
	pdf.SetMargins(12, 12, 12)
	pdf.SetAutoPageBreak(true, 12)
	pdf.AddPage()
	w, _ := pdf.GetPageSize()
	text := w - 24
	pdf.SetFont("DejaVu", "B", 11)
	pdf.MultiCell(text, 5.5, strings.ToUpper(cfg.Name), "", "C", false)
	if cfg.Address != "" {
		pdf.SetFont("DejaVu", "", 9)
		pdf.MultiCell(text, 4.5, cfg.Address, "", "C", false)
	}
	pdf.Ln(4)
	pdf.SetFont("DejaVu", "B", 14)
	pdf.CellFormat(text, 8, "XÁC NHẬN LỊCH HẸN", "", 1, "C", false, 0, "")
	pdf.SetFont("DejaVu", "", 9)
	pdf.CellFormat(text, 5, "Appointment confirmation", "", 1, "C", false, 0, "")
	pdf.Ln(3)
	pdf.SetFont("DejaVu", "", 10)
	pdf.CellFormat(text, 5, "Mã lịch hẹn / Booking code", "", 1, "C", false, 0, "")
	pdf.SetFont("DejaVu", "B", 26)
	pdf.CellFormat(text, 13, DisplayCode(b.Code), "", 1, "C", false, 0, "")
	png, err := qrcode.Encode(b.Code, qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("booking pdf: qr: %w", err)
	}
	pdf.RegisterImageOptionsReader("qr", gofpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	qr := 34.0
	pdf.ImageOptions("qr", (w-qr)/2, pdf.GetY(), qr, qr, false, gofpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetY(pdf.GetY() + qr + 3)
	row := func(label, value string) {
		pdf.SetFont("DejaVu", "", 10)
		pdf.CellFormat(34, 6, label, "", 0, "L", false, 0, "")
		pdf.SetFont("DejaVu", "B", 10)
		pdf.MultiCell(text-34, 6, value, "", "L", false)
	}
	row("Lĩnh vực:", svc.Name)
	row("Thời gian:", localWhen(b, loc))
	if !b.Purged && b.Citizen.Name != "" {
		row("Người hẹn:", b.Citizen.Name)
		row("Số căn cước:", queue.MaskID(b.Citizen.IDMasked))
	}
	pdf.Ln(3)
	pdf.SetFont("DejaVu", "B", 10)
	pdf.CellFormat(text, 6, "Giấy tờ cần mang theo:", "", 1, "L", false, 0, "")
	pdf.SetFont("DejaVu", "", 10)
	papers := svc.Papers
	if len(papers) == 0 {
		papers = defaultPapers
	}
	for _, p := range papers {
		pdf.MultiCell(text, 5.5, "• "+p, "", "L", false)
	}
	pdf.Ln(3)
	pdf.SetFont("DejaVu", "", 8.5)
	r := cfg.Rules
	pdf.MultiCell(text, 4.5, fmt.Sprintf("Đến trước giờ hẹn và quét mã QR này tại ki-ốt (mở trước %d phút) hoặc đưa mã cho cán bộ tiếp nhận. Đến muộn quá %d phút, lịch hẹn chuyển thành số thứ tự thông thường. Có thể đổi lịch tối đa %d lần hoặc hủy bằng mã này và số căn cước.", r.CheckInEarlyMinutes, r.LateGraceMinutes, r.MaxReschedules), "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("booking pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// icsEscape escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon
// and comma get a backslash; a line break (CR LF, LF or a lone CR) becomes
// \n; other control characters, which TEXT may not hold, are dropped. A
// raw CR or LF would end the content line and start one of the sender's
// choosing (an ATTENDEE, a URL, a second event).
func icsEscape(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029:
			b.WriteString(`\n`)
		case r < 0x20 && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// icsFold folds a content line at 75 octets without splitting a UTF-8
// character (RFC 5545 §3.1).
func icsFold(line string) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		l := len(string(r))
		if n+l > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += l
	}
	b.WriteString("\r\n")
	return b.String()
}

// ICS is the calendar file of a booking. Times are written in UTC
// (the unambiguous form every calendar converts to its own zone), with the
// centre's zone named for calendars that show it, and a reminder an hour before.
func ICS(cfg queue.Centre, b queue.Booking, now time.Time) []byte {
	svc, _ := cfg.Service(b.Service)
	loc := cfg.Location()
	const utc = "20060102T150405Z"
	desc := fmt.Sprintf("Mã lịch hẹn: %s\nLĩnh vực: %s\nThời gian: %s (giờ %s)\nMang theo thẻ căn cước và giấy tờ của thủ tục.", DisplayCode(b.Code), svc.Name, localWhen(b, loc), cfg.Timezone)
	lines := []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//Xep Hang//Lich hen//VI",
		"CALSCALE:GREGORIAN",
		"METHOD:PUBLISH",
		"X-WR-TIMEZONE:" + cfg.Timezone,
		"BEGIN:VEVENT",
		"UID:" + b.Code + "@xephang",
		"DTSTAMP:" + now.UTC().Format(utc),
		"DTSTART:" + b.Start.UTC().Format(utc),
		"DTEND:" + b.End.UTC().Format(utc),
		"SUMMARY:" + icsEscape("Lịch hẹn "+svc.Name+" – "+DisplayCode(b.Code)),
		"LOCATION:" + icsEscape(strings.TrimSpace(cfg.Name+", "+cfg.Address)),
		"DESCRIPTION:" + icsEscape(desc),
		"STATUS:CONFIRMED",
		"BEGIN:VALARM",
		"ACTION:DISPLAY",
		"TRIGGER:-PT1H",
		"DESCRIPTION:" + icsEscape("Sắp đến giờ hẹn tại "+cfg.Name),
		"END:VALARM",
		"END:VEVENT",
		"END:VCALENDAR",
	}
	if b.Status == queue.BookingCancelled {
		lines[14] = "STATUS:CANCELLED"
	}
	var out strings.Builder
	for _, l := range lines {
		out.WriteString(icsFold(l))
	}
	return []byte(out.String())
}
