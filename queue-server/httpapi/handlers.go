package httpapi

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"xephang/queue-server/accounts"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// timeLayout is RFC 3339 with seconds; times are given in the centre's offset.
const timeLayout = time.RFC3339

func (s *Server) handleCentres(w http.ResponseWriter, r *http.Request) {
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		out := []apiv1.CentreSummary{}
		for _, id := range tx.Centres() {
			l, _ := tx.Live(id)
			cfg := l.Config()
			bookable := false
			for _, svc := range cfg.Services {
				bookable = bookable || svc.Bookable
			}
			out = append(out, apiv1.CentreSummary{ID: id, Name: cfg.Name, Address: cfg.Address, Bookable: bookable})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (s *Server) handleGetCentre(w http.ResponseWriter, r *http.Request) {
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		return l.Config(), nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) handlePutCentre(w http.ResponseWriter, r *http.Request) {
	var c queue.Centre
	if err := decode(w, r, &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("centre")
	if c.ID != "" && c.ID != id {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "the body's id %q differs from the path's %q", "mã trong nội dung %q khác mã trên đường dẫn %q", c.ID, id))
		return
	}
	c.ID = id
	c.Normalize()
	if err := c.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		return tx.PutCentre(c, u.Username), nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if v.(bool) {
		status = http.StatusCreated
	}
	writeJSON(w, status, c)
}

// staffTicketView is ticketView with what only staff may see.
func staffTicketView(l *queue.Live, t queue.Ticket, now time.Time) apiv1.TicketView {
	v := ticketView(l, t, now)
	v.Booking = t.Booking
	if t.Dossier != nil {
		v.Dossier = &apiv1.DossierMark{Form: t.Dossier.Form, Documents: t.Dossier.Documents, Confirmed: t.Dossier.Confirmed}
	}
	v.Identity = t.Identity
	if len(t.Precheck) > 0 {
		v.Precheck = json.RawMessage(t.Precheck)
	}
	return v
}

func ticketView(l *queue.Live, t queue.Ticket, now time.Time) apiv1.TicketView {
	cfg := l.Config()
	loc := l.Location()
	v := apiv1.TicketView{
		ID: t.ID, Centre: t.Centre, Number: t.Number, Service: t.Service, Status: t.Status, Priority: t.Priority,
		IssuedAt: t.IssuedAt.In(loc).Format(timeLayout), Counter: t.Counter, Calls: t.Calls, Booked: t.Booking != "", Source: t.Source, Rating: t.Rating,
	}
	v.PriorityPending = t.PriorityPending
	if len(t.Notify) > 0 && t.Open() {
		v.Notify = &apiv1.NotifyView{Channels: t.Notify}
	}
	if svc, ok := cfg.Service(t.Service); ok {
		v.ServiceName, v.ServiceNameEn = svc.Name, svc.NameEn
	}
	if k, ok := cfg.Counter(t.Counter); ok {
		v.CounterName = k.Name
	}
	if t.CalledAt != nil {
		v.CalledAt = t.CalledAt.In(loc).Format(timeLayout)
	}
	if t.FinishedAt != nil {
		v.FinishedAt = t.FinishedAt.In(loc).Format(timeLayout)
	}
	if pos, wait, ok := l.Estimate(now, t.ID); ok {
		v.Position = pos
		v.EstimatedWaitSeconds = int(wait / time.Second)
	}
	return v
}

func (s *Server) handleIssue(w http.ResponseWriter, r *http.Request) {
	var req apiv1.IssueRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	u, _ := principal(r)
	centre := r.PathValue("centre")
	source := queue.SourceStaff
	kiosk := ""
	if u.Role == queue.RoleKiosk {
		source, kiosk = queue.SourceKiosk, u.Username
	}
	var issuedAt time.Time
	if req.Number != "" || req.Offline || req.IssuedAt != "" {
		var err error
		if issuedAt, err = time.Parse(time.RFC3339Nano, req.IssuedAt); err != nil || req.Number == "" || req.IdempotencyKey == "" {
			s.writeError(w, r, queue.Errorf(queue.EInvalid, "an offline ticket needs number, issued_at (RFC 3339) and idempotency_key", "số cấp khi mất kết nối cần number, issued_at (RFC 3339) và idempotency_key"))
			return
		}
		if u.Role != queue.RoleKiosk {
			s.writeError(w, r, queue.Errorf(queue.EForbidden, "only kiosks send offline tickets", "chỉ ki-ốt gửi số cấp khi mất kết nối"))
			return
		}
	}
	// A citizen identified by the card read at the kiosk (or by staff):
	// the citizen's daily limit applies.
	citizen := ""
	if req.Citizen != nil {
		n, err := checkCCCD(req.Citizen.IDNumber, s.now(), "citizen.id_number")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		citizen = queue.CitizenKey(s.secret, n)
	}
	notify, err := notifyRequest(req.Notify)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, t, err := tx.IssueOnce(centre, queue.IssueRequest{
			Service: strings.ToUpper(strings.TrimSpace(req.Service)), Priority: req.Priority,
			Key: req.IdempotencyKey, Source: source, Kiosk: kiosk,
			Number: strings.ToUpper(strings.TrimSpace(req.Number)), IssuedAt: issuedAt,
			Citizen: citizen, Notify: notify, Actor: u.Username,
		})
		if err != nil {
			return nil, err
		}
		return ticketView(l, t, tx.Now), nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleGetTicket(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	u, staff := s.optionalUser(r)
	view := func(l *queue.Live, t queue.Ticket, now time.Time) apiv1.TicketView {
		// Staff of the ticket's centre also see its pre-check.
		if staff && u.Role != queue.RoleKiosk && actsFor(u, t.Centre) {
			return staffTicketView(l, t, now)
		}
		return ticketView(l, t, now)
	}
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		l, t, err := tx.FindTicket(id)
		if err != nil {
			return nil, err
		}
		return view(l, t, tx.Now), nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) handleListTickets(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		var ts []queue.Ticket
		switch status {
		case "waiting":
			ts = l.Waiting(tx.Now)
		case "":
			ts = l.Today()
		default:
			return nil, queue.Errorf(queue.EInvalid, "status filter: waiting, or none for all of today", "bộ lọc status: waiting, hoặc để trống để xem cả ngày")
		}
		out := make([]apiv1.TicketView, len(ts))
		for i, t := range ts {
			out[i] = staffTicketView(l, t, tx.Now)
		}
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func queueView(l *queue.Live, now time.Time) apiv1.QueueView {
	cfg := l.Config()
	q := l.Queue(now)
	v := apiv1.QueueView{Centre: cfg.ID, Name: cfg.Name, Now: now.In(l.Location()).Format(timeLayout), Open: cfg.OpenAt(now, l.Location()), LastSeq: l.LastSeq()}
	for _, svc := range cfg.Services {
		v.Services = append(v.Services, apiv1.ServiceView{Code: svc.Code, Name: svc.Name, NameEn: svc.NameEn, Waiting: q[svc.Code].Waiting, EstimatedWaitSeconds: int(q[svc.Code].EstimatedWait / time.Second)})
	}
	for _, c := range l.Counters() {
		k, _ := cfg.Counter(c.Number)
		cv := apiv1.CounterView{Number: c.Number, Name: k.Name, Services: k.Services, Status: c.Status, Reason: c.Reason}
		if t, ok := l.Ticket(c.Current); ok && t.Status == queue.StatusCalled {
			cv.Current = &apiv1.CurrentTicket{ID: t.ID, Number: t.Number, Service: t.Service, Priority: t.IsPriority(), PriorityPending: t.PriorityPending, Booked: t.Booking != ""}
		}
		v.Counters = append(v.Counters, cv)
	}
	return v
}

func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request) {
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		return queueView(l, tx.Now), nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

// counterActions are the routes POST …/counters/{n}/ACTION. The last two
// decide on a priority claimed at a kiosk for the ticket at the counter:
// confirm it (the clerk saw the proof) or downgrade it to normal (the
// ticket waits again by its issue time); both audited.
var counterActions = []string{"next", "call", "recall", "finish", "no-show", "transfer", "pause", "resume", "close",
	"confirm-priority", "downgrade-priority"}

func (s *Server) handleCounter(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, err := counterNumber(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var req apiv1.CounterRequest
		if r.ContentLength != 0 {
			if err := decode(w, r, &req); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		u, _ := principal(r)
		v, err := s.writeCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
			var t queue.Ticket
			var ok = true
			switch action {
			case "next":
				t, ok, err = l.Next(tx.Now, n, u.Username)
			case "call":
				t, err = l.Call(tx.Now, n, req.Ticket, req.Reason, u.Username)
			case "recall":
				t, err = l.Recall(tx.Now, n)
			case "finish":
				t, err = l.Finish(tx.Now, n)
			case "no-show":
				t, err = l.NoShow(tx.Now, n)
			case "transfer":
				t, err = l.Transfer(tx.Now, n, req.Service)
			case "pause":
				_, err = l.PauseFor(tx.Now, n, req.Reason, req.Minutes)
				ok = false
			case "resume":
				_, err = l.Resume(tx.Now, n, u.Username)
				ok = false
			case "close":
				_, err = l.Close(tx.Now, n)
				ok = false
			case "confirm-priority":
				t, err = l.ConfirmPriority(tx.Now, n, req.Reason, u.Username)
			case "downgrade-priority":
				t, err = l.DowngradePriority(tx.Now, n, req.Reason, u.Username)
			}
			if err != nil {
				return nil, err
			}
			resp := apiv1.CounterResponse{}
			if ok {
				tv := staffTicketView(l, t, tx.Now)
				resp.Ticket = &tv
			}
			qv := queueView(l, tx.Now)
			for i := range qv.Counters {
				if qv.Counters[i].Number == n {
					resp.Counter = &qv.Counters[i]
				}
			}
			return resp, nil
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		resp := v.(apiv1.CounterResponse)
		if action == "next" && resp.Ticket == nil {
			w.WriteHeader(http.StatusNoContent) // no one waits
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	out, err := s.store.Audit(r.PathValue("centre"), 200)
	if out == nil {
		out = []queue.Audit{}
	}
	s.reply(w, r, http.StatusOK, out, err)
}

func (s *Server) handlePrecheck(w http.ResponseWriter, r *http.Request) {
	var res apiv1.PrecheckResult
	if err := decodeLimit(w, r, &res, queue.MaxPrecheckBytes); err != nil {
		s.writeError(w, r, err)
		return
	}
	if res.Procedure == "" {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "a pre-check result is JSON with procedure, ok, documents and fields", "kết quả kiểm tra hồ sơ phải là JSON có procedure, ok, documents và fields").At("procedure"))
		return
	}
	for _, d := range res.Documents {
		switch d.Status {
		case "present", "missing", "unreadable", "inconsistent":
		default:
			s.writeError(w, r, queue.Errorf(queue.EInvalid, "document status %q: present, missing, unreadable or inconsistent", "trạng thái giấy tờ %q không hợp lệ", d.Status))
			return
		}
	}
	compact, _ := json.Marshal(res)
	u, _ := principal(r)
	id := r.PathValue("id")
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		for _, c := range tx.Centres() {
			l, _ := tx.Live(c)
			if t, ok := l.Ticket(id); ok {
				if !actsFor(u, t.Centre) {
					return nil, errOtherCentre
				}
				t, err := l.AttachPrecheck(tx.Now, id, compact)
				if err != nil {
					return nil, err
				}
				return staffTicketView(l, t, tx.Now), nil
			}
		}
		return nil, queue.Errorf(queue.ENotFound, "no ticket %q today", "hôm nay không có số %q", id)
	})
	s.reply(w, r, http.StatusOK, v, err)
}

// handleRatingTablet pairs a rating tablet with a counter
// (accounts.PairRatingTablet).
func (s *Server) handleRatingTablet(w http.ResponseWriter, r *http.Request) {
	centre := r.PathValue("centre")
	n, err := counterNumber(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		token, se, err := accounts.PairRatingTablet(tx, centre, n, u.Username)
		if err != nil {
			return nil, err
		}
		return apiv1.RatingTabletResponse{Token: token, Centre: centre, Counter: n, ExpiresAt: se.Expires.UTC().Format(timeLayout)}, nil
	})
	s.sessions.clear()
	s.reply(w, r, http.StatusCreated, v, err)
}

// handleRating takes a citizen's rating from the rating tablet of the
// counter that served the ticket (or from staff of its centre). Ticket ids
// are on the public event stream, so a rating needs the tablet's token: a
// stranger following the stream cannot rate other people's service.
func (s *Server) handleRating(w http.ResponseWriter, r *http.Request) {
	var req apiv1.RatingRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	u, _ := principal(r)
	id := r.PathValue("id")
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		for _, c := range tx.Centres() {
			l, _ := tx.Live(c)
			if t, ok := l.Ticket(id); ok {
				if !actsFor(u, c) {
					return nil, queue.Errorf(queue.EForbidden, "your account belongs to another centre", "tài khoản của bạn thuộc trung tâm khác")
				}
				if u.Role == queue.RoleRating && t.Counter != 0 && u.Counter != t.Counter {
					return nil, queue.Errorf(queue.EForbidden, "this tablet rates the tickets of counter %d only", "máy này chỉ nhận đánh giá cho quầy %d", u.Counter)
				}
				t, err := l.RateTicket(tx.Now, id, req.Score)
				if err != nil {
					return nil, err
				}
				return ticketView(l, t, tx.Now), nil
			}
		}
		return nil, queue.Errorf(queue.ENotFound, "no ticket %q today", "hôm nay không có số %q", id)
	})
	s.reply(w, r, http.StatusOK, v, err)
}
