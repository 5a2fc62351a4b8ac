package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
	"xephang/queue-server/report"
)

// handleReport serves a centre's report for a period as JSON, CSV (UTF-8
// with BOM) or PDF, in Vietnamese unless lang=en or Accept-Language
// prefers English. Reports are read from the store, off the engine's
// goroutine; one at a time per server, as a quarter of a busy centre
// holds about a gigabyte while loading.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang := q.Get("lang")
	if lang != "vi" && lang != "en" {
		lang = "vi"
		if english(r) {
			lang = "en"
		}
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" && format != "pdf" {
		s.writeError(w, r, queue.Errorf(queue.EInvalid, "format: json, csv or pdf", "format: json, csv hoặc pdf"))
		return
	}
	var target int
	var err error
	if v := q.Get("target_minutes"); v != "" {
		if target, err = strconv.Atoi(v); err != nil || target < 1 || target > 480 {
			s.writeError(w, r, queue.Errorf(queue.EInvalid, "target_minutes: 1 to 480", "target_minutes: từ 1 đến 480"))
			return
		}
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	v, err := s.eng.Read(ctx, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(r.PathValue("centre"))
		if err != nil {
			return nil, err
		}
		return l.Config(), nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg := v.(queue.Centre)
	var p report.Period
	if from, to := q.Get("from"), q.Get("to"); from != "" || to != "" {
		p, err = report.Between(from, to)
	} else {
		date := q.Get("date")
		if date == "" { // today, in the centre's time zone
			date = s.now().In(cfg.Location()).Format(time.DateOnly)
		}
		p, err = report.PeriodOf(q.Get("period"), date)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	select {
	case s.reportSlot <- struct{}{}:
		defer func() { <-s.reportSlot }()
	case <-ctx.Done():
		s.writeError(w, r, queue.Errorf(queue.EUnavailable, "another report is being computed: try again", "đang lập một báo cáo khác: vui lòng thử lại"))
		return
	}
	in, err := report.Load(ctx, s.reports, cfg, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in.TargetWait = time.Duration(target) * time.Minute
	rep := report.Compute(in)
	var buf bytes.Buffer
	name := "bao-cao-" + rep.Centre + "-" + p.From + "_" + p.To
	switch format {
	case "csv":
		err = rep.WriteCSVLang(&buf, lang)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	case "pdf":
		err = rep.WritePDF(&buf, lang)
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
	default:
		err = json.NewEncoder(&buf).Encode(rep)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	if err != nil {
		w.Header().Del("Content-Disposition")
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
