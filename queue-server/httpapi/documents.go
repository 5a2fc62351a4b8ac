package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bookingdoc"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// docLinkTTL is how long after its slot ends a booking's signed document
// links keep working: long enough to print the confirmation again, short
// enough that an old link found in a browser history expires.
const docLinkTTL = 7 * 24 * time.Hour

// docSignature signs a booking code and an expiry (Unix seconds) for the
// booking's PDF and ICS. The key is derived from the server's secret for
// this one use.
func (s *Server) docSignature(code string, exp int64) string {
	return s.linkSignature("booking-documents", code, exp)
}

// linkSignature signs a booking code and an expiry for one use of a
// booking's links (purpose), with a key derived from the server's secret
// for that use.
func (s *Server) linkSignature(purpose, code string, exp int64) string {
	k := hmac.New(sha256.New, s.secret)
	k.Write([]byte(purpose))
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
	s.signForm(v, b, exp.Unix())
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
	return checkLink(r.URL.Query(), s.docSignature, code, now, errDocLink, errDocLinkExpired)
}

// checkLink checks a signed link's exp and sig for code: refused is the
// error of a missing or wrong signature, expired that of a link past its
// time.
func checkLink(q url.Values, sign func(code string, exp int64) string, code string, now time.Time, refused, expired error) error {
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	sig := q.Get("sig")
	if err != nil || sig == "" || !hmac.Equal([]byte(sig), []byte(sign(code, exp))) {
		return refused
	}
	if now.Unix() > exp {
		return expired
	}
	return nil
}

func (s *Server) bookingDocument(w http.ResponseWriter, r *http.Request, render func(cfg queue.Centre, b queue.Booking, now time.Time) ([]byte, string, error)) {
	if s.lookupLimited(w, r) {
		return
	}
	code := queue.NormBookingCode(r.PathValue("code"))
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
		l, found, err := tx.FindBooking(code)
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
		data, err := bookingdoc.PDF(cfg, b)
		return data, "application/pdf", err
	})
}

func (s *Server) handleBookingICS(w http.ResponseWriter, r *http.Request) {
	s.bookingDocument(w, r, func(cfg queue.Centre, b queue.Booking, now time.Time) ([]byte, string, error) {
		return bookingdoc.ICS(cfg, b, now), "text/calendar; charset=utf-8", nil
	})
}
