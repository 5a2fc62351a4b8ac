// Package planpdf prints a centre's staffing plan and arrival forecast (the
// answer of GET …/forecast) as an A4 PDF for the notice board: the plan as
// a table by hour and counter with the hours the roster cannot cover
// marked, then the forecast per day. DejaVu Sans is embedded, as in the
// reports, for Vietnamese.
package planpdf

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/jung-kurt/gofpdf"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// Page geometry (A4 portrait, millimetres).
const (
	pageW   = 210.0
	pageH   = 297.0
	margin  = 12.0
	bodyW   = pageW - 2*margin
	bottomY = pageH - 14.0
	font    = "DejaVu"
	rowH    = 5.0
)

type rgb struct{ r, g, b int }

var (
	colHead  = rgb{226, 232, 240}
	colGrid  = rgb{203, 213, 225}
	colText  = rgb{15, 23, 42}
	colMuted = rgb{100, 116, 139}
	colOpen  = rgb{37, 99, 235}
	colShort = rgb{254, 226, 226}
	colLate  = rgb{185, 28, 28}
	colShut  = rgb{241, 245, 249}
)

var texts = map[string][2]string{ // key → {vi, en}
	"title":     {"Kế hoạch bố trí quầy", "Staffing plan"},
	"day":       {"Ngày", "Day"},
	"target":    {"Mục tiêu: 90%% người chờ không quá %d phút", "Target: 90%% of people wait at most %d minutes"},
	"generated": {"Lập lúc", "Generated"},
	"summary":   {"Số giờ-quầy theo kế hoạch: %d (mở tất cả quầy cả ngày: %d, tiết kiệm %d). Giờ đạt mục tiêu (mô phỏng): %s%%.", "Counter-hours planned: %d (all counters all day: %d, %d saved). Hours meeting the target (simulated): %s%%."},
	"short.n":   {"Thiếu quầy ở %d giờ: %s. Mở tất cả quầy hiện có vẫn không đạt mục tiêu chờ.", "Hours short of counters (%d): %s. Even every counter of the roster cannot meet the wait target."},
	"short.h":   {"%s (cần %d quầy, có %d)", "%s (%d counters needed, %d available)"},
	"enough":    {"Số quầy hiện có đủ để đạt mục tiêu chờ ở mọi giờ.", "The current counters can meet the wait target in every hour."},
	"accuracy":  {"Độ tin cậy: trong 7 ngày qua, dự báo (lập trước các ngày đó) lệch %s%% so với số khách thực tế (WAPE, %d ngày làm việc).", "How far to trust it: over the last 7 days, the forecast made before them was off by %s%% from what came (WAPE, %d working days)."},
	"hour":      {"Giờ", "Hour"},
	"expected":  {"Dự kiến (người)", "Expected (people)"},
	"needed":    {"Cần", "Needed"},
	"p90":       {"Chờ p90 (phút)", "p90 wait (min)"},
	"note":      {"Ghi chú", "Note"},
	"short":     {"THIẾU QUẦY", "SHORT"},
	"open":      {"mở", "open"},
	"legend":    {"■ quầy mở theo kế hoạch. THIẾU QUẦY: mở tất cả quầy có thể phục vụ vẫn không đạt mục tiêu.", "■ counter open in the plan. SHORT: even every counter able to serve cannot meet the target."},
	"s.plan":    {"Kế hoạch theo giờ và quầy", "Plan by hour and counter"},
	"s.days":    {"Dự báo lượt khách theo ngày", "Forecast of arrivals per day"},
	"date":      {"Ngày", "Date"},
	"mean":      {"Dự báo", "Forecast"},
	"interval":  {"Khoảng 80%", "80% interval"},
	"booked":    {"Đã hẹn", "Booked"},
	"actual":    {"Thực tế", "Actual"},
	"closed":    {"nghỉ", "closed"},
	"none":      {"Không có giờ làm việc trong ngày này.", "No opening hours on this day."},
	"noplan":    {"Chưa có dự báo.", "No forecast yet."},
	"model":     {"Mô hình", "Model"},
	"page":      {"Trang %d/{nb}", "Page %d/{nb}"},
	"counter":   {"Q%d", "C%d"},
}

var weekdays = [2][7]string{
	{"CN", "T2", "T3", "T4", "T5", "T6", "T7"},
	{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
}

type doc struct {
	*gofpdf.Fpdf
	en bool
}

func (d *doc) t(key string) string {
	if d.en {
		return texts[key][1]
	}
	return texts[key][0]
}

func (d *doc) fill(c rgb) { d.SetFillColor(c.r, c.g, c.b) }
func (d *doc) ink(c rgb)  { d.SetTextColor(c.r, c.g, c.b) }
func (d *doc) pen(c rgb)  { d.SetDrawColor(c.r, c.g, c.b) }

// date writes a YYYY-MM-DD day with its weekday.
func (d *doc) date(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	i := 0
	if d.en {
		i = 1
		return weekdays[i][t.Weekday()] + " " + t.Format("2 Jan 2006")
	}
	return weekdays[i][t.Weekday()] + " " + t.Format("02/01/2006")
}

func (d *doc) heading(s string) {
	if d.GetY()+20 > bottomY {
		d.AddPage()
	}
	d.Ln(3)
	d.SetFont(font, "B", 11)
	d.ink(colText)
	d.CellFormat(bodyW, 7, s, "", 1, "L", false, 0, "")
	d.pen(colGrid)
	d.Line(margin, d.GetY(), margin+bodyW, d.GetY())
	d.Ln(2)
}

// row draws one table row; fills and inks are per cell (zero: none).
func (d *doc) row(ws []float64, cells []string, aligns string, bold bool, bg []rgb, fg []rgb) {
	if d.GetY()+rowH > bottomY {
		d.AddPage()
	}
	style := ""
	if bold {
		style = "B"
	}
	d.SetFont(font, style, 7.5)
	d.SetX(margin)
	d.pen(colGrid)
	for i, c := range cells {
		fill := bg != nil && bg[i] != (rgb{})
		if fill {
			d.fill(bg[i])
		}
		d.ink(colText)
		if fg != nil && fg[i] != (rgb{}) {
			d.ink(fg[i])
		}
		align := "R"
		if i < len(aligns) {
			align = aligns[i : i+1]
		}
		d.CellFormat(ws[i], rowH, c, "1", 0, align, fill, 0, "")
	}
	d.Ln(rowH)
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// Write prints f, the forecast of centre c with its plan, in lang ("vi",
// the default, or "en").
func Write(w io.Writer, c queue.Centre, f apiv1.ForecastView, lang string) error {
	p := gofpdf.New("P", "mm", "A4", "")
	d := &doc{Fpdf: p, en: lang == "en"}
	p.SetTitle(d.t("title")+" – "+c.Name, true)
	p.SetCreator("Xếp Hàng", true)
	p.AddUTF8FontFromBytes(font, "", dejavusans.TTF)
	p.AddUTF8FontFromBytes(font, "B", dejavusansbold.TTF)
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(false, 0)
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		p.SetY(pageH - 10)
		p.SetFont(font, "", 7)
		d.ink(colMuted)
		p.CellFormat(bodyW/2, 4, c.Name, "", 0, "L", false, 0, "")
		p.CellFormat(bodyW/2, 4, fmt.Sprintf(d.t("page"), p.PageNo()), "", 0, "R", false, 0, "")
	})
	p.AddPage()
	d.ink(colText)
	d.SetFont(font, "B", 16)
	d.CellFormat(bodyW, 9, d.t("title"), "", 1, "C", false, 0, "")
	d.SetFont(font, "B", 12)
	d.MultiCell(bodyW, 6, c.Name, "", "C", false)
	if f.Plan != nil {
		d.SetFont(font, "B", 11)
		d.CellFormat(bodyW, 6, d.t("day")+": "+d.date(f.Plan.Day), "", 1, "C", false, 0, "")
		d.SetFont(font, "", 9)
		d.CellFormat(bodyW, 5, fmt.Sprintf(d.t("target"), f.Plan.TargetMinutes), "", 1, "C", false, 0, "")
	}
	d.SetFont(font, "", 8)
	d.ink(colMuted)
	gen := f.Generated
	if t, err := time.Parse(time.RFC3339, f.Generated); err == nil {
		gen = t.In(c.Location()).Format("15:04 02/01/2006")
	}
	d.CellFormat(bodyW, 4.5, d.t("generated")+": "+gen, "", 1, "C", false, 0, "")
	if f.Plan == nil {
		d.Ln(4)
		d.SetFont(font, "", 10)
		d.ink(colText)
		d.MultiCell(bodyW, 5, d.t("noplan"), "", "L", false)
	} else {
		d.plan(c, f.Plan)
	}
	d.days(f)
	if f.Model != "" || len(f.Notes) > 0 || f.Accuracy != nil {
		d.Ln(3)
		d.SetFont(font, "", 7.5)
		d.ink(colMuted)
		if f.Model != "" {
			d.MultiCell(bodyW, 3.8, d.t("model")+": "+f.Model, "", "L", false)
		}
		if a := f.Accuracy; a != nil {
			d.MultiCell(bodyW, 3.8, fmt.Sprintf(d.t("accuracy"), strconv.FormatFloat(a.WAPE*100, 'f', 1, 64), a.Days), "", "L", false)
		}
		for _, n := range f.Notes {
			d.MultiCell(bodyW, 3.8, "• "+n, "", "L", false)
		}
	}
	if err := p.Output(w); err != nil {
		return fmt.Errorf("planpdf: %w", err)
	}
	return nil
}

// plan draws the summary and the table: a row per open hour, a column per
// configured counter (■ when open), the counters needed, the simulated
// p90 wait, and the shortfalls.
func (d *doc) plan(c queue.Centre, pl *apiv1.StaffingPlan) {
	d.Ln(3)
	d.SetFont(font, "", 9)
	d.ink(colText)
	d.MultiCell(bodyW, 4.6, fmt.Sprintf(d.t("summary"), pl.CounterHours, pl.AllDayCounterHours,
		max(0, pl.AllDayCounterHours-pl.CounterHours), strconv.FormatFloat(pl.MetShare*100, 'f', 0, 64)), "", "L", false)
	if len(pl.Hours) > 0 {
		var short []string
		for _, h := range pl.Hours {
			if h.Short {
				short = append(short, fmt.Sprintf(d.t("short.h"), fmt.Sprintf("%02d–%02d", h.Hour, h.Hour+1), h.Needed, h.Roster))
			}
		}
		if len(short) > 0 {
			d.ink(colLate)
			d.MultiCell(bodyW, 4.6, fmt.Sprintf(d.t("short.n"), len(short), strings.Join(short, ", ")), "", "L", false)
			d.ink(colText)
		} else {
			d.MultiCell(bodyW, 4.6, d.t("enough"), "", "L", false)
		}
	}
	d.heading(d.t("s.plan"))
	if len(pl.Hours) == 0 {
		d.SetFont(font, "", 9)
		d.MultiCell(bodyW, 5, d.t("none"), "", "L", false)
		return
	}
	head := []string{d.t("hour"), d.t("expected")}
	ws := []float64{16, 22}
	for _, k := range c.Counters {
		head = append(head, fmt.Sprintf(d.t("counter"), k.Number))
		ws = append(ws, 0)
	}
	head = append(head, d.t("needed"), d.t("p90"), d.t("note"))
	ws = append(ws, 12, 18, 24)
	fixed := 0.0
	for _, x := range ws {
		fixed += x
	}
	cw := min(14, (bodyW-fixed)/float64(max(1, len(c.Counters))))
	for i := range c.Counters {
		ws[2+i] = cw
	}
	aligns := "LR" + strings.Repeat("C", len(c.Counters)) + "RRL"
	d.headRow(ws, head)
	for _, h := range pl.Hours {
		open := map[int]bool{}
		for _, n := range h.Counters {
			open[n] = true
		}
		cells := []string{fmt.Sprintf("%02d–%02d", h.Hour, h.Hour+1), num(h.Expected)}
		bg := make([]rgb, len(head))
		fg := make([]rgb, len(head))
		for i, k := range c.Counters {
			if open[k.Number] {
				cells = append(cells, "■")
				fg[2+i] = colOpen
			} else {
				cells = append(cells, "")
			}
		}
		note := ""
		if h.Short {
			note = d.t("short")
			for i := range bg {
				bg[i] = colShort
			}
			fg[len(fg)-1] = colLate
			fg[len(fg)-2] = colLate
		}
		cells = append(cells, strconv.Itoa(h.Needed), num(h.P90Minutes), note)
		if d.GetY()+rowH > bottomY {
			d.AddPage()
			d.headRow(ws, head)
		}
		d.row(ws, cells, aligns, h.Short, bg, fg)
	}
	d.SetFont(font, "", 7)
	d.ink(colMuted)
	d.Ln(1)
	d.MultiCell(bodyW, 3.6, d.t("legend"), "", "L", false)
}

func (d *doc) headRow(ws []float64, head []string) {
	bg := make([]rgb, len(head))
	for i := range bg {
		bg[i] = colHead
	}
	d.row(ws, head, strings.Repeat("C", len(head)), true, bg, nil)
}

// days draws the forecast of all services per day, with the bookings
// already made and, for today, the arrivals so far.
func (d *doc) days(f apiv1.ForecastView) {
	d.heading(d.t("s.days"))
	booked := map[string]int{}
	for _, p := range f.Points {
		booked[p.Day] += p.Booked
	}
	head := []string{d.t("date"), d.t("mean"), d.t("interval"), d.t("booked"), d.t("actual"), d.t("note")}
	ws := []float64{34, 22, 30, 20, 20, bodyW - 126}
	d.headRow(ws, head)
	rows := 0
	for _, day := range f.Days {
		if day.Service != "" {
			continue
		}
		rows++
		actual := ""
		if day.Actual != nil {
			actual = strconv.Itoa(*day.Actual)
		}
		note := day.Holiday
		var bg []rgb
		if day.Closed {
			if note == "" {
				note = d.t("closed")
			}
			bg = []rgb{colShut, colShut, colShut, colShut, colShut, colShut}
		}
		d.row(ws, []string{d.date(day.Day), num(day.Mean), num(day.Low) + "–" + num(day.High), strconv.Itoa(booked[day.Day]), actual, note}, "LRRRRL", false, bg, nil)
	}
	if rows == 0 {
		d.SetFont(font, "", 9)
		d.ink(colText)
		d.MultiCell(bodyW, 5, d.t("noplan"), "", "L", false)
	}
}
