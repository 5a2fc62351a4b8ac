package accounts

import (
	"strings"
	"time"
	"unicode/utf8"

	"xephang/queue-server/ca"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// Enrolment and kiosk credentials. A token is one-time and expires after
// EnrollmentTTL; only its hash is stored. The credential a kiosk gets is a
// client certificate of the server's CA or, on a server without one, a
// bearer token of a kiosk account valid KioskCredentialTTL.
const (
	EnrollmentTTL      = 24 * time.Hour
	KioskCredentialTTL = 365 * 24 * time.Hour
	CertWarning        = 30 * 24 * time.Hour
)

// TokenIDLen is how many hex digits of a token's SHA-256 name it in lists:
// 64 bits, enough to tell a centre's tokens apart, useless to enrol.
const TokenIDLen = 16

// TokensShownFor is how long a used, cancelled or expired token stays in
// the list after its end.
const TokensShownFor = 7 * 24 * time.Hour

// NewEnrollment makes a one-time enrolment token for a centre, valid
// EnrollmentTTL; approval makes the kiosk it enrols wait for an
// administrator's approval. It returns the token, shown once, and the
// record stored under its hash.
func NewEnrollment(tx *engine.Tx, centre string, approval bool, by string) (string, queue.Enrollment, error) {
	token := NewToken()
	if _, err := tx.Live(centre); err != nil {
		return "", queue.Enrollment{}, err
	}
	en := queue.Enrollment{Hash: HashToken(token), Centre: centre, Expires: tx.Now.Add(EnrollmentTTL), CreatedBy: by, CreatedAt: tx.Now, Approval: approval}
	tx.PutEnrollment(en)
	return token, en, nil
}

// Enrollments returns the tokens still active and those that ended in the
// last TokensShownFor (of one centre unless centre is empty).
func Enrollments(st queue.Store, centre string, now time.Time) ([]queue.Enrollment, error) {
	ens, err := st.Enrollments()
	if err != nil {
		return nil, err
	}
	var out []queue.Enrollment
	for _, en := range ens {
		if centre != "" && en.Centre != centre {
			continue
		}
		ended := en.Expires
		if !en.CancelledAt.IsZero() {
			ended = en.CancelledAt
		}
		if en.Status(now) != "active" && now.Sub(ended) > TokensShownFor {
			continue
		}
		out = append(out, en)
	}
	return out, nil
}

// lockedEnrollment reads an enrolment token with its centre's write lock
// held: several servers sharing a store then see a token's use or
// cancellation one after the other, and a token read before the lock is
// read again under it (two kiosks enrolling on two servers at once cannot
// both use it).
func lockedEnrollment(tx *engine.Tx, hash string) (queue.Enrollment, error) {
	en, err := tx.Store().Enrollment(hash)
	if err != nil {
		return en, err
	}
	if _, err := tx.Live(en.Centre); err != nil {
		return en, err
	}
	return tx.Store().Enrollment(hash)
}

// CancelEnrollment cancels a token not used yet, named by the first
// TokenIDLen hex digits of its hash: a token written on a paper that went
// astray, a kiosk that will not come. Cancelling it again, or an expired
// one, answers the same; a used one is refused (revoke the kiosk).
func CancelEnrollment(tx *engine.Tx, id, by string) (queue.Enrollment, error) {
	ens, err := tx.Store().Enrollments()
	if err != nil {
		return queue.Enrollment{}, err
	}
	var found []queue.Enrollment
	for _, en := range ens {
		if len(id) == TokenIDLen && strings.HasPrefix(en.Hash, id) {
			found = append(found, en)
		}
	}
	if len(found) != 1 { // two tokens sharing 64 bits of hash: never, but not guessed at
		return queue.Enrollment{}, queue.Errorf(queue.ENotFound, "no enrolment token %q", "không tìm thấy mã đăng ký %q", id)
	}
	en, err := lockedEnrollment(tx, found[0].Hash)
	if err != nil {
		return queue.Enrollment{}, err
	}
	switch en.Status(tx.Now) {
	case "used":
		return queue.Enrollment{}, queue.Errorf(queue.EConflict, "this token already enrolled kiosk %s: revoke the kiosk instead", "mã này đã dùng để đăng ký ki-ốt %s: hãy thu hồi ki-ốt đó", en.UsedBy)
	case "cancelled", "expired":
		return en, nil
	}
	if !tx.Claim("enroll:" + en.Hash) {
		return queue.Enrollment{}, queue.Errorf(queue.EConflict, "a kiosk is enrolling with this token right now", "một ki-ốt đang đăng ký bằng mã này")
	}
	en.CancelledBy, en.CancelledAt = by, tx.Now
	tx.PutEnrollment(en)
	return en, nil
}

// CheckEnroll checks an enrolment request before the token is looked at:
// the kiosk's name (returned in its stored form), and a certificate request
// only where the server has a CA.
func CheckEnroll(name, csr string, authority *ca.Authority) (string, error) {
	name = queue.NFC(name)
	if utf8.RuneCountInString(name) > 100 {
		return "", queue.Errorf(queue.EInvalid, "kiosk name: at most 100 characters", "tên ki-ốt: tối đa 100 ký tự")
	}
	if err := queue.CheckText("name", name, 400); err != nil {
		return "", err
	}
	if csr != "" && authority == nil {
		return "", queue.Errorf(queue.EInvalid, "this server has no certificate authority: enrol without a CSR", "máy chủ không cấp chứng thư: hãy đăng ký không kèm CSR")
	}
	return name, nil
}

// Enrolled is what an enrolment gives a kiosk: its record, and either a
// certificate (with the CA's own) or a bearer credential, and when it
// expires.
type Enrolled struct {
	Kiosk       queue.Kiosk
	Certificate []byte // PEM, with a CSR
	CA          []byte // PEM, with a CSR
	Credential  string // a bearer token, without a CSR
	Expires     time.Time
}

// ErrBadToken refuses an enrolment whose token cannot enrol.
var ErrBadToken = queue.Errorf(queue.EUnauthorized, "this enrolment token is unknown, used, cancelled or expired: ask the administrator for a new one", "mã đăng ký không đúng, đã dùng, đã huỷ hoặc đã hết hạn: hãy xin quản trị viên mã mới")

// Enroll uses a one-time token (active, and claimed in this round, so two
// kiosks enrolling at once cannot both use it) to make a kiosk of the
// token's centre, with its account; name as CheckEnroll returned it. With
// a CSR the kiosk gets a certificate of authority, otherwise a bearer
// credential. A token made with approval leaves the kiosk pending.
func Enroll(tx *engine.Tx, token, name, csr string, authority *ca.Authority) (Enrolled, error) {
	hash := HashToken(strings.TrimSpace(token))
	credential := NewToken()
	en, err := lockedEnrollment(tx, hash)
	if queue.ErrorCode(err) == queue.EUnavailable {
		return Enrolled{}, err
	}
	if err != nil || en.Status(tx.Now) != "active" || !tx.Claim("enroll:"+hash) {
		return Enrolled{}, ErrBadToken
	}
	id := "kiosk-" + engine.NewID()[:10]
	out := Enrolled{Kiosk: queue.Kiosk{ID: id, Centre: en.Centre, Name: name, EnrolledAt: tx.Now, Pending: en.Approval}}
	if csr != "" {
		issued, err := authority.SignKiosk([]byte(csr), id, en.Centre)
		if err != nil {
			return Enrolled{}, queue.Errorf(queue.EInvalid, "certificate request: %v", "yêu cầu chứng thư không hợp lệ: %v", err)
		}
		out.Kiosk.CertSerial, out.Kiosk.CertExpires = issued.Serial, issued.NotAfter
		out.Certificate, out.CA, out.Expires = issued.PEM, authority.CertPEM(), issued.NotAfter
	} else {
		se := queue.Session{Hash: HashToken(credential), Username: id, Expires: tx.Now.Add(KioskCredentialTTL)}
		tx.PutSession(se)
		out.Credential, out.Expires = credential, se.Expires
	}
	en.UsedBy = id
	tx.PutEnrollment(en)
	tx.PutUser(queue.User{Username: id, Role: queue.RoleKiosk, Centre: en.Centre, Name: name, CreatedAt: tx.Now})
	tx.PutKiosk(out.Kiosk)
	return out, nil
}

// Renew signs a new certificate for a kiosk (at half-life, over its
// current certificate). The previous one stays valid until it expires, so
// an answer lost on the way strands nothing.
func Renew(tx *engine.Tx, kiosk, csr string, authority *ca.Authority) (queue.Kiosk, ca.Issued, error) {
	k, err := tx.Kiosk(kiosk)
	if err != nil {
		return queue.Kiosk{}, ca.Issued{}, err
	}
	issued, err := authority.SignKiosk([]byte(csr), k.ID, k.Centre)
	if err != nil {
		return queue.Kiosk{}, ca.Issued{}, queue.Errorf(queue.EInvalid, "certificate request: %v", "yêu cầu chứng thư không hợp lệ: %v", err)
	}
	k.PrevSerial, k.CertSerial, k.CertExpires = k.CertSerial, issued.Serial, issued.NotAfter
	tx.PutKiosk(k)
	return k, issued, nil
}

// ErrNoCA refuses a certificate renewal on a server without a CA.
var ErrNoCA = queue.Errorf(queue.EInvalid, "this server has no certificate authority", "máy chủ không cấp chứng thư")

// Revoke stops a kiosk: its certificate and its bearer credential (its
// account disabled, its sessions ended).
func Revoke(tx *engine.Tx, k *queue.Kiosk) error {
	u, err := tx.User(k.ID)
	if err != nil {
		return err
	}
	k.Revoked, u.Disabled = true, true
	u.EndSessions()
	tx.PutUser(u)
	return nil
}

// Approve lets a kiosk enrolled with a token that asked for approval work.
func Approve(_ *engine.Tx, k *queue.Kiosk) error {
	k.Pending = false
	return nil
}

var (
	errKioskRevoked = queue.Errorf(queue.EKioskRevoked, "this kiosk's enrolment was revoked or has expired: enrol it again", "ki-ốt này đã bị thu hồi hoặc hết hạn đăng ký: cần đăng ký lại")
	errKioskPending = queue.Errorf(queue.EKioskPending, "this kiosk waits for an administrator's approval", "ki-ốt này đang chờ quản trị viên phê duyệt")
)

// KioskUsable says why a kiosk may not act (revoked, or waiting for
// approval), or nil.
func KioskUsable(k queue.Kiosk) error {
	switch {
	case k.Revoked:
		return errKioskRevoked
	case k.Pending:
		return errKioskPending
	}
	return nil
}

// KioskByCert returns the account of the kiosk a client certificate names
// (the TLS layer has verified it was signed by our CA and is in its
// validity): its serial (hex) must be the kiosk's current or previous
// one, and the kiosk neither revoked nor waiting for approval.
func KioskByCert(st queue.Store, commonName, serialHex string) (queue.User, error) {
	k, err := st.Kiosk(commonName)
	if err != nil {
		return queue.User{}, ErrUnauthorized
	}
	if err := KioskUsable(k); err != nil {
		return queue.User{}, err
	}
	if serialHex != k.CertSerial && serialHex != k.PrevSerial {
		return queue.User{}, errKioskRevoked
	}
	u, err := st.User(commonName)
	if err != nil || u.Disabled || u.Role != queue.RoleKiosk {
		return queue.User{}, ErrUnauthorized
	}
	return u, nil
}

// KioskOnline reports whether a kiosk counts as online: not revoked and
// heard from in the last 30 seconds.
func KioskOnline(k queue.Kiosk, now time.Time) bool {
	return !k.Revoked && now.Sub(k.LastSeen) < 30*time.Second
}

// CertExpiring reports whether a kiosk's certificate expires within
// CertWarning.
func CertExpiring(k queue.Kiosk, now time.Time) bool {
	return !k.CertExpires.IsZero() && k.CertExpires.Sub(now) < CertWarning
}
