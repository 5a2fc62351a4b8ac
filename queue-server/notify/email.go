package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// SMTPConfig configures the e-mail sender.
type SMTPConfig struct {
	Addr     string `json:"addr"` // host:port of the submission server
	From     string `json:"from"` // the sender's address
	FromName string `json:"from_name,omitempty"`
	// Username and Password for AUTH PLAIN, when Username is set.
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	PasswordEnv string `json:"password_env,omitempty"`
	// RequireTLS refuses to send when the server offers no STARTTLS
	// (STARTTLS is always used when offered).
	RequireTLS bool `json:"require_tls,omitempty"`
	// RootCAFile is a PEM bundle to verify the server with instead of the
	// system's roots (a private relay).
	RootCAFile string   `json:"root_ca_file,omitempty"`
	HelloName  string   `json:"hello_name,omitempty"` // EHLO name, "localhost" by default
	Timeout    Duration `json:"timeout,omitempty"`    // of one whole delivery, 30 s by default
}

// Email sends messages by SMTP.
type Email struct {
	cfg   SMTPConfig
	host  string
	from  *mail.Address
	roots *x509.CertPool
	// Now is the clock of the Date header (time.Now by default).
	Now func() time.Time
}

// NewEmail checks cfg and returns the sender.
func NewEmail(cfg SMTPConfig) (*Email, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("notify: smtp: addr %q: want host:port", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil || from.Name != "" {
		return nil, fmt.Errorf("notify: smtp: from %q: want a bare address", cfg.From)
	}
	from.Name = cfg.FromName
	if cfg.Username != "" && cfg.Password == "" {
		return nil, errors.New("notify: smtp: username without a password (password_env names an empty variable?)")
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = Duration(30 * time.Second)
	}
	e := &Email{cfg: cfg, host: host, from: from, Now: time.Now}
	if cfg.RootCAFile != "" {
		pem, err := os.ReadFile(cfg.RootCAFile)
		if err != nil {
			return nil, fmt.Errorf("notify: smtp: %w", err)
		}
		e.roots = x509.NewCertPool()
		if !e.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("notify: smtp: root_ca_file %s: no certificate", cfg.RootCAFile)
		}
	}
	return e, nil
}

// Name is "email".
func (e *Email) Name() string { return GatewayEmail }

// Send delivers m to m.Email in one SMTP session.
func (e *Email) Send(ctx context.Context, m Outgoing) error {
	to, err := mail.ParseAddress(m.Email)
	if err != nil || strings.ContainsAny(to.Address, "\r\n") {
		return &Error{Gateway: GatewayEmail, Permanent: true, Msg: "not an e-mail address"}
	}
	msg := e.message(m, to)
	ctx, cancel := context.WithTimeout(ctx, time.Duration(e.cfg.Timeout))
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) }) // a cancel ends the session
	defer stop()
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		return smtpError(err)
	}
	defer c.Close()
	if err := c.Hello(e.cfg.HelloName); err != nil {
		return smtpError(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: e.host, RootCAs: e.roots, MinVersion: tls.VersionTLS12}); err != nil {
			return smtpError(err)
		}
	} else if e.cfg.RequireTLS {
		return &Error{Gateway: GatewayEmail, Msg: "the server offers no STARTTLS and require_tls is set"}
	}
	if e.cfg.Username != "" {
		// net/smtp's PlainAuth sends the password only over TLS or to a
		// loopback server.
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, e.host)); err != nil {
			return smtpError(err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return smtpError(err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return smtpError(err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpError(err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError(err)
	}
	if err := w.Close(); err != nil {
		return smtpError(err)
	}
	c.Quit() // the message is accepted once DATA's end is: a failed QUIT changes nothing
	return nil
}

// smtpError: a 5xx reply is permanent, the rest temporary.
func smtpError(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &Error{Gateway: GatewayEmail, Permanent: te.Code >= 500, Msg: fmt.Sprintf("%d %s", te.Code, clip(te.Msg, 200))}
	}
	return fmt.Errorf("smtp: %w", err)
}

// MessageID is the Message-ID of an outbox message: the same on every
// attempt, so a mail system that saw it drops a repeat.
func MessageID(id, fromAddr string) string {
	domain := "xephang.invalid"
	if i := strings.LastIndexByte(fromAddr, '@'); i >= 0 && i < len(fromAddr)-1 {
		domain = fromAddr[i+1:]
	}
	sum := sha256.Sum256([]byte(id))
	return "<" + hex.EncodeToString(sum[:12]) + "." + "xephang@" + domain + ">"
}

// message writes the RFC 5322 message: UTF-8 subject in encoded words,
// quoted-printable UTF-8 body.
func (e *Email) message(m Outgoing, to *mail.Address) []byte {
	var b bytes.Buffer
	// Encoded words are folded one a line (each at most 75 characters).
	h := func(k, v string) { b.WriteString(k + ": " + strings.ReplaceAll(v, "?= =?", "?=\r\n =?") + "\r\n") }
	h("From", e.from.String())
	h("To", to.String())
	subject := m.Title
	if subject == "" {
		subject = "Thông báo"
	}
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", e.Now().Format(time.RFC1123Z))
	h("Message-ID", MessageID(m.ID, e.from.Address))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := m.Text + "\n\n-- \nTin nhắn tự động, vui lòng không trả lời.\n"
	qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}
