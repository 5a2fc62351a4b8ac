package localapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xephang/kiosk/flow"
)

func TestLoopbackOnly(t *testing.T) {
	s := New(Config{Kiosk: flow.New(flow.Config{}), Hub: NewHub(), Addr: "127.0.0.1:5000"})
	for addr, want := range map[string]int{"127.0.0.1:5000": 200, "[::1]:5000": 200, "192.0.2.7:5000": 403} {
		r := httptest.NewRequest("POST", "http://127.0.0.1:5000/api/flow", strings.NewReader(`{"flow":"lookup"}`))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("%s: %d, want %d", addr, w.Code, want)
		}
	}
}

func TestErrorsInTheRequestLanguage(t *testing.T) {
	s := New(Config{Kiosk: flow.New(flow.Config{}), Hub: NewHub(), Addr: "127.0.0.1:5000"})
	for lang, want := range map[string]string{"": "Yêu cầu không hợp lệ", "en": "Invalid request"} {
		r := httptest.NewRequest("POST", "http://127.0.0.1:5000/api/tickets", strings.NewReader(`{"service":`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept-Language", lang)
		r.RemoteAddr = "127.0.0.1:1"
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) || !strings.Contains(w.Body.String(), `"code":"invalid_json"`) {
			t.Errorf("%q: %d %s", lang, w.Code, w.Body)
		}
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1:5000/api/nope", nil)
	r.RemoteAddr = "127.0.0.1:1"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 404 || !strings.Contains(w.Body.String(), "not_found") {
		t.Errorf("unknown path: %d %s", w.Code, w.Body)
	}
}

func TestHubDropsSlowSubscribers(t *testing.T) {
	h := NewHub()
	slow, fast := h.Subscribe(), h.Subscribe()
	for i := range subscriberBuffer + 36 {
		h.Publish(flow.Event{Type: "flow", Reason: string(rune('a' + i%26))})
		<-fast
	}
	n := 0
	for range slow {
		n++
	}
	if n != subscriberBuffer {
		t.Errorf("slow subscriber got %d before being dropped", n)
	}
	h.Unsubscribe(slow) // already dropped: no panic
	h.Unsubscribe(fast)
}

// GET /api/precheck without a result is a 404 (nothing to get), while
// taking a number without one is the flow's 409 of the same code
// (TestStatusOfEachRefusal).
func TestNoPrecheckResult(t *testing.T) {
	s := New(Config{Kiosk: flow.New(flow.Config{}), Hub: NewHub(), Addr: "127.0.0.1:5000"})
	r := httptest.NewRequest("GET", "http://127.0.0.1:5000/api/precheck", nil)
	r.RemoteAddr = "127.0.0.1:1"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"code":"no_precheck"`) {
		t.Errorf("GET /api/precheck: %d %s", w.Code, w.Body)
	}
}
