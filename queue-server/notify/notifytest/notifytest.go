// Package notifytest holds loopback stand-ins for the services package
// notify talks to, for tests, answering as the real ones do: a Web Push
// service that decrypts what it receives with the subscription's private
// key and checks the VAPID token; a webhook receiver that verifies
// signatures; a Zalo ZNS API with its OAuth token endpoint, an SMS
// brandname gateway and an SMTP server. The gateways can be switched at
// run time to fail as the real ones fail (a template error, a rate limit,
// a hang, an outage) and count what they delivered by its dedup key, so
// tests prove "nothing lost, nothing doubled".
package notifytest

import (
	"net"
	"net/http"
	"sync"
)

// Modes of a fake gateway (and ModeOK, webhook.go's: all is well).
const (
	ModeTemplateError = "template_error" // the template or its data refused: a permanent error
	ModeRateLimit     = "rate_limit"     // over quota or rate: retry later
	ModeTimeout       = "timeout"        // hangs until the client gives up
	ModeDown          = "down"           // the connection is closed without an answer, or 500
	ModeServerError   = "server_error"   // HTTP 500
)

// modeSwitch is the run-time mode shared by the fakes, with a channel
// that releases hanging requests when the test ends.
type modeSwitch struct {
	mu   sync.Mutex
	mode string
	stop chan struct{}
}

func newModeSwitch() *modeSwitch { return &modeSwitch{mode: ModeOK, stop: make(chan struct{})} }

// SetMode switches the fake's behaviour for the next requests.
func (m *modeSwitch) SetMode(mode string) {
	m.mu.Lock()
	m.mode = mode
	m.mu.Unlock()
}

// Mode returns the current mode.
func (m *modeSwitch) Mode() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mode
}

// misbehave answers for the failure modes common to the HTTP fakes;
// handled is false in the other modes.
func (m *modeSwitch) misbehave(w http.ResponseWriter, r *http.Request) (handled bool) {
	switch m.Mode() {
	case ModeTimeout:
		select {
		case <-r.Context().Done():
		case <-m.stop:
		}
		return true
	case ModeDown:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0) // a reset, as from a host that is gone
				}
				c.Close()
				return true
			}
		}
		http.Error(w, "down", http.StatusInternalServerError)
		return true
	case ModeServerError:
		http.Error(w, "internal error", http.StatusInternalServerError)
		return true
	}
	return false
}
