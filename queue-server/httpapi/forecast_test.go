package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/queue"
)

// countingStore counts the days of tickets read, to tell a learnt
// forecast reused from one learnt again.
type countingStore struct {
	queue.Store
	days atomic.Int64
}

func (s *countingStore) Tickets(centre, day string) ([]queue.Ticket, error) {
	s.days.Add(1)
	return s.Store.Tickets(centre, day)
}

// forecastMonday is 08:00 on Monday 23 November 2026 in the centre.
var forecastMonday = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

// forecastEnv is bookingEnv (open Monday–Friday, service A bookable) at
// forecastMonday with days of generated history (package demo) written
// to its store, read back through a countingStore.
func forecastEnv(t testing.TB, days int) (*env, *clock, *countingStore) {
	t.Helper()
	ck := &clock{t: forecastMonday}
	var cs *countingStore
	e := newEnvTuned(t, ck.Now, func(cfg *httpapi.Config) {
		cs = &countingStore{Store: cfg.Store}
		cfg.ReportStore = cs
	})
	seedHistory(t, e.store, forecastCentre(t, e), ck.Now(), days)
	return e, ck, cs
}

// forecastCentre makes e's centre bookable (see bookable) with enough
// counters for the 80-odd people of a day, and a spare one.
func forecastCentre(t testing.TB, e *env) queue.Centre {
	t.Helper()
	bookable(t, e)
	c, err := e.admin.Centre(context.Background(), centreID)
	must(t, err)
	c.Counters = []queue.CounterConfig{
		{Number: 1, Name: "Quầy 1", Services: []string{"A", "B"}},
		{Number: 2, Name: "Quầy 2", Services: []string{"A"}},
		{Number: 3, Name: "Quầy 3", Services: []string{"A", "B"}},
		{Number: 4, Name: "Quầy 4", Services: []string{"B"}},
	}
	c, err = e.admin.PutCentre(context.Background(), c)
	must(t, err)
	return c
}

// slowStore reads each day of tickets after a delay.
type slowStore struct {
	queue.Store
	delay atomic.Int64 // nanoseconds
	days  atomic.Int64
}

func (s *slowStore) Tickets(centre, day string) ([]queue.Ticket, error) {
	s.days.Add(1)
	time.Sleep(time.Duration(s.delay.Load()))
	return s.Store.Tickets(centre, day)
}

// A store too slow to read a year within the budget: the forecast learns
// from the most recent days read, and says so.
func TestForecastHistoryBudget(t *testing.T) {
	ck := &clock{t: forecastMonday}
	slow := &slowStore{}
	e := newEnvTuned(t, ck.Now, func(cfg *httpapi.Config) {
		slow.Store = cfg.Store
		cfg.ReportStore = slow
		cfg.HistoryBudget = time.Second
	})
	seedHistory(t, e.store, forecastCentre(t, e), ck.Now(), 365)
	slow.delay.Store(int64(50 * time.Millisecond)) // 8 workers: 160 days a second at most
	f, err := e.admin.Forecast(context.Background(), centreID, apiv1.ForecastQuery{})
	must(t, err)
	read := slow.days.Load() - 14 // the days forecast, read after learning
	if read >= 365 || read < 14 {
		t.Fatalf("%d days of history read", read)
	}
	if len(f.Notes) == 0 || !strings.Contains(f.Notes[0], "Chỉ đọc kịp") || f.Plan == nil {
		t.Fatalf("forecast from a slow store: notes %q, plan %v", f.Notes, f.Plan != nil)
	}
}

// seedHistory commits days of generated tickets before now, a week per
// commit, as the demo does.
func seedHistory(t testing.TB, st queue.Store, c queue.Centre, now time.Time, days int) {
	t.Helper()
	hist := demo.History(c, now.In(hcm), days, nil)
	for i := 0; i < len(hist); i += 7 {
		ch := &queue.Changes{Centre: c.ID}
		for _, ts := range hist[i:min(i+7, len(hist))] {
			ch.Tickets = append(ch.Tickets, ts...)
		}
		if len(ch.Tickets) > 0 {
			must(t, st.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}))
		}
	}
}

// getRaw is a GET with c's token, returning the status and the body.
func getRaw(t testing.TB, c *apiv1.Client, url string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if c != nil {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

func TestForecastTooLittleHistory(t *testing.T) {
	e, _, _ := forecastEnv(t, 6)
	ctx := context.Background()
	f, err := e.admin.Forecast(ctx, centreID, apiv1.ForecastQuery{})
	must(t, err)
	if len(f.Days) != 0 || len(f.Points) != 0 || f.Plan != nil || f.Centre != centreID {
		t.Fatalf("a forecast from 6 days: %+v", f)
	}
	if f.Accuracy != nil {
		t.Errorf("accuracy without a forecast: %+v", f.Accuracy)
	}
	if len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "Chưa đủ lịch sử") {
		t.Fatalf("notes %q", f.Notes)
	}
	b, err := e.clerk.Busiest(ctx, centreID)
	must(t, err)
	if b.Day != "" || len(b.Hours) != 0 || len(b.Notes) != 1 {
		t.Fatalf("busiest without a forecast: %+v", b)
	}
	// The PDF says so too.
	status, _, body := getRaw(t, e.admin, e.srv.URL+"/api/v1/centres/"+centreID+"/forecast.pdf")
	if status != 200 || !strings.Contains(pdfToText(t, body), "Chưa có dự báo") {
		t.Fatalf("PDF without a forecast: %d", status)
	}
}

func TestForecastAccess(t *testing.T) {
	e, _, _ := forecastEnv(t, 6)
	ctx := context.Background()
	other := queue.Centre{ID: "phuong-khac", Name: "Trung tâm khác", Timezone: "Asia/Ho_Chi_Minh", Hours: []queue.Hours{{Weekday: 1, Open: "07:30", Close: "17:00"}},
		Services: []queue.Service{{Code: "A", Name: "Hộ tịch", Minutes: 10}}, Counters: []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A"}}}}
	_, err := e.admin.PutCentre(ctx, other)
	must(t, err)
	base := e.srv.URL + "/api/v1/centres/"
	for _, tc := range []struct {
		who  *apiv1.Client
		path string
		want int
	}{
		{e.admin, centreID + "/forecast", 200},
		{e.admin, centreID + "/forecast/busiest", 200},
		{e.admin, centreID + "/forecast.pdf", 200},
		{e.admin, "nowhere/forecast", 404},
		{e.clerk, centreID + "/forecast", 403},
		{e.clerk, centreID + "/forecast.pdf", 403},
		{e.clerk, centreID + "/forecast/busiest", 200},
		{e.clerk, "phuong-khac/forecast/busiest", 403}, // a clerk of another centre
		{nil, centreID + "/forecast", 401},
		{nil, centreID + "/forecast/busiest", 401},
		{nil, centreID + "/forecast.pdf", 401},
	} {
		if status, _, body := getRaw(t, tc.who, base+tc.path); status != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.path, status, tc.want, body)
		}
	}
}

func TestForecastQueryIsStrict(t *testing.T) {
	e, _, _ := forecastEnv(t, 6)
	base := e.srv.URL + "/api/v1/centres/" + centreID
	for q, want := range map[string]string{
		"/forecast?days=0":                     "days: số nguyên từ 1 đến 28",
		"/forecast?days=29":                    "days: số nguyên từ 1 đến 28",
		"/forecast?days=1x":                    "days",
		"/forecast?days=7&days=14":             "chỉ được ghi một lần",
		"/forecast?target_minutes=0":           "target_minutes: số nguyên từ 1 đến 480",
		"/forecast?target_minutes=481":         "target_minutes",
		"/forecast?plan_day=24/11/2026":        "plan_day: ngày dạng YYYY-MM-DD",
		"/forecast?plan_day=2026-11-22":        "plan_day: một ngày từ 2026-11-23 đến 2026-12-06",
		"/forecast?plan_day=2026-11-30&days=7": "plan_day: một ngày từ 2026-11-23 đến 2026-11-29",
		"/forecast?format=csv":                 `tham số không hợp lệ "format"`,
		"/forecast?lang=en":                    `"lang"`,
		"/forecast.pdf?lang=fr":                "lang: vi hoặc en",
		"/forecast/busiest?days=3":             `tham số không hợp lệ "days"`,
	} {
		status, _, body := getRaw(t, e.admin, base+q)
		var apiErr struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(body, &apiErr)
		if status != 422 || apiErr.Error.Code != "invalid" || !strings.Contains(strings.ToLower(apiErr.Error.Message), strings.ToLower(want)) {
			t.Errorf("%s: %d %s, want 422 naming %q", q, status, body, want)
		}
	}
	// English for a reader who asks for it.
	req, _ := http.NewRequest("GET", base+"/forecast?days=0", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin.Token)
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Days: a whole number from 1 to 28") {
		t.Errorf("English error: %s", body)
	}
}

// pdfToText extracts a PDF's text with poppler's pdftotext.
func pdfToText(t testing.TB, pdf []byte) string {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("not a PDF: %.200s", pdf)
	}
	file := filepath.Join(t.TempDir(), "plan.pdf")
	must(t, os.WriteFile(file, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (install poppler-utils via provisioning/dev-deps.sh): %v", err)
	}
	return norm.NFC.String(string(out))
}

// BenchmarkForecastRoute serves GET …/forecast (14 days, the plan of
// tomorrow) on a year of generated history in bbolt: cold, each request
// in another hour than the last, so that the history is read and the
// model fitted again; cached, within one hour (the bookings and today's tickets
// read, the forecast and the plan computed).
func BenchmarkForecastRoute(b *testing.B) {
	for _, cold := range []bool{true, false} {
		name := "cached"
		if cold {
			name = "cold"
		}
		b.Run(name, func(b *testing.B) {
			e, ck, _ := forecastEnv(b, 365)
			get := func() {
				req := httptest.NewRequest("GET", "/api/v1/centres/"+centreID+"/forecast", nil)
				req.Header.Set("Authorization", "Bearer "+e.admin.Token)
				w := httptest.NewRecorder()
				e.api.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"plan":{`) {
					b.Fatalf("status %d: %.300s", w.Code, w.Body)
				}
			}
			get()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if cold { // the next hour, then back: the cache keeps one hour per centre
					ck.Add(time.Duration(1-2*(i%2)) * time.Hour)
				}
				get()
			}
		})
	}
}

func TestForecastWithHistory(t *testing.T) {
	e, ck, cs := forecastEnv(t, 365)
	ctx := context.Background()
	// A booking for tomorrow 09:00, and two walk-ins this morning.
	_, err := bookAs(e.admin, "2026-11-24T09:00:00+07:00", 1, nil)
	must(t, err)
	for range 2 {
		_, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "B"})
		must(t, err)
	}
	f, err := e.admin.Forecast(ctx, centreID, apiv1.ForecastQuery{})
	must(t, err)
	learnt := cs.days.Load()
	if f.Today != "2026-11-23" || f.Model == "" || f.Generated != "2026-11-23T01:00:00Z" {
		t.Fatalf("forecast head %q %q %q", f.Today, f.Model, f.Generated)
	}
	all := map[string]apiv1.ForecastDay{}
	for _, d := range f.Days {
		if d.Service == "" {
			all[d.Day] = d
		}
	}
	if len(all) != 7+14 {
		t.Fatalf("%d days of all services, want the week before and 14", len(all))
	}
	if d := all["2026-11-16"]; d.Actual == nil || *d.Actual < 50 || d.Mean < 30 {
		t.Errorf("last Monday: %+v", d)
	}
	t.Logf("accuracy of last week: %+v", f.Accuracy)
	// How the forecast fared last week: the WAPE of the days shown.
	var errSum, came float64
	for d, v := range all {
		if d < "2026-11-23" && v.Actual != nil {
			errSum += math.Abs(v.Mean - float64(*v.Actual))
			came += float64(*v.Actual)
		}
	}
	if a := f.Accuracy; a == nil || a.Days != 5 || math.Abs(a.WAPE-errSum/came) > 0.001 || a.WAPE <= 0 || a.WAPE > 0.4 {
		t.Errorf("accuracy %+v, want 5 open days and %.3f", a, errSum/came)
	}
	if d := all["2026-11-23"]; d.Actual == nil || *d.Actual != 2 {
		t.Errorf("today so far: %+v, want 2 arrivals", d)
	}
	if d := all["2026-11-28"]; !d.Closed || d.Mean != 0 || d.Actual != nil { // Saturday: no hours
		t.Errorf("Saturday: %+v", d)
	}
	if d := all["2026-11-24"]; d.Closed || d.Mean < 50 || !(d.Low <= d.Mean && d.Mean <= d.High) || d.Actual != nil {
		t.Errorf("tomorrow: %+v", d)
	}
	booked := false
	for _, p := range f.Points {
		if p.Low > p.Mean || p.Mean > p.High || p.Hour < 7 || p.Hour > 16 {
			t.Errorf("point %+v", p)
		}
		if p.Day == "2026-11-24" && p.Service == "A" && p.Hour == 9 {
			booked = p.Booked == 1 && p.Low >= 1
		}
	}
	if !booked {
		t.Error("tomorrow 9–10 of A does not carry the booking as a floor")
	}
	pl := f.Plan
	if pl == nil || pl.Day != "2026-11-24" || pl.TargetMinutes != 30 || len(pl.Hours) < 6 {
		t.Fatalf("plan %+v", pl)
	}
	for _, h := range pl.Hours {
		for _, n := range h.Counters {
			if n < 1 || n > 4 {
				t.Errorf("hour %d opens counter %d", h.Hour, n)
			}
		}
		if h.Roster != 4 || h.Short || !h.Met || h.P90Minutes > 30 || len(h.Counters) == 0 || len(h.Counters) > 4 {
			t.Errorf("hour %+v", h)
		}
	}
	if pl.AllDayCounterHours != 4*len(pl.Hours) || pl.CounterHours >= pl.AllDayCounterHours || pl.MetShare != 1 {
		t.Errorf("plan totals %d / %d, met %v", pl.CounterHours, pl.AllDayCounterHours, pl.MetShare)
	}

	// Within the hour the history is not read again: only the 14 days of
	// bookings and today's tickets.
	_, err = e.admin.Forecast(ctx, centreID, apiv1.ForecastQuery{})
	must(t, err)
	if d := cs.days.Load() - learnt; d != 14 {
		t.Errorf("a second request read %d days, want the 14 of the forecast", d)
	}
	// A stricter target needs at least as many counter-hours.
	strict, err := e.admin.Forecast(ctx, centreID, apiv1.ForecastQuery{PlanDay: "2026-11-24", TargetMinutes: 5})
	must(t, err)
	if strict.Plan.Day != "2026-11-24" || strict.Plan.TargetMinutes != 5 || strict.Plan.CounterHours < pl.CounterHours {
		t.Errorf("five-minute plan: %d counter-hours (30 min: %d)", strict.Plan.CounterHours, pl.CounterHours)
	}

	// The clerk's busiest hours: tomorrow's, busiest first.
	b, err := e.clerk.Busiest(ctx, centreID)
	must(t, err)
	if b.Day != "2026-11-24" || len(b.Hours) == 0 || len(b.Hours) > 3 {
		t.Fatalf("busiest %+v", b)
	}
	for i, h := range b.Hours {
		if h.Hour < 7 || h.Hour > 16 || h.Mean < 1 || (i > 0 && h.Mean > b.Hours[i-1].Mean) {
			t.Errorf("busiest %+v", b.Hours)
		}
	}

	// The next hour, or another configuration, learns again.
	before := cs.days.Load()
	ck.Add(time.Hour)
	_, err = e.admin.Forecast(ctx, centreID, apiv1.ForecastQuery{Days: 7})
	must(t, err)
	if d := cs.days.Load() - before; d < 365 {
		t.Errorf("the next hour read %d days", d)
	}
	c, err := e.admin.Centre(ctx, centreID)
	must(t, err)
	c.Counters = c.Counters[:1] // one counter left: the roster falls short
	_, err = e.admin.PutCentre(ctx, c)
	must(t, err)
	before = cs.days.Load()
	f3, err := e.admin.Forecast(ctx, centreID, apiv1.ForecastQuery{})
	must(t, err)
	if d := cs.days.Load() - before; d < 365 || f3.Plan.Hours[0].Roster != 1 {
		t.Errorf("after closing counters: %d days read, roster %d", d, f3.Plan.Hours[0].Roster)
	}
	short := false
	for _, h := range f3.Plan.Hours {
		short = short || (h.Short && h.Needed > h.Roster && !h.Met && h.P90Minutes > 30)
	}
	if !short || f3.Plan.MetShare == 1 {
		t.Errorf("one counter for 80 people meets the target: %+v", f3.Plan)
	}

	// The printed plan: the day, the counters, the shortfalls, the days ahead only.
	status, hdr, body := getRaw(t, e.admin, e.srv.URL+"/api/v1/centres/"+centreID+"/forecast.pdf?plan_day=2026-11-24")
	if status != 200 || hdr.Get("Content-Type") != "application/pdf" || !strings.Contains(hdr.Get("Content-Disposition"), "ke-hoach-"+centreID+"-2026-11-24.pdf") {
		t.Fatalf("PDF %d %v", status, hdr)
	}
	text := pdfToText(t, body)
	for _, s := range []string{"Kế hoạch bố trí quầy", "T3 24/11/2026", "90% người chờ không quá 30 phút", "Q1", "THIẾU QUẦY", "Thiếu quầy ở", "(WAPE, 5 ngày làm việc)",
		"Dự báo lượt khách theo ngày", "T2 23/11/2026", "CN 06/12/2026", "Mô hình"} {
		if !strings.Contains(text, s) {
			t.Errorf("PDF lacks %q:\n%s", s, text)
		}
	}
	if strings.Contains(text, "16/11/2026") || strings.Contains(text, "Q2") {
		t.Error("the PDF prints the past week or a counter closed")
	}
	status, _, body = getRaw(t, e.admin, e.srv.URL+"/api/v1/centres/"+centreID+"/forecast.pdf?lang=en")
	if en := pdfToText(t, body); status != 200 || !strings.Contains(en, "Staffing plan") || !strings.Contains(en, "Tue 24 Nov 2026") {
		t.Errorf("English PDF %d:\n%s", status, en)
	}
}

// FuzzForecastQuery sends arbitrary query strings to the three forecast
// routes: each answers 200 with its JSON (or a PDF), or a JSON error
// of a 4xx status, never a server error.
func FuzzForecastQuery(f *testing.F) {
	e, _, _ := forecastEnv(f, 15)
	for _, q := range []string{"", "days=7", "days=0", "days=28&plan_day=2026-11-24&target_minutes=10", "plan_day=2026-11-22",
		"target_minutes=%FF", "days=1&days=2", "lang=en", "x=%zz", "days=9999999999999999999", "plan_day=2026-02-30", ";"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, route := range []string{"/forecast", "/forecast/busiest", "/forecast.pdf"} {
			req := httptest.NewRequest("GET", "/api/v1/centres/"+centreID+route, nil)
			req.URL.RawQuery = q
			req.Header.Set("Authorization", "Bearer "+e.admin.Token)
			rec := httptest.NewRecorder()
			e.api.ServeHTTP(rec, req)
			switch {
			case rec.Code == http.StatusOK && route == "/forecast.pdf":
				if !bytes.HasPrefix(rec.Body.Bytes(), []byte("%PDF")) {
					t.Fatalf("%s?%s: not a PDF", route, q)
				}
			case rec.Code == http.StatusOK:
				var v map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v["centre"] != centreID {
					t.Fatalf("%s?%s: %q", route, q, rec.Body.String())
				}
			default:
				var eb struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" || rec.Code < 400 || rec.Code >= 500 {
					t.Fatalf("%s?%s: status %d, answer %q", route, q, rec.Code, rec.Body.String())
				}
			}
		}
	})
}

// Requests of one centre and hour arriving together learn the history once.
func TestForecastLearntOnce(t *testing.T) {
	e, _, cs := forecastEnv(t, 120)
	ctx := context.Background()
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		go func() {
			if i%2 == 0 {
				_, err := e.admin.Forecast(ctx, centreID, apiv1.ForecastQuery{})
				errs <- err
			} else {
				_, err := e.clerk.Busiest(ctx, centreID)
				errs <- err
			}
		}()
	}
	for range n {
		must(t, <-errs)
	}
	// 365 days asked for (fewer hold tickets), once; then 14 or 8 days each.
	if got, want := cs.days.Load(), int64(365+3*14+3*8); got != want {
		t.Errorf("%d days read, want %d", got, want)
	}
}

// A centre in use for four weeks: the year read before them holds no
// tickets, which is not a year of days nobody came: the forecast learns
// the level of the four weeks.
func TestForecastYoungCentre(t *testing.T) {
	e, _, _ := forecastEnv(t, 28)
	f, err := e.admin.Forecast(context.Background(), centreID, apiv1.ForecastQuery{})
	must(t, err)
	for _, d := range f.Days {
		if d.Service == "" && d.Day == "2026-11-24" && (d.Mean < 50 || d.Mean > 150) {
			t.Errorf("tomorrow from four weeks of about 80 a day: %+v", d)
		}
	}
	if a := f.Accuracy; a == nil || a.Days != 5 || a.WAPE > 0.5 {
		t.Errorf("accuracy over the last week of four: %+v", a)
	}
}

// Two and a half weeks: enough to forecast, not enough to leave a week out
// and still fit: the answer has no accuracy rather than an in-sample one.
func TestForecastNoAccuracyInSample(t *testing.T) {
	e, _, _ := forecastEnv(t, 18)
	f, err := e.admin.Forecast(context.Background(), centreID, apiv1.ForecastQuery{})
	must(t, err)
	if f.Plan == nil || len(f.Points) == 0 || f.Accuracy != nil {
		t.Errorf("forecast of 18 days: plan %v, %d points, accuracy %+v", f.Plan != nil, len(f.Points), f.Accuracy)
	}
}
