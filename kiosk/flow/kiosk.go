package flow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/scanner"
	"xephang/kiosk/outbox"
	"xephang/kiosk/precheck"
	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/forms"
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
	// Guide answers the lookup flow's questions (the procedure
	// catalogue's Ask); nil: the pre-check's catalogue answers by the
	// words of its procedures' names.
	Guide Guide
	// Digitise makes one searchable PDF per document of a pre-checked
	// dossier from the pages as the OCR saw them (digitise.Documents); nil
	// when the kiosk keeps no documents.
	Digitise func(res *precheck.Result, pages []precheck.PageText) ([]outbox.Document, error)
	// Forms are the procedures' forms (forms.Default()); nil: this kiosk
	// has none. CardPerson turns a card read into what a form is
	// prefilled from (formfill.Person). RenderForm renders a filled form
	// (forms' PDF when nil); A4 prints it (nil: no A4 printer).
	Forms      *forms.Set
	CardPerson func(*idcard.Card) forms.Person
	RenderForm FormRenderer
	A4         A4Printer
	// Dossiers sends a ticket's form at once when the server answers
	// (uplink.ClientDossiers); nil leaves it to the link's replay.
	Dossiers uplink.Dossiers
	// Chip reads the chip of a card read optically (nil: no chip reader);
	// Identities sends what it gave with the ticket at once
	// (uplink.ClientIdentities; nil leaves it to the link's replay).
	Chip       ChipReader
	Identities uplink.Identities
}

// Event is one message to the touchscreen over the local WebSocket.
type Event struct {
	Type    string               `json:"type"` // flow, card, chip, code, printer, link, devices, scan
	Flow    *State               `json:"flow,omitempty"`
	Card    *CardRead            `json:"card,omitempty"`
	Printer *escpos.Status       `json:"printer,omitempty"`
	Reason  string               `json:"reason,omitempty"`
	Link    *uplink.Status       `json:"link,omitempty"`
	Devices []queue.DeviceStatus `json:"devices,omitempty"`
	Scan    *ScanProgress        `json:"scan,omitempty"`
	Check   *CheckProgress       `json:"check,omitempty"`
	Chip    *ChipProgress        `json:"chip,omitempty"`
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
	elderly bool   // a card read in this session entitles to elderly priority
	cardID  string // the CCCD number of a card read in this session's take-number flow
	pre     *precheckSession
	fcard   *idcard.Card // the card read in this session's form flow
	// chipID is the identity of this session's chip read (for the
	// ticket), opticalAt when the last optical read came; chipBusy counts
	// chip reads running.
	chipID    json.RawMessage
	opticalAt time.Time
	chipBusy  atomic.Int32
	printMu   sync.Mutex
	a4Mu      sync.Mutex
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
	k.cardID = ""
	k.pre = nil // the pages, the card and the result go with the citizen
	k.fcard = nil
	k.chipID = nil // the face goes with the citizen
	k.mu.Unlock()
}

// Fold lower-cases s and removes its diacritics (đ → d), so "ho tich"
// finds "Hộ tịch".
func Fold(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(idcard.Unmark(s))), " ")
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

// exclusive takes the printer for one citizen's step, refusing when
// another is printing (busy) or the server does not serve this kiosk;
// release gives it back.
func (k *Kiosk) exclusive() (release func(), err error) {
	if !k.printMu.TryLock() {
		return nil, errBusy
	}
	if err := k.serving(); err != nil {
		k.printMu.Unlock()
		return nil, err
	}
	return k.printMu.Unlock, nil
}

// begin is exclusive, then the centre's configuration (not_ready before
// the kiosk has it).
func (k *Kiosk) begin() (queue.Centre, func(), error) {
	release, err := k.exclusive()
	if err != nil {
		return queue.Centre{}, nil, err
	}
	centre, ok := k.cfg.Link.Centre()
	if !ok {
		release()
		return queue.Centre{}, nil, errNotReady
	}
	return centre, release, nil
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

// newKey returns a fresh idempotency key.
func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "kiosk-" + hex.EncodeToString(b)
}

// finish shows the result of a printing step.
func (k *Kiosk) finish(flow string, p Printed, err error) {
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			fe = errInternal
		}
		k.Machine.Go(flow, StepFailed, fe)
		return
	}
	k.Machine.Go(flow, StepPrinted, p)
}

// Elderly reports whether this session's card entitles to elderly priority.
func (k *Kiosk) Elderly() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.elderly
}

// cardUsed ends what a card read gave once its ticket printed: one card,
// one number (the next citizen may touch "take a number" before the
// screen goes home by itself).
func (k *Kiosk) cardUsed() {
	k.mu.Lock()
	k.elderly, k.cardID, k.chipID = false, "", nil
	k.mu.Unlock()
}

// cardNumber is the CCCD number of the card read in this session's
// take-number flow ("" when none was).
func (k *Kiosk) cardNumber() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cardID
}

// ElderlyAge is the age from which a card offers elderly priority.
func (k *Kiosk) ElderlyAge() int { return k.cfg.ElderlyAge }

// Emit sends an event to the touchscreen (devices and link report through it).
func (k *Kiosk) Emit(e Event) { k.emit(e) }
