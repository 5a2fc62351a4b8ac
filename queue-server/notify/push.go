package notify

// Web Push (RFC 8030) with message encryption (RFC 8291 over the aes128gcm
// content coding of RFC 8188) and VAPID (RFC 8292), written on the
// standard library's crypto: the scheme is small, and a library would
// bring more than it saves.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"xephang/queue-server/queue"
)

// PushConfig configures the Web Push sender.
type PushConfig struct {
	// Subject is the operator's contact for the push services (RFC 8292
	// "sub"): "mailto:…" or an https URL.
	Subject string `json:"subject"`
	// KeyFile holds the VAPID key (PEM, PKCS#8, mode 0600); default
	// DATA_DIR/vapid.key, created on first start.
	KeyFile string `json:"key_file,omitempty"`
	// AllowLoopbackHTTP lets tests push to an http:// endpoint on the
	// loopback interface; never set in production.
	AllowLoopbackHTTP bool `json:"-"`
}

// Web Push limits and defaults.
const (
	// pushRecordSize is the aes128gcm record size: the whole body must
	// fit in 4096 octets (RFC 8291 §4), so it is one record.
	pushRecordSize = 4096
	// MaxPushPayload is the largest plaintext a push carries (RFC 8291
	// §4: 4096 minus the 86-octet header, the tag and the delimiter).
	MaxPushPayload = pushRecordSize - pushHeaderLen - 16 - 1
	pushHeaderLen  = 16 + 4 + 1 + 65
	// MaxPushEndpoint bounds a subscription's endpoint URL.
	MaxPushEndpoint = 2000
	// pushTimeout bounds one request to a push service.
	pushTimeout = 15 * time.Second
	// vapidLifetime is a VAPID token's validity (RFC 8292 §2: at most
	// 24 hours); one is reused for an origin until an hour before it ends.
	vapidLifetime = 12 * time.Hour
	// maxAnswer bounds what is read of a gateway's answer.
	maxAnswer = 64 << 10
)

// Push sends Web Push messages signed with the server's VAPID key.
type Push struct {
	key      *ecdsa.PrivateKey
	public   string // uncompressed point, unpadded base64url
	subject  string
	topicKey []byte // keys the Topic hash, so a number cannot be guessed from it
	loopback bool
	client   *http.Client
	now      func() time.Time

	mu     sync.Mutex
	tokens map[string]vapidToken // by audience (the endpoint's origin)
}

type vapidToken struct {
	header string
	exp    time.Time
}

// NewPush loads the VAPID key (or creates it once) and returns the sender.
func NewPush(cfg PushConfig, dataDir string) (*Push, error) {
	if err := checkSubject(cfg.Subject); err != nil {
		return nil, err
	}
	path := cfg.KeyFile
	if path == "" {
		path = filepath.Join(dataDir, "vapid.key")
	}
	key, err := loadVAPIDKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createVAPIDKey(path)
	}
	if err != nil {
		return nil, err
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	d, err := key.Bytes()
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	tk := sha256.Sum256(append([]byte("xephang push topic key\x00"), d...))
	p := &Push{
		key:      key,
		topicKey: tk[:],
		public:   base64.RawURLEncoding.EncodeToString(pub),
		subject:  cfg.Subject,
		loopback: cfg.AllowLoopbackHTTP,
		now:      time.Now,
		tokens:   map[string]vapidToken{},
	}
	// Endpoints come from citizens' browsers: only public addresses are
	// dialled (the loopback interface too when the tests allow it).
	var allow func(netip.Addr) bool
	if cfg.AllowLoopbackHTTP {
		allow = netip.Addr.IsLoopback
	}
	p.client = &http.Client{
		Timeout:   pushTimeout,
		Transport: guardedTransport(allow),
		// A push service answers; it does not send us elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return p, nil
}

func checkSubject(s string) error {
	if strings.HasPrefix(s, "mailto:") && strings.Contains(s, "@") {
		return nil
	}
	if u, err := url.Parse(s); err == nil && u.Scheme == "https" && u.Host != "" {
		return nil
	}
	return fmt.Errorf("push: subject %q is neither mailto:… nor an https URL (RFC 8292)", s)
}

func loadVAPIDKey(path string) (*ecdsa.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("push: %s is readable by others (mode %o): chmod 600 it", path, st.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("push: %s: not a PEM PKCS#8 private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("push: %s: %w", path, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("push: %s: not a P-256 key (VAPID needs ES256)", path)
	}
	return ek, nil
}

// createVAPIDKey writes a new key next to path and links it into place, so
// that the file appears whole or not at all, and two servers starting
// together end up with the same key (the second loads the first's).
func createVAPIDKey(path string) (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	f, err := os.CreateTemp(dir, ".vapid-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = f.Chmod(0o600)
	if err == nil {
		err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	if errors.Is(err, fs.ErrExist) {
		return loadVAPIDKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return key, nil
}

// PublicKey is the VAPID public key, the browser's applicationServerKey:
// the uncompressed P-256 point in unpadded base64url.
func (p *Push) PublicKey() string { return p.public }

// Name is "push".
func (p *Push) Name() string { return queue.ChannelPush }

// pushPayload is what the service worker shows. It holds the rendered
// texts and the page's link: no name, phone or identity number.
type pushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url,omitempty"`
	Tag   string `json:"tag"`
}

// Send encrypts m's title and text for m.Push and posts it to its endpoint.
func (p *Push) Send(ctx context.Context, m Outgoing) error {
	if m.Push == nil {
		return &Error{Gateway: "push", Permanent: true, Msg: "no push subscription"}
	}
	ua, auth, err := subscriptionKeys(*m.Push)
	if err != nil {
		return &Error{Gateway: "push", Permanent: true, Gone: true, Msg: err.Error()}
	}
	u, err := p.checkEndpoint(m.Push.Endpoint)
	if err != nil {
		return &Error{Gateway: "push", Permanent: true, Gone: true, Msg: err.Error()}
	}
	plain, err := json.Marshal(pushPayload{Title: m.Title, Body: m.Text, URL: m.Data["url"], Tag: m.ID})
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if len(plain) > MaxPushPayload {
		return &Error{Gateway: "push", Permanent: true, Msg: fmt.Sprintf("payload of %d bytes is over %d", len(plain), MaxPushPayload)}
	}
	body, err := encryptPush(plain, ua, auth, nil, nil)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	auz, err := p.authorization(u)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return &Error{Gateway: "push", Permanent: true, Gone: true, Msg: err.Error()}
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Authorization", auz)
	req.Header.Set("TTL", strconv.Itoa(pushTTL(m.Topic)))
	req.Header.Set("Urgency", pushUrgency(m.Topic))
	if t := p.topic(m); t != "" {
		req.Header.Set("Topic", t)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("push: %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	return pushAnswer(resp, answer)
}

// pushAnswer maps a push service's answer (RFC 8030 §5, §8.3) to an error.
func pushAnswer(resp *http.Response, answer []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	e := &Error{Gateway: "push", Msg: fmt.Sprintf("HTTP %d%s", code, shortAnswer(answer))}
	switch {
	case code == http.StatusNotFound || code == http.StatusGone:
		// The subscription expired or the browser unsubscribed.
		e.Gone, e.Permanent = true, true
	case code == http.StatusTooManyRequests:
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	case code == http.StatusRequestTimeout:
	case code >= 400 && code < 500:
		// 400 malformed, 401/403 our VAPID token or a key the
		// subscription was not made with, 413 too large: the same
		// request cannot succeed later.
		e.Permanent = true
	}
	return e
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		// Capped before the multiplication: seconds past 24 h would
		// overflow a Duration into a negative wait.
		return time.Duration(min(s, 24*60*60)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}

// shortAnswer is the start of an answer's body on one line, for an error.
func shortAnswer(b []byte) string {
	s := strings.Join(strings.Fields(queue.PlainText(string(b))), " ")
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return ": " + s
}

// Ticket messages are worth little an hour late; a booking's a day.
func pushTTL(topic string) int {
	switch topic {
	case queue.TopicBooked, queue.TopicReminderDay, queue.TopicCancelled, queue.TopicCentreClosed:
		return 24 * 3600
	}
	return 3600
}

func pushUrgency(topic string) string {
	if topic == queue.TopicCalled || topic == queue.TopicNear {
		return "high"
	}
	return "normal"
}

// pushTopic names the ticket or booking a message is about, so that the
// push service replaces an undelivered older message by a newer one
// ("near" by "called"). It is a keyed hash (RFC 8030 §5.4: at most 32
// base64url characters): the push service cannot test numbers against it.
func (p *Push) topic(m Outgoing) string {
	what := m.Data["code"]
	if what == "" {
		what = m.Data["number"]
	}
	if what == "" {
		return ""
	}
	h := hmac.New(sha256.New, p.topicKey)
	h.Write([]byte(m.Centre + "\x00" + what))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:24])
}

// checkEndpoint refuses an endpoint that is not https (an http one on the
// loopback interface only when the tests allow it).
func (p *Push) checkEndpoint(raw string) (*url.URL, error) {
	if len(raw) > MaxPushEndpoint {
		return nil, fmt.Errorf("endpoint longer than %d bytes", MaxPushEndpoint)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return nil, errors.New("endpoint is not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.loopback && isLoopbackHost(u.Hostname()):
	default:
		return nil, fmt.Errorf("endpoint scheme %q is not https", u.Scheme)
	}
	return u, nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ValidSubscription checks a browser's subscription before it is kept:
// an https endpoint of at most 2,000 bytes, p256dh an uncompressed P-256
// point, auth 16 bytes (RFC 8291 §3.2), both in base64url.
func ValidSubscription(s queue.PushSubscription) error {
	if len(s.Endpoint) > MaxPushEndpoint {
		return queue.Errorf(queue.EInvalid, "push subscription: the endpoint is longer than %d bytes", "đăng ký nhận thông báo đẩy: địa chỉ endpoint dài quá %d byte", MaxPushEndpoint).At("push.endpoint")
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return queue.Errorf(queue.EInvalid, "push subscription: the endpoint must be an https URL", "đăng ký nhận thông báo đẩy: endpoint phải là một địa chỉ https").At("push.endpoint")
	}
	if a, err := netip.ParseAddr(u.Hostname()); (err == nil && !publicAddr(a)) || u.Hostname() == "localhost" {
		return queue.Errorf(queue.EInvalid, "push subscription: the endpoint is not a public address", "đăng ký nhận thông báo đẩy: endpoint không phải địa chỉ công cộng").At("push.endpoint")
	}
	if _, _, err := subscriptionKeys(s); err != nil {
		return err
	}
	return nil
}

// subscriptionKeys decodes and checks a subscription's keys.
func subscriptionKeys(s queue.PushSubscription) (*ecdh.PublicKey, []byte, error) {
	p, err := decodeB64URL(s.P256dh)
	if err != nil || len(p) != 65 {
		return nil, nil, queue.Errorf(queue.EInvalid, "push subscription: p256dh must be a P-256 public key of 65 bytes in base64url", "đăng ký nhận thông báo đẩy: p256dh phải là khoá công khai P-256 dài 65 byte, mã base64url").At("push.p256dh")
	}
	ua, err := ecdh.P256().NewPublicKey(p)
	if err != nil {
		return nil, nil, queue.Errorf(queue.EInvalid, "push subscription: p256dh is not a point of the P-256 curve", "đăng ký nhận thông báo đẩy: p256dh không phải một điểm của đường cong P-256").At("push.p256dh")
	}
	auth, err := decodeB64URL(s.Auth)
	if err != nil || len(auth) != 16 {
		return nil, nil, queue.Errorf(queue.EInvalid, "push subscription: auth must be a secret of 16 bytes in base64url", "đăng ký nhận thông báo đẩy: auth phải là khoá bí mật dài 16 byte, mã base64url").At("push.auth")
	}
	return ua, auth, nil
}

// decodeB64URL reads base64url with or without padding (browsers give it
// without; some libraries add it).
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// encryptPush encrypts plain for the user agent's key ua and auth secret
// (RFC 8291 §3.4) as one aes128gcm record (RFC 8188 §2). as and salt are
// fresh for every message; tests give RFC 8291's.
func encryptPush(plain []byte, ua *ecdh.PublicKey, auth []byte, as *ecdh.PrivateKey, salt []byte) ([]byte, error) {
	if len(plain) > MaxPushPayload {
		return nil, fmt.Errorf("payload of %d bytes is over %d", len(plain), MaxPushPayload)
	}
	var err error
	if as == nil {
		if as, err = ecdh.P256().GenerateKey(rand.Reader); err != nil {
			return nil, err
		}
	}
	if salt == nil {
		salt = make([]byte, 16)
		rand.Read(salt)
	}
	shared, err := as.ECDH(ua)
	if err != nil {
		return nil, err
	}
	asPub := as.PublicKey().Bytes()
	// key_info = "WebPush: info" || 0x00 || ua_public || as_public
	info := make([]byte, 0, 14+65+65)
	info = append(append(append(info, "WebPush: info\x00"...), ua.Bytes()...), asPub...)
	ikm, err := hkdf.Key(sha256.New, shared, auth, string(info), 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
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
	out := make([]byte, pushHeaderLen, pushHeaderLen+len(plain)+1+gcm.Overhead())
	copy(out, salt)
	binary.BigEndian.PutUint32(out[16:], pushRecordSize)
	out[20] = byte(len(asPub))
	copy(out[21:], asPub)
	// The last (and only) record's padding delimiter is 0x02, no padding.
	rec := append(append(out[pushHeaderLen:], plain...), 0x02)
	return gcm.Seal(out, nonce, rec, nil), nil
}

// authorization is the VAPID header for the endpoint's origin (RFC 8292
// §3): an ES256 JWT and the public key, reused until an hour before it ends.
func (p *Push) authorization(u *url.URL) (string, error) {
	aud := u.Scheme + "://" + u.Host
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.tokens[aud]; ok && now.Add(time.Hour).Before(t.exp) {
		return t.header, nil
	}
	exp := now.Add(vapidLifetime).Truncate(time.Second)
	jwt, err := signJWT(p.key, map[string]any{"aud": aud, "exp": exp.Unix(), "sub": p.subject})
	if err != nil {
		return "", err
	}
	h := "vapid t=" + jwt + ", k=" + p.public
	if len(p.tokens) > 1000 {
		clear(p.tokens) // a bound; push services are a handful of origins
	}
	p.tokens[aud] = vapidToken{header: h, exp: exp}
	return h, nil
}

// signJWT signs claims with ES256 (RFC 7515 §A.3: r and s, 32 bytes each).
func signJWT(key *ecdsa.PrivateKey, claims map[string]any) (string, error) {
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding
	signed := b64.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`)) + "." + b64.EncodeToString(c)
	h := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + b64.EncodeToString(sig), nil
}
