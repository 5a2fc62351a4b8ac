package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// proxyEnv serves the API with cfg adjusted by tune, the centre and clerk
// canbo1 of newEnv, and returns the server's URL and its admin client.
func proxyEnv(t *testing.T, now func() time.Time, tune func(*httpapi.Config)) (*httptest.Server, *apiv1.Client) {
	t.Helper()
	st, err := bolt.Open(t.TempDir())
	must(t, err)
	hub := engine.NewHub()
	eng, err := engine.New(engine.Config{Store: st, Publisher: hub, Now: now})
	must(t, err)
	cfg := httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, Now: now}
	tune(&cfg)
	api := httpapi.New(cfg)
	srv := httptest.NewServer(openapitest.Wrap(t, api))
	t.Cleanup(func() { srv.Close(); eng.Close(); st.Close() })
	ctx := context.Background()
	_, err = api.PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "admin-secret"})
	must(t, err)
	admin := apiv1.NewClient(srv.URL)
	must(t, admin.Login(ctx, "admin", "admin-secret"))
	_, err = admin.PutCentre(ctx, storetest.Centre(centreID))
	must(t, err)
	must(t, admin.PutUser(ctx, "canbo1", apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centreID, Password: "clerk-secret"}))
	return srv, admin
}

// post sends a JSON body through base with the X-Forwarded-For values
// given, returning the status and the Retry-After header.
func post(t *testing.T, base, path, body string, xff ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, x := range xff {
		req.Header.Add("X-Forwarded-For", x)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// enrolUntilLimited sends bad enrolment tokens (20 a minute per address
// are answered) and returns how many got an answer other than 429.
func enrolUntilLimited(t *testing.T, base string, n int, xff ...string) int {
	t.Helper()
	answered := 0
	for range n {
		if code, _ := post(t, base, "/api/v1/kiosks/enroll", `{"token":"not-a-token"}`, xff...); code != http.StatusTooManyRequests {
			answered++
		}
	}
	return answered
}

// Behind a trusted reverse proxy (a real one on loopback, appending the
// address it got each request from), two clients get separate quotas.
func TestTrustedProxyGivesEachClientItsQuota(t *testing.T) {
	srv, _ := proxyEnv(t, nil, func(c *httpapi.Config) {
		c.TrustedProxies, _ = httpapi.ParseTrustedProxies("127.0.0.1/32, ::1")
	})
	u, _ := url.Parse(srv.URL)
	front := httptest.NewServer(httputil.NewSingleHostReverseProxy(u))
	defer front.Close()
	// Two clients reach the front proxy through an outer one that wrote
	// their addresses (the front proxy appends 127.0.0.1, trusted).
	if got := enrolUntilLimited(t, front.URL, 25, "203.0.113.1"); got != 20 {
		t.Fatalf("client 1: %d of 25 answered, want 20", got)
	}
	if got := enrolUntilLimited(t, front.URL, 5, "203.0.113.2"); got != 5 {
		t.Fatalf("client 2 after client 1 used its quota: %d of 5 answered", got)
	}
	// A client cannot buy a new quota by writing its own header: what is
	// left of the first untrusted hop is never read.
	if got := enrolUntilLimited(t, front.URL, 3, "198.51.100.7, 203.0.113.1"); got != 0 {
		t.Fatalf("client 1 with a forged hop before its own: %d answered", got)
	}
}

// A peer that is not a trusted proxy is counted under its own address,
// whatever X-Forwarded-For it sends.
func TestUntrustedForwardedForIgnored(t *testing.T) {
	for _, trusted := range []string{"", "10.0.0.0/8"} {
		t.Run("trusted="+trusted, func(t *testing.T) {
			srv, _ := proxyEnv(t, nil, func(c *httpapi.Config) {
				c.TrustedProxies, _ = httpapi.ParseTrustedProxies(trusted)
			})
			answered := 0
			for i := range 25 {
				answered += enrolUntilLimited(t, srv.URL, 1, "203.0.113."+strconv.Itoa(i+1))
			}
			if answered != 20 {
				t.Fatalf("%d of 25 answered with a new X-Forwarded-For each time, want 20", answered)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	trusted, err := httpapi.ParseTrustedProxies("10.0.0.0/8, 127.0.0.1, 2001:db8::/32")
	must(t, err)
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"no proxy: the peer", "192.0.2.9:4000", []string{"203.0.113.1"}, "192.0.2.9"},
		{"trusted peer, one hop", "127.0.0.1:4000", []string{"203.0.113.1"}, "203.0.113.1"},
		{"rightmost untrusted hop", "127.0.0.1:4000", []string{"198.51.100.1, 203.0.113.1, 10.1.2.3"}, "203.0.113.1"},
		{"several headers read as one list", "127.0.0.1:4000", []string{"198.51.100.1", "203.0.113.1", "10.1.2.3"}, "203.0.113.1"},
		{"no header: the proxy", "10.0.0.5:4000", nil, "10.0.0.5"},
		{"only trusted hops: the leftmost", "10.0.0.5:4000", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"a hop that does not parse: the last trusted", "127.0.0.1:4000", []string{"evil, 10.1.1.1"}, "10.1.1.1"},
		{"garbage right away: the proxy", "127.0.0.1:4000", []string{"<script>"}, "127.0.0.1"},
		{"a hop with a port", "127.0.0.1:4000", []string{"203.0.113.1:5555"}, "203.0.113.1"},
		{"IPv6 hop", "[2001:db8::1]:443", []string{"2001:db8::2, [2a00::5]:80"}, "2a00::5"},
		{"IPv4-mapped peer", "[::ffff:127.0.0.1]:4000", []string{"203.0.113.1"}, "203.0.113.1"},
		{"empty list items skipped to the proxy", "127.0.0.1:4000", []string{" , "}, "127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := trusted.ClientAddr(c.remote, c.xff); got != c.want {
				t.Fatalf("ClientAddr(%q, %q) = %q, want %q", c.remote, c.xff, got, c.want)
			}
		})
	}
	if _, err := httpapi.ParseTrustedProxies("10.0.0.0/8, proxy.example"); err == nil {
		t.Fatal("a host name accepted as a trusted proxy")
	}
}

// FuzzClientAddr: whatever the header, the answer is the peer or an
// address of the header, and an untrusted peer is always its own answer.
func FuzzClientAddr(f *testing.F) {
	f.Add("127.0.0.1:1", "203.0.113.1, 10.0.0.1")
	f.Add("10.0.0.1:1", "[::1]:80,,x")
	f.Add("192.0.2.1:1", "203.0.113.1")
	trusted, _ := httpapi.ParseTrustedProxies("127.0.0.0/8, 10.0.0.0/8, ::1")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		got := trusted.ClientAddr(remote, []string{xff})
		peer, err := netip.ParseAddrPort(remote)
		if err != nil {
			return
		}
		p := peer.Addr().Unmap()
		if !trusted.Contains(p) {
			if got != p.String() {
				t.Fatalf("untrusted peer %s counted as %q", remote, got)
			}
			return
		}
		if got == p.String() {
			return
		}
		for _, h := range strings.Split(xff, ",") {
			h = strings.TrimSpace(h)
			a, err := netip.ParseAddr(h)
			if err != nil {
				ap, err2 := netip.ParseAddrPort(h)
				if err2 != nil {
					continue
				}
				a = ap.Addr()
			}
			if a.Unmap().String() == got {
				return
			}
		}
		t.Fatalf("ClientAddr(%q, %q) = %q: neither the peer nor a hop", remote, xff, got)
	})
}

// Failed sign-ins slow the account down with growing delays (429 with
// Retry-After, the password not even checked), capped at 30 s; the right
// password after the wait works; strangers failing from many addresses
// never keep the clerk out at an address it signed in from before.
func TestLoginThrottleGrowsAndLetsTheOwnerIn(t *testing.T) {
	ck := &clock{t: time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)}
	srv, admin := proxyEnv(t, ck.Now, func(c *httpapi.Config) {
		c.TrustedProxies, _ = httpapi.ParseTrustedProxies("127.0.0.1")
	})
	for i := range 12 { // real accounts: an unknown name costs a full-cost bcrypt
		must(t, admin.PutUser(context.Background(), "user"+strconv.Itoa(i), apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centreID, Password: "password-" + strconv.Itoa(i)}))
	}
	login := func(user, password, addr string) (int, string) {
		return post(t, srv.URL, "/api/v1/login", `{"username":"`+user+`","password":"`+password+`"}`, addr)
	}
	const office, home = "203.0.113.10", "198.51.100.20"
	if code, _ := login("canbo1", "clerk-secret", office); code != 200 {
		t.Fatalf("first sign-in: %d", code)
	}
	// From home (a new address for the account): three typos are free.
	for i := range 3 {
		if code, _ := login("canbo1", "wrong", home); code != 401 {
			t.Fatalf("typo %d: %d", i+1, code)
		}
	}
	// Then each failure makes the next attempt wait: 1 s, 2 s, 4 s …
	wantWait := 1
	for range 8 {
		if code, _ := login("canbo1", "wrong", home); code != 401 {
			t.Fatalf("a checked failure: %d", code)
		}
		code, after := login("canbo1", "clerk-secret", home) // even the right password waits
		if code != 429 || after != strconv.Itoa(wantWait) {
			t.Fatalf("right password during the delay: %d Retry-After %q, want 429 and %d", code, after, wantWait)
		}
		ck.Add(time.Duration(wantWait) * time.Second)
		wantWait = min(wantWait*2, 30)
	}
	if wantWait != 30 {
		t.Fatalf("the delay grew to %d s only", wantWait)
	}
	// The right password after the delay works, and clears the account.
	if code, _ := login("canbo1", "clerk-secret", home); code != 200 {
		t.Fatalf("right password after the delay: %d", code)
	}
	if code, _ := login("canbo1", "wrong", "203.0.113.99"); code != 401 {
		t.Fatalf("after a success the account's count starts afresh: %d", code)
	}
	// An attacker from 200 addresses: the account's delay stays at 30 s at
	// most, and the clerk at the office (where it signed in before) is not
	// kept out at all.
	for i := range 200 {
		addr := "192.0.2." + strconv.Itoa(i+1)
		if code, after := login("canbo1", "guess", addr); code == 429 {
			if n, _ := strconv.Atoi(after); n > 30 {
				t.Fatalf("Retry-After %s over 30 s", after)
			}
		}
	}
	if code, after := login("canbo1", "clerk-secret", office); code != 200 {
		t.Fatalf("the clerk at the office during the attack: %d (Retry-After %s)", code, after)
	}
	// From an address it never used, the clerk waits 30 s at most.
	code, after := login("canbo1", "clerk-secret", "192.0.2.250")
	if code == 429 {
		n, _ := strconv.Atoi(after)
		if n < 1 || n > 30 {
			t.Fatalf("Retry-After %q", after)
		}
		ck.Add(time.Duration(n) * time.Second)
		code, _ = login("canbo1", "clerk-secret", "192.0.2.250")
	}
	if code != 200 {
		t.Fatalf("the clerk from a new address after the wait: %d", code)
	}
	// One address failing on many accounts is slowed down too (ten free).
	const sprayer = "192.0.2.251"
	limited := false
	for i := range 12 {
		code, _ := login("user"+strconv.Itoa(i), "guess", sprayer)
		limited = limited || code == 429
	}
	if !limited {
		t.Fatal("twelve failures from one address on twelve accounts were all checked")
	}
}

// Every per-address limit keys by clientIP: no other source file of the
// package reads the peer's address or X-Forwarded-For itself (a limiter
// that did would count everyone behind a proxy as one, or believe a forged
// header).
func TestOneClientAddressFunction(t *testing.T) {
	files, err := filepath.Glob("*.go")
	must(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "proxy.go" {
			continue
		}
		raw, err := os.ReadFile(f)
		must(t, err)
		for i, line := range strings.Split(string(raw), "\n") {
			code, _, _ := strings.Cut(line, "//") // comments may name them
			for _, s := range []string{"RemoteAddr", "X-Forwarded-For", "X-Real-Ip", "X-Real-IP"} {
				if strings.Contains(code, s) {
					t.Errorf("%s:%d reads %s: use clientIP(r)", f, i+1, s)
				}
			}
		}
	}
}
