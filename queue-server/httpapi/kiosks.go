package httpapi

import (
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// Enrolment and kiosk credentials. A token is one-time and expires after
// EnrollmentTTL; only its hash is stored. The credential a kiosk gets is a
// bearer token of a kiosk account, valid KioskCredentialTTL (the
// provisioning work replaces it with a client certificate).
const (
	EnrollmentTTL      = 24 * time.Hour
	KioskCredentialTTL = 365 * 24 * time.Hour
	CertWarning        = 30 * 24 * time.Hour
)

// tokenIDLen is how many hex digits of a token's SHA-256 name it in lists:
// 64 bits, enough to tell a centre's tokens apart, useless to enrol.
const tokenIDLen = 16

func enrollmentView(en queue.Enrollment, now time.Time) apiv1.EnrollmentTokenView {
	v := apiv1.EnrollmentTokenView{ID: en.Hash[:min(tokenIDLen, len(en.Hash))], Centre: en.Centre, Status: en.Status(now), CreatedBy: en.CreatedBy,
		ExpiresAt: en.Expires.UTC().Format(timeLayout), Approval: en.Approval, UsedBy: en.UsedBy, CancelledBy: en.CancelledBy}
	if !en.CreatedAt.IsZero() {
		v.CreatedAt = en.CreatedAt.UTC().Format(timeLayout)
	}
	if !en.CancelledAt.IsZero() {
		v.CancelledAt = en.CancelledAt.UTC().Format(timeLayout)
	}
	return v
}

// tokensShownFor is how long a used, cancelled or expired token stays in
// the list after its end.
const tokensShownFor = 7 * 24 * time.Hour

// handleEnrollmentTokens lists the tokens still active and those that
// ended in the last week (?centre= for one centre), newest first.
func (s *Server) handleEnrollmentTokens(w http.ResponseWriter, r *http.Request) {
	centre := r.URL.Query().Get("centre")
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		ens, err := tx.Store().Enrollments()
		if err != nil {
			return nil, err
		}
		out := []apiv1.EnrollmentTokenView{}
		for _, en := range ens {
			if centre != "" && en.Centre != centre {
				continue
			}
			ended := en.Expires
			if !en.CancelledAt.IsZero() {
				ended = en.CancelledAt
			}
			if en.Status(tx.Now) != "active" && tx.Now.Sub(ended) > tokensShownFor {
				continue
			}
			out = append(out, enrollmentView(en, tx.Now))
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ExpiresAt > out[j].ExpiresAt })
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

// handleCancelEnrollmentToken cancels a token not used yet: a token
// written on a paper that went astray, a kiosk that will not come.
// Cancelling it again, or an expired one, answers the same.
func (s *Server) handleCancelEnrollmentToken(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(r.PathValue("id"))
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		ens, err := tx.Store().Enrollments()
		if err != nil {
			return nil, err
		}
		var found []queue.Enrollment
		for _, en := range ens {
			if len(id) == tokenIDLen && strings.HasPrefix(en.Hash, id) {
				found = append(found, en)
			}
		}
		if len(found) != 1 { // two tokens sharing 64 bits of hash: never, but not guessed at
			return nil, queue.Errorf(queue.ENotFound, "no enrolment token %q", "không tìm thấy mã đăng ký %q", id)
		}
		en := found[0]
		switch en.Status(tx.Now) {
		case "used":
			return nil, queue.Errorf(queue.EConflict, "this token already enrolled kiosk %s: revoke the kiosk instead", "mã này đã dùng để đăng ký ki-ốt %s: hãy thu hồi ki-ốt đó", en.UsedBy)
		case "cancelled", "expired":
			return enrollmentView(en, tx.Now), nil
		}
		if !tx.Claim("enroll:" + en.Hash) {
			return nil, queue.Errorf(queue.EConflict, "a kiosk is enrolling with this token right now", "một ki-ốt đang đăng ký bằng mã này")
		}
		en.CancelledBy, en.CancelledAt = u.Username, tx.Now
		tx.PutEnrollment(en)
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
	token := newToken()
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		if _, err := tx.Live(req.Centre); err != nil {
			return nil, err
		}
		en := queue.Enrollment{Hash: HashToken(token), Centre: req.Centre, Expires: tx.Now.Add(EnrollmentTTL), CreatedBy: u.Username, CreatedAt: tx.Now, Approval: req.Approval}
		tx.PutEnrollment(en)
		return apiv1.EnrollmentTokenResponse{Token: token, ID: en.Hash[:tokenIDLen], Centre: req.Centre, ExpiresAt: en.Expires.UTC().Format(timeLayout)}, nil
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	if !s.enrollLimit.allow(clientIP(r), s.now()) {
		s.writeError(w, r, errTooMany)
		return
	}
	var req apiv1.EnrollRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	name := queue.NFC(req.Name)
	if utf8.RuneCountInString(name) > 100 {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "kiosk name: at most 100 characters", "tên ki-ốt: tối đa 100 ký tự"))
		return
	}
	if err := queue.CheckText("name", name, 400); err != nil {
		s.writeError(w, r, err)
		return
	}
	bad := queue.Errorf(queue.EUnauthorized, "this enrolment token is unknown, used, cancelled or expired: ask the administrator for a new one", "mã đăng ký không đúng, đã dùng, đã huỷ hoặc đã hết hạn: hãy xin quản trị viên mã mới")
	hash := HashToken(strings.TrimSpace(req.Token))
	credential := newToken()
	if req.CSR != "" && s.ca == nil {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "this server has no certificate authority: enrol without a CSR", "máy chủ không cấp chứng thư: hãy đăng ký không kèm CSR"))
		return
	}
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		en, err := tx.Store().Enrollment(hash)
		if err != nil || en.Status(tx.Now) != "active" || !tx.Claim("enroll:"+hash) {
			return nil, bad
		}
		if _, err := tx.Live(en.Centre); err != nil {
			return nil, err
		}
		id := "kiosk-" + engine.NewID()[:10]
		k := queue.Kiosk{ID: id, Centre: en.Centre, Name: name, EnrolledAt: tx.Now, Pending: en.Approval}
		resp := apiv1.EnrollResponse{Kiosk: id, Centre: en.Centre, Pending: en.Approval, ServerTime: tx.Now.UTC().Format(time.RFC3339Nano)}
		if req.CSR != "" {
			issued, err := s.ca.SignKiosk([]byte(req.CSR), id, en.Centre)
			if err != nil {
				return nil, queue.Errorf(queue.EInvalid, "certificate request: %v", "yêu cầu chứng thư không hợp lệ: %v", err)
			}
			k.CertSerial, k.CertExpires = issued.Serial, issued.NotAfter
			resp.Certificate, resp.CA, resp.ExpiresAt = string(issued.PEM), string(s.ca.CertPEM()), issued.NotAfter.UTC().Format(timeLayout)
		} else {
			se := queue.Session{Hash: HashToken(credential), Username: id, Expires: tx.Now.Add(KioskCredentialTTL)}
			tx.PutSession(se)
			resp.Credential, resp.ExpiresAt = credential, se.Expires.UTC().Format(timeLayout)
		}
		en.UsedBy = id
		tx.PutEnrollment(en)
		tx.PutUser(queue.User{Username: id, Role: queue.RoleKiosk, Centre: en.Centre, Name: name, CreatedAt: tx.Now})
		tx.PutKiosk(k)
		return resp, nil
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
		k, err := tx.Store().Kiosk(u.Username)
		if err != nil {
			return nil, err
		}
		for i := range req.Devices {
			req.Devices[i].Name = queue.PlainText(req.Devices[i].Name)
			req.Devices[i].Detail = queue.PlainText(req.Devices[i].Detail)
		}
		k.LastSeen, k.Version, k.Devices, k.LastError, k.Outbox = tx.Now, req.Version, req.Devices, queue.PlainText(req.LastError), req.Outbox
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
		out = append(out, apiv1.KioskView{Kiosk: k, Online: !k.Revoked && now.Sub(k.LastSeen) < 30*time.Second,
			CertExpiring: !k.CertExpires.IsZero() && k.CertExpires.Sub(now) < CertWarning})
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
			k, err := tx.Store().Kiosk(id)
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

// revokeKiosk stops a kiosk: its certificate and its bearer credential.
func revokeKiosk(tx *engine.Tx, k *queue.Kiosk) error {
	u, err := tx.Store().User(k.ID)
	if err != nil {
		return err
	}
	k.Revoked, u.Disabled = true, true
	u.EndSessions()
	tx.PutUser(u)
	return nil
}

func approveKiosk(_ *engine.Tx, k *queue.Kiosk) error {
	k.Pending = false
	return nil
}

func (s *Server) handleLeaseBlock(w http.ResponseWriter, r *http.Request) {
	var req apiv1.BlockRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(r.PathValue("centre"))
		if err != nil {
			return nil, err
		}
		return l.LeaseBlock(tx.Now, u.Username, strings.ToUpper(strings.TrimSpace(req.Service)), req.Day, req.Size)
	})
	s.reply(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleListBlocks(w http.ResponseWriter, r *http.Request) {
	u, _ := principal(r)
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(r.PathValue("centre"))
		if err != nil {
			return nil, err
		}
		out := l.Blocks(u.Username)
		if out == nil {
			out = []queue.NumberBlock{}
		}
		return out, nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}

// handleRenew signs a new certificate for the calling kiosk (at half-life,
// over its current certificate). The previous one stays valid until it
// expires, so an answer lost on the way strands nothing.
func (s *Server) handleRenew(w http.ResponseWriter, r *http.Request) {
	var req apiv1.RenewRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if s.ca == nil {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "this server has no certificate authority", "máy chủ không cấp chứng thư"))
		return
	}
	u, _ := principal(r)
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		k, err := tx.Store().Kiosk(u.Username)
		if err != nil {
			return nil, err
		}
		issued, err := s.ca.SignKiosk([]byte(req.CSR), k.ID, k.Centre)
		if err != nil {
			return nil, queue.Errorf(queue.EInvalid, "certificate request: %v", "yêu cầu chứng thư không hợp lệ: %v", err)
		}
		k.PrevSerial, k.CertSerial, k.CertExpires = k.CertSerial, issued.Serial, issued.NotAfter
		tx.PutKiosk(k)
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
	v, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(r.PathValue("centre"))
		if err != nil {
			return nil, err
		}
		t, err := l.VoidTicket(tx.Now, req.IdempotencyKey, u.Username)
		if err != nil {
			return nil, err
		}
		return ticketView(l, t, tx.Now), nil
	})
	s.reply(w, r, http.StatusOK, v, err)
}
