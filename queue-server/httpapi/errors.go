package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
	"xephang/queue-server/strictjson"
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
	queue.EOutsideHours:   http.StatusConflict,
	queue.EChallenge:      http.StatusForbidden,
	queue.EKioskRevoked:   http.StatusForbidden,
	queue.EKioskPending:   http.StatusForbidden,
	queue.ETooLarge:       http.StatusRequestEntityTooLarge,
	queue.ERateLimited:    http.StatusTooManyRequests,
	queue.EUnavailable:    http.StatusServiceUnavailable,
	queue.EInternal:       http.StatusInternalServerError,
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
	switch {
	case errors.As(err, &qe):
	case r.Context().Err() != nil && errors.Is(err, r.Context().Err()):
		// The client went away (closed the connection, or its own
		// deadline): not the server's fault, nothing for an operator to
		// do. Counted, logged at debug; the answer goes nowhere.
		s.log.Debug("client gone before the answer", "method", r.Method, "path", r.URL.Path, "err", err)
		if s.metrics != nil {
			s.metrics.clientGone.Inc()
		}
		qe = queue.Errorf(queue.EUnavailable, "the request was cancelled", "yêu cầu đã bị huỷ")
	case errors.Is(err, context.DeadlineExceeded):
		// Our own time limit: the store is too slow. An operator should
		// know, but one slow request is not an error of the service.
		s.log.Warn("request timed out waiting for the store", "method", r.Method, "path", r.URL.Path, "limit", requestTimeout)
		qe = queue.Errorf(queue.EUnavailable, "the service is busy: try again", "hệ thống đang bận: vui lòng thử lại")
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		qe = queue.Errorf(queue.EInternal, "internal error", "lỗi hệ thống")
	}
	status, ok := statusOf[qe.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	var body apiv1.ErrorBody
	body.Error.Code = qe.Code
	body.Error.Field = qe.Field
	body.Error.Message = queue.Sentence(qe.VI)
	if english(r) {
		body.Error.Message = queue.Sentence(qe.EN)
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

// decode reads a JSON body strictly: one object, known fields, within
// maxBody, each key once and in its exact case (package strictjson).
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeLimit(w, r, v, maxBody)
}

// decodeLimit is decode with another bound on the body.
func decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return queue.Errorf(queue.ETooLarge, "request body over %d bytes", "nội dung yêu cầu vượt quá %d byte", limit)
		}
		return queue.Errorf(queue.EBadRequest, "the request body could not be read", "không đọc được nội dung yêu cầu")
	}
	if err := strictjson.Unmarshal(raw, v); err != nil {
		return decodeError(err)
	}
	return nil
}

// decodeError says what is wrong with a body in the words of the API (its
// JSON names, not the server's Go types), in both languages, naming the
// field at fault when there is one.
func decodeError(err error) *queue.Error {
	var (
		tooBig *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		strict *strictjson.Error
		b64    base64.CorruptInputError
	)
	switch {
	case errors.As(err, &strict):
		switch strict.Problem {
		case strictjson.Duplicate:
			return queue.Errorf(queue.EBadRequest, "field %q is given twice", "trường %q xuất hiện hai lần", strict.Path).At(strict.Path)
		case strictjson.Case:
			return queue.Errorf(queue.EBadRequest, "unknown field %q: field names are case-sensitive, did you mean %q?", "trường không được hỗ trợ %q: tên trường phân biệt chữ hoa, chữ thường; có phải là %q?", strict.Path, strict.Want).At(strict.Path)
		case strictjson.Unknown:
			return queue.Errorf(queue.EBadRequest, "unknown field %q", "trường không được hỗ trợ %q", strict.Path).At(strict.Path)
		}
		return queue.Errorf(queue.EBadRequest, "malformed JSON: more than one value", "JSON không hợp lệ: có nhiều hơn một giá trị")
	case errors.As(err, &b64):
		return queue.Errorf(queue.EBadRequest, "malformed base64 at byte %d of a field (bytes are sent as standard base64)", "dữ liệu base64 không hợp lệ ở byte %d của một trường (dữ liệu nhị phân được gửi dạng base64 chuẩn)", int64(b64))
	case errors.As(err, &tooBig):
		return queue.Errorf(queue.ETooLarge, "request body over %d bytes", "nội dung yêu cầu vượt quá %d byte", maxBody)
	case errors.Is(err, io.EOF):
		return queue.Errorf(queue.EBadRequest, "the request body is empty: send a JSON object", "nội dung yêu cầu trống: hãy gửi một đối tượng JSON")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return queue.Errorf(queue.EBadRequest, "malformed JSON: the body ends before the object does", "JSON không hợp lệ: nội dung kết thúc trước khi đối tượng kết thúc")
	case errors.As(err, &syntax):
		return queue.Errorf(queue.EBadRequest, "malformed JSON at byte %[1]d: %[2]v", "JSON không hợp lệ ở byte %[1]d", syntax.Offset, syntax)
	case errors.As(err, &typ):
		want, got := jsonKind(typ.Type), typ.Value
		if f := strings.Fields(got); len(f) > 0 {
			got = f[0] // "number -5" → "number"
		}
		if want == got { // a number out of the field's range, or with a fraction
			num := strings.TrimPrefix(typ.Value, "number ")
			if typ.Field == "" {
				return queue.Errorf(queue.EBadRequest, "the body %[1]s is out of range: a whole number is expected", "nội dung %[1]s không hợp lệ: cần một số nguyên trong khoảng cho phép", num)
			}
			return queue.Errorf(queue.EBadRequest, "field %[1]q: %[2]s is out of range (a whole number is expected)", "trường %[1]q: giá trị %[2]s không hợp lệ (cần một số nguyên trong khoảng cho phép)", typ.Field, num).At(typ.Field)
		}
		if typ.Field == "" { // the body itself
			return queue.Errorf(queue.EBadRequest, "the body must be a JSON %[1]s, not %[2]s", "nội dung phải là %[3]s JSON, không phải %[4]s", want, got, jsonKindVI[want], jsonKindVI[got])
		}
		return queue.Errorf(queue.EBadRequest, "field %[1]q must be a %[2]s, not %[3]s", "trường %[1]q phải là %[4]s, không phải %[5]s", typ.Field, want, got, jsonKindVI[want], jsonKindVI[got]).At(typ.Field)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return queue.Errorf(queue.EBadRequest, "unknown field %q", "trường không được hỗ trợ %q", name).At(name)
	}
	return &queue.Error{Code: queue.EBadRequest, EN: "malformed JSON: " + err.Error(), VI: "JSON không hợp lệ"}
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "string"
		}
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.Kind().String()
}

// jsonKindVI is how a JSON kind (as encoding/json names a value it found,
// or jsonKind a type) reads in Vietnamese.
var jsonKindVI = map[string]string{
	"string": "chuỗi", "number": "số", "bool": "giá trị đúng/sai", "boolean": "giá trị đúng/sai",
	"array": "mảng", "object": "đối tượng", "null": "null",
}
