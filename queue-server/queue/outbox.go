package queue

import (
	"encoding/json"
	"fmt"
	"time"
)

// Notification channels: what a citizen chose to be told through, or an
// integrator's webhook.
const (
	// ChannelPhone is a message to a mobile number: Zalo ZNS first, the
	// SMS brandname gateway when ZNS fails (the order is the centre's).
	ChannelPhone   = "phone"
	ChannelEmail   = "email"
	ChannelPush    = "push" // Web Push to the browser that subscribed
	ChannelWebhook = "webhook"
)

// ValidChannel reports whether c is a channel a citizen may choose.
func ValidChannel(c string) bool {
	return c == ChannelPhone || c == ChannelEmail || c == ChannelPush
}

// Message topics: what a message tells.
const (
	TopicIssued       = "issued"        // an online number was taken
	TopicNear         = "near"          // the ticket reached position ≤ N or wait ≤ M minutes
	TopicCalled       = "called"        // with the counter
	TopicTransferred  = "transferred"   // to another service
	TopicAbsent       = "absent"        // marked absent (no-show)
	TopicBooked       = "booked"        // booking confirmation
	TopicReminderDay  = "reminder_day"  // the day before, at 17:00
	TopicReminderHour = "reminder_hour" // one hour before
	TopicCancelled    = "cancelled"     // a booking cancelled by staff
	TopicCentreClosed = "centre_closed" // every booking of a day cancelled: the centre closes
	TopicTest         = "test"          // a test webhook event sent from admin
)

// Delivery statuses of a message.
const (
	MessagePending = "pending" // to be sent (again) at NextAt
	MessageSent    = "sent"
	MessageFailed  = "failed" // given up: Error says why
)

// Message is one notification or webhook delivery in the outbox: written
// in the same commit as the change that causes it, then delivered by a
// sender that records each attempt. It holds no personal data: the
// address is looked up at sending time from the Contact named by Ref (a
// purged contact is a failed message), a webhook's from the Webhook.
type Message struct {
	// ID is unique and sent with every attempt as the dedup key (ZNS
	// tracking_id, the SMS request id, the webhook event id): a receiver
	// that has seen it drops a repeat.
	ID      string `json:"id"`
	Centre  string `json:"centre"`
	Channel string `json:"channel"`
	// Ref is the Contact's ref (ContactRef) or, for a webhook, its id.
	Ref   string `json:"ref"`
	Topic string `json:"topic"` // a Topic…, or for a webhook the event type
	// Data are the values of the topic's template (number, counter,
	// service, position, minutes, start…): never a name, phone or ID.
	Data map[string]string `json:"data,omitempty"`
	// Body is a webhook's JSON event, signed and posted as is.
	Body      json.RawMessage `json:"body,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	// Expires is when the sender gives up (a "your turn is near" message
	// an hour late helps no one; a webhook is retried for 24 hours).
	Expires time.Time `json:"expires"`

	// Delivery state, written by the sender (Outbox.SaveDelivery).
	Status   string    `json:"status"`
	Attempts int       `json:"attempts,omitempty"`
	NextAt   time.Time `json:"next_at"`
	// LeaseUntil: a sender claimed the message and no other takes it
	// before then (a sender killed mid-send leaves it to be sent again).
	LeaseUntil time.Time  `json:"lease_until,omitzero"`
	Via        string     `json:"via,omitempty"`   // what delivered it: zns, sms, push, email, webhook
	Error      string     `json:"error,omitempty"` // the last failure, or why it was given up
	SentAt     *time.Time `json:"sent_at,omitempty"`
}

// MessageKeepDays is how long a store keeps a message after its creation
// (the delivery log admin reads): Purge deletes older ones.
const MessageKeepDays = 14

// Done reports whether the message needs no more attempts.
func (m *Message) Done() bool { return m.Status == MessageSent || m.Status == MessageFailed }

// PushSubscription is a browser's Web Push subscription (RFC 8030, keys
// of RFC 8291 in unpadded base64url).
type PushSubscription struct {
	Endpoint string `json:"endpoint"`
	P256dh   string `json:"p256dh"`
	Auth     string `json:"auth"`
}

// Contact is where a citizen asked to be told about one ticket or
// booking, kept only with the consent given and only for the ticket's
// day or the booking's lifetime (Expires), then purged. A Contact with no
// address removes the ref's contact.
type Contact struct {
	Ref       string            `json:"ref"` // ContactRef
	Centre    string            `json:"centre"`
	Phone     string            `json:"phone,omitempty"`
	Email     string            `json:"email,omitempty"`
	Push      *PushSubscription `json:"push,omitempty"`
	ConsentAt time.Time         `json:"consent_at"`
	Expires   time.Time         `json:"expires"`
}

// Empty reports whether the contact holds no address (it removes one).
func (c *Contact) Empty() bool { return c.Phone == "" && c.Email == "" && c.Push == nil }

// Channels returns the channels the contact can be reached through.
func (c *Contact) Channels() []string {
	var chs []string
	if c.Phone != "" {
		chs = append(chs, ChannelPhone)
	}
	if c.Email != "" {
		chs = append(chs, ChannelEmail)
	}
	if c.Push != nil {
		chs = append(chs, ChannelPush)
	}
	return chs
}

// ContactRef names the contact of a ticket or a booking.
func ContactRef(kind, id string) string { return kind + ":" + id }

// Contact ref kinds.
const (
	RefTicket  = "ticket"
	RefBooking = "booking"
)

// Webhook is an integrator's subscription to a centre's events: each
// event whose type is in Events (every type when empty) is posted to URL,
// signed with Secret (HMAC-SHA256).
type Webhook struct {
	ID        string    `json:"id"`
	Centre    string    `json:"centre"`
	URL       string    `json:"url"`
	Events    []string  `json:"events,omitempty"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	Deleted   bool      `json:"deleted,omitempty"` // a deleted webhook gets nothing more
}

// Wants reports whether the webhook subscribes to events of type t.
func (w *Webhook) Wants(t string) bool {
	if w.Deleted {
		return false
	}
	if len(w.Events) == 0 {
		return true
	}
	for _, e := range w.Events {
		if e == t {
			return true
		}
	}
	return false
}

// Outbox is what a sender needs of the store: stores implement it beside
// Store. Messages, contacts and webhooks are written by Commit (Changes'
// Outbox, Contacts and Webhooks); the delivery state by SaveDelivery.
type Outbox interface {
	// ClaimMessages leases up to n pending messages whose NextAt has come
	// (oldest NextAt first) and whose lease is not held, until now+lease:
	// no other sender, in this process or another, gets them before.
	ClaimMessages(now time.Time, lease time.Duration, n int) ([]Message, error)
	// SaveDelivery durably records attempts: each message's Status,
	// Attempts, NextAt, Via, Error, SentAt, and ends its lease. A message
	// no longer stored (purged) is skipped.
	SaveDelivery(ms []Message) error
	// Messages returns a centre's messages, newest first, at most limit;
	// channel and status filter when not empty.
	Messages(centre, channel, status string, limit int) ([]Message, error)
	// Contact returns a ref's contact (ENotFound once purged or removed).
	Contact(ref string) (Contact, error)
	// Webhook returns a webhook by id, deleted ones too.
	Webhook(id string) (Webhook, error)
	// Webhooks returns a centre's webhooks that are not deleted.
	Webhooks(centre string) ([]Webhook, error)
}

// OfCentre gives a record of a centre's changes (a message, a contact, a
// webhook) the centre when it names none, and refuses one that names
// another: the stores' one rule.
func OfCentre(centre *string, of, what string) error {
	if *centre == "" {
		*centre = of
	}
	if *centre != of {
		return fmt.Errorf("%s of centre %s in the changes of %s", what, *centre, of)
	}
	return nil
}
