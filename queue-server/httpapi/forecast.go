package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/planpdf"
	"xephang/queue-server/queue"
	"xephang/queue-server/report"
)

// Bounds of the forecast's history and horizon.
const (
	// historyDays is how far back the forecast learns: a year holds every
	// season, Tết and each holiday once.
	historyDays = 365
	// DefaultHistoryBudget bounds the reading of a forecast's history
	// (Config.HistoryBudget): when the store is slower, the forecast
	// learns from the most recent days read.
	DefaultHistoryBudget = 20 * time.Second
	maxForecastDays      = 28
	defaultForecastDays  = 14
	defaultTargetMin     = 30
	// pastDays of forecast and actual arrivals precede today in an answer,
	// so that the page shows how the forecast fared.
	pastDays = 7
)

// loadDays reads the tickets and bookings of days (newest first) until
// ctx ends: the days read, newest first, stopping at the first that could
// not be read in time, so the history is always the most recent
// contiguous stretch.
func loadDays(ctx context.Context, st queue.Store, centre string, days []string) ([]report.Day, error) {
	got, err := report.ReadDays(ctx, st, centre, days)
	if err != nil {
		return nil, fmt.Errorf("forecast: history: %w", err)
	}
	return got, nil
}

// configRev names a centre's configuration: a forecast learnt under other
// hours, services or counters is learnt again.
func configRev(c queue.Centre) string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// forecastKey is what a learnt forecast depends on: the centre, its
// configuration, and the hour (the history grows by the hour's tickets).
type forecastKey struct {
	centre, rev string
	hour        int64 // Unix hours
}

// learnt is a centre's history and what was learnt from it, shared by
// every request of the hour.
type learnt struct {
	done   chan struct{} // closed when the fields below are set
	key    forecastKey
	learnt *learntForecast
	err    error
}

// forecastCache keeps one learnt forecast per centre; concurrent requests
// of one key wait for the first to learn it.
type forecastCache struct {
	mu sync.Mutex
	m  map[string]*learnt
}

// get returns the entry of k, learning it with fn when it is missing or
// of another key; an entry whose learning failed is learnt again.
func (fc *forecastCache) get(ctx context.Context, k forecastKey, fn func() (*learntForecast, error)) (*learntForecast, error) {
	fc.mu.Lock()
	if fc.m == nil {
		fc.m = map[string]*learnt{}
	}
	e := fc.m[k.centre]
	if e == nil || e.key != k {
		e = &learnt{done: make(chan struct{}), key: k}
		fc.m[k.centre] = e
		fc.mu.Unlock()
		e.learnt, e.err = fn()
		if e.err != nil {
			fc.mu.Lock()
			if fc.m[k.centre] == e {
				delete(fc.m, k.centre)
			}
			fc.mu.Unlock()
		}
		close(e.done)
		return e.learnt, e.err
	}
	fc.mu.Unlock()
	select {
	case <-e.done:
		return e.learnt, e.err
	case <-ctx.Done():
		return nil, queue.Errorf(queue.EUnavailable, "the forecast is being learnt: try again", "đang lập dự báo: vui lòng thử lại")
	}
}

// forecastParams are the query of GET …/forecast and …/forecast.pdf.
type forecastParams struct {
	days    int
	planDay string // "": the next open day (see learntForecast.view)
	target  int    // minutes
	past    int    // days before today also shown, with what came
	lang    string // PDF only
	noPlan  bool   // the forecast alone (busiest hours)
}

// parseForecastQuery reads the query strictly: an unknown or repeated
// parameter, or a value out of range, is an error naming it.
func parseForecastQuery(q url.Values, allowed ...string) (forecastParams, error) {
	p := forecastParams{days: defaultForecastDays, target: defaultTargetMin, past: pastDays}
	for k, vs := range q {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known && len(allowed) == 0 {
			return p, queue.Errorf(queue.EInvalid, "unknown parameter %q: this route takes none", "tham số không hợp lệ %q: địa chỉ này không nhận tham số nào", k)
		}
		if !known {
			list := strings.Join(allowed, ", ")
			return p, queue.Errorf(queue.EInvalid, "unknown parameter %q (allowed: %s)", "tham số không hợp lệ %q (được dùng: %s)", k, list)
		}
		if len(vs) != 1 {
			return p, queue.Errorf(queue.EInvalid, "%s: given more than once", "%s: chỉ được ghi một lần", k)
		}
	}
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxForecastDays {
			return p, queue.Errorf(queue.EInvalid, "days: a whole number from 1 to %d", "days: số nguyên từ 1 đến %d", maxForecastDays)
		}
		p.days = n
	}
	if v := q.Get("target_minutes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 480 {
			return p, queue.Errorf(queue.EInvalid, "target_minutes: a whole number from 1 to 480", "target_minutes: số nguyên từ 1 đến 480")
		}
		p.target = n
	}
	if v := q.Get("plan_day"); v != "" {
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return p, queue.Errorf(queue.EInvalid, "plan_day: a date YYYY-MM-DD", "plan_day: ngày dạng YYYY-MM-DD")
		}
		p.planDay = v
	}
	switch v := q.Get("lang"); v {
	case "", "vi", "en":
		p.lang = v
	default:
		return p, queue.Errorf(queue.EInvalid, "lang: vi or en", "lang: vi hoặc en")
	}
	return p, nil
}

// centreConfig returns a centre's configuration from the engine.
func (s *Server) centreConfig(r *http.Request) (queue.Centre, error) {
	v, err := s.read(r, func(tx *engine.Tx) (any, error) {
		l, err := tx.Live(r.PathValue("centre"))
		if err != nil {
			return nil, err
		}
		return l.Config(), nil
	})
	if err != nil {
		return queue.Centre{}, err
	}
	return v.(queue.Centre), nil
}

// forecastFor computes the centre's forecast of p.days days from today and
// the staffing plan of p.planDay. The history is
// learnt at most once per centre, configuration and hour.
func (s *Server) forecastFor(ctx context.Context, c queue.Centre, p forecastParams) (apiv1.ForecastView, error) {
	now := s.now()
	loc := c.Location()
	today := now.In(loc).Format(time.DateOnly)
	first, _ := time.ParseInLocation(time.DateOnly, today, loc)
	last := first.AddDate(0, 0, p.days-1).Format(time.DateOnly)
	if p.planDay != "" && (p.planDay < today || p.planDay > last) {
		return apiv1.ForecastView{}, queue.Errorf(queue.EInvalid, "plan_day: a day from %s to %s", "plan_day: một ngày từ %s đến %s", today, last)
	}
	k := forecastKey{centre: c.ID, rev: configRev(c), hour: now.Unix() / 3600}
	lf, err := s.forecasts.get(ctx, k, func() (*learntForecast, error) {
		// The learning outlives a request that gives up (another may be
		// waiting for it), within its own budget.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.historyBudget)
		defer cancel()
		return s.learnForecast(lctx, c, first)
	})
	if err != nil {
		return apiv1.ForecastView{}, err
	}
	// What is already booked, and today's arrivals so far: read fresh.
	days := make([]string, p.days)
	for i := range days {
		days[i] = first.AddDate(0, 0, i).Format(time.DateOnly)
	}
	fresh, err := loadDays(ctx, s.reports, c.ID, days)
	if err != nil {
		return apiv1.ForecastView{}, err
	}
	if len(fresh) < len(days) {
		return apiv1.ForecastView{}, queue.Errorf(queue.EUnavailable, "the bookings could not be read in time: try again", "không đọc kịp các lịch hẹn: vui lòng thử lại")
	}
	return lf.view(c, now, fresh, p)
}

// busiestOf picks the busiest hours (at most three, busiest first) of the
// first day after today whose forecast is not empty.
func busiestOf(f apiv1.ForecastView, today string) apiv1.BusiestView {
	b := apiv1.BusiestView{Centre: f.Centre, Hours: []apiv1.BusiestHour{}, Notes: f.Notes}
	byDay := map[string]map[int]*apiv1.BusiestHour{}
	for _, pt := range f.Points {
		if pt.Day <= today {
			continue
		}
		if byDay[pt.Day] == nil {
			byDay[pt.Day] = map[int]*apiv1.BusiestHour{}
		}
		h := byDay[pt.Day][pt.Hour]
		if h == nil {
			h = &apiv1.BusiestHour{Hour: pt.Hour}
			byDay[pt.Day][pt.Hour] = h
		}
		h.Mean += pt.Mean
		h.High += pt.High
	}
	var days []string
	for d := range byDay {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, d := range days {
		var hs []apiv1.BusiestHour
		total := 0.0
		for _, h := range byDay[d] {
			hs = append(hs, *h)
			total += h.Mean
		}
		if total < 0.5 {
			continue
		}
		sort.Slice(hs, func(i, j int) bool {
			if hs[i].Mean != hs[j].Mean {
				return hs[i].Mean > hs[j].Mean
			}
			return hs[i].Hour < hs[j].Hour
		})
		b.Day = d
		for _, h := range hs[:min(3, len(hs))] {
			if h.Mean >= 0.5 {
				h.Mean, h.High = round1(h.Mean), round1(h.High)
				b.Hours = append(b.Hours, h)
			}
		}
		break
	}
	return b
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

// centreForecast is the forecast of the route's centre, within the
// history's time budget: what the three forecast routes answer from.
func (s *Server) centreForecast(r *http.Request, p forecastParams) (queue.Centre, apiv1.ForecastView, error) {
	c, err := s.centreConfig(r)
	if err != nil {
		return c, apiv1.ForecastView{}, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.historyBudget+requestTimeout)
	defer cancel()
	f, err := s.forecastFor(ctx, c, p)
	return c, f, err
}

// handleForecast serves GET …/forecast (admin).
func (s *Server) handleForecast(w http.ResponseWriter, r *http.Request) {
	p, err := parseForecastQuery(r.URL.Query(), "days", "plan_day", "target_minutes")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, f, err := s.centreForecast(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, f)
}

// handleBusiest serves GET …/forecast/busiest (staff of the centre).
func (s *Server) handleBusiest(w http.ResponseWriter, r *http.Request) {
	if _, err := parseForecastQuery(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, f, err := s.centreForecast(r, forecastParams{days: 8, target: defaultTargetMin, noPlan: true})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, busiestOf(f, s.now().In(c.Location()).Format(time.DateOnly)))
}

// handleForecastPDF serves GET …/forecast.pdf (admin): the staffing plan
// of plan_day and the forecast per day, printable.
func (s *Server) handleForecastPDF(w http.ResponseWriter, r *http.Request) {
	p, err := parseForecastQuery(r.URL.Query(), "days", "plan_day", "target_minutes", "lang")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p.lang == "" {
		p.lang = "vi"
		if english(r) {
			p.lang = "en"
		}
	}
	c, f, err := s.centreForecast(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The printed plan looks ahead: the past week stays on the page.
	ahead := f.Days[:0:0]
	for _, d := range f.Days {
		if d.Day >= f.Today {
			ahead = append(ahead, d)
		}
	}
	f.Days = ahead
	var buf bytes.Buffer
	if err := planpdf.Write(&buf, c, f, p.lang); err != nil {
		s.writeError(w, r, err)
		return
	}
	name := "ke-hoach-" + c.ID
	if f.Plan != nil {
		name += "-" + f.Plan.Day
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
