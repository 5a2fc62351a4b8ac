package localapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"xephang/kiosk/flow"
)

// startLocal serves a kiosk's local API on a real loopback port and
// returns its base URL, its port and the kiosk behind it.
func startLocal(t *testing.T) (string, string, *flow.Kiosk) {
	t.Helper()
	k := flow.New(flow.Config{})
	srv := httptest.NewServer(New(Config{Kiosk: k, Hub: NewHub(), Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return srv.URL, port, k
}

type localRequest struct {
	name        string
	method      string
	path        string
	host        string // "" for the server's own address
	origin      string // "" for none
	fetchSite   string // Sec-Fetch-Site, "" for none
	contentType string // "" for none
	body        io.Reader
	status      int
	code        string // the error code when refused
}

func (c localRequest) do(t *testing.T, base string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, c.body)
	if err != nil {
		t.Fatal(err)
	}
	if c.host != "" {
		req.Host = c.host
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if c.fetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", c.fetchSite)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func multipartBody() (io.Reader, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("service", "A")
	mw.Close()
	return &b, mw.FormDataContentType()
}

// TestLocalAPIRefusesForeignPages: any web page the kiosk's browser loads
// (or a visitor's laptop by DNS rebinding) could reach 127.0.0.1; only the
// kiosk's own pages may use the API. A refused request changes nothing:
// the flow stays at home.
func TestLocalAPIRefusesForeignPages(t *testing.T) {
	base, port, k := startLocal(t)
	own := "http://127.0.0.1:" + port
	flowBody := func() io.Reader { return strings.NewReader(`{"flow":"lookup"}`) }
	mp, mpType := multipartBody()
	cases := []localRequest{
		{name: "foreign origin, text/plain", method: "POST", path: "/api/flow", origin: "http://evil.example", contentType: "text/plain", body: flowBody(), status: 403, code: "forbidden_origin"},
		{name: "foreign origin, JSON", method: "POST", path: "/api/flow", origin: "https://evil.example", contentType: "application/json", body: flowBody(), status: 403, code: "forbidden_origin"},
		{name: "null origin", method: "POST", path: "/api/flow", origin: "null", contentType: "application/json", body: flowBody(), status: 403, code: "forbidden_origin"},
		{name: "same host, other port", method: "POST", path: "/api/flow", origin: "http://127.0.0.1:1", contentType: "application/json", body: flowBody(), status: 403, code: "forbidden_origin"},
		{name: "own host over https", method: "POST", path: "/api/flow", origin: "https://127.0.0.1:" + port, contentType: "application/json", body: flowBody(), status: 403, code: "forbidden_origin"},
		{name: "origin with a path", method: "POST", path: "/api/flow", origin: own + "/x", contentType: "application/json", body: flowBody(), status: 403, code: "forbidden_origin"},
		{name: "cross-site GET without Origin", method: "GET", path: "/api/status", fetchSite: "cross-site", status: 403, code: "forbidden_origin"},
		{name: "same-site page on another port", method: "GET", path: "/api/status", fetchSite: "same-site", status: 403, code: "forbidden_origin"},
		{name: "foreign host, status", method: "GET", path: "/api/status", host: "evil.example", status: 403, code: "forbidden_host"},
		{name: "rebinding host with the right port", method: "GET", path: "/api/status", host: "evil.example:" + port, status: 403, code: "forbidden_host"},
		{name: "rebinding host, own origin", method: "POST", path: "/api/flow", host: "rebind.evil.example:" + port, origin: "http://rebind.evil.example:" + port, contentType: "application/json", body: flowBody(), status: 403, code: "forbidden_host"},
		{name: "loopback, wrong port", method: "GET", path: "/api/status", host: "127.0.0.1:1", status: 403, code: "forbidden_host"},
		{name: "other loopback address", method: "GET", path: "/api/status", host: "127.0.0.2:" + port, status: 403, code: "forbidden_host"},
		{name: "foreign host, page", method: "GET", path: "/", host: "evil.example:" + port, status: 403, code: "forbidden_host"},
		{name: "text/plain", method: "POST", path: "/api/flow", contentType: "text/plain", body: flowBody(), status: 415, code: "unsupported_media_type"},
		{name: "form-urlencoded", method: "POST", path: "/api/flow", contentType: "application/x-www-form-urlencoded", body: strings.NewReader("flow=lookup"), status: 415, code: "unsupported_media_type"},
		{name: "multipart", method: "POST", path: "/api/flow", contentType: mpType, body: mp, status: 415, code: "unsupported_media_type"},
		{name: "no content type", method: "POST", path: "/api/flow", body: flowBody(), status: 415, code: "unsupported_media_type"},
		{name: "JSON look-alike", method: "POST", path: "/api/flow", contentType: "application/jsonp", body: flowBody(), status: 415, code: "unsupported_media_type"},
		{name: "text/plain with own origin", method: "POST", path: "/api/flow", origin: own, contentType: "text/plain;charset=UTF-8", body: flowBody(), status: 415, code: "unsupported_media_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := c.do(t, base)
			if status != c.status || !strings.Contains(body, `"code":"`+c.code+`"`) {
				t.Fatalf("%d %s, want %d %s", status, body, c.status, c.code)
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if json.Unmarshal([]byte(body), &e) != nil || e.Error.Message == "" {
				t.Fatalf("not a JSON error: %s", body)
			}
			if st := k.Machine.State(); st.Flow != flow.Home {
				t.Fatalf("a refused request moved the flow to %s", st.Flow)
			}
		})
	}
}

// TestLocalAPIServesItsOwnPages: the kiosk's pages (same origin, JSON) and
// local tools (no Origin) still work, by every loopback name.
func TestLocalAPIServesItsOwnPages(t *testing.T) {
	base, port, k := startLocal(t)
	cases := []localRequest{
		{name: "status, no origin", method: "GET", path: "/api/status", status: 200},
		{name: "status, localhost", method: "GET", path: "/api/status", host: "localhost:" + port, fetchSite: "same-origin", status: 200},
		{name: "status, [::1]", method: "GET", path: "/api/status", host: "[::1]:" + port, status: 200},
		{name: "typed in the address bar", method: "GET", path: "/api/status", fetchSite: "none", status: 200},
		{name: "ping without a body", method: "POST", path: "/api/ping", origin: "http://127.0.0.1:" + port, status: 204},
		{name: "flow from the page", method: "POST", path: "/api/flow", origin: "http://127.0.0.1:" + port, fetchSite: "same-origin",
			contentType: "application/json; charset=utf-8", body: strings.NewReader(`{"flow":"lookup"}`), status: 200},
		{name: "flow from localhost", method: "POST", path: "/api/flow", host: "localhost:" + port, origin: "http://localhost:" + port,
			contentType: "application/json", body: strings.NewReader(`{"flow":"home"}`), status: 200},
	}
	for _, c := range cases {
		if status, body := c.do(t, base); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
	}
	if st := k.Machine.State(); st.Flow != flow.Home {
		t.Errorf("flow %s after lookup then home", st.Flow)
	}
}

// TestLocalWebSocketChecksHostAndOrigin: the event stream (flow steps,
// card reads) opens for the kiosk's own page only.
func TestLocalWebSocketChecksHostAndOrigin(t *testing.T) {
	base, port, _ := startLocal(t)
	ws := "ws" + strings.TrimPrefix(base, "http") + "/api/events"
	cases := []struct {
		name   string
		header http.Header
		ok     bool
	}{
		{"own page", http.Header{"Origin": {"http://127.0.0.1:" + port}}, true},
		{"own page by localhost", http.Header{"Origin": {"http://localhost:" + port}}, true},
		{"local tool, no origin", nil, true},
		{"foreign origin", http.Header{"Origin": {"http://evil.example"}}, false},
		{"null origin", http.Header{"Origin": {"null"}}, false},
		{"foreign host", http.Header{"Host": {"evil.example"}}, false},
		{"rebinding host with the right port", http.Header{"Host": {"evil.example:" + port}, "Origin": {"http://evil.example:" + port}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := websocket.Dialer{}
			h := http.Header{}
			for k, v := range c.header {
				if k != "Host" {
					h[k] = v
				}
			}
			url := ws
			if host := c.header.Get("Host"); host != "" {
				// The dialer takes the Host header from the URL: dial the
				// loopback port while naming the other host.
				d.NetDial = func(network, _ string) (net.Conn, error) { return net.Dial(network, "127.0.0.1:"+port) }
				url = "ws://" + host + "/api/events"
			}
			conn, resp, err := d.Dial(url, h)
			if c.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				var e flow.Event
				if err := conn.ReadJSON(&e); err != nil || e.Type != "flow" {
					t.Fatalf("first event %+v %v", e, err)
				}
				conn.Close()
				return
			}
			if err == nil {
				conn.Close()
				t.Fatal("upgraded")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("refusal %v %v", resp, err)
			}
		})
	}
}

func TestOwnHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:8090": true, "localhost:8090": true, "LOCALHOST:8090": true, "[::1]:8090": true,
		"127.0.0.1:08090": false, "127.0.0.1:8091": false, "127.0.0.1": false, "evil.example:8090": false,
		"localhost.:8090": false, "127.1:8090": false, "0.0.0.0:8090": false, "[::ffff:127.0.0.1]:8090": false,
		"localhost.evil.example:8090": false, "": false, "::1:8090": false, "127.0.0.1:8090:8090": false, "[localhost]:8090": false, "[127.0.0.1]:8090": false,
	} {
		if got := OwnHost(host, "8090"); got != want {
			t.Errorf("OwnHost(%q) = %v, want %v", host, got, want)
		}
	}
	if !OwnHost("localhost", "80") || OwnHost("localhost", "") {
		t.Error("default port")
	}
	for origin, want := range map[string]bool{
		"http://127.0.0.1:8090": true, "http://localhost:8090": true, "http://[::1]:8090": true, "http://127.0.0.1:8090/": true,
		"https://127.0.0.1:8090": false, "null": false, "": false, "http://user@127.0.0.1:8090": false, "file://": false,
		"http://127.0.0.1:8090/x": false, "http://127.0.0.1:8090?x": false, "ws://127.0.0.1:8090": false,
	} {
		if got := OwnOrigin(origin, "8090"); got != want {
			t.Errorf("OwnOrigin(%q) = %v, want %v", origin, got, want)
		}
	}
}

// FuzzOwnHost: whatever the Host header, it is accepted only when it is a
// loopback name with the listener's port.
func FuzzOwnHost(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8090", "localhost:8090", "[::1]:8090", "evil:8090", "localhost", "[::1]", "127.0.0.1:+8090", "[localhost]:8090"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !OwnHost(host, "8090") {
			return
		}
		switch strings.ToLower(host) {
		case "127.0.0.1:8090", "localhost:8090", "[::1]:8090":
		default:
			t.Fatalf("accepted %q", host)
		}
		if !OwnOrigin("http://"+host, "8090") {
			t.Fatalf("host %q accepted, its origin not", host)
		}
	})
}
