package httpapi

// Procedure guidance (issue 20): the catalogue of commune procedures and
// the answer to a question typed in everyday Vietnamese (public, limited
// like the other public lookups), and the questions asked at a centre,
// counted without personal data for the admin.

import (
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/procedures"
	"xephang/queue-server/queue"
)

// Days of questions the admin's list covers: default and most.
const (
	defaultQuestionDays = 30
	maxQuestionDays     = queue.ProcedureQuestionKeepDays
)

var errNoProcedure = queue.Errorf(queue.ENotFound, "no such procedure", "không có thủ tục này")

// procedureView shows a procedure, with its service's name and counters
// at cfg when cfg is not nil.
func procedureView(p *procedures.Procedure, score float64, cfg *queue.Centre) apiv1.ProcedureView {
	v := apiv1.ProcedureView{ID: p.ID, Code: p.Code, Name: p.Name, NameEN: p.NameEN, Field: p.Field, Service: p.Service,
		Where: p.Where, Score: score, Papers: []apiv1.ProcedurePaper{}, Applicants: p.Applicants, Fee: p.Fee, FeeEN: p.FeeEN,
		Time: p.Time, TimeEN: p.TimeEN, Form: p.Form, FormName: p.FormName, LegalBasis: []apiv1.ProcedureLegal{}, Verify: p.Verify}
	for _, x := range p.Papers {
		v.Papers = append(v.Papers, apiv1.ProcedurePaper{Name: x.Name, Count: x.Count, Kind: x.Kind, Note: x.Note})
	}
	for _, l := range p.LegalBasis {
		v.LegalBasis = append(v.LegalBasis, apiv1.ProcedureLegal{Text: l.Text, Date: l.Date})
	}
	if cfg != nil && p.Service != "" {
		for _, sv := range cfg.Services {
			if sv.Code == p.Service {
				v.ServiceName = sv.Name
			}
		}
		for _, c := range cfg.Counters {
			if slices.Contains(c.Services, p.Service) {
				v.Counters = append(v.Counters, c.Number)
			}
		}
	}
	return v
}

// checkQuestionText refuses a question the catalogue should not read:
// not UTF-8, or longer than queue.MaxProcedureQuestion characters.
func checkQuestionText(q string) error {
	if !utf8.ValidString(q) {
		return queue.Errorf(queue.EInvalid, "q: not valid UTF-8", "q: câu hỏi không phải văn bản UTF-8 hợp lệ").At("q")
	}
	if utf8.RuneCountInString(q) > queue.MaxProcedureQuestion {
		return queue.Errorf(queue.EInvalid, "q: a question is at most %d characters", "q: câu hỏi tối đa %d ký tự", queue.MaxProcedureQuestion).At("q")
	}
	return nil
}

// queryCentre returns the configuration of the centre a query names
// (nil when it names none).
func (s *Server) queryCentre(r *http.Request, id string) (*queue.Centre, error) {
	if id == "" {
		return nil, nil
	}
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(id)
		if err != nil {
			return nil, err
		}
		cfg := l.Config()
		return &cfg, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*queue.Centre), nil
}

// handleProcedures answers a question over the catalogue (best first, one
// when it is clearly ahead, up to three, [] when nothing matches well), or
// lists the whole catalogue without q.
func (s *Server) handleProcedures(w http.ResponseWriter, r *http.Request) {
	if s.lookupLimited(w, r) {
		return
	}
	query := r.URL.Query()
	for k := range query {
		if k != "q" && k != "centre" {
			s.writeError(w, r, queue.Errorf(queue.EInvalid, "unknown parameter %q: q and centre only", "tham số %q không hợp lệ: chỉ có q và centre", k).At(k))
			return
		}
	}
	q := query.Get("q")
	if err := checkQuestionText(q); err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg, err := s.queryCentre(r, query.Get("centre"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []apiv1.ProcedureView{}
	if q == "" {
		for _, p := range s.procedures.All() {
			out = append(out, procedureView(p, 0, cfg))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	a := s.procedures.Ask(q)
	if a.Best != nil {
		out = append(out, procedureView(a.Best.Procedure, a.Best.Score, cfg))
		for _, m := range a.Others {
			out = append(out, procedureView(m.Procedure, m.Score, cfg))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleProcedure(w http.ResponseWriter, r *http.Request) {
	if s.lookupLimited(w, r) {
		return
	}
	p, ok := s.procedures.Procedure(r.PathValue("id"))
	if !ok {
		s.writeError(w, r, errNoProcedure)
		return
	}
	writeJSON(w, http.StatusOK, procedureView(p, 0, nil))
}

// handleAskedProcedure counts a question asked at a centre: normalised,
// refused when it may carry personal data, its chosen procedure one of
// the catalogue's.
func (s *Server) handleAskedProcedure(w http.ResponseWriter, r *http.Request) {
	if s.lookupLimited(w, r) {
		return
	}
	var req apiv1.AskedProcedureRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if err := checkQuestionText(req.Q); err != nil {
		s.writeError(w, r, err)
		return
	}
	q, err := queue.CheckProcedureQuestion(req.Q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, ok := s.procedures.Procedure(req.Chosen); req.Chosen != "" && !ok {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "chosen: no procedure %q", "chosen: không có thủ tục %q", req.Chosen).At("chosen"))
		return
	}
	pq, loc, err := s.questionsOf(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.now()
	err = pq.CountProcedureQuestion(queue.ProcedureQuestion{Centre: r.PathValue("centre"), Day: now.In(loc).Format(time.DateOnly),
		Q: q, Chosen: req.Chosen, Understood: req.Understood, At: now})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// questionsOf is where the question counts are kept, and the local time of
// the centre {centre} they are counted in.
func (s *Server) questionsOf(r *http.Request) (queue.ProcedureQuestions, *time.Location, error) {
	pq, ok := s.store.(queue.ProcedureQuestions)
	if !ok {
		return nil, nil, errNoQuestions
	}
	loc, err := s.centreLocation(r)
	return pq, loc, err
}

var errNoQuestions = queue.Errorf(queue.EUnavailable, "this server's store keeps no question counts", "kho dữ liệu của máy chủ này không lưu thống kê câu hỏi")

// handleProcedureQuestions lists the questions asked at a centre over the
// last days (days, default 30, at most 90), most frequent first; with
// unanswered=1 only those not understood at least once.
func (s *Server) handleProcedureQuestions(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	days := defaultQuestionDays
	if v := query.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxQuestionDays {
			s.writeError(w, r, queue.Errorf(queue.EInvalid, "days: 1 to %d", "days: từ 1 đến %d", maxQuestionDays).At("days"))
			return
		}
		days = n
	}
	var unanswered bool
	switch query.Get("unanswered") {
	case "", "0":
	case "1":
		unanswered = true
	default:
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "unanswered: 0 or 1", "unanswered: 0 hoặc 1").At("unanswered"))
		return
	}
	pq, loc, err := s.questionsOf(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	since := s.now().In(loc).AddDate(0, 0, 1-days).Format(time.DateOnly)
	got, err := pq.ProcedureQuestionDays(r.PathValue("centre"), since)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []apiv1.ProcedureQuestionView{}
	for _, c := range queue.SumProcedureQuestions(got, unanswered) {
		out = append(out, apiv1.ProcedureQuestionView{Q: c.Q, Count: c.Count, Unanswered: c.Unanswered,
			LastAt: c.LastAt.In(loc).Format(timeLayout), Chosen: c.Chosen})
	}
	writeJSON(w, http.StatusOK, out)
}
