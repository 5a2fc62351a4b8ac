package apiv1

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"xephang/queue-server/queue"
)

// Client is the Go client of the v1 API.
type Client struct {
	Base     string       // e.g. "http://127.0.0.1:8080"
	Token    string       // bearer token, set by Login
	Language string       // Accept-Language; "" for Vietnamese
	HTTP     *http.Client // nil: a client with a 15 s timeout
}

// NewClient returns a client of the server at base.
func NewClient(base string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{Timeout: 15 * time.Second}}
}

// APIError is an error answer of the API.
type APIError struct {
	Status  int
	Code    string
	Message string
	Field   string // the request's field at fault, when the server names one
	// Fields say what is wrong with each field of a form refused.
	Fields []FieldError
}

// apiError reads an error answer.
func apiError(resp *http.Response) error {
	var eb ErrorBody
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
		return &APIError{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(raw))}
	}
	return &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field, Fields: eb.Fields}
}

func (e *APIError) Error() string {
	return fmt.Sprintf("xephang api: %d %s: %s", e.Status, e.Code, e.Message)
}

// Do sends a request with a JSON body (nil for none) and decodes a JSON
// answer into out (nil to discard). It returns the HTTP status.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Language != "" {
		req.Header.Set("Accept-Language", c.Language)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return resp.StatusCode, apiError(resp)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("xephang api: decode %s %s: %w", method, path, err)
		}
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, nil
}

// Login signs in and keeps the token.
func (c *Client) Login(ctx context.Context, username, password string) error {
	var out LoginResponse
	if _, err := c.Do(ctx, "POST", "/api/v1/login", LoginRequest{Username: username, Password: password}, &out); err != nil {
		return err
	}
	c.Token = out.Token
	return nil
}

// PutUser creates or updates an account (admin).
func (c *Client) PutUser(ctx context.Context, username string, req PutUserRequest) error {
	_, err := c.Do(ctx, "PUT", "/api/v1/users/"+url.PathEscape(username), req, nil)
	return err
}

// PutCentre creates or replaces a centre's configuration (admin).
func (c *Client) PutCentre(ctx context.Context, centre queue.Centre) (queue.Centre, error) {
	var out queue.Centre
	_, err := c.Do(ctx, "PUT", "/api/v1/centres/"+url.PathEscape(centre.ID), centre, &out)
	return out, err
}

// Centre returns a centre's configuration.
func (c *Client) Centre(ctx context.Context, id string) (queue.Centre, error) {
	var out queue.Centre
	_, err := c.Do(ctx, "GET", "/api/v1/centres/"+url.PathEscape(id), nil, &out)
	return out, err
}

// Issue takes a ticket.
func (c *Client) Issue(ctx context.Context, centre string, req IssueRequest) (TicketView, error) {
	var out TicketView
	_, err := c.Do(ctx, "POST", "/api/v1/centres/"+url.PathEscape(centre)+"/tickets", req, &out)
	return out, err
}

// Ticket tracks a ticket by id.
func (c *Client) Ticket(ctx context.Context, id string) (TicketView, error) {
	var out TicketView
	_, err := c.Do(ctx, "GET", "/api/v1/tickets/"+url.PathEscape(id), nil, &out)
	return out, err
}

// Tickets lists a centre's tickets of today, or only the waiting ones.
func (c *Client) Tickets(ctx context.Context, centre string, waitingOnly bool) ([]TicketView, error) {
	var out []TicketView
	q := ""
	if waitingOnly {
		q = "?status=waiting"
	}
	_, err := c.Do(ctx, "GET", "/api/v1/centres/"+url.PathEscape(centre)+"/tickets"+q, nil, &out)
	return out, err
}

// Queue returns the queue snapshot of a centre.
func (c *Client) Queue(ctx context.Context, centre string) (QueueView, error) {
	var out QueueView
	_, err := c.Do(ctx, "GET", "/api/v1/centres/"+url.PathEscape(centre)+"/queue", nil, &out)
	return out, err
}

// Counter performs a counter action ("next", "recall", "finish", "no-show",
// "transfer", "pause", "resume", "close", "call", "confirm-priority",
// "downgrade-priority"). For "next" with no one
// waiting the response holds no ticket.
func (c *Client) Counter(ctx context.Context, centre string, n int, action string, req *CounterRequest) (CounterResponse, error) {
	var out CounterResponse
	var body any
	if req != nil {
		body = req
	}
	_, err := c.Do(ctx, "POST", "/api/v1/centres/"+url.PathEscape(centre)+"/counters/"+strconv.Itoa(n)+"/"+action, body, &out)
	return out, err
}

// Next calls the next ticket at a counter; ok is false when no one waits.
func (c *Client) Next(ctx context.Context, centre string, n int) (t TicketView, ok bool, err error) {
	resp, err := c.Counter(ctx, centre, n, "next", nil)
	if err != nil || resp.Ticket == nil {
		return TicketView{}, false, err
	}
	return *resp.Ticket, true, nil
}

// EventStream is an open event subscription.
type EventStream struct {
	conn *websocket.Conn
}

// Events opens a centre's event stream after since.
func (c *Client) Events(ctx context.Context, centre string, since uint64) (*EventStream, error) {
	u := strings.Replace(c.Base, "http", "ws", 1) + "/api/v1/centres/" + url.PathEscape(centre) + "/events?since=" + strconv.FormatUint(since, 10)
	h := http.Header{}
	if c.Token != "" {
		h.Set("Authorization", "Bearer "+c.Token)
	}
	d := *websocket.DefaultDialer
	d.HandshakeTimeout = 10 * time.Second
	if hc := c.HTTP; hc != nil {
		if tr, ok := hc.Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
			d.TLSClientConfig = tr.TLSClientConfig // the kiosk's client certificate and CA
		}
	}
	conn, resp, err := d.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("xephang api: events: %d: %w", resp.StatusCode, err)
		}
		return nil, err
	}
	return &EventStream{conn: conn}, nil
}

// Next reads the next event, waiting at most until the deadline.
func (s *EventStream) Next(deadline time.Time) (queue.Event, error) {
	var e queue.Event
	s.conn.SetReadDeadline(deadline)
	err := s.conn.ReadJSON(&e)
	return e, err
}

// Close closes the stream.
func (s *EventStream) Close() error { return s.conn.Close() }

// CreateEnrollmentToken makes a one-time kiosk enrolment token (admin).
func (c *Client) CreateEnrollmentToken(ctx context.Context, centre string) (EnrollmentTokenResponse, error) {
	var out EnrollmentTokenResponse
	_, err := c.Do(ctx, "POST", "/api/v1/enrollment-tokens", EnrollmentTokenRequest{Centre: centre}, &out)
	return out, err
}

// EnrollmentTokens lists enrolment tokens (centre "" for every centre).
func (c *Client) EnrollmentTokens(ctx context.Context, centre string) ([]EnrollmentTokenView, error) {
	var out []EnrollmentTokenView
	path := "/api/v1/enrollment-tokens"
	if centre != "" {
		path += "?centre=" + url.QueryEscape(centre)
	}
	_, err := c.Do(ctx, "GET", path, nil, &out)
	return out, err
}

// CancelEnrollmentToken cancels an enrolment token by its id.
func (c *Client) CancelEnrollmentToken(ctx context.Context, id string) (EnrollmentTokenView, error) {
	var out EnrollmentTokenView
	_, err := c.Do(ctx, "DELETE", "/api/v1/enrollment-tokens/"+url.PathEscape(id), nil, &out)
	return out, err
}

// Enroll trades a one-time token for the kiosk's identity and credential;
// the client keeps the credential as its token.
func (c *Client) Enroll(ctx context.Context, token, name string) (EnrollResponse, error) {
	return c.EnrollWith(ctx, EnrollRequest{Token: token, Name: name})
}

// EnrollWith enrols with a full request (a certificate request for mutual
// TLS); the client keeps the credential, when one is given, as its token.
func (c *Client) EnrollWith(ctx context.Context, req EnrollRequest) (EnrollResponse, error) {
	var out EnrollResponse
	if _, err := c.Do(ctx, "POST", "/api/v1/kiosks/enroll", req, &out); err != nil {
		return out, err
	}
	if out.Credential != "" {
		c.Token = out.Credential
	}
	return out, nil
}

// Renew asks for a new kiosk certificate for the request csrPEM (kiosk,
// over mutual TLS).
func (c *Client) Renew(ctx context.Context, csrPEM string) (EnrollResponse, error) {
	var out EnrollResponse
	_, err := c.Do(ctx, "POST", "/api/v1/kiosks/renew", RenewRequest{CSR: csrPEM}, &out)
	return out, err
}

// Void withdraws a ticket the kiosk issued but never printed, by its
// idempotency key (kiosk).
func (c *Client) Void(ctx context.Context, centre, key string) error {
	_, err := c.Do(ctx, "POST", "/api/v1/centres/"+url.PathEscape(centre)+"/tickets/void", VoidRequest{IdempotencyKey: key}, nil)
	return err
}

// Heartbeat reports a kiosk's state (kiosk).
func (c *Client) Heartbeat(ctx context.Context, req HeartbeatRequest) (HeartbeatResponse, error) {
	var out HeartbeatResponse
	_, err := c.Do(ctx, "POST", "/api/v1/kiosks/heartbeat", req, &out)
	return out, err
}

// Kiosks lists enrolled kiosks (admin).
func (c *Client) Kiosks(ctx context.Context) ([]KioskView, error) {
	var out []KioskView
	_, err := c.Do(ctx, "GET", "/api/v1/kiosks", nil, &out)
	return out, err
}

// LeaseBlock leases a block of numbers of a service for day ("" for today,
// or tomorrow's date) to the calling kiosk.
func (c *Client) LeaseBlock(ctx context.Context, centre, service string, size int, day string) (queue.NumberBlock, error) {
	var out queue.NumberBlock
	_, err := c.Do(ctx, "POST", "/api/v1/centres/"+url.PathEscape(centre)+"/number-blocks", BlockRequest{Service: service, Size: size, Day: day}, &out)
	return out, err
}

// Blocks lists the calling kiosk's blocks of today and later.
func (c *Client) Blocks(ctx context.Context, centre string) ([]queue.NumberBlock, error) {
	var out []queue.NumberBlock
	_, err := c.Do(ctx, "GET", "/api/v1/centres/"+url.PathEscape(centre)+"/number-blocks", nil, &out)
	return out, err
}

// CheckIn turns a booking into a ticket (kiosk or staff).
func (c *Client) CheckIn(ctx context.Context, code string) (CheckInResponse, error) {
	var out CheckInResponse
	_, err := c.Do(ctx, "POST", "/api/v1/bookings/"+url.PathEscape(code)+"/check-in", nil, &out)
	return out, err
}

// CheckInCard checks in today's booking of the card holder (kiosk or staff).
func (c *Client) CheckInCard(ctx context.Context, centre, idNumber string) (CheckInResponse, error) {
	var out CheckInResponse
	_, err := c.Do(ctx, "POST", "/api/v1/centres/"+url.PathEscape(centre)+"/check-in", CheckInCardRequest{IDNumber: idNumber}, &out)
	return out, err
}

// AttachPrecheck keeps a dossier pre-check result (what `kioskd precheck`
// prints) with a ticket, for the counter (kiosk or staff).
func (c *Client) AttachPrecheck(ctx context.Context, ticketID string, result any) error {
	_, err := c.Do(ctx, "PUT", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/precheck", result, nil)
	return err
}

// PairRatingTablet pairs a rating tablet with a counter (staff of the
// centre): the answer's token is the tablet's.
func (c *Client) PairRatingTablet(ctx context.Context, centre string, counter int) (RatingTabletResponse, error) {
	var out RatingTabletResponse
	_, err := c.Do(ctx, "POST", fmt.Sprintf("/api/v1/centres/%s/counters/%d/rating-tablet", url.PathEscape(centre), counter), nil, &out)
	return out, err
}

// Rate records a citizen's rating (1–4) of a served ticket.
func (c *Client) Rate(ctx context.Context, ticketID string, score int) (TicketView, error) {
	var out TicketView
	_, err := c.Do(ctx, "POST", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/rating", RatingRequest{Score: score}, &out)
	return out, err
}

// OnlineTicket takes a same-day number from the phone: the public solves a
// challenge first (altcha, from GET /api/v1/challenge); staff need not.
func (c *Client) OnlineTicket(ctx context.Context, centre string, req OnlineTicketRequest) (TicketView, error) {
	var out TicketView
	_, err := c.Do(ctx, "POST", "/api/v1/centres/"+url.PathEscape(centre)+"/online-tickets", req, &out)
	return out, err
}

// SetTicketNotify sets how the citizen of a ticket is told (no address:
// none).
func (c *Client) SetTicketNotify(ctx context.Context, ticketID string, req NotifyRequest) (NotifyView, error) {
	var out NotifyView
	_, err := c.Do(ctx, "PUT", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/notify", req, &out)
	return out, err
}

// RemoveTicketNotify stops the notifications of a ticket.
func (c *Client) RemoveTicketNotify(ctx context.Context, ticketID string) error {
	_, err := c.Do(ctx, "DELETE", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/notify", nil, nil)
	return err
}

// SetBookingNotify sets how the citizen of a booking is told; the public
// gives the CCCD number in req.IDNumber.
func (c *Client) SetBookingNotify(ctx context.Context, code string, req BookingNotifyRequest) (NotifyView, error) {
	var out NotifyView
	_, err := c.Do(ctx, "PUT", "/api/v1/bookings/"+url.PathEscape(code)+"/notify", req, &out)
	return out, err
}

// RemoveBookingNotify stops the notifications of a booking; idNumber is
// the public's proof ("" for staff).
func (c *Client) RemoveBookingNotify(ctx context.Context, code, idNumber string) error {
	var body any
	if idNumber != "" {
		body = CancelRequest{IDNumber: idNumber}
	}
	_, err := c.Do(ctx, "DELETE", "/api/v1/bookings/"+url.PathEscape(code)+"/notify", body, nil)
	return err
}

// PushKey returns the server's Web Push public key.
func (c *Client) PushKey(ctx context.Context) (string, error) {
	var out PushKeyView
	_, err := c.Do(ctx, "GET", "/api/v1/push/key", nil, &out)
	return out.PublicKey, err
}

// AddWebhook subscribes an integrator to a centre's events (admin).
func (c *Client) AddWebhook(ctx context.Context, req WebhookRequest) (WebhookView, error) {
	var out WebhookView
	_, err := c.Do(ctx, "POST", "/api/v1/webhooks", req, &out)
	return out, err
}

// Webhooks lists a centre's webhooks (admin).
func (c *Client) Webhooks(ctx context.Context, centre string) ([]WebhookView, error) {
	var out []WebhookView
	_, err := c.Do(ctx, "GET", "/api/v1/centres/"+url.PathEscape(centre)+"/webhooks", nil, &out)
	return out, err
}

// DeleteWebhook ends a subscription (admin).
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	_, err := c.Do(ctx, "DELETE", "/api/v1/webhooks/"+url.PathEscape(id), nil, nil)
	return err
}

// TestWebhook queues a test event to a webhook and returns its message id (admin).
func (c *Client) TestWebhook(ctx context.Context, id string) (string, error) {
	var out WebhookTestResponse
	_, err := c.Do(ctx, "POST", "/api/v1/webhooks/"+url.PathEscape(id)+"/test", nil, &out)
	return out.Message, err
}

// WebhookDeliveries is a webhook's delivery log, newest first (admin).
func (c *Client) WebhookDeliveries(ctx context.Context, centre, id string, limit int) ([]MessageView, error) {
	var out []MessageView
	path := "/api/v1/centres/" + url.PathEscape(centre) + "/webhooks/" + url.PathEscape(id) + "/deliveries"
	if limit > 0 {
		path += "?limit=" + strconv.Itoa(limit)
	}
	_, err := c.Do(ctx, "GET", path, nil, &out)
	return out, err
}

// Messages lists a centre's outbox messages, newest first, filtered by
// channel and status when not empty, at most limit (0: the server's
// default) (admin).
func (c *Client) Messages(ctx context.Context, centre, channel, status string, limit int) (MessagesView, error) {
	var out MessagesView
	q := url.Values{}
	if channel != "" {
		q.Set("channel", channel)
	}
	if status != "" {
		q.Set("status", status)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := "/api/v1/centres/" + url.PathEscape(centre) + "/messages"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	_, err := c.Do(ctx, "GET", path, nil, &out)
	return out, err
}

// CloseDay cancels every booking of a day the centre must close, telling
// the citizens message, and returns how many it cancelled (admin).
func (c *Client) CloseDay(ctx context.Context, centre, date, message string) (int, error) {
	var out CloseDayResponse
	_, err := c.Do(ctx, "POST", "/api/v1/centres/"+url.PathEscape(centre)+"/close-day", CloseDayRequest{Date: date, Message: message}, &out)
	return out.Cancelled, err
}

// Alerts returns a centre's staff alerts in force (admin, clerk).
func (c *Client) Alerts(ctx context.Context, centre string) ([]AlertView, error) {
	var out []AlertView
	_, err := c.Do(ctx, "GET", "/api/v1/centres/"+url.PathEscape(centre)+"/alerts", nil, &out)
	return out, err
}
