package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
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
	if onKioskTLS(r) { // the certificate is the credential there, and the only one
		if u, ok := kioskTLSUser(r); ok {
			return u, nil
		}
		return queue.User{}, errUnauthorized
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
	if err != nil || u.Disabled || se.Epoch != u.Epoch {
		// A session of an earlier epoch was ended by a password change,
		// a disable or a re-pairing: enabling the account again does not
		// bring it back.
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
	if wait := max(s.loginAccount.wait(acct, now), s.loginAddr.wait(addr, now)); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.writeError(w, r, queue.Errorf(queue.ERateLimited, "too many failed sign-ins: try again in %d s", "đăng nhập sai nhiều lần: vui lòng thử lại sau %d giây", secs))
		return
	}
	// Counted as a failure before the check, taken back if it succeeds:
	// parallel guesses do not all slip through one open moment.
	s.loginAccount.fail(acct, now)
	s.loginAddr.fail(addr, now)
	bad := queue.Errorf(queue.EUnauthorized, "wrong username or password", "sai tên đăng nhập hoặc mật khẩu")
	u, err := s.store.User(name)
	if err != nil || u.Disabled || u.IsDevice() {
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
	s.loginAccount.reset(acct)
	s.loginAddr.undo(addr)
	s.knownAddrs.add(name, addr, s.now())
	token := newToken()
	ctx, cancel := s.ctx(r)
	defer cancel()
	se := queue.Session{Hash: HashToken(token), Username: u.Username, Expires: s.now().Add(s.ttl), Epoch: u.Epoch}
	if _, err := s.eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutSession(se); return nil, nil }); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.LoginResponse{Token: token, ExpiresAt: se.Expires.UTC().Format(timeLayout), Role: u.Role, Centre: u.Centre})
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

// errDeviceAccount refuses to manage a kiosk or rating tablet as a user.
var errDeviceAccount = queue.Errorf(queue.EForbidden,
	"this is a device account (a kiosk or a rating tablet), not a user: revoke or approve kiosks under /api/v1/kiosks, pair a rating tablet again from its counter",
	"đây là tài khoản thiết bị (ki-ốt hoặc máy đánh giá), không phải người dùng: thu hồi hay phê duyệt ki-ốt ở mục ki-ốt, ghép lại máy đánh giá từ quầy")

// reservedName reports whether a username (in any case) begins with a
// prefix kept for device accounts.
func reservedName(name string) bool {
	lower := strings.ToLower(name)
	for _, p := range queue.DevicePrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// PutUser creates or updates an account, checking every field first. A
// device account, or a name kept for devices, is refused: a kiosk or a
// rating tablet turned admin, or a tablet re-enabled after its counter was
// paired again, would be a credential nobody manages. A new password or a
// disable ends the account's sessions (User.Epoch).
func (s *Server) PutUser(ctx context.Context, name string, req apiv1.PutUserRequest) (queue.User, error) {
	if reservedName(name) {
		return queue.User{}, queue.Errorf(queue.EForbidden, "usernames beginning with kiosk- or rating- belong to device accounts, which are not users", "tên đăng nhập bắt đầu bằng kiosk- hoặc rating- thuộc về tài khoản thiết bị, không phải người dùng")
	}
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
	var hash, sameHash []byte
	if req.Password != "" {
		// The same password again (the admin's, set from the environment
		// at every start) is no change: it keeps the sessions.
		if cur, err := s.store.User(name); err == nil && !cur.IsDevice() && len(cur.PasswordHash) > 0 &&
			bcrypt.CompareHashAndPassword(cur.PasswordHash, []byte(req.Password)) == nil {
			sameHash = cur.PasswordHash
		} else if hash, err = bcrypt.GenerateFromPassword([]byte(req.Password), s.bcryptCost); err != nil {
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
		if err == nil && u.IsDevice() {
			return nil, errDeviceAccount
		}
		if sameHash != nil && (err != nil || !bytes.Equal(u.PasswordHash, sameHash)) {
			return nil, queue.Errorf(queue.EConflict, "the account changed meanwhile: try again", "tài khoản vừa được thay đổi: vui lòng thử lại")
		}
		if err != nil { // new
			if hash == nil {
				return nil, queue.Errorf(queue.EInvalid, "a new account needs a password", "tài khoản mới cần mật khẩu")
			}
			u = queue.User{Username: name, CreatedAt: tx.Now}
		} else if hash != nil || (req.Disabled && !u.Disabled) {
			u.EndSessions()
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
