package httpapi

// Issue 18's routes: same-day numbers from the phone, notifications of a
// ticket or a booking, the Web Push key, webhooks, the outbox's messages,
// closing a day, staff alerts.

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/notify"
	"xephang/queue-server/queue"
)

// Bounds of what a citizen's browser and an integrator send.
const (
	// maxOnlineKey leaves room in queue.MaxKeyLen for the citizen's scope.
	maxOnlineKey  = 96
	minHookSecret = 16
	maxHookSecret = 256
)

// notifyRequest turns the wire's NotifyRequest into the domain's, checking
// the push subscription (the domain checks the phone, the e-mail and the
// consent). nil stays nil.
func notifyRequest(n *apiv1.NotifyRequest) (*queue.NotifyRequest, error) {
	if n == nil {
		return nil, nil
	}
	r := &queue.NotifyRequest{Phone: strings.TrimSpace(n.Phone), Email: strings.TrimSpace(n.Email), Consent: n.Consent}
	if n.Push != nil {
		if err := checkPush(n.Push); err != nil {
			return nil, err
		}
		r.Push = &queue.PushSubscription{Endpoint: n.Push.Endpoint, P256dh: n.Push.Keys.P256dh, Auth: n.Push.Keys.Auth}
	}
	return r, nil
}

// checkPush checks a browser's push subscription (notify.ValidSubscription:
// an https endpoint at a public address, a P-256 key, a 16-byte secret),
// naming the field as the request does.
func checkPush(p *apiv1.PushSubscription) error {
	err := notify.ValidSubscription(queue.PushSubscription{Endpoint: p.Endpoint, P256dh: p.Keys.P256dh, Auth: p.Keys.Auth})
	var qe *queue.Error
	if errors.As(err, &qe) {
		e := *qe
		switch e.Field {
		case "push.p256dh", "push.auth":
			e.Field = "notify.push.keys." + strings.TrimPrefix(e.Field, "push.")
		default:
			e.Field = "notify." + e.Field
		}
		return &e
	}
	return err
}

// handleOnlineTicket takes a same-day number from the phone: the public
// with the proof of work and the per-address limit, or staff of the
// centre for a citizen on the phone (no challenge, no address limit).
// The citizen's daily limit applies to both.
func (s *Server) handleOnlineTicket(w http.ResponseWriter, r *http.Request) {
	var req apiv1.OnlineTicketRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	centre := r.PathValue("centre")
	now := s.now()
	u, staff := s.staffUser(r)
	if !s.publicOrFor(w, r, u, staff, centre, onlineRate, req.Altcha, now) {
		return
	}
	actor := "public"
	if staff {
		actor = u.Username
	}
	number, err := checkCCCD(req.Citizen.IDNumber, now, "citizen.id_number")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	notify, err := notifyRequest(req.Notify)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The phone given with the citizen is the one to tell, when the
	// citizen agreed to be told and named no other.
	if notify != nil && notify.Consent && notify.Phone == "" && req.Citizen.Phone != "" {
		notify.Phone = strings.TrimSpace(req.Citizen.Phone)
	}
	if !staff && s.addressLimited(w, r, notify, now) {
		return
	}
	// The idempotency key is the citizen's: scoped by the citizen, so a
	// key someone else chose (or guessed) never returns their number.
	citizen, key := queue.CitizenKey(s.secret, number), ""
	if req.IdempotencyKey != "" {
		if len(req.IdempotencyKey) > maxOnlineKey {
			s.writeError(w, r, queue.Errorf(queue.EInvalid, "idempotency_key: at most %d bytes", "idempotency_key: tối đa %d byte", maxOnlineKey).At("idempotency_key"))
			return
		}
		key = "online/" + citizen[:24] + "/" + req.IdempotencyKey
	}
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, t, err := tx.IssueOnce(centre, queue.IssueRequest{
			Service: strings.ToUpper(strings.TrimSpace(req.Service)), Source: queue.SourceOnline,
			Citizen: citizen, Notify: notify, Actor: actor, Key: key,
		})
		if err != nil {
			return nil, err
		}
		tv := ticketView(l, t, tx.Now)
		tv.TrackURL = "/track/" + t.ID
		return tv, nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

// handleTicketNotify sets (PUT) or removes (DELETE) how the citizen of an
// open ticket is told. The ticket id is the capability, as for tracking;
// the per-address limit on look-ups applies to all but staff.
func (s *Server) handleTicketNotify(w http.ResponseWriter, r *http.Request) {
	req := &queue.NotifyRequest{}
	if r.Method == http.MethodPut {
		var body apiv1.NotifyRequest
		if !s.decodeBody(w, r, &body) {
			return
		}
		var err error
		if req, err = notifyRequest(&body); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if s.lookupLimited(w, r) {
		return
	}
	u, staff := s.staffUser(r)
	actor := "public"
	if staff {
		actor = u.Username
	} else if s.addressLimited(w, r, req, s.now()) {
		return
	}
	id := r.PathValue("id")
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, t, err := tx.FindTicket(id)
		if err != nil {
			return nil, err
		}
		if staff && !actsFor(u, t.Centre) {
			return nil, errOtherCentre
		}
		t, err = l.SetTicketNotify(tx.Now, id, *req, actor)
		if err != nil {
			return nil, err
		}
		return notifyView(t.Notify), nil
	})
	if err == nil && r.Method == http.MethodDelete {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.reply(w, r, http.StatusOK, v, err)
}

// addressLimited takes, for an anonymous request, a token of addressRate
// for each phone and e-mail address it gives (keyed by their keyed hash:
// the limits' tables hold no address), and answers 429 when one has none
// left.
func (s *Server) addressLimited(w http.ResponseWriter, r *http.Request, n *queue.NotifyRequest, now time.Time) bool {
	if n == nil {
		return false
	}
	var addrs []string
	if p, ok := queue.ValidPhone(n.Phone); ok {
		addrs = append(addrs, "phone:"+p)
	}
	if n.Email != "" {
		addrs = append(addrs, "email:"+strings.ToLower(n.Email))
	}
	for _, a := range addrs {
		if s.limitedBy(w, r, addressRate, "addr:"+queue.CitizenKey(s.secret, a)[:32], now, errAddressTooMany) {
			return true
		}
	}
	return false
}

var errAddressTooMany = queue.Errorf(queue.ERateLimited, "this phone number or e-mail address was given for notifications too often today: ask at the centre", "số điện thoại hoặc e-mail này đã được đăng ký nhận thông báo quá nhiều lần hôm nay: vui lòng hỏi tại trung tâm")

func notifyView(channels []string) apiv1.NotifyView {
	if channels == nil {
		channels = []string{}
	}
	return apiv1.NotifyView{Channels: channels}
}

// handleBookingNotify sets (PUT) or removes (DELETE) how the citizen of an
// active booking is told: the citizen proves it theirs with the CCCD
// number, as for a cancel; admin and clerk of its centre need not.
func (s *Server) handleBookingNotify(w http.ResponseWriter, r *http.Request) {
	var body apiv1.BookingNotifyRequest
	if r.Method == http.MethodPut || r.ContentLength != 0 {
		if !s.decodeBody(w, r, &body) {
			return
		}
	}
	req := &queue.NotifyRequest{}
	if r.Method == http.MethodPut {
		var err error
		if req, err = notifyRequest(&body.NotifyRequest); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if s.lookupLimited(w, r) {
		return
	}
	u, staff := s.staffUser(r)
	key, actor := "", "public"
	if staff {
		actor = u.Username
	} else {
		if s.addressLimited(w, r, req, s.now()) {
			return
		}
		n, err := checkCCCD(body.IDNumber, s.now(), "id_number")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		key = queue.CitizenKey(s.secret, n)
	}
	code := queue.NormBookingCode(r.PathValue("code"))
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, b, err := tx.FindBooking(code)
		if err != nil {
			return nil, err
		}
		if staff && !actsFor(u, b.Centre) {
			return nil, queue.Errorf(queue.EForbidden, "your account belongs to another centre", "tài khoản của bạn thuộc trung tâm khác")
		}
		b, err = l.SetBookingNotify(tx.Now, code, key, staff, *req, actor)
		if err != nil {
			return nil, err
		}
		return notifyView(b.Notify), nil
	})
	if err == nil && r.Method == http.MethodDelete {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.reply(w, r, http.StatusOK, v, err)
}

// handlePushKey gives browsers the key their push subscriptions are for.
func (s *Server) handlePushKey(w http.ResponseWriter, r *http.Request) {
	key := ""
	if s.pushKey != nil {
		key = s.pushKey()
	}
	if key == "" {
		s.writeError(w, r, queue.Errorf(queue.ENotFound, "this server sends no Web Push notifications: choose a phone or an e-mail", "máy chủ này không gửi thông báo qua trình duyệt: hãy chọn số điện thoại hoặc e-mail"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.PushKeyView{PublicKey: key})
}

// checkHookSecret: 16 to 256 bytes of visible ASCII.
func checkHookSecret(sec string) error {
	ok := len(sec) >= minHookSecret && len(sec) <= maxHookSecret
	for i := 0; ok && i < len(sec); i++ {
		ok = sec[i] > ' ' && sec[i] < 0x7f
	}
	if !ok {
		return queue.Errorf(queue.EInvalid, "secret: %d to %d visible ASCII characters", "secret: từ %d đến %d ký tự ASCII hiển thị được", minHookSecret, maxHookSecret).At("secret")
	}
	return nil
}

func webhookView(h queue.Webhook, loc *time.Location) apiv1.WebhookView {
	ev := h.Events
	if ev == nil {
		ev = []string{}
	}
	return apiv1.WebhookView{ID: h.ID, Centre: h.Centre, URL: h.URL, Events: ev, CreatedAt: h.CreatedAt.In(loc).Format(timeLayout), CreatedBy: h.CreatedBy}
}

func (s *Server) handleAddWebhook(w http.ResponseWriter, r *http.Request) {
	var req apiv1.WebhookRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if err := notify.CheckWebhookURL(req.URL, s.privateHook); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkHookSecret(req.Secret); err != nil {
		s.writeError(w, r, err)
		return
	}
	for i, e := range req.Events {
		if !queue.KnownEvent(e) {
			s.writeError(w, r, queue.Errorf(queue.EInvalid, "unknown event type %q", "loại sự kiện %q không tồn tại", e).At("events["+strconv.Itoa(i)+"]"))
			return
		}
	}
	u, _ := principal(r)
	ctx, cancel := s.ctx(r)
	defer cancel()
	ctx = engine.WithCentres(ctx, req.Centre)
	v, err := s.eng.Write(ctx, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(req.Centre)
		if queue.ErrorCode(err) == queue.ENotFound {
			return nil, queue.Errorf(queue.EInvalid, "no centre %q", "không có trung tâm %q", req.Centre).At("centre")
		}
		if err != nil {
			return nil, err
		}
		h, err := l.AddWebhook(tx.Now, queue.Webhook{URL: req.URL, Events: req.Events, Secret: req.Secret}, u.Username)
		if err != nil {
			return nil, err
		}
		return webhookView(h, l.Location()), nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleWebhooks(w http.ResponseWriter, r *http.Request) {
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		out := []apiv1.WebhookView{}
		for _, h := range l.Webhooks() {
			out = append(out, webhookView(h, l.Location()))
		}
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

// onWebhook runs fn in a write on the centre of the webhook {id}: the
// store names it when it keeps webhooks (queue.Outbox), else each live
// centre is asked.
func (s *Server) onWebhook(r *http.Request, fn func(tx *engine.Tx, l *queue.Live, id string) (any, error)) (any, error) {
	id := r.PathValue("id")
	ctx, cancel := s.ctx(r)
	defer cancel()
	centre := ""
	if ob, ok := s.store.(queue.Outbox); ok {
		if h, err := ob.Webhook(id); err == nil && !h.Deleted {
			centre = h.Centre
			ctx = engine.WithCentres(ctx, centre)
		}
	}
	return s.eng.Write(ctx, func(tx *engine.Tx) (any, error) {
		centres := tx.Centres()
		if centre != "" {
			centres = []string{centre}
		}
		for _, c := range centres {
			l, err := tx.Live(c)
			if err != nil {
				return nil, err
			}
			for _, h := range l.Webhooks() {
				if h.ID == id {
					return fn(tx, l, id)
				}
			}
		}
		return nil, queue.Errorf(queue.ENotFound, "no webhook %s", "không có webhook %s", id)
	})
}

func (s *Server) handleTestWebhook(w http.ResponseWriter, r *http.Request) {
	u, _ := principal(r)
	v, err := s.onWebhook(r, func(tx *engine.Tx, l *queue.Live, id string) (any, error) {
		m, err := l.TestWebhook(tx.Now, id, u.Username)
		if err != nil {
			return nil, err
		}
		return apiv1.WebhookTestResponse{Message: m.ID}, nil
	})
	s.reply(w, r, http.StatusAccepted, v, err)
}

func (s *Server) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	u, _ := principal(r)
	_, err := s.onWebhook(r, func(tx *engine.Tx, l *queue.Live, id string) (any, error) {
		return nil, l.DeleteWebhook(tx.Now, id, u.Username)
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Bounds of the messages views.
const (
	defaultMessages = 100
	maxMessages     = 1000
	// summaryMessages: the summary counts the centre's latest messages.
	summaryMessages = 10000
)

// outbox returns the store's outbox, or 503 when the store keeps none.
func (s *Server) outbox() (queue.Outbox, error) {
	ob, ok := s.store.(queue.Outbox)
	if !ok {
		return nil, queue.Errorf(queue.EUnavailable, "this store keeps no messages", "kho dữ liệu này không lưu tin nhắn")
	}
	return ob, nil
}

// messagesQuery reads limit (1–1000, default 100) and the filters.
func messagesQuery(r *http.Request) (channel, status string, limit int, err error) {
	q := r.URL.Query()
	limit = defaultMessages
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxMessages {
			return "", "", 0, queue.Errorf(queue.EInvalid, "limit: 1 to %d", "limit: từ 1 đến %d", maxMessages).At("limit")
		}
	}
	channel, status = q.Get("channel"), q.Get("status")
	if channel != "" && !queue.ValidChannel(channel) && channel != queue.ChannelWebhook {
		return "", "", 0, queue.Errorf(queue.EInvalid, "channel: phone, email, push or webhook", "channel: phone, email, push hoặc webhook").At("channel")
	}
	switch status {
	case "", queue.MessagePending, queue.MessageSent, queue.MessageFailed:
	default:
		return "", "", 0, queue.Errorf(queue.EInvalid, "status: pending, sent or failed", "status: pending, sent hoặc failed").At("status")
	}
	return channel, status, limit, nil
}

// messageView shows a message to staff: what and how, never to whom.
func messageView(m queue.Message, loc *time.Location) apiv1.MessageView {
	v := apiv1.MessageView{ID: m.ID, Channel: m.Channel, Topic: m.Topic, Status: m.Status, Attempts: m.Attempts, Via: m.Via, Error: m.Error,
		CreatedAt: m.CreatedAt.In(loc).Format(timeLayout)}
	if m.Channel == queue.ChannelWebhook {
		v.Ref, v.Webhook = queue.ChannelWebhook, m.Ref
	} else {
		v.Ref, _, _ = strings.Cut(m.Ref, ":")
		switch v.Ref {
		case queue.RefTicket:
			v.Number = m.Data["number"]
		case queue.RefBooking:
			v.Code = m.Data["code"]
		}
	}
	if !m.NextAt.IsZero() && m.Status == queue.MessagePending {
		v.NextAt = m.NextAt.In(loc).Format(timeLayout)
	}
	if m.SentAt != nil {
		v.SentAt = m.SentAt.In(loc).Format(timeLayout)
	}
	return v
}

// centreLocation checks that the path's centre exists and returns its zone.
func (s *Server) centreLocation(r *http.Request) (*time.Location, error) {
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) { return l.Location(), nil })
	if err != nil {
		return nil, err
	}
	return v.(*time.Location), nil
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	channel, status, limit, err := messagesQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	loc, err := s.centreLocation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ob, err := s.outbox()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	centre := r.PathValue("centre")
	ms, err := ob.Messages(centre, channel, status, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	all, err := ob.Messages(centre, "", "", summaryMessages)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := apiv1.MessagesView{Messages: make([]apiv1.MessageView, 0, len(ms)), Summary: map[string]apiv1.MessageCounts{}}
	for _, m := range ms {
		out.Messages = append(out.Messages, messageView(m, loc))
	}
	for _, m := range all {
		c := out.Summary[m.Channel]
		switch m.Status {
		case queue.MessagePending:
			c.Pending++
		case queue.MessageSent:
			c.Sent++
		case queue.MessageFailed:
			c.Failed++
		}
		out.Summary[m.Channel] = c
	}
	writeJSON(w, http.StatusOK, out)
}

// handleDeliveries is a webhook's delivery log: its messages, newest first.
func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	_, _, limit, err := messagesQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	loc, err := s.centreLocation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ob, err := s.outbox()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	centre, id := r.PathValue("centre"), r.PathValue("id")
	if h, err := ob.Webhook(id); err != nil || h.Centre != centre {
		if err != nil && queue.ErrorCode(err) != queue.ENotFound {
			s.writeError(w, r, err)
			return
		}
		s.writeError(w, r, queue.Errorf(queue.ENotFound, "no webhook %s", "không có webhook %s", id))
		return
	}
	ms, err := ob.Messages(centre, queue.ChannelWebhook, "", summaryMessages)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []apiv1.MessageView{}
	for _, m := range ms {
		if m.Ref == id && len(out) < limit {
			out = append(out, messageView(m, loc))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCloseDay(w http.ResponseWriter, r *http.Request) {
	var req apiv1.CloseDayRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	u, _ := principal(r)
	v, err := s.writeCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		n, err := l.CloseDay(tx.Now, req.Date, req.Message, u.Username)
		if err != nil {
			return nil, err
		}
		return apiv1.CloseDayResponse{Cancelled: n}, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		out := []apiv1.AlertView{}
		for _, a := range l.Alerts() {
			out = append(out, apiv1.AlertView{Kind: a.Kind, Service: a.Service, Counter: a.Counter, Since: a.Since.In(l.Location()).Format(timeLayout), Minutes: a.Minutes, Limit: a.Limit})
		}
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}
