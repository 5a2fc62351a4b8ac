package queue

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NumberBlock is a range of ticket numbers of one service and local day
// leased to one kiosk, so that it can print tickets while the server is
// unreachable without two kiosks ever printing the same number.
type NumberBlock struct {
	ID      string `json:"id"`
	Kiosk   string `json:"kiosk"`
	Service string `json:"service"`
	Day     string `json:"day"`
	From    int    `json:"from"`
	To      int    `json:"to"`
	Used    []int  `json:"used,omitempty"` // numbers the kiosk has reported, sorted
	// LeasedAt is when the server leased the block: no ticket of it was
	// printed before, so a replayed issue time is never earlier.
	LeasedAt time.Time `json:"leased_at,omitzero"`
}

// Block size limits, and where blocks start: numbers for offline use are
// taken from OfflineBase up (A901, A902 …), apart from the day's online
// numbers, so a kiosk leasing blocks at dawn does not make the first
// walk-in of the day A041. Online numbering skips any leased range it
// reaches on a very busy day, so numbers stay unique.
const (
	OfflineBase      = 901
	DefaultBlockSize = 20
	MaxBlockSize     = 200
	// MaxClockSkew is how far in the future a kiosk's issue time may be.
	MaxClockSkew = 2 * time.Minute
)

// LeaseBlock reserves the next size numbers of a service on day (today or
// tomorrow, local) for a kiosk. The numbers are taken from the same daily
// sequence as online tickets, which continue after them.
func (l *Live) LeaseBlock(now time.Time, kiosk, service, day string, size int) (NumberBlock, error) {
	l.Roll(now)
	if _, ok := l.cfg.Service(service); !ok {
		return NumberBlock{}, Errorf(ENotFound, "unknown service %q", "không có lĩnh vực %q", service)
	}
	if size == 0 {
		size = DefaultBlockSize
	}
	if size < 1 || size > MaxBlockSize {
		return NumberBlock{}, Errorf(EInvalid, "block size: 1 to %d", "cỡ khối số: từ 1 đến %d", MaxBlockSize)
	}
	tomorrow := l.dayStart().AddDate(0, 0, 1).Format(time.DateOnly)
	if day == "" {
		day = l.day
	}
	if day != l.day && day != tomorrow {
		return NumberBlock{}, Errorf(EInvalid, "numbers are leased for today (%s) or tomorrow (%s)", "chỉ cấp khối số cho hôm nay (%s) hoặc ngày mai (%s)", l.day, tomorrow)
	}
	if kiosk == "" {
		return NumberBlock{}, Errorf(EForbidden, "only kiosks lease numbers", "chỉ ki-ốt được cấp khối số")
	}
	key := NumberKey(day, service) + "/offline"
	from := max(l.numbers[key]+1, OfflineBase, l.numbers[NumberKey(day, service)]+1)
	b := &NumberBlock{ID: l.newID(), Kiosk: kiosk, Service: service, Day: day, From: from, To: from + size - 1, LeasedAt: now}
	l.numbers[key] = b.To
	l.dirtyNum[key] = true
	l.blocks[b.ID] = b
	l.dirtyBlocks[b.ID] = true
	l.version++
	return *b, nil
}

// parseNumber splits a ticket number into its service code and sequence.
func parseNumber(number, service string) (int, bool) {
	rest, ok := strings.CutPrefix(number, service)
	if !ok || len(rest) < 3 || rest[0] == '+' || rest[0] == '-' {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || FormatNumber(service, n) != number {
		return 0, false
	}
	return n, true
}

// issueOffline records a ticket a kiosk printed from its block while the
// server was unreachable. It joins the queue by its issue time, bounded to
// what can be true: not before its block was leased (nor before its day
// began), not after the replay arrived. A time outside is corrected (the
// citizen's printed ticket stays valid) and the correction audited; a
// kiosk cannot place its tickets ahead of walk-ins who came earlier. If
// its day is already over the ticket is recorded as expired.
func (l *Live) issueOffline(now time.Time, r IssueRequest, pending bool) (Ticket, error) {
	seq, ok := parseNumber(r.Number, r.Service)
	if !ok {
		return Ticket{}, Errorf(EInvalid, "number %q is not a ticket number of service %s", "số %q không phải số thứ tự của lĩnh vực %s", r.Number, r.Service)
	}
	if r.IssuedAt.IsZero() || r.IssuedAt.After(now.Add(MaxClockSkew)) {
		return Ticket{}, Errorf(EInvalid, "issued_at is required and may not be in the future", "cần issued_at và không được ở tương lai")
	}
	if r.Kiosk == "" {
		return Ticket{}, Errorf(EForbidden, "only kiosks send offline tickets", "chỉ ki-ốt gửi số cấp khi mất kết nối")
	}
	claimed, issued := r.IssuedAt, r.IssuedAt
	if issued.After(now) { // a kiosk clock a little ahead
		issued = now
	}
	day := l.localDay(issued)
	var block *NumberBlock
	for _, b := range l.blocks {
		if b.Kiosk == r.Kiosk && b.Service == r.Service && b.Day == day && seq >= b.From && seq <= b.To {
			block = b
		}
	}
	if block == nil {
		return Ticket{}, Errorf(EInvalid, "number %s of %s was not leased to this kiosk", "số %s ngày %s không thuộc khối số đã cấp cho ki-ốt này", r.Number, day)
	}
	i, used := slices.BinarySearch(block.Used, seq)
	if used {
		return Ticket{}, Errorf(EConflict, "number %s was already reported with another key", "số %s đã được ghi nhận với khóa khác", r.Number)
	}
	if day > l.day {
		return Ticket{}, Errorf(EInvalid, "issued_at is on a day that has not started here", "issued_at thuộc ngày chưa bắt đầu")
	}
	if earliest := l.blockStart(block); issued.Before(earliest) {
		issued = earliest
	}
	block.Used = slices.Insert(slices.Clone(block.Used), i, seq)
	l.dirtyBlocks[block.ID] = true
	t := &Ticket{
		ID: TicketID(day, l.newID()), Centre: l.cfg.ID, Number: r.Number, Service: r.Service, Seq: seq, Day: day,
		Priority: r.Priority, PriorityPending: pending, Status: StatusWaiting, IssuedAt: issued, OrderAt: issued,
		Source: SourceKiosk, Kiosk: r.Kiosk, Key: r.Key, Offline: true,
	}
	l.tickets[t.ID] = t
	if t.Key != "" {
		l.byKey[t.Key] = t.ID
	}
	l.touchTicket(t)
	if !issued.Equal(claimed) {
		l.audit = append(l.audit, Audit{At: now, Actor: r.Kiosk, Action: AuditIssuedAtCorrected, Ticket: t.ID,
			Reason: fmt.Sprintf("issued_at %s corrected to %s (block %s leased %s, replay received %s)",
				claimed.In(l.loc).Format(time.RFC3339Nano), issued.In(l.loc).Format(time.RFC3339Nano), block.ID,
				block.LeasedAt.In(l.loc).Format(time.RFC3339), now.In(l.loc).Format(time.RFC3339))})
	}
	l.emit(now, Event{Type: EventIssued, Ticket: eventTicket(t)})
	if day < l.day {
		// The day is over: nobody can call it now; it stays for the record.
		t.Status = StatusExpired
		t.FinishedAt = timePtr(now)
		l.prune = true
		l.emit(now, Event{Type: EventExpired, Ticket: eventTicket(t)})
	}
	return *t, nil
}

// AuditIssuedAtCorrected is the audit action of an offline ticket whose
// issue time was moved into its block's bounds.
const AuditIssuedAtCorrected = "ticket.offline_issued_at_corrected"

// blockStart is the earliest a ticket of block b can have been printed:
// when it was leased, and not before its day began (a block of tomorrow
// is leased today). A block stored before lease times were kept is
// bounded by its day alone.
func (l *Live) blockStart(b *NumberBlock) time.Time {
	start := l.dayStart()
	if d, err := time.ParseInLocation(time.DateOnly, b.Day, l.loc); err == nil {
		start = d
	}
	if b.LeasedAt.After(start) {
		return b.LeasedAt
	}
	return start
}

// Blocks returns the blocks leased to a kiosk for today and later.
func (l *Live) Blocks(kiosk string) []NumberBlock {
	var out []NumberBlock
	for _, b := range l.blocks {
		if b.Kiosk == kiosk && b.Day >= l.day {
			out = append(out, *b)
		}
	}
	slices.SortFunc(out, func(a, b NumberBlock) int {
		return strings.Compare(a.Day+a.Service+strconv.Itoa(a.From+1e6), b.Day+b.Service+strconv.Itoa(b.From+1e6))
	})
	return out
}

// nextOnline returns the next online number of a service on a day,
// stepping over numbers leased to kiosks.
func (l *Live) nextOnline(day, service string) int {
	seq := l.numbers[NumberKey(day, service)] + 1
	for moved := true; moved; {
		moved = false
		for _, b := range l.blocks {
			if b.Day == day && b.Service == service && seq >= b.From && seq <= b.To {
				seq, moved = b.To+1, true
			}
		}
	}
	return seq
}
