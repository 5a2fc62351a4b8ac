package accounts

import (
	"bytes"
	"regexp"
	"strings"
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

// UserChange is what an administrator sets on an account. An empty
// password keeps the account's password.
type UserChange struct {
	Role, Centre, Name, Password string
	Disabled                     bool
}

// ErrDeviceAccount refuses to manage a kiosk or rating tablet as a user.
var ErrDeviceAccount = queue.Errorf(queue.EForbidden,
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

// CheckUser checks every field of a change to the account name, before
// anything is read or hashed. A name kept for devices is refused: a kiosk
// or a rating tablet turned admin would be a credential nobody manages.
func CheckUser(name string, c UserChange) error {
	if reservedName(name) {
		return queue.Errorf(queue.EForbidden, "usernames beginning with kiosk- or rating- belong to device accounts, which are not users", "tên đăng nhập bắt đầu bằng kiosk- hoặc rating- thuộc về tài khoản thiết bị, không phải người dùng")
	}
	if !usernameRe.MatchString(name) {
		return queue.Errorf(queue.EInvalid, "username: 2–64 lower-case letters, digits, '.', '_' or '-'", "tên đăng nhập: 2–64 ký tự chữ thường, số, '.', '_' hoặc '-'")
	}
	if c.Role != queue.RoleAdmin && c.Role != queue.RoleClerk {
		return queue.Errorf(queue.EInvalid, "role is admin or clerk", "vai trò là admin hoặc clerk")
	}
	if c.Role == queue.RoleClerk && c.Centre == "" {
		return queue.Errorf(queue.EInvalid, "a clerk belongs to a centre", "cán bộ phải thuộc một trung tâm")
	}
	if err := queue.CheckText("name", queue.NFC(c.Name), 200); err != nil { // a display name: no control or invisible characters
		return err
	}
	if c.Password != "" && (utf8.RuneCountInString(c.Password) < MinPasswordLen || len(c.Password) > 72) {
		return queue.Errorf(queue.EInvalid, "password: %d to 72 bytes", "mật khẩu: từ %d đến 72 byte", MinPasswordLen)
	}
	return nil
}

// Password is a change's password made ready outside the engine's round
// (bcrypt is slow): a new hash, or the account's current hash when the
// password is the same again, or neither when the change keeps it.
type Password struct {
	hash, same []byte
}

// PreparePassword hashes a change's password at cost. The same password
// again (the admin's, set from the environment at every start) is no
// change: it keeps the account's sessions.
func PreparePassword(st queue.Store, name, password string, cost int) (Password, error) {
	var p Password
	if password == "" {
		return p, nil
	}
	if cur, err := st.User(name); err == nil && !cur.IsDevice() && len(cur.PasswordHash) > 0 &&
		bcrypt.CompareHashAndPassword(cur.PasswordHash, []byte(password)) == nil {
		p.same = cur.PasswordHash
		return p, nil
	}
	var err error
	p.hash, err = bcrypt.GenerateFromPassword([]byte(password), cost)
	return p, err
}

// PutUser creates or updates an account with a change CheckUser accepted
// and its prepared password. A device account is refused (a tablet
// re-enabled after its counter was paired again would be a credential
// nobody manages). A new password or a disable ends the account's
// sessions (User.Epoch).
func PutUser(tx *engine.Tx, name string, c UserChange, p Password) (queue.User, error) {
	if c.Centre != "" {
		if _, err := tx.Live(c.Centre); err != nil {
			return queue.User{}, err
		}
	}
	u, err := tx.User(name)
	if err != nil && queue.ErrorCode(err) != queue.ENotFound {
		return queue.User{}, err
	}
	if err == nil && u.IsDevice() {
		return queue.User{}, ErrDeviceAccount
	}
	if p.same != nil && (err != nil || !bytes.Equal(u.PasswordHash, p.same)) {
		return queue.User{}, queue.Errorf(queue.EConflict, "the account changed meanwhile: try again", "tài khoản vừa được thay đổi: vui lòng thử lại")
	}
	if err != nil { // new
		if p.hash == nil {
			return queue.User{}, queue.Errorf(queue.EInvalid, "a new account needs a password", "tài khoản mới cần mật khẩu")
		}
		u = queue.User{Username: name, CreatedAt: tx.Now}
	} else if p.hash != nil || (c.Disabled && !u.Disabled) {
		u.EndSessions()
	}
	u.Role, u.Centre, u.Name, u.Disabled = c.Role, c.Centre, queue.NFC(c.Name), c.Disabled
	if p.hash != nil {
		u.PasswordHash = p.hash
	}
	tx.PutUser(u)
	return u, nil
}
