package forecast

import (
	"math"
	"slices"
	"sort"
	"time"

	"xephang/queue-server/queue"
)

// ErrTooLittleHistory: fewer than two weeks of the centre's tickets.
var ErrTooLittleHistory = queue.Errorf(queue.EConflict,
	"too little history to forecast: at least two weeks of tickets are needed",
	"chưa đủ dữ liệu để dự báo: cần ít nhất hai tuần số thứ tự đã cấp")

// Arrival is one ticket: a walk-in or a checked-in booking.
type Arrival struct {
	Service string
	At      time.Time
	Booked  bool
}

// History is a centre's arrivals over the days From … To (local dates,
// both included). Arrivals after To (today so far) are counted as actual
// arrivals but not fitted.
type History struct {
	Centre   queue.Centre
	Arrivals []Arrival
	From, To time.Time
}

// Booked is the number of bookings already made for a slot.
type Booked struct {
	Service string
	Start   time.Time
	Count   int
}

// Options of a forecast.
type Options struct {
	Days     int       // days from Now's local date, today included (default 14)
	Now      time.Time // default time.Now()
	Calendar *Calendar // default the model's
	Booked   []Booked  // bookings already made for the days forecast
	Past     int       // days before today also given (forecast and actual), at most 62
}

// Point is one service × day × hour.
type Point struct {
	Service string  `json:"service"`
	Day     string  `json:"day"` // YYYY-MM-DD
	Hour    int     `json:"hour"`
	Mean    float64 `json:"mean"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Booked  int     `json:"booked"`
}

// DaySum is one day's forecast for a service, or for all ("" service).
type DaySum struct {
	Day     string  `json:"day"`
	Service string  `json:"service,omitempty"`
	Mean    float64 `json:"mean"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Booked  int     `json:"booked"`
	Actual  *int    `json:"actual,omitempty"`  // arrivals counted, days up to today
	Closed  bool    `json:"closed,omitempty"`  // a day off: forecast 0
	Holiday string  `json:"holiday,omitempty"` // the calendar's name of the day off
	Effect  string  `json:"effect,omitempty"`  // the day's effect (see Effects), "" on ordinary days
}

// Forecast is a centre's forecast.
type Forecast struct {
	Centre    string    `json:"centre"`
	Generated time.Time `json:"generated"`
	Model     string    `json:"model"` // one line
	Points    []Point   `json:"points"`
	Days      []DaySum  `json:"days"`
	Notes     []string  `json:"notes"`

	centre queue.Centre
}

// ModelLine describes the model in one line.
const ModelLine = "Mô hình mùa vụ theo dịch vụ: mức và xu hướng 16 tuần (Theil–Sen), hệ số thứ × giờ, " +
	"hiệu ứng ngày trước/sau lễ, Tết, đầu/cuối tháng; cộng lịch hẹn đã đặt; khoảng tin cậy 80 %"

// Day effects, in the order a day takes the first that applies.
const (
	effNone = iota
	effTetBefore
	effTetAfter1
	effTetAfter2
	effAfterHoliday
	effBeforeHoliday
	effFirstDay
	effLastDay
	nEffects
)

var effectNames = [nEffects]string{"", "tet_before", "tet_after_1", "tet_after_2", "after_holiday",
	"before_holiday", "first_working_day", "last_working_day"}

const (
	recentDays  = 182 // weekday factors, profiles, dispersion: 26 weeks
	trendWeeks  = 16
	z80         = 1.2815515655446004 // the 90th percentile of the normal: an 80 % two-sided interval
	maxSlope    = 0.03
	trendDamp   = 0.5
	shrinkDays  = 2.0
	shrinkCount = 60.0
)

// Model is a fitted forecast model of one centre.
type Model struct {
	centre   queue.Centre
	loc      *time.Location
	cal      *Calendar
	from, to time.Time // civil dates of the fitted days
	services []string
	walk     map[string]*stream
	book     map[string]*stream
	effect   [nEffects]float64
	effectN  [nEffects]int
	actual   map[string]map[string]int // local date → service → arrivals
	closed   map[string]bool
	hours    [7][2]int // minutes open, close per weekday; close 0: closed
}

type stream struct {
	level, slope float64 // deseasonalised daily arrivals at the end of the history; relative change a week
	weekday      [7]float64
	share        [7][24]float64
	c, phi       float64 // relative error of whole days; hourly dispersion
}

type dayInfo struct {
	open    bool
	holiday string
	effect  int
}

// Fit learns the centre's model from its history.
func Fit(h History, cal *Calendar) (*Model, error) {
	if cal == nil {
		cal = VietnamCalendar()
	}
	loc := h.Centre.Location()
	m := &Model{centre: h.Centre, loc: loc, cal: cal, walk: map[string]*stream{}, book: map[string]*stream{},
		actual: map[string]map[string]int{}, closed: map[string]bool{}}
	for _, d := range h.Centre.ClosedDates {
		m.closed[d] = true
	}
	for _, hr := range h.Centre.Hours {
		o, ok1 := queue.ParseClock(hr.Open)
		c, ok2 := queue.ParseClock(hr.Close)
		if ok1 && ok2 && c > o && hr.Weekday >= 0 && hr.Weekday < 7 {
			m.hours[hr.Weekday] = [2]int{o, c}
		}
	}
	for _, s := range h.Centre.Services {
		m.services = append(m.services, s.Code)
	}
	m.from, m.to = civil(h.From.In(loc)), civil(h.To.In(loc))
	if h.From.IsZero() || h.To.IsZero() {
		for i, a := range h.Arrivals {
			d := civil(a.At.In(loc))
			if i == 0 || d.Before(m.from) {
				m.from = d
			}
			if i == 0 || d.After(m.to) {
				m.to = d
			}
		}
	}
	n := m.index(m.to) + 1
	if n < 14 {
		return nil, ErrTooLittleHistory
	}
	walk, book := map[string][][24]float64{}, map[string][][24]float64{}
	var lastDay time.Time
	var counted map[string]int
	for _, a := range h.Arrivals {
		lt := a.At.In(loc)
		d := civil(lt)
		if d.Before(m.from) {
			continue
		}
		if !d.Equal(lastDay) || counted == nil {
			lastDay = d
			if counted = m.actual[date(d)]; counted == nil {
				counted = map[string]int{}
				m.actual[date(d)] = counted
			}
		}
		counted[a.Service]++
		if d.After(m.to) {
			continue
		}
		if walk[a.Service] == nil {
			walk[a.Service], book[a.Service] = make([][24]float64, n), make([][24]float64, n)
			if !slices.Contains(m.services, a.Service) {
				m.services = append(m.services, a.Service)
			}
		}
		if a.Booked {
			book[a.Service][m.index(d)][lt.Hour()]++
		} else {
			walk[a.Service][m.index(d)][lt.Hour()]++
		}
	}
	infos := make([]dayInfo, n)
	total := make([]float64, n)
	active := 0
	for i := range n {
		infos[i] = m.info(m.from.AddDate(0, 0, i))
		for s := range walk {
			for hr := range 24 {
				total[i] += walk[s][i][hr] + book[s][i][hr]
			}
		}
		if total[i] > 0 {
			active++
		}
	}
	if active < 10 {
		return nil, ErrTooLittleHistory
	}
	m.fitEffects(infos, total)
	for s := range walk {
		m.walk[s] = m.fitStream(infos, walk[s])
		m.book[s] = m.fitStream(infos, book[s])
	}
	return m, nil
}

// index is the day's position in the history (civil dates).
func (m *Model) index(d time.Time) int { return int(math.Round(d.Sub(m.from).Hours() / 24)) }

func (m *Model) weekdayOpen(d time.Time) bool {
	return m.hours[d.Weekday()][1] > 0 && !m.closed[date(d)]
}

// open reports whether the centre opens on the civil date d.
func (m *Model) open(d time.Time) bool {
	if _, hol := m.cal.Holiday(d); hol {
		return false
	}
	return m.weekdayOpen(d)
}

// info classifies a civil date: open, its holiday, its effect.
func (m *Model) info(d time.Time) dayInfo {
	var in dayInfo
	in.holiday, _ = m.cal.Holiday(d)
	in.open = in.holiday == "" && m.weekdayOpen(d)
	if in.open {
		in.effect = m.effectOf(d)
	}
	return in
}

func (m *Model) effectOf(d time.Time) int {
	before, after := m.cal.tetDistance(d)
	switch {
	case before >= 1 && before <= 7:
		return effTetBefore
	case after >= 1 && after <= 7:
		return effTetAfter1
	case after >= 8 && after <= 14:
		return effTetAfter2
	}
	// The days off between this open day and the previous (next) one.
	holidayNear := func(step int) bool {
		for k := 1; k <= 10; k++ {
			x := d.AddDate(0, 0, step*k)
			if _, hol := m.cal.Holiday(x); hol {
				return true
			}
			if m.weekdayOpen(x) {
				return false
			}
		}
		return false
	}
	switch {
	case holidayNear(-1):
		return effAfterHoliday
	case holidayNear(1):
		return effBeforeHoliday
	}
	// Working days are Monday to Friday: a Saturday session is extra.
	working := func(x time.Time) bool {
		return x.Weekday() != time.Saturday && x.Weekday() != time.Sunday && m.open(x)
	}
	first, last := working(d), working(d)
	for x := d.AddDate(0, 0, -1); first && x.Month() == d.Month(); x = x.AddDate(0, 0, -1) {
		first = !working(x)
	}
	for x := d.AddDate(0, 0, 1); last && x.Month() == d.Month(); x = x.AddDate(0, 0, 1) {
		last = !working(x)
	}
	switch {
	case first:
		return effFirstDay
	case last:
		return effLastDay
	}
	return effNone
}

// fitEffects learns each effect as the median ratio of its days to the
// same weekday's ordinary days within four weeks, shrunk toward 1.
func (m *Model) fitEffects(infos []dayInfo, total []float64) {
	var ratios [nEffects][]float64
	for i, in := range infos {
		if !in.open || in.effect == effNone || total[i] == 0 {
			continue
		}
		var base []float64
		for j := i - 28; j <= i+28; j += 7 {
			if j >= 0 && j < len(infos) && j != i && infos[j].open && infos[j].effect == effNone && total[j] > 0 {
				base = append(base, total[j])
			}
		}
		if len(base) < 2 {
			continue
		}
		ratios[in.effect] = append(ratios[in.effect], total[i]/median(base))
	}
	m.effect[effNone] = 1
	for e := 1; e < nEffects; e++ {
		n := float64(len(ratios[e]))
		m.effectN[e] = len(ratios[e])
		r := 1.0
		if n > 0 {
			r = median(ratios[e])
		}
		m.effect[e] = math.Max(0.3, math.Min(3, (n*r+shrinkDays)/(n+shrinkDays)))
	}
}

// Effects returns the learnt day effects (factors on an ordinary day) and
// how many days each was learnt from.
func (m *Model) Effects() (factor map[string]float64, days map[string]int) {
	factor, days = map[string]float64{}, map[string]int{}
	for e := 1; e < nEffects; e++ {
		factor[effectNames[e]] = m.effect[e]
		days[effectNames[e]] = m.effectN[e]
	}
	return factor, days
}

// openHours is the mask of hours a weekday may see arrivals: from an hour
// before opening to the close.
func (m *Model) openHours(wd int) (mask [24]bool) {
	o, c := m.hours[wd][0], m.hours[wd][1]
	if c == 0 {
		return mask
	}
	for h := range 24 {
		mask[h] = (h+1)*60 > o-60 && h*60 < c
	}
	return mask
}

func (m *Model) fitStream(infos []dayInfo, counts [][24]float64) *stream {
	st := &stream{}
	n := len(counts)
	y := make([]float64, n)
	for i := range n {
		for h := range 24 {
			y[i] += counts[i][h]
		}
	}
	weekday := func(i int) int { return int(m.from.AddDate(0, 0, i).Weekday()) }
	start := max(0, n-recentDays)
	// Weekday factors on ordinary open days.
	var sum, cnt float64
	var wsum, wcnt [7]float64
	for i := start; i < n; i++ {
		if infos[i].open && infos[i].effect == effNone {
			wd := weekday(i)
			wsum[wd] += y[i]
			wcnt[wd]++
			sum += y[i]
			cnt++
		}
	}
	if sum == 0 {
		return st // not seen lately: forecast 0
	}
	mean := sum / cnt
	for wd := range 7 {
		st.weekday[wd] = 1
		if wcnt[wd] > 0 {
			st.weekday[wd] = (wcnt[wd]*(wsum[wd]/wcnt[wd]/mean) + shrinkDays) / (wcnt[wd] + shrinkDays)
		}
	}
	// Level and trend: Theil–Sen through weekly means of deseasonalised days.
	var wz [trendWeeks]float64
	var wn [trendWeeks]float64
	for i := max(0, n-7*trendWeeks); i < n; i++ {
		in := infos[i]
		if !in.open || in.effect == effTetBefore || in.effect == effTetAfter1 || in.effect == effTetAfter2 {
			continue
		}
		j := (n - 1 - i) / 7
		wz[j] += y[i] / (st.weekday[weekday(i)] * m.effect[in.effect])
		wn[j]++
	}
	var xs, ys []float64
	for j := range trendWeeks {
		if wn[j] > 0 {
			xs, ys = append(xs, -float64(j)), append(ys, wz[j]/wn[j])
		}
	}
	slope, level := theilSen(xs, ys)
	st.level = math.Max(0, level)
	if st.level > 0 {
		st.slope = math.Max(-maxSlope, math.Min(maxSlope, trendDamp*slope/st.level))
	}
	// Profiles: weekday × hour, shrunk toward all days within the weekday's hours.
	var all [24]float64
	var byWd [7][24]float64
	var nWd [7]float64
	for i := start; i < n; i++ {
		if !infos[i].open {
			continue
		}
		wd := weekday(i)
		for h := range 24 {
			all[h] += counts[i][h]
			byWd[wd][h] += counts[i][h]
			nWd[wd] += counts[i][h]
		}
	}
	for wd := range 7 {
		mask := m.openHours(wd)
		var allIn float64
		for h := range 24 {
			if mask[h] {
				allIn += all[h]
			}
		}
		var tot float64
		for h := range 24 {
			p := byWd[wd][h]
			if mask[h] && allIn > 0 {
				p += shrinkCount * all[h] / allIn
			}
			st.share[wd][h] = p
			tot += p
		}
		if tot > 0 {
			for h := range 24 {
				st.share[wd][h] /= tot
			}
		}
	}
	// Dispersion on the recent days, in sample.
	var num, den, pearson, cells float64
	for i := start; i < n; i++ {
		in := infos[i]
		if !in.open {
			continue
		}
		j := float64((n - 1 - i) / 7)
		yhat := math.Max(0, st.level-slope*j) * st.weekday[weekday(i)] * m.effect[in.effect]
		num += (y[i]-yhat)*(y[i]-yhat) - yhat
		den += yhat * yhat
		for h := range 24 {
			if e := y[i] * st.share[weekday(i)][h]; e > 0.5 {
				pearson += (counts[i][h] - e) * (counts[i][h] - e) / e
				cells++
			}
		}
	}
	// The relative error of whole days out of sample: each of the last 8
	// weeks forecast from the weeks before it (level and damped trend, as
	// Forecast does); in sample when fewer than 20 days can be.
	var onum, oden, odays float64
	for j := 1; j <= 8; j++ {
		var ox, oy []float64
		for k := range xs {
			if xs[k] <= -float64(j+1) {
				ox, oy = append(ox, xs[k]), append(oy, ys[k])
			}
		}
		if len(ox) < 4 {
			break
		}
		s, l := theilSen(ox, oy)
		origin := l - s*float64(j+1)
		if origin <= 0 {
			continue
		}
		pred := origin * (1 + math.Max(-maxSlope, math.Min(maxSlope, trendDamp*s/origin)))
		for i := n - 7*j; i < n-7*(j-1); i++ {
			in := infos[i]
			if i < 0 || !in.open || in.effect == effTetBefore || in.effect == effTetAfter1 || in.effect == effTetAfter2 {
				continue
			}
			yhat := pred * st.weekday[weekday(i)] * m.effect[in.effect]
			onum += (y[i]-yhat)*(y[i]-yhat) - yhat
			oden += yhat * yhat
			odays++
		}
	}
	if odays >= 20 {
		num, den = onum, oden
	}
	st.c = 0.03
	if den > 0 && num > 0 {
		st.c = math.Max(0.03, math.Min(1, math.Sqrt(num/den)))
	}
	st.phi = 1
	if cells > 0 {
		st.phi = math.Max(1, math.Min(5, pearson/cells))
	}
	return st
}

// day forecasts a stream on an open civil date: the hourly means and the
// relative day error.
func (st *stream) day(m *Model, d time.Time, in dayInfo) (mu [24]float64, c float64) {
	if st.level == 0 {
		return mu, 0
	}
	weeks := (d.Sub(m.to).Hours()/24 + 3) / 7
	lvl := st.level * math.Max(0.5, 1+st.slope*weeks) * st.weekday[d.Weekday()] * m.effect[in.effect]
	for h := range 24 {
		mu[h] = lvl * st.share[d.Weekday()][h]
	}
	c = st.c * (1 + 0.05*math.Max(0, weeks))
	if in.effect != effNone {
		c *= 1.25 // rarer days, less certain factors
	}
	return mu, c
}

// Forecast forecasts the days from Now's local date.
func (m *Model) Forecast(o Options) *Forecast {
	if o.Days <= 0 {
		o.Days = 14
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Calendar != nil && o.Calendar != m.cal {
		mm := *m
		mm.cal = o.Calendar
		m = &mm
	}
	o.Past = max(0, min(o.Past, 62))
	f := &Forecast{Centre: m.centre.ID, Generated: o.Now, Model: ModelLine, centre: m.centre,
		Points: []Point{}, Days: []DaySum{}, Notes: []string{}}
	today := civil(o.Now.In(m.loc))
	booked := map[string]map[string]*[24]int{} // day → service → hour
	for _, b := range o.Booked {
		lt := b.Start.In(m.loc)
		day := lt.Format(time.DateOnly)
		if booked[day] == nil {
			booked[day] = map[string]*[24]int{}
		}
		if booked[day][b.Service] == nil {
			booked[day][b.Service] = &[24]int{}
		}
		booked[day][b.Service][lt.Hour()] += b.Count
	}
	if weeks := m.to.Sub(m.from).Hours() / 24 / 7; weeks < 8 {
		f.Notes = append(f.Notes, "Lịch sử mới có dưới 8 tuần: dự báo còn kém tin cậy, khoảng tin cậy rộng.")
	}
	if gap := today.Sub(m.to).Hours() / 24; gap > 7 {
		f.Notes = append(f.Notes, "Dữ liệu dùng để dự báo đã cũ hơn một tuần.")
	}
	noted := map[string]bool{}
	for k := -o.Past; k < o.Days; k++ {
		d := today.AddDate(0, 0, k)
		day := date(d)
		in := m.info(d)
		if !m.cal.Covers(d) && !noted["cover"+d.Format("2006")] {
			noted["cover"+d.Format("2006")] = true
			f.Notes = append(f.Notes, "Lịch ngày lễ chưa có năm "+d.Format("2006")+": ngày lễ năm đó không được tính.")
		}
		if cd, ok := m.cal.days[day]; ok && cd.Verify && !noted[cd.Name] {
			noted[cd.Name] = true
			f.Notes = append(f.Notes, "Ngày nghỉ "+cd.Name+" ("+d.Format("02/01/2006")+") suy ra theo Bộ luật Lao động, chưa đối chiếu lịch nghỉ chính thức.")
		}
		var actual map[string]int
		hasActual := !d.After(today) && !d.Before(m.from)
		if hasActual {
			actual = m.actual[day]
		}
		all := DaySum{Day: day, Closed: !in.open, Holiday: in.holiday, Effect: effectNames[in.effect]}
		var allVar, allCorr float64
		var sums []DaySum
		for _, s := range m.services {
			ds := DaySum{Day: day, Service: s, Closed: all.Closed, Holiday: all.Holiday, Effect: all.Effect}
			var bk [24]int
			if b := booked[day][s]; b != nil {
				bk = *b
			}
			var wmu, bmu [24]float64
			var wc, bc float64
			var wst, bst *stream
			if in.open {
				if wst = m.walk[s]; wst != nil {
					wmu, wc = wst.day(m, d, in)
				}
				if bst = m.book[s]; bst != nil {
					bmu, bc = bst.day(m, d, in)
				}
			}
			var dayPois, dayCorr float64
			for h := range 24 {
				var mean, pois, corr float64
				var random float64 // the part not yet booked
				if wst != nil {
					mean = wmu[h]
					random += wmu[h]
					pois += wst.phi * wmu[h]
					corr += wc * wmu[h]
				}
				if bst != nil && bmu[h] > float64(bk[h]) {
					mean += bmu[h]
					random += bmu[h]
					pois += bst.phi * bmu[h]
					corr += bc * bmu[h]
				} else {
					mean += float64(bk[h])
				}
				// A day's total is Poisson around the day's level (the
				// hours' overdispersion is around the day's own profile).
				dayPois += random
				dayCorr += corr
				ds.Booked += bk[h]
				if mean == 0 && bk[h] == 0 {
					continue
				}
				sd := math.Sqrt(pois + corr*corr)
				f.Points = append(f.Points, Point{Service: s, Day: day, Hour: h, Mean: round2(mean),
					Low: round2(math.Max(float64(bk[h]), mean-z80*sd)), High: round2(math.Max(float64(bk[h]), mean+z80*sd)), Booked: bk[h]})
				ds.Mean += mean
			}
			sd := math.Sqrt(dayPois + dayCorr*dayCorr)
			ds.Low = math.Max(float64(ds.Booked), ds.Mean-z80*sd)
			ds.High = math.Max(float64(ds.Booked), ds.Mean+z80*sd)
			if hasActual {
				a := actual[s]
				ds.Actual = &a
			}
			all.Mean += ds.Mean
			all.Booked += ds.Booked
			allVar += dayPois
			allCorr += dayCorr
			sums = append(sums, ds)
		}
		sd := math.Sqrt(allVar + allCorr*allCorr)
		all.Low = math.Max(float64(all.Booked), all.Mean-z80*sd)
		all.High = math.Max(float64(all.Booked), all.Mean+z80*sd)
		if hasActual {
			a := 0
			for _, n := range actual {
				a += n
			}
			all.Actual = &a
		}
		for _, ds := range append([]DaySum{all}, sums...) {
			ds.Mean, ds.Low, ds.High = round2(ds.Mean), round2(ds.Low), round2(ds.High)
			f.Days = append(f.Days, ds)
		}
	}
	return f
}

// theilSen fits a line through the points: the median of the pairwise
// slopes (0 under four points) and the median level at x = 0.
func theilSen(xs, ys []float64) (slope, level float64) {
	if len(xs) >= 4 {
		var slopes []float64
		for a := range xs {
			for b := a + 1; b < len(xs); b++ {
				slopes = append(slopes, (ys[b]-ys[a])/(xs[b]-xs[a]))
			}
		}
		slope = median(slopes)
	}
	var icepts []float64
	for k := range xs {
		icepts = append(icepts, ys[k]-slope*xs[k])
	}
	return slope, median(icepts)
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	k := len(s) / 2
	if len(s)%2 == 1 {
		return s[k]
	}
	return (s[k-1] + s[k]) / 2
}
