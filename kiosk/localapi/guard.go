package localapi

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"xephang/kiosk/flow"
)

// The local API listens on loopback, but the kiosk's own browser (or a
// visitor's laptop, through DNS rebinding) may load any web page, and that
// page may send requests to 127.0.0.1. Every request must therefore show
// that it comes from the kiosk's own pages:
//
//   - Host names this server by a loopback name and the port the request
//     came in on (a rebinding attacker's page sends its own host name);
//   - Origin, when present, is this server's own (a foreign page's
//     requests carry its origin; "null" is a sandboxed or file page);
//   - Sec-Fetch-Site, when the browser sends it, is same-origin or none
//     (a foreign page's <img>, <script> or form GETs carry no Origin);
//   - a request with a body declares it as application/json, which a
//     foreign page cannot send without a CORS preflight this server never
//     answers.

var (
	errForeignHost = &flow.Error{Code: "forbidden_host",
		VI: "Địa chỉ máy chủ (Host) không phải của ki-ốt này.",
		EN: "The Host header does not name this kiosk."}
	errForeignOrigin = &flow.Error{Code: "forbidden_origin",
		VI: "Yêu cầu đến từ một trang web không phải của ki-ốt.",
		EN: "The request comes from a page that is not the kiosk's own."}
	errNotJSON = &flow.Error{Code: "unsupported_media_type",
		VI: "Nội dung yêu cầu phải là JSON (Content-Type: application/json).",
		EN: "The request body must be JSON (Content-Type: application/json)."}
)

// localPort is the port the request came in on: the listener's, from the
// connection; else the configured address's (a handler called directly).
func (s *Server) localPort(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			return port
		}
	}
	if _, port, err := net.SplitHostPort(s.cfg.Addr); err == nil && port != "0" {
		return port
	}
	return ""
}

// OwnHost reports whether host (a Host header) names this kiosk on port:
// 127.0.0.1, localhost or [::1] with that port (or none for port 80).
func OwnHost(host, port string) bool {
	if port == "" || host == "" {
		return false
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		// No port: only the default one, and no brackets or colons left.
		if strings.ContainsAny(host, ":[]") {
			return false
		}
		h, p = host, "80"
	}
	if n, err := strconv.Atoi(p); err != nil || strconv.Itoa(n) != p || p != port {
		return false
	}
	// [::1] only in brackets, the names only without.
	if strings.HasPrefix(host, "[") {
		return h == "::1"
	}
	h = strings.ToLower(h)
	return h == "127.0.0.1" || h == "localhost"
}

// OwnOrigin reports whether origin (an Origin header) is one of this
// kiosk's own: http, a loopback name, port, and nothing else.
func OwnOrigin(origin, port string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		(u.Path != "" && u.Path != "/") {
		return false
	}
	return OwnHost(u.Host, port)
}

// hasBody reports whether the request carries a body.
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 || len(r.TransferEncoding) > 0
}

// isJSON reports whether a Content-Type header is application/json.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// guard says why a request must be refused, or nil.
func (s *Server) guard(r *http.Request) *flow.Error {
	port := s.localPort(r)
	if !OwnHost(r.Host, port) {
		return errForeignHost
	}
	if o, ok := r.Header["Origin"]; ok && (len(o) != 1 || !OwnOrigin(o[0], port)) {
		return errForeignOrigin
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return errForeignOrigin
	}
	if hasBody(r) && !isJSON(r.Header.Get("Content-Type")) {
		return errNotJSON
	}
	return nil
}

// checkOrigin is the WebSocket upgrade's check: the same as every request's.
func (s *Server) checkOrigin(r *http.Request) bool { return s.guard(r) == nil }
