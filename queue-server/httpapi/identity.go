package httpapi

// Identities (issue 21): what the chip of a citizen's CCCD told, sent
// with the ticket by a kiosk of its centre (or a clerk's counter
// scanner), read by staff of the centre at the counter. Sensitive
// personal data: the face is biometric (Decree 13/2023). It is reached
// only by the ticket's id with a staff token, answered never cached, kept
// until the end of the ticket's day and never put in events, logs or
// exports; the audit names who sent it and who looked at the face, never
// a value.

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"net/http"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// Bounds of an identity's body.
const (
	maxIdentityBody       = 400 << 10 // the face in base64 (256 KB → 342 KB) and the rest
	maxIdentityCard       = 16 << 10  // the card's fields, as JSON
	maxIdentityCardKeys   = 64
	maxIdentityCardText   = 1000 // characters of one string of the card
	maxIdentityCardDepth  = 3
	maxIdentityProblems   = 32
	maxIdentityMismatches = 16
	maxIdentityText       = 500
	maxIdentityFaceSide   = 2048 // pixels, either side of the face
)

var (
	errNoIdentities = queue.Errorf(queue.EUnavailable, "this server's store keeps no identities", "kho dữ liệu của máy chủ này không lưu thông tin căn cước")
	errNoIdentity   = queue.Errorf(queue.ENotFound, "no identity was read for this ticket today", "hôm nay chưa đọc thông tin căn cước cho số này")
	errNoFace       = queue.Errorf(queue.ENotFound, "the identity of this ticket has no face", "thông tin căn cước của số này không có ảnh chân dung")
	errDayOver      = queue.Errorf(queue.EConflict, "this ticket's day is over: its identity is no longer kept", "ngày của số này đã kết thúc: thông tin căn cước không còn được lưu")
)

// identityView is the answer to GET …/identity: the identity, and the
// link to its face when it has one.
type identityView struct {
	queue.TicketIdentity
	FaceURL string `json:"face_url,omitempty"`
}

// identityTicket is the ticket {id} of an identity route, found for a
// caller who acts for its centre.
type identityTicket struct {
	t       queue.Ticket
	expires time.Time
}

// findIdentityTicket finds the ticket {id} (live, or of a past day in the
// store) and checks that the caller belongs to its centre: its kiosks and
// clerks write (write true), its clerks and the admins read. The access
// table keeps every other role out.
func (s *Server) findIdentityTicket(r *http.Request, write bool) (queue.Identities, identityTicket, error) {
	ids, ok := s.store.(queue.Identities)
	if !ok {
		return nil, identityTicket{}, errNoIdentities
	}
	u, _ := principal(r)
	if write && u.Role != queue.RoleKiosk && u.Role != queue.RoleClerk {
		return nil, identityTicket{}, queue.Errorf(queue.EForbidden, "only a kiosk or a clerk of the ticket's centre sends its identity", "chỉ ki-ốt hoặc cán bộ của trung tâm cấp số mới được gửi thông tin căn cước")
	}
	if !write && u.Role == queue.RoleKiosk {
		return nil, identityTicket{}, queue.Errorf(queue.EForbidden, "a kiosk sends identities but does not read them", "ki-ốt chỉ gửi thông tin căn cước, không được xem")
	}
	id := r.PathValue("id")
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		l, t, err := centreTicket(tx, u, id)
		if err != nil {
			return nil, err
		}
		return identityTicket{t: t, expires: queue.IdentityExpires(l.Config(), t.Day)}, nil
	})
	if err != nil {
		return nil, identityTicket{}, err
	}
	return ids, v.(identityTicket), nil
}

// checkIdentityIn checks an identity's body and returns it normalised:
// texts in NFC, the card as a JSON object with its keys in order and
// without a face.
func checkIdentityIn(in *queue.IdentityIn) error {
	if !slices.Contains(queue.Authenticities, in.Authenticity) {
		return invalidMeta("authenticity", "authenticity %q: genuine, data_altered, unknown_issuer or not_checked", "giá trị authenticity %q không hợp lệ: genuine, data_altered, unknown_issuer hoặc not_checked", in.Authenticity)
	}
	if len(in.Problems) > maxIdentityProblems {
		return invalidMeta("problems", "at most %d problems", "tối đa %d vấn đề", maxIdentityProblems)
	}
	var ok bool
	for i := range in.Problems {
		if in.Problems[i], ok = checkText(in.Problems[i], maxIdentityText); !ok || in.Problems[i] == "" {
			return invalidMeta("problems", "a problem is 1 to %d characters of text", "mỗi vấn đề dài từ 1 đến %d ký tự", maxIdentityText)
		}
	}
	if len(in.Mismatches) > maxIdentityMismatches {
		return invalidMeta("mismatches", "at most %d mismatches", "tối đa %d trường không khớp", maxIdentityMismatches)
	}
	for _, m := range in.Mismatches {
		if !fieldNameRE.MatchString(m) {
			return invalidMeta("mismatches", "mismatch %q: a field name (lower-case letters, digits and _)", "trường không khớp %q phải là tên trường (chữ thường, số và _)", m)
		}
	}
	card, err := checkIdentityCard(in.Card)
	if err != nil {
		return err
	}
	in.Card = card
	return checkIdentityFace(in.Face)
}

var errIdentityCard = invalidMeta("card", "card is a JSON object of the chip's fields (texts of at most %d characters, at most %d fields, %d KB)",
	"card phải là đối tượng JSON gồm các trường đọc từ chip (mỗi chuỗi tối đa %d ký tự, tối đa %d trường, %d KB)", maxIdentityCardText, maxIdentityCardKeys, maxIdentityCard>>10)

// checkIdentityCard checks the chip's fields: a JSON object, bounded,
// its strings text in NFC; a "face" field is dropped (the face travels
// apart, in face).
func checkIdentityCard(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || len(raw) > maxIdentityCard {
		return nil, errIdentityCard
	}
	var card map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&card); err != nil || card == nil {
		return nil, errIdentityCard
	}
	delete(card, "face")
	if len(card) > maxIdentityCardKeys {
		return nil, errIdentityCard
	}
	var walk func(v any, depth int) (any, bool)
	walk = func(v any, depth int) (any, bool) {
		if depth > maxIdentityCardDepth {
			return nil, false
		}
		switch x := v.(type) {
		case string:
			if !utf8.ValidString(x) || utf8.RuneCountInString(x) > maxIdentityCardText {
				return nil, false
			}
			for _, r := range x {
				if r < 0x20 || r == 0x7f {
					return nil, false
				}
			}
			return norm.NFC.String(x), true
		case []any:
			for i := range x {
				var ok bool
				if x[i], ok = walk(x[i], depth+1); !ok {
					return nil, false
				}
			}
			return x, true
		case map[string]any:
			for k, e := range x {
				if !fieldNameRE.MatchString(k) {
					return nil, false
				}
				var ok bool
				if x[k], ok = walk(e, depth+1); !ok {
					return nil, false
				}
			}
			return x, true
		}
		return v, true // numbers, booleans, null
	}
	if _, ok := walk(card, 1); !ok {
		return nil, errIdentityCard
	}
	out, err := json.Marshal(card) // keys in order: the same card is the same bytes
	if err != nil {
		return nil, errIdentityCard
	}
	return out, nil
}

// checkIdentityFace checks that a face is a JPEG of at most
// queue.MaxIdentityFace bytes whose header decodes, of a sensible size.
// None is fine: a chip without DG2.
func checkIdentityFace(face []byte) error {
	if len(face) == 0 {
		return nil
	}
	if len(face) > queue.MaxIdentityFace {
		return queue.Errorf(queue.ETooLarge, "the face may be at most %d KB", "ảnh chân dung tối đa %d KB", queue.MaxIdentityFace>>10).At("face")
	}
	if !bytes.HasPrefix(face, []byte{0xFF, 0xD8, 0xFF}) {
		return invalidMeta("face", "the face is not a JPEG (base64 of the JPEG's bytes)", "ảnh chân dung không phải tệp JPEG (mã base64 của tệp JPEG)")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(face))
	if err != nil {
		return invalidMeta("face", "the face's JPEG header could not be read", "không đọc được phần đầu tệp JPEG của ảnh chân dung")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxIdentityFaceSide || cfg.Height > maxIdentityFaceSide {
		return invalidMeta("face", "the face is %d×%d pixels: at most %d on either side", "ảnh chân dung %d×%d điểm ảnh: mỗi cạnh tối đa %d", cfg.Width, cfg.Height, maxIdentityFaceSide)
	}
	return nil
}

// handlePutIdentity keeps the identity read for a ticket (204). The same
// identity sent again (a kiosk's outbox replayed) changes nothing; a new
// read replaces the one before, tells the counter (ticket.identity) and
// is audited.
func (s *Server) handlePutIdentity(w http.ResponseWriter, r *http.Request) {
	var in queue.IdentityIn
	if err := decodeLimit(w, r, &in, maxIdentityBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkIdentityIn(&in); err != nil {
		s.writeError(w, r, err)
		return
	}
	ids, it, err := s.findIdentityTicket(r, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	if !it.expires.After(now) {
		s.writeError(w, r, errDayOver)
		return
	}
	id := queue.TicketIdentity{TicketID: it.t.ID, Centre: it.t.Centre, Source: queue.IdentitySourceChip, Authenticity: in.Authenticity,
		Problems: orEmpty(in.Problems), Mismatches: orEmpty(in.Mismatches), Card: in.Card, FaceJPEG: in.Face,
		ReadAt: now.UTC(), Expires: it.expires}
	prev, err := ids.Identity(it.t.ID)
	switch {
	case err == nil && prev.Expires.After(now) && prev.Same(id):
		w.WriteHeader(http.StatusNoContent)
		return
	case err != nil && queue.ErrorCode(err) != queue.ENotFound:
		s.writeError(w, r, err)
		return
	}
	if err := ids.PutIdentity(id); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _ := principal(r)
	_, err = s.write(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(it.t.Centre)
		if err != nil {
			return nil, err
		}
		if _, ok := l.Ticket(it.t.ID); !ok {
			return nil, nil // of a past day: no live state to tell
		}
		return nil, l.MarkIdentity(tx.Now, it.t.ID, u.Username)
	})
	if err != nil {
		s.log.Warn("identity mark", "ticket", it.t.ID, "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// currentIdentity reads the identity of the route's ticket for staff: one
// past its ticket's day is gone, even before the purge erases it.
func (s *Server) currentIdentity(r *http.Request) (queue.TicketIdentity, error) {
	ids, it, err := s.findIdentityTicket(r, false)
	if err != nil {
		return queue.TicketIdentity{}, err
	}
	id, err := ids.Identity(it.t.ID)
	if queue.ErrorCode(err) == queue.ENotFound || (err == nil && !id.Expires.After(s.now())) {
		return queue.TicketIdentity{}, errNoIdentity
	}
	return id, err
}

// handleIdentity answers a ticket's identity, never cached, with the
// link to its face.
func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request) {
	id, err := s.currentIdentity(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := identityView{TicketIdentity: id}
	v.Problems, v.Mismatches = orEmpty(v.Problems), orEmpty(v.Mismatches)
	if len(id.FaceJPEG) > 0 {
		v.FaceURL = "/api/v1/tickets/" + url.PathEscape(id.TicketID) + "/identity/face"
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
}

// handleIdentityFace answers the face of a ticket's identity (JPEG),
// never cached; the centre's audit records who looked at it.
func (s *Server) handleIdentityFace(w http.ResponseWriter, r *http.Request) {
	id, err := s.currentIdentity(r)
	if err == nil && len(id.FaceJPEG) == 0 {
		err = errNoFace
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _ := principal(r)
	if _, err := s.write(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(id.Centre)
		if err != nil {
			return nil, err
		}
		l.AuditIdentity(tx.Now, id.TicketID, u.Username, queue.AuditIdentityFace)
		return nil, nil
	}); err != nil {
		s.writeError(w, r, err) // no audit, no face
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `inline; filename="face.jpg"`)
	w.Write(id.FaceJPEG)
}
