package accounts

import (
	"time"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/queue"
)

// ErrUnauthorized is the answer to a request without a usable session.
var ErrUnauthorized = queue.Errorf(queue.EUnauthorized, "sign in first (missing, expired or unknown token)", "vui lòng đăng nhập (thiếu mã, mã hết hạn hoặc không hợp lệ)")

// SessionUser returns the account of the session stored under a token's
// hash, if the session is usable at now: not expired, of the account's
// current epoch, the account enabled and, for a kiosk, the kiosk neither
// revoked nor waiting for approval. It also returns the session, whose
// expiry bounds how long the answer may be cached.
func SessionUser(st queue.Store, hash string, now time.Time) (queue.User, queue.Session, error) {
	se, err := st.Session(hash)
	if err != nil || !now.Before(se.Expires) {
		return queue.User{}, queue.Session{}, ErrUnauthorized
	}
	u, err := st.User(se.Username)
	if err != nil || u.Disabled || se.Epoch != u.Epoch {
		// A session of an earlier epoch was ended by a password change,
		// a disable or a re-pairing: enabling the account again does not
		// bring it back.
		return queue.User{}, queue.Session{}, ErrUnauthorized
	}
	if u.Role == queue.RoleKiosk {
		k, err := st.Kiosk(u.Username)
		if err != nil {
			return queue.User{}, queue.Session{}, ErrUnauthorized
		}
		if err := KioskUsable(k); err != nil {
			return queue.User{}, queue.Session{}, err
		}
	}
	return u, se, nil
}

// ErrBadLogin is the answer to a wrong username or password, whichever it
// was.
var ErrBadLogin = queue.Errorf(queue.EUnauthorized, "wrong username or password", "sai tên đăng nhập hoặc mật khẩu")

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), BcryptCost)

// CheckLogin returns the account a username and password sign in to, or
// ErrBadLogin. Device accounts and disabled ones never sign in with a
// password. An unknown account costs the same time as a real check, so
// timing does not tell which usernames exist.
func CheckLogin(st queue.Store, name, password string) (queue.User, error) {
	u, err := st.User(name)
	if err != nil || u.Disabled || u.IsDevice() {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return queue.User{}, ErrBadLogin
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil {
		return queue.User{}, ErrBadLogin
	}
	return u, nil
}

// NewSession returns a new token for an account and the session stored for
// it (under the token's hash), valid ttl from now and ended by the next
// epoch of the account.
func NewSession(u queue.User, now time.Time, ttl time.Duration) (string, queue.Session) {
	token := NewToken()
	return token, queue.Session{Hash: HashToken(token), Username: u.Username, Expires: now.Add(ttl), Epoch: u.Epoch}
}
