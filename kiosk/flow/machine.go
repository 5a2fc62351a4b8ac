// Package flow holds the kiosk's citizen flows — take a number, check in
// a booking, look up a procedure, pre-check a dossier, fill a form — as state machines
// with timeouts, and the work behind their steps: issuing online or from a
// leased block, printing, checking in.
//
// Each step change is reported (Config.Emit) so the touchscreen follows
// it over the local WebSocket; after a period without a touch the machine
// goes back home on its own, forgetting what the last citizen did.
package flow

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Flows.
const (
	Home       = "home"
	TakeNumber = "take-number"
	CheckIn    = "check-in"
	Lookup     = "lookup"
	Precheck   = "precheck"
	Form       = "form"
)

// Steps.
const (
	StepHome          = "home"
	StepChooseService = "choose-service"   // take-number: pick a service (search by name)
	StepCard          = "card"             // take-number: a service is chosen; a card tap may offer priority
	StepScan          = "scan"             // check-in: waiting for the booking QR, a typed code or the card
	StepCheckingIn    = "checking-in"      // check-in: asking the server
	StepPrinting      = "printing"         // printing the ticket
	StepPrinted       = "printed"          // the number is on screen
	StepFailed        = "failed"           // why it did not work, in words
	StepList          = "list"             // lookup: the procedures
	StepDetail        = "detail"           // lookup: one procedure
	StepUnavailable   = "unavailable"      // precheck: no scanner or no OCR on this kiosk
	StepChooseProc    = "choose-procedure" // precheck: pick the procedure
	StepInsert        = "insert"           // precheck: "put your papers in the scanner"
	StepScanning      = "scanning"         // precheck: the scanner runs (progress events)
	StepChecking      = "checking"         // precheck: OCR and the checks (progress events)
	StepResult        = "result"           // precheck: per document present/missing/unreadable/inconsistent
	StepFill          = "fill"             // form: the form on screen, prefilled from the card read (or by hand)
)

// first is each flow's first step.
var first = map[string]string{
	Home: StepHome, TakeNumber: StepChooseService, CheckIn: StepScan, Lookup: StepList, Precheck: StepChooseProc,
	Form: StepChooseProc,
}

// transitions are the allowed step changes within a flow.
var transitions = map[string]map[string][]string{
	TakeNumber: {
		StepChooseService: {StepChooseService, StepCard, StepPrinting},
		StepCard:          {StepCard, StepChooseService, StepPrinting},
		StepPrinting:      {StepPrinted, StepFailed},
		StepFailed:        {StepChooseService, StepCard, StepPrinting},
		StepPrinted:       {StepChooseService},
	},
	CheckIn: {
		StepScan:       {StepScan, StepCheckingIn},
		StepCheckingIn: {StepPrinting, StepFailed},
		StepPrinting:   {StepPrinted, StepFailed},
		StepFailed:     {StepScan, StepCheckingIn},
		StepPrinted:    {StepScan},
	},
	Lookup: {StepList: {StepList, StepDetail}, StepDetail: {StepList, StepDetail}},
	Precheck: {
		StepUnavailable: {},
		StepChooseProc:  {StepChooseProc, StepInsert, StepUnavailable},
		StepInsert:      {StepChooseProc, StepInsert, StepUnavailable},
		StepScanning:    {StepChecking, StepFailed},
		StepChecking:    {StepResult, StepFailed},
		StepResult:      {StepChooseProc, StepInsert, StepResult},
		StepPrinting:    {StepPrinted, StepFailed},
		StepFailed:      {StepChooseProc, StepInsert, StepResult},
		StepPrinted:     {StepChooseProc},
	},
	// Form: choose the procedure, "put your card on the reader" (or fill
	// by hand), fill, then print the form or take a number with it.
	Form: {
		StepChooseProc: {StepChooseProc, StepCard, StepFill},
		StepCard:       {StepCard, StepChooseProc, StepFill},
		StepFill:       {StepFill, StepCard, StepChooseProc},
		StepPrinting:   {StepPrinted, StepFailed},
		StepFailed:     {StepFill, StepCard, StepChooseProc},
		StepPrinted:    {StepChooseProc, StepFill},
	},
}

// busy steps are not interrupted: a ticket half printed must finish.
func busy(step string) bool {
	return step == StepPrinting || step == StepCheckingIn || step == StepScanning || step == StepChecking
}

// State is where the kiosk is: the flow, its step, and what the step shows.
type State struct {
	Flow string `json:"flow"`
	Step string `json:"step"`
	// Data is what the screen shows at this step (a printed ticket, an error…).
	Data any `json:"data,omitempty"`
	// Seq grows with every change, so a page can ignore stale messages.
	Seq uint64 `json:"seq"`
	// Until is when the machine goes home by itself; zero while busy.
	Until time.Time `json:"until,omitzero"`
}

// Timeouts of the machine.
type Timeouts struct {
	Idle   time.Duration // without a touch, back home (60 s when zero)
	Result time.Duration // a printed number or an error stays this long (20 s when zero)
}

// ErrTransition is a step change the flow does not allow.
type ErrTransition struct{ Flow, From, To string }

func (e *ErrTransition) Error() string {
	return fmt.Sprintf("flow: %s: cannot go from %s to %s", e.Flow, e.From, e.To)
}

// Machine is the kiosk's current flow and step.
type Machine struct {
	mu     sync.Mutex
	st     State
	to     Timeouts
	timer  *time.Timer
	emit   func(State)
	onHome func()
	now    func() time.Time
}

// NewMachine returns a machine at home; emit (if not nil) is called with
// every new state, onHome (if not nil) when it goes home.
func NewMachine(to Timeouts, emit func(State), onHome func()) *Machine {
	if to.Idle <= 0 {
		to.Idle = 60 * time.Second
	}
	if to.Result <= 0 {
		to.Result = 20 * time.Second
	}
	return &Machine{st: State{Flow: Home, Step: StepHome}, to: to, emit: emit, onHome: onHome, now: time.Now}
}

// State returns the current state.
func (m *Machine) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// Start begins a flow at its first step (Home goes home). A busy step is
// not left.
func (m *Machine) Start(flow string) error {
	step, ok := first[flow]
	if !ok {
		return fmt.Errorf("flow: unknown flow %q", flow)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if busy(m.st.Step) {
		return &ErrTransition{Flow: m.st.Flow, From: m.st.Step, To: flow}
	}
	m.set(flow, step, nil)
	return nil
}

// Go moves to step within flow; if the kiosk is in another flow (and not
// busy) the flow starts first, so an action of the API is enough to enter
// its flow.
func (m *Machine) Go(flow, step string, data any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st.Flow != flow {
		if busy(m.st.Step) {
			return &ErrTransition{Flow: m.st.Flow, From: m.st.Step, To: step}
		}
		f, ok := first[flow]
		if !ok {
			return fmt.Errorf("flow: unknown flow %q", flow)
		}
		if f == step {
			m.set(flow, step, data)
			return nil
		}
		m.st.Flow, m.st.Step = flow, f // entered silently, then checked below
	}
	if !slices.Contains(transitions[flow][m.st.Step], step) {
		return &ErrTransition{Flow: flow, From: m.st.Step, To: step}
	}
	m.set(flow, step, data)
	return nil
}

// Enter moves to a busy step of flow from wherever the kiosk is, unless
// it is busy already: an action of the local API (take a number, check in)
// is a whole request in itself, whatever the screen showed before.
func (m *Machine) Enter(flow, step string, data any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if busy(m.st.Step) {
		return &ErrTransition{Flow: m.st.Flow, From: m.st.Step, To: step}
	}
	if _, ok := transitions[flow][step]; !ok || !busy(step) {
		return fmt.Errorf("flow: %s: %s is not an action step", flow, step)
	}
	m.set(flow, step, data)
	return nil
}

// Touch records a citizen's touch: the idle timeout starts again.
func (m *Machine) Touch() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st.Flow != Home && !busy(m.st.Step) {
		m.st.Seq++
		m.arm(m.to.Idle)
		m.send()
	}
}

// Home goes home unless a step is busy.
func (m *Machine) Home() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !busy(m.st.Step) {
		m.set(Home, StepHome, nil)
	}
}

// set changes the state and arms the timer; m.mu is held.
func (m *Machine) set(flow, step string, data any) {
	m.st = State{Flow: flow, Step: step, Data: data, Seq: m.st.Seq + 1}
	switch {
	case flow == Home:
		m.arm(0)
	case busy(step):
		m.arm(0)
	case step == StepPrinted || step == StepFailed:
		m.arm(m.to.Result)
	default:
		m.arm(m.to.Idle)
	}
	m.send()
	if flow == Home && m.onHome != nil {
		go m.onHome()
	}
}

func (m *Machine) send() {
	if m.emit != nil {
		m.emit(m.st)
	}
}

// arm (re)starts the timer that goes home after d; 0 stops it.
func (m *Machine) arm(d time.Duration) {
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	m.st.Until = time.Time{}
	if d <= 0 {
		return
	}
	seq := m.st.Seq
	m.st.Until = m.now().Add(d)
	m.timer = time.AfterFunc(d, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		// Only the timer of the current state may go home.
		if m.st.Seq == seq && !busy(m.st.Step) && m.st.Flow != Home {
			m.set(Home, StepHome, nil)
		}
	})
}
