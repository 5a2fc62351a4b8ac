package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/notify"
	"xephang/queue-server/notify/notifytest"
)

func znsConfig(z *notifytest.ZNSServer) notify.ZNSConfig {
	return notify.ZNSConfig{BaseURL: z.URL, OAuthURL: z.OAuthURL, AppID: z.AppID, SecretKey: z.SecretKey,
		RefreshToken: z.RefreshToken(), Templates: map[string]string{"called": "tpl-called", "near": "tpl-near"},
		Timeout: notify.Duration(2 * time.Second)}
}

var called = notify.Outgoing{ID: "m1", Centre: "c1", Topic: "called", Phone: "0912345678",
	Data: map[string]string{"number": "A012", "counter": "3", "centre_name": "Trung tâm"}}

func asError(t *testing.T, err error) *notify.Error {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *notify.Error, got %T %v", err, err)
	}
	return e
}

func TestZNSSendsTheTemplate(t *testing.T) {
	z := notifytest.StartZNS(t)
	s, err := notify.NewZNS(znsConfig(z), filepath.Join(t.TempDir(), "zns.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), called); err != nil {
		t.Fatal(err)
	}
	got := z.Received()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	m := got[0]
	if m.Phone != "84912345678" || m.TemplateID != "tpl-called" || m.TrackingID != "m1" ||
		m.TemplateData["number"] != "A012" || m.TemplateData["counter"] != "3" {
		t.Errorf("received %+v", m)
	}
	// A template approved with named parameters gets those only.
	cfg := znsConfig(z)
	cfg.TemplateParams = map[string][]string{"called": {"number", "counter", "counter_name"}}
	s2, err := notify.NewZNS(cfg, filepath.Join(t.TempDir(), "zns.json"))
	if err != nil {
		t.Fatal(err)
	}
	m2 := called
	m2.ID = "m1b"
	if err := s2.Send(context.Background(), m2); err != nil {
		t.Fatal(err)
	}
	if td := z.Received()[1].TemplateData; len(td) != 3 || td["number"] != "A012" || td["counter_name"] != "" {
		t.Errorf("template_data %v", td)
	}
	// Next sends reuse the access token.
	s.Send(context.Background(), notify.Outgoing{ID: "m2", Topic: "near", Phone: "0912345678"})
	if z.Refreshes() != 2 || z.Count("m2") != 1 {
		t.Errorf("refreshes %d, m2 delivered %d", z.Refreshes(), z.Count("m2"))
	}
}

func TestZNSErrors(t *testing.T) {
	z := notifytest.StartZNS(t)
	s, err := notify.NewZNS(znsConfig(z), filepath.Join(t.TempDir(), "zns.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// A topic without an approved template is never sent as free text.
	e := asError(t, s.Send(ctx, notify.Outgoing{ID: "x", Topic: "booked", Phone: "0912345678"}))
	if !e.Permanent || z.Attempts() != 0 {
		t.Errorf("no template: %+v, %d attempts", e, z.Attempts())
	}
	if e := asError(t, s.Send(ctx, notify.Outgoing{ID: "x", Topic: "called", Phone: "12345"})); !e.Permanent {
		t.Errorf("bad phone: %+v", e)
	}

	z.SetMode(notifytest.ModeTemplateError)
	if e := asError(t, s.Send(ctx, called)); !e.Permanent || !strings.Contains(e.Msg, "-109") {
		t.Errorf("template error: %+v", e)
	}
	z.SetMode(notifytest.ModeRateLimit)
	if e := asError(t, s.Send(ctx, called)); e.Permanent || e.RetryAfter <= 0 {
		t.Errorf("rate limit: %+v", e)
	}
	z.SetMode(notifytest.ModeDown)
	if err := s.Send(ctx, called); err == nil || notify.IsPermanent(err) {
		t.Errorf("down: %v", err)
	}
	z.SetMode(notifytest.ModeServerError)
	if err := s.Send(ctx, called); err == nil || notify.IsPermanent(err) {
		t.Errorf("500: %v", err)
	}
	// A hanging gateway: the client's timeout (2 s here) or the
	// caller's context ends the attempt, as a temporary error.
	z.SetMode(notifytest.ModeTimeout)
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := s.Send(tctx, called); err == nil || notify.IsPermanent(err) {
		t.Errorf("timeout: %v", err)
	}
	z.SetMode(notifytest.ModeOK)
	if err := s.Send(ctx, called); err != nil || z.Count("m1") != 1 {
		t.Errorf("back: %v, delivered %d", err, z.Count("m1"))
	}
}

// The access token refused (-124): one refresh, the send retried once.
// The rotated refresh token is on disk: a new sender (a restart) goes on
// with it, where the configured one is spent.
func TestZNSTokenRotationSurvivesARestart(t *testing.T) {
	z := notifytest.StartZNS(t)
	state := filepath.Join(t.TempDir(), "zns.json")
	cfg := znsConfig(z)
	s, err := notify.NewZNS(cfg, state)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Send(ctx, called); err != nil {
		t.Fatal(err)
	}
	z.ExpireAccessTokens()
	if err := s.Send(ctx, notify.Outgoing{ID: "m2", Topic: "called", Phone: "0912345678"}); err != nil {
		t.Fatal(err)
	}
	if z.Refreshes() != 2 || z.Count("m2") != 1 {
		t.Fatalf("refreshes %d, delivered %d", z.Refreshes(), z.Count("m2"))
	}
	var st struct {
		RefreshToken string `json:"refresh_token"`
	}
	b, _ := os.ReadFile(state)
	if json.Unmarshal(b, &st); st.RefreshToken != z.RefreshToken() {
		t.Fatalf("state file holds %q, the valid one is %q", st.RefreshToken, z.RefreshToken())
	}
	if fi, _ := os.Stat(state); fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v", fi.Mode())
	}
	// Restart: the configured (spent) refresh token is ignored for the file's.
	z.ExpireAccessTokens()
	s2, err := notify.NewZNS(cfg, state)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Send(ctx, notify.Outgoing{ID: "m3", Topic: "called", Phone: "0912345678"}); err != nil {
		t.Fatal(err)
	}
	if z.Count("m3") != 1 || z.Refreshes() != 3 {
		t.Errorf("after restart: delivered %d, refreshes %d", z.Count("m3"), z.Refreshes())
	}
	// Without the file, the spent token fails: permanent (a new
	// authorization of the OA is needed).
	s3, err := notify.NewZNS(cfg, filepath.Join(t.TempDir(), "other.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.Send(ctx, called); !notify.IsPermanent(err) {
		t.Errorf("spent refresh token: %v", err)
	}
}

// The token is refreshed ahead of its expiry, once for many concurrent
// senders.
func TestZNSRefreshAheadOnceUnderConcurrency(t *testing.T) {
	z := notifytest.StartZNS(t)
	z.SetTokenLife(3600)
	s, err := notify.NewZNS(znsConfig(z), filepath.Join(t.TempDir(), "zns.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sendAll := func(prefix string) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := called
				m.ID = prefix + string(rune('a'+i))
				if err := s.Send(context.Background(), m); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	sendAll("a")
	if z.Refreshes() != 1 {
		t.Fatalf("%d refreshes for 20 concurrent first sends", z.Refreshes())
	}
	mu.Lock()
	now = now.Add(55 * time.Minute) // the token lives 60 min: refreshed 6 min ahead
	mu.Unlock()
	sendAll("b")
	if z.Refreshes() != 2 {
		t.Errorf("%d refreshes at 55 min", z.Refreshes())
	}
}

func TestNewZNSRefusesBadConfig(t *testing.T) {
	good := notify.ZNSConfig{AppID: "1", SecretKey: "s", RefreshToken: "r", Templates: map[string]string{"called": "1"}}
	for name, mut := range map[string]func(c *notify.ZNSConfig){
		"no app":       func(c *notify.ZNSConfig) { c.AppID = "" },
		"no secret":    func(c *notify.ZNSConfig) { c.SecretKey = "" },
		"no refresh":   func(c *notify.ZNSConfig) { c.RefreshToken = "" },
		"no templates": func(c *notify.ZNSConfig) { c.Templates = nil },
		"bad topic":    func(c *notify.ZNSConfig) { c.Templates = map[string]string{"caled": "1"} },
		"bad url":      func(c *notify.ZNSConfig) { c.BaseURL = "ftp://x" },
	} {
		c := good
		mut(&c)
		if _, err := notify.NewZNS(c, filepath.Join(t.TempDir(), "s.json")); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := notify.NewZNS(good, filepath.Join(t.TempDir(), "s.json")); err != nil {
		t.Error(err)
	}
}

func FuzzParseZNSAnswer(f *testing.F) {
	f.Add([]byte(`{"error":0,"message":"Success","data":{"msg_id":"abc"}}`))
	f.Add([]byte(`{"error":-124,"message":"Access token invalid"}`))
	f.Add([]byte(`{"access_token":"a","refresh_token":"r","expires_in":"90000"}`))
	f.Add([]byte(`{"error":-14014,"error_name":"Invalid refresh token"}`))
	f.Add([]byte(`<html>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		code, msg, err := notify.ParseZNSAnswer(b)
		if err == nil && len([]rune(msg)) > 200 {
			t.Errorf("message of %d characters kept", len(msg))
		}
		if err != nil && code != 0 {
			t.Errorf("code %d with error %v", code, err)
		}
		tok, err := notify.ParseZNSToken(b)
		if err == nil && (tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn <= 0) {
			t.Errorf("token accepted: %+v", tok)
		}
	})
}

func TestPhone84(t *testing.T) {
	for in, want := range map[string]string{"0912345678": "84912345678", "+84912345678": "84912345678",
		"84 912 345 678": "84912345678", "0912.345.678": "84912345678", "091234567": "", "0012345678": "", "abc": "", "": ""} {
		got, ok := notify.Phone84(in)
		if got != want || ok != (want != "") {
			t.Errorf("Phone84(%q) = %q, %v", in, got, ok)
		}
	}
}

func smsConfig(s *notifytest.SMSServer) notify.SMSConfig {
	return notify.SMSConfig{URL: s.URL, Headers: map[string]string{"X-Api-Key": s.APIKey}, Body: notifytest.SMSBody,
		SuccessField: "status", SuccessValue: "success", ErrorField: "code", PermanentCodes: []string{"146"},
		Brandname: "XEPHANG", ASCII: true, Timeout: notify.Duration(2 * time.Second),
		Templates: map[string]string{"called": "Moi cong dan so {number} den Quay {counter}. {url}",
			"centre_closed": "Trung tam tam dong cua, lich hen {code} da bi huy. {message}"}}
}

func TestSMSSendsTheRegisteredText(t *testing.T) {
	g := notifytest.StartSMS(t)
	s, err := notify.NewSMS(smsConfig(g))
	if err != nil {
		t.Fatal(err)
	}
	m := called
	m.Data = map[string]string{"number": "A012", "counter": "3", "url": `https://x.vn/track/"q"`}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := g.Received()
	if len(got) != 1 || got[0].Text != `Moi cong dan so A012 den Quay 3. https://x.vn/track/"q"` ||
		got[0].Phone != "84912345678" || got[0].RequestID != "m1" || got[0].Brandname != "XEPHANG" {
		t.Fatalf("received %+v", got)
	}
	// The staff's long text with diacritics: folded and shortened to one SMS.
	long := notify.Outgoing{ID: "m2", Topic: "centre_closed", Phone: "0912345678", Data: map[string]string{"code": "7KQ2M9XD",
		"message": strings.Repeat("Mất điện toàn khu vực, mong quý khách thông cảm. ", 6)}}
	if err := s.Send(context.Background(), long); err != nil {
		t.Fatal(err)
	}
	txt := g.Received()[1].Text
	if notify.GSMSeptets(txt) > 160 || !strings.Contains(txt, "Mat dien") || !strings.HasSuffix(txt, "...") {
		t.Errorf("long text: %q", txt)
	}
}

func TestSMSErrors(t *testing.T) {
	g := notifytest.StartSMS(t)
	s, err := notify.NewSMS(smsConfig(g))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if e := asError(t, s.Send(ctx, notify.Outgoing{ID: "x", Topic: "near", Phone: "0912345678"})); !e.Permanent || g.Attempts() != 0 {
		t.Errorf("no registered template: %+v", e)
	}
	g.SetMode(notifytest.ModeTemplateError)
	if e := asError(t, s.Send(ctx, called)); !e.Permanent {
		t.Errorf("template refused: %+v", e)
	}
	g.SetMode(notifytest.ModeRateLimit)
	if e := asError(t, s.Send(ctx, called)); e.Permanent || e.RetryAfter != 30*time.Second {
		t.Errorf("rate limit: %+v", e)
	}
	g.SetMode(notifytest.ModeDown)
	if err := s.Send(ctx, called); err == nil || notify.IsPermanent(err) {
		t.Errorf("down: %v", err)
	}
	g.SetMode(notifytest.ModeTimeout)
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := s.Send(tctx, called); err == nil || notify.IsPermanent(err) {
		t.Errorf("timeout: %v", err)
	}
	g.SetMode(notifytest.ModeOK)
	bad := smsConfig(g)
	bad.Headers = map[string]string{"X-Api-Key": "wrong"}
	s2, _ := notify.NewSMS(bad)
	if e := asError(t, s2.Send(ctx, called)); !e.Permanent {
		t.Errorf("401: %+v", e)
	}
	if g.Count("m1") != 0 {
		t.Error("delivered while failing")
	}
}

func TestNewSMSRefusesBadConfig(t *testing.T) {
	g := notifytest.StartSMS(t)
	for name, mut := range map[string]func(c *notify.SMSConfig){
		"url":         func(c *notify.SMSConfig) { c.URL = "x" },
		"method":      func(c *notify.SMSConfig) { c.Method = "DELETE" },
		"body syntax": func(c *notify.SMSConfig) { c.Body = "{{.Text" },
		"body field":  func(c *notify.SMSConfig) { c.Body = "{{.Name}}" },
		"not json":    func(c *notify.SMSConfig) { c.Body = `{"text":{{.Text}}}` },
		"no brand":    func(c *notify.SMSConfig) { c.Brandname = "" },
		"topic":       func(c *notify.SMSConfig) { c.Templates = map[string]string{"calld": "x"} },
		"placeholder": func(c *notify.SMSConfig) { c.Templates = map[string]string{"called": "{name}"} },
		"too long":    func(c *notify.SMSConfig) { c.Templates = map[string]string{"called": strings.Repeat("x", 161)} },
		"header":      func(c *notify.SMSConfig) { c.Headers = map[string]string{"X": "a\r\nb"} },
	} {
		c := smsConfig(g)
		mut(&c)
		if _, err := notify.NewSMS(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzJSONField(f *testing.F) {
	f.Add([]byte(`{"status":"success","data":[{"code":0}]}`), "data.0.code")
	f.Add([]byte(`{"a":{"b":null}}`), "a.b")
	f.Add([]byte(`[1,2]`), "1")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		v, ok := notify.JSONField(doc, path)
		if !ok && v != "" {
			t.Errorf("value %q without ok", v)
		}
	})
}

func TestEmail(t *testing.T) {
	srv := notifytest.StartSMTP(t)
	srv.Username, srv.Password = "xephang", "mật-khẩu"
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, srv.CertPEM, 0o600)
	cfg := notify.SMTPConfig{Addr: srv.Addr, From: "thongbao@xephang.example.vn", FromName: "Trung tâm Hành chính công",
		Username: "xephang", Password: "mật-khẩu", RequireTLS: true, RootCAFile: ca, Timeout: notify.Duration(5 * time.Second)}
	e, err := notify.NewEmail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2026, 12, 4, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	e.Now = func() time.Time { return fixed }
	m := notify.Outgoing{ID: "msg-1", Topic: "booked", Email: "cong.dan@example.vn", Title: "Đã đặt lịch hẹn 7KQ2M9XD",
		Text: "Đã đặt lịch hẹn mã 7KQ2M9XD lúc 09:30 05/12/2026 tại Trung tâm Phục vụ hành chính công phường Bến Thành, lĩnh vực Hộ tịch, chứng thực bản sao. Xem hoặc hủy: https://x.vn/?code=7KQ2M9XD"}
	ctx := context.Background()
	if err := e.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := e.Send(ctx, m); err != nil { // a retry: the same Message-ID
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("%d messages", len(got))
	}
	g := got[0]
	if !g.TLS || g.Auth != "xephang" || g.From != "thongbao@xephang.example.vn" || len(g.To) != 1 || g.To[0] != "cong.dan@example.vn" {
		t.Errorf("session: %+v", g)
	}
	if g.Subject != m.Title || !strings.Contains(g.Body, m.Text) {
		t.Errorf("subject %q body %q", g.Subject, g.Body)
	}
	if id := g.Header.Get("Message-Id"); id == "" || id != got[1].Header.Get("Message-Id") || id != notify.MessageID("msg-1", cfg.From) {
		t.Errorf("Message-ID %q / %q", id, got[1].Header.Get("Message-Id"))
	}
	if d, err := g.Header.Date(); err != nil || !d.Equal(fixed) {
		t.Errorf("Date %v %v", d, err)
	}
	if g.Header.Get("Content-Transfer-Encoding") != "quoted-printable" || !strings.Contains(g.Header.Get("Content-Type"), "utf-8") {
		t.Errorf("header %v", g.Header)
	}
	// Encoded words of at most 75 characters (RFC 2047), body lines of at
	// most 76 (quoted-printable).
	head, body, _ := strings.Cut(string(g.Data), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 998 || strings.Count(line, "=?") > 1 {
			t.Errorf("header line %q", line)
		}
	}
	for _, line := range strings.Split(body, "\r\n") {
		if len(line) > 76 {
			t.Errorf("a body line of %d bytes", len(line))
		}
	}

	// 550 for the recipient: permanent; 451: temporary.
	srv.SetRcptReply(550)
	if err := e.Send(ctx, m); !notify.IsPermanent(err) {
		t.Errorf("550: %v", err)
	}
	srv.SetRcptReply(451)
	if err := e.Send(ctx, m); err == nil || notify.IsPermanent(err) {
		t.Errorf("451: %v", err)
	}
	srv.SetRcptReply(0)
	// No STARTTLS offered: refused when required; sent in clear when not
	// (AUTH PLAIN goes in clear only to a loopback server).
	srv.SetStartTLS(false)
	if err := e.Send(ctx, m); err == nil {
		t.Error("sent without TLS though required")
	}
	cfg.RequireTLS = false
	e2, _ := notify.NewEmail(cfg)
	if err := e2.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 3 || got[2].TLS {
		t.Errorf("%d messages", len(got))
	}
	// A wrong password: permanent (535).
	cfg.Password = "sai"
	e3, _ := notify.NewEmail(cfg)
	if err := e3.Send(ctx, m); !notify.IsPermanent(err) {
		t.Errorf("bad password: %v", err)
	}
	if err := e.Send(ctx, notify.Outgoing{ID: "x", Email: "not an address"}); !notify.IsPermanent(err) {
		t.Errorf("bad address: %v", err)
	}
}

// A rotated refresh token that cannot be written to disk is not used:
// the send fails (temporarily) until the state file can be written, and
// then goes on with the tokens already in hand (no second refresh, which
// the spent token could not get).
func TestZNSPersistsBeforeUsing(t *testing.T) {
	z := notifytest.StartZNS(t)
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := notify.NewZNS(znsConfig(z), filepath.Join(dir, "zns.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(dir) // the state file's directory is gone
	if err := s.Send(context.Background(), called); err == nil || notify.IsPermanent(err) || z.Attempts() != 0 {
		t.Fatalf("sent without saving the rotated token: %v, %d attempts", err, z.Attempts())
	}
	if z.Refreshes() != 1 {
		t.Fatalf("%d refreshes", z.Refreshes())
	}
	os.Mkdir(dir, 0o700)
	if err := s.Send(context.Background(), called); err != nil || z.Count("m1") != 1 || z.Refreshes() != 1 {
		t.Fatalf("%v, delivered %d, refreshes %d", err, z.Count("m1"), z.Refreshes())
	}
	b, err := os.ReadFile(filepath.Join(dir, "zns.json"))
	if err != nil || !strings.Contains(string(b), z.RefreshToken()) {
		t.Errorf("state %s %v", b, err)
	}
}
