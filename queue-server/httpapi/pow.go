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
// number by trying them in turn and sends it back. A script pays the same
// work for every booking; a challenge is single-use (spent ones are kept
// in the store until they expire, so a restart does not revive them) and
// expires. Staff and kiosks skip it.
//
// The difficulty comes from a measured budget (docs/benchmarks.md, "Proof
// of work"): on average maxnumber/2 hashes. At powBaseNumber headless
// Chromium pays 0.2-0.4 s on this project's server core (a phone perhaps
// four times that, solved while the citizen types, with progress shown),
// a tuned native script 25-80 ms of one core per booking: the per-address
// booking limit, not the work, bounds a script. Under load — more than
// powLoadStep challenges issued in the last minute — maxnumber grows by
// one base per step, up to powMaxFactor bases, so a flood pays up to six
// times more while it lasts.
const (
	powBaseNumber = 500_000
	powMaxFactor  = 6
	powLoadStep   = 30
	powTTL        = 10 * time.Minute
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
	used map[string]time.Time // challenge → expiry, for a store that cannot keep them
	// issued counts the challenges of each of the last 60 seconds
	// (second mod 60), to set the difficulty from the recent rate.
	issued [60]int
	at     [60]int64 // the unix second each count belongs to
}

// maxNumber records a challenge issued now and returns its maxnumber.
func (p *powState) maxNumber(now time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	sec := now.Unix()
	i := int(sec % 60)
	if p.at[i] != sec {
		p.at[i], p.issued[i] = sec, 0
	}
	p.issued[i]++
	n := 0
	for j := range p.issued {
		if sec-p.at[j] < 60 {
			n += p.issued[j]
		}
	}
	return powBaseNumber * min(1+(n-1)/powLoadStep, powMaxFactor)
}

// spentStore keeps spent challenges until they expire (the bbolt store).
type spentStore interface {
	SpendChallenge(challenge string, expires, now time.Time) (bool, error)
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
	top := s.pow.maxNumber(now)
	n := int(binary.BigEndian.Uint32(b[12:]) % uint32(top+1))
	ch := sha256hex(salt + strconv.Itoa(n))
	return Challenge{Algorithm: "SHA-256", Challenge: ch, MaxNumber: top, Salt: salt, Signature: s.powSign(ch)}
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
	if st, ok := s.store.(spentStore); ok {
		fresh, err := st.SpendChallenge(sol.Challenge, time.Unix(exp, 0), now)
		if err != nil {
			return err
		}
		if !fresh {
			return errChallenge
		}
		return nil
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

// SolveChallenge finds the number of a challenge as a native script would
// (one buffer, no allocation per try: what docs/benchmarks.md measures as
// a script's cost per booking) and returns the X-Altcha value.
func SolveChallenge(c Challenge) (string, bool) {
	want, err := hex.DecodeString(c.Challenge)
	if err != nil || len(want) != sha256.Size {
		return "", false
	}
	buf := []byte(c.Salt)
	base := len(buf)
	for n := 0; n <= c.MaxNumber; n++ {
		buf = strconv.AppendInt(buf[:base], int64(n), 10)
		if sum := sha256.Sum256(buf); string(sum[:]) == string(want) {
			raw, _ := json.Marshal(Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature})
			return base64.StdEncoding.EncodeToString(raw), true
		}
	}
	return "", false
}
