package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/jung-kurt/gofpdf"
	qrcode "github.com/skip2/go-qrcode"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

var weekdaysVI = [...]string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}

// localWhen writes a slot as a Vietnamese reads it: "08:30–09:00, Thứ Ba 24/11/2026".
func localWhen(b queue.Booking, loc *time.Location) string {
	s, e := b.Start.In(loc), b.End.In(loc)
	return fmt.Sprintf("%s–%s, %s %s", s.Format("15:04"), e.Format("15:04"), weekdaysVI[s.Weekday()], s.Format("02/01/2006"))
}

// displayCode groups a code for reading aloud: ABCD-EFGH.
func displayCode(c string) string {
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

var defaultPapers = []string{"Thẻ căn cước (CCCD) hoặc giấy tờ tùy thân", "Các giấy tờ theo thủ tục hành chính cần làm"}

// bookingPDF renders the confirmation: centre, address, service, time,
// code, a QR code of the code (scanned at the kiosk to check in), papers to
// bring. DejaVu Sans (embedded) covers Vietnamese.
func bookingPDF(cfg queue.Centre, b queue.Booking) ([]byte, error) {
	loc := cfg.Location()
	svc, _ := cfg.Service(b.Service)
	pdf := gofpdf.New("P", "mm", "A5", "")
	pdf.SetTitle("Xác nhận lịch hẹn "+displayCode(b.Code), true)
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
	pdf.CellFormat(text, 13, displayCode(b.Code), "", 1, "C", false, 0, "")
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

// bookingICS is the calendar file of a booking. Times are written in UTC
// (the unambiguous form every calendar converts to its own zone), with the
// centre's zone named for calendars that show it, and a reminder an hour before.
func bookingICS(cfg queue.Centre, b queue.Booking, now time.Time) []byte {
	svc, _ := cfg.Service(b.Service)
	loc := cfg.Location()
	const utc = "20060102T150405Z"
	desc := fmt.Sprintf("Mã lịch hẹn: %s\nLĩnh vực: %s\nThời gian: %s (giờ %s)\nMang theo thẻ căn cước và giấy tờ của thủ tục.", displayCode(b.Code), svc.Name, localWhen(b, loc), cfg.Timezone)
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
		"SUMMARY:" + icsEscape("Lịch hẹn "+svc.Name+" – "+displayCode(b.Code)),
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

// docLinkTTL is how long after its slot ends a booking's signed document
// links keep working: long enough to print the confirmation again, short
// enough that an old link found in a browser history expires.
const docLinkTTL = 7 * 24 * time.Hour

// docSignature signs a booking code and an expiry (Unix seconds) for the
// booking's PDF and ICS. The key is derived from the server's secret for
// this one use.
func (s *Server) docSignature(code string, exp int64) string {
	k := hmac.New(sha256.New, s.secret)
	k.Write([]byte("booking-documents"))
	m := hmac.New(sha256.New, k.Sum(nil))
	fmt.Fprintf(m, "%s\x00%d", code, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// signDocuments adds a booking's signed document links to its view.
func (s *Server) signDocuments(v *apiv1.BookingView, b queue.Booking, now time.Time) {
	exp := b.End.Add(docLinkTTL)
	if min := now.Add(docLinkTTL); exp.Before(min) {
		exp = min
	}
	q := url.Values{"exp": {strconv.FormatInt(exp.Unix(), 10)}, "sig": {s.docSignature(b.Code, exp.Unix())}}.Encode()
	base := "/api/v1/bookings/" + url.PathEscape(b.Code)
	v.PDFURL, v.ICSURL = base+"/pdf?"+q, base+"/ics?"+q
}

var errDocLink = queue.Errorf(queue.EForbidden,
	"the booking's documents open with the link given when it was made (or by staff): the code alone is not enough",
	"phiếu hẹn chỉ mở được bằng đường dẫn nhận được khi đặt lịch (hoặc do cán bộ mở): chỉ có mã lịch hẹn thì không đủ")

var errDocLinkExpired = queue.Errorf(queue.EForbidden,
	"this link to the booking's documents has expired",
	"đường dẫn tới phiếu hẹn này đã hết hạn")

// documentAllowed reports whether a request may read a booking's
// documents: staff of its centre by code alone, anyone else only with a
// valid, unexpired signed link.
func (s *Server) documentAllowed(r *http.Request, code string, now time.Time) error {
	if u, ok := s.optionalUser(r); ok && u.Role != queue.RoleKiosk {
		return nil // the centre is checked against the booking's once found
	}
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	sig := q.Get("sig")
	if err != nil || sig == "" || !hmac.Equal([]byte(sig), []byte(s.docSignature(code, exp))) {
		return errDocLink
	}
	if now.Unix() > exp {
		return errDocLinkExpired
	}
	return nil
}

func (s *Server) bookingDocument(w http.ResponseWriter, r *http.Request, render func(cfg queue.Centre, b queue.Booking, now time.Time) ([]byte, string, error)) {
	if s.lookupLimited(w, r) {
		return
	}
	code := normCode(r.PathValue("code"))
	if err := s.documentAllowed(r, code, s.now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, staff := s.optionalUser(r)
	ctx, cancel := s.ctx(r)
	defer cancel()
	var cfg queue.Centre
	var b queue.Booking
	var now time.Time
	_, err := s.eng.Read(ctx, func(tx *engine.Tx) (any, error) {
		l, found, err := findBooking(tx, code)
		if err != nil {
			return nil, err
		}
		if staff && u.Role != queue.RoleKiosk && !actsFor(u, found.Centre) {
			return nil, queue.Errorf(queue.EForbidden, "this booking is for another centre", "lịch hẹn này thuộc trung tâm khác")
		}
		cfg, b, now = l.Config(), found, tx.Now
		return nil, nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Rendering is slow next to the engine's work: do it outside the loop.
	data, ctype, err := render(cfg, b, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ext := ".pdf"
	if strings.HasPrefix(ctype, "text/calendar") {
		ext = ".ics"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="lich-hen-`+b.Code+ext+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(data)
}

func (s *Server) handleBookingPDF(w http.ResponseWriter, r *http.Request) {
	s.bookingDocument(w, r, func(cfg queue.Centre, b queue.Booking, _ time.Time) ([]byte, string, error) {
		data, err := bookingPDF(cfg, b)
		return data, "application/pdf", err
	})
}

func (s *Server) handleBookingICS(w http.ResponseWriter, r *http.Request) {
	s.bookingDocument(w, r, func(cfg queue.Centre, b queue.Booking, now time.Time) ([]byte, string, error) {
		return bookingICS(cfg, b, now), "text/calendar; charset=utf-8", nil
	})
}
