package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xephang/queue-server/strictjson"
)

// Config is the notification gateways' configuration file
// (-notify-config): which gateways exist, their credentials (or the
// environment variables holding them), the public URL links point to and
// the rate of each gateway.
type Config struct {
	// Simulate sends nothing: every message is written to the log (the
	// phone and e-mail masked), for `make run` and demonstrations.
	Simulate bool `json:"simulate,omitempty"`
	// PublicURL is the server's public address, for the links in the
	// messages ({PublicURL}/track/{ticket}, {PublicURL}/?code={code}).
	PublicURL string `json:"public_url,omitempty"`

	ZNS  *ZNSConfig  `json:"zns,omitempty"`
	SMS  *SMSConfig  `json:"sms,omitempty"`
	SMTP *SMTPConfig `json:"smtp,omitempty"`
	Push *PushConfig `json:"push,omitempty"`
	// Webhook tunes the integrators' webhooks (always on).
	Webhook *WebhookSetting `json:"webhook,omitempty"`

	// Rates are the messages per second each gateway is sent at most
	// (zns, sms, push, email, webhook); a gateway not named is unlimited.
	Rates map[string]float64 `json:"rates,omitempty"`
	// Workers is how many sends run at once (8 by default).
	Workers int `json:"workers,omitempty"`

	// Log receives the simulated messages (slog.Default when nil).
	Log *slog.Logger `json:"-"`
}

// WebhookSetting is the file's webhook section (WebhookConfig's fields,
// with the file's names).
type WebhookSetting struct {
	// AllowPrivate lets webhooks post to private and loopback addresses
	// (tests, an integrator inside the same network).
	AllowPrivate bool     `json:"allow_private,omitempty"`
	Timeout      Duration `json:"timeout,omitempty"`
}

// Duration is a time.Duration written "10s", "2m" in the file.
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"10s\": %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: want a positive duration such as \"10s\"", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadConfig reads the configuration file strictly (an unknown or
// misspelt field is refused with its name), takes the secrets from the
// environment variables it names, and checks every gateway's settings.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("notify: config: %w", err)
	}
	c, err := ParseConfig(b, os.LookupEnv)
	if err != nil {
		return Config{}, fmt.Errorf("notify: config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig reads a configuration file's content, the secrets from env.
func ParseConfig(b []byte, env func(string) (string, bool)) (Config, error) {
	var c Config
	if err := strictjson.Unmarshal(b, &c); err != nil {
		return Config{}, err
	}
	if err := c.resolve(env); err != nil {
		return Config{}, err
	}
	return c, nil
}

// resolve reads the secrets named by *_env fields and checks the whole.
func (c *Config) resolve(env func(string) (string, bool)) error {
	secret := func(field string, dst *string, name string) error {
		if name == "" {
			return nil
		}
		v, ok := env(name)
		if !ok || v == "" {
			return fmt.Errorf("%s: the environment variable %s is not set", field, name)
		}
		*dst = v
		return nil
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		return fmt.Errorf("public_url %q: want an http(s) URL", c.PublicURL)
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	for gw, r := range c.Rates {
		if !knownGateway(gw) {
			return fmt.Errorf("rates: unknown gateway %q (zns, sms, push, email, webhook)", gw)
		}
		if r <= 0 {
			return fmt.Errorf("rates.%s: %v messages a second: want more than 0", gw, r)
		}
	}
	if c.Workers < 0 || c.Workers > 256 {
		return fmt.Errorf("workers %d: want 1 to 256", c.Workers)
	}
	if z := c.ZNS; z != nil {
		if err := errors.Join(secret("zns.secret_key_env", &z.SecretKey, z.SecretKeyEnv),
			secret("zns.refresh_token_env", &z.RefreshToken, z.RefreshTokenEnv)); err != nil {
			return err
		}
		zz := *z
		if zz.BaseURL == "" {
			zz.BaseURL = znsDefaultBase
		}
		if zz.OAuthURL == "" {
			zz.OAuthURL = znsDefaultOAuth
		}
		if err := zz.validate(); err != nil {
			return err
		}
	}
	if s := c.SMS; s != nil {
		if err := secret("sms.basic_password_env", &s.BasicPassword, s.BasicPasswordEnv); err != nil {
			return err
		}
		for h, name := range s.HeadersEnv {
			var v string
			if err := secret("sms.headers_env."+h, &v, name); err != nil {
				return err
			}
			if s.Headers == nil {
				s.Headers = map[string]string{}
			}
			s.Headers[h] = v
		}
		if _, err := NewSMS(*s); err != nil {
			return err
		}
	}
	if m := c.SMTP; m != nil {
		if err := secret("smtp.password_env", &m.Password, m.PasswordEnv); err != nil {
			return err
		}
		if _, err := NewEmail(*m); err != nil {
			return err
		}
	}
	if p := c.Push; p != nil {
		if err := checkSubject(p.Subject); err != nil {
			return fmt.Errorf("push.subject: %w", err)
		}
	}
	return nil
}

func knownGateway(gw string) bool {
	switch gw {
	case GatewayZNS, GatewaySMS, GatewayPush, GatewayEmail, GatewayWebhook:
		return true
	}
	return false
}

// NewSenders builds the configured gateways, by name: zns, sms, email,
// push, webhook (the Dispatcher's Senders). With Simulate, zns, sms,
// email and push are one log sender.
func NewSenders(cfg Config, dataDir string) (map[string]Sender, error) {
	w := WebhookConfig{}
	if cfg.Webhook != nil {
		w = WebhookConfig{AllowPrivate: cfg.Webhook.AllowPrivate, Timeout: time.Duration(cfg.Webhook.Timeout)}
	}
	out := map[string]Sender{GatewayWebhook: NewWebhook(w)}
	if cfg.Simulate {
		log := cfg.Log
		if log == nil {
			log = slog.Default()
		}
		l := NewLogSender(log)
		for _, gw := range []string{GatewayZNS, GatewaySMS, GatewayEmail, GatewayPush} {
			out[gw] = l
		}
		return out, nil
	}
	if cfg.ZNS != nil {
		z, err := NewZNS(*cfg.ZNS, filepath.Join(dataDir, "zns-state.json"))
		if err != nil {
			return nil, err
		}
		out[GatewayZNS] = z
	}
	if cfg.SMS != nil {
		s, err := NewSMS(*cfg.SMS)
		if err != nil {
			return nil, err
		}
		out[GatewaySMS] = s
	}
	if cfg.SMTP != nil {
		e, err := NewEmail(*cfg.SMTP)
		if err != nil {
			return nil, err
		}
		out[GatewayEmail] = e
	}
	if cfg.Push != nil {
		p, err := NewPush(*cfg.Push, dataDir)
		if err != nil {
			return nil, err
		}
		out[GatewayPush] = p
	}
	return out, nil
}
