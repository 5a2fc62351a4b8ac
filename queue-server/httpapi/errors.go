package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"xephang/queue-server/queue"
)

// statusOf maps the domain's error codes to HTTP statuses: the one table.
var statusOf = map[string]int{
	queue.EBadRequest:     http.StatusBadRequest,
	queue.EInvalid:        http.StatusUnprocessableEntity,
	queue.ENotFound:       http.StatusNotFound,
	queue.EConflict:       http.StatusConflict,
	queue.EUnauthorized:   http.StatusUnauthorized,
	queue.EForbidden:      http.StatusForbidden,
	queue.ENoCurrent:      http.StatusConflict,
	queue.ECounterPaused:  http.StatusConflict,
	queue.ENoShowTooEarly: http.StatusConflict,
	queue.ERecallTooSoon:  http.StatusConflict,
	queue.ESlotFull:       http.StatusConflict,
	queue.ELimitReached:   http.StatusTooManyRequests,
	queue.EBookingBlocked: http.StatusTooManyRequests,
	queue.ECheckInClosed:  http.StatusConflict,
	queue.EChallenge:      http.StatusForbidden,
	queue.EKioskRevoked:   http.StatusForbidden,
	queue.EKioskPending:   http.StatusForbidden,
	queue.ETooLarge:       http.StatusRequestEntityTooLarge,
	queue.ERateLimited:    http.StatusTooManyRequests,
	queue.EUnavailable:    http.StatusServiceUnavailable,
	queue.EInternal:       http.StatusInternalServerError,
}

// ErrorBody is the JSON of every API error.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// english reports whether the request prefers English to Vietnamese.
func english(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if strings.HasPrefix(tag, "vi") {
			return false
		}
		if strings.HasPrefix(tag, "en") {
			return true
		}
	}
	return false
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var qe *queue.Error
	if !errors.As(err, &qe) {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		qe = queue.Errorf(queue.EInternal, "internal error", "lỗi hệ thống")
	}
	status, ok := statusOf[qe.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	var body ErrorBody
	body.Error.Code = qe.Code
	body.Error.Message = capitalise(qe.VI)
	if english(r) {
		body.Error.Message = capitalise(qe.EN)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// maxBody bounds request bodies.
const maxBody = 64 << 10

// decode reads a JSON body strictly: one object, known fields, within maxBody.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return queue.Errorf(queue.ETooLarge, "request body over %d bytes", "nội dung yêu cầu vượt quá %d byte", maxBody)
		}
		return queue.Errorf(queue.EBadRequest, "malformed JSON: %v", "JSON không hợp lệ: %v", err)
	}
	if dec.More() {
		return queue.Errorf(queue.EBadRequest, "malformed JSON: more than one value", "JSON không hợp lệ: có nhiều hơn một giá trị")
	}
	return nil
}

// capitalise starts a message with a capital letter, as a sentence shown
// to a citizen should.
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
