// Package httpapi serves queue-server's HTTP and WebSocket API (the v1
// contract, docs/openapi.yaml): handlers that decode, authorise, call the
// engine and the domain, and encode. The wire types and the Go client of the
// same API are the contract package, apiv1.
package httpapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"xephang/queue-server/accounts"
	"xephang/queue-server/ca"
	"xephang/queue-server/engine"
	"xephang/queue-server/forms"
	"xephang/queue-server/procedures"
	"xephang/queue-server/queue"
)

// Config configures a Server.
type Config struct {
	Engine *engine.Engine
	Hub    *engine.Hub
	Store  queue.Store
	// ReportStore is where reports read tickets and bookings (a replica
	// of a PostgreSQL primary); nil: Store.
	ReportStore queue.Store
	Log         *slog.Logger
	Metrics     *Metrics     // nil: no metrics
	UI          http.Handler // the embedded pages; nil: none
	TokenTTL    time.Duration
	Now         func() time.Time
	// Ready says why the server should not take traffic (for /readyz):
	// nil when it should.
	Ready func() error
	// Secret keys the hashes of CCCD numbers and signs anti-bot challenges
	// and document links; kept in a key file apart from the store (see
	// package keyfile) so hashes match across restarts and a copy of the
	// store alone cannot test guesses; nil: a random one (tests).
	Secret []byte
	// CA signs kiosk certificates (mutual TLS); nil: kiosks use bearer
	// credentials only.
	CA *ca.Authority
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (every per-address limit); none by default.
	TrustedProxies TrustedProxies
	// StreamsPerAddr bounds the event streams open at once from one
	// address; zero means DefaultStreamsPerAddr.
	StreamsPerAddr int
	// Limits keeps the per-address limits and the delays of failed
	// sign-ins; servers behind one load balancer share one (package
	// pglimits) so that each client has one allowance among them. Nil:
	// this process's memory (one server). See Server.limited and
	// handleLogin for what a failing one does to a request.
	Limits Limits
	// PushPublicKey returns the server's Web Push (VAPID) public key,
	// unpadded base64url, for GET /api/v1/push/key; nil or "": no Web Push.
	PushPublicKey func() string
	// AllowPrivateWebhooks lets webhooks post to plain http and to
	// private or loopback addresses (a lab, tests); off in production.
	AllowPrivateWebhooks bool
	// Dossiers keeps the forms and documents of tickets and bookings;
	// nil: Store, when it keeps them (both stores of the project do).
	Dossiers queue.Dossiers
	// Forms are the forms the server knows; nil: forms.Default().
	Forms *forms.Set
	// Procedures is the catalogue of procedures questions are answered
	// from; nil: procedures.Default().
	Procedures *procedures.Catalogue
	// HistoryBudget bounds how long the first forecast of an hour may read
	// a centre's history (up to a year of tickets); zero means
	// DefaultHistoryBudget. Past it the forecast learns from the most
	// recent days read, and says so.
	HistoryBudget time.Duration
	// BcryptCost of new password hashes; zero means accounts.BcryptCost. Tests use
	// bcrypt.MinCost: the race detector makes the real cost seconds.
	BcryptCost int
}

// Server serves the API.
type Server struct {
	eng     *engine.Engine
	hub     *engine.Hub
	store   queue.Store
	reports queue.Store // what reports read
	log     *slog.Logger
	metrics *Metrics
	ui      http.Handler
	ttl     time.Duration
	now     func() time.Time
	ready   func() error
	proxies TrustedProxies
	// limits: the anonymous endpoints' token buckets per address and the
	// growing delays of failed sign-ins per account and per address;
	// localLimits stands in for a shared one that fails, for sign-ins.
	limits      Limits
	localLimits *MemoryLimits
	knownAddrs  knownAddrs
	secret      []byte
	ca          *ca.Authority
	bcryptCost  int
	pushKey     func() string
	privateHook bool
	pow         powState
	streams     *streamLimit
	sessions    sessionCache
	dossiers    queue.Dossiers
	forms       *forms.Set
	procedures  *procedures.Catalogue
	reportSlot  chan struct{}
	forecasts   forecastCache
	// historyBudget: Config.HistoryBudget.
	historyBudget time.Duration
	mux           *http.ServeMux
	kmux          *http.ServeMux // the kiosks' mutual-TLS listener
	routes        []string
}

// requestTimeout bounds how long a request may wait for the engine.
const requestTimeout = 10 * time.Second

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{
		eng: cfg.Engine, hub: cfg.Hub, store: cfg.Store, log: cfg.Log, metrics: cfg.Metrics, ui: cfg.UI,
		ttl: cfg.TokenTTL, now: cfg.Now, ready: cfg.Ready, mux: http.NewServeMux(), kmux: http.NewServeMux(),
		proxies: cfg.TrustedProxies, limits: cfg.Limits, localLimits: NewMemoryLimits(), secret: cfg.Secret, ca: cfg.CA, bcryptCost: cfg.BcryptCost,
		pushKey: cfg.PushPublicKey, privateHook: cfg.AllowPrivateWebhooks,
		pow: powState{used: map[string]time.Time{}}, reportSlot: make(chan struct{}, 1),
		streams: newStreamLimit(cfg.StreamsPerAddr),
	}
	if s.limits == nil {
		s.limits = s.localLimits
	}
	if s.dossiers = cfg.Dossiers; s.dossiers == nil {
		s.dossiers, _ = cfg.Store.(queue.Dossiers)
	}
	if s.forms = cfg.Forms; s.forms == nil {
		s.forms = forms.Default()
	}
	if s.procedures = cfg.Procedures; s.procedures == nil {
		s.procedures = procedures.Default()
	}
	if len(s.secret) == 0 {
		s.secret = make([]byte, 32)
		rand.Read(s.secret)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.reports = cfg.ReportStore; s.reports == nil {
		s.reports = s.store
	}
	if s.eng != nil {
		// Another server ended a session, changed an account or revoked
		// a kiosk: what this one cached of them goes.
		s.eng.OnAccountsChanged(s.sessions.clear)
	}
	if s.historyBudget = cfg.HistoryBudget; s.historyBudget == 0 {
		s.historyBudget = DefaultHistoryBudget
	}
	if s.bcryptCost == 0 {
		s.bcryptCost = accounts.BcryptCost
	}
	if s.ttl == 0 {
		s.ttl = 12 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.routesV1()
	return s
}

// handle registers a route and remembers its pattern (for the OpenAPI test).
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, s.instrument(pattern, h))
}

// Routes returns every registered route pattern, "METHOD /path".
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

func (s *Server) routesV1() {
	h := map[string]http.HandlerFunc{
		"POST /api/v1/login":           s.handleLogin,
		"POST /api/v1/logout":          s.handleLogout,
		"GET /api/v1/me":               s.handleMe,
		"GET /api/v1/users":            s.handleUsers,
		"PUT /api/v1/users/{username}": s.handlePutUser,

		"GET /api/v1/centres":                                      s.handleCentres,
		"GET /api/v1/centres/{centre}":                             s.handleGetCentre,
		"PUT /api/v1/centres/{centre}":                             s.handlePutCentre,
		"GET /api/v1/centres/{centre}/queue":                       s.handleQueue,
		"GET /api/v1/centres/{centre}/events":                      s.handleEvents,
		"GET /api/v1/centres/{centre}/tickets":                     s.handleListTickets,
		"POST /api/v1/centres/{centre}/tickets":                    s.handleIssue,
		"GET /api/v1/centres/{centre}/audit":                       s.handleAudit,
		"GET /api/v1/centres/{centre}/reports":                     s.handleReport,
		"GET /api/v1/tickets/{id}":                                 s.handleGetTicket,
		"PUT /api/v1/tickets/{id}/precheck":                        s.handlePrecheck,
		"POST /api/v1/tickets/{id}/rating":                         s.handleRating,
		"POST /api/v1/centres/{centre}/counters/{n}/rating-tablet": s.handleRatingTablet,
		"GET /api/v1/challenge":                                    s.handleChallenge,
		"GET /api/v1/centres/{centre}/slots":                       s.handleSlots,
		"POST /api/v1/centres/{centre}/bookings":                   s.handleBook,
		"GET /api/v1/centres/{centre}/bookings":                    s.handleListBookings,
		"POST /api/v1/centres/{centre}/check-in":                   s.handleCheckInCard,
		"GET /api/v1/bookings/{code}":                              s.handleGetBooking,
		"POST /api/v1/bookings/{code}/cancel":                      s.handleCancel,
		"POST /api/v1/bookings/{code}/reschedule":                  s.handleReschedule,
		"POST /api/v1/bookings/{code}/check-in":                    s.handleCheckIn,
		"GET /api/v1/bookings/{code}/pdf":                          s.handleBookingPDF,
		"GET /api/v1/bookings/{code}/ics":                          s.handleBookingICS,
		"POST /api/v1/enrollment-tokens":                           s.handleEnrollmentToken,
		"GET /api/v1/enrollment-tokens":                            s.handleEnrollmentTokens,
		"DELETE /api/v1/enrollment-tokens/{id}":                    s.handleCancelEnrollmentToken,
		"POST /api/v1/kiosks/enroll":                               s.handleEnroll,
		"POST /api/v1/kiosks/heartbeat":                            s.handleHeartbeat,
		"GET /api/v1/kiosks":                                       s.handleKiosks,
		"POST /api/v1/kiosks/{id}/revoke":                          s.kioskChange(accounts.Revoke),
		"POST /api/v1/kiosks/{id}/approve":                         s.kioskChange(accounts.Approve),
		"POST /api/v1/kiosks/renew":                                s.handleRenew,
		"POST /api/v1/centres/{centre}/number-blocks":              s.handleLeaseBlock,
		"GET /api/v1/centres/{centre}/number-blocks":               s.handleListBlocks,
		"POST /api/v1/centres/{centre}/tickets/void":               s.handleVoid,
		"POST /api/v1/centres/{centre}/online-tickets":             s.handleOnlineTicket,
		"PUT /api/v1/tickets/{id}/notify":                          s.handleTicketNotify,
		"DELETE /api/v1/tickets/{id}/notify":                       s.handleTicketNotify,
		"PUT /api/v1/bookings/{code}/notify":                       s.handleBookingNotify,
		"DELETE /api/v1/bookings/{code}/notify":                    s.handleBookingNotify,
		"GET /api/v1/push/key":                                     s.handlePushKey,
		"POST /api/v1/webhooks":                                    s.handleAddWebhook,
		"GET /api/v1/centres/{centre}/webhooks":                    s.handleWebhooks,
		"POST /api/v1/webhooks/{id}/test":                          s.handleTestWebhook,
		"DELETE /api/v1/webhooks/{id}":                             s.handleDeleteWebhook,
		"GET /api/v1/centres/{centre}/webhooks/{id}/deliveries":    s.handleDeliveries,
		"GET /api/v1/centres/{centre}/messages":                    s.handleMessages,
		"POST /api/v1/centres/{centre}/close-day":                  s.handleCloseDay,
		"GET /api/v1/centres/{centre}/alerts":                      s.handleAlerts,
		"GET /api/v1/centres/{centre}/forecast":                    s.handleForecast,
		"GET /api/v1/centres/{centre}/forecast/busiest":            s.handleBusiest,
		"GET /api/v1/centres/{centre}/forecast.pdf":                s.handleForecastPDF,

		"GET /api/v1/forms":                          s.handleForms,
		"GET /api/v1/forms/{procedure}":              s.handleFormDefinition,
		"PUT /api/v1/tickets/{id}/form":              s.handlePutTicketForm,
		"GET /api/v1/tickets/{id}/form":              s.handleGetTicketForm,
		"GET /api/v1/tickets/{id}/form.pdf":          s.handleTicketFormPDF,
		"GET /api/v1/bookings/{code}/form.pdf":       s.handleBookingFormPDF,
		"PUT /api/v1/bookings/{code}/form":           s.handlePutBookingForm,
		"GET /api/v1/bookings/{code}/form":           s.handleGetBookingForm,
		"POST /api/v1/tickets/{id}/documents":        s.handleAddDocument,
		"GET /api/v1/tickets/{id}/documents/{doc}":   s.handleDocumentPDF,
		"PATCH /api/v1/tickets/{id}/documents/{doc}": s.handleCorrectDocument,
		"GET /api/v1/tickets/{id}/dossier":           s.handleDossier,
		"POST /api/v1/tickets/{id}/dossier/confirm":  s.handleConfirmDossier,
		"GET /api/v1/tickets/{id}/dossier.zip":       s.handleDossierZIP,
		"PUT /api/v1/tickets/{id}/identity":          s.handlePutIdentity,
		"GET /api/v1/tickets/{id}/identity":          s.handleIdentity,
		"GET /api/v1/tickets/{id}/identity/face":     s.handleIdentityFace,

		"GET /api/v1/procedures":                            s.handleProcedures,
		"GET /api/v1/procedures/{id}":                       s.handleProcedure,
		"POST /api/v1/centres/{centre}/procedure-questions": s.handleAskedProcedure,
		"GET /api/v1/centres/{centre}/procedure-questions":  s.handleProcedureQuestions,

		"GET /healthz": s.handleHealth,
		"GET /readyz":  s.handleReady,
	}
	for _, a := range counterActions {
		h["POST /api/v1/centres/{centre}/counters/{n}/"+a] = s.handleCounter(a)
	}
	if s.metrics != nil {
		h["GET /metrics"] = s.metrics.handler().ServeHTTP
	}
	// Every route is registered from its row of the access table, guarded
	// as the row says: no route without a row, no row without a route.
	for _, a := range accessTable {
		fn, ok := h[a.Route]
		if !ok && a.Route == "GET /metrics" {
			continue
		}
		if !ok {
			panic("httpapi: no handler for the access table's " + a.Route)
		}
		delete(h, a.Route)
		s.handle(a.Route, s.guard(a, fn))
		if a.KioskTLS {
			s.kmux.Handle(a.Route, s.instrument(a.Route, s.viaKioskTLS(s.guard(a, fn))))
		}
	}
	for route := range h {
		panic("httpapi: route " + route + " has no row in the access table")
	}
	if s.ui != nil {
		s.mux.Handle("/", s.ui)
	}
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, s.withClientAddr(r))
}

func (s *Server) instrument(pattern string, h http.HandlerFunc) http.Handler {
	if s.metrics == nil {
		return h
	}
	return s.metrics.instrument(pattern, h)
}

// ctx is a request's context for the engine: its time limit, and the
// centres it acts on (the path's, the signed-in clerk's or kiosk's), which
// a server sharing its store with others locks first.
func (s *Server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	ctx := r.Context()
	if s.eng != nil && s.eng.Shared() { // only a shared store's rounds lock
		c := r.PathValue("centre")
		if u, ok := principal(r); ok && u.Centre != "" && u.Centre != c {
			ctx = engine.WithCentres(ctx, c, u.Centre)
		} else {
			ctx = engine.WithCentres(ctx, c)
		}
	}
	return context.WithTimeout(ctx, requestTimeout)
}

// write runs fn as an engine write within the request's time limit.
func (s *Server) write(r *http.Request, fn func(tx *engine.Tx) (any, error)) (any, error) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	return s.eng.Write(ctx, fn)
}

// writeCentre runs fn as an engine write on the live state of the centre
// named in the path ({centre}).
func (s *Server) writeCentre(r *http.Request, fn func(tx *engine.Tx, l *queue.Live) (any, error)) (any, error) {
	return s.write(r, onCentre(r, fn))
}

// readCentre runs fn as an engine read on the live state of the centre
// named in the path ({centre}).
func (s *Server) readCentre(r *http.Request, fn func(tx *engine.Tx, l *queue.Live) (any, error)) (any, error) {
	return s.read(r, onCentre(r, fn))
}

func onCentre(r *http.Request, fn func(tx *engine.Tx, l *queue.Live) (any, error)) func(tx *engine.Tx) (any, error) {
	return func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(r.PathValue("centre"))
		if err != nil {
			return nil, err
		}
		return fn(tx, l)
	}
}

// read runs fn as an engine read within the request's time limit.
func (s *Server) read(r *http.Request, fn func(tx *engine.Tx) (any, error)) (any, error) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	return s.eng.Read(ctx, fn)
}

// decodeBody reads a JSON body into v, answering the error itself when it
// cannot; it reports whether the handler may go on.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decode(w, r, v); err != nil {
		s.writeError(w, r, err)
		return false
	}
	return true
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	// Ready means the engine answers and the store reads.
	_, err := s.eng.Read(ctx, func(tx *engine.Tx) (any, error) { return nil, nil })
	if err == nil && s.ready != nil {
		err = s.ready()
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// counterNumber reads the counter number {n} of a path: 1 to 9999.
func counterNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > 9999 {
		return 0, queue.Errorf(queue.ENotFound, "no counter %q: a counter is a number from 1 to 9999", "không có quầy %q: số quầy là số từ 1 đến 9999", r.PathValue("n"))
	}
	return n, nil
}
