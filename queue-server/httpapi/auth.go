package httpapi

import (
	"context"
	"crypto/x509"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"xephang/queue-server/accounts"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

type ctxKey struct{}

// Principal is who made a request.
type Principal struct {
	User queue.User
}

func principal(r *http.Request) (queue.User, bool) {
	p, ok := r.Context().Value(ctxKey{}).(queue.User)
	return p, ok
}

// authenticate resolves the bearer token, if any. Resolved sessions are
// cached for sessionCacheTTL: two store reads per request were a tenth of
// a lone ticket's time. Every write that can end a session (logout, an
// account changed or disabled, a kiosk revoked) clears the cache.
func (s *Server) authenticate(r *http.Request) (queue.User, error) {
	if onKioskTLS(r) { // the certificate is the credential there, and the only one
		if u, ok := kioskTLSUser(r); ok {
			return u, nil
		}
		return queue.User{}, accounts.ErrUnauthorized
	}
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return queue.User{}, accounts.ErrUnauthorized
	}
	hash := accounts.HashToken(token)
	now := s.now()
	if c, ok := s.sessions.get(hash, now); ok {
		return c, nil
	}
	u, se, err := accounts.SessionUser(s.store, hash, now)
	if err != nil {
		return queue.User{}, err
	}
	until := now.Add(sessionCacheTTL)
	if se.Expires.Before(until) {
		until = se.Expires
	}
	s.sessions.put(hash, u, until)
	return u, nil
}

const sessionCacheTTL = 5 * time.Second

type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
}

type cachedSession struct {
	user  queue.User
	until time.Time
}

func (c *sessionCache) get(hash string, now time.Time) (queue.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || !now.Before(e.until) {
		return queue.User{}, false
	}
	return e.user, true
}

func (c *sessionCache) put(hash string, u queue.User, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedSession{}
	}
	c.m[hash] = cachedSession{u, until}
}

func (c *sessionCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// require wraps a handler with authentication and a role check. A clerk or
// kiosk acts only within its own centre (the {centre} of the path).
func (s *Server) require(roles []string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		allowed := false
		for _, role := range roles {
			allowed = allowed || u.Role == role
		}
		if !allowed {
			s.writeError(w, r, queue.Errorf(queue.EForbidden, "your account (%s) may not do this", "tài khoản của bạn (%s) không có quyền này", u.Role))
			return
		}
		if c := r.PathValue("centre"); c != "" && u.Role != queue.RoleAdmin && u.Centre != c {
			s.writeError(w, r, queue.Errorf(queue.EForbidden, "your account belongs to another centre", "tài khoản của bạn thuộc trung tâm khác"))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, u)))
	}
}

func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return s.require([]string{queue.RoleAdmin}, h)
}

func (s *Server) staff(h http.HandlerFunc) http.HandlerFunc {
	return s.require([]string{queue.RoleAdmin, queue.RoleClerk}, h)
}

func (s *Server) kiosk(h http.HandlerFunc) http.HandlerFunc {
	return s.require([]string{queue.RoleKiosk}, h)
}

func (s *Server) staffOrKiosk(h http.HandlerFunc) http.HandlerFunc {
	return s.require([]string{queue.RoleAdmin, queue.RoleClerk, queue.RoleKiosk}, h)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req apiv1.LoginRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	name := strings.ToLower(strings.TrimSpace(req.Username))
	addr := clientIP(r)
	// Failed sign-ins slow down the account and the address with growing
	// delays (limiter.go); nothing is checked while one must wait. An
	// address the account signed in from before has its own count for the
	// account, so strangers failing elsewhere cannot keep its owner out.
	acct := "account:" + name
	if s.knownAddrs.has(name, addr, s.now()) {
		acct += "@" + addr
	}
	now := s.now()
	lim := signInLimits{s: s, r: r, Limits: s.limits}
	wait, err := lim.wait(acct, addr, now)
	if err != nil {
		lim.fallBack(err)
		wait, _ = lim.wait(acct, addr, now)
	}
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.writeError(w, r, queue.Errorf(queue.ERateLimited, "too many failed sign-ins: try again in %d s", "đăng nhập sai nhiều lần: vui lòng thử lại sau %d giây", secs))
		return
	}
	// Counted as a failure before the check, taken back if it succeeds:
	// parallel guesses do not all slip through one open moment.
	if err := lim.fail(acct, addr, now); err != nil {
		lim.fallBack(err)
		lim.fail(acct, addr, now)
	}
	u, err := accounts.CheckLogin(s.store, name, req.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := lim.succeeded(acct, addr); err != nil {
		// The password was right: the sign-in goes on, the account
		// keeps its count until it expires.
		s.log.Warn("sign-in delays failing: a successful sign-in was not cleared", "err", err)
	}
	s.knownAddrs.add(name, addr, s.now())
	ctx, cancel := s.ctx(r)
	defer cancel()
	token, se := accounts.NewSession(u, s.now(), s.ttl)
	if _, err := s.eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutSession(se); return nil, nil }); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.LoginResponse{Token: token, ExpiresAt: se.Expires.UTC().Format(timeLayout), Role: u.Role, Centre: u.Centre})
}

// signInLimits applies the delays of failed sign-ins (per account and per
// address) to one request. Unlike the anonymous endpoints (Server.limited),
// a sign-in whose shared limits fail is not refused: it falls back to this
// server's memory for the rest of the request, and the failure is logged.
// A database outage must not lock every clerk out of the counters; the
// delays then hold per server, as they do with a single server.
type signInLimits struct {
	Limits
	s *Server
	r *http.Request
}

func (l *signInLimits) fallBack(err error) {
	if l.r.Context().Err() == nil {
		l.s.log.Error("sign-in delays failing: this server's memory stands in", "err", err)
	}
	l.Limits = l.s.localLimits
}

func (l *signInLimits) wait(acct, addr string, now time.Time) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(l.r.Context(), limitsTimeout)
	defer cancel()
	a, err := l.Wait(ctx, loginAccountPolicy, acct, now)
	if err != nil {
		return 0, err
	}
	b, err := l.Wait(ctx, loginAddrPolicy, addr, now)
	return max(a, b), err
}

func (l *signInLimits) fail(acct, addr string, now time.Time) error {
	ctx, cancel := context.WithTimeout(l.r.Context(), limitsTimeout)
	defer cancel()
	if err := l.Fail(ctx, loginAccountPolicy, acct, now); err != nil {
		return err
	}
	return l.Fail(ctx, loginAddrPolicy, addr, now)
}

// succeeded clears the account's count and takes back the address's
// failure counted ahead of the check.
func (l *signInLimits) succeeded(acct, addr string) error {
	ctx, cancel := context.WithTimeout(l.r.Context(), limitsTimeout)
	defer cancel()
	if err := l.Reset(ctx, loginAccountPolicy, acct); err != nil {
		return err
	}
	return l.Undo(ctx, loginAddrPolicy, addr)
}

// knownAddrs remembers, per account, the addresses it signed in from in
// the last knownAddrTTL (at most knownAddrMax each, in memory only).
type knownAddrs struct {
	mu sync.Mutex
	m  map[string]map[string]time.Time
}

const (
	knownAddrTTL = 30 * 24 * time.Hour
	knownAddrMax = 8
)

func (k *knownAddrs) has(account, addr string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	at, ok := k.m[account][addr]
	return ok && now.Sub(at) < knownAddrTTL
}

func (k *knownAddrs) add(account, addr string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]map[string]time.Time{}
	}
	as := k.m[account]
	if as == nil {
		as = map[string]time.Time{}
		k.m[account] = as
	}
	as[addr] = now
	for len(as) > knownAddrMax { // drop the oldest
		oldest := addr
		for a, t := range as {
			if t.Before(as[oldest]) {
				oldest = a
			}
		}
		delete(as, oldest)
	}
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token != "" {
		ctx, cancel := s.ctx(r)
		defer cancel()
		if _, err := s.eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.DeleteSession(accounts.HashToken(token)); return nil, nil }); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.sessions.clear()
	}
	w.WriteHeader(http.StatusNoContent)
}

func userView(u queue.User) apiv1.UserView {
	return apiv1.UserView{Username: u.Username, Role: u.Role, Centre: u.Centre, Name: u.Name, Disabled: u.Disabled}
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	u, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userView(u))
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.store.Users()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []apiv1.UserView{}
	for _, u := range us {
		if u.IsDevice() { // listed and managed under /api/v1/kiosks and the counters
			continue
		}
		out = append(out, userView(u))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handlePutUser(w http.ResponseWriter, r *http.Request) {
	var req apiv1.PutUserRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	name := r.PathValue("username")
	ctx, cancel := s.ctx(r)
	defer cancel()
	u, err := s.PutUser(ctx, name, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userView(u))
}

// PutUser creates or updates an account (accounts.CheckUser,
// accounts.PutUser): the password is hashed before the engine's round, and
// the session cache is cleared, so a password change or a disable ends
// the account's sessions at once.
func (s *Server) PutUser(ctx context.Context, name string, req apiv1.PutUserRequest) (queue.User, error) {
	c := accounts.UserChange{Role: req.Role, Centre: req.Centre, Name: req.Name, Password: req.Password, Disabled: req.Disabled}
	if err := accounts.CheckUser(name, c); err != nil {
		return queue.User{}, err
	}
	pw, err := accounts.PreparePassword(s.store, name, req.Password, s.bcryptCost)
	if err != nil {
		return queue.User{}, err
	}
	v, err := s.eng.Write(ctx, func(tx *engine.Tx) (any, error) { return accounts.PutUser(tx, name, c, pw) })
	if err != nil {
		return queue.User{}, err
	}
	s.sessions.clear()
	return v.(queue.User), nil
}

// authenticateKioskCert identifies a kiosk by its client certificate
// (accounts.KioskByCert).
func (s *Server) authenticateKioskCert(cert *x509.Certificate) (queue.User, error) {
	return accounts.KioskByCert(s.store, cert.Subject.CommonName, cert.SerialNumber.Text(16))
}
