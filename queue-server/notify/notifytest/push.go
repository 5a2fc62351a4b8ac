package notifytest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// PushReceiver is a push service on the loopback interface (RFC 8030):
// it accepts messages for the subscriptions it made, decrypts them (RFC
// 8291, RFC 8188) and checks their VAPID token (RFC 8292).
type PushReceiver struct {
	URL string
	// ServerKey, when set, is the applicationServerKey the subscriptions
	// were made with: a token signed with another key is refused (403),
	// as browsers' push services do. Set it while no push is under way.
	ServerKey string

	srv *httptest.Server
	mu  sync.Mutex
	now func() time.Time
	n   int
	sub map[string]*pushSub // by path
	got []PushDelivery
	bad []string
}

type pushSub struct {
	key  *ecdh.PrivateKey
	auth []byte
	gone bool
}

// PushDelivery is a message the receiver accepted.
type PushDelivery struct {
	Endpoint string
	Payload  []byte // decrypted
	TTL      string
	Urgency  string
	Topic    string
	Audience string // the VAPID token's aud
	Expires  time.Time
}

// StartPushReceiver starts a push service, closed when the test ends.
func StartPushReceiver(t testing.TB) *PushReceiver {
	r := &PushReceiver{sub: map[string]*pushSub{}, now: time.Now}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(r.srv.Close)
	return r
}

// SetNow sets the receiver's clock (the VAPID token's expiry is checked
// against it).
func (r *PushReceiver) SetNow(now func() time.Time) {
	r.mu.Lock()
	r.now = now
	r.mu.Unlock()
}

// NewSubscription makes a subscription as a browser would: a fresh P-256
// key pair, an auth secret and an endpoint on this receiver.
func (r *PushReceiver) NewSubscription() queue.PushSubscription {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	r.mu.Lock()
	r.n++
	path := fmt.Sprintf("/push/%d", r.n)
	r.sub[path] = &pushSub{key: key, auth: auth}
	r.mu.Unlock()
	b64 := base64.RawURLEncoding
	return queue.PushSubscription{Endpoint: r.URL + path, P256dh: b64.EncodeToString(key.PublicKey().Bytes()), Auth: b64.EncodeToString(auth)}
}

// Unsubscribe ends a subscription: its pushes are answered 410 Gone.
func (r *PushReceiver) Unsubscribe(endpoint string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.sub[strings.TrimPrefix(endpoint, r.URL)]; s != nil {
		s.gone = true
	}
}

// Deliveries returns the messages accepted so far, in order.
func (r *PushReceiver) Deliveries() []PushDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]PushDelivery(nil), r.got...)
}

// Wait returns the deliveries once there are at least n, failing the
// test if they do not come within 10 seconds.
func (r *PushReceiver) Wait(t testing.TB, n int) []PushDelivery {
	t.Helper()
	waitFor(t, func() bool { return len(r.Deliveries()) >= n }, func() string {
		return fmt.Sprintf("%d push deliveries, want %d (refused: %q)", len(r.Deliveries()), n, r.Refused())
	})
	return r.Deliveries()
}

// waitFor polls cond until it holds, or fails the test after 10 seconds.
func waitFor(t testing.TB, cond func() bool, why func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(why())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Refused returns why each refused request was refused.
func (r *PushReceiver) Refused() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

func (r *PushReceiver) refuse(w http.ResponseWriter, code int, why string) {
	r.mu.Lock()
	r.bad = append(r.bad, why)
	r.mu.Unlock()
	http.Error(w, why, code)
}

func (r *PushReceiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		r.refuse(w, http.StatusMethodNotAllowed, "not a POST")
		return
	}
	r.mu.Lock()
	s := r.sub[req.URL.Path]
	now := r.now()
	r.mu.Unlock()
	switch {
	case s == nil:
		r.refuse(w, http.StatusNotFound, "no such subscription")
		return
	case s.gone:
		r.refuse(w, http.StatusGone, "unsubscribed")
		return
	}
	aud, exp, err := r.checkVAPID(req.Header.Get("Authorization"), now)
	if err != nil {
		code := http.StatusUnauthorized
		if errors.Is(err, errWrongKey) {
			code = http.StatusForbidden
		}
		r.refuse(w, code, "vapid: "+err.Error())
		return
	}
	if req.Header.Get("Content-Encoding") != "aes128gcm" {
		r.refuse(w, http.StatusUnsupportedMediaType, "Content-Encoding is not aes128gcm")
		return
	}
	if req.Header.Get("TTL") == "" {
		r.refuse(w, http.StatusBadRequest, "no TTL") // RFC 8030 §5.2
		return
	}
	if tp := req.Header.Get("Topic"); len(tp) > 32 || strings.Trim(tp, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		r.refuse(w, http.StatusBadRequest, "Topic is not at most 32 base64url characters") // RFC 8030 §5.4
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 4097))
	if err != nil {
		r.refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(body) > 4096 {
		r.refuse(w, http.StatusRequestEntityTooLarge, "body over 4096 bytes")
		return
	}
	plain, err := DecryptPush(body, s.key, s.auth)
	if err != nil {
		r.refuse(w, http.StatusBadRequest, "decrypt: "+err.Error())
		return
	}
	r.mu.Lock()
	r.got = append(r.got, PushDelivery{
		Endpoint: r.URL + req.URL.Path, Payload: plain, TTL: req.Header.Get("TTL"), Urgency: req.Header.Get("Urgency"),
		Topic: req.Header.Get("Topic"), Audience: aud, Expires: exp,
	})
	r.mu.Unlock()
	w.Header().Set("Location", r.URL+"/message"+req.URL.Path)
	w.WriteHeader(http.StatusCreated)
}

var errWrongKey = errors.New("k= is not the key the subscription was made with")

// checkVAPID checks "vapid t=JWT, k=KEY" (RFC 8292 §3): an ES256 token
// signed with k, for this origin, not expired and not valid for more than
// 24 hours.
func (r *PushReceiver) checkVAPID(h string, now time.Time) (aud string, exp time.Time, err error) {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return "", exp, errors.New("no vapid authorization")
	}
	var jwt, k string
	for p := range strings.SplitSeq(rest, ",") {
		name, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch name {
		case "t":
			jwt = v
		case "k":
			k = v
		}
	}
	if jwt == "" || k == "" {
		return "", exp, errors.New("t= or k= missing")
	}
	if r.ServerKey != "" && k != r.ServerKey {
		return "", exp, errWrongKey
	}
	b64 := base64.RawURLEncoding
	raw, err := b64.DecodeString(k)
	if err != nil {
		return "", exp, fmt.Errorf("k=: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return "", exp, fmt.Errorf("k=: %w", err)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", exp, errors.New("t= is not a JWT")
	}
	var head struct{ Typ, Alg string }
	if err := decodePart(parts[0], &head); err != nil || head.Alg != "ES256" {
		return "", exp, fmt.Errorf("JWT header %+v is not ES256", head)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return "", exp, errors.New("JWT signature is not 64 bytes")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", exp, errors.New("JWT signature does not verify with k=")
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := decodePart(parts[1], &claims); err != nil {
		return "", exp, fmt.Errorf("JWT claims: %w", err)
	}
	if claims.Aud != r.URL {
		return "", exp, fmt.Errorf("aud %q is not this push service's origin %q", claims.Aud, r.URL)
	}
	exp = time.Unix(claims.Exp, 0)
	if !exp.After(now) {
		return "", exp, fmt.Errorf("expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if exp.Sub(now) > 24*time.Hour {
		return "", exp, fmt.Errorf("exp %s is more than 24 hours away", exp.UTC().Format(time.RFC3339))
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https://") {
		return "", exp, fmt.Errorf("sub %q is neither mailto: nor https:", claims.Sub)
	}
	return claims.Aud, exp, nil
}

func decodePart(s string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// DecryptPush decrypts an aes128gcm push message body with the user
// agent's private key and auth secret (RFC 8291 §3.4, RFC 8188 §2): what
// the browser does. Written apart from notify's encryption, so that each
// checks the other.
func DecryptPush(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("shorter than the aes128gcm header")
	}
	salt := body[:16]
	rs := binary.BigEndian.Uint32(body[16:20])
	idlen := int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("keyid of %d bytes is not a P-256 public key", idlen)
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, fmt.Errorf("keyid: %w", err)
	}
	rec := body[21+idlen:]
	if rs < 18 || uint32(len(rec)) > rs {
		return nil, fmt.Errorf("not one record of size %d (%d bytes)", rs, len(rec))
	}
	shared, err := ua.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(ua.PublicKey().Bytes()) + string(asPub.Bytes())
	ikm, err := hkdf.Key(sha256.New, shared, auth, info, 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, rec, nil)
	if err != nil {
		return nil, err
	}
	// Strip the padding: zeros after the delimiter, 0x02 for the last record.
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 0x02 {
		return nil, errors.New("no last-record delimiter 0x02")
	}
	return plain[:i], nil
}
