// Package httpapi is queue-server's HTTP and WebSocket API (the v1 contract
// of ARCHITECTURE.md) and, in client.go, the Go client of the same API that
// kioskd, the load tools and the tests use.
package httpapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"xephang/queue-server/ca"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// Config configures a Server.
type Config struct {
	Engine   *engine.Engine
	Hub      *engine.Hub
	Store    queue.Store
	Log      *slog.Logger
	Metrics  *Metrics     // nil: no metrics
	UI       http.Handler // the embedded pages; nil: none
	TokenTTL time.Duration
	Now      func() time.Time
	// Ready says why the server should not take traffic (for /readyz):
	// nil when it should.
	Ready func() error
	// Secret keys the hashes of CCCD numbers and signs anti-bot
	// challenges; kept in the store so hashes match across restarts.
	Secret []byte
	// CA signs kiosk certificates (mutual TLS); nil: kiosks use bearer
	// credentials only.
	CA *ca.Authority
	// StreamsPerAddr bounds the event streams open at once from one
	// address; zero means DefaultStreamsPerAddr.
	StreamsPerAddr int
	// BcryptCost of new password hashes; zero means BcryptCost. Tests use
	// bcrypt.MinCost: the race detector makes the real cost seconds.
	BcryptCost int
}

// Server serves the API.
type Server struct {
	eng        *engine.Engine
	hub        *engine.Hub
	store      queue.Store
	log        *slog.Logger
	metrics    *Metrics
	ui         http.Handler
	ttl        time.Duration
	now        func() time.Time
	ready      func() error
	login      *limiter
	secret     []byte
	ca         *ca.Authority
	bcryptCost int
	pow        powState
	streams    *streamLimit
	// Anonymous booking: per address, bookings and look-ups by code.
	bookLimit   *limiter
	lookupLimit *limiter
	enrollLimit *limiter
	sessions    sessionCache
	reportSlot  chan struct{}
	mux         *http.ServeMux
	routes      []string
}

// requestTimeout bounds how long a request may wait for the engine.
const requestTimeout = 10 * time.Second

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{
		eng: cfg.Engine, hub: cfg.Hub, store: cfg.Store, log: cfg.Log, metrics: cfg.Metrics, ui: cfg.UI,
		ttl: cfg.TokenTTL, now: cfg.Now, ready: cfg.Ready, mux: http.NewServeMux(),
		login: newLimiter(10, time.Minute), secret: cfg.Secret, ca: cfg.CA, bcryptCost: cfg.BcryptCost,
		pow:       powState{used: map[string]time.Time{}},
		bookLimit: newLimiter(10, time.Hour), lookupLimit: newLimiter(60, time.Minute),
		enrollLimit: newLimiter(20, time.Minute), reportSlot: make(chan struct{}, 1),
		streams: newStreamLimit(cfg.StreamsPerAddr),
	}
	if len(s.secret) == 0 {
		s.secret = make([]byte, 32)
		rand.Read(s.secret)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.bcryptCost == 0 {
		s.bcryptCost = BcryptCost
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
	s.handle("POST /api/v1/login", s.handleLogin)
	s.handle("POST /api/v1/logout", s.handleLogout)
	s.handle("GET /api/v1/me", s.handleMe)
	s.handle("GET /api/v1/users", s.admin(s.handleUsers))
	s.handle("PUT /api/v1/users/{username}", s.admin(s.handlePutUser))

	s.handle("GET /api/v1/centres", s.handleCentres)
	s.handle("GET /api/v1/centres/{centre}", s.handleGetCentre)
	s.handle("PUT /api/v1/centres/{centre}", s.admin(s.handlePutCentre))
	s.handle("GET /api/v1/centres/{centre}/queue", s.handleQueue)
	s.handle("GET /api/v1/centres/{centre}/events", s.handleEvents)
	s.handle("GET /api/v1/centres/{centre}/tickets", s.staff(s.handleListTickets))
	s.handle("POST /api/v1/centres/{centre}/tickets", s.staffOrKiosk(s.handleIssue))
	s.handle("GET /api/v1/centres/{centre}/audit", s.admin(s.handleAudit))
	s.handle("GET /api/v1/centres/{centre}/reports", s.admin(s.handleReport))
	s.handle("GET /api/v1/tickets/{id}", s.handleGetTicket)
	s.handle("PUT /api/v1/tickets/{id}/precheck", s.staffOrKiosk(s.handlePrecheck))
	s.handle("POST /api/v1/tickets/{id}/rating", s.require([]string{queue.RoleRating, queue.RoleClerk, queue.RoleAdmin}, s.handleRating))
	s.handle("POST /api/v1/centres/{centre}/counters/{n}/rating-tablet", s.staff(s.handleRatingTablet))
	s.handle("GET /api/v1/challenge", s.handleChallenge)
	s.handle("GET /api/v1/centres/{centre}/slots", s.handleSlots)
	s.handle("POST /api/v1/centres/{centre}/bookings", s.handleBook)
	s.handle("GET /api/v1/centres/{centre}/bookings", s.staff(s.handleListBookings))
	s.handle("POST /api/v1/centres/{centre}/check-in", s.staffOrKiosk(s.handleCheckInCard))
	s.handle("GET /api/v1/bookings/{code}", s.handleGetBooking)
	s.handle("POST /api/v1/bookings/{code}/cancel", s.handleCancel)
	s.handle("POST /api/v1/bookings/{code}/reschedule", s.handleReschedule)
	s.handle("POST /api/v1/bookings/{code}/check-in", s.staffOrKiosk(s.handleCheckIn))
	s.handle("GET /api/v1/bookings/{code}/pdf", s.handleBookingPDF)
	s.handle("GET /api/v1/bookings/{code}/ics", s.handleBookingICS)
	s.handle("POST /api/v1/enrollment-tokens", s.admin(s.handleEnrollmentToken))
	s.handle("GET /api/v1/enrollment-tokens", s.admin(s.handleEnrollmentTokens))
	s.handle("DELETE /api/v1/enrollment-tokens/{id}", s.admin(s.handleCancelEnrollmentToken))
	s.handle("POST /api/v1/kiosks/enroll", s.handleEnroll)
	s.handle("POST /api/v1/kiosks/heartbeat", s.kiosk(s.handleHeartbeat))
	s.handle("GET /api/v1/kiosks", s.admin(s.handleKiosks))
	s.handle("POST /api/v1/kiosks/{id}/revoke", s.admin(s.kioskChange(revokeKiosk)))
	s.handle("POST /api/v1/kiosks/{id}/approve", s.admin(s.kioskChange(approveKiosk)))
	s.handle("POST /api/v1/kiosks/renew", s.kiosk(s.handleRenew))
	s.handle("POST /api/v1/centres/{centre}/number-blocks", s.kiosk(s.handleLeaseBlock))
	s.handle("GET /api/v1/centres/{centre}/number-blocks", s.kiosk(s.handleListBlocks))
	s.handle("POST /api/v1/centres/{centre}/tickets/void", s.kiosk(s.handleVoid))
	for _, a := range counterActions {
		s.handle("POST /api/v1/centres/{centre}/counters/{n}/"+a, s.staff(s.handleCounter(a)))
	}

	s.handle("GET /healthz", s.handleHealth)
	s.handle("GET /readyz", s.handleReady)
	if s.metrics != nil {
		s.handle("GET /metrics", s.metrics.handler().ServeHTTP)
	}
	if s.ui != nil {
		s.mux.Handle("/", s.ui)
	}
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) instrument(pattern string, h http.HandlerFunc) http.Handler {
	if s.metrics == nil {
		return h
	}
	return s.metrics.instrument(pattern, h)
}

func (s *Server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), requestTimeout)
}

// write runs fn as an engine write within the request's time limit.
func (s *Server) write(r *http.Request, fn func(tx *engine.Tx) (any, error)) (any, error) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	return s.eng.Write(ctx, fn)
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

func pathInt(r *http.Request, name string) (int, error) {
	n, err := strconv.Atoi(r.PathValue(name))
	if err != nil || n < 1 || n > 9999 {
		return 0, queue.Errorf(queue.ENotFound, "no %s %q", "không có %s %q", name, r.PathValue(name))
	}
	return n, nil
}
