package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

// SMSConfig describes an SMS brandname gateway's HTTP API: Vietnamese
// gateways (VNPT, Viettel, FPT, eSMS, SpeedSMS…) each have their own, so
// the request is a template rather than code per provider.
type SMSConfig struct {
	URL    string `json:"url"`
	Method string `json:"method,omitempty"` // POST by default
	// Headers are sent as they are (an API key header); HeadersEnv name,
	// per header, the environment variable holding its value.
	Headers    map[string]string `json:"headers,omitempty"`
	HeadersEnv map[string]string `json:"headers_env,omitempty"`
	// Basic authentication, when BasicUser is set.
	BasicUser        string `json:"basic_user,omitempty"`
	BasicPassword    string `json:"basic_password,omitempty"`
	BasicPasswordEnv string `json:"basic_password_env,omitempty"`
	// ContentType of the body: application/json (the default: values are
	// JSON-escaped) or application/x-www-form-urlencoded (URL-escaped).
	ContentType string `json:"content_type,omitempty"`
	// Body is a Go text/template over .ID (the dedup key), .Phone (0…),
	// .Phone84, .Text, .Brandname and .Template (the topic), each escaped
	// for ContentType: {"to":"{{.Phone84}}","text":"{{.Text}}"}.
	Body string `json:"body"`
	// Success: a 2xx answer, and when SuccessField is set, the answer's
	// JSON field at that dotted path equal to SuccessValue.
	SuccessField string `json:"success_field,omitempty"`
	SuccessValue string `json:"success_value,omitempty"`
	// ErrorField names the answer's error code; a code in PermanentCodes
	// (a template not registered, a number refused) is not retried on
	// this gateway.
	ErrorField     string   `json:"error_field,omitempty"`
	PermanentCodes []string `json:"permanent_codes,omitempty"`
	// ASCII folds the diacritics (a gateway or a brandname that only
	// sends GSM 7-bit); else texts go as UCS-2 in up to 3 parts.
	ASCII     bool   `json:"ascii,omitempty"`
	Brandname string `json:"brandname"`
	// Templates are the registered texts by topic, with {number},
	// {counter}… placeholders: a brandname SMS must match a template
	// registered with the carriers, so a topic without one is not sent.
	Templates map[string]string `json:"templates"`
	Timeout   Duration          `json:"timeout,omitempty"` // of one request, 10 s by default
}

// SMS sends through an SMS brandname gateway.
type SMS struct {
	cfg  SMSConfig
	body *template.Template
	hc   *http.Client
	json bool
}

// smsFields are the values a body template sees.
type smsFields struct {
	ID, Phone, Phone84, Text, Brandname, Template string
}

// NewSMS checks cfg and returns the sender.
func NewSMS(cfg SMSConfig) (*SMS, error) {
	if cfg.Method == "" {
		cfg.Method = http.MethodPost
	}
	if cfg.ContentType == "" {
		cfg.ContentType = "application/json"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = Duration(10 * time.Second)
	}
	fail := func(format string, a ...any) (*SMS, error) {
		return nil, fmt.Errorf("notify: sms: "+format, a...)
	}
	if u, err := url.Parse(cfg.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fail("url %q is not an http(s) URL", cfg.URL)
	}
	switch cfg.Method {
	case http.MethodPost, http.MethodPut, http.MethodGet:
	default:
		return fail("method %q: POST, PUT or GET", cfg.Method)
	}
	s := &SMS{cfg: cfg, hc: &http.Client{Timeout: time.Duration(cfg.Timeout)}}
	switch cfg.ContentType {
	case "application/json":
		s.json = true
	case "application/x-www-form-urlencoded":
	default:
		return fail("content_type %q: application/json or application/x-www-form-urlencoded", cfg.ContentType)
	}
	if cfg.Brandname == "" {
		return fail("brandname missing")
	}
	if cfg.BasicUser != "" && cfg.BasicPassword == "" {
		return fail("basic_user without a password (basic_password_env names an empty variable?)")
	}
	for h, v := range cfg.Headers {
		if h == "" || strings.ContainsAny(h+v, "\r\n") {
			return fail("header %q: empty name or a line break", h)
		}
	}
	t, err := template.New("body").Option("missingkey=error").Parse(cfg.Body)
	if err != nil {
		return fail("body: %v", err)
	}
	s.body = t
	if len(cfg.Templates) == 0 {
		return fail("no templates: each topic to send needs its registered text")
	}
	for topic, text := range cfg.Templates {
		if _, ok := texts[topic]; !ok {
			return fail("templates: unknown topic %q", topic)
		}
		if err := checkPlaceholders(text); err != nil {
			return fail("templates.%s: %v", topic, err)
		}
		if _, err := s.text(topic, nil); err != nil {
			return fail("templates.%s: %v", topic, err)
		}
	}
	// The body, tried on a sample: a template that does not run or, for
	// JSON, does not give JSON is refused now rather than at each send.
	b, err := s.request(smsFields{ID: "id", Phone: "0912345678", Phone84: "84912345678", Text: `a "b" \ c`, Brandname: "B", Template: "called"})
	if err != nil {
		return fail("body: %v", err)
	}
	if s.json && !json.Valid(b) {
		return fail("body: not JSON once filled: %s", clip(string(b), 200))
	}
	return s, nil
}

// checkPlaceholders refuses {keys} the messages never carry.
func checkPlaceholders(text string) error {
	known := map[string]bool{"number": true, "service": true, "service_name": true, "counter": true, "counter_name": true,
		"position": true, "minutes": true, "centre_name": true, "start": true, "code": true, "message": true, "url": true}
	for rest := text; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return errors.New("a { without its }")
		}
		if k := rest[i+1 : i+j]; !known[k] {
			return fmt.Errorf("unknown placeholder {%s}", k)
		}
		rest = rest[i+j+1:]
	}
}

// Name is "sms".
func (s *SMS) Name() string { return GatewaySMS }

// RenderAs is the Render gateway of this gateway's texts: sms-ascii when
// it folds diacritics.
func (s *SMS) RenderAs() string {
	if s.cfg.ASCII {
		return GatewaySMSASCII
	}
	return GatewaySMS
}

// text fills the topic's registered template; the staff's free text is
// shortened to fit one GSM SMS (ascii) or 3 UCS-2 parts.
func (s *SMS) text(topic string, data map[string]string) (string, error) {
	reg, ok := s.cfg.Templates[topic]
	if !ok {
		return "", fmt.Errorf("no registered template for topic %q", topic)
	}
	vals := map[string]string{}
	for _, k := range []string{"number", "service", "service_name", "counter", "counter_name", "position", "minutes", "centre_name", "start", "code", "message", "url"} {
		vals[k] = CleanValue(k, data[k])
	}
	fits := func(t string) bool { return SMSParts(t) <= SMSMaxParts }
	finish := func(t string) string { return maskDigits(t) }
	if s.cfg.ASCII {
		fits = func(t string) bool { return GSMSeptets(t) <= SMSMaxSeptets }
		finish = func(t string) string { return toGSM(Fold(maskDigits(t))) }
	}
	out, _ := fill(reg, vals)
	out = finish(out)
	if msg := []rune(vals["message"]); !fits(out) && len(msg) > 0 {
		for n := len(msg) - 1; n >= 0 && !fits(out); n-- {
			vals["message"] = strings.TrimSpace(string(msg[:n])) + ellipsis
			if n == 0 {
				vals["message"] = ""
			}
			out, _ = fill(reg, vals)
			out = finish(out)
		}
	}
	if !fits(out) {
		return "", fmt.Errorf("the text is too long for an SMS (%d characters)", utf8.RuneCountInString(out))
	}
	return out, nil
}

// request fills the body template, each value escaped for the body.
func (s *SMS) request(f smsFields) ([]byte, error) {
	esc := func(v string) string {
		if !s.json {
			return url.QueryEscape(v)
		}
		b, _ := json.Marshal(v)
		return string(b[1 : len(b)-1])
	}
	f = smsFields{ID: esc(f.ID), Phone: esc(f.Phone), Phone84: esc(f.Phone84), Text: esc(f.Text), Brandname: esc(f.Brandname), Template: esc(f.Template)}
	var b bytes.Buffer
	if err := s.body.Execute(&b, f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Send posts m's registered text.
func (s *SMS) Send(ctx context.Context, m Outgoing) error {
	text, err := s.text(m.Topic, m.Data)
	if err != nil {
		return &Error{Gateway: GatewaySMS, Permanent: true, Msg: err.Error()}
	}
	p84, ok := Phone84(m.Phone)
	if !ok {
		return &Error{Gateway: GatewaySMS, Permanent: true, Msg: "not a Vietnamese mobile number"}
	}
	body, err := s.request(smsFields{ID: m.ID, Phone: "0" + p84[2:], Phone84: p84, Text: text, Brandname: s.cfg.Brandname, Template: m.Topic})
	if err != nil {
		return &Error{Gateway: GatewaySMS, Permanent: true, Msg: "body: " + err.Error()}
	}
	target := s.cfg.URL
	var rd io.Reader = bytes.NewReader(body)
	if s.cfg.Method == http.MethodGet {
		// The "body" is the query string.
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target, rd = target+sep+string(body), nil
	}
	req, err := http.NewRequestWithContext(ctx, s.cfg.Method, target, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", s.cfg.ContentType)
	}
	for h, v := range s.cfg.Headers {
		req.Header.Set(h, v)
	}
	if s.cfg.BasicUser != "" {
		req.SetBasicAuth(s.cfg.BasicUser, s.cfg.BasicPassword)
	}
	ans, err := exchange(s.hc, req, GatewaySMS, "sms")
	if err != nil {
		return err
	}
	if s.cfg.SuccessField == "" {
		return nil
	}
	got, ok := JSONField(ans, s.cfg.SuccessField)
	if ok && got == s.cfg.SuccessValue {
		return nil
	}
	// The gateway's own refusal, recorded as it said it.
	e := &Error{Gateway: GatewaySMS, Msg: fmt.Sprintf("refused: %s", clip(maskDigits(string(ans)), 200))}
	if s.cfg.ErrorField != "" {
		code, _ := JSONField(ans, s.cfg.ErrorField)
		e.Permanent = slices.Contains(s.cfg.PermanentCodes, code)
	}
	return e
}

// JSONField returns the value at a dotted path of a JSON document ("a.b",
// "data.0.status"), as text: a string as it is, other values as JSON.
func JSONField(doc []byte, path string) (string, bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return "", false
			}
		case []any:
			var i int
			if _, err := fmt.Sscanf(k, "%d", &i); err != nil || i < 0 || i >= len(x) || fmt.Sprint(i) != k {
				return "", false
			}
			v = x[i]
		default:
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case nil:
		return "null", true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}
