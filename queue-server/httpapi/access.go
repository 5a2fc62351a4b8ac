package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"xephang/queue-server/accounts"
	"xephang/queue-server/queue"
)

// The cells of the access table: what a role may do on a route.
const (
	// Allowed: served (clerks, kiosks and tablets within their own centre).
	Allowed = "yes"
	// Refused: 401 without a token, 403 with one.
	Refused = "no"
	// WithIDNumber: only with the citizen's CCCD number in the body, as
	// the citizen would.
	WithIDNumber = "with id_number"
	// PublicView: served as to anyone, without name, phone, ID digits or
	// pre-check.
	PublicView = "public view"
	// OwnCounter: only for tickets served at the tablet's own counter.
	OwnCounter = "own counter"
	// SignedLink: only through the signed link given to the citizen with
	// the booking (pdf_url, ics_url); the code alone is refused.
	SignedLink = "with signed link"
)

// Anonymous names the caller without a credential in the access table.
const Anonymous = "anonymous"

// AccessRoles are the table's columns, in order.
var AccessRoles = []string{queue.RoleAdmin, queue.RoleClerk, queue.RoleKiosk, queue.RoleRating, Anonymous}

// Access is one row of the access table: who may use a route, and whether
// the kiosks' mutual-TLS listener serves it.
type Access struct {
	Route string // "METHOD /path", as registered
	// Cells, one per role of AccessRoles.
	Admin, Clerk, Kiosk, Rating, Anonymous string
	// KioskTLS: also served on the kiosks' mutual-TLS listener, to kiosks
	// presenting their certificate; every other route answers 404 there.
	KioskTLS bool
}

// Cell returns the row's cell for a role of AccessRoles.
func (a Access) Cell(role string) string {
	switch role {
	case queue.RoleAdmin:
		return a.Admin
	case queue.RoleClerk:
		return a.Clerk
	case queue.RoleKiosk:
		return a.Kiosk
	case queue.RoleRating:
		return a.Rating
	}
	return a.Anonymous
}

func row(route, admin, clerk, kiosk, rating, anonymous string, kioskTLS bool) Access {
	return Access{Route: route, Admin: admin, Clerk: clerk, Kiosk: kiosk, Rating: rating, Anonymous: anonymous, KioskTLS: kioskTLS}
}

// accessTable is the least each role needs. The README's table is the same
// (a test compares them), and a test walks it route by route for every
// role. Personal data (name, phone, masked CCCD, pre-check) is shown only
// to admin and clerk.
var accessTable = func() []Access {
	const y, n = Allowed, Refused
	t := []Access{
		row("POST /api/v1/login", y, y, y, y, y, false),
		row("POST /api/v1/logout", y, y, y, y, y, false),
		row("GET /api/v1/me", y, y, y, y, n, false),
		row("GET /api/v1/users", y, n, n, n, n, false),
		row("PUT /api/v1/users/{username}", y, n, n, n, n, false),
		row("GET /api/v1/centres", y, y, y, y, y, false),
		row("GET /api/v1/centres/{centre}", y, y, y, y, y, true),
		row("PUT /api/v1/centres/{centre}", y, n, n, n, n, false),
		row("GET /api/v1/centres/{centre}/queue", y, y, y, y, y, true),
		row("GET /api/v1/centres/{centre}/events", y, y, y, y, y, true),
		row("GET /api/v1/centres/{centre}/tickets", y, y, n, n, n, false),
		row("POST /api/v1/centres/{centre}/tickets", y, y, y, n, n, true),
		row("GET /api/v1/centres/{centre}/audit", y, n, n, n, n, false),
		row("GET /api/v1/centres/{centre}/reports", y, n, n, n, n, false),
		row("GET /api/v1/tickets/{id}", y, y, PublicView, PublicView, PublicView, false),
		row("PUT /api/v1/tickets/{id}/precheck", y, y, y, n, n, true),
		row("POST /api/v1/tickets/{id}/rating", y, y, n, OwnCounter, n, false),
		row("POST /api/v1/centres/{centre}/counters/{n}/rating-tablet", y, y, n, n, n, false),
		row("GET /api/v1/challenge", y, y, y, y, y, false),
		row("GET /api/v1/centres/{centre}/slots", y, y, y, y, y, false),
		row("POST /api/v1/centres/{centre}/bookings", y, y, y, y, y, false),
		row("GET /api/v1/centres/{centre}/bookings", y, y, n, n, n, false),
		row("POST /api/v1/centres/{centre}/check-in", y, y, y, n, n, true),
		row("GET /api/v1/bookings/{code}", y, y, PublicView, PublicView, PublicView, false),
		row("POST /api/v1/bookings/{code}/cancel", y, y, WithIDNumber, WithIDNumber, WithIDNumber, false),
		row("POST /api/v1/bookings/{code}/reschedule", y, y, WithIDNumber, WithIDNumber, WithIDNumber, false),
		row("POST /api/v1/bookings/{code}/check-in", y, y, y, n, n, true),
		row("GET /api/v1/bookings/{code}/pdf", y, y, SignedLink, SignedLink, SignedLink, false),
		row("GET /api/v1/bookings/{code}/ics", y, y, SignedLink, SignedLink, SignedLink, false),
		row("POST /api/v1/enrollment-tokens", y, n, n, n, n, false),
		row("GET /api/v1/enrollment-tokens", y, n, n, n, n, false),
		row("DELETE /api/v1/enrollment-tokens/{id}", y, n, n, n, n, false),
		row("POST /api/v1/kiosks/enroll", y, y, y, y, y, false),
		row("POST /api/v1/kiosks/heartbeat", n, n, y, n, n, true),
		row("GET /api/v1/kiosks", y, n, n, n, n, false),
		row("POST /api/v1/kiosks/{id}/revoke", y, n, n, n, n, false),
		row("POST /api/v1/kiosks/{id}/approve", y, n, n, n, n, false),
		row("POST /api/v1/kiosks/renew", n, n, y, n, n, true),
		row("POST /api/v1/centres/{centre}/number-blocks", n, n, y, n, n, true),
		row("GET /api/v1/centres/{centre}/number-blocks", n, n, y, n, n, true),
		row("POST /api/v1/centres/{centre}/tickets/void", n, n, y, n, n, true),
		row("POST /api/v1/centres/{centre}/online-tickets", y, y, n, n, y, false),
		row("PUT /api/v1/tickets/{id}/notify", y, y, y, n, y, false),
		row("DELETE /api/v1/tickets/{id}/notify", y, y, y, n, y, false),
		row("PUT /api/v1/bookings/{code}/notify", y, y, WithIDNumber, WithIDNumber, WithIDNumber, false),
		row("DELETE /api/v1/bookings/{code}/notify", y, y, WithIDNumber, WithIDNumber, WithIDNumber, false),
		row("GET /api/v1/push/key", y, y, y, y, y, false),
		row("POST /api/v1/webhooks", y, n, n, n, n, false),
		row("GET /api/v1/centres/{centre}/webhooks", y, n, n, n, n, false),
		row("POST /api/v1/webhooks/{id}/test", y, n, n, n, n, false),
		row("GET /api/v1/centres/{centre}/webhooks/{id}/deliveries", y, n, n, n, n, false),
		row("DELETE /api/v1/webhooks/{id}", y, n, n, n, n, false),
		row("GET /api/v1/centres/{centre}/messages", y, n, n, n, n, false),
		row("POST /api/v1/centres/{centre}/close-day", y, n, n, n, n, false),
		row("GET /api/v1/centres/{centre}/alerts", y, y, n, n, n, false),
		// The forecast and staffing plan are the manager's (the admin:
		// accounts have no manager role); clerks of the centre see the
		// next day's busiest hours. Aggregate counts only.
		row("GET /api/v1/centres/{centre}/forecast", y, n, n, n, n, false),
		row("GET /api/v1/centres/{centre}/forecast/busiest", y, y, n, n, n, false),
		row("GET /api/v1/centres/{centre}/forecast.pdf", y, n, n, n, n, false),
		row("GET /api/v1/forms", y, y, y, y, y, false),
		row("GET /api/v1/forms/{procedure}", y, y, y, y, y, false),
		// Dossiers: staff of the ticket's centre read and correct them;
		// its kiosks write forms and documents but read nothing back.
		row("PUT /api/v1/tickets/{id}/form", y, y, y, n, n, true),
		row("GET /api/v1/tickets/{id}/form", y, y, n, n, n, false),
		row("GET /api/v1/tickets/{id}/form.pdf", y, y, n, n, n, false),
		row("PUT /api/v1/bookings/{code}/form", y, y, SignedLink, SignedLink, SignedLink, false),
		row("GET /api/v1/bookings/{code}/form", y, y, SignedLink, SignedLink, SignedLink, false),
		row("GET /api/v1/bookings/{code}/form.pdf", y, y, SignedLink, SignedLink, SignedLink, false),
		row("POST /api/v1/tickets/{id}/documents", y, y, y, n, n, true),
		row("GET /api/v1/tickets/{id}/documents/{doc}", y, y, n, n, n, false),
		row("PATCH /api/v1/tickets/{id}/documents/{doc}", y, y, n, n, n, false),
		row("GET /api/v1/tickets/{id}/dossier", y, y, n, n, n, false),
		row("POST /api/v1/tickets/{id}/dossier/confirm", y, y, n, n, n, false),
		row("GET /api/v1/tickets/{id}/dossier.zip", y, y, n, n, n, false),
		// A ticket's identity read from a CCCD's chip: sent by a kiosk of
		// the ticket's centre or a clerk's counter scanner, read by staff
		// of the centre (the face too), by nobody else.
		row("PUT /api/v1/tickets/{id}/identity", n, y, y, n, n, true),
		row("GET /api/v1/tickets/{id}/identity", y, y, n, n, n, false),
		row("GET /api/v1/tickets/{id}/identity/face", y, y, n, n, n, false),
		// Procedure guidance: the catalogue and its answers are public (the
		// province's portal reads them); the questions asked are counted
		// from anyone (kiosks, the booking page), and read by the admin.
		row("GET /api/v1/procedures", y, y, y, y, y, false),
		row("GET /api/v1/procedures/{id}", y, y, y, y, y, false),
		row("POST /api/v1/centres/{centre}/procedure-questions", y, y, y, y, y, false),
		row("GET /api/v1/centres/{centre}/procedure-questions", y, n, n, n, n, false),
	}
	for _, a := range counterActions {
		t = append(t, row("POST /api/v1/centres/{centre}/counters/{n}/"+a, y, y, n, n, n, false))
	}
	return append(t,
		row("GET /healthz", y, y, y, y, y, true),
		row("GET /readyz", y, y, y, y, y, false),
		row("GET /metrics", y, y, y, y, y, false),
	)
}()

// AccessTable returns the access table (route × role).
func AccessTable() []Access { return slices.Clone(accessTable) }

// AccessMarkdown renders the access table as the README shows it.
func AccessMarkdown() string {
	var b strings.Builder
	b.WriteString("| route | " + strings.Join(AccessRoles, " | ") + " | kiosk TLS |\n")
	b.WriteString("| --- |" + strings.Repeat(" --- |", len(AccessRoles)+1) + "\n")
	for _, a := range accessTable {
		b.WriteString("| `" + a.Route + "` |")
		for _, role := range AccessRoles {
			b.WriteString(" " + a.Cell(role) + " |")
		}
		if a.KioskTLS {
			b.WriteString(" yes |\n")
		} else {
			b.WriteString(" no |\n")
		}
	}
	return b.String()
}

// guard enforces a row: a route closed to anonymous callers requires one
// of the roles it allows; a public route refuses the accounts whose cell
// is Refused (a kiosk or tablet token gets no more than the public, and
// sometimes less). The finer cells (WithIDNumber, PublicView, OwnCounter)
// are the handlers' to enforce.
func (s *Server) guard(a Access, h http.HandlerFunc) http.HandlerFunc {
	var allowed, refused []string
	for _, role := range AccessRoles[:len(AccessRoles)-1] {
		if a.Cell(role) == Refused {
			refused = append(refused, role)
		} else {
			allowed = append(allowed, role)
		}
	}
	if a.Anonymous == Refused {
		return s.require(allowed, h)
	}
	if len(refused) == 0 {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if u, err := s.authenticate(r); err == nil && slices.Contains(refused, u.Role) {
			s.writeError(w, r, queue.Errorf(queue.EForbidden, "your account (%s) may not do this", "tài khoản của bạn (%s) không có quyền này", u.Role))
			return
		}
		h(w, r)
	}
}

type kioskTLSKey struct{}

// onKioskTLS reports whether a request came through the kiosks' mutual-TLS
// listener, whose only credential is the verified client certificate.
func onKioskTLS(r *http.Request) bool { return r.Context().Value(kioskTLSKey{}) != nil }

// kioskTLSUser is the kiosk that viaKioskTLS identified by its certificate.
func kioskTLSUser(r *http.Request) (queue.User, bool) {
	u, ok := r.Context().Value(kioskTLSKey{}).(queue.User)
	return u, ok
}

// viaKioskTLS admits a request on the kiosk listener only with a client
// certificate that TLS verified against the kiosk CA and that names a
// usable kiosk. The listener's TLS configuration already refuses a
// handshake without one; this holds even if it were served otherwise.
func (s *Server) viaKioskTLS(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.PeerCertificates) == 0 {
			s.writeError(w, r, accounts.ErrUnauthorized)
			return
		}
		u, err := s.authenticateKioskCert(r.TLS.PeerCertificates[0])
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), kioskTLSKey{}, u)))
	}
}

// KioskHandler serves the kiosks' mutual-TLS listener: the routes of the
// access table marked KioskTLS, to kiosks only; everything else is 404.
func (s *Server) KioskHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// 404 also for a path served with another method: nothing on this
		// listener tells which other routes exist.
		if _, pattern := s.kmux.Handler(r); pattern == "" {
			s.writeError(w, r, queue.Errorf(queue.ENotFound, "not served on the kiosk listener", "không phục vụ trên cổng dành cho ki-ốt"))
			return
		}
		s.kmux.ServeHTTP(w, s.withClientAddr(r))
	})
}
