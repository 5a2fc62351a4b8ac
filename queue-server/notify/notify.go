// Package notify delivers the outbox: citizens' notifications through Zalo
// ZNS, an SMS brandname gateway, Web Push and e-mail, and integrators'
// signed webhooks. The queue writes each message in the same commit as the
// change that causes it (queue.Message); a Dispatcher claims due messages
// from the store, renders them, sends them through a Sender per channel
// with retries, backoff and rate limits, and records every attempt.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"xephang/queue-server/queue"
)

// Outgoing is one message ready for a gateway: the address resolved from
// its Contact (or Webhook), the text rendered for the channel.
type Outgoing struct {
	ID     string // the dedup key: ZNS tracking_id, SMS request id, webhook event id
	Centre string
	Topic  string
	Data   map[string]string // the template's values (ZNS template_data)
	Text   string            // rendered for the channel (SMS, push, e-mail body)
	Title  string            // push title, e-mail subject

	Phone   string // 0… form
	Email   string
	Push    *queue.PushSubscription
	Webhook *queue.Webhook
	Body    []byte // a webhook's JSON event
}

// Sender delivers through one gateway.
type Sender interface {
	// Name is the gateway's name: zns, sms, push, email, webhook.
	Name() string
	// Send delivers m once. An error is an *Error when the gateway said
	// why; any other error (network, timeout) is temporary.
	Send(ctx context.Context, m Outgoing) error
}

// Error is a gateway's refusal.
type Error struct {
	Gateway string
	// Permanent: retrying the same message on this gateway cannot succeed
	// (a template not approved, a recipient without Zalo, a push
	// subscription gone): try the next gateway, or give up.
	Permanent bool
	// RetryAfter is how long the gateway asked us to wait (rate limit).
	RetryAfter time.Duration
	// Gone: the address no longer exists (a push subscription expired).
	Gone bool
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Gateway, e.Msg) }

// IsPermanent reports whether err is a permanent gateway error.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}
