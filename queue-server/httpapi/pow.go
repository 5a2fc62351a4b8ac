package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"xephang/queue-server/queue"
)

// The anti-bot challenge of anonymous bookings, after ALTCHA's scheme: the
// server sends salt, challenge = SHA-256(salt + number) for a secret random
// number ≤ maxnumber, and an HMAC of the challenge; the browser finds the
// number by trying them all (about a second on a phone) and sends it back.
// A script pays the same work for every booking; a challenge is single-use
// and expires. Staff and kiosks skip it.
const (
	powMaxNumber = 100_000
	powTTL       = 10 * time.Minute
)

// Challenge is GET /api/v1/challenge.
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int    `json:"maxnumber"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Solution is what a client sends back, base64 JSON in the X-Altcha header
// (or the body's "altcha" field).
type Solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int    `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

type powState struct {
	mu   sync.Mutex
	used map[string]time.Time // challenge → expiry
}

func sha256hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func (s *Server) powSign(challenge string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("altcha:" + challenge))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) newChallenge(now time.Time) Challenge {
	var b [16]byte
	rand.Read(b[:])
	salt := hex.EncodeToString(b[:12]) + "?expires=" + strconv.FormatInt(now.Add(powTTL).Unix(), 10)
	n := int(binary.BigEndian.Uint32(b[12:]) % (powMaxNumber + 1))
	ch := sha256hex(salt + strconv.Itoa(n))
	return Challenge{Algorithm: "SHA-256", Challenge: ch, MaxNumber: powMaxNumber, Salt: salt, Signature: s.powSign(ch)}
}

func (s *Server) handleChallenge(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.newChallenge(s.now()))
}

var errChallenge = queue.Errorf(queue.EChallenge, "the anti-robot check failed or expired: reload the page and try again", "kiểm tra chống máy tự động không đạt hoặc đã hết hạn: vui lòng tải lại trang và thử lại")

// verifyPoW checks a solution and spends it.
func (s *Server) verifyPoW(payload string, now time.Time) error {
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return errChallenge
	}
	var sol Solution
	if json.Unmarshal(raw, &sol) != nil || sol.Algorithm != "SHA-256" {
		return errChallenge
	}
	if !hmac.Equal([]byte(s.powSign(sol.Challenge)), []byte(sol.Signature)) {
		return errChallenge
	}
	if sha256hex(sol.Salt+strconv.Itoa(sol.Number)) != sol.Challenge {
		return errChallenge
	}
	_, q, _ := strings.Cut(sol.Salt, "?expires=")
	exp, err := strconv.ParseInt(q, 10, 64)
	if err != nil || now.Unix() > exp {
		return errChallenge
	}
	s.pow.mu.Lock()
	defer s.pow.mu.Unlock()
	for c, e := range s.pow.used {
		if now.After(e) {
			delete(s.pow.used, c)
		}
	}
	if _, spent := s.pow.used[sol.Challenge]; spent {
		return errChallenge
	}
	s.pow.used[sol.Challenge] = time.Unix(exp, 0)
	return nil
}

// SolveChallenge finds the number of a challenge (for tests, load tools and
// the documentation of what a browser does) and returns the X-Altcha value.
func SolveChallenge(c Challenge) (string, bool) {
	for n := 0; n <= c.MaxNumber; n++ {
		if sha256hex(c.Salt+strconv.Itoa(n)) == c.Challenge {
			raw, _ := json.Marshal(Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature})
			return base64.StdEncoding.EncodeToString(raw), true
		}
	}
	return "", false
}
