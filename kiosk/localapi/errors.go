package localapi

import (
	"errors"
	"net/http"
	"strings"

	"xephang/kiosk/flow"
	"xephang/queue-server/apiv1"
)

// statuses is the HTTP status of each refusal, by its code: the flows'
// (kiosk/flow, errors.go) and the local API's own. One table: the flows
// say what happened, this says how HTTP tells it.
var statuses = map[string]int{
	// The flows.
	"not_ready":              http.StatusServiceUnavailable,
	"no_numbers":             http.StatusServiceUnavailable,
	"check_in_offline":       http.StatusServiceUnavailable,
	"kiosk_pending":          http.StatusServiceUnavailable,
	"out_of_service":         http.StatusServiceUnavailable,
	"printer":                http.StatusServiceUnavailable,
	"print_failed":           http.StatusServiceUnavailable,
	"checklist_print_failed": http.StatusServiceUnavailable,
	"scanner":                http.StatusServiceUnavailable,
	"precheck_unavailable":   http.StatusServiceUnavailable,
	"busy":                   http.StatusConflict,
	"outside_hours":          http.StatusConflict,
	"no_precheck":            http.StatusConflict,
	"choose_service":         http.StatusConflict,
	"priority_needs_card":    http.StatusForbidden,
	"unknown_service":        http.StatusNotFound,
	"unknown_procedure":      http.StatusNotFound,
	"invalid_priority":       http.StatusBadRequest,
	"invalid_code":           http.StatusBadRequest,
	"no_pages":               http.StatusUnprocessableEntity,
	"forms_unavailable":      http.StatusServiceUnavailable,
	"a4_print_failed":        http.StatusServiceUnavailable,
	"no_a4_printer":          http.StatusConflict,
	"unknown_form":           http.StatusNotFound,
	"invalid_form":           http.StatusUnprocessableEntity,
	"form_render":            http.StatusInternalServerError,
	"internal":               http.StatusInternalServerError,
	"precheck":               http.StatusInternalServerError,
	"server":                 http.StatusBadGateway,
	// The local API's own.
	"forbidden_host":         http.StatusForbidden,
	"forbidden_origin":       http.StatusForbidden,
	"unsupported_media_type": http.StatusUnsupportedMediaType,
	"invalid_json":           http.StatusBadRequest,
	"invalid":                http.StatusBadRequest,
	"not_found":              http.StatusNotFound,
	"flow":                   http.StatusConflict,
}

// The local API's own refusals (the guard's are in guard.go).
var (
	errInternal       = &flow.Error{Code: "internal", VI: "Có lỗi xảy ra, vui lòng thử lại.", EN: "Something went wrong, please try again."}
	errNoPath         = &flow.Error{Code: "not_found", VI: "Không có địa chỉ này.", EN: "No such path."}
	errNoProcedure    = &flow.Error{Code: "invalid", VI: "Vui lòng chọn thủ tục.", EN: "Please choose a procedure."}
	errNoResult       = &flow.Error{Code: "no_precheck", VI: "Chưa có kết quả kiểm tra hồ sơ.", EN: "No dossier check yet."}
	errSampleCard     = &flow.Error{Code: "invalid", VI: "Loại thẻ mẫu: adult, elderly, mrz, bad, chip-altered, chip-unknown, chip-cloned.", EN: "Sample card kinds: adult, elderly, mrz, bad, chip-altered, chip-unknown, chip-cloned."}
	errNothingPrinted = &flow.Error{Code: "not_found", VI: "Chưa in vé nào.", EN: "Nothing printed yet."}
)

// status is the HTTP status of err: a refusal of the server passed on by
// a flow keeps the server's status when it is the client's fault (else
// 502); the others are looked up by code (400 for a code not in the
// table); anything that is not a refusal is a 500.
func status(err error) int {
	var fe *flow.Error
	if !errors.As(err, &fe) {
		return http.StatusInternalServerError
	}
	var ae *apiv1.APIError
	if errors.As(fe.Err, &ae) {
		if ae.Status < 400 || ae.Status > 499 {
			return http.StatusBadGateway
		}
		return ae.Status
	}
	if s, ok := statuses[fe.Code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// writeError writes {"error":{"code","message"}} in the request's
// language, with err's status.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	writeErrorStatus(w, r, status(err), err)
}

// writeErrorStatus is writeError with a status of the handler's choosing.
func writeErrorStatus(w http.ResponseWriter, r *http.Request, status int, err error) {
	var fe *flow.Error
	if !errors.As(err, &fe) {
		fe = errInternal
	}
	msg := fe.VI
	if english(r) {
		msg = fe.EN
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": fe.Code, "message": msg}})
}

// english reports whether the page asked for English.
func english(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "en")
}
