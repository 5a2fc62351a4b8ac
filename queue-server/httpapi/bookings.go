package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// newBookingCode returns queue.BookingCodeLen random symbols of the
// booking-code alphabet (40 bits): with the per-address limits on
// look-ups, guessing one is hopeless.
func newBookingCode() string {
	var b [queue.BookingCodeLen]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = queue.BookingCodeAlphabet[int(b[i])%len(queue.BookingCodeAlphabet)]
	}
	return string(b[:])
}

func (s *Server) handleSlots(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		slots, err := l.Slots(tx.Now, strings.ToUpper(q.Get("service")), q.Get("date"))
		if err != nil {
			return nil, err
		}
		out := make([]apiv1.SlotView, len(slots))
		for i, sl := range slots {
			status := "open"
			switch {
			case sl.TooSoon:
				status = "too_soon"
			case sl.Available == 0:
				status = "full"
			}
			out[i] = apiv1.SlotView{Start: sl.Start.Format(timeLayout), End: sl.End.Format(timeLayout), Capacity: sl.Capacity, Available: sl.Available, Status: status}
		}
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func bookingView(cfg queue.Centre, b queue.Booking, withCitizen bool) apiv1.BookingView {
	loc := cfg.Location()
	v := apiv1.BookingView{
		Code: b.Code, Centre: b.Centre, CentreName: cfg.Name, Service: b.Service,
		Start: b.Start.In(loc).Format(timeLayout), End: b.End.In(loc).Format(timeLayout), Status: b.Status,
		Reschedules: b.Reschedules, MaxReschedules: cfg.Rules.MaxReschedules, Ticket: b.Ticket, Late: b.Late,
	}
	if svc, ok := cfg.Service(b.Service); ok {
		v.ServiceName, v.ServiceNameEn = svc.Name, svc.NameEn
	}
	if withCitizen && !b.Purged {
		v.Citizen = &apiv1.CitizenView{IDMasked: queue.MaskID(b.Citizen.IDMasked), Name: b.Citizen.Name, Phone: b.Citizen.Phone}
	}
	return v
}

// optionalUser returns the staff or kiosk account of a request that
// carries a valid token.
func (s *Server) optionalUser(r *http.Request) (queue.User, bool) {
	if r.Header.Get("Authorization") == "" {
		return queue.User{}, false
	}
	u, err := s.authenticate(r)
	return u, err == nil && (u.Role == queue.RoleAdmin || u.Role == queue.RoleClerk || u.Role == queue.RoleKiosk)
}

// staffUser returns the admin or clerk account of a request: the only
// roles that act on a booking by its code alone and see personal data (a
// kiosk or tablet token counts for no more than the public there).
func (s *Server) staffUser(r *http.Request) (queue.User, bool) {
	u, ok := s.optionalUser(r)
	return u, ok && (u.Role == queue.RoleAdmin || u.Role == queue.RoleClerk)
}

// actsFor reports whether a staff or kiosk account may act in a centre.
func actsFor(u queue.User, centre string) bool {
	return u.Role == queue.RoleAdmin || u.Centre == centre
}

// errOtherCentre refuses staff of one centre a ticket of another.
var errOtherCentre = queue.Errorf(queue.EForbidden, "this ticket belongs to another centre", "số này thuộc trung tâm khác")

// centreTicket finds ticket id (live, or of a past day in the store) for u,
// who must act for its centre.
func centreTicket(tx *engine.Tx, u queue.User, id string) (*queue.Live, queue.Ticket, error) {
	l, t, err := tx.FindTicket(id)
	if err != nil {
		return nil, t, err
	}
	if !actsFor(u, t.Centre) {
		return nil, t, errOtherCentre
	}
	return l, t, nil
}

var (
	errTooMany       = queue.Errorf(queue.ERateLimited, "too many requests from your address: try again later", "quá nhiều yêu cầu từ địa chỉ của bạn: vui lòng thử lại sau")
	errLimitsFailing = queue.Errorf(queue.EUnavailable, "the service is busy: try again", "hệ thống đang bận: vui lòng thử lại")
)

// limitsTimeout bounds one call to the limits: a single short statement
// on a shared store, so a longer one means the database is in trouble.
const limitsTimeout = 2 * time.Second

// limited takes a token of rate for the request's address at now and, if
// none is left, answers 429 and reports true. When shared limits fail
// (their database is unreachable) it answers 503 "try again" instead of
// letting the request through: a database outage must not open the
// bookings, look-ups by code and kiosk enrolments to an unlimited flood,
// and those requests would mostly need the database anyway. Sign-ins
// decide otherwise (handleLogin).
func (s *Server) limited(w http.ResponseWriter, r *http.Request, rate Rate, now time.Time) bool {
	return s.limitedBy(w, r, rate, clientIP(r), now, errTooMany)
}

// limitedBy is limited for any key of rate (an address, a phone's keyed
// hash…), answering tooMany when its bucket is empty.
func (s *Server) limitedBy(w http.ResponseWriter, r *http.Request, rate Rate, key string, now time.Time, tooMany *queue.Error) bool {
	ctx, cancel := context.WithTimeout(r.Context(), limitsTimeout)
	defer cancel()
	ok, err := s.limits.Take(ctx, rate, key, now)
	switch {
	case err != nil:
		if r.Context().Err() == nil {
			s.log.Error("rate limits failing: request refused", "limit", rate.Name, "method", r.Method, "path", r.URL.Path, "err", err)
		}
		s.writeError(w, r, errLimitsFailing)
		return true
	case !ok:
		s.writeError(w, r, tooMany)
		return true
	}
	return false
}

func (s *Server) handleBook(w http.ResponseWriter, r *http.Request) {
	var req apiv1.BookRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	centre := r.PathValue("centre")
	now := s.now()
	u, staff := s.optionalUser(r)
	if !s.publicOrFor(w, r, u, staff, centre, bookRate, req.Altcha, now) {
		return
	}
	source, actor := queue.BookedOnline, "public"
	if staff {
		source, actor = queue.BookedStaff, u.Username
		if u.Role == queue.RoleKiosk {
			source = queue.BookedKiosk
		}
	}
	number, err := checkCCCD(req.Citizen.IDNumber, now, "citizen.id_number")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	start, err := time.Parse(time.RFC3339, req.Start)
	if err != nil {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "start: an RFC 3339 time as given by the slots", "start: thời điểm dạng RFC 3339 như trong danh sách khung giờ"))
		return
	}
	notify, err := notifyRequest(req.Notify)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !staff && s.addressLimited(w, r, notify, now) {
		return
	}
	citizen := queue.Citizen{Key: queue.CitizenKey(s.secret, number), IDMasked: queue.MaskID(number), Name: req.Citizen.Name, Phone: req.Citizen.Phone}
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(centre)
		if err != nil {
			return nil, err
		}
		code := tx.FreeBookingCode(l, newBookingCode)
		b, err := l.Book(tx.Now, queue.BookRequest{Code: code, Service: strings.ToUpper(req.Service), Start: start, Citizen: citizen, Source: source, Actor: actor, Notify: notify})
		if err != nil {
			return nil, err
		}
		bv := bookingView(l.Config(), b, true)
		s.signDocuments(&bv, b, tx.Now)
		return bv, nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

// publicOrFor admits a request made by the public or, for a citizen, by an
// account (isAccount): an account must belong to the centre (403); the
// public takes a token of rate for its address and solves the proof of
// work (the X-Altcha header, or the body's altcha field). It reports
// false when it has answered.
func (s *Server) publicOrFor(w http.ResponseWriter, r *http.Request, u queue.User, isAccount bool, centre string, rate Rate, altcha string, now time.Time) bool {
	if isAccount {
		if !actsFor(u, centre) {
			s.writeError(w, r, queue.Errorf(queue.EForbidden, "your account belongs to another centre", "tài khoản của bạn thuộc trung tâm khác"))
			return false
		}
		return true
	}
	if s.limited(w, r, rate, now) {
		return false
	}
	if sol := r.Header.Get("X-Altcha"); sol != "" {
		altcha = sol
	}
	if err := s.verifyPoW(altcha, now); err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}

// lookupLimited applies the per-address limit on requests naming a code.
func (s *Server) lookupLimited(w http.ResponseWriter, r *http.Request) bool {
	if _, staff := s.staffUser(r); staff { // a kiosk's token does not lift the limit
		return false
	}
	return s.limited(w, r, lookupRate, s.now())
}

func (s *Server) handleGetBooking(w http.ResponseWriter, r *http.Request) {
	if s.lookupLimited(w, r) {
		return
	}
	u, staff := s.staffUser(r)
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		l, b, err := tx.FindBooking(queue.NormBookingCode(r.PathValue("code")))
		if err != nil {
			return nil, err
		}
		return bookingView(l.Config(), b, staff && actsFor(u, b.Centre)), nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	var req apiv1.CancelRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	s.changeBooking(w, r, req.IDNumber, func(tx *engine.Tx, l *queue.Live, code, key string, staff bool, actor string) (queue.Booking, error) {
		return l.CancelBooking(tx.Now, code, key, staff, actor)
	})
}

func (s *Server) handleReschedule(w http.ResponseWriter, r *http.Request) {
	var req apiv1.RescheduleRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	start, err := time.Parse(time.RFC3339, req.Start)
	if err != nil {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "start: an RFC 3339 time as given by the slots", "start: thời điểm dạng RFC 3339 như trong danh sách khung giờ"))
		return
	}
	var moved queue.Booking
	var cfg queue.Centre
	s.changeBooking(w, r, req.IDNumber, func(tx *engine.Tx, l *queue.Live, code, key string, staff bool, actor string) (queue.Booking, error) {
		b, err := l.Reschedule(tx.Now, code, key, start, staff, actor)
		moved, cfg = b, l.Config()
		return b, err
	})
	if moved.Form {
		s.moveBookingForm(moved, cfg)
	}
}

type bookingChange func(tx *engine.Tx, l *queue.Live, code, key string, staff bool, actor string) (queue.Booking, error)

func (s *Server) changeBooking(w http.ResponseWriter, r *http.Request, idNumber string, change bookingChange) {
	if s.lookupLimited(w, r) {
		return
	}
	u, staff := s.staffUser(r)
	key, actor := "", "public"
	if staff {
		actor = u.Username
	} else {
		n, err := checkCCCD(idNumber, s.now(), "id_number")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		key = queue.CitizenKey(s.secret, n)
	}
	code := queue.NormBookingCode(r.PathValue("code"))
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, b, err := tx.FindBooking(code)
		if err != nil {
			return nil, err
		}
		if staff && !actsFor(u, b.Centre) {
			return nil, queue.Errorf(queue.EForbidden, "your account belongs to another centre", "tài khoản của bạn thuộc trung tâm khác")
		}
		nb, err := change(tx, l, code, key, staff, actor)
		if err != nil {
			return nil, err
		}
		bv := bookingView(l.Config(), nb, staff)
		s.signDocuments(&bv, nb, tx.Now) // the CCCD number (or staff) proved it theirs
		return bv, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) handleCheckIn(w http.ResponseWriter, r *http.Request) {
	u, _ := principal(r)
	code := queue.NormBookingCode(r.PathValue("code"))
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, b, err := tx.FindBooking(code)
		if err != nil {
			return nil, err
		}
		if !actsFor(u, b.Centre) {
			return nil, queue.Errorf(queue.EForbidden, "this booking is for another centre", "lịch hẹn này thuộc trung tâm khác")
		}
		t, nb, err := l.CheckIn(tx.Now, code, kioskName(u), u.Username)
		if err != nil {
			return nil, err
		}
		tv := ticketView(l, t, tx.Now)
		tv.Booking = t.Booking // the caller gave the code
		return apiv1.CheckInResponse{TicketView: tv, BookingStatus: nb.Status, Late: nb.Late}, nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func kioskName(u queue.User) string {
	if u.Role == queue.RoleKiosk {
		return u.Username
	}
	return ""
}

func (s *Server) handleCheckInCard(w http.ResponseWriter, r *http.Request) {
	var req apiv1.CheckInCardRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	n, err := checkCCCD(req.IDNumber, s.now(), "id_number")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _ := principal(r)
	key := queue.CitizenKey(s.secret, n)
	v, err := s.writeCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		t, nb, err := l.CheckInCitizen(tx.Now, key, kioskName(u), u.Username)
		if err != nil {
			return nil, err
		}
		tv := ticketView(l, t, tx.Now)
		if u.Role != queue.RoleKiosk {
			tv.Booking = t.Booking // staff; a kiosk prints the ticket without it
		}
		return apiv1.CheckInResponse{TicketView: tv, BookingStatus: nb.Status, Late: nb.Late}, nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleListBookings(w http.ResponseWriter, r *http.Request) {
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		day := r.URL.Query().Get("date")
		if day == "" {
			day = l.Day()
		}
		out := []apiv1.BookingView{}
		for _, b := range l.Bookings(day) {
			out = append(out, bookingView(l.Config(), b, true))
		}
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

// checkCCCD is queue.CheckCCCD with the request's field named in its
// error, so that a form marks the field at fault.
func checkCCCD(n string, now time.Time, field string) (string, error) {
	number, err := queue.CheckCCCD(n, now)
	var e *queue.Error
	if errors.As(err, &e) {
		return "", e.At(field)
	}
	return number, err
}
