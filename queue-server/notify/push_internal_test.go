package notify

import (
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"testing"
	"time"
)

type rfc8291Vector struct {
	Plaintext, AsPrivate, AsPublic, UaPrivate, UaPublic, Salt, AuthSecret, Body string
}

func loadRFC8291(t testing.TB) rfc8291Vector {
	raw, err := os.ReadFile("testdata/rfc8291-appendix-a.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Plaintext  string `json:"plaintext"`
		AsPrivate  string `json:"as_private"`
		AsPublic   string `json:"as_public"`
		UaPrivate  string `json:"ua_private"`
		UaPublic   string `json:"ua_public"`
		Salt       string `json:"salt"`
		AuthSecret string `json:"auth_secret"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return rfc8291Vector(v)
}

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return b
}

// RFC 8291's worked example: its keys, salt and plaintext give its body.
func TestPushEncryptRFC8291(t *testing.T) {
	v := loadRFC8291(t)
	as, err := ecdh.P256().NewPrivateKey(b64(t, v.AsPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(as.PublicKey().Bytes()); got != v.AsPublic {
		t.Fatalf("as_public %s, want %s", got, v.AsPublic)
	}
	ua, err := ecdh.P256().NewPublicKey(b64(t, v.UaPublic))
	if err != nil {
		t.Fatal(err)
	}
	body, err := encryptPush([]byte(v.Plaintext), ua, b64(t, v.AuthSecret), as, b64(t, v.Salt))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(body); got != v.Body {
		t.Fatalf("body\n got %s\nwant %s", got, v.Body)
	}
	// Fresh key and salt otherwise: two encryptions differ.
	a, _ := encryptPush([]byte(v.Plaintext), ua, b64(t, v.AuthSecret), nil, nil)
	b, _ := encryptPush([]byte(v.Plaintext), ua, b64(t, v.AuthSecret), nil, nil)
	if string(a[:86]) == string(b[:86]) {
		t.Fatal("salt and server key reused between messages")
	}
	if _, err := encryptPush(make([]byte, MaxPushPayload+1), ua, b64(t, v.AuthSecret), nil, nil); err == nil {
		t.Fatal("a payload over the limit was encrypted")
	}
}

func BenchmarkPushEncrypt(b *testing.B) {
	ua, _ := ecdh.P256().GenerateKey(nil)
	auth := make([]byte, 16)
	plain := []byte(`{"title":"Sắp đến lượt bạn","body":"Số A012 — còn 3 người trước bạn, khoảng 10 phút. Quầy 4.","url":"https://xephang.example/t/abc","tag":"m-1"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encryptPush(plain, ua.PublicKey(), auth, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// The guarded dialer refuses the loopback interface, by address or by a
// name that resolves to it, whatever the URL check said.
func TestGuardedDialer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port := u.Port()
	c := &http.Client{Transport: guardedTransport(nil), Timeout: 5 * time.Second}
	for _, u := range []string{srv.URL, "http://localhost:" + port} {
		_, err := c.Get(u)
		if !errors.Is(err, errNotPublic) {
			t.Errorf("%s: %v, want refused", u, err)
		}
	}
	allowed := &http.Client{Transport: guardedTransport(netip.Addr.IsLoopback), Timeout: 5 * time.Second}
	resp, err := allowed.Get(srv.URL)
	if err != nil {
		t.Fatalf("loopback allowed: %v", err)
	}
	resp.Body.Close()
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"-5":                            0,
		"abc":                           0,
		"999999999":                     24 * time.Hour,
		"Fri, 04 Dec 2026 10:02:00 GMT": 2 * time.Minute,
		"Fri, 04 Dec 2026 09:00:00 GMT": 0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q: %s, want %s", h, got, want)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "30", "Fri, 04 Dec 2026 10:02:00 GMT", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, h string) {
		if d := retryAfter(h, now); d < 0 || d > 24*time.Hour {
			t.Fatalf("%q: %s", h, d)
		}
	})
}
