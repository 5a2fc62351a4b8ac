package notifytest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// SMSServer is a loopback SMS brandname gateway with the shape most
// Vietnamese gateways share: POST {URL} with an API key header and a JSON
// body {"request_id","phone","brandname","text"}; it answers 200
// {"status":"success","message_id"} or {"status":"error","code",
// "message"}, 401 without the key, 429 with Retry-After over its rate.
type SMSServer struct {
	*modeSwitch
	srv *httptest.Server
	// URL is where to post; APIKey the X-Api-Key value it wants.
	URL    string
	APIKey string

	mu        sync.Mutex
	attempts  int
	delivered map[string]int // by request_id
	received  []SMSMessage
}

// SMSMessage is one SMS the fake accepted.
type SMSMessage struct {
	RequestID string `json:"request_id"`
	Phone     string `json:"phone"`
	Brandname string `json:"brandname"`
	Text      string `json:"text"`
}

// SMSBody is the body template (SMSConfig.Body) the fake understands.
const SMSBody = `{"request_id":"{{.ID}}","phone":"{{.Phone84}}","brandname":"{{.Brandname}}","text":"{{.Text}}"}`

// StartSMS starts the fake; it stops with the test.
func StartSMS(t testing.TB) *SMSServer {
	s := &SMSServer{modeSwitch: newModeSwitch(), APIKey: "fake-sms-key", delivered: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { close(s.stop) })
	s.URL = s.srv.URL + "/api/send"
	return s
}

// Attempts is how many requests arrived (any answer).
func (s *SMSServer) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Count is how many times the SMS with this request id was delivered.
func (s *SMSServer) Count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered[id]
}

// Counts returns the deliveries by request id.
func (s *SMSServer) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(map[string]int, len(s.delivered))
	for k, v := range s.delivered {
		c[k] = v
	}
	return c
}

// Received returns the SMS delivered, in order of arrival.
func (s *SMSServer) Received() []SMSMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMSMessage(nil), s.received...)
}

func (s *SMSServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
	if s.misbehave(w, r) {
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/send" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("X-Api-Key") != s.APIKey {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"status": "error", "code": "401", "message": "invalid api key"})
		return
	}
	var m SMSMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.RequestID == "" || m.Text == "" {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"status": "error", "code": "400", "message": "bad request"})
		return
	}
	switch s.Mode() {
	case ModeTemplateError:
		writeJSON(w, map[string]string{"status": "error", "code": "146", "message": "text does not match a registered template"})
		return
	case ModeRateLimit:
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		writeJSON(w, map[string]string{"status": "error", "code": "429", "message": "rate limit"})
		return
	}
	s.mu.Lock()
	s.delivered[m.RequestID]++
	s.received = append(s.received, m)
	s.mu.Unlock()
	writeJSON(w, map[string]string{"status": "success", "message_id": "sms-" + m.RequestID})
}
