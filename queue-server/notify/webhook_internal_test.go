package notify

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// DNS rebinding: a name that passed the URL check resolves, when the
// sender dials, to the loopback interface. The dialer refuses the address.
func TestWebhookDNSRebinding(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	for _, allowPrivate := range []bool{false, true} {
		w := NewWebhook(WebhookConfig{AllowPrivate: allowPrivate, Timeout: 5 * time.Second})
		// The same dialer, with a DNS server that answers 127.0.0.1 for
		// every name.
		var allow func(a netip.Addr) bool
		if allowPrivate {
			allow = func(netip.Addr) bool { return true }
		}
		d := &net.Dialer{Control: dialControl(allow), Resolver: &net.Resolver{PreferGo: true, Dial: loopbackDNS}}
		w.client.Transport.(*http.Transport).DialContext = d.DialContext
		scheme := "https"
		if allowPrivate {
			scheme = "http" // the test server's
		}
		hook := scheme + "://hooks.example.vn:" + u.Port() + "/x"
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := w.Send(c, Outgoing{ID: "d", Body: []byte(`{}`), Webhook: &queue.Webhook{URL: hook, Secret: "s"}})
		cancel()
		if allowPrivate {
			if err != nil || hits != 1 {
				t.Errorf("allowed: %v, %d requests", err, hits)
			}
			continue
		}
		if !errors.Is(err, errNotPublic) || IsPermanent(err) {
			t.Errorf("%s resolving to 127.0.0.1: %v, want refused at dialling (temporary)", hook, err)
		}
		if hits != 0 {
			t.Error("the server was reached")
		}
	}
}

// loopbackDNS is a DNS server over a pipe (TCP framing) answering every
// A question with 127.0.0.1 and every other question with no record.
func loopbackDNS(ctx context.Context, network, address string) (net.Conn, error) {
	client, server := net.Pipe()
	go func() {
		defer server.Close()
		for {
			var n uint16
			if err := binary.Read(server, binary.BigEndian, &n); err != nil {
				return
			}
			q := make([]byte, n)
			if _, err := io.ReadFull(server, q); err != nil || n < 12 {
				return
			}
			end := 12
			for end < len(q) && q[end] != 0 {
				end += int(q[end]) + 1
			}
			end += 5 // the root label, type and class
			if end > len(q) {
				return
			}
			qtype := binary.BigEndian.Uint16(q[end-4:])
			resp := append([]byte{}, q[:end]...)
			binary.BigEndian.PutUint16(resp[2:], 0x8180) // a response, recursion available, no error
			binary.BigEndian.PutUint16(resp[6:], 0)      // answers
			binary.BigEndian.PutUint16(resp[8:], 0)
			binary.BigEndian.PutUint16(resp[10:], 0)
			if qtype == 1 {
				binary.BigEndian.PutUint16(resp[6:], 1)
				resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1)
			}
			out := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
			if _, err := server.Write(append(out, resp...)); err != nil {
				return
			}
		}
	}()
	return client, nil
}
