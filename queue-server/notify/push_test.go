package notify_test

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/notify"
	"xephang/queue-server/notify/notifytest"
	"xephang/queue-server/queue"
)

func newPush(t *testing.T) *notify.Push {
	t.Helper()
	p, err := notify.NewPush(notify.PushConfig{Subject: "mailto:ops@xephang.example", AllowLoopbackHTTP: true}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func notifyErr(t *testing.T, err error) *notify.Error {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v: not a *notify.Error", err)
	}
	return e
}

// A push goes through the receiver: it decrypts what was sent with the
// subscription's private key and accepts the VAPID token.
func TestPushRoundTrip(t *testing.T) {
	r := notifytest.StartPushReceiver(t)
	p := newPush(t)
	r.ServerKey = p.PublicKey()
	sub := r.NewSubscription()
	if err := notify.ValidSubscription(queue.PushSubscription{Endpoint: "https://push.example/x", P256dh: sub.P256dh, Auth: sub.Auth}); err != nil {
		t.Fatalf("the receiver's subscription is invalid: %v", err)
	}
	m := notify.Outgoing{
		ID: "m-1", Centre: "hn-bd", Topic: queue.TopicNear, Push: &sub,
		Title: "Sắp đến lượt bạn", Text: "Số A012: còn 3 người trước bạn, khoảng 10 phút.",
		Data: map[string]string{"number": "A012", "url": "https://xephang.example/t/abc"},
	}
	if err := p.Send(ctx(t), m); err != nil {
		t.Fatalf("send: %v (refused: %q)", err, r.Refused())
	}
	called := m
	called.ID, called.Topic, called.Title, called.Text = "m-2", queue.TopicCalled, "Mời bạn đến quầy 4", "Số A012, mời đến quầy 4."
	if err := p.Send(ctx(t), called); err != nil {
		t.Fatal(err)
	}
	other := m
	other.ID, other.Data = "m-3", map[string]string{"number": "A013"}
	other.Topic = queue.TopicTransferred
	if err := p.Send(ctx(t), other); err != nil {
		t.Fatal(err)
	}
	got := r.Wait(t, 3)
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want 3", len(got))
	}
	var payload map[string]string
	if err := json.Unmarshal(got[0].Payload, &payload); err != nil {
		t.Fatalf("payload %q: %v", got[0].Payload, err)
	}
	want := map[string]string{"title": m.Title, "body": m.Text, "url": "https://xephang.example/t/abc", "tag": "m-1"}
	if fmt.Sprint(payload) != fmt.Sprint(want) {
		t.Errorf("decrypted payload %v, want %v", payload, want)
	}
	if got[0].Urgency != "high" || got[1].Urgency != "high" || got[2].Urgency != "normal" {
		t.Errorf("urgencies %q %q %q, want high high normal", got[0].Urgency, got[1].Urgency, got[2].Urgency)
	}
	if got[0].TTL != "3600" {
		t.Errorf("TTL %q", got[0].TTL)
	}
	if got[0].Topic == "" || len(got[0].Topic) > 32 || got[0].Topic != got[1].Topic || got[0].Topic == got[2].Topic {
		t.Errorf("topics %q %q %q: want the same for one ticket, another for another", got[0].Topic, got[1].Topic, got[2].Topic)
	}
	if strings.Contains(got[0].Topic, "A012") {
		t.Errorf("topic %q shows the number", got[0].Topic)
	}
	if got[0].Audience != r.URL {
		t.Errorf("aud %q, want %q", got[0].Audience, r.URL)
	}
	if d := time.Until(got[0].Expires); d <= 0 || d > 24*time.Hour {
		t.Errorf("token expires in %s", d)
	}
}

// The VAPID key is created once (mode 0600, PKCS#8) and loaded after.
func TestPushKeyFile(t *testing.T) {
	dir := t.TempDir()
	cfg := notify.PushConfig{Subject: "https://xephang.example/contact"}
	a, err := notify.NewPush(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "vapid.key"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %o, want 600", st.Mode().Perm())
	}
	b, err := notify.NewPush(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.PublicKey() != b.PublicKey() {
		t.Error("a second start made another key")
	}
	k, err := base64.RawURLEncoding.DecodeString(a.PublicKey())
	if err != nil || len(k) != 65 || k[0] != 4 {
		t.Errorf("public key %q is not an uncompressed point in unpadded base64url", a.PublicKey())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the data directory, want the key alone", len(entries))
	}
	// An explicit file, readable by others: refused.
	other := filepath.Join(t.TempDir(), "k.pem")
	if _, err := notify.NewPush(notify.PushConfig{Subject: cfg.Subject, KeyFile: other}, dir); err != nil {
		t.Fatal(err)
	}
	os.Chmod(other, 0o644)
	if _, err := notify.NewPush(notify.PushConfig{Subject: cfg.Subject, KeyFile: other}, dir); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("a key file readable by others: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "bad.key"), []byte("not a key"), 0o600)
	if _, err := notify.NewPush(notify.PushConfig{Subject: cfg.Subject, KeyFile: filepath.Join(dir, "bad.key")}, dir); err == nil {
		t.Error("a file that holds no key accepted")
	}
	for _, s := range []string{"", "ops@xephang.example", "http://xephang.example", "mailto:"} {
		if _, err := notify.NewPush(notify.PushConfig{Subject: s}, dir); err == nil {
			t.Errorf("subject %q accepted", s)
		}
	}
}

// The receiver refuses tokens that RFC 8292 refuses, and the sender
// reads its refusal as permanent.
func TestPushVAPIDChecks(t *testing.T) {
	r := notifytest.StartPushReceiver(t)
	p := newPush(t)
	sub := r.NewSubscription()
	m := notify.Outgoing{ID: "m-1", Topic: queue.TopicCalled, Title: "t", Text: "x", Push: &sub}

	// A subscription made with another server's key: 403, permanent.
	r.ServerKey = newPush(t).PublicKey()
	err := p.Send(ctx(t), m)
	if e := notifyErr(t, err); !e.Permanent || e.Gone {
		t.Errorf("wrong key: %+v, want permanent", e)
	}
	r.ServerKey = p.PublicKey()

	// The receiver's clock 13 hours on: the token (12 hours) expired.
	r.SetNow(func() time.Time { return time.Now().Add(13 * time.Hour) })
	if e := notifyErr(t, p.Send(ctx(t), m)); !e.Permanent || !strings.Contains(e.Msg, "401") {
		t.Errorf("expired token: %+v", e)
	}
	r.SetNow(time.Now)
	if err := p.Send(ctx(t), m); err != nil {
		t.Fatalf("valid token: %v", err)
	}

	// Hand-made tokens.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := key.PublicKey.Bytes()
	k := base64.RawURLEncoding.EncodeToString(pub)
	r.ServerKey = ""
	now := time.Now()
	cases := []struct {
		name string
		auth string
		want string
	}{
		{"none", "", "no vapid"},
		{"bearer", "Bearer abc", "no vapid"},
		{"other origin", vapid(t, key, map[string]any{"aud": "https://push.example", "exp": now.Add(time.Hour).Unix(), "sub": "mailto:a@b"}) + ", k=" + k, "aud"},
		{"expired", vapid(t, key, map[string]any{"aud": r.URL, "exp": now.Add(-time.Minute).Unix(), "sub": "mailto:a@b"}) + ", k=" + k, "expired"},
		{"over 24 h", vapid(t, key, map[string]any{"aud": r.URL, "exp": now.Add(25 * time.Hour).Unix(), "sub": "mailto:a@b"}) + ", k=" + k, "24 hours"},
		{"no sub", vapid(t, key, map[string]any{"aud": r.URL, "exp": now.Add(time.Hour).Unix()}) + ", k=" + k, "sub"},
		{"signed by another key", vapid(t, key, map[string]any{"aud": r.URL, "exp": now.Add(time.Hour).Unix(), "sub": "mailto:a@b"}) + ", k=" + p.PublicKey(), "does not verify"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodPost, sub.Endpoint, strings.NewReader("x"))
		req.Header.Set("Authorization", c.auth)
		req.Header.Set("Content-Encoding", "aes128gcm")
		req.Header.Set("TTL", "60")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		refused := r.Refused()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(refused[len(refused)-1], c.want) {
			t.Errorf("%s: %d %q, want 401 about %q", c.name, resp.StatusCode, refused[len(refused)-1], c.want)
		}
	}
	// The valid hand-made token is accepted up to the decryption.
	req, _ := http.NewRequest(http.MethodPost, sub.Endpoint, strings.NewReader("x"))
	req.Header.Set("Authorization", vapid(t, key, map[string]any{"aud": r.URL, "exp": now.Add(time.Hour).Unix(), "sub": "mailto:a@b"})+", k="+k)
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("TTL", "60")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if refused := r.Refused(); resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(refused[len(refused)-1], "decrypt") {
		t.Errorf("a valid token over a bad body: %d %q", resp.StatusCode, refused[len(refused)-1])
	}
}

func vapid(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	b64 := base64.RawURLEncoding
	c, _ := json.Marshal(claims)
	s := b64.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`)) + "." + b64.EncodeToString(c)
	h := sha256.Sum256([]byte(s))
	r, ss, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return "vapid t=" + s + "." + b64.EncodeToString(sig)
}

// An unsubscribed browser: 410, the error says Gone.
func TestPushGone(t *testing.T) {
	r := notifytest.StartPushReceiver(t)
	p := newPush(t)
	sub := r.NewSubscription()
	m := notify.Outgoing{ID: "m-1", Topic: queue.TopicNear, Title: "t", Text: "x", Push: &sub}
	if err := p.Send(ctx(t), m); err != nil {
		t.Fatal(err)
	}
	r.Unsubscribe(sub.Endpoint)
	e := notifyErr(t, p.Send(ctx(t), m))
	if !e.Gone || !e.Permanent || e.Gateway != "push" {
		t.Errorf("unsubscribed: %+v, want gone and permanent", e)
	}
	// An endpoint the push service never issued: 404, gone too.
	unknown := sub
	unknown.Endpoint = r.URL + "/push/999"
	if e := notifyErr(t, p.Send(ctx(t), notify.Outgoing{ID: "m-2", Push: &unknown})); !e.Gone {
		t.Errorf("unknown endpoint: %+v", e)
	}
	if !notify.IsPermanent(e) {
		t.Error("IsPermanent(gone) is false")
	}
}

// What each answer of a push service means to the dispatcher.
func TestPushAnswers(t *testing.T) {
	var code int
	var retry string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		w.WriteHeader(code)
		fmt.Fprint(w, strings.Repeat("an answer\n", 20000)) // read bounded, kept short in the error
	}))
	defer srv.Close()
	p := newPush(t)
	rcv := notifytest.StartPushReceiver(t)
	sub := rcv.NewSubscription()
	sub.Endpoint = srv.URL + "/push/1"
	m := notify.Outgoing{ID: "m-1", Title: "t", Text: "x", Push: &sub}
	for _, c := range []struct {
		code           int
		retry          string
		ok, perm, gone bool
		retryAfter     time.Duration
	}{
		{code: 201, ok: true},
		{code: 202, ok: true},
		{code: 400, perm: true},
		{code: 413, perm: true},
		{code: 404, perm: true, gone: true},
		{code: 410, perm: true, gone: true},
		{code: 429, retry: "120", retryAfter: 2 * time.Minute},
		{code: 500},
		{code: 503},
	} {
		code, retry = c.code, c.retry
		err := p.Send(ctx(t), m)
		if c.ok {
			if err != nil {
				t.Errorf("%d: %v", c.code, err)
			}
			continue
		}
		e := notifyErr(t, err)
		if e.Permanent != c.perm || e.Gone != c.gone || e.RetryAfter != c.retryAfter {
			t.Errorf("%d: %+v, want permanent %v gone %v retry after %s", c.code, e, c.perm, c.gone, c.retryAfter)
		}
		if len(e.Msg) > 300 || strings.Contains(e.Msg, "\n") {
			t.Errorf("%d: error text of %d bytes, or on several lines", c.code, len(e.Msg))
		}
	}
	// A network failure is temporary: not a *notify.Error.
	srv.Close()
	if err := p.Send(ctx(t), m); err == nil || notify.IsPermanent(err) {
		t.Errorf("closed server: %v, want a temporary error", err)
	}
}

// Endpoints: https only; http on loopback only when the tests allow it;
// addresses that are not public are never dialled.
func TestPushEndpointChecks(t *testing.T) {
	rcv := notifytest.StartPushReceiver(t)
	sub := rcv.NewSubscription()
	strict, err := notify.NewPush(notify.PushConfig{Subject: "mailto:ops@xephang.example"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if e := notifyErr(t, strict.Send(ctx(t), notify.Outgoing{ID: "m", Push: &sub})); !e.Permanent || !strings.Contains(e.Msg, "https") {
		t.Errorf("http endpoint without the test option: %+v", e)
	}
	// https to the loopback interface: refused at dialling.
	tls := sub
	tls.Endpoint = strings.Replace(rcv.URL, "http://", "https://", 1) + "/push/1"
	if err := strict.Send(ctx(t), notify.Outgoing{ID: "m", Push: &tls}); err == nil || !strings.Contains(err.Error(), "non-public") {
		t.Errorf("https to 127.0.0.1: %v, want refused at dialling", err)
	}
	if len(rcv.Deliveries())+len(rcv.Refused()) != 0 {
		t.Error("the receiver was reached")
	}
	p := newPush(t)
	for _, ep := range []string{"ftp://x/y", "http://192.168.1.1/push", "http://push.example/x", "https://user:pw@push.example/x", "/relative", "https://push.example/" + strings.Repeat("a", 2000)} {
		s := sub
		s.Endpoint = ep
		if e := notifyErr(t, p.Send(ctx(t), notify.Outgoing{ID: "m", Push: &s})); !e.Permanent {
			t.Errorf("%s: %+v", ep, e)
		}
	}
	if e := notifyErr(t, p.Send(ctx(t), notify.Outgoing{ID: "m"})); !e.Permanent {
		t.Errorf("no subscription: %+v", e)
	}
}

func TestValidSubscription(t *testing.T) {
	key, _ := ecdh.P256().GenerateKey(rand.Reader)
	b64 := base64.RawURLEncoding
	good := queue.PushSubscription{Endpoint: "https://fcm.googleapis.com/fcm/send/abc", P256dh: b64.EncodeToString(key.PublicKey().Bytes()), Auth: b64.EncodeToString(make([]byte, 16))}
	if err := notify.ValidSubscription(good); err != nil {
		t.Fatal(err)
	}
	padded := good
	padded.Auth += "=="
	if err := notify.ValidSubscription(padded); err != nil {
		t.Errorf("padded base64url: %v", err)
	}
	notOnCurve := make([]byte, 65)
	notOnCurve[0] = 4
	notOnCurve[64] = 1
	for name, c := range map[string]func(s *queue.PushSubscription){
		"http":           func(s *queue.PushSubscription) { s.Endpoint = "http://fcm.googleapis.com/x" },
		"no host":        func(s *queue.PushSubscription) { s.Endpoint = "https:///x" },
		"not a URL":      func(s *queue.PushSubscription) { s.Endpoint = "fcm" },
		"private":        func(s *queue.PushSubscription) { s.Endpoint = "https://10.0.0.1/push" },
		"loopback":       func(s *queue.PushSubscription) { s.Endpoint = "https://[::1]/push" },
		"long":           func(s *queue.PushSubscription) { s.Endpoint = "https://a.example/" + strings.Repeat("x", 2000) },
		"compressed key": func(s *queue.PushSubscription) { s.P256dh = b64.EncodeToString(key.PublicKey().Bytes()[:33]) },
		"off the curve":  func(s *queue.PushSubscription) { s.P256dh = b64.EncodeToString(notOnCurve) },
		"key not base64": func(s *queue.PushSubscription) { s.P256dh = "!!" },
		"auth short":     func(s *queue.PushSubscription) { s.Auth = b64.EncodeToString(make([]byte, 8)) },
		"auth missing":   func(s *queue.PushSubscription) { s.Auth = "" },
	} {
		s := good
		c(&s)
		err := notify.ValidSubscription(s)
		var qe *queue.Error
		if !errors.As(err, &qe) || qe.Code != queue.EInvalid || qe.VI == "" || qe.EN == "" {
			t.Errorf("%s: %v, want an invalid error in both languages", name, err)
		}
	}
}

// Sends through the loopback push service: encryption, the cached VAPID
// token, HTTP, and the receiver's decryption and token check.
func BenchmarkPushSend(b *testing.B) {
	r := notifytest.StartPushReceiver(b)
	p, err := notify.NewPush(notify.PushConfig{Subject: "mailto:ops@xephang.example", AllowLoopbackHTTP: true}, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	sub := r.NewSubscription()
	m := notify.Outgoing{ID: "m-1", Centre: "hn-bd", Topic: queue.TopicNear, Push: &sub, Title: "Sắp đến lượt bạn",
		Text: "Số A012: còn 3 người trước bạn, khoảng 10 phút.", Data: map[string]string{"number": "A012"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Send(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
}
