package queue

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// IssueRequest asks for a new ticket.
type IssueRequest struct {
	Service   string
	Priority  string
	Key       string // idempotency key: the same key returns the same ticket
	Source    string
	Kiosk     string
	Booking   string     // booking code when checked in from a booking
	SlotStart *time.Time // the booking's slot start: its place in the queue

	// A ticket a kiosk printed while the server was unreachable: its number
	// from a block leased to that kiosk, and when it printed.
	Number   string
	IssuedAt time.Time

	// Citizen is the keyed hash of the CCCD number when the citizen is
	// identified (an online number, a kiosk ticket after a card read):
	// the per-citizen daily limit applies.
	Citizen string
	// Notify, when set, is how the citizen asked to be told; Actor who
	// asked (for the audit log).
	Notify *NotifyRequest
	Actor  string
}

// MaxKeyLen bounds idempotency keys.
const MaxKeyLen = 128

// TicketByKey returns the live ticket issued with the idempotency key.
func (l *Live) TicketByKey(key string) (Ticket, bool) {
	if id, ok := l.byKey[key]; ok {
		if t, ok := l.tickets[id]; ok {
			return *t, true
		}
	}
	return Ticket{}, false
}

// Issue hands out a new ticket: the next number of the service for the
// centre's local day. It does not look up idempotency keys of tickets no
// longer live: engine.Tx.IssueOnce checks the store first.
func (l *Live) Issue(now time.Time, r IssueRequest) (Ticket, error) {
	l.Roll(now)
	if r.Priority == "" {
		r.Priority = PriorityNormal
	}
	if _, ok := l.cfg.Service(r.Service); !ok {
		return Ticket{}, Errorf(ENotFound, "unknown service %q", "không có lĩnh vực %q", r.Service)
	}
	if !ValidPriority(r.Priority) {
		return Ticket{}, Errorf(EInvalid, "priority %q: normal, elderly, disabled, pregnant, child or merit", "đối tượng ưu tiên %q không hợp lệ", r.Priority)
	}
	if len(r.Key) > MaxKeyLen || !utf8.ValidString(r.Key) {
		return Ticket{}, Errorf(EInvalid, "idempotency_key: at most %d bytes of UTF-8", "idempotency_key: tối đa %d byte UTF-8", MaxKeyLen)
	}
	if r.Key != "" {
		if t, ok := l.TicketByKey(r.Key); ok {
			return t, nil
		}
	}
	// A kiosk grants only what it can check: the other groups wait for
	// the counter's confirmation (the kiosk cannot be trusted to have
	// asked for proof, and a stolen kiosk credential grants nothing more).
	pending := (r.Source == SourceKiosk || r.Kiosk != "") && !KioskGrants(r.Priority)
	if r.Number != "" {
		return l.issueOffline(now, r, pending)
	}
	if r.Source == SourceKiosk && r.Booking == "" {
		if open, next := l.cfg.WalkInOpen(now); !open {
			return Ticket{}, OutsideHours(next, l.cfg.Location())
		}
	}
	if r.Source == SourceOnline {
		if r.Priority != PriorityNormal {
			return Ticket{}, Errorf(EInvalid, "a priority cannot be claimed online: staff set it at the counter", "không thể đăng ký ưu tiên trực tuyến: cán bộ xác nhận tại quầy").At("priority")
		}
		if r.Citizen == "" {
			return Ticket{}, Errorf(EInvalid, "a CCCD number is required", "cần số căn cước công dân").At("citizen.id_number")
		}
		if !l.cfg.OnlineOpen(now) {
			return Ticket{}, Errorf(EOutsideHours, "online numbers are taken from %s to %s on working days", "chỉ lấy số trực tuyến từ %s đến %s các ngày làm việc", l.cfg.Rules.OnlineFrom, l.cfg.Rules.OnlineUntil)
		}
	}
	if r.Citizen != "" && r.Number == "" {
		if err := l.checkDailyNumbers(r.Citizen, l.day, 0); err != nil {
			return Ticket{}, err
		}
	}
	if r.Notify != nil {
		if _, err := l.contact(now, *r.Notify, RefTicket, "", now); err != nil {
			return Ticket{}, err
		}
	}
	key := NumberKey(l.day, r.Service)
	seq := l.nextOnline(l.day, r.Service)
	l.numbers[key] = seq
	l.dirtyNum[key] = true
	t := &Ticket{
		ID:        TicketID(l.day, l.newID()),
		Centre:    l.cfg.ID,
		Number:    FormatNumber(r.Service, seq),
		Service:   r.Service,
		Seq:       seq,
		Day:       l.day,
		Priority:  r.Priority,
		Status:    StatusWaiting,
		IssuedAt:  now,
		OrderAt:   now,
		Booking:   r.Booking,
		Source:    r.Source,
		Kiosk:     r.Kiosk,
		Key:       r.Key,
		SlotStart: r.SlotStart,
	}
	t.PriorityPending = pending
	t.Citizen = r.Citizen
	if r.SlotStart != nil {
		t.OrderAt = *r.SlotStart
	}
	l.tickets[t.ID] = t
	if t.Key != "" {
		l.byKey[t.Key] = t.ID
	}
	l.touchTicket(t)
	// The first estimate is kept to measure the estimator against real waits.
	if _, w, ok := l.Estimate(now, t.ID); ok {
		secs := int(w / time.Second)
		t.FirstEstimate = &secs
	}
	l.emit(now, Event{Type: EventIssued, Ticket: eventTicket(t)})
	if r.Notify != nil && !r.Notify.Empty() {
		if err := l.notifyTicket(now, t, *r.Notify, r.Actor); err != nil {
			panic(err) // checked above
		}
		if t.Source == SourceOnline {
			l.tellTicket(now, t, TopicIssued, nil)
		}
	}
	return *t, nil
}

func (l *Live) counter(n int) (*Counter, CounterConfig, error) {
	cfg, ok := l.cfg.Counter(n)
	c, ok2 := l.counters[n]
	if !ok || !ok2 {
		return nil, cfg, Errorf(ENotFound, "no counter %d", "không có quầy %d", n)
	}
	return c, cfg, nil
}

func (l *Live) current(c *Counter) (*Ticket, error) {
	if c.Current == "" {
		return nil, Errorf(ENoCurrent, "counter %d is serving no ticket", "quầy %d chưa phục vụ số nào", c.Number)
	}
	t, ok := l.tickets[c.Current]
	if !ok || t.Status != StatusCalled {
		return nil, Errorf(ENoCurrent, "counter %d is serving no ticket", "quầy %d chưa phục vụ số nào", c.Number)
	}
	return t, nil
}

// serving returns a counter and the ticket it serves.
func (l *Live) serving(n int) (*Counter, *Ticket, error) {
	c, _, err := l.counter(n)
	if err != nil {
		return nil, nil, err
	}
	t, err := l.current(c)
	return c, t, err
}

// finishCurrent closes the counter's current ticket as done, if any.
func (l *Live) finishCurrent(now time.Time, c *Counter) {
	t, err := l.current(c)
	if err != nil {
		return
	}
	t.Status = StatusDone
	t.FinishedAt = timePtr(now)
	l.learn(t.Service, now.Sub(*t.CalledAt))
	c.Current = ""
	l.touchTicket(t)
	l.touchCounter(c)
	l.emit(now, Event{Type: EventFinished, Ticket: eventTicket(t), Counter: c.Number})
}

// openCounter opens a closed counter for the clerk (the first call of a shift).
func (l *Live) openCounter(now time.Time, c *Counter, clerk string) {
	if c.Status == CounterClosed {
		c.Status, c.Since, c.Reason = CounterOpen, now, ""
		l.emit(now, Event{Type: EventOpened, Counter: c.Number})
	}
	if clerk != "" {
		c.Clerk = clerk
	}
	l.touchCounter(c)
}

func (l *Live) callTicket(now time.Time, c *Counter, t *Ticket, clerk string, e Event) {
	t.Status = StatusCalled
	t.Counter = c.Number
	t.Calls = 1
	t.CalledAt = timePtr(now)
	if t.FirstCalledAt == nil {
		t.FirstCalledAt = timePtr(now)
	}
	t.ServedBy = clerk
	c.Current = t.ID
	l.touchTicket(t)
	l.touchCounter(c)
	if t.IsPriority() {
		l.meta.SincePriority = 0
	} else {
		l.meta.SincePriority++
	}
	l.dirtyMeta = true
	e.Type, e.Ticket, e.Counter = EventCalled, eventTicket(t), c.Number
	l.emit(now, e)
}

// Next finishes the counter's current ticket and calls the next one by the
// calling rule. It returns false when no one waits.
func (l *Live) Next(now time.Time, n int, clerk string) (Ticket, bool, error) {
	l.Roll(now)
	c, cfg, err := l.counter(n)
	if err != nil {
		return Ticket{}, false, err
	}
	if c.Status == CounterPaused {
		return Ticket{}, false, Errorf(ECounterPaused, "counter %d is paused: resume it first", "quầy %d đang tạm dừng: hãy bấm Tiếp tục trước", n)
	}
	l.openCounter(now, c, clerk)
	l.finishCurrent(now, c)
	t := l.pick(now, cfg.Services)
	if t == nil {
		return Ticket{}, false, nil
	}
	l.callTicket(now, c, t, clerk, Event{})
	return *t, true, nil
}

// Call calls a specific waiting ticket out of order, finishing the current
// one. The reason is required and audited.
func (l *Live) Call(now time.Time, n int, ticketID, reason, clerk string) (Ticket, error) {
	l.Roll(now)
	c, cfg, err := l.counter(n)
	if err != nil {
		return Ticket{}, err
	}
	if c.Status == CounterPaused {
		return Ticket{}, Errorf(ECounterPaused, "counter %d is paused: resume it first", "quầy %d đang tạm dừng: hãy bấm Tiếp tục trước", n)
	}
	reason = NFC(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 200 {
		return Ticket{}, Errorf(EInvalid, "calling out of order needs a reason (at most 200 characters)", "gọi số không theo thứ tự cần có lý do (tối đa 200 ký tự)")
	}
	t, ok := l.tickets[ticketID]
	if !ok || t.Status != StatusWaiting {
		if ok {
			return Ticket{}, Errorf(EConflict, "ticket %s is not waiting", "số %s không ở trạng thái chờ", t.Number)
		}
		return Ticket{}, Errorf(ENotFound, "no waiting ticket %q", "không có số đang chờ %q", ticketID)
	}
	if !slices.Contains(cfg.Services, t.Service) {
		return Ticket{}, Errorf(EConflict, "counter %d does not serve service %s", "quầy %d không phục vụ lĩnh vực %s", n, t.Service)
	}
	l.openCounter(now, c, clerk)
	l.finishCurrent(now, c)
	l.callTicket(now, c, t, clerk, Event{OutOfOrder: true})
	l.audit = append(l.audit, Audit{At: now, Actor: clerk, Action: "ticket.call_out_of_order", Ticket: t.ID, Reason: reason})
	return *t, nil
}

// Recall calls the counter's current ticket again, at least the centre's
// recall gap after the previous call.
func (l *Live) Recall(now time.Time, n int) (Ticket, error) {
	l.Roll(now)
	_, t, err := l.serving(n)
	if err != nil {
		return Ticket{}, err
	}
	gap := time.Duration(l.cfg.Rules.RecallGapSeconds) * time.Second
	if wait := t.CalledAt.Add(gap).Sub(now); wait > 0 {
		return Ticket{}, Errorf(ERecallTooSoon, "ticket %s was called %ds ago: recall in %ds", "số %s vừa được gọi %d giây trước: gọi lại sau %d giây", t.Number, int(now.Sub(*t.CalledAt)/time.Second), int((wait+time.Second-1)/time.Second))
	}
	t.Calls++
	t.CalledAt = timePtr(now)
	l.touchTicket(t)
	l.emit(now, Event{Type: EventRecalled, Ticket: eventTicket(t), Counter: n})
	return *t, nil
}

// Finish closes the counter's current ticket as served.
func (l *Live) Finish(now time.Time, n int) (Ticket, error) {
	l.Roll(now)
	c, t, err := l.serving(n)
	if err != nil {
		return Ticket{}, err
	}
	l.finishCurrent(now, c)
	return *t, nil
}

// NoShow closes the current ticket as absent, allowed only after the
// centre's minimum number of calls and once the recall gap has passed since
// the last one.
func (l *Live) NoShow(now time.Time, n int) (Ticket, error) {
	l.Roll(now)
	c, t, err := l.serving(n)
	if err != nil {
		return Ticket{}, err
	}
	min := l.cfg.Rules.NoShowMinCalls
	if t.Calls < min {
		return Ticket{}, Errorf(ENoShowTooEarly, "ticket %s was called %d time(s): call it at least %d times before marking it absent", "số %s mới được gọi %d lần: cần gọi ít nhất %d lần trước khi ghi vắng mặt", t.Number, t.Calls, min)
	}
	gap := time.Duration(l.cfg.Rules.RecallGapSeconds) * time.Second
	if wait := t.CalledAt.Add(gap).Sub(now); wait > 0 {
		return Ticket{}, Errorf(ENoShowTooEarly, "ticket %s was called just now: wait %ds before marking it absent", "số %s vừa được gọi: chờ %d giây nữa trước khi ghi vắng mặt", t.Number, int((wait+time.Second-1)/time.Second))
	}
	t.Status = StatusNoShow
	t.FinishedAt = timePtr(now)
	c.Current = ""
	l.touchTicket(t)
	l.touchCounter(c)
	l.emit(now, Event{Type: EventNoShow, Ticket: eventTicket(t), Counter: n})
	return *t, nil
}

// Transfer sends the counter's current ticket to another service's queue.
// It keeps its number and its place in time (OrderAt).
func (l *Live) Transfer(now time.Time, n int, service string) (Ticket, error) {
	l.Roll(now)
	c, t, err := l.serving(n)
	if err != nil {
		return Ticket{}, err
	}
	service = strings.ToUpper(strings.TrimSpace(service))
	if _, ok := l.cfg.Service(service); !ok {
		return Ticket{}, Errorf(ENotFound, "unknown service %q", "không có lĩnh vực %q", service)
	}
	if service == t.Service {
		return Ticket{}, Errorf(EInvalid, "ticket %s is already in service %s", "số %s đã thuộc lĩnh vực %s", t.Number, service)
	}
	from := t.Service
	t.Transfers = append(slices.Clip(t.Transfers), from)
	t.Service = service
	t.Status = StatusWaiting
	t.Counter = 0
	t.Calls = 0
	t.CalledAt = nil
	c.Current = ""
	l.touchTicket(t)
	l.touchCounter(c)
	ev := eventTicket(t)
	ev.Service = from
	l.emit(now, Event{Type: EventTransferred, Ticket: ev, Counter: n, Service: service})
	return *t, nil
}

// Audit actions of the counter's decision on a priority claimed at a kiosk.
const (
	AuditPriorityConfirmed  = "ticket.priority_confirmed"
	AuditPriorityDowngraded = "ticket.priority_downgraded"
)

// pendingPriority returns the counter's current ticket when its priority
// waits for the counter's confirmation.
func (l *Live) pendingPriority(n int, reason string) (*Counter, *Ticket, string, error) {
	c, t, err := l.serving(n)
	if err != nil {
		return nil, nil, "", err
	}
	reason = NFC(strings.TrimSpace(reason))
	if utf8.RuneCountInString(reason) > MaxReasonLen {
		return nil, nil, "", Errorf(EInvalid, "reason: at most %d characters", "lý do: tối đa %d ký tự", MaxReasonLen)
	}
	if !t.PriorityPending || !t.IsPriority() {
		return nil, nil, "", Errorf(EConflict, "ticket %s has no priority awaiting confirmation", "số %s không có quyền ưu tiên nào đang chờ xác nhận", t.Number)
	}
	return c, t, reason, nil
}

// priorityAudit is the audit's reason: the group claimed, then the clerk's words.
func priorityAudit(group, reason string) string {
	if reason == "" {
		return group
	}
	return group + ": " + reason
}

// ConfirmPriority confirms the priority of the counter's current ticket,
// claimed at a kiosk: the clerk has seen the proof. Audited.
func (l *Live) ConfirmPriority(now time.Time, n int, reason, clerk string) (Ticket, error) {
	l.Roll(now)
	_, t, reason, err := l.pendingPriority(n, reason)
	if err != nil {
		return Ticket{}, err
	}
	t.PriorityPending = false
	l.touchTicket(t)
	l.audit = append(l.audit, Audit{At: now, Actor: clerk, Action: AuditPriorityConfirmed, Ticket: t.ID, Reason: priorityAudit(t.Priority, reason)})
	l.emit(now, Event{Type: EventPriorityConfirmed, Ticket: eventTicket(t), Counter: n})
	return *t, nil
}

// DowngradePriority turns the priority of the counter's current ticket,
// claimed at a kiosk without proof, into a normal ticket. It goes back to
// waiting at the place its issue time gives among normal tickets: the
// claim gained nothing, and the citizen lost nothing they were owed. The
// counter is free to call the next. Audited.
func (l *Live) DowngradePriority(now time.Time, n int, reason, clerk string) (Ticket, error) {
	l.Roll(now)
	c, t, reason, err := l.pendingPriority(n, reason)
	if err != nil {
		return Ticket{}, err
	}
	group := t.Priority
	t.Priority = PriorityNormal
	t.PriorityPending = false
	t.Status = StatusWaiting
	t.Counter = 0
	t.Calls = 0
	t.CalledAt = nil
	c.Current = ""
	l.touchTicket(t)
	l.touchCounter(c)
	l.audit = append(l.audit, Audit{At: now, Actor: clerk, Action: AuditPriorityDowngraded, Ticket: t.ID, Reason: priorityAudit(group, reason)})
	l.emit(now, Event{Type: EventPriorityDowngraded, Ticket: eventTicket(t), Counter: n})
	return *t, nil
}

// MaxReasonLen bounds pause and call reasons, in characters.
const MaxReasonLen = 200

// Pause stops the counter from calling; a ticket being served stays with it.
func (l *Live) Pause(now time.Time, n int, reason string) (Counter, error) {
	return l.PauseFor(now, n, reason, 0)
}

// PauseFor is Pause announced for a number of minutes (0: unsaid): a
// pause longer than that raises a staff alert.
func (l *Live) PauseFor(now time.Time, n int, reason string, minutes int) (Counter, error) {
	l.Roll(now)
	c, _, err := l.counter(n)
	if err != nil {
		return Counter{}, err
	}
	reason = NFC(reason)
	if utf8.RuneCountInString(reason) > MaxReasonLen {
		return Counter{}, Errorf(EInvalid, "reason: at most %d characters", "lý do: tối đa %d ký tự", MaxReasonLen)
	}
	if c.Status == CounterPaused {
		return *c, nil
	}
	if c.Status == CounterClosed {
		return Counter{}, Errorf(EConflict, "counter %d is closed", "quầy %d đang đóng", n)
	}
	if minutes < 0 || minutes > 600 {
		return Counter{}, Errorf(EInvalid, "minutes: 0 to 600", "số phút: từ 0 đến 600").At("minutes")
	}
	c.Status, c.Reason, c.Since, c.Planned = CounterPaused, reason, now, minutes
	l.touchCounter(c)
	l.emit(now, Event{Type: EventPaused, Counter: n, Reason: reason})
	return *c, nil
}

// Resume lets a paused (or closed) counter call again.
func (l *Live) Resume(now time.Time, n int, clerk string) (Counter, error) {
	l.Roll(now)
	c, _, err := l.counter(n)
	if err != nil {
		return Counter{}, err
	}
	switch c.Status {
	case CounterOpen:
		return *c, nil
	case CounterClosed:
		l.openCounter(now, c, clerk)
		return *c, nil
	}
	c.Status, c.Reason, c.Since, c.Planned = CounterOpen, "", now, 0
	if clerk != "" {
		c.Clerk = clerk
	}
	l.touchCounter(c)
	l.emit(now, Event{Type: EventResumed, Counter: n})
	return *c, nil
}

// Close ends a counter's shift, finishing the ticket it serves.
func (l *Live) Close(now time.Time, n int) (Counter, error) {
	l.Roll(now)
	c, _, err := l.counter(n)
	if err != nil {
		return Counter{}, err
	}
	if c.Status == CounterClosed {
		return *c, nil
	}
	l.finishCurrent(now, c)
	c.Status, c.Reason, c.Clerk, c.Since = CounterClosed, "", "", now
	l.touchCounter(c)
	l.emit(now, Event{Type: EventClosed, Counter: n})
	return *c, nil
}

// learn feeds a real service duration into the service's moving estimate.
func (l *Live) learn(service string, d time.Duration) {
	// α = 0.1 follows about the last 20 services: steadier than 0.2 (the
	// wait benchmark's error fell from 9.1 to 7.5 min), still quick to
	// follow a real change of pace.
	const alpha = 0.1
	secs := d.Seconds()
	// A ticket finished within seconds was a mistake or a hand-over, one
	// left open over lunch says nothing of the service: both are ignored.
	if secs < 15 || secs > 4*3600 {
		return
	}
	st := l.stat(service)
	st.Seconds = (1-alpha)*st.Seconds + alpha*secs
	st.Samples++
	l.dirtyStats[service] = true
}

func (l *Live) stat(service string) *ServiceStat {
	st, ok := l.stats[service]
	if !ok {
		svc, _ := l.cfg.Service(service)
		m := svc.Minutes
		if m == 0 {
			m = DefaultServiceMinutes
		}
		st = &ServiceStat{Service: service, Seconds: float64(m * 60)}
		l.stats[service] = st
	}
	return st
}

// MaxPrecheckBytes bounds a pre-check result attached to a ticket.
const MaxPrecheckBytes = 32 << 10

// AttachPrecheck keeps a dossier pre-check result with a live ticket, for
// the counter that will serve it. The result is opaque JSON to the domain.
func (l *Live) AttachPrecheck(now time.Time, id string, result []byte) (Ticket, error) {
	l.Roll(now)
	t, ok := l.tickets[id]
	if !ok {
		return Ticket{}, Errorf(ENotFound, "no ticket %q today", "hôm nay không có số %q", id)
	}
	if len(result) > MaxPrecheckBytes {
		return Ticket{}, Errorf(ETooLarge, "pre-check result over %d bytes", "kết quả kiểm tra hồ sơ vượt quá %d byte", MaxPrecheckBytes)
	}
	t.Precheck = slices.Clone(result)
	l.touchTicket(t)
	l.emit(now, Event{Type: EventPrechecked, Ticket: eventTicket(t)})
	return *t, nil
}

// RatingWindow is how long after service a rating is taken.
const RatingWindow = 15 * time.Minute

// RateTicket records the citizen's rating (1–4) of a ticket served today,
// once.
func (l *Live) RateTicket(now time.Time, id string, score int) (Ticket, error) {
	l.Roll(now)
	t, ok := l.tickets[id]
	if !ok {
		return Ticket{}, Errorf(ENotFound, "no ticket %q today", "hôm nay không có số %q", id)
	}
	if score < 1 || score > 4 {
		return Ticket{}, Errorf(EInvalid, "a rating is from 1 to 4", "điểm đánh giá từ 1 đến 4")
	}
	if t.Status != StatusDone && t.Status != StatusCalled {
		return Ticket{}, Errorf(EConflict, "ticket %s has not been served", "số %s chưa được phục vụ", t.Number)
	}
	if t.Rating != 0 {
		return Ticket{}, Errorf(EConflict, "ticket %s is already rated", "số %s đã được đánh giá", t.Number)
	}
	// The rating tablet asks right after service; much later, the rating
	// is more likely someone else's (ticket ids are on the public stream).
	if t.FinishedAt != nil && now.Sub(*t.FinishedAt) > RatingWindow {
		return Ticket{}, Errorf(EConflict, "ratings are taken within %d minutes of service", "chỉ nhận đánh giá trong vòng %d phút sau khi được phục vụ", int(RatingWindow/time.Minute))
	}
	t.Rating = score
	l.touchTicket(t)
	l.emit(now, Event{Type: EventRated, Ticket: eventTicket(t), Counter: t.Counter})
	return *t, nil
}

// VoidTicket withdraws a waiting ticket its kiosk did not print, found by
// its idempotency key: it leaves the queue instead of ending as a no-show.
func (l *Live) VoidTicket(now time.Time, key, kiosk string) (Ticket, error) {
	l.Roll(now)
	t, ok := l.TicketByKey(key)
	if !ok || t.Kiosk != kiosk || kiosk == "" {
		return Ticket{}, Errorf(ENotFound, "no ticket of this kiosk with that key today", "hôm nay ki-ốt này không có số với khóa đó")
	}
	if t.Status == StatusVoid {
		return t, nil
	}
	if t.Status != StatusWaiting {
		return Ticket{}, Errorf(EConflict, "ticket %s is %s: it can no longer be withdrawn", "số %s đang ở trạng thái %s: không thể hủy", t.Number, t.Status)
	}
	tp := l.tickets[t.ID]
	tp.Status = StatusVoid
	tp.FinishedAt = timePtr(now)
	l.touchTicket(tp)
	l.emit(now, Event{Type: EventVoided, Ticket: eventTicket(tp)})
	return *tp, nil
}

// OutsideHours is the refusal of a kiosk's walk-in number outside the
// centre's window, saying when numbers are issued again (next, shown in
// loc; zero when the centre has no hours). kioskd shows the same words
// when it refuses on its own, offline.
func OutsideHours(next time.Time, loc *time.Location) *Error {
	if next.IsZero() {
		return Errorf(EOutsideHours, "no walk-in numbers are issued now: the centre has no opening hours", "hiện không cấp số: trung tâm chưa có giờ làm việc")
	}
	lt := next.In(loc)
	return Errorf(EOutsideHours, "numbers are not issued yet: the centre issues walk-in numbers from %[1]s on %[2]s %[3]s", "chưa đến giờ cấp số: trung tâm cấp số từ %[1]s, %[4]s ngày %[3]s",
		lt.Format("15:04"), lt.Weekday(), lt.Format("02/01/2006"), WeekdayVI(lt.Weekday()))
}

var weekdaysVI = [...]string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}

// WeekdayVI names a weekday in Vietnamese ("Thứ Hai").
func WeekdayVI(d time.Weekday) string { return weekdaysVI[d] }
