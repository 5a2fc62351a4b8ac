package httpapi

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"xephang/queue-server/accounts"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

func enrollmentView(en queue.Enrollment, now time.Time) apiv1.EnrollmentTokenView {
	v := apiv1.EnrollmentTokenView{ID: en.Hash[:min(accounts.TokenIDLen, len(en.Hash))], Centre: en.Centre, Status: en.Status(now), CreatedBy: en.CreatedBy,
		ExpiresAt: en.Expires.UTC().Format(timeLayout), Approval: en.Approval, UsedBy: en.UsedBy, CancelledBy: en.CancelledBy}
	if !en.CreatedAt.IsZero() {
		v.CreatedAt = en.CreatedAt.UTC().Format(timeLayout)
	}
	if !en.CancelledAt.IsZero() {
		v.CancelledAt = en.CancelledAt.UTC().Format(timeLayout)
	}
	return v
}

// handleEnrollmentTokens lists the tokens still active and those that
// ended in the last week (?centre= for one centre), newest first.
func (s *Server) handleEnrollmentTokens(w http.ResponseWriter, r *http.Request) {
	centre := r.URL.Query().Get("centre")
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		ens, err := accounts.Enrollments(tx.Store(), centre, tx.Now)
		if err != nil {
			return nil, err
		}
		out := []apiv1.EnrollmentTokenView{}
		for _, en := range ens {
			out = append(out, enrollmentView(en, tx.Now))
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ExpiresAt > out[j].ExpiresAt })
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

// handleCancelEnrollmentToken cancels a token not used yet
// (accounts.CancelEnrollment).
func (s *Server) handleCancelEnrollmentToken(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(r.PathValue("id"))
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		en, err := accounts.CancelEnrollment(tx, id, u.Username)
		if err != nil {
			return nil, err
		}
		return enrollmentView(en, tx.Now), nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) handleEnrollmentToken(w http.ResponseWriter, r *http.Request) {
	var req apiv1.EnrollmentTokenRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		token, en, err := accounts.NewEnrollment(tx, req.Centre, req.Approval, u.Username)
		if err != nil {
			return nil, err
		}
		return apiv1.EnrollmentTokenResponse{Token: token, ID: en.Hash[:accounts.TokenIDLen], Centre: req.Centre, ExpiresAt: en.Expires.UTC().Format(timeLayout)}, nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	if s.limited(w, r, enrollRate, s.now()) {
		return
	}
	var req apiv1.EnrollRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	name, err := accounts.CheckEnroll(req.Name, req.CSR, s.ca)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		e, err := accounts.Enroll(tx, req.Token, name, req.CSR, s.ca)
		if err != nil {
			return nil, err
		}
		return apiv1.EnrollResponse{Kiosk: e.Kiosk.ID, Centre: e.Kiosk.Centre, Pending: e.Kiosk.Pending, ServerTime: tx.Now.UTC().Format(time.RFC3339Nano),
			Certificate: string(e.Certificate), CA: string(e.CA), Credential: e.Credential, ExpiresAt: e.Expires.UTC().Format(timeLayout)}, nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	var req apiv1.HeartbeatRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if err := queue.ValidateHeartbeat(req.Version, req.Devices, req.LastError, req.Outbox); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		k, err := tx.Kiosk(u.Username)
		if err != nil {
			return nil, err
		}
		k.Heard(tx.Now, req.Version, req.Devices, req.LastError, req.Outbox)
		tx.PutKiosk(k)
		return apiv1.HeartbeatResponse{ServerTime: tx.Now.UTC().Format(time.RFC3339Nano)}, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) handleKiosks(w http.ResponseWriter, r *http.Request) {
	ks, err := s.store.Kiosks()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	out := []apiv1.KioskView{}
	for _, k := range ks {
		out = append(out, apiv1.KioskView{Kiosk: k, Online: accounts.KioskOnline(k, now), CertExpiring: accounts.CertExpiring(k, now)})
	}
	writeJSON(w, http.StatusOK, out)
}

// kioskChange serves an admin action on the kiosk named in the path: it
// applies change and stores the kiosk. Sessions are dropped from the cache,
// so a revocation takes effect at once.
func (s *Server) kioskChange(change func(tx *engine.Tx, k *queue.Kiosk) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		v, err := s.write(r, func(tx *engine.Tx) (any, error) {
			k, err := tx.Kiosk(id)
			if err != nil {
				return nil, err
			}
			if err := change(tx, &k); err != nil {
				return nil, err
			}
			tx.PutKiosk(k)
			return apiv1.KioskView{Kiosk: k}, nil
		})
		s.sessions.clear()
		s.reply(w, r, http.StatusOK, v, err)
	}
}

func (s *Server) handleLeaseBlock(w http.ResponseWriter, r *http.Request) {
	var req apiv1.BlockRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	u, _ := principal(r)
	v, err := s.writeCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		return l.LeaseBlock(tx.Now, u.Username, strings.ToUpper(strings.TrimSpace(req.Service)), req.Day, req.Size)
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleListBlocks(w http.ResponseWriter, r *http.Request) {
	u, _ := principal(r)
	v, err := s.readCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		out := l.Blocks(u.Username)
		if out == nil {
			out = []queue.NumberBlock{}
		}
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

// handleRenew signs a new certificate for the calling kiosk
// (accounts.Renew).
func (s *Server) handleRenew(w http.ResponseWriter, r *http.Request) {
	var req apiv1.RenewRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if s.ca == nil {
		s.writeError(w, r, accounts.ErrNoCA)
		return
	}
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		k, issued, err := accounts.Renew(tx, u.Username, req.CSR, s.ca)
		if err != nil {
			return nil, err
		}
		return apiv1.EnrollResponse{Kiosk: k.ID, Centre: k.Centre, Certificate: string(issued.PEM), CA: string(s.ca.CertPEM()),
			ExpiresAt: issued.NotAfter.UTC().Format(timeLayout), ServerTime: tx.Now.UTC().Format(time.RFC3339Nano)}, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

func (s *Server) handleVoid(w http.ResponseWriter, r *http.Request) {
	var req apiv1.VoidRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	u, _ := principal(r)
	v, err := s.writeCentre(r, func(tx *engine.Tx, l *queue.Live) (any, error) {
		t, err := l.VoidTicket(tx.Now, req.IdempotencyKey, u.Username)
		if err != nil {
			return nil, err
		}
		return ticketView(l, t, tx.Now), nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}
