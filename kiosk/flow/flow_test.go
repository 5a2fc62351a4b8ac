package flow

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
	"xephang/kiosk/outbox"
	"xephang/queue-server/procedures"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

func TestMachineTransitions(t *testing.T) {
	tests := []struct {
		name  string
		steps [][2]string // flow, step
		ok    []bool
	}{
		{"take a number", [][2]string{{TakeNumber, StepChooseService}, {TakeNumber, StepCard}, {TakeNumber, StepPrinting}, {TakeNumber, StepPrinted}}, []bool{true, true, true, true}},
		{"no printed without printing", [][2]string{{TakeNumber, StepChooseService}, {TakeNumber, StepPrinted}}, []bool{true, false}},
		{"check-in by entering a flow", [][2]string{{CheckIn, StepScan}, {CheckIn, StepCheckingIn}, {CheckIn, StepFailed}, {CheckIn, StepScan}}, []bool{true, true, true, true}},
		{"lookup", [][2]string{{Lookup, StepList}, {Lookup, StepDetail}, {Lookup, StepList}}, []bool{true, true, true}},
		{"busy step not left", [][2]string{{TakeNumber, StepChooseService}, {TakeNumber, StepPrinting}, {Lookup, StepList}}, []bool{true, true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMachine(Timeouts{}, nil, nil)
			for i, s := range tc.steps {
				err := m.Go(s[0], s[1], nil)
				if (err == nil) != tc.ok[i] {
					t.Fatalf("step %d %v: %v", i, s, err)
				}
			}
		})
	}
}

func TestMachineGoesHomeAfterIdleButNotWhileBusy(t *testing.T) {
	var mu sync.Mutex
	var states []State
	homes := make(chan struct{}, 10)
	m := NewMachine(Timeouts{Idle: 50 * time.Millisecond, Result: 80 * time.Millisecond},
		func(s State) { mu.Lock(); states = append(states, s); mu.Unlock() }, func() { homes <- struct{}{} })
	if err := m.Start(TakeNumber); err != nil {
		t.Fatal(err)
	}
	// Touches keep it alive past the idle timeout.
	for range 4 {
		time.Sleep(25 * time.Millisecond)
		m.Touch()
	}
	if st := m.State(); st.Flow != TakeNumber {
		t.Fatalf("went home despite touches: %+v", st)
	}
	waitHome(t, homes)
	if err := m.Enter(TakeNumber, StepPrinting, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(120 * time.Millisecond)
	if st := m.State(); st.Step != StepPrinting || !st.Until.IsZero() {
		t.Fatalf("a busy step timed out: %+v", st)
	}
	m.Home() // ignored while printing
	if err := m.Go(TakeNumber, StepPrinted, nil); err != nil {
		t.Fatal(err)
	}
	waitHome(t, homes)
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(states); i++ {
		if states[i].Seq <= states[i-1].Seq {
			t.Errorf("seq does not grow: %+v", states)
		}
	}
}

func waitHome(t *testing.T, homes chan struct{}) {
	t.Helper()
	select {
	case <-homes:
	case <-time.After(2 * time.Second):
		t.Fatal("never went home")
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"Hộ tịch": "ho tich", "ĐẤT  ĐAI": "dat dai", "Chứng thực": "chung thuc", "Land": "land"} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// Fakes for the kiosk's tests.
type fakePrinter struct {
	mu      sync.Mutex
	status  escpos.Status
	printed []escpos.Ticket
	docs    [][]byte
	fail    error
}

func (p *fakePrinter) Status(context.Context) (escpos.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status, nil
}

func (p *fakePrinter) PrintTicket(_ context.Context, t escpos.Ticket) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.status.CanPrint() {
		return &escpos.StatusError{Status: p.status}
	}
	if p.fail != nil {
		return p.fail
	}
	p.printed = append(p.printed, t)
	return nil
}

func (p *fakePrinter) Write(_ context.Context, b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.docs = append(p.docs, b)
	return nil
}

func (p *fakePrinter) Profile() escpos.Profile {
	prof, _ := escpos.ProfileByName("epson-cp1258")
	return prof
}

type fakeLink struct {
	centre    queue.Centre
	kicks     int
	suspended string
}

func (l *fakeLink) Suspended() string { return l.suspended }

func (l *fakeLink) Online() bool                 { return false }
func (l *fakeLink) Centre() (queue.Centre, bool) { return l.centre, true }
func (l *fakeLink) Now() time.Time               { return time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC) }
func (l *fakeLink) Today() string                { return "2026-11-24" }
func (l *fakeLink) Failed(error)                 {}
func (l *fakeLink) Reached()                     {}
func (l *fakeLink) Kick()                        { l.kicks++ }

func newOfflineKiosk(t *testing.T) (*Kiosk, *fakePrinter, *outbox.Store, chan Event) {
	t.Helper()
	st, err := outbox.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.AddBlock(outbox.Block{ID: "b", Service: "A", Day: "2026-11-24", From: 101, To: 102})
	c := queue.Centre{ID: "c", Name: "Trung tâm Phục vụ hành chính công phường Thử", Timezone: "Asia/Ho_Chi_Minh",
		Services: []queue.Service{{Code: "A", Name: "Hộ tịch", NameEn: "Civil status"}, {Code: "C", Name: "Đất đai"}},
		Counters: []queue.CounterConfig{{Number: 1, Services: []string{"A"}}, {Number: 3, Services: []string{"A", "C"}}}}
	storetest.AlwaysOpen(&c)
	pr := &fakePrinter{}
	events := make(chan Event, 100)
	k := New(Config{Centre: "c", Link: &fakeLink{centre: c}, Store: st, Printer: pr, Log: slog.New(slog.DiscardHandler), Guide: CatalogueGuide(procedures.Default()),
		Emit: func(e Event) {
			select {
			case events <- e:
			default:
			}
		}})
	return k, pr, st, events
}

func TestTakeNumberOffline(t *testing.T) {
	k, pr, st, _ := newOfflineKiosk(t)
	ctx := context.Background()

	// The printer cannot print: refused before a number is taken, saying why.
	pr.status = escpos.Status{PaperOut: true, Offline: true}
	_, err := k.TakeNumber(ctx, "A", "")
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != "printer" || fe.VI == "" {
		t.Fatalf("paper out: %v", err)
	}
	if n, _, _ := st.Left("2026-11-24"); n["A"] != 2 {
		t.Errorf("a number was used for a refused ticket: %v", n)
	}
	pr.status = escpos.Status{}

	p, err := k.TakeNumber(ctx, "A", "")
	if err != nil || p.Number != "A101" || !p.Offline || p.Ahead != -1 || p.Counters != "1, 3" {
		t.Fatalf("offline ticket: %+v %v", p, err)
	}
	if got := pr.printed[0]; got.Number != "A101" || got.TrackURL != "" || got.Counter != "1, 3" {
		t.Errorf("printed %+v", got)
	}
	if st := k.Machine.State(); st.Step != StepPrinted {
		t.Errorf("state %+v", st)
	}
	// Elderly priority needs a card read in this session.
	if _, err := k.TakeNumber(ctx, "A", "elderly"); !errors.As(err, &fe) || fe.Code != "priority_needs_card" {
		t.Fatalf("elderly without card: %v", err)
	}
	k.Machine.Start(TakeNumber)
	card, _ := idcard.ParseQR(idcardsim.SampleElderlyQR, time.Now())
	k.Card(ctx, idcard.Event{Card: card})
	if !k.Elderly() {
		t.Fatal("the elderly card did not offer priority")
	}
	if p, err := k.TakeNumber(ctx, "A", "elderly"); err != nil || p.Priority != "elderly" || p.Number != "A102" {
		t.Fatalf("elderly: %+v %v", p, err)
	}
	// The blocks ran dry: the screen says so, no number is invented.
	if _, err := k.TakeNumber(ctx, "A", ""); !errors.As(err, &fe) || fe.Code != "no_numbers" {
		t.Fatalf("dry: %v", err)
	}
	if _, err := k.TakeNumber(ctx, "Z", ""); !errors.As(err, &fe) || fe.Code != "unknown_service" {
		t.Fatalf("unknown service: %v", err)
	}
	pend, _ := st.Tickets(outbox.Pending)
	if len(pend) != 2 || pend[1].Priority != "elderly" {
		t.Errorf("outbox %+v", pend)
	}
	// Going home forgets the card.
	k.Machine.Home()
	time.Sleep(20 * time.Millisecond)
	if k.Elderly() {
		t.Error("the session's card outlived the session")
	}
}

func TestPrintFailureKeepsOrVoids(t *testing.T) {
	k, pr, st, _ := newOfflineKiosk(t)
	pr.fail = errors.New("escpos: print: input/output error")
	if _, err := k.TakeNumber(context.Background(), "A", ""); err == nil {
		t.Fatal("no error")
	}
	pend, _ := st.Tickets(outbox.Pending)
	if len(pend) != 1 {
		t.Errorf("a ticket that may have printed left the outbox: %+v", pend)
	}
}

func TestServicesSearch(t *testing.T) {
	k, _, _, _ := newOfflineKiosk(t)
	for q, want := range map[string]int{"": 2, "ho tich": 1, "HỘ": 1, "civil": 1, "dat": 1, "c": 2, "xyz": 0} {
		got, err := k.Services(q)
		if err != nil || len(got) != want {
			t.Errorf("Services(%q) = %d, %v; want %d", q, len(got), err, want)
		}
	}
	if got := k.Procedures("khai sinh"); len(got) != 1 || len(got[0].Papers) == 0 {
		t.Errorf("procedures: %+v", got)
	}
}

func TestBadCardSaysSo(t *testing.T) {
	k, _, _, events := newOfflineKiosk(t)
	k.Machine.Start(TakeNumber)
	k.Card(context.Background(), idcard.Event{Err: idcard.ErrUnrecognised})
	for {
		select {
		case e := <-events:
			if e.Type == "card" {
				if e.Card.OK || e.Card.Message == "" {
					t.Errorf("%+v", e.Card)
				}
				return
			}
		case <-time.After(time.Second):
			t.Fatal("no card event")
		}
	}
}

// Outside the centre's walk-in window the kiosk prints nothing, online or
// not (the rule is the server's, applied from the kiosk's copy of the
// centre), and says when numbers are issued again.
func TestTakeNumberOutsideWindow(t *testing.T) {
	k, pr, st, _ := newOfflineKiosk(t)
	link := k.cfg.Link.(*fakeLink)
	link.centre.Hours = []queue.Hours{{Weekday: 1, Open: "07:30", Close: "17:00"}} // Mondays; the link's now is a Tuesday
	if open, next := k.WalkIn(); open || next.Format(time.RFC3339) != "2026-11-30T07:00:00+07:00" {
		t.Fatalf("WalkIn = %v %v", open, next)
	}
	_, err := k.TakeNumber(context.Background(), "A", "")
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != "outside_hours" ||
		!strings.Contains(fe.VI, "07:00, Thứ Hai ngày 30/11/2026") || !strings.Contains(fe.EN, "07:00 on Monday 30/11/2026") {
		t.Fatalf("outside the window: %#v", err)
	}
	if len(pr.printed) != 0 {
		t.Error("printed a ticket outside the window")
	}
	if n, _, _ := st.Left("2026-11-24"); n["A"] != 2 {
		t.Errorf("a leased number was used: %v", n)
	}
}

// TestKioskPriorityGroups: per group, what the kiosk grants. Elderly needs
// a card of that age; the other groups are printed as a priority to be
// confirmed at the counter (the server marks them so too).
func TestKioskPriorityGroups(t *testing.T) {
	cases := []struct {
		priority string
		card     bool
		code     string // refusal
		pending  bool
	}{
		{"normal", false, "", false},
		{"elderly", false, "priority_needs_card", false},
		{"elderly", true, "", false},
		{"disabled", false, "", true},
		{"pregnant", false, "", true},
		{"child", false, "", true},
		{"merit", false, "", true},
		{"vip", false, "invalid_priority", false},
	}
	for _, c := range cases {
		t.Run(c.priority, func(t *testing.T) {
			k, pr, _, _ := newOfflineKiosk(t)
			ctx := context.Background()
			if c.card {
				k.Machine.Start(TakeNumber)
				card, _ := idcard.ParseQR(idcardsim.SampleElderlyQR, time.Now())
				k.Card(ctx, idcard.Event{Card: card})
			}
			p, err := k.TakeNumber(ctx, "A", c.priority)
			var fe *Error
			if c.code != "" {
				if !errors.As(err, &fe) || fe.Code != c.code || len(pr.printed) != 0 {
					t.Fatalf("%v, want %s and nothing printed", err, c.code)
				}
				return
			}
			if err != nil || p.Priority != c.priority || p.PriorityPending != c.pending || len(pr.printed) != 1 {
				t.Fatalf("%+v %v", p, err)
			}
			footer := pr.printed[0].Footer
			if c.pending != strings.Contains(footer, "xác nhận tại quầy") {
				t.Fatalf("footer %q (pending %v)", footer, c.pending)
			}
			if c.priority != "normal" && !strings.Contains(footer, "Ưu tiên: ") {
				t.Fatalf("footer %q", footer)
			}
		})
	}
}

func TestAskAnswersWithTheCentresService(t *testing.T) {
	k, _, _, _ := newOfflineKiosk(t)
	a := k.Ask("lam giay khai sinh cho con")
	if !a.Understood || a.Best == nil || a.Best.ID != "khai-sinh" || !a.Best.Precheck || len(a.Best.Papers) == 0 {
		t.Fatalf("answer: %+v", a)
	}
	if a.Best.Service == nil || a.Best.Service.Code == "" {
		t.Errorf("no service of the centre for khai-sinh: %+v", a.Best)
	}
	if a.Counter == 0 {
		t.Errorf("no counter to ask at: %+v", a)
	}
	if b := k.Ask("thời tiết hôm nay"); b.Understood || b.Best != nil || b.Counter == 0 {
		t.Errorf("a question about nothing: %+v", b)
	}
}

func TestQuestionWithPersonalDataIsNotSent(t *testing.T) {
	for q, want := range map[string]bool{
		"làm giấy khai sinh": false, "cccd 001095012345": true, "sdt 0912 345 678": true, "an@example.vn": true,
		"năm 2024 tháng 12": false, "thửa số 123 tờ 45": false,
	} {
		// Asked sends nothing the domain's check refuses.
		if _, err := queue.CheckProcedureQuestion(q); (err != nil) != want {
			t.Errorf("CheckProcedureQuestion(%q) = %v, want refused %v", q, err, want)
		}
	}
}
