package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"xephang/queue-server/queue"
)

// Webhook headers.
const (
	// SignatureHeader carries "t=UNIX_SECONDS,v1=HEX", HEX the HMAC-SHA256
	// with the webhook's secret over t + "." + body.
	SignatureHeader = "X-Xephang-Signature"
	// EventHeader carries the event's type.
	EventHeader = "X-Xephang-Event"
	// DeliveryHeader carries the delivery's id, the same on every retry:
	// the receiver's dedup key.
	DeliveryHeader = "X-Xephang-Delivery"
	// SignatureTolerance is how far a signature's time may be from the
	// receiver's clock: an older delivery is refused as a replay.
	SignatureTolerance = 5 * time.Minute
)

// Signature errors: Verify's error wraps one of them.
var (
	ErrSignatureHeader   = errors.New("malformed signature header")
	ErrSignatureMismatch = errors.New("no signature matches")
	ErrSignatureExpired  = errors.New("signature timestamp outside the tolerance")
)

// maxSignatures bounds the v1= values Verify tries (secret rotation
// needs two).
const maxSignatures = 8

// Sign returns the signature header's value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signature(secret, ts, body))
}

func signature(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify is the receiver's check of a signature header: the timestamp
// within tolerance of now (SignatureTolerance when tolerance ≤ 0) and one
// of the v1= values (several during a secret's rotation) the HMAC of the
// timestamp and body with secret, compared in constant time. Keys other
// than t and v1 are ignored, for schemes to come.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = SignatureTolerance
	}
	if len(header) > 2048 {
		return fmt.Errorf("webhook: %w: longer than 2048 bytes", ErrSignatureHeader)
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("webhook: %w: %q is not key=value", ErrSignatureHeader, part)
		}
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("webhook: %w: t= given twice", ErrSignatureHeader)
			}
			if v == "" || len(v) > 12 || strings.Trim(v, "0123456789") != "" {
				return fmt.Errorf("webhook: %w: t=%q is not a time in seconds", ErrSignatureHeader, v)
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return fmt.Errorf("webhook: %w: v1 is not 64 hexadecimal digits", ErrSignatureHeader)
			}
			if len(sigs) == maxSignatures {
				return fmt.Errorf("webhook: %w: more than %d signatures", ErrSignatureHeader, maxSignatures)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return fmt.Errorf("webhook: %w: no t=", ErrSignatureHeader)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("webhook: %w: no v1=", ErrSignatureHeader)
	}
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: %w: signed at %s, %s from now", ErrSignatureExpired, time.Unix(sec, 0).UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	want := signature(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = hmac.Equal(s, want) || ok // every value compared, in constant time
	}
	if !ok {
		return fmt.Errorf("webhook: %w", ErrSignatureMismatch)
	}
	return nil
}

// WebhookConfig configures the webhook sender.
type WebhookConfig struct {
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses, and plain http: for a server inside a closed network
	// whose integrators are on it, and for tests.
	AllowPrivate bool
	// Timeout bounds one delivery (default 10 s).
	Timeout time.Duration
}

// Webhook posts signed events to integrators' URLs.
type Webhook struct {
	allowPrivate bool
	client       *http.Client
	now          func() time.Time
}

// userAgent names the sender to receivers.
const userAgent = "Xephang-Webhook/1"

// NewWebhook returns the webhook sender.
func NewWebhook(cfg WebhookConfig) *Webhook {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	var allow func(netip.Addr) bool
	if cfg.AllowPrivate {
		allow = func(netip.Addr) bool { return true }
	}
	return &Webhook{
		allowPrivate: cfg.AllowPrivate,
		now:          time.Now,
		client: &http.Client{
			Timeout:   cfg.Timeout,
			Transport: guardedTransport(allow),
			// A redirect would lead the signed body elsewhere, past
			// the URL check: the 3xx is the answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Name is "webhook".
func (w *Webhook) Name() string { return queue.ChannelWebhook }

// Send posts m.Body to m.Webhook.URL, signed with its secret at this time.
func (w *Webhook) Send(ctx context.Context, m Outgoing) error {
	if m.Webhook == nil {
		return &Error{Gateway: "webhook", Permanent: true, Msg: "no webhook"}
	}
	if err := CheckWebhookURL(m.Webhook.URL, w.allowPrivate); err != nil {
		return &Error{Gateway: "webhook", Permanent: true, Msg: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Webhook.URL, bytes.NewReader(m.Body))
	if err != nil {
		return &Error{Gateway: "webhook", Permanent: true, Msg: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(SignatureHeader, Sign(m.Webhook.Secret, w.now(), m.Body))
	req.Header.Set(EventHeader, m.Topic)
	req.Header.Set(DeliveryHeader, m.ID)
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &Error{Gateway: "webhook", Msg: fmt.Sprintf("HTTP %d%s", resp.StatusCode, shortAnswer(answer))}
	switch resp.StatusCode {
	case http.StatusGone:
		// The receiver says this endpoint is no more.
		e.Gone, e.Permanent = true, true
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), w.now())
	}
	return e
}

// CheckWebhookURL checks an integrator's URL when it is registered and
// before each delivery: absolute https (http too with allowPrivate), a
// host, no user info, and unless allowPrivate no literal address that is
// not public. Names are checked again when dialled.
func CheckWebhookURL(raw string, allowPrivate bool) error {
	if len(raw) > 2000 {
		return queue.Errorf(queue.EInvalid, "webhook URL longer than 2000 bytes", "địa chỉ webhook dài quá 2000 byte").At("url")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || !u.IsAbs() {
		return queue.Errorf(queue.EInvalid, "webhook URL %q is not an absolute URL", "địa chỉ webhook %q không phải một URL đầy đủ", raw).At("url")
	}
	if u.Scheme != "https" && !(allowPrivate && u.Scheme == "http") {
		return queue.Errorf(queue.EInvalid, "webhook URL must use https", "địa chỉ webhook phải dùng https").At("url")
	}
	if u.User != nil {
		return queue.Errorf(queue.EInvalid, "webhook URL must not hold a user name or password: the secret signs the deliveries", "địa chỉ webhook không được chứa tên người dùng hay mật khẩu: khoá bí mật đã dùng để ký").At("url")
	}
	host := u.Hostname()
	if host == "" {
		return queue.Errorf(queue.EInvalid, "webhook URL has no host", "địa chỉ webhook thiếu tên máy chủ").At("url")
	}
	if a, err := netip.ParseAddr(host); err == nil && !allowPrivate && !publicAddr(a) {
		return queue.Errorf(queue.EInvalid, "webhook URL: %s is not a public address", "địa chỉ webhook: %s không phải địa chỉ công cộng", host).At("url")
	}
	if !allowPrivate && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		return queue.Errorf(queue.EInvalid, "webhook URL: %s is not a public address", "địa chỉ webhook: %s không phải địa chỉ công cộng", host).At("url")
	}
	return nil
}

// Address ranges that are not the public internet beyond the netip
// predicates: "this network", shared address space (carrier NAT), the
// IETF protocol assignments and benchmarking ranges.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// publicAddr reports whether a is an address of the public internet: not
// loopback, private, link-local, unspecified, multicast or reserved.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// errNotPublic is what the dialer answers for an address it refuses.
var errNotPublic = errors.New("refusing to connect to a non-public address")

// dialControl refuses, at connection time, an address that is not
// public unless allow accepts it: the check holds for the address
// actually dialled, whatever DNS answered (rebinding) or a URL hid.
func dialControl(allow func(netip.Addr) bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", errNotPublic, address)
		}
		a := ap.Addr().Unmap()
		if publicAddr(a) || (allow != nil && allow(a)) {
			return nil
		}
		return fmt.Errorf("%w: %s", errNotPublic, a)
	}
}

// guardedTransport dials only public addresses (and those allow accepts),
// never through an environment proxy (which would dial for us), with
// bounded handshakes.
func guardedTransport(allow func(netip.Addr) bool) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: dialControl(allow)}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  30 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}
