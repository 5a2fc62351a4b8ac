// Package localapi is kioskd's HTTP server for its own touchscreen, on
// 127.0.0.1 only: the embedded pages, the local API the pages call
// (services, take a number, check in, pre-check, forms, devices, flow
// steps) and a WebSocket of events (flow steps, card reads, printer
// status, link state, scan progress). With a simulator attached it also serves the demo endpoints
// that tap a sample card or scan a booking QR and show the printed ticket.
package localapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"xephang/kiosk/flow"
	"xephang/kiosk/uplink"
	"xephang/queue-server/queue"
	"xephang/queue-server/strictjson"
)

// Config configures the server.
type Config struct {
	Kiosk   *flow.Kiosk
	Hub     *Hub
	Devices func() []queue.DeviceStatus
	Link    func() uplink.Status
	// Centre tells the centre this kiosk serves: its id, name and IANA
	// time zone (the clock on screen shows the centre's time, whatever
	// zone the machine was installed with).
	Centre func() (id, name, timezone string)
	UI     http.Handler // the touchscreen pages; nil for none
	Log    *slog.Logger
	// Demo, when set, enables /api/demo/… (kioskd -simulate).
	Demo Demo
	// Ping is called on every POST /api/ping of the touchscreen page (the
	// browser watchdog); nil for none.
	Ping func()
	// Addr is the address the server listens on; requests are checked
	// against the port they came in on, this one only when a handler is
	// called without a connection.
	Addr string
}

// Demo is what the demo endpoints drive (*devices.Sim): the simulated
// reader and the simulated printer's job folder.
type Demo interface {
	// TapCard taps a sample card: adult, elderly, mrz or bad; with a
	// simulated chip reader its chip too (chip-altered, chip-unknown,
	// chip-cloned: the adult's QR and a chip altered, signed by an unknown
	// issuer, or copied: its chip authentication fails).
	TapCard(kind string) error
	// ScanCode scans a booking code's QR.
	ScanCode(code string) error
	// JobsDir is where the simulated printer keeps its jobs.
	JobsDir() string
}

// Server is the local HTTP server.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	upgrader websocket.Upgrader
}

// New returns the server with its routes.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096, CheckOrigin: s.checkOrigin}
	s.mux.HandleFunc("GET /api/status", s.handleStatus)
	s.mux.HandleFunc("GET /api/services", s.handleServices)
	s.mux.HandleFunc("GET /api/procedures", s.handleProcedures)
	s.mux.HandleFunc("POST /api/procedures/asked", s.handleAsked)
	s.mux.HandleFunc("POST /api/tickets", s.handleTicket)
	s.mux.HandleFunc("POST /api/check-in", s.handleCheckIn)
	s.mux.HandleFunc("GET /api/devices", s.handleDevices)
	s.mux.HandleFunc("POST /api/flow", s.handleFlow)
	s.mux.HandleFunc("GET /api/events", s.handleEvents)
	s.mux.HandleFunc("POST /api/precheck/start", s.handlePrecheckScan(false))
	s.mux.HandleFunc("POST /api/precheck/more", s.handlePrecheckScan(true))
	s.mux.HandleFunc("GET /api/precheck", s.handlePrecheckResult)
	s.mux.HandleFunc("POST /api/precheck/ticket", s.handlePrecheckTicket)
	s.mux.HandleFunc("GET /api/forms", s.handleForms)
	s.mux.HandleFunc("GET /api/forms/{procedure}", s.handleForm)
	s.mux.HandleFunc("POST /api/forms/{procedure}/check", s.handleFormCheck)
	s.mux.HandleFunc("POST /api/forms/{procedure}/print", s.handleFormPrint)
	s.mux.HandleFunc("POST /api/forms/{procedure}/ticket", s.handleFormTicket)
	s.mux.HandleFunc("POST /api/ping", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Ping != nil {
			s.cfg.Ping()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if cfg.Demo != nil {
		s.mux.HandleFunc("POST /api/demo/card", s.handleDemoCard)
		s.mux.HandleFunc("POST /api/demo/qr", s.handleDemoQR)
		s.mux.HandleFunc("GET /api/demo/tickets/latest.png", s.handleDemoTicket)
	}
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errNoPath)
	})
	if cfg.UI != nil {
		s.mux.Handle("/", cfg.UI)
	}
	return s
}

// ServeHTTP serves requests from this machine only, and of those only the
// ones that come from the kiosk's own pages (see guard).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !Loopback(r.RemoteAddr) {
		http.Error(w, "kioskd serves this machine only", http.StatusForbidden)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	if err := s.guard(r); err != nil {
		s.cfg.Log.Warn("local request refused", "code", err.Code, "method", r.Method, "path", r.URL.Path,
			"host", r.Host, "origin", r.Header.Get("Origin"))
		writeError(w, r, err)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Loopback reports whether a host:port address is on the loopback interface.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decode reads a request body strictly (package strictjson: known fields
// only, each once, in their exact case, one value), at most 4 KiB.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err == nil {
		err = strictjson.Unmarshal(raw, v)
	}
	if err != nil {
		return &flow.Error{Code: "invalid_json", VI: "Yêu cầu không hợp lệ.", EN: "Invalid request: " + err.Error()}
	}
	return nil
}

// Status is GET /api/status: what the screen needs on every page.
type Status struct {
	Centre     string        `json:"centre"`
	CentreName string        `json:"centre_name"`
	Timezone   string        `json:"timezone"` // the centre's IANA zone, for the clock
	Link       uplink.Status `json:"link"`
	Flow       flow.State    `json:"flow"`
	Demo       bool          `json:"demo"`
	Elderly    bool          `json:"elderly"`     // a card read in this session entitles to elderly priority
	ElderlyAge int           `json:"elderly_age"` // from which age
	Precheck   bool          `json:"precheck"`    // this kiosk can pre-check dossiers (scanner + OCR)
	Forms      bool          `json:"forms"`       // this kiosk has forms to fill
	A4         bool          `json:"a4_printer"`  // and an A4 printer to print them
	// WalkIn says whether numbers are issued now (the centre's window)
	// and, when not, from when: the screen still offers the rest.
	WalkIn WalkIn `json:"walk_in"`
}

// WalkIn is the centre's walk-in window as the kiosk applies it.
type WalkIn struct {
	Open    bool   `json:"open"`
	OpensAt string `json:"opens_at,omitempty"` // RFC 3339 in the centre's offset
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st := Status{Flow: s.cfg.Kiosk.Machine.State(), Demo: s.cfg.Demo != nil, Elderly: s.cfg.Kiosk.Elderly(), ElderlyAge: s.cfg.Kiosk.ElderlyAge(),
		Precheck: s.cfg.Kiosk.PrecheckAvailable(), Forms: s.cfg.Kiosk.FormsAvailable(), A4: s.cfg.Kiosk.A4Available()}
	open, next := s.cfg.Kiosk.WalkIn()
	st.WalkIn.Open = open
	if !next.IsZero() {
		st.WalkIn.OpensAt = next.Format(time.RFC3339)
	}
	if s.cfg.Centre != nil {
		st.Centre, st.CentreName, st.Timezone = s.cfg.Centre()
	}
	if s.cfg.Link != nil {
		st.Link = s.cfg.Link()
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleServices(w http.ResponseWriter, r *http.Request) {
	svcs, err := s.cfg.Kiosk.Services(r.URL.Query().Get("q"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, svcs)
}

// handleProcedures answers GET /api/procedures: without q (or with an
// empty one) the pre-check's procedures; with q the answer to a question
// typed in the lookup flow (flow.GuideAnswer), answered offline.
func (s *Server) handleProcedures(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		writeJSON(w, http.StatusOK, s.cfg.Kiosk.Procedures(""))
		return
	}
	if r := []rune(q); len(r) > 200 {
		q = string(r[:200])
	}
	writeJSON(w, http.StatusOK, s.cfg.Kiosk.Ask(q))
}

// AskedRequest is POST /api/procedures/asked: the question the citizen
// asked last on the lookup screen and the procedure they went on with.
type AskedRequest struct {
	Q      string `json:"q"`
	Chosen string `json:"chosen,omitempty"`
}

// handleAsked reports a question to the server, best effort in the
// background (flow.Kiosk.Asked).
func (s *Server) handleAsked(w http.ResponseWriter, r *http.Request) {
	var req AskedRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	s.cfg.Kiosk.Asked(req.Q, req.Chosen)
	w.WriteHeader(http.StatusAccepted)
}

// TicketRequest is POST /api/tickets.
type TicketRequest struct {
	Service  string `json:"service"`
	Priority string `json:"priority,omitempty"`
}

func (s *Server) handleTicket(w http.ResponseWriter, r *http.Request) {
	var req TicketRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	// The print must finish even if the page goes away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	p, err := s.cfg.Kiosk.TakeNumber(ctx, req.Service, req.Priority)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// CheckInRequest is POST /api/check-in.
type CheckInRequest struct {
	Code string `json:"code"`
}

func (s *Server) handleCheckIn(w http.ResponseWriter, r *http.Request) {
	var req CheckInRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	p, err := s.cfg.Kiosk.CheckIn(ctx, req.Code)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) {
	devs := []queue.DeviceStatus{}
	if s.cfg.Devices != nil {
		devs = s.cfg.Devices()
	}
	writeJSON(w, http.StatusOK, devs)
}

// FlowRequest is POST /api/flow: the page starts a flow, moves within
// it, touches (keeps it from timing out) or goes home.
type FlowRequest struct {
	Flow string `json:"flow"`           // home, take-number, check-in, lookup, precheck, form
	Step string `json:"step,omitempty"` // a step of the flow; its first when empty
	// Data is what the step shows (e.g. the chosen service), kept small.
	Data  json.RawMessage `json:"data,omitempty"`
	Touch bool            `json:"touch,omitempty"` // only keep the flow alive
}

func (s *Server) handleFlow(w http.ResponseWriter, r *http.Request) {
	var req FlowRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	m := s.cfg.Kiosk.Machine
	var err error
	switch {
	case req.Touch:
		m.Touch()
	case req.Flow == flow.Home:
		m.Home()
	case req.Flow == flow.Precheck && req.Step == "": // a step within it (insert) is a Go
		err = s.cfg.Kiosk.StartPrecheck()
	case req.Step == "":
		err = m.Start(req.Flow)
	default:
		var data any
		if len(req.Data) > 0 {
			data = req.Data
		}
		err = m.Go(req.Flow, req.Step, data)
	}
	if err != nil {
		writeError(w, r, &flow.Error{Code: "flow", VI: "Thao tác không hợp lệ ở bước này.", EN: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, m.State())
}

// PrecheckRequest is POST /api/precheck/start and /more: scan the papers
// for a procedure (more: add pages to this session's) and check them.
type PrecheckRequest struct {
	Procedure string `json:"procedure,omitempty"`
}

func (s *Server) handlePrecheckScan(more bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req PrecheckRequest
		if r.ContentLength != 0 {
			if err := decode(w, r, &req); err != nil {
				writeError(w, r, err)
				return
			}
		}
		if !more && req.Procedure == "" {
			writeError(w, r, errNoProcedure)
			return
		}
		// Scanning and OCR finish even if the page goes away.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Minute)
		defer cancel()
		v, err := s.cfg.Kiosk.ScanPrecheck(ctx, req.Procedure, more)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) handlePrecheckResult(w http.ResponseWriter, r *http.Request) {
	v, ok := s.cfg.Kiosk.PrecheckResult()
	if !ok {
		// Nothing to get: 404 (taking a number without a result is the
		// flow's 409 of the same code).
		writeErrorStatus(w, r, http.StatusNotFound, errNoResult)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// PrecheckTicketRequest is POST /api/precheck/ticket: take a number with
// the result attached; service only when the result named none.
type PrecheckTicketRequest struct {
	Service  string `json:"service,omitempty"`
	Priority string `json:"priority,omitempty"`
}

func (s *Server) handlePrecheckTicket(w http.ResponseWriter, r *http.Request) {
	var req PrecheckTicketRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			writeError(w, r, err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	v, err := s.cfg.Kiosk.PrecheckTicket(ctx, req.Service, req.Priority)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	sub := s.cfg.Hub.Subscribe()
	defer s.cfg.Hub.Unsubscribe(sub)
	// The current state first, so a page (re)loading knows where it is.
	st := s.cfg.Kiosk.Machine.State()
	first := []flow.Event{{Type: "flow", Flow: &st}}
	if s.cfg.Link != nil {
		ls := s.cfg.Link()
		first = append(first, flow.Event{Type: "link", Link: &ls})
	}
	if s.cfg.Devices != nil {
		first = append(first, flow.Event{Type: "devices", Devices: s.cfg.Devices()})
	}
	for _, e := range first {
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := conn.WriteJSON(e); err != nil {
			return
		}
	}
	// Reads only to notice the page going away.
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-gone:
			return
		case <-r.Context().Done():
			return
		case e, ok := <-sub:
			if !ok {
				return // too slow: the page reconnects and gets the state again
			}
			conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := conn.WriteJSON(e); err != nil {
				return
			}
		case <-ping.C:
			conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// DemoCardRequest is POST /api/demo/card: which sample card to tap.
type DemoCardRequest struct {
	Kind string `json:"kind"` // adult (QR), elderly (QR), mrz, bad, chip-altered, chip-unknown, chip-cloned
}

func (s *Server) handleDemoCard(w http.ResponseWriter, r *http.Request) {
	var req DemoCardRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	switch req.Kind {
	case "":
		req.Kind = "adult"
	case "adult", "elderly", "mrz", "bad", "chip-altered", "chip-unknown", "chip-cloned":
	default:
		writeError(w, r, errSampleCard)
		return
	}
	if err := s.cfg.Demo.TapCard(req.Kind); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) handleDemoQR(w http.ResponseWriter, r *http.Request) {
	var req CheckInRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.cfg.Demo.ScanCode(strings.TrimSpace(req.Code)); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// handleDemoTicket serves the latest printed ticket's picture.
func (s *Server) handleDemoTicket(w http.ResponseWriter, r *http.Request) {
	names, _ := filepath.Glob(filepath.Join(s.cfg.Demo.JobsDir(), "*.png"))
	sort.Strings(names)
	if len(names) == 0 {
		writeError(w, r, errNothingPrinted)
		return
	}
	f, err := os.Open(names[len(names)-1])
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	io.Copy(w, f)
}

// Hub fans events out to the open WebSockets. A subscriber that does not
// keep up is dropped (its channel closed) rather than slow the kiosk.
type Hub struct {
	mu   sync.Mutex
	subs map[chan flow.Event]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan flow.Event]struct{}{}} }

// subscriberBuffer is how many events a subscriber may fall behind
// before it is dropped (its page reconnects): the OCR of a dossier sends
// progress in bursts while it takes the CPU the writer needs.
const subscriberBuffer = 512

// Subscribe returns a channel of the events from now on.
func (h *Hub) Subscribe() chan flow.Event {
	ch := make(chan flow.Event, subscriberBuffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

// Unsubscribe stops the events of ch.
func (h *Hub) Unsubscribe(ch chan flow.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// Publish sends e to every subscriber.
func (h *Hub) Publish(e flow.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
			delete(h.subs, ch)
			close(ch)
		}
	}
}
