package queue

// Notices: the messages a centre's changes cause, written to the outbox in
// the same commit as the changes (Changes.Outbox), and the contacts
// citizens give for them (Changes.Contacts). The domain decides what is
// told and when; package notify delivers.

import (
	"encoding/json"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// How long a message is worth sending: a ticket's, the rules'
// notify_expiry_minutes (a "called" message an hour late misleads); a
// booking's, until its slot starts (at least TicketMessageTTL); a
// webhook's, a day.
const (
	TicketMessageTTL  = 30 * time.Minute
	WebhookMessageTTL = 24 * time.Hour
)

// NotifyRequest is what a citizen (or staff for them) gives to be told
// about a ticket or a booking: addresses, with consent (Decree 13/2023:
// nothing is kept without it). No address removes the notifications.
type NotifyRequest struct {
	Phone   string
	Email   string
	Push    *PushSubscription
	Consent bool
}

// Empty reports whether the request names no address.
func (r *NotifyRequest) Empty() bool { return r.Phone == "" && r.Email == "" && r.Push == nil }

// MaxEmailLen bounds an e-mail address (RFC 5321's path limit).
const MaxEmailLen = 254

// contact validates a request into a Contact for the ref, kept until expires.
func (l *Live) contact(now time.Time, r NotifyRequest, kind, id string, expires time.Time) (Contact, error) {
	c := Contact{Ref: ContactRef(kind, id), Centre: l.cfg.ID, ConsentAt: now, Expires: expires}
	if r.Empty() {
		return c, nil
	}
	if !r.Consent {
		return c, Errorf(EInvalid, "tick the consent box to be notified: your phone or e-mail is kept only for this", "hãy đánh dấu đồng ý để nhận thông báo: số điện thoại hoặc e-mail chỉ được lưu cho việc này").At("notify.consent")
	}
	if r.Phone != "" {
		p, ok := ValidPhone(r.Phone)
		if !ok {
			return c, Errorf(EInvalid, "phone: a Vietnamese mobile number of 10 digits", "số điện thoại: số di động Việt Nam gồm 10 chữ số").At("notify.phone")
		}
		c.Phone = p
	}
	if r.Email != "" {
		a, err := mail.ParseAddress(r.Email)
		if err != nil || a.Name != "" || a.Address != r.Email || len(r.Email) > MaxEmailLen || !utf8.ValidString(r.Email) {
			return c, Errorf(EInvalid, "e-mail: one address such as ten@example.vn", "e-mail: một địa chỉ, ví dụ ten@example.vn").At("notify.email")
		}
		c.Email = r.Email
	}
	if r.Push != nil {
		p := *r.Push
		c.Push = &p
	}
	return c, nil
}

// endOfDay is the local midnight after the day of t.
func (l *Live) endOfDay(t time.Time) time.Time {
	lt := t.In(l.loc)
	return time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, l.loc)
}

// SetTicketNotify sets (or, with no address, removes) how the citizen of
// an open ticket is told about it; the contact is kept until the end of
// the ticket's day. actor is who changed it, for the audit log.
func (l *Live) SetTicketNotify(now time.Time, id string, r NotifyRequest, actor string) (Ticket, error) {
	l.Roll(now)
	t, ok := l.tickets[id]
	if !ok || !t.Open() {
		return Ticket{}, Errorf(ENotFound, "no open ticket %s", "không có số đang chờ %s", id)
	}
	if err := l.notifyTicket(now, t, r, actor); err != nil {
		return Ticket{}, err
	}
	return *t, nil
}

func (l *Live) notifyTicket(now time.Time, t *Ticket, r NotifyRequest, actor string) error {
	chs, err := l.keepContact(now, r, RefTicket, t.ID, l.endOfDay(t.IssuedAt), actor)
	if err != nil {
		return err
	}
	t.Notify = chs
	l.touchTicket(t)
	l.nearNew = append(l.nearNew, t.ID)
	return nil
}

// keepContact validates r into the contact of a ticket or booking, kept
// until expires, and audits who set or removed it (with the channels,
// never the address). It returns the channels now on.
func (l *Live) keepContact(now time.Time, r NotifyRequest, kind, id string, expires time.Time, actor string) ([]string, error) {
	c, err := l.contact(now, r, kind, id, expires)
	if err != nil {
		return nil, err
	}
	l.contacts = append(l.contacts, c)
	chs := c.Channels()
	a := Audit{At: now, Actor: actor, Action: "notify.set", Reason: strings.Join(chs, ",")}
	if c.Empty() {
		a.Action = "notify.remove"
	}
	if kind == RefTicket {
		a.Ticket = id
	} else {
		a.Booking = id
	}
	l.audit = append(l.audit, a)
	return chs, nil
}

// SetBookingNotify sets (or removes) how the citizen of an active booking
// is told about it: the citizen proves it is theirs by the key of their
// CCCD number, staff need not. The contact is kept until the end of the
// slot's day.
func (l *Live) SetBookingNotify(now time.Time, code, key string, staff bool, r NotifyRequest, actor string) (Booking, error) {
	l.Roll(now)
	b, err := l.activeBooking(code, key, staff)
	if err != nil {
		return Booking{}, err
	}
	if err := l.notifyBooking(now, b, r, actor); err != nil {
		return Booking{}, err
	}
	return *b, nil
}

func (l *Live) notifyBooking(now time.Time, b *Booking, r NotifyRequest, actor string) error {
	chs, err := l.keepContact(now, r, RefBooking, b.Code, l.endOfDay(b.Start), actor)
	if err != nil {
		return err
	}
	b.Notify = chs
	l.touchBooking(b)
	return nil
}

// tell writes one message per channel to the outbox.
func (l *Live) tell(now time.Time, kind, id string, channels []string, topic string, data map[string]string, expires time.Time) {
	at := l.messageTime(now)
	for _, ch := range channels {
		l.outbox = append(l.outbox, Message{
			ID: l.newID(), Centre: l.cfg.ID, Channel: ch, Ref: ContactRef(kind, id), Topic: topic, Data: data,
			CreatedAt: at, Expires: expires, Status: MessagePending, NextAt: at,
		})
	}
}

// messageTime is now, or a microsecond after the centre's last message
// when that is not before: messages caused in one instant (a number's
// confirmation and its "near") keep the order they were caused in, which
// the sender follows per address. A microsecond, as PostgreSQL keeps.
func (l *Live) messageTime(now time.Time) time.Time {
	if last := l.lastMessage; !now.After(last) {
		now = last.Add(time.Microsecond)
	}
	l.lastMessage = now
	return now
}

// ticketData are a ticket message's template values.
func (l *Live) ticketData(t *Ticket) map[string]string {
	d := map[string]string{"number": t.Number, "service": t.Service, "centre_name": l.cfg.Name, "ticket": t.ID}
	if s, ok := l.cfg.Service(t.Service); ok {
		d["service_name"] = s.Name
	}
	if t.Counter != 0 {
		d["counter"] = strconv.Itoa(t.Counter)
		if c, ok := l.cfg.Counter(t.Counter); ok {
			d["counter_name"] = c.Name
		}
	}
	return d
}

func (l *Live) bookingData(b *Booking) map[string]string {
	d := map[string]string{"code": b.Code, "service": b.Service, "centre_name": l.cfg.Name, "start": b.Start.In(l.loc).Format("15:04 02/01/2006")}
	if s, ok := l.cfg.Service(b.Service); ok {
		d["service_name"] = s.Name
	}
	return d
}

// tellTicket tells a ticket's citizen, on the channels they chose.
func (l *Live) tellTicket(now time.Time, t *Ticket, topic string, extra map[string]string) {
	if len(t.Notify) == 0 {
		return
	}
	d := l.ticketData(t)
	for k, v := range extra {
		d[k] = v
	}
	expires := now.Add(time.Duration(l.cfg.Rules.NotifyExpiryMinutes) * time.Minute)
	if l.cfg.Rules.NotifyExpiryMinutes == 0 {
		expires = now.Add(TicketMessageTTL)
	}
	if end := l.endOfDay(t.IssuedAt); end.Before(expires) {
		expires = end
	}
	l.tell(now, RefTicket, t.ID, t.Notify, topic, d, expires)
}

// tellBooking tells a booking's citizen; the message is worth sending until
// the slot starts (at least half an hour).
func (l *Live) tellBooking(now time.Time, b *Booking, topic string, extra map[string]string) {
	if len(b.Notify) == 0 {
		return
	}
	d := l.bookingData(b)
	for k, v := range extra {
		d[k] = v
	}
	l.tell(now, RefBooking, b.Code, b.Notify, topic, d, later(b.Start, now.Add(TicketMessageTTL)))
}

// noticeEvent tells what an event causes: the citizen of its ticket, and
// the centre's webhooks that want it. emit calls it.
func (l *Live) noticeEvent(e Event) {
	if e.Ticket != nil {
		if t := l.tickets[e.Ticket.ID]; t != nil && len(t.Notify) > 0 {
			switch e.Type {
			case EventCalled:
				l.tellTicket(e.At, t, TopicCalled, nil)
			case EventTransferred:
				l.tellTicket(e.At, t, TopicTransferred, map[string]string{"from": e.Ticket.Service})
			case EventNoShow:
				l.tellTicket(e.At, t, TopicAbsent, nil)
			}
		}
	}
	if len(l.watch) > 0 {
		switch {
		case l.movesUp(e):
			l.lineMoved = true
		case e.Type == EventIssued && l.watch[e.Ticket.ID]:
			l.nearNew = append(l.nearNew, e.Ticket.ID) // its own place, dealt at the back of the line
		}
	}
	for _, id := range l.hookIDs {
		h := l.hooks[id]
		if h.Wants(e.Type) {
			l.hookMessage(e.At, h, e.Type, e)
		}
	}
}

// movesUp reports whether an event may bring a watched ticket nearer its
// turn: most events, but not a plain ticket joining the back of a line
// (the bulk of a busy morning), nor those that leave the line as it was.
func (l *Live) movesUp(e Event) bool {
	switch e.Type {
	case EventIssued:
		t := l.tickets[e.Ticket.ID]
		return t == nil || t.IsPriority() || t.SlotStart != nil
	case EventPrechecked, EventDossier, EventIdentity, EventRated, EventPaused, EventBooked, EventCancelled, EventRescheduled, EventBookNoShow, EventAlertRaised, EventAlertCleared:
		return false
	}
	return true
}

// webhookEvent is a webhook delivery's body: the event with the
// delivery's id and the centre.
type webhookEvent struct {
	ID     string `json:"id"`
	Centre string `json:"centre"`
	Event
}

// WebhookBody is the JSON of a webhook delivery: the event's fields
// (type, at in UTC, seq, ticket {id, number, service}, counter, service,
// reason…, none of them personal) with the delivery's id and the centre.
func WebhookBody(id, centre string, e Event) ([]byte, error) {
	e.At = e.At.UTC()
	return json.Marshal(webhookEvent{ID: id, Centre: centre, Event: e})
}

func (l *Live) hookMessage(now time.Time, h *Webhook, topic string, e Event) {
	id := l.newID()
	now = l.messageTime(now)
	body, err := WebhookBody(id, l.cfg.ID, e)
	if err != nil {
		panic(err) // an Event always marshals
	}
	l.outbox = append(l.outbox, Message{
		ID: id, Centre: l.cfg.ID, Channel: ChannelWebhook, Ref: h.ID, Topic: topic, Body: body,
		CreatedAt: now, Expires: now.Add(WebhookMessageTTL), Status: MessagePending, NextAt: now,
	})
}

// watchTicket keeps the set of tickets waiting for their "near" message
// right as a ticket changes.
func (l *Live) watchTicket(t *Ticket) {
	if len(t.Notify) > 0 && t.Status == StatusWaiting && !slices.Contains(t.Notified, TopicNear) {
		l.watch[t.ID] = true
	} else if len(l.watch) > 0 {
		delete(l.watch, t.ID)
	}
}

// checkNear tells the citizens whose ticket reached position NearPosition
// or an estimated wait of NearMinutes, once per ticket: those of only, or
// every watched ticket when only is nil. apply false only reports whether
// one would be told.
func (l *Live) checkNear(now time.Time, apply bool, only []string) bool {
	if len(l.watch) == 0 {
		return false
	}
	var ids []string
	if only != nil {
		for _, id := range only {
			if l.watch[id] {
				ids = append(ids, id)
			}
		}
	} else {
		ids = make([]string, 0, len(l.watch))
		for id := range l.watch {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	r := l.cfg.Rules
	found := false
	// Deal the line again when it moved: a cached estimate may be older
	// than the change that moved these tickets up. (A new ticket at the
	// back is dealt on from the last estimate, as Estimate does.)
	if l.lineMoved {
		l.est = l.simulate(now)
		if apply {
			l.lineMoved = false
		}
	}
	for _, id := range ids {
		t := l.tickets[id]
		if t == nil || t.Status != StatusWaiting {
			delete(l.watch, id)
			continue
		}
		pos, wait, ok := l.Estimate(now, id)
		if !ok || (pos > r.NearPosition && wait > time.Duration(r.NearMinutes)*time.Minute) {
			continue
		}
		found = true
		if !apply {
			return true
		}
		t.Notified = append(slices.Clip(t.Notified), TopicNear)
		l.touchTicket(t)
		mins := int((wait + time.Minute - 1) / time.Minute)
		l.tellTicket(now, t, TopicNear, map[string]string{"position": strconv.Itoa(pos), "minutes": strconv.Itoa(mins)})
	}
	return found
}

// Webhooks returns the centre's webhooks (not deleted), by id.
func (l *Live) Webhooks() []Webhook {
	out := make([]Webhook, 0, len(l.hookIDs))
	for _, id := range l.hookIDs {
		out = append(out, *l.hooks[id])
	}
	return out
}

// MaxWebhooks bounds a centre's webhooks.
const MaxWebhooks = 20

// AddWebhook subscribes an integrator to the centre's events (w already
// checked by the caller: URL, secret); Events are event types.
func (l *Live) AddWebhook(now time.Time, w Webhook, actor string) (Webhook, error) {
	l.Roll(now)
	if len(l.hookIDs) >= MaxWebhooks {
		return Webhook{}, Errorf(EConflict, "a centre has at most %d webhooks", "mỗi trung tâm có tối đa %d webhook", MaxWebhooks)
	}
	for i, e := range w.Events {
		if !KnownEvent(e) {
			return Webhook{}, Errorf(EInvalid, "unknown event type %q", "loại sự kiện %q không tồn tại", e).At("events[" + strconv.Itoa(i) + "]")
		}
	}
	w.Centre, w.CreatedAt, w.CreatedBy, w.Deleted = l.cfg.ID, now, actor, false
	if w.ID == "" {
		w.ID = l.newID()
	}
	l.putHook(&w)
	l.dirtyHooks[w.ID] = true
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: "webhook.create", Reason: w.ID})
	return w, nil
}

// DeleteWebhook ends a subscription: its pending deliveries fail.
func (l *Live) DeleteWebhook(now time.Time, id, actor string) error {
	l.Roll(now)
	h, ok := l.hooks[id]
	if !ok {
		return Errorf(ENotFound, "no webhook %s", "không có webhook %s", id)
	}
	d := *h
	d.Deleted = true
	l.deleted = append(l.deleted, d)
	l.dropHook(id)
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: "webhook.delete", Reason: id})
	return nil
}

// TestWebhook queues a test event to one webhook, delivered (and logged)
// like any other.
func (l *Live) TestWebhook(now time.Time, id, actor string) (Message, error) {
	l.Roll(now)
	h, ok := l.hooks[id]
	if !ok {
		return Message{}, Errorf(ENotFound, "no webhook %s", "không có webhook %s", id)
	}
	l.hookMessage(now, h, TopicTest, Event{Type: TopicTest, At: now, Seq: l.meta.LastSeq})
	l.audit = append(l.audit, Audit{At: now, Actor: actor, Action: "webhook.test", Reason: id})
	return l.outbox[len(l.outbox)-1], nil
}

func (l *Live) putHook(w *Webhook) {
	if _, ok := l.hooks[w.ID]; !ok {
		l.hookIDs = append(l.hookIDs, w.ID)
		slices.Sort(l.hookIDs)
	}
	l.hooks[w.ID] = w
}

func (l *Live) dropHook(id string) {
	delete(l.hooks, id)
	l.hookIDs = slices.DeleteFunc(l.hookIDs, func(s string) bool { return s == id })
	delete(l.dirtyHooks, id)
}

// KnownEvent reports whether t is an event type a webhook may ask for.
func KnownEvent(t string) bool { return slices.Contains(EventTypes, t) }

// EventTypes are every event type, for webhook filters.
var EventTypes = []string{
	EventIssued, EventCalled, EventRecalled, EventFinished, EventNoShow, EventTransferred, EventExpired,
	EventPrechecked, EventDossier, EventIdentity, EventRated, EventVoided, EventPaused, EventResumed, EventOpened, EventClosed, EventConfigured,
	EventBooked, EventCancelled, EventRescheduled, EventCheckedIn, EventBookNoShow,
	EventPriorityConfirmed, EventPriorityDowngraded, EventAlertRaised, EventAlertCleared,
}
