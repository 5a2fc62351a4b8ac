package notify

import (
	"context"
	"log/slog"
	"strings"
)

// LogSender writes each message to a log instead of sending it: the
// demonstration's gateway (Config.Simulate). Phones and e-mail addresses
// are masked.
type LogSender struct{ log *slog.Logger }

// NewLogSender returns a sender that logs to log.
func NewLogSender(log *slog.Logger) *LogSender { return &LogSender{log: log} }

// Name is "log".
func (l *LogSender) Name() string { return GatewayLog }

// Send logs m.
func (l *LogSender) Send(ctx context.Context, m Outgoing) error {
	to := ""
	switch {
	case m.Phone != "":
		to = MaskPhone(m.Phone)
	case m.Email != "":
		to = MaskEmail(m.Email)
	case m.Push != nil:
		to = "push"
	case m.Webhook != nil:
		to = m.Webhook.URL
	}
	l.log.InfoContext(ctx, "notification (simulated)", "id", m.ID, "centre", m.Centre, "topic", m.Topic, "to", to, "title", m.Title, "text", m.Text)
	return nil
}

// MaskPhone keeps a phone number's first 3 and last 2 digits: 091*****78.
func MaskPhone(p string) string {
	if len(p) < 6 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + strings.Repeat("*", len(p)-5) + p[len(p)-2:]
}

// MaskEmail keeps an address's first character and its domain: n***@example.vn.
func MaskEmail(e string) string {
	i := strings.LastIndexByte(e, '@')
	if i < 1 {
		return "***"
	}
	return e[:1] + "***" + e[i:]
}
