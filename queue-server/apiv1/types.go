// Package apiv1 is the contract of queue-server's HTTP API (v1): the
// requests and answers on the wire, and, in client.go, the Go client with
// a typed method per route. The server's handlers (httpapi) and kioskd both
// use it; it imports only the standard library, the WebSocket library and
// the domain's types, so kioskd links none of the server's internals.
// docs/openapi.yaml describes the same contract for other languages.
package apiv1

import (
	"encoding/json"
	"time"

	"xephang/queue-server/queue"
)

// ---- Accounts and sessions ----

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse is its answer.
type LoginResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	Role      string `json:"role"`
	Centre    string `json:"centre,omitempty"`
}

// UserView is an account as the API shows it (never the hash).
type UserView struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Centre   string `json:"centre,omitempty"`
	Name     string `json:"name,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// PutUserRequest creates or updates an account; an empty password keeps
// the current one.
type PutUserRequest struct {
	Role     string `json:"role"`
	Centre   string `json:"centre,omitempty"`
	Name     string `json:"name,omitempty"`
	Password string `json:"password,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// ---- Bookings ----

// SlotView is one slot of GET …/slots.
type SlotView struct {
	Start     string `json:"start"`
	End       string `json:"end"`
	Capacity  int    `json:"capacity"`
	Available int    `json:"available"`
	// Status says why a slot takes no booking: open, full, or too_soon
	// (within the minimum notice, or past).
	Status string `json:"status"`
}

// CitizenRequest is who a booking is for.
type CitizenRequest struct {
	IDNumber string `json:"id_number"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
}

// BookRequest is the body of POST …/bookings.
type BookRequest struct {
	Service string         `json:"service"`
	Start   string         `json:"start"`
	Citizen CitizenRequest `json:"citizen"`
	Altcha  string         `json:"altcha,omitempty"`
	Notify  *NotifyRequest `json:"notify,omitempty"`
}

// BookingView is a booking as the API shows it. Citizen is shown only to
// the one who booked (in the 201) and to staff.
type BookingView struct {
	Code           string       `json:"code"`
	Centre         string       `json:"centre"`
	CentreName     string       `json:"centre_name"`
	Service        string       `json:"service"`
	ServiceName    string       `json:"service_name"`
	ServiceNameEn  string       `json:"service_name_en,omitempty"`
	Start          string       `json:"start"`
	End            string       `json:"end"`
	Status         string       `json:"status"`
	Reschedules    int          `json:"reschedules"`
	MaxReschedules int          `json:"max_reschedules"`
	Ticket         string       `json:"ticket,omitempty"`
	Late           bool         `json:"late,omitempty"`
	Citizen        *CitizenView `json:"citizen,omitempty"`
	// PDFURL and ICSURL are signed links to the booking's documents, given
	// only to whoever proved the booking is theirs: in the answer to the
	// booking, and to a citizen's reschedule or cancel (which need the
	// CCCD number). The code alone does not open the documents.
	PDFURL string `json:"pdf_url,omitempty"`
	ICSURL string `json:"ics_url,omitempty"`
	// FormURL is the signed link through which the citizen fills the
	// procedure's form at home (GET and PUT), given with the others.
	FormURL string `json:"form_url,omitempty"`
}

// CitizenView is the stored citizen: the number only masked.
type CitizenView struct {
	IDMasked string `json:"id_masked"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
}

// CancelRequest is the body of …/cancel: the CCCD number proves the
// booking is the caller's (staff need not give it).
type CancelRequest struct {
	IDNumber string `json:"id_number"`
}

// RescheduleRequest is the body of …/reschedule.
type RescheduleRequest struct {
	IDNumber string `json:"id_number"`
	Start    string `json:"start"`
}

// CheckInResponse is a booking's check-in: the ticket, marked with the booking.
type CheckInResponse struct {
	TicketView
	BookingStatus string `json:"booking_status"`
	Late          bool   `json:"late,omitempty"`
}

// CheckInCardRequest checks in by the CCCD number read from the card.
type CheckInCardRequest struct {
	IDNumber string `json:"id_number"`
}

// ---- Errors ----

// ErrorBody is the JSON of every API error.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"` // the request's field at fault, as a path of JSON names
	} `json:"error"`
	// Fields say what is wrong with each field of a form (a filled form
	// refused: code "invalid").
	Fields []FieldError `json:"fields,omitempty"`
}

// ---- Centres, tickets and counters ----

// CentreSummary is one centre in GET /api/v1/centres.
type CentreSummary struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Address  string `json:"address,omitempty"`
	Bookable bool   `json:"bookable"` // has a service that takes online bookings
}

// TicketView is a ticket as the API shows it.
type TicketView struct {
	ID                   string `json:"id"`
	Centre               string `json:"centre"`
	Number               string `json:"number"`
	Service              string `json:"service"`
	ServiceName          string `json:"service_name,omitempty"`
	ServiceNameEn        string `json:"service_name_en,omitempty"`
	Status               string `json:"status"`
	Priority             string `json:"priority"`
	Position             int    `json:"position"`
	EstimatedWaitSeconds int    `json:"estimated_wait_seconds"`
	IssuedAt             string `json:"issued_at"`
	Counter              int    `json:"counter,omitempty"`
	CounterName          string `json:"counter_name,omitempty"`
	CalledAt             string `json:"called_at,omitempty"`
	FinishedAt           string `json:"finished_at,omitempty"`
	Calls                int    `json:"calls,omitempty"`
	// Booked marks a ticket taken by a booking's check-in; Booking, the
	// booking's code, is shown to staff of the centre only (a ticket id is
	// public, on the event stream, and the code opens the booking).
	Booked  bool   `json:"booked,omitempty"`
	Booking string `json:"booking,omitempty"`
	Source  string `json:"source,omitempty"`
	// Notify names the channels its citizen is told through (never the
	// addresses), so a tracking page opened elsewhere knows.
	Notify *NotifyView `json:"notify,omitempty"`
	// Precheck is shown to staff only: it may hold what was read from papers.
	Precheck json.RawMessage `json:"precheck,omitempty"`
	// Dossier tells staff what the ticket's dossier holds (GET
	// …/dossier for what it is); refreshed on ticket.dossier events.
	Dossier *DossierMark `json:"dossier,omitempty"`
	// Identity tells staff that an identity was read from the citizen's
	// chip (GET …/identity for it); refreshed on ticket.identity events.
	Identity bool `json:"identity,omitempty"`
	Rating   int  `json:"rating,omitempty"`

	// PriorityPending: a priority claimed at a kiosk, called as priority,
	// that the counter confirms or downgrades.
	PriorityPending bool `json:"priority_pending,omitempty"`

	// TrackURL is the citizen's tracking page, in the answer to an
	// online number.
	TrackURL string `json:"track_url,omitempty"`
}

// IssueRequest is the body of POST /api/v1/centres/{centre}/tickets.
type IssueRequest struct {
	Service        string `json:"service"`
	Priority       string `json:"priority,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// A kiosk replaying a ticket it printed while offline: the number from
	// its leased block and when it printed (RFC 3339).
	Number   string `json:"number,omitempty"`
	IssuedAt string `json:"issued_at,omitempty"`
	Offline  bool   `json:"offline,omitempty"`
	// Citizen identifies the citizen (a kiosk after reading the card, or
	// staff): the per-citizen daily limit applies.
	Citizen *IssueCitizen  `json:"citizen,omitempty"`
	Notify  *NotifyRequest `json:"notify,omitempty"`
}

// IssueCitizen is the CCCD number of a ticket's citizen.
type IssueCitizen struct {
	IDNumber string `json:"id_number"`
}

// QueueView is GET /api/v1/centres/{centre}/queue.
type QueueView struct {
	Centre   string        `json:"centre"`
	Name     string        `json:"name"`
	Now      string        `json:"now"`
	Open     bool          `json:"open"`
	LastSeq  uint64        `json:"last_seq"`
	Services []ServiceView `json:"services"`
	Counters []CounterView `json:"counters"`
}

// ServiceView is one service's line.
type ServiceView struct {
	Code                 string `json:"code"`
	Name                 string `json:"name"`
	NameEn               string `json:"name_en,omitempty"`
	Waiting              int    `json:"waiting"`
	EstimatedWaitSeconds int    `json:"estimated_wait_seconds"`
}

// CounterView is one counter's state.
type CounterView struct {
	Number   int            `json:"number"`
	Name     string         `json:"name"`
	Services []string       `json:"services"`
	Status   string         `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	Current  *CurrentTicket `json:"current,omitempty"`
}

// CurrentTicket is the ticket a counter serves.
type CurrentTicket struct {
	ID       string `json:"id"`
	Number   string `json:"number"`
	Service  string `json:"service"`
	Priority bool   `json:"priority,omitempty"`
	Booked   bool   `json:"booked,omitempty"`

	// PriorityPending: its priority, claimed at a kiosk, awaits the
	// counter's confirmation.
	PriorityPending bool `json:"priority_pending,omitempty"`
}

// CounterRequest is the optional body of counter actions: the service of a
// transfer, the reason of a pause, of an out-of-order call or of a
// priority decision, the ticket of a call.
type CounterRequest struct {
	Service string `json:"service,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Ticket  string `json:"ticket,omitempty"`
	// Minutes a pause is announced for (0–600; 0: unsaid): a longer
	// pause raises a staff alert.
	Minutes int `json:"minutes,omitempty"`
}

// CounterResponse answers counter actions.
type CounterResponse struct {
	Ticket  *TicketView  `json:"ticket,omitempty"`
	Counter *CounterView `json:"counter,omitempty"`
}

// PrecheckResult is the shape a pre-check result must have to be attached:
// what `kioskd precheck` prints (package kiosk/precheck's Result), field
// for field; any other field is refused.
type PrecheckResult struct {
	Procedure string             `json:"procedure"`
	OK        bool               `json:"ok"`
	Documents []PrecheckDocument `json:"documents"`
	Fields    map[string]any     `json:"fields"`
	Pages     []PrecheckPage     `json:"pages,omitempty"`
	Catalogue string             `json:"catalogue,omitempty"`
	Checked   *time.Time         `json:"checked,omitempty"`
}

// PrecheckDocument is one paper of a pre-check result.
type PrecheckDocument struct {
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	Pages      []int    `json:"pages"`
	Reasons    []string `json:"reasons"`
	ReasonsEN  []string `json:"reasons_en,omitempty"`
	Confidence float64  `json:"confidence,omitempty"`
	Required   bool     `json:"required,omitempty"`
	// MissingFields are fields of a readable page that were not found,
	// for staff to check by eye.
	MissingFields []PrecheckMissingField `json:"missing_fields,omitempty"`
}

// PrecheckMissingField is a field the pre-check did not find on a page it
// could read.
type PrecheckMissingField struct {
	Field    string `json:"field"`
	Label    string `json:"label"`
	Page     int    `json:"page"`
	Reason   string `json:"reason"`
	ReasonEN string `json:"reason_en"`
}

// PrecheckPage is what a scanned page was taken for.
type PrecheckPage struct {
	Page       int      `json:"page"`
	Kind       string   `json:"kind"`
	Score      float64  `json:"score"`
	OCRConf    float64  `json:"ocr_confidence"`
	DPI        int      `json:"dpi"`
	Skew       float64  `json:"skew"`
	Problems   []string `json:"problems"`
	ProblemsEN []string `json:"problems_en"`
}

// RatingRequest is the body of POST /api/v1/tickets/{id}/rating.
type RatingRequest struct {
	Score int `json:"score"`
}

// RatingTabletResponse is the answer of POST …/counters/{n}/rating-tablet.
type RatingTabletResponse struct {
	Token     string `json:"token"` // the tablet keeps it; shown once
	Centre    string `json:"centre"`
	Counter   int    `json:"counter"`
	ExpiresAt string `json:"expires_at"`
}

// ---- Kiosks ----

// EnrollmentTokenRequest is the body of POST /api/v1/enrollment-tokens.
type EnrollmentTokenRequest struct {
	Centre string `json:"centre"`
	// Approval makes the kiosk wait for an admin's approval before use.
	Approval bool `json:"approval,omitempty"`
}

// EnrollmentTokenResponse is its answer.
type EnrollmentTokenResponse struct {
	Token     string `json:"token"`
	ID        string `json:"id"` // how the token is listed and cancelled
	Centre    string `json:"centre"`
	ExpiresAt string `json:"expires_at"`
}

// EnrollmentTokenView is a token as GET /api/v1/enrollment-tokens lists it
// (never the token itself, which only its creator saw once).
type EnrollmentTokenView struct {
	ID          string `json:"id"`
	Centre      string `json:"centre"`
	Status      string `json:"status"` // active, used, cancelled or expired
	CreatedBy   string `json:"created_by"`
	CreatedAt   string `json:"created_at,omitempty"`
	ExpiresAt   string `json:"expires_at"`
	Approval    bool   `json:"approval,omitempty"`
	UsedBy      string `json:"used_by,omitempty"` // the kiosk it enrolled
	CancelledBy string `json:"cancelled_by,omitempty"`
	CancelledAt string `json:"cancelled_at,omitempty"`
}

// EnrollRequest is the body of POST /api/v1/kiosks/enroll.
type EnrollRequest struct {
	Token string `json:"token"`
	Name  string `json:"name,omitempty"`
	// CSR is a PEM certificate request for a key the kiosk made and keeps;
	// with it the kiosk gets a client certificate instead of a bearer credential.
	CSR string `json:"csr,omitempty"`
}

// EnrollResponse gives a kiosk its identity and credential.
type EnrollResponse struct {
	Kiosk       string `json:"kiosk"`
	Centre      string `json:"centre"`
	Credential  string `json:"credential,omitempty"`  // bearer token, when no CSR was sent
	Certificate string `json:"certificate,omitempty"` // PEM client certificate, for a CSR
	CA          string `json:"ca,omitempty"`          // PEM of the CA that signs the server's kiosk listener and the kiosks
	ExpiresAt   string `json:"expires_at"`
	Pending     bool   `json:"pending,omitempty"` // waits for an admin's approval
	ServerTime  string `json:"server_time"`
}

// HeartbeatRequest is what a kiosk reports every few seconds.
type HeartbeatRequest struct {
	Version   string               `json:"version"`
	Devices   []queue.DeviceStatus `json:"devices,omitempty"`
	LastError string               `json:"last_error,omitempty"`
	Outbox    int                  `json:"outbox"`
}

// HeartbeatResponse lets the kiosk check its clock.
type HeartbeatResponse struct {
	ServerTime string `json:"server_time"`
}

// KioskView is a kiosk in the admin list.
type KioskView struct {
	queue.Kiosk
	Online bool `json:"online"` // a heartbeat within the last 30 s
	// CertExpiring warns the admin a month before the certificate expires,
	// so an offline kiosk can be reached before it is stranded.
	CertExpiring bool `json:"cert_expiring,omitempty"`
}

// BlockRequest is the body of POST …/number-blocks.
type BlockRequest struct {
	Service string `json:"service"`
	Size    int    `json:"size,omitempty"`
	Day     string `json:"day,omitempty"`
}

// RenewRequest is the body of POST /api/v1/kiosks/renew.
type RenewRequest struct {
	CSR string `json:"csr"`
}

// VoidRequest names a ticket by the idempotency key its kiosk issued it with.
type VoidRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
}

// ---- Same-day numbers, notifications, webhooks and alerts ----

// PushKeys are a Web Push subscription's keys, unpadded base64url.
type PushKeys struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// PushSubscription is what a browser's PushSubscription.toJSON() gives;
// expirationTime is accepted and ignored.
type PushSubscription struct {
	Endpoint       string   `json:"endpoint"`
	ExpirationTime *float64 `json:"expirationTime,omitempty"`
	Keys           PushKeys `json:"keys"`
}

// NotifyRequest is how a citizen asks to be told about a ticket or a
// booking: at least one address with consent, or none to stop.
type NotifyRequest struct {
	Consent bool              `json:"consent"`
	Phone   string            `json:"phone,omitempty"`
	Email   string            `json:"email,omitempty"`
	Push    *PushSubscription `json:"push,omitempty"`
}

// NotifyView answers a change of notifications: the channels kept, never
// the addresses.
type NotifyView struct {
	Channels []string `json:"channels"`
}

// BookingNotifyRequest is the body of PUT /api/v1/bookings/{code}/notify:
// the CCCD number proves the booking is the caller's (staff need not).
type BookingNotifyRequest struct {
	IDNumber string `json:"id_number,omitempty"`
	NotifyRequest
}

// IdentifiedCitizen is the citizen of a number who gave a CCCD number
// (and for an online number, optionally a phone for notifications).
type IdentifiedCitizen struct {
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone,omitempty"`
}

// OnlineTicketRequest is the body of POST …/online-tickets: a same-day
// number taken from the phone. No priority can be claimed online.
type OnlineTicketRequest struct {
	Service        string            `json:"service"`
	Citizen        IdentifiedCitizen `json:"citizen"`
	Notify         *NotifyRequest    `json:"notify,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	Altcha         string            `json:"altcha,omitempty"`
}

// PushKeyView is GET /api/v1/push/key: the server's VAPID public key.
type PushKeyView struct {
	PublicKey string `json:"public_key"`
}

// WebhookRequest is the body of POST /api/v1/webhooks.
type WebhookRequest struct {
	Centre string   `json:"centre"`
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
	Secret string   `json:"secret"`
}

// WebhookView is a webhook as the API shows it: never its secret.
type WebhookView struct {
	ID        string   `json:"id"`
	Centre    string   `json:"centre"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	CreatedAt string   `json:"created_at"`
	CreatedBy string   `json:"created_by,omitempty"`
}

// WebhookTestResponse names the message a webhook test queued.
type WebhookTestResponse struct {
	Message string `json:"message"`
}

// MessageView is one outbox message as staff see it: what it told and
// how its delivery went, never an address. Ref is the kind of what it is
// about (ticket, booking or webhook); Number, Code or Webhook say which.
type MessageView struct {
	ID        string `json:"id"`
	Channel   string `json:"channel"`
	Topic     string `json:"topic"`
	Ref       string `json:"ref"`
	Number    string `json:"number,omitempty"`
	Code      string `json:"code,omitempty"`
	Webhook   string `json:"webhook,omitempty"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	Via       string `json:"via,omitempty"`
	Error     string `json:"error,omitempty"`
	CreatedAt string `json:"created_at"`
	NextAt    string `json:"next_at,omitempty"`
	SentAt    string `json:"sent_at,omitempty"`
}

// MessageCounts counts messages by delivery status.
type MessageCounts struct {
	Pending int `json:"pending"`
	Sent    int `json:"sent"`
	Failed  int `json:"failed"`
}

// MessagesView is GET …/messages: the messages asked for, newest first,
// and the counts per channel of the centre's latest messages.
type MessagesView struct {
	Messages []MessageView            `json:"messages"`
	Summary  map[string]MessageCounts `json:"summary"`
}

// CloseDayRequest is the body of POST …/close-day.
type CloseDayRequest struct {
	Date    string `json:"date"`
	Message string `json:"message"`
}

// CloseDayResponse says how many bookings the closing cancelled.
type CloseDayResponse struct {
	Cancelled int `json:"cancelled"`
}

// AlertView is a staff alert in force.
type AlertView struct {
	Kind    string `json:"kind"`
	Service string `json:"service,omitempty"`
	Counter int    `json:"counter,omitempty"`
	Since   string `json:"since"`
	Minutes int    `json:"minutes"`
	Limit   int    `json:"limit"`
}
