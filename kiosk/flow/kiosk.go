package flow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/scanner"
	"xephang/kiosk/catalogue"
	"xephang/kiosk/outbox"
	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// Printer is the ticket printer as the flows use it (*escpos.Printer).
type Printer interface {
	Status(ctx context.Context) (escpos.Status, error)
	PrintTicket(ctx context.Context, t escpos.Ticket) error
}

// Link is the link to the queue server as the flows use it (*uplink.Link).
type Link interface {
	Online() bool
	Centre() (queue.Centre, bool)
	Now() time.Time
	Today() string
	Failed(error)
	Reached()
	Kick()
	// Suspended says why the server will not serve this kiosk (revoked,
	// pending, expired, unauthorized), "" when it does.
	Suspended() string
}

// DocumentPrinter is a printer that also prints documents other than
// tickets (*escpos.Printer): the pre-check's checklist.
type DocumentPrinter interface {
	Write(ctx context.Context, data []byte) error
	Profile() escpos.Profile
}

// Config configures a Kiosk.
type Config struct {
	Centre  string
	Client  *apiv1.Client
	Link    Link
	Store   *outbox.Store
	Printer Printer
	Log     *slog.Logger
	// ElderlyAge is the age from which the card offers elderly priority (75).
	ElderlyAge int
	// PublicURL is the server's public address for the tracking QR code;
	// the client's base when empty.
	PublicURL string
	Timeouts  Timeouts
	// IssueTimeout bounds an online issue before falling back to a leased
	// number (3 s when zero).
	IssueTimeout time.Duration
	// Emit sends an event to the touchscreen; nil for none.
	Emit func(Event)
	// Prechecker runs the dossier pre-check (one per daemon); with none,
	// or no Scanner, the pre-check flow says it is not available.
	Prechecker Prechecker
	Scanner    scanner.Scanner
	// ScanDir is where scanned pages are written, and deleted after the
	// check; ScanSource the scanner's source (ADF when empty); ScanDPI
	// its resolution (300 when zero).
	ScanDir    string
	ScanSource scanner.Source
	ScanDPI    int
	// PrecheckServices maps a procedure id to the service code whose
	// number a pre-checked citizen takes; procedures not in it are matched
	// by the service's name (e.g. "Hộ tịch"), or the citizen chooses.
	PrecheckServices map[string]string
}

// Event is one message to the touchscreen over the local WebSocket.
type Event struct {
	Type    string               `json:"type"` // flow, card, code, printer, link, devices, scan
	Flow    *State               `json:"flow,omitempty"`
	Card    *CardRead            `json:"card,omitempty"`
	Printer *escpos.Status       `json:"printer,omitempty"`
	Reason  string               `json:"reason,omitempty"`
	Link    *uplink.Status       `json:"link,omitempty"`
	Devices []queue.DeviceStatus `json:"devices,omitempty"`
	Scan    *ScanProgress        `json:"scan,omitempty"`
	Check   *CheckProgress       `json:"check,omitempty"`
}

// CardRead is what the screen learns of a card read: never the number, the
// name or the birth date, only what the flow decides from them.
type CardRead struct {
	OK       bool   `json:"ok"`
	Priority string `json:"priority,omitempty"` // the priority the card entitles to, if any
	Age      int    `json:"min_age,omitempty"`  // the age threshold that was met
	Message  string `json:"message,omitempty"`  // Vietnamese
	EN       string `json:"message_en,omitempty"`
}

// ScanProgress is a scanner's progress for the screen.
type ScanProgress struct {
	Page    int     `json:"page"`
	Percent float64 `json:"percent"`
	Done    bool    `json:"done"`
}

// Error is a refusal the screen shows: a stable code, words in
// Vietnamese and English, and the local API's HTTP status.
type Error struct {
	Code   string `json:"code"`
	VI     string `json:"message"`
	EN     string `json:"message_en"`
	Status int    `json:"-"`
}

func (e *Error) Error() string { return "flow: " + e.Code + ": " + e.EN }

func errorf(status int, code, vi, en string) *Error {
	return &Error{Code: code, VI: vi, EN: en, Status: status}
}

// Printed is a ticket that came out of the printer.
type Printed struct {
	Number      string `json:"number"`
	Service     string `json:"service"`
	ServiceName string `json:"service_name"`
	ServiceEN   string `json:"service_name_en,omitempty"`
	Priority    string `json:"priority"`
	// PriorityPending: a priority the kiosk cannot check (all but
	// elderly), to be confirmed at the counter; it is printed so.
	PriorityPending bool      `json:"priority_pending,omitempty"`
	Booked          bool      `json:"booked,omitempty"`
	Offline         bool      `json:"offline,omitempty"`
	Ahead           int       `json:"ahead"` // -1 when not known (offline)
	WaitSeconds     int       `json:"estimated_wait_seconds"`
	IssuedAt        time.Time `json:"issued_at"`
	TicketID        string    `json:"ticket_id,omitempty"`
	Counters        string    `json:"counters,omitempty"`
}

// Kiosk runs the flows.
type Kiosk struct {
	cfg     Config
	Machine *Machine

	mu      sync.Mutex
	elderly bool // a card read in this session entitles to elderly priority
	pre     *precheckSession
	printMu sync.Mutex
}

// New returns a kiosk at home.
func New(cfg Config) *Kiosk {
	if cfg.ElderlyAge == 0 {
		cfg.ElderlyAge = 75
	}
	if cfg.IssueTimeout == 0 {
		cfg.IssueTimeout = 3 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.PublicURL == "" && cfg.Client != nil {
		cfg.PublicURL = cfg.Client.Base
	}
	k := &Kiosk{cfg: cfg}
	k.Machine = NewMachine(cfg.Timeouts, func(s State) { k.emit(Event{Type: "flow", Flow: &s}) }, k.forget)
	return k
}

func (k *Kiosk) emit(e Event) {
	if k.cfg.Emit != nil {
		k.cfg.Emit(e)
	}
}

// forget drops what this citizen's session learnt (back home).
func (k *Kiosk) forget() {
	k.mu.Lock()
	k.elderly = false
	k.pre = nil // the pages, the card and the result go with the citizen
	k.mu.Unlock()
}

// Fold lower-cases s and removes its diacritics (đ → d), so "ho tich"
// finds "Hộ tịch".
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("đ", "d", "Đ", "d").Replace(out)
	return strings.Join(strings.Fields(strings.ToLower(out)), " ")
}

// Service is a service as the touchscreen lists it.
type Service struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	NameEn   string   `json:"name_en,omitempty"`
	Minutes  int      `json:"minutes"`
	Bookable bool     `json:"bookable"`
	Papers   []string `json:"papers,omitempty"`
	Counters string   `json:"counters,omitempty"` // e.g. "1, 2"
	// OfflineLeft is how many numbers are left for use while the server
	// is unreachable.
	OfflineLeft int `json:"offline_left"`
}

// Services lists the centre's services whose name (Vietnamese or English,
// with or without diacritics) or code matches query; all for "".
func (k *Kiosk) Services(query string) ([]Service, error) {
	centre, ok := k.cfg.Link.Centre()
	if !ok {
		return nil, errNotReady
	}
	left, _, _ := k.cfg.Store.Left(k.cfg.Link.Today())
	q := Fold(query)
	out := []Service{}
	for _, s := range centre.Services {
		if q != "" && !strings.Contains(Fold(s.Name), q) && !strings.Contains(Fold(s.NameEn), q) && Fold(s.Code) != q {
			continue
		}
		out = append(out, Service{Code: s.Code, Name: s.Name, NameEn: s.NameEn, Minutes: s.Minutes, Bookable: s.Bookable,
			Papers: s.Papers, Counters: counters(centre, s.Code), OfflineLeft: left[s.Code]})
	}
	return out, nil
}

func counters(c queue.Centre, service string) string {
	var ns []string
	for _, k := range c.Counters {
		if slices.Contains(k.Services, service) {
			ns = append(ns, strconv.Itoa(k.Number))
		}
	}
	return strings.Join(ns, ", ")
}

var (
	errNotReady = errorf(http.StatusServiceUnavailable, "not_ready",
		"Ki-ốt chưa nhận được danh mục dịch vụ từ máy chủ. Vui lòng chờ hoặc liên hệ cán bộ.",
		"The kiosk has not received the list of services yet. Please wait or ask a staff member.")
	errNoNumbers = errorf(http.StatusServiceUnavailable, "no_numbers",
		"Mất kết nối với máy chủ và ki-ốt đã hết số dự phòng cho lĩnh vực này. Vui lòng đến quầy để được hỗ trợ.",
		"The server cannot be reached and this kiosk has no spare numbers left for this service. Please ask at a counter.")
	errBusy = errorf(http.StatusConflict, "busy",
		"Ki-ốt đang in, vui lòng chờ.", "The kiosk is printing, please wait.")
	errNeedsCard = errorf(http.StatusForbidden, "priority_needs_card",
		"Để được ưu tiên người cao tuổi, vui lòng chạm hoặc quét thẻ căn cước.",
		"To get elderly priority, please tap or scan your ID card.")
	errCheckInOffline = errorf(http.StatusServiceUnavailable, "check_in_offline",
		"Mất kết nối với máy chủ nên chưa xác nhận được lịch hẹn. Vui lòng lấy số thường hoặc đến quầy.",
		"The server cannot be reached, so the booking cannot be checked. Please take a normal number or ask at a counter.")
)

// outOfService is the refusal of a kiosk the server does not serve.
func outOfService(why string) *Error {
	if why == uplink.SuspendedPending {
		return errorf(http.StatusServiceUnavailable, "kiosk_pending",
			"Ki-ốt đang chờ quản trị viên phê duyệt, chưa cấp số được. Vui lòng đến quầy.",
			"This kiosk is waiting for the administrator's approval and cannot issue numbers yet. Please go to a counter.")
	}
	return errorf(http.StatusServiceUnavailable, "out_of_service",
		"Ki-ốt tạm ngừng phục vụ. Vui lòng đến quầy để được hỗ trợ.",
		"This kiosk is out of service. Please go to a counter for help.")
}

// serving refuses when the server does not serve this kiosk (revoked,
// pending approval, certificate expired): it issues nothing, not even
// from its blocks.
func (k *Kiosk) serving() error {
	if why := k.cfg.Link.Suspended(); why != "" {
		return outOfService(why)
	}
	return nil
}

// printerReady says why the printer cannot print, if it cannot.
func (k *Kiosk) printerReady(ctx context.Context) error {
	st, err := k.cfg.Printer.Status(ctx)
	if err != nil && !errors.Is(err, escpos.ErrNoStatus) {
		if !st.NoReply {
			st.NoReply = true
		}
	}
	k.emit(Event{Type: "printer", Printer: &st, Reason: st.Reason()})
	if err != nil && errors.Is(err, escpos.ErrNoStatus) {
		return nil // a one-way printer: nothing to ask
	}
	if err != nil || !st.CanPrint() {
		return printerError(st)
	}
	return nil
}

func printerError(st escpos.Status) *Error {
	return errorf(http.StatusServiceUnavailable, "printer",
		"Máy in chưa in được: "+st.Reason()+". Vui lòng báo cán bộ hoặc thử lại sau.",
		"The printer cannot print: "+st.ReasonEN()+". Please tell a staff member or try again later.")
}

// newKey returns a fresh idempotency key.
func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "kiosk-" + hex.EncodeToString(b)
}

// TakeNumber issues a ticket of service and prints it: from the server
// when it answers, else from a leased block, written to the outbox before
// it prints. It refuses when the printer says it cannot print.
func (k *Kiosk) TakeNumber(ctx context.Context, service, priority string) (Printed, error) {
	if !k.printMu.TryLock() {
		return Printed{}, errBusy
	}
	defer k.printMu.Unlock()
	if err := k.serving(); err != nil {
		return Printed{}, err
	}
	centre, ok := k.cfg.Link.Centre()
	if !ok {
		return Printed{}, errNotReady
	}
	svc, ok := centre.Service(service)
	if !ok {
		return Printed{}, errorf(http.StatusNotFound, "unknown_service", "Không có lĩnh vực "+service+".", "No service "+service+".")
	}
	if open, next := k.WalkIn(); !open {
		return Printed{}, outsideHours(next, centre.Location())
	}
	if priority == "" {
		priority = queue.PriorityNormal
	}
	if !queue.ValidPriority(priority) {
		return Printed{}, errorf(http.StatusBadRequest, "invalid_priority", "Đối tượng ưu tiên không hợp lệ.", "Unknown priority group.")
	}
	k.mu.Lock()
	elderly := k.elderly
	k.mu.Unlock()
	// Elderly is granted here from the card's birth date; the other
	// groups have no proof a kiosk can read: the server marks them to be
	// confirmed at the counter (priority_pending), and the ticket says so.
	if priority == queue.PriorityElderly && !elderly {
		return Printed{}, errNeedsCard
	}
	if err := k.Machine.Enter(TakeNumber, StepPrinting, map[string]string{"service": svc.Code}); err != nil {
		return Printed{}, errBusy
	}
	p, err := k.takeNumber(ctx, centre, svc, priority, nil)
	k.finish(TakeNumber, p, err)
	return p, err
}

// finish shows the result of a printing step.
func (k *Kiosk) finish(flow string, p Printed, err error) {
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			fe = errorf(http.StatusInternalServerError, "internal", "Có lỗi xảy ra, vui lòng thử lại.", "Something went wrong, please try again.")
		}
		k.Machine.Go(flow, StepFailed, fe)
		return
	}
	k.Machine.Go(flow, StepPrinted, p)
}

// takeNumber issues and prints; pre, when not nil, is a pre-check result
// to attach to the ticket (at once online, on replay offline).
func (k *Kiosk) takeNumber(ctx context.Context, centre queue.Centre, svc queue.Service, priority string, pre json.RawMessage) (Printed, error) {
	if err := k.printerReady(ctx); err != nil {
		return Printed{}, err
	}
	if k.cfg.Link.Online() {
		key := newKey()
		c, cancel := context.WithTimeout(ctx, k.cfg.IssueTimeout)
		tv, err := k.cfg.Client.Issue(c, k.cfg.Centre, apiv1.IssueRequest{Service: svc.Code, Priority: priority, IdempotencyKey: key})
		cancel()
		switch {
		case err == nil:
			k.cfg.Link.Reached()
			return k.printOnline(ctx, centre, svc, tv, key, pre)
		case uplink.Unreachable(err):
			// The answer may have been lost after the server issued it; that
			// ticket was never printed and ends as a no-show. What the
			// citizen holds comes from the block.
			k.cfg.Link.Failed(err)
			k.cfg.Log.Warn("online issue failed; issuing from a leased block", "err", err)
		default:
			return Printed{}, apiError(err)
		}
	}
	return k.takeOffline(ctx, centre, svc, priority, pre)
}

// printOnline prints a ticket the server issued with idempotency key key.
// It is recorded in the outbox first: if the printer refuses it, or
// kioskd dies while printing it, the server is asked to withdraw it
// (tickets/void) instead of calling a number nobody holds.
func (k *Kiosk) printOnline(ctx context.Context, centre queue.Centre, svc queue.Service, tv apiv1.TicketView, key string, pre json.RawMessage) (Printed, error) {
	attached := false
	if pre != nil && tv.ID != "" {
		c, cancel := context.WithTimeout(ctx, k.cfg.IssueTimeout)
		err := k.cfg.Client.AttachPrecheck(c, tv.ID, pre)
		cancel()
		if err != nil {
			k.cfg.Link.Failed(err)
			k.cfg.Log.Warn("attaching the pre-check failed; kept to attach later", "number", tv.Number, "err", err)
		}
		attached = err == nil
	}
	rec := outbox.Ticket{Key: key, Centre: k.cfg.Centre, Service: svc.Code, Number: tv.Number, ServerID: tv.ID,
		Priority: tv.Priority, IssuedAt: k.cfg.Link.Now(), Precheck: pre, PrecheckAttached: attached}
	recorded := true
	if err := k.cfg.Store.Record(rec); err != nil {
		recorded = false // print anyway: a citizen is waiting
		k.cfg.Log.Error("recording an online ticket", "number", tv.Number, "err", err)
	}
	p, err := k.printServerTicket(ctx, centre, svc, tv, false)
	var fe *Error
	switch {
	case !recorded:
	case err == nil:
		k.markPrinted(key, tv.Number)
	case errors.As(err, &fe) && fe.Code == "printer":
		// Refused before a byte was sent: nobody holds this number.
		if err := k.cfg.Store.Withdraw(key, fe.EN); err != nil {
			// Still printing in the outbox: the next start withdraws it.
			k.cfg.Log.Error("outbox: recording an online ticket to withdraw", "number", tv.Number, "err", err)
		}
		k.cfg.Link.Kick()
	default:
		// It may have come out in part and the screen gave the number:
		// it stays in the queue.
		k.markPrinted(key, tv.Number)
	}
	if !recorded && pre != nil && !attached {
		k.cfg.Log.Error("a pre-check result is lost (not attached, not recorded)", "number", tv.Number)
	}
	return p, err
}

// markPrinted records that an online ticket came out of the printer. If
// that record is lost, the next start finds the ticket printing and asks
// the server to withdraw a number a citizen holds: said loudly.
func (k *Kiosk) markPrinted(key, number string) {
	if err := k.cfg.Store.Printed(key, time.Now()); err != nil {
		k.cfg.Log.Error("outbox: recording a printed online ticket; kioskd's next start would withdraw it", "number", number, "err", err)
	}
}

// apiError turns the server's refusal into words for the screen.
func apiError(err error) error {
	var ae *apiv1.APIError
	if errors.As(err, &ae) {
		status := ae.Status
		if status < 400 || status > 499 {
			status = http.StatusBadGateway
		}
		return errorf(status, ae.Code, ae.Message, ae.Message)
	}
	return errorf(http.StatusBadGateway, "server", "Máy chủ không trả lời, vui lòng thử lại.", "The server did not answer, please try again.")
}

func (k *Kiosk) takeOffline(ctx context.Context, centre queue.Centre, svc queue.Service, priority string, pre json.RawMessage) (Printed, error) {
	now := k.cfg.Link.Now()
	t, err := k.cfg.Store.Take(outbox.Ticket{Key: newKey(), Centre: k.cfg.Centre, Service: svc.Code,
		Day: now.In(centre.Location()).Format(time.DateOnly), Priority: priority, IssuedAt: now, Precheck: pre})
	if errors.Is(err, outbox.ErrNoNumbers) {
		return Printed{}, errNoNumbers
	}
	if err != nil {
		return Printed{}, fmt.Errorf("flow: outbox: %w", err)
	}
	p := Printed{Number: t.Number, Service: svc.Code, ServiceName: svc.Name, ServiceEN: svc.NameEn, Priority: priority,
		PriorityPending: !queue.KioskGrants(priority), Offline: true, Ahead: -1, IssuedAt: now, Counters: counters(centre, svc.Code)}
	err = k.cfg.Printer.PrintTicket(ctx, k.ticket(centre, p, ""))
	var se *escpos.StatusError
	switch {
	case errors.As(err, &se):
		// Refused before a byte was sent: nobody holds this number.
		if err := k.cfg.Store.Void(t.Key, se.Status.ReasonEN(), time.Now()); err != nil {
			// Still pending: it will be replayed, and end as a no-show.
			k.cfg.Log.Error("outbox: voiding an offline ticket the printer refused", "number", t.Number, "err", err)
		}
		return Printed{}, printerError(se.Status)
	case err != nil:
		// It may have come out in part: the ticket stays in the outbox
		// (a citizen may hold it); the server will see it.
		k.cfg.Link.Kick()
		return Printed{}, errorf(http.StatusServiceUnavailable, "print_failed",
			"In vé bị lỗi. Nếu vé không ra, vui lòng báo cán bộ. Số của bạn: "+t.Number+".",
			"Printing failed. If no ticket came out, please tell a staff member. Your number: "+t.Number+".")
	}
	k.cfg.Link.Kick()
	k.cfg.Log.Info("ticket printed offline", "number", t.Number)
	return p, nil
}

// printServerTicket prints a ticket the server issued.
func (k *Kiosk) printServerTicket(ctx context.Context, centre queue.Centre, svc queue.Service, tv apiv1.TicketView, booked bool) (Printed, error) {
	issued, _ := time.Parse(time.RFC3339, tv.IssuedAt)
	p := Printed{Number: tv.Number, Service: svc.Code, ServiceName: svc.Name, ServiceEN: svc.NameEn, Priority: tv.Priority,
		PriorityPending: tv.PriorityPending, Booked: booked, Ahead: tv.Position - 1, WaitSeconds: tv.EstimatedWaitSeconds, IssuedAt: issued, TicketID: tv.ID,
		Counters: counters(centre, svc.Code)}
	if tv.Position <= 0 {
		p.Ahead = -1
	}
	track := ""
	if tv.ID != "" && k.cfg.PublicURL != "" {
		track = strings.TrimRight(k.cfg.PublicURL, "/") + "/track/" + url.PathEscape(tv.ID)
	}
	if err := k.cfg.Printer.PrintTicket(ctx, k.ticket(centre, p, track)); err != nil {
		var se *escpos.StatusError
		if errors.As(err, &se) {
			return Printed{}, printerError(se.Status)
		}
		return Printed{}, errorf(http.StatusServiceUnavailable, "print_failed",
			"In vé bị lỗi. Nếu vé không ra, vui lòng báo cán bộ. Số của bạn: "+tv.Number+".",
			"Printing failed. If no ticket came out, please tell a staff member. Your number: "+tv.Number+".")
	}
	k.cfg.Log.Info("ticket printed", "number", tv.Number, "booked", booked)
	return p, nil
}

// ticket is what the printer prints for p.
func (k *Kiosk) ticket(centre queue.Centre, p Printed, track string) escpos.Ticket {
	t := escpos.Ticket{
		Centre: "Trung tâm Phục vụ hành chính công", Subtitle: centre.Name,
		Number: p.Number, Service: p.ServiceName, Counter: p.Counters,
		Issued: p.IssuedAt.In(centre.Location()), Ahead: p.Ahead, Wait: time.Duration(p.WaitSeconds) * time.Second,
		TrackURL: track, Booked: p.Booked,
	}
	if strings.HasPrefix(centre.Name, "Trung tâm") || strings.HasPrefix(centre.Name, "Bộ phận") {
		t.Centre, t.Subtitle = centre.Name, ""
	}
	if p.Priority != "" && p.Priority != queue.PriorityNormal {
		t.Footer = "Ưu tiên: " + priorityName(p.Priority)
		if p.PriorityPending {
			t.Footer += " (xác nhận tại quầy)\nVui lòng xuất trình giấy tờ khi được gọi; không có giấy tờ, số trở về thứ tự thường."
		}
	}
	if p.Offline {
		t.Footer = strings.TrimSpace(t.Footer + "\nVé cấp khi mất kết nối mạng; thứ tự gọi theo giờ lấy số.")
	}
	return t
}

func priorityName(p string) string {
	return map[string]string{
		queue.PriorityElderly: "người cao tuổi", queue.PriorityDisabled: "người khuyết tật",
		queue.PriorityPregnant: "phụ nữ mang thai", queue.PriorityChild: "trẻ em", queue.PriorityMerit: "người có công",
	}[p]
}

// CheckIn checks in a booking by its code and prints its ticket.
func (k *Kiosk) CheckIn(ctx context.Context, code string) (Printed, error) {
	code = queue.NormBookingCode(code)
	if !queue.ValidBookingCode(code) {
		return Printed{}, errorf(http.StatusBadRequest, "invalid_code", "Mã lịch hẹn gồm 8 ký tự, ví dụ 7KQ2-M9XD.", "A booking code has 8 characters, e.g. 7KQ2-M9XD.")
	}
	return k.checkIn(ctx, func(c context.Context) (apiv1.CheckInResponse, error) { return k.cfg.Client.CheckIn(c, code) })
}

// CheckInCard checks in the booking of the card's holder.
func (k *Kiosk) CheckInCard(ctx context.Context, idNumber string) (Printed, error) {
	return k.checkIn(ctx, func(c context.Context) (apiv1.CheckInResponse, error) {
		return k.cfg.Client.CheckInCard(c, k.cfg.Centre, idNumber)
	})
}

// checkIn asks the server to check a booking in (by the request call
// makes) and prints the ticket it answers.
func (k *Kiosk) checkIn(ctx context.Context, call func(context.Context) (apiv1.CheckInResponse, error)) (Printed, error) {
	if !k.printMu.TryLock() {
		return Printed{}, errBusy
	}
	defer k.printMu.Unlock()
	if err := k.serving(); err != nil {
		return Printed{}, err
	}
	centre, ok := k.cfg.Link.Centre()
	if !ok {
		return Printed{}, errNotReady
	}
	if err := k.Machine.Enter(CheckIn, StepCheckingIn, nil); err != nil {
		return Printed{}, errBusy
	}
	p, err := func() (Printed, error) {
		if !k.cfg.Link.Online() {
			return Printed{}, errCheckInOffline
		}
		if err := k.printerReady(ctx); err != nil {
			return Printed{}, err
		}
		c, cancel := context.WithTimeout(ctx, 2*k.cfg.IssueTimeout)
		resp, err := call(c)
		cancel()
		if err != nil {
			if uplink.Unreachable(err) {
				k.cfg.Link.Failed(err)
				return Printed{}, errCheckInOffline
			}
			return Printed{}, apiError(err)
		}
		k.cfg.Link.Reached()
		svc, _ := centre.Service(resp.Service)
		if svc.Code == "" {
			svc = queue.Service{Code: resp.Service, Name: resp.ServiceName, NameEn: resp.ServiceNameEn}
		}
		k.Machine.Go(CheckIn, StepPrinting, nil)
		return k.printServerTicket(ctx, centre, svc, resp.TicketView, !resp.Late)
	}()
	k.finish(CheckIn, p, err)
	return p, err
}

// Card handles a card read: in take-number it offers the priority the
// holder's age entitles to; in check-in (or at home) it checks in the
// holder's booking. The number and name never leave this function except
// to the server, for the check-in.
func (k *Kiosk) Card(ctx context.Context, ev idcard.Event) {
	if ev.Card == nil || !ev.Card.Valid {
		k.emit(Event{Type: "card", Card: &CardRead{OK: false,
			Message: "Không đọc được thẻ. Vui lòng đặt lại thẻ, mặt có mã QR hướng vào đầu đọc.",
			EN:      "The card could not be read. Please place it again, QR side to the reader."}})
		return
	}
	card := ev.Card
	st := k.Machine.State()
	switch st.Flow {
	case TakeNumber:
		if busy(st.Step) {
			return
		}
		centre, _ := k.cfg.Link.Centre()
		age := card.Age(k.cfg.Link.Now().In(centre.Location()))
		cr := &CardRead{OK: true}
		if age >= k.cfg.ElderlyAge {
			k.mu.Lock()
			k.elderly = true
			k.mu.Unlock()
			cr.Priority, cr.Age = queue.PriorityElderly, k.cfg.ElderlyAge
			cr.Message = fmt.Sprintf("Bạn được ưu tiên người cao tuổi (từ %d tuổi).", k.cfg.ElderlyAge)
			cr.EN = fmt.Sprintf("You are entitled to elderly priority (aged %d or over).", k.cfg.ElderlyAge)
		} else {
			cr.Message = "Đã đọc thẻ. Bạn lấy số thường."
			cr.EN = "Card read. You get a normal number."
		}
		k.Machine.Touch()
		k.emit(Event{Type: "card", Card: cr})
	case CheckIn, Home:
		if busy(st.Step) {
			return
		}
		k.emit(Event{Type: "card", Card: &CardRead{OK: true, Message: "Đã đọc thẻ, đang tìm lịch hẹn…", EN: "Card read, looking for your booking…"}})
		id := card.IDNumber
		go k.CheckInCard(ctx, id)
	case Precheck:
		if busy(st.Step) {
			return
		}
		k.precheckCard(card)
		k.Machine.Touch()
		k.emit(Event{Type: "card", Card: &CardRead{OK: true, Message: "Đã đọc thẻ; thông tin trên thẻ sẽ được đối chiếu với giấy tờ.",
			EN: "Card read; it will be compared with your papers."}})
	default:
		k.emit(Event{Type: "card", Card: &CardRead{OK: true, Message: "Đã đọc thẻ.", EN: "Card read."}})
	}
}

// Code handles a booking code read by the QR scanner: it checks it in.
func (k *Kiosk) Code(ctx context.Context, code string) {
	st := k.Machine.State()
	if busy(st.Step) || (st.Flow != Home && st.Flow != CheckIn) {
		return
	}
	go k.CheckIn(ctx, code)
}

// Elderly reports whether this session's card entitles to elderly priority.
func (k *Kiosk) Elderly() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.elderly
}

// ElderlyAge is the age from which a card offers elderly priority.
func (k *Kiosk) ElderlyAge() int { return k.cfg.ElderlyAge }

// Emit sends an event to the touchscreen (devices and link report through it).
func (k *Kiosk) Emit(e Event) { k.emit(e) }

// Procedure is a procedure of the catalogue as the lookup flow shows it.
type Procedure struct {
	ID               string           `json:"id"`
	Name             string           `json:"name"`
	NameEN           string           `json:"name_en"`
	Fee              string           `json:"fee"`
	FeeEN            string           `json:"fee_en"`
	ProcessingTime   string           `json:"processing_time"`
	ProcessingTimeEN string           `json:"processing_time_en"`
	Papers           []ProcedurePaper `json:"papers"`
}

// ProcedurePaper is one paper a procedure asks for.
type ProcedurePaper struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
	Note     string `json:"note,omitempty"`
}

// Procedures lists the catalogue's procedures whose name matches query
// (with or without diacritics); all for "".
func (k *Kiosk) Procedures(query string) []Procedure {
	q := Fold(query)
	out := []Procedure{}
	for _, p := range catalogue.Default().Procedures {
		if q != "" && !strings.Contains(Fold(p.Name), q) && !strings.Contains(Fold(p.NameEN), q) {
			continue
		}
		pr := Procedure{ID: p.ID, Name: p.Name, NameEN: p.NameEN, Fee: p.Fee, FeeEN: p.FeeEN,
			ProcessingTime: p.ProcessingTime, ProcessingTimeEN: p.ProcessingTimeEN, Papers: []ProcedurePaper{}}
		for _, d := range p.Documents {
			pr.Papers = append(pr.Papers, ProcedurePaper{Name: d.Name, Required: d.Required, Note: d.Note})
		}
		out = append(out, pr)
	}
	return out
}

// WalkIn reports whether the kiosk issues walk-in numbers now, by the
// centre's window (the same rule the server applies, so it holds offline
// too), and when it opens next when not.
func (k *Kiosk) WalkIn() (open bool, next time.Time) {
	if k.cfg.Link == nil {
		return true, time.Time{}
	}
	centre, ok := k.cfg.Link.Centre()
	if !ok {
		return true, time.Time{} // not configured yet: TakeNumber says so
	}
	return centre.WalkInOpen(k.cfg.Link.Now())
}

// outsideHours is the refusal of a number outside the centre's window.
func outsideHours(next time.Time, loc *time.Location) *Error {
	if next.IsZero() {
		return errorf(http.StatusConflict, "outside_hours", "Hiện ki-ốt không cấp số: trung tâm chưa có giờ làm việc.", "The kiosk issues no numbers now: the centre has no opening hours.")
	}
	lt := next.In(loc)
	return errorf(http.StatusConflict, "outside_hours",
		fmt.Sprintf("Chưa đến giờ cấp số. Ki-ốt cấp số từ %s, %s ngày %s.", lt.Format("15:04"), queue.WeekdayVI(lt.Weekday()), lt.Format("02/01/2006")),
		fmt.Sprintf("Numbers are not issued yet. The kiosk issues numbers from %s on %s %s.", lt.Format("15:04"), lt.Weekday(), lt.Format("02/01/2006")))
}
