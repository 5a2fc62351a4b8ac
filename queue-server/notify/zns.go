package notify

// Zalo Notification Service, as documented by Zalo (read 2026-12):
//
//   - Sending: POST https://business.openapi.zalo.me/message/template,
//     header access_token, JSON {phone: "84…", template_id, template_data,
//     tracking_id}; answer {"error": 0, "message": "Success", "data":
//     {"msg_id", "sent_time", "quota"}}, HTTP 200 for refusals too
//     (developers.zalo.me/docs/zalo-notification-service/gui-tin-zns).
//   - Error codes: zalo.cloud/zns/guidelines/handle-error-code (-100
//     unknown, retry; -108 phone invalid; -109 template id invalid; -111,
//     -112 template data empty/invalid; -114 user inactive or refusing;
//     -115 out of quota; -117 template not permitted; -118 no Zalo account;
//     -119 account cannot receive; -124 access token invalid; -139 user
//     refused ZNS; -144 OA over its daily quota; -147 template over its
//     daily quota).
//   - Access token: POST https://oauth.zaloapp.com/v4/oa/access_token,
//     header secret_key, form app_id, grant_type=refresh_token,
//     refresh_token → {"access_token", "refresh_token", "expires_in"
//     (seconds, a string)}; the access token lives 25 hours, a refresh token
//     3 months and only once: each refresh answers a new one
//     (hexasync.vn's and beehexa.com's walkthroughs of Zalo's OAuth v4).
//   - Parameter limits of template_data: 30 characters for names, codes and
//     labels, 200 for addresses and product names; the template's whole
//     text 400 (infobip.com/docs/zalo/message-types).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"xephang/queue-server/atomicfile"
)

// ZNSConfig configures the Zalo ZNS sender.
type ZNSConfig struct {
	// BaseURL is the business API, https://business.openapi.zalo.me by
	// default; OAuthURL the token endpoint,
	// https://oauth.zaloapp.com/v4/oa/access_token by default.
	BaseURL  string `json:"base_url,omitempty"`
	OAuthURL string `json:"oauth_url,omitempty"`
	AppID    string `json:"app_id"`
	// SecretKey is the app's secret key, or read from the environment
	// variable SecretKeyEnv.
	SecretKey    string `json:"secret_key,omitempty"`
	SecretKeyEnv string `json:"secret_key_env,omitempty"`
	// RefreshToken is the first refresh token (from the OA's
	// authorization); once used, the state file holds its successors.
	RefreshToken    string `json:"refresh_token,omitempty"`
	RefreshTokenEnv string `json:"refresh_token_env,omitempty"`
	// Templates are the approved template ids by topic: a topic without
	// one is not sent through ZNS.
	Templates map[string]string `json:"templates"`
	// TemplateParams name, per topic, the parameters its template was
	// approved with: only those are sent (all of Data when absent).
	TemplateParams map[string][]string `json:"template_params,omitempty"`
	Timeout        Duration            `json:"timeout,omitempty"` // of one request, 10 s by default
}

const (
	znsDefaultBase  = "https://business.openapi.zalo.me"
	znsDefaultOAuth = "https://oauth.zaloapp.com/v4/oa/access_token"
)

// ZNS sends through Zalo ZNS template messages.
type ZNS struct {
	cfg   ZNSConfig
	state string
	hc    *http.Client
	// Now is the clock of the access token's expiry (time.Now by default).
	Now func() time.Time

	mu          sync.Mutex // held through a refresh: one at a time
	access      string
	accessUntil time.Time
	refresh     string
	unsaved     bool // the rotated refresh token is not yet in the state file
}

// znsState is the state file: the rotating refresh token and the access
// token it gave, so a restart neither refreshes nor loses the chain.
type znsState struct {
	AccessToken  string    `json:"access_token,omitempty"`
	AccessUntil  time.Time `json:"access_until,omitzero"`
	RefreshToken string    `json:"refresh_token"`
}

// NewZNS returns a ZNS sender keeping its tokens in stateFile.
func NewZNS(cfg ZNSConfig, stateFile string) (*ZNS, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = znsDefaultBase
	}
	if cfg.OAuthURL == "" {
		cfg.OAuthURL = znsDefaultOAuth
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = Duration(10 * time.Second)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	z := &ZNS{cfg: cfg, state: stateFile, hc: &http.Client{Timeout: time.Duration(cfg.Timeout)}, Now: time.Now, refresh: cfg.RefreshToken}
	b, err := os.ReadFile(stateFile)
	switch {
	case err == nil:
		var st znsState
		if err := json.Unmarshal(b, &st); err != nil || st.RefreshToken == "" {
			return nil, fmt.Errorf("notify: zns: state file %s unreadable (%v): restore it or remove it to start again from the configured refresh token", stateFile, err)
		}
		z.access, z.accessUntil, z.refresh = st.AccessToken, st.AccessUntil, st.RefreshToken
	case errors.Is(err, os.ErrNotExist):
		if z.refresh == "" {
			return nil, errors.New("notify: zns: no refresh token: set refresh_token or refresh_token_env (the OA's authorization)")
		}
	default:
		return nil, fmt.Errorf("notify: zns: %w", err)
	}
	return z, nil
}

func (c *ZNSConfig) validate() error {
	for _, u := range []struct{ name, v string }{{"base_url", c.BaseURL}, {"oauth_url", c.OAuthURL}} {
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("notify: zns: %s %q is not an http(s) URL", u.name, u.v)
		}
	}
	if c.AppID == "" {
		return errors.New("notify: zns: app_id missing")
	}
	if c.SecretKey == "" {
		return errors.New("notify: zns: secret key missing (secret_key_env names an empty variable?)")
	}
	if len(c.Templates) == 0 {
		return errors.New("notify: zns: no templates: each topic to send needs its approved template id")
	}
	for topic := range c.Templates {
		if _, ok := texts[topic]; !ok {
			return fmt.Errorf("notify: zns: templates: unknown topic %q", topic)
		}
	}
	for topic := range c.TemplateParams {
		if _, ok := c.Templates[topic]; !ok {
			return fmt.Errorf("notify: zns: template_params: topic %q has no template", topic)
		}
	}
	return nil
}

// Name is "zns".
func (z *ZNS) Name() string { return GatewayZNS }

// Send posts m as the topic's approved template, its ID as tracking_id.
func (z *ZNS) Send(ctx context.Context, m Outgoing) error {
	tmpl := z.cfg.Templates[m.Topic]
	if tmpl == "" {
		return &Error{Gateway: GatewayZNS, Permanent: true, Msg: fmt.Sprintf("no approved template for topic %q", m.Topic)}
	}
	phone, ok := Phone84(m.Phone)
	if !ok {
		return &Error{Gateway: GatewayZNS, Permanent: true, Msg: "not a Vietnamese mobile number"}
	}
	body, err := json.Marshal(map[string]any{
		"phone": phone, "template_id": tmpl, "template_data": z.templateData(m.Topic, m.Data), "tracking_id": m.ID,
	})
	if err != nil {
		return err
	}
	for try := 0; ; try++ {
		tok, err := z.token(ctx)
		if err != nil {
			return err
		}
		code, msg, err := z.post(ctx, tok, body)
		if err != nil {
			return err
		}
		if code == 0 {
			return nil
		}
		if code == znsTokenInvalid && try == 0 {
			z.expire(tok)
			continue
		}
		return znsError(code, msg)
	}
}

const znsTokenInvalid = -124

// post sends one template message and returns Zalo's error code.
func (z *ZNS) post(ctx context.Context, tok string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(z.cfg.BaseURL, "/")+"/message/template", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("access_token", tok)
	b, err := exchange(z.hc, req, GatewayZNS, "zns")
	if err != nil {
		return 0, "", err
	}
	return ParseZNSAnswer(b)
}

// ParseZNSAnswer reads the answer of a ZNS send: Zalo's error code (0 when
// sent) and its message.
func ParseZNSAnswer(b []byte) (code int, msg string, err error) {
	var a struct {
		Error   *int   `json:"error"`
		Message string `json:"message"`
		Data    *struct {
			MsgID string `json:"msg_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &a); err != nil || a.Error == nil {
		return 0, "", fmt.Errorf("zns: unexpected answer %q", clip(string(b), 200))
	}
	if *a.Error == 0 && (a.Data == nil || a.Data.MsgID == "") {
		return 0, "", fmt.Errorf("zns: success without msg_id: %q", clip(string(b), 200))
	}
	return *a.Error, clip(a.Message, 200), nil
}

// znsError maps Zalo's refusal to an Error.
func znsError(code int, msg string) error {
	e := &Error{Gateway: GatewayZNS, Msg: fmt.Sprintf("error %d: %s", code, msg)}
	switch code {
	case -115, -144, -147: // quota: of the account, of the OA's day, of the template's day
		e.RetryAfter = time.Hour
	case -100, znsTokenInvalid: // unknown (Zalo says retry); a token still refused after a refresh
	default: // the application, the template, its data, the recipient
		if code <= -101 && code >= -199 {
			e.Permanent = true
		}
	}
	return e
}

// exchange sends a gateway request and returns the answer's body (at most
// 64 KiB): a failed round trip is an error prefixed with what, a status
// that is not 2xx the gateway's Error (httpStatusError).
func exchange(hc *http.Client, req *http.Request, gw, what string) ([]byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := httpStatusError(gw, resp); err != nil {
		return nil, err
	}
	return b, nil
}

// httpStatusError maps an HTTP status that is not 2xx: 429 and 503 with
// Retry-After, 4xx permanent, others temporary.
func httpStatusError(gw string, resp *http.Response) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	e := &Error{Gateway: gw, Msg: "HTTP " + resp.Status}
	if ra := retryAfter(resp.Header.Get("Retry-After"), time.Now()); resp.StatusCode == 429 || (resp.StatusCode == 503 && ra > 0) {
		e.RetryAfter = max(ra, time.Second)
	} else if resp.StatusCode/100 == 4 && resp.StatusCode != 408 {
		e.Permanent = true
	}
	return e
}

// token returns a valid access token, refreshing it ahead of its expiry.
func (z *ZNS) token(ctx context.Context) (string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.unsaved {
		if err := z.save(); err != nil {
			return "", err
		}
	}
	now := z.Now()
	if z.access != "" && now.Before(z.accessUntil) {
		return z.access, nil
	}
	if err := z.refreshLocked(ctx, now); err != nil {
		return "", err
	}
	return z.access, nil
}

// expire forgets tok after Zalo refused it (unless another send already
// replaced it).
func (z *ZNS) expire(tok string) {
	z.mu.Lock()
	if z.access == tok {
		z.access = ""
	}
	z.mu.Unlock()
}

func (z *ZNS) refreshLocked(ctx context.Context, now time.Time) error {
	form := url.Values{"app_id": {z.cfg.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {z.refresh}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, z.cfg.OAuthURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("secret_key", z.cfg.SecretKey)
	b, err := exchange(z.hc, req, GatewayZNS, "zns: token refresh")
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Msg = "token refresh: " + e.Msg
		}
		return err
	}
	tok, err := ParseZNSToken(b)
	if err != nil {
		return err
	}
	// The old refresh token is spent: the new one is written to disk
	// before anything else, else a crash would lose the chain.
	z.refresh = tok.RefreshToken
	z.access = tok.AccessToken
	// Refreshed ahead: at 90% of its life, at most 10 minutes before.
	life := time.Duration(tok.ExpiresIn) * time.Second
	z.accessUntil = now.Add(life - min(life/10, 10*time.Minute))
	z.unsaved = true
	return z.save()
}

// ZNSToken is the answer of Zalo's OAuth v4 token endpoint.
type ZNSToken struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int64 // seconds
}

// ParseZNSToken reads a token answer; expires_in may be a number or a
// string (Zalo sends a string).
func ParseZNSToken(b []byte) (ZNSToken, error) {
	var a struct {
		AccessToken  string          `json:"access_token"`
		RefreshToken string          `json:"refresh_token"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		Error        int             `json:"error"`
		ErrorName    string          `json:"error_name"`
		ErrorReason  string          `json:"error_reason"`
		ErrorDesc    string          `json:"error_description"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return ZNSToken{}, fmt.Errorf("zns: token refresh: unexpected answer %q", clip(string(b), 200))
	}
	if a.Error != 0 || a.AccessToken == "" || a.RefreshToken == "" {
		// A spent or revoked refresh token: only a new authorization of
		// the OA helps, so no message can go through ZNS until then.
		return ZNSToken{}, &Error{Gateway: GatewayZNS, Permanent: true, Msg: fmt.Sprintf("token refresh refused: %d %s", a.Error,
			clip(strings.TrimSpace(a.ErrorName+" "+a.ErrorReason+" "+a.ErrorDesc), 200))}
	}
	s := strings.Trim(string(a.ExpiresIn), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return ZNSToken{}, fmt.Errorf("zns: token refresh: expires_in %q", clip(s, 40))
	}
	return ZNSToken{AccessToken: a.AccessToken, RefreshToken: a.RefreshToken, ExpiresIn: min(n, 365*86400)}, nil
}

// save writes the state file atomically: a temporary file, fsync, rename,
// fsync of the directory.
func (z *ZNS) save() error {
	b, err := json.Marshal(znsState{AccessToken: z.access, AccessUntil: z.accessUntil, RefreshToken: z.refresh})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(z.state, b, 0o600); err != nil {
		return fmt.Errorf("zns: saving the rotated refresh token: %w", err)
	}
	z.unsaved = false
	return nil
}

// templateData is what the topic's template takes of data.
func (z *ZNS) templateData(topic string, data map[string]string) map[string]string {
	td := ZNSData(data)
	params, ok := z.cfg.TemplateParams[topic]
	if !ok {
		return td
	}
	out := make(map[string]string, len(params))
	for _, p := range params {
		out[p] = td[p] // a value the message lacks is sent empty: the template still gets every parameter
	}
	return out
}

// znsValueMax is ZNS's limit of a template_data value by key: 30 for
// numbers, codes and labels (the default), 200 for the longer texts.
var znsValueMax = map[string]int{"centre_name": 200, "service_name": 200, "counter_name": 200, "message": 200, "url": 200}

// ZNSData is the template_data of a message: the values cleaned as for
// every text and within ZNS's limits.
func ZNSData(data map[string]string) map[string]string {
	out := make(map[string]string, len(data))
	for k, v := range data {
		v = CleanValue(k, v)
		n, ok := znsValueMax[k]
		if !ok {
			n = 30
		}
		out[k] = clip(v, n)
	}
	return out
}

// clip bounds s to n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + ellipsis
}

// Phone84 writes a Vietnamese mobile number "0912345678" (or
// "+84912345678", "84912345678", spaces and dots allowed) as Zalo and the
// SMS gateways want it: "84912345678".
func Phone84(p string) (string, bool) {
	p = strings.NewReplacer(" ", "", ".", "", "-", "").Replace(p)
	p = strings.TrimPrefix(p, "+")
	switch {
	case strings.HasPrefix(p, "84"):
		p = p[2:]
	case strings.HasPrefix(p, "0"):
		p = p[1:]
	default:
		return "", false
	}
	if len(p) != 9 || p[0] == '0' {
		return "", false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return "84" + p, true
}
