package notify_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xephang/queue-server/notify"
	"xephang/queue-server/notify/notifytest"
)

const example = "../../provisioning/notify.example.json"

func exampleEnv(t *testing.T) {
	t.Setenv("XEPHANG_ZNS_SECRET", "zns-secret")
	t.Setenv("XEPHANG_ZNS_REFRESH_TOKEN", "rt-0")
	t.Setenv("XEPHANG_SMS_API_KEY", "sms-key")
	t.Setenv("XEPHANG_SMTP_PASSWORD", "smtp-password")
}

func TestLoadConfigExample(t *testing.T) {
	exampleEnv(t)
	c, err := notify.LoadConfig(example)
	if err != nil {
		t.Fatal(err)
	}
	if c.ZNS.SecretKey != "zns-secret" || c.ZNS.RefreshToken != "rt-0" || c.SMS.Headers["X-Api-Key"] != "sms-key" ||
		c.SMTP.Password != "smtp-password" || c.PublicURL != "https://xephang.example.gov.vn" || c.Rates["zns"] != 20 ||
		c.ZNS.Templates["called"] != "301003" || c.Push.Subject != "mailto:quantri@example.gov.vn" {
		t.Errorf("%+v", c)
	}
}

func TestLoadConfigRefuses(t *testing.T) {
	exampleEnv(t)
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	base := string(b)
	for name, c := range map[string]struct{ from, to, want string }{
		"unknown field":  {`"secret_key_env"`, `"secret_kee_env"`, `zns.secret_kee_env`},
		"case":           {`"app_id"`, `"App_id"`, `App_id`},
		"missing env":    {`XEPHANG_SMTP_PASSWORD`, `XEPHANG_NOPE`, `XEPHANG_NOPE`},
		"rate gateway":   {`"zns": 20`, `"fax": 20`, `"fax"`},
		"rate zero":      {`"sms": 10`, `"sms": 0`, `rates.sms`},
		"zns topic":      {`"issued": "301001"`, `"isued": "301001"`, `"isued"`},
		"sms body":       {`"body": "{`, `"body": "{{.Nope}}{`, `sms: body`},
		"sms template":   {`{number} den Quay`, `{numero} den Quay`, `{numero}`},
		"smtp from":      {`"from": "thongbao@example.gov.vn"`, `"from": "thongbao"`, `smtp: from`},
		"duration":       {`"timeout": "10s"`, `"timeout": 10`, `duration`},
		"push subject":   {`"mailto:quantri`, `"quantri`, `push.subject`},
		"public url":     {`"https://xephang.example.gov.vn"`, `"xephang.example.gov.vn"`, `public_url`},
		"duplicate keys": {`"workers": 8`, `"workers": 8, "workers": 9`, `workers`},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, c.from) {
				t.Fatalf("%q not in the example", c.from)
			}
			p := filepath.Join(t.TempDir(), "n.json")
			os.WriteFile(p, []byte(strings.Replace(base, c.from, c.to, 1)), 0o600)
			_, err := notify.LoadConfig(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to name %q", err, c.want)
			}
		})
	}
}

func TestNewSenders(t *testing.T) {
	z, s, m := notifytest.StartZNS(t), notifytest.StartSMS(t), notifytest.StartSMTP(t)
	cfg := notify.Config{ZNS: ptr(znsConfig(z)), SMS: ptr(smsConfig(s)),
		SMTP: &notify.SMTPConfig{Addr: m.Addr, From: "a@example.vn"}, Push: &notify.PushConfig{Subject: "mailto:a@example.vn"}}
	senders, err := notify.NewSenders(cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, gw := range []string{"zns", "sms", "email", "push", "webhook"} {
		if senders[gw] == nil || senders[gw].Name() != gw {
			t.Errorf("%s: %v", gw, senders[gw])
		}
	}
	if err := senders["zns"].Send(context.Background(), called); err != nil || z.Count("m1") != 1 {
		t.Errorf("zns: %v", err)
	}

	// Simulated: the log, phone and e-mail masked.
	var buf bytes.Buffer
	sim, err := notify.NewSenders(notify.Config{Simulate: true, Log: slog.New(slog.NewTextHandler(&buf, nil))}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, gw := range []string{"zns", "sms", "email", "push"} {
		if sim[gw] == nil || sim[gw].Name() != "log" {
			t.Fatalf("simulated %s: %v", gw, sim[gw])
		}
	}
	if sim["webhook"] == nil || sim["webhook"].Name() != "webhook" { // integrators' webhooks are real
		t.Errorf("simulated webhook: %v", sim["webhook"])
	}
	sim["zns"].Send(context.Background(), notify.Outgoing{ID: "m1", Topic: "called", Phone: "0912345678", Text: "Mời công dân số A012 đến Quầy 3."})
	sim["email"].Send(context.Background(), notify.Outgoing{ID: "m2", Topic: "booked", Email: "cong.dan@example.vn", Text: "x"})
	out := buf.String()
	if !strings.Contains(out, "091*****78") || strings.Contains(out, "0912345678") || !strings.Contains(out, "c***@example.vn") ||
		strings.Contains(out, "cong.dan") || !strings.Contains(out, "Quầy 3") {
		t.Errorf("log: %s", out)
	}
}

func ptr[T any](v T) *T { return &v }

func FuzzParseConfig(f *testing.F) {
	b, err := os.ReadFile(example)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"simulate":true,"rates":{"zns":1e300}}`))
	f.Add([]byte(`{"sms":{"url":"http://x","body":"{{.Text}}","content_type":"application/x-www-form-urlencoded","brandname":"B","templates":{"called":"{number}"}}}`))
	env := func(name string) (string, bool) { return "v-" + name, true }
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := notify.ParseConfig(b, env)
		if err != nil {
			return
		}
		for gw, r := range c.Rates {
			if r <= 0 {
				t.Errorf("rate %s %v accepted", gw, r)
			}
		}
		if c.Workers < 0 {
			t.Errorf("workers %d", c.Workers)
		}
	})
}
