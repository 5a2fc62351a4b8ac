package ipp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
)

// The classes of a failure; errors.Is tells them apart.
var (
	// ErrUnreachable: no answer from the printer (connection refused,
	// no route, name not found, timeout, TLS handshake).
	ErrUnreachable = errors.New("ipp: printer unreachable")
	// ErrRefused: the printer answered, with an IPP or HTTP error; the
	// error is a *StatusError.
	ErrRefused = errors.New("ipp: request refused")
	// ErrNotAccepting: the printer is up but does not take jobs now
	// (printer-is-accepting-jobs false, or server-error-not-accepting-jobs).
	ErrNotAccepting = errors.New("ipp: printer not accepting jobs")
	// ErrProtocol: the answer is not an IPP response to the request.
	ErrProtocol = errors.New("ipp: not an IPP answer")
)

// Status codes this package names (RFC 8011 §B, PWG 5100.x).
const (
	StatusOK                  = 0x0000
	StatusBadRequest          = 0x0400
	StatusForbidden           = 0x0401
	StatusNotAuthenticated    = 0x0402
	StatusNotAuthorized       = 0x0403
	StatusNotPossible         = 0x0404
	StatusNotFound            = 0x0406
	StatusRequestTooLarge     = 0x0409
	StatusFormatNotSupported  = 0x040a
	StatusAttributesNotSupp   = 0x040b
	StatusCompressionNotSupp  = 0x040f
	StatusDocumentFormatError = 0x0410
	StatusInternalError       = 0x0500
	StatusOperationNotSupp    = 0x0501
	StatusServiceUnavailable  = 0x0502
	StatusVersionNotSupported = 0x0503
	StatusDeviceError         = 0x0504
	StatusTemporaryError      = 0x0505
	StatusNotAccepting        = 0x0506
	StatusBusy                = 0x0507
)

var statusNames = map[int]string{
	StatusOK: "successful-ok", 0x0001: "successful-ok-ignored-or-substituted-attributes",
	0x0002: "successful-ok-conflicting-attributes", StatusBadRequest: "client-error-bad-request",
	StatusForbidden: "client-error-forbidden", StatusNotAuthenticated: "client-error-not-authenticated",
	StatusNotAuthorized: "client-error-not-authorized", StatusNotPossible: "client-error-not-possible",
	0x0405: "client-error-timeout", StatusNotFound: "client-error-not-found", 0x0407: "client-error-gone",
	0x0408: "client-error-request-entity-too-large", StatusRequestTooLarge: "client-error-request-value-too-long",
	StatusFormatNotSupported: "client-error-document-format-not-supported",
	StatusAttributesNotSupp:  "client-error-attributes-or-values-not-supported", 0x040c: "client-error-uri-scheme-not-supported",
	0x040d: "client-error-charset-not-supported", 0x040e: "client-error-conflicting-attributes",
	StatusCompressionNotSupp: "client-error-compression-not-supported", StatusDocumentFormatError: "client-error-document-format-error",
	0x0411: "client-error-document-access-error", StatusInternalError: "server-error-internal-error",
	StatusOperationNotSupp: "server-error-operation-not-supported", StatusServiceUnavailable: "server-error-service-unavailable",
	StatusVersionNotSupported: "server-error-version-not-supported", StatusDeviceError: "server-error-device-error",
	StatusTemporaryError: "server-error-temporary-error", StatusNotAccepting: "server-error-not-accepting-jobs",
	StatusBusy: "server-error-busy", 0x0508: "server-error-job-canceled",
}

// StatusName is the keyword of an IPP status code (RFC 8011 §B).
func StatusName(code int) string {
	if s, ok := statusNames[code]; ok {
		return s
	}
	return fmt.Sprintf("status-%#04x", code)
}

// StatusError is an error answer: an IPP status code (HTTPStatus 200),
// or an HTTP status with no IPP in it (Code 0).
type StatusError struct {
	Op         string // the operation: Print-Job, …
	Code       int    // IPP status-code
	Message    string // the printer's status-message, if it gave one
	HTTPStatus int
	// Unsupported names the attributes the printer listed in the
	// unsupported-attributes group of its answer.
	Unsupported []string
}

// FormatRefused reports whether the printer refused the document's
// format: client-error-document-format-not-supported, or (as CUPS's
// ippeveprinter answers) attributes-or-values-not-supported naming
// document-format.
func (e *StatusError) FormatRefused() bool {
	return e.Code == StatusFormatNotSupported ||
		(e.Code == StatusAttributesNotSupp && slices.Contains(e.Unsupported, "document-format"))
}

func (e *StatusError) Error() string {
	if e.Code == 0 && e.HTTPStatus != 200 {
		return fmt.Sprintf("ipp: %s: HTTP %d", e.Op, e.HTTPStatus)
	}
	s := fmt.Sprintf("ipp: %s: %s", e.Op, StatusName(e.Code))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is makes a StatusError ErrRefused, and ErrNotAccepting too when that
// is what it says.
func (e *StatusError) Is(target error) bool {
	return target == ErrRefused || (target == ErrNotAccepting && e.Code == StatusNotAccepting)
}

// badCertificate reports whether err is a TLS certificate the client
// does not trust (or that names another host).
func badCertificate(err error) bool {
	var ve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ie x509.CertificateInvalidError
	return errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ie)
}

// Describe says in Vietnamese, for the kiosk's screen and a technician,
// what an error of this package means.
func Describe(err error) string {
	var se *StatusError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnreachable) && badCertificate(err):
		return "Không kết nối được máy in A4: chứng chỉ TLS của máy in không được tin cậy hoặc không đúng tên máy"
	case errors.Is(err, ErrUnreachable):
		return "Không kết nối được máy in A4: máy tắt, mất mạng hoặc sai địa chỉ"
	case errors.Is(err, ErrNotAccepting):
		return "Máy in A4 đang tạm dừng, không nhận lệnh in"
	case errors.As(err, &se) && se.FormatRefused():
		return "Máy in A4 không in được tệp PDF (không hỗ trợ định dạng application/pdf)"
	case errors.As(err, &se) && (se.Code == StatusNotAuthenticated || se.Code == StatusNotAuthorized || se.Code == StatusForbidden || se.HTTPStatus == 401 || se.HTTPStatus == 403):
		return "Máy in A4 từ chối lệnh in: cần đăng nhập hoặc không được phép"
	case errors.As(err, &se) && (se.Code == StatusBusy || se.Code == StatusServiceUnavailable || se.Code == StatusTemporaryError):
		return "Máy in A4 đang bận, vui lòng thử lại sau"
	case errors.Is(err, ErrRefused):
		return "Máy in A4 từ chối lệnh in"
	case errors.Is(err, ErrProtocol):
		return "Địa chỉ máy in A4 không phải máy in IPP"
	}
	return "Máy in A4 gặp lỗi"
}
