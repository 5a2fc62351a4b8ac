package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"xephang/drivers/escpos"
	"xephang/kiosk/outbox"
	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// The take-number flow: choose a service, maybe tap a card, print.

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

// TakeNumber issues a ticket of service and prints it: from the server
// when it answers, else from a leased block, written to the outbox before
// it prints. It refuses when the printer says it cannot print.
func (k *Kiosk) TakeNumber(ctx context.Context, service, priority string) (Printed, error) {
	centre, release, err := k.begin()
	if err != nil {
		return Printed{}, err
	}
	defer release()
	svc, ok := centre.Service(service)
	if !ok {
		return Printed{}, unknownService(service)
	}
	if open, next := k.WalkIn(); !open {
		return Printed{}, outsideHours(next, centre.Location())
	}
	priority, err = k.grant(priority)
	if err != nil {
		return Printed{}, err
	}
	if err := k.Machine.Enter(TakeNumber, StepPrinting, map[string]string{"service": svc.Code}); err != nil {
		return Printed{}, errBusy
	}
	p, err := k.takeNumber(ctx, centre, svc, priority, attachments{})
	if err == nil {
		k.cardUsed()
	}
	k.finish(TakeNumber, p, err)
	return p, err
}

// grant checks the priority group asked for ("" is normal). Elderly is
// granted here from the birth date of a card read in this session; the
// other groups have no proof a kiosk can read: the server marks them to
// be confirmed at the counter (priority_pending), and the ticket says so.
func (k *Kiosk) grant(priority string) (string, error) {
	if priority == "" {
		priority = queue.PriorityNormal
	}
	if !queue.ValidPriority(priority) {
		return "", errInvalidPriority
	}
	if priority == queue.PriorityElderly && !k.Elderly() {
		return "", errNeedsCard
	}
	return priority, nil
}

// attachments go with a ticket to the server: a pre-check result and a
// filled form (each sent at once online, else kept with the ticket in the
// outbox and sent on replay), digitised documents (kept with the ticket
// in the outbox before it prints, sent by the link once the server has it).
type attachments struct {
	precheck json.RawMessage
	form     json.RawMessage
	docs     []outbox.Document
	// identity is what the card's chip gave (PUT …/identity), sent at
	// once online, else kept in the outbox until sent.
	identity json.RawMessage
}

// takeNumber issues and prints a ticket with its attachments.
func (k *Kiosk) takeNumber(ctx context.Context, centre queue.Centre, svc queue.Service, priority string, att attachments) (Printed, error) {
	att.identity = k.sessionIdentity()
	if err := k.printerReady(ctx); err != nil {
		return Printed{}, err
	}
	if k.cfg.Link.Online() {
		key := newKey()
		c, cancel := context.WithTimeout(ctx, k.cfg.IssueTimeout)
		req := apiv1.IssueRequest{Service: svc.Code, Priority: priority, IdempotencyKey: key}
		if id := k.cardNumber(); id != "" {
			req.Citizen = &apiv1.IssueCitizen{IDNumber: id}
		}
		tv, err := k.cfg.Client.Issue(c, k.cfg.Centre, req)
		cancel()
		switch {
		case err == nil:
			k.cfg.Link.Reached()
			return k.printOnline(ctx, centre, svc, tv, key, att)
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
	return k.takeOffline(ctx, centre, svc, priority, att)
}

// printOnline prints a ticket the server issued with idempotency key key.
// It is recorded in the outbox first, with what goes with it: if the
// printer refuses it, or kioskd dies while printing it, the server is
// asked to withdraw it (tickets/void) instead of calling a number nobody
// holds. The pre-check result and the form are sent at once (kept to send
// later when that fails); the documents are sent by the link.
func (k *Kiosk) printOnline(ctx context.Context, centre queue.Centre, svc queue.Service, tv apiv1.TicketView, key string, att attachments) (Printed, error) {
	attached, formSent := false, false
	if att.precheck != nil && tv.ID != "" {
		c, cancel := context.WithTimeout(ctx, k.cfg.IssueTimeout)
		err := k.cfg.Client.AttachPrecheck(c, tv.ID, att.precheck)
		cancel()
		if err != nil {
			k.cfg.Link.Failed(err)
			k.cfg.Log.Warn("attaching the pre-check failed; kept to attach later", "number", tv.Number, "err", err)
		}
		attached = err == nil
	}
	if att.form != nil && tv.ID != "" && k.cfg.Dossiers != nil {
		c, cancel := context.WithTimeout(ctx, k.cfg.IssueTimeout)
		err := k.cfg.Dossiers.PutForm(c, tv.ID, att.form)
		cancel()
		if err != nil {
			k.cfg.Link.Failed(err)
			k.cfg.Log.Warn("sending the form failed; kept to send later", "number", tv.Number, "err", err)
		}
		formSent = err == nil
	}
	identity, identitySent := att.identity, false
	if identity != nil && tv.ID != "" {
		if identitySent = k.putIdentity(ctx, tv.ID, tv.Number, identity); identitySent {
			identity = nil // the server has it: the face is not written here
		}
	}
	rec := outbox.Ticket{Key: key, Centre: k.cfg.Centre, Service: svc.Code, Number: tv.Number, ServerID: tv.ID,
		Priority: tv.Priority, IssuedAt: k.cfg.Link.Now(), Precheck: att.precheck, PrecheckAttached: attached,
		Form: att.form, FormSent: formSent, Documents: att.docs, Identity: identity, IdentitySent: identitySent}
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
		if len(att.docs) > 0 {
			k.cfg.Link.Kick() // the link sends the documents
		}
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
		k.cfg.Link.Kick()
	}
	if !recorded && ((att.precheck != nil && !attached) || (att.form != nil && !formSent) || len(att.docs) > 0 || identity != nil) {
		k.cfg.Log.Error("what goes with a ticket is lost (not sent, not recorded)", "number", tv.Number)
	}
	return p, err
}

// putIdentity sends a ticket's card identity at once; false when it did
// not reach the server (it is then kept to send).
func (k *Kiosk) putIdentity(ctx context.Context, ticketID, number string, identity json.RawMessage) bool {
	if k.cfg.Identities == nil {
		return false
	}
	c, cancel := context.WithTimeout(ctx, k.cfg.IssueTimeout)
	err := k.cfg.Identities.PutIdentity(c, ticketID, identity)
	cancel()
	if err != nil {
		k.cfg.Link.Failed(err)
		k.cfg.Log.Warn("sending the card identity failed; kept to send later", "number", number, "err", err)
	}
	return err == nil
}

// sendIdentity sends the card identity of a ticket the server issued and
// the outbox does not hold (a checked-in booking's): at once, else kept
// in the outbox (as delivered) for the link to send.
func (k *Kiosk) sendIdentity(ctx context.Context, p Printed, identity json.RawMessage) {
	if k.putIdentity(ctx, p.TicketID, p.Number, identity) {
		return
	}
	_, err := k.cfg.Store.Deliver(outbox.Ticket{Key: newKey(), Centre: k.cfg.Centre, Service: p.Service, Number: p.Number,
		ServerID: p.TicketID, IssuedAt: k.cfg.Link.Now(), Identity: identity}, time.Now())
	if err != nil {
		k.cfg.Log.Error("the card identity of a ticket is lost (not sent, not recorded)", "number", p.Number, "err", err)
		return
	}
	k.cfg.Link.Kick()
}

// markPrinted records that an online ticket came out of the printer. If
// that record is lost, the next start finds the ticket printing and asks
// the server to withdraw a number a citizen holds: said loudly.
func (k *Kiosk) markPrinted(key, number string) {
	if err := k.cfg.Store.Printed(key, time.Now()); err != nil {
		k.cfg.Log.Error("outbox: recording a printed online ticket; kioskd's next start would withdraw it", "number", number, "err", err)
	}
}

func (k *Kiosk) takeOffline(ctx context.Context, centre queue.Centre, svc queue.Service, priority string, att attachments) (Printed, error) {
	now := k.cfg.Link.Now()
	t, err := k.cfg.Store.Take(outbox.Ticket{Key: newKey(), Centre: k.cfg.Centre, Service: svc.Code,
		Day: now.In(centre.Location()).Format(time.DateOnly), Priority: priority, IssuedAt: now, Precheck: att.precheck,
		Form: att.form, Documents: att.docs, Identity: att.identity})
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
		return Printed{}, printFailed(t.Number)
	}
	k.cfg.Link.Kick()
	k.cfg.Log.Info("ticket printed offline", "number", t.Number)
	return p, nil
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
