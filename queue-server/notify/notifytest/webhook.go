package notifytest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/notify"
)

// Webhook receiver modes.
const (
	ModeOK   = "ok"   // verify, record, answer 204
	Mode500  = "500"  // verify, record, answer 500
	ModeSlow = "slow" // hold the request until the sender gives up
)

// WebhookReceiver is an integrator's endpoint on the loopback interface,
// the reference receiver: it verifies each delivery's signature with
// notify.Verify, refuses bad ones (401) and records the rest.
type WebhookReceiver struct {
	URL    string
	Secret string

	srv  *httptest.Server
	done chan struct{}
	mu   sync.Mutex
	mode string
	now  func() time.Time
	got  []WebhookDelivery
	seen map[string]int
	bad  []error
}

// WebhookDelivery is a delivery whose signature verified.
type WebhookDelivery struct {
	ID     string // X-Xephang-Delivery
	Event  string // X-Xephang-Event
	Header http.Header
	Body   []byte
	At     time.Time // the receiver's clock
}

// StartWebhookReceiver starts a receiver checking signatures with secret,
// in mode ok, closed when the test ends.
func StartWebhookReceiver(t testing.TB, secret string) *WebhookReceiver {
	r := &WebhookReceiver{Secret: secret, mode: ModeOK, now: time.Now, seen: map[string]int{}, done: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(func() {
		close(r.done) // slow requests end first
		r.srv.Close()
	})
	return r
}

// SetMode sets how the receiver answers: ModeOK, Mode500 or ModeSlow.
func (r *WebhookReceiver) SetMode(mode string) {
	r.mu.Lock()
	r.mode = mode
	r.mu.Unlock()
}

// SetNow sets the receiver's clock, against which signatures' times are
// checked.
func (r *WebhookReceiver) SetNow(now func() time.Time) {
	r.mu.Lock()
	r.now = now
	r.mu.Unlock()
}

// Deliveries returns the verified deliveries, in order of arrival.
func (r *WebhookReceiver) Deliveries() []WebhookDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]WebhookDelivery(nil), r.got...)
}

// Wait returns the verified deliveries once there are at least n,
// failing the test if they do not come within 10 seconds.
func (r *WebhookReceiver) Wait(t testing.TB, n int) []WebhookDelivery {
	t.Helper()
	waitFor(t, func() bool { return len(r.Deliveries()) >= n }, func() string {
		return fmt.Sprintf("%d webhook deliveries, want %d (refused: %v)", len(r.Deliveries()), n, r.Refused())
	})
	return r.Deliveries()
}

// Count is how many verified deliveries carried this X-Xephang-Delivery,
// whatever the receiver answered (in mode 500 too).
func (r *WebhookReceiver) Count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[id]
}

// Refused returns why each refused delivery was refused (notify.Verify's
// errors).
func (r *WebhookReceiver) Refused() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.bad...)
}

func (r *WebhookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	now, mode := r.now(), r.mode
	r.mu.Unlock()
	if err := notify.Verify(r.Secret, req.Header.Get(notify.SignatureHeader), body, now, notify.SignatureTolerance); err != nil {
		r.mu.Lock()
		r.bad = append(r.bad, err)
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(notify.DeliveryHeader)
	if mode == ModeSlow {
		// Held past the sender's timeout: not received, as far as the
		// sender can tell, so not recorded.
		select {
		case <-req.Context().Done():
		case <-r.done:
		case <-time.After(time.Minute):
		}
		return
	}
	r.mu.Lock()
	r.got = append(r.got, WebhookDelivery{ID: id, Event: req.Header.Get(notify.EventHeader), Header: req.Header.Clone(), Body: body, At: now})
	r.seen[id]++
	r.mu.Unlock()
	if mode == Mode500 {
		http.Error(w, "receiver failing on purpose", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
