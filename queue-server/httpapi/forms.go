package httpapi

// Forms (issue 19): the forms the server knows, and the form a citizen
// filled kept with a ticket (kiosk or staff) or a booking (the citizen
// through the signed link given with the booking, or staff).

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/forms"
	"xephang/queue-server/queue"
)

func (s *Server) handleForms(w http.ResponseWriter, r *http.Request) {
	out := []apiv1.FormSummary{}
	for _, f := range s.forms.Forms() {
		out = append(out, apiv1.FormSummary{Procedure: f.Procedure, Version: f.Version, Title: f.Title})
	}
	writeJSON(w, http.StatusOK, out)
}

var errNoForm = queue.Errorf(queue.ENotFound, "no form for this procedure", "thủ tục này không có tờ khai")

func (s *Server) handleFormDefinition(w http.ResponseWriter, r *http.Request) {
	f, err := s.forms.Form(r.PathValue("procedure"))
	if err != nil {
		s.writeError(w, r, errNoForm)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// formView is the answer of a kept form, with its values decoded.
func formView(f queue.DossierForm) (apiv1.FormView, forms.Filled, error) {
	var filled forms.Filled
	if err := json.Unmarshal(f.Filled, &filled); err != nil {
		return apiv1.FormView{}, filled, err
	}
	v := apiv1.FormView{Procedure: filled.Procedure, Version: filled.Version, Values: filled.Values, Sources: filled.Sources,
		UpdatedAt: f.UpdatedAt.UTC().Format(timeLayout)}
	if v.Values == nil {
		v.Values = map[string]string{}
	}
	return v, filled, nil
}

// citizen returns the values of a filled form that a card or a booking
// fills (by what they are: id_number, name, birth_date…), the first
// field of each.
func (s *Server) citizen(filled forms.Filled) map[string]string {
	out := map[string]string{}
	f, err := s.forms.Form(filled.Procedure)
	if err != nil {
		return out
	}
	for _, sec := range f.Sections {
		for _, fd := range sec.Fields {
			_, what, ok := strings.Cut(fd.Source, ".")
			if !ok || filled.Values[fd.Name] == "" {
				continue
			}
			if _, seen := out[what]; !seen {
				out[what] = filled.Values[fd.Name]
			}
		}
	}
	return out
}

// checkFilled decodes a filled form and validates it against its
// definition (values normalised in place); a form found wrong is
// answered here (422 with each field's error), and ok is false.
func (s *Server) checkFilled(w http.ResponseWriter, r *http.Request, loc *time.Location) (forms.Filled, bool) {
	var f forms.Filled
	if !s.decodeBody(w, r, &f) {
		return f, false
	}
	def, err := s.forms.Form(f.Procedure)
	if err != nil {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "no form for the procedure %q", "thủ tục %q không có tờ khai", f.Procedure).At("procedure"))
		return f, false
	}
	errs := def.Validate(&f, s.now().In(loc))
	if len(errs) == 0 {
		return f, true
	}
	en := english(r)
	var body apiv1.ErrorBody
	body.Error.Code = queue.EInvalid
	body.Error.Message = "Tờ khai chưa hợp lệ: vui lòng sửa các trường được nêu."
	if en {
		body.Error.Message = "The form is not valid: correct the fields named."
	}
	for _, e := range errs {
		fe := apiv1.FieldError{Field: e.Field, Code: e.Code, Message: e.Message, MessageEN: e.MessageEN}
		if en {
			fe.Message = e.MessageEN
		}
		body.Fields = append(body.Fields, fe)
	}
	writeJSON(w, http.StatusUnprocessableEntity, body)
	return f, false
}

// putForm keeps a validated form for an owner and answers it.
func (s *Server) putForm(w http.ResponseWriter, r *http.Request, ds queue.Dossiers, owner, centre string, f forms.Filled, by string, expires time.Time) bool {
	raw, _ := json.Marshal(f)
	df := queue.DossierForm{Owner: owner, Centre: centre, Filled: raw, Procedure: f.Procedure, UpdatedAt: s.now(), UpdatedBy: by, Expires: expires}
	if err := ds.PutForm(df); err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}

func (s *Server) handlePutTicketForm(w http.ResponseWriter, r *http.Request) {
	d, err := s.findDossierTicket(r, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds := d.ds
	f, ok := s.checkFilled(w, r, d.cfg.Location())
	if !ok {
		return
	}
	u, _ := principal(r)
	if !s.putForm(w, r, ds, d.owner(), d.t.Centre, f, u.Username, d.expires()) {
		return
	}
	s.markDossier(r, d)
	s.answerForm(w, r, ds, d.owner())
}

// answerForm answers an owner's form as kept.
func (s *Server) answerForm(w http.ResponseWriter, r *http.Request, ds queue.Dossiers, owner string) {
	kept, err := ds.Form(owner)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, _, err := formView(kept)
	s.reply(w, r, http.StatusOK, v, err)
}

var errNoFilledForm = queue.Errorf(queue.ENotFound, "no form was filled for this ticket", "chưa có tờ khai cho số này")

// filledTicketForm finds the ticket {id} for staff and its form (or its
// booking's); none is errNoFilledForm.
func (s *Server) filledTicketForm(r *http.Request) (dossierTicket, queue.DossierForm, error) {
	d, err := s.findDossierTicket(r, false)
	if err != nil {
		return d, queue.DossierForm{}, err
	}
	f, ok, err := s.ticketForm(d.ds, d.t)
	if err == nil && !ok {
		err = errNoFilledForm
	}
	return d, f, err
}

func (s *Server) handleGetTicketForm(w http.ResponseWriter, r *http.Request) {
	_, f, err := s.filledTicketForm(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, _, err := formView(f)
	s.reply(w, r, http.StatusOK, v, err)
}

// formSignature signs a booking code and an expiry for the booking's form
// link: a key of its own, so that a link to the PDF opens no form.
func (s *Server) formSignature(code string, exp int64) string {
	return s.linkSignature("booking-form", code, exp)
}

// signForm adds the booking's signed form link to its view.
func (s *Server) signForm(v *apiv1.BookingView, b queue.Booking, exp int64) {
	q := url.Values{"exp": {strconv.FormatInt(exp, 10)}, "sig": {s.formSignature(b.Code, exp)}}.Encode()
	v.FormURL = "/api/v1/bookings/" + url.PathEscape(b.Code) + "/form?" + q
}

var errFormLink = queue.Errorf(queue.EForbidden,
	"a booking's form opens with the link given when it was made (or by staff): the code alone is not enough",
	"tờ khai của lịch hẹn chỉ mở được bằng đường dẫn nhận được khi đặt lịch (hoặc do cán bộ mở): chỉ có mã lịch hẹn thì không đủ")

var errFormLinkExpired = queue.Errorf(queue.EForbidden, "this link to the booking's form has expired", "đường dẫn tới tờ khai của lịch hẹn này đã hết hạn")

// bookingFormTarget finds the booking {code} for its form: staff of its
// centre by code (a kiosk's token counts for nothing here), anyone else
// with a valid signed form link. staff reports which.
func (s *Server) bookingFormTarget(r *http.Request) (b queue.Booking, cfg queue.Centre, actor string, err error) {
	code := queue.NormBookingCode(r.PathValue("code"))
	u, staff := s.staffUser(r)
	if !staff {
		if err := checkLink(r.URL.Query(), s.formSignature, code, s.now(), errFormLink, errFormLinkExpired); err != nil {
			return b, cfg, "", err
		}
	}
	_, err = s.read(r, func(tx *engine.Tx) (any, error) {
		l, found, err := tx.FindBooking(code)
		if err != nil {
			return nil, err
		}
		if staff && !actsFor(u, found.Centre) {
			return nil, queue.Errorf(queue.EForbidden, "this booking is for another centre", "lịch hẹn này thuộc trung tâm khác")
		}
		b, cfg = found, l.Config()
		return nil, nil
	})
	actor = "citizen"
	if staff {
		actor = u.Username
	}
	return b, cfg, actor, err
}

// bookingForm finds the booking {code} for its form (bookingFormTarget)
// and the form kept for it.
func (s *Server) bookingForm(r *http.Request) (queue.DossierForm, queue.Booking, queue.Centre, error) {
	ds, err := s.dossierStore()
	if err != nil {
		return queue.DossierForm{}, queue.Booking{}, queue.Centre{}, err
	}
	b, cfg, _, err := s.bookingFormTarget(r)
	if err != nil {
		return queue.DossierForm{}, b, cfg, err
	}
	f, err := ds.Form(queue.DossierBooking(b.Code))
	if queue.ErrorCode(err) == queue.ENotFound {
		err = queue.Errorf(queue.ENotFound, "no form was filled for this booking", "chưa có tờ khai cho lịch hẹn này")
	}
	return f, b, cfg, err
}

func (s *Server) handlePutBookingForm(w http.ResponseWriter, r *http.Request) {
	if s.lookupLimited(w, r) {
		return
	}
	ds, err := s.dossierStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, cfg, actor, err := s.bookingFormTarget(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if b.Purged || (b.Status != queue.BookingActive && b.Status != queue.BookingCheckedIn) {
		s.writeError(w, r, queue.Errorf(queue.EConflict, "booking %s is %s: its form can no longer be changed", "lịch hẹn %s đang ở trạng thái %s: không thể sửa tờ khai nữa", b.Code, b.Status))
		return
	}
	f, ok := s.checkFilled(w, r, cfg.Location())
	if !ok {
		return
	}
	owner := queue.DossierBooking(b.Code)
	if !s.putForm(w, r, ds, owner, b.Centre, f, actor, queue.DossierExpires(cfg, b.Day)) {
		return
	}
	_, err = s.write(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(b.Centre)
		if err != nil {
			return nil, err
		}
		if _, ok := l.Booking(b.Code); !ok {
			return nil, nil // of a past day: no live state
		}
		return l.MarkBookingForm(tx.Now, b.Code)
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerForm(w, r, ds, owner)
}

func (s *Server) handleGetBookingForm(w http.ResponseWriter, r *http.Request) {
	if s.lookupLimited(w, r) {
		return
	}
	f, _, _, err := s.bookingForm(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, _, err := formView(f)
	s.reply(w, r, http.StatusOK, v, err)
}

// handleTicketFormPDF answers a ticket's form (or its booking's) printed
// in the official layout, the ticket's number as its reference.
func (s *Server) handleTicketFormPDF(w http.ResponseWriter, r *http.Request) {
	d, f, err := s.filledTicketForm(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, filled, err := formView(f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pdf, err := s.renderForm(filled, d.t.Number, f.UpdatedAt, d.cfg.Location())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeFile(w, "application/pdf", "to-khai-"+d.t.Number+".pdf", pdf)
}

// handleBookingFormPDF answers a booking's form printed (staff, or the
// signed link), the booking's code as its reference.
func (s *Server) handleBookingFormPDF(w http.ResponseWriter, r *http.Request) {
	if s.lookupLimited(w, r) {
		return
	}
	f, b, cfg, err := s.bookingForm(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, filled, err := formView(f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pdf, err := s.renderForm(filled, b.Code, f.UpdatedAt, cfg.Location())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeFile(w, "application/pdf", "to-khai-"+b.Code+".pdf", pdf)
}

// moveBookingForm makes a rescheduled booking's form expire with its new
// day (the answer is given already: a failure is logged).
func (s *Server) moveBookingForm(b queue.Booking, cfg queue.Centre) {
	ds, err := s.dossierStore()
	if err != nil {
		return
	}
	f, err := ds.Form(queue.DossierBooking(b.Code))
	if err == nil {
		f.Expires = queue.DossierExpires(cfg, b.Day)
		err = ds.PutForm(f)
	}
	if err != nil {
		s.log.Error("booking form's expiry after a reschedule", "centre", b.Centre, "err", err)
	}
}
