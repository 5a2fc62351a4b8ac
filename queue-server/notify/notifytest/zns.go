package notifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"
)

// ZNSServer is a loopback Zalo: the ZNS template endpoint
// (POST /message/template) and the OAuth v4 token endpoint
// (POST /v4/oa/access_token) whose refresh tokens rotate: each refresh
// answers a new refresh token and spends the old one.
type ZNSServer struct {
	*modeSwitch
	srv *httptest.Server
	// URL is the business API's base URL (ZNSConfig.BaseURL); OAuthURL
	// the token endpoint (ZNSConfig.OAuthURL).
	URL, OAuthURL string
	AppID         string
	SecretKey     string

	mu        sync.Mutex
	refresh   string          // the one valid refresh token
	access    map[string]bool // valid access tokens
	tokenLife string          // expires_in answered, in seconds
	gen       int
	refreshes int
	attempts  int
	requests  int
	delivered map[string]int // by tracking_id
	received  []ZNSMessage
}

// ZNSMessage is one template message the fake accepted.
type ZNSMessage struct {
	Phone        string            `json:"phone"`
	TemplateID   string            `json:"template_id"`
	TemplateData map[string]string `json:"template_data"`
	TrackingID   string            `json:"tracking_id"`
	// At is when the fake accepted it (for latencies measured in tests).
	At time.Time `json:"-"`
}

// StartZNS starts the fake; it stops with the test. Its first refresh
// token is RefreshToken().
func StartZNS(t testing.TB) *ZNSServer {
	z := NewZNSServer()
	t.Cleanup(z.Close)
	return z
}

// NewZNSServer starts the fake outside a test (a load tool); Close stops it.
func NewZNSServer() *ZNSServer {
	z := &ZNSServer{modeSwitch: newModeSwitch(), AppID: "4318829017363291111", SecretKey: "fake-secret-key",
		refresh: "rt-0", access: map[string]bool{}, tokenLife: "90000", delivered: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v4/oa/access_token", z.token)
	mux.HandleFunc("POST /message/template", z.template)
	z.srv = httptest.NewServer(mux)
	z.URL, z.OAuthURL = z.srv.URL, z.srv.URL+"/v4/oa/access_token"
	return z
}

// Close ends hanging requests, then stops the fake.
func (z *ZNSServer) Close() {
	close(z.stop)
	z.srv.Close()
}

// RefreshToken returns the refresh token the fake accepts now.
func (z *ZNSServer) RefreshToken() string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.refresh
}

// SetTokenLife sets the expires_in of the next tokens (seconds).
func (z *ZNSServer) SetTokenLife(seconds int) {
	z.mu.Lock()
	z.tokenLife = fmt.Sprint(seconds)
	z.mu.Unlock()
}

// ExpireAccessTokens makes every access token given so far invalid (-124).
func (z *ZNSServer) ExpireAccessTokens() {
	z.mu.Lock()
	z.access = map[string]bool{}
	z.mu.Unlock()
}

// Refreshes is how many refreshes the fake granted.
func (z *ZNSServer) Refreshes() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.refreshes
}

// Attempts is how many template requests arrived (any answer).
func (z *ZNSServer) Attempts() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.attempts
}

// Requests is how many requests arrived at either endpoint.
func (z *ZNSServer) Requests() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.requests
}

// Count is how many times the message with this tracking_id was delivered.
func (z *ZNSServer) Count(trackingID string) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.delivered[trackingID]
}

// Counts returns the deliveries by tracking_id.
func (z *ZNSServer) Counts() map[string]int {
	z.mu.Lock()
	defer z.mu.Unlock()
	c := make(map[string]int, len(z.delivered))
	for k, v := range z.delivered {
		c[k] = v
	}
	return c
}

// Received returns the messages delivered, in order of arrival.
func (z *ZNSServer) Received() []ZNSMessage {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]ZNSMessage(nil), z.received...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (z *ZNSServer) token(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	z.requests++
	z.mu.Unlock()
	if z.misbehave(w, r) {
		return
	}
	oauthErr := func(code int, name string) {
		writeJSON(w, map[string]any{"error": code, "error_name": name, "error_reason": name, "error_description": name})
	}
	if r.Header.Get("secret_key") != z.SecretKey {
		oauthErr(-14002, "Invalid secret key")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("app_id") != z.AppID || r.PostForm.Get("grant_type") != "refresh_token" {
		oauthErr(-14001, "Invalid parameter")
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if r.PostForm.Get("refresh_token") != z.refresh {
		oauthErr(-14014, "Invalid refresh token")
		return
	}
	z.gen++
	z.refreshes++
	at := fmt.Sprintf("at-%d", z.gen)
	z.refresh = fmt.Sprintf("rt-%d", z.gen)
	z.access[at] = true
	writeJSON(w, map[string]string{"access_token": at, "refresh_token": z.refresh, "expires_in": z.tokenLife})
}

func (z *ZNSServer) template(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	z.attempts++
	z.requests++
	z.mu.Unlock()
	if z.misbehave(w, r) {
		return
	}
	answer := func(code int, msg string) { writeJSON(w, map[string]any{"error": code, "message": msg}) }
	z.mu.Lock()
	valid := z.access[r.Header.Get("access_token")]
	z.mu.Unlock()
	if !valid {
		answer(-124, "Access token invalid")
		return
	}
	var m ZNSMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.TemplateID == "" {
		answer(-112, "Template data invalid")
		return
	}
	if len(m.Phone) != 11 || m.Phone[:2] != "84" {
		answer(-108, "Phone number invalid")
		return
	}
	switch z.Mode() {
	case ModeTemplateError:
		answer(-109, "Template ID invalid")
		return
	case ModeRateLimit:
		answer(-144, "OA has exceeded the daily quota")
		return
	}
	m.At = time.Now()
	z.mu.Lock()
	z.delivered[m.TrackingID]++
	z.received = append(z.received, m)
	n := len(z.received)
	z.mu.Unlock()
	writeJSON(w, map[string]any{"error": 0, "message": "Success",
		"data": map[string]any{"msg_id": fmt.Sprintf("%032x", n), "sent_time": "1733300000000",
			"quota": map[string]string{"dailyQuota": "500", "remainingQuota": "499"}}})
}

// Doubled returns the tracking ids delivered more than once, sorted.
func Doubled(counts map[string]int) []string {
	var d []string
	for k, v := range counts {
		if v > 1 {
			d = append(d, k)
		}
	}
	sort.Strings(d)
	return d
}
