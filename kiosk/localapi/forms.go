package localapi

import (
	"context"
	"io"
	"net/http"
	"time"

	"xephang/kiosk/flow"
	"xephang/queue-server/forms"
	"xephang/queue-server/strictjson"
)

// The form routes: the forms, one to fill (prefilled from the card read in
// this session), its values checked as typed, printed on the A4 printer,
// or sent with a number.

// maxFormBody bounds a form's values (the longest forms have some forty
// fields of up to 200 characters).
const maxFormBody = 64 << 10

// FormValues is POST /api/forms/{procedure}/check and /print.
type FormValues struct {
	Values map[string]string `json:"values"`
}

// FormTicketRequest is POST /api/forms/{procedure}/ticket.
type FormTicketRequest struct {
	Values   map[string]string `json:"values"`
	Service  string            `json:"service,omitempty"`
	Priority string            `json:"priority,omitempty"`
}

// FormCheck is the answer of /check: each field's error, [] when none.
type FormCheck struct {
	Errors []forms.FieldError `json:"errors"`
}

// FormPrinted is the answer of /print.
type FormPrinted struct {
	Printed bool `json:"printed"`
}

// decodeForm reads a form body strictly, at most maxFormBody.
func decodeForm(w http.ResponseWriter, r *http.Request, v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBody))
	if err == nil {
		err = strictjson.Unmarshal(raw, v)
	}
	if err != nil {
		return &flow.Error{Code: "invalid_json", VI: "Yêu cầu không hợp lệ.", EN: "Invalid request: " + err.Error()}
	}
	return nil
}

func (s *Server) handleForms(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Kiosk.Forms())
}

func (s *Server) handleForm(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Kiosk.FormToFill(r.PathValue("procedure"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the card's values
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleFormCheck(w http.ResponseWriter, r *http.Request) {
	var req FormValues
	if err := decodeForm(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	errs, err := s.cfg.Kiosk.CheckForm(r.PathValue("procedure"), req.Values)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.cfg.Kiosk.Machine.Touch()
	writeJSON(w, http.StatusOK, FormCheck{Errors: errs})
}

func (s *Server) handleFormPrint(w http.ResponseWriter, r *http.Request) {
	var req FormValues
	if err := decodeForm(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	if err := s.cfg.Kiosk.PrintForm(ctx, r.PathValue("procedure"), req.Values); err != nil {
		writeFormError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, FormPrinted{Printed: true})
}

func (s *Server) handleFormTicket(w http.ResponseWriter, r *http.Request) {
	var req FormTicketRequest
	if err := decodeForm(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	p, err := s.cfg.Kiosk.FormTicket(ctx, r.PathValue("procedure"), req.Values, req.Service, req.Priority)
	if err != nil {
		writeFormError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// writeFormError is writeError that also lists each field's error when
// the values did not pass (422 {"error":{…},"errors":[…]}).
func writeFormError(w http.ResponseWriter, r *http.Request, err error) {
	fi, ok := flow.AsFormInvalid(err)
	if !ok {
		writeError(w, r, err)
		return
	}
	msg := fi.Refusal.VI
	if english(r) {
		msg = fi.Refusal.EN
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"error":  map[string]string{"code": fi.Refusal.Code, "message": msg},
		"errors": fi.Fields,
	})
}
