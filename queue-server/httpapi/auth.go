package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// BcryptCost is the cost of password hashes (about 50 ms a check on the
// 2-core reference machine).
const BcryptCost = 10

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

type ctxKey struct{}

// Principal is who made a request.
type Principal struct {
	User queue.User
}

func principal(r *http.Request) (queue.User, bool) {
	p, ok := r.Context().Value(ctxKey{}).(queue.User)
	return p, ok
}

// HashToken is how a bearer token is stored: its SHA-256, hex.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

var errUnauthorized = queue.Errorf(queue.EUnauthorized, "sign in first (missing, expired or unknown token)", "vui lòng đăng nhập (thiếu mã, mã hết hạn hoặc không hợp lệ)")

// authenticate resolves the bearer token, if any. Resolved sessions are
// cached for sessionCacheTTL: two store reads per request were a tenth of
// a lone ticket's time. Every write that can end a session (logout, an
// account changed or disabled, a kiosk revoked) clears the cache.
func (s *Server) authenticate(r *http.Request) (queue.User, error) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return s.authenticateKioskCert(r.TLS.PeerCertificates[0])
	}
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return queue.User{}, errUnauthorized
	}
	hash := HashToken(token)
	now := s.now()
	if c, ok := s.sessions.get(hash, now); ok {
		return c, nil
	}
	se, err := s.store.Session(hash)
	if err != nil || !now.Before(se.Expires) {
		return queue.User{}, errUnauthorized
	}
	u, err := s.store.User(se.Username)
	if err != nil || u.Disabled {
		return queue.User{}, errUnauthorized
	}
	if u.Role == queue.RoleKiosk {
		k, err := s.store.Kiosk(u.Username)
		if err != nil {
			return queue.User{}, errUnauthorized
		}
		if err := kioskUsable(k); err != nil {
			return queue.User{}, err
		}
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

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse is its answer.
type LoginResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	Role      string `json:"role"`
	Centre    string `json:"centre,omitempty"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !s.login.allow(clientIP(r), s.now()) {
		s.writeError(w, r, queue.Errorf(queue.ERateLimited, "too many sign-in attempts: wait a minute", "đăng nhập sai quá nhiều lần: vui lòng chờ một phút"))
		return
	}
	var req LoginRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	bad := queue.Errorf(queue.EUnauthorized, "wrong username or password", "sai tên đăng nhập hoặc mật khẩu")
	u, err := s.store.User(strings.ToLower(strings.TrimSpace(req.Username)))
	if err != nil || u.Disabled || u.Role == queue.RoleKiosk || u.Role == queue.RoleRating {
		// Spend the same time as a real check, so timing does not tell
		// which usernames exist.
		bcrypt.CompareHashAndPassword(dummyHash, []byte(req.Password))
		s.writeError(w, r, bad)
		return
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(req.Password)) != nil {
		s.writeError(w, r, bad)
		return
	}
	token := newToken()
	ctx, cancel := s.ctx(r)
	defer cancel()
	se := queue.Session{Hash: HashToken(token), Username: u.Username, Expires: s.now().Add(s.ttl)}
	if _, err := s.eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutSession(se); return nil, nil }); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, LoginResponse{Token: token, ExpiresAt: se.Expires.UTC().Format(timeLayout), Role: u.Role, Centre: u.Centre})
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), BcryptCost)

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token != "" {
		ctx, cancel := s.ctx(r)
		defer cancel()
		if _, err := s.eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.DeleteSession(HashToken(token)); return nil, nil }); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.sessions.clear()
	}
	w.WriteHeader(http.StatusNoContent)
}

// UserView is an account as the API shows it (never the hash).
type UserView struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Centre   string `json:"centre,omitempty"`
	Name     string `json:"name,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

func userView(u queue.User) UserView {
	return UserView{Username: u.Username, Role: u.Role, Centre: u.Centre, Name: u.Name, Disabled: u.Disabled}
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
	out := []UserView{}
	for _, u := range us {
		out = append(out, userView(u))
	}
	writeJSON(w, http.StatusOK, out)
}

// PutUserRequest creates or updates an account; an empty password keeps
// the current one.
type PutUserRequest struct {
	Role     string `json:"role"`
	Centre   string `json:"centre,omitempty"`
	Name     string `json:"name,omitempty"`
	Password string `json:"password,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

func (s *Server) handlePutUser(w http.ResponseWriter, r *http.Request) {
	var req PutUserRequest
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

// PutUser creates or updates an account, checking every field first.
func (s *Server) PutUser(ctx context.Context, name string, req PutUserRequest) (queue.User, error) {
	if !usernameRe.MatchString(name) {
		return queue.User{}, queue.Errorf(queue.EInvalid, "username: 2–64 lower-case letters, digits, '.', '_' or '-'", "tên đăng nhập: 2–64 ký tự chữ thường, số, '.', '_' hoặc '-'")
	}
	if req.Role != queue.RoleAdmin && req.Role != queue.RoleClerk {
		return queue.User{}, queue.Errorf(queue.EInvalid, "role is admin or clerk", "vai trò là admin hoặc clerk")
	}
	if req.Role == queue.RoleClerk && req.Centre == "" {
		return queue.User{}, queue.Errorf(queue.EInvalid, "a clerk belongs to a centre", "cán bộ phải thuộc một trung tâm")
	}
	if err := queue.CheckText("name", queue.NFC(req.Name), 200); err != nil { // a display name: no control or invisible characters
		return queue.User{}, err
	}
	if req.Password != "" && (utf8.RuneCountInString(req.Password) < MinPasswordLen || len(req.Password) > 72) {
		return queue.User{}, queue.Errorf(queue.EInvalid, "password: %d to 72 bytes", "mật khẩu: từ %d đến 72 byte", MinPasswordLen)
	}
	var hash []byte
	if req.Password != "" {
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(req.Password), s.bcryptCost); err != nil {
			return queue.User{}, err
		}
	}
	v, err := s.eng.Write(ctx, func(tx *engine.Tx) (any, error) {
		if req.Centre != "" {
			if _, err := tx.Live(req.Centre); err != nil {
				return nil, err
			}
		}
		u, err := tx.Store().User(name)
		if err != nil && queue.ErrorCode(err) != queue.ENotFound {
			return nil, err
		}
		if err != nil { // new
			if hash == nil {
				return nil, queue.Errorf(queue.EInvalid, "a new account needs a password", "tài khoản mới cần mật khẩu")
			}
			u = queue.User{Username: name, CreatedAt: tx.Now}
		}
		u.Role, u.Centre, u.Name, u.Disabled = req.Role, req.Centre, queue.NFC(req.Name), req.Disabled
		if hash != nil {
			u.PasswordHash = hash
		}
		tx.PutUser(u)
		return u, nil
	})
	if err != nil {
		return queue.User{}, err
	}
	s.sessions.clear()
	return v.(queue.User), nil
}

var (
	errKioskRevoked = queue.Errorf(queue.EKioskRevoked, "this kiosk's enrolment was revoked or has expired: enrol it again", "ki-ốt này đã bị thu hồi hoặc hết hạn đăng ký: cần đăng ký lại")
	errKioskPending = queue.Errorf(queue.EKioskPending, "this kiosk waits for an administrator's approval", "ki-ốt này đang chờ quản trị viên phê duyệt")
)

func kioskUsable(k queue.Kiosk) error {
	switch {
	case k.Revoked:
		return errKioskRevoked
	case k.Pending:
		return errKioskPending
	}
	return nil
}

// authenticateKioskCert identifies a kiosk by its client certificate (the
// TLS layer has verified it was signed by our CA and is in its validity):
// its serial must be the kiosk's current or previous one, and the kiosk
// neither revoked nor waiting for approval.
func (s *Server) authenticateKioskCert(cert *x509.Certificate) (queue.User, error) {
	id := cert.Subject.CommonName
	k, err := s.store.Kiosk(id)
	if err != nil {
		return queue.User{}, errUnauthorized
	}
	if err := kioskUsable(k); err != nil {
		return queue.User{}, err
	}
	sn := cert.SerialNumber.Text(16)
	if sn != k.CertSerial && sn != k.PrevSerial {
		return queue.User{}, errKioskRevoked
	}
	u, err := s.store.User(id)
	if err != nil || u.Disabled || u.Role != queue.RoleKiosk {
		return queue.User{}, errUnauthorized
	}
	return u, nil
}
