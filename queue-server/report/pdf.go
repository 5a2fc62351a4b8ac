package report

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/jung-kurt/gofpdf"
)

// Page geometry of the PDF (A4 portrait, millimetres).
const (
	pageW   = 210.0
	pageH   = 297.0
	margin  = 12.0
	bodyW   = pageW - 2*margin
	bottomY = pageH - 14.0 // below: the footer
	font    = "DejaVu"
)

type rgb struct{ r, g, b int }

var (
	colWalkIn = rgb{37, 99, 235}
	colBooked = rgb{245, 158, 11}
	colGrid   = rgb{203, 213, 225}
	colHead   = rgb{226, 232, 240}
	colText   = rgb{15, 23, 42}
	colMuted  = rgb{100, 116, 139}
	colWait   = rgb{13, 148, 136}
	colLate   = rgb{220, 38, 38}
)

// pdfDoc draws one report; errors stay inside gofpdf until Output.
type pdfDoc struct {
	*gofpdf.Fpdf
	l labels
	r *Report
}

func (d *pdfDoc) fill(c rgb) { d.SetFillColor(c.r, c.g, c.b) }
func (d *pdfDoc) ink(c rgb)  { d.SetTextColor(c.r, c.g, c.b) }
func (d *pdfDoc) pen(c rgb)  { d.SetDrawColor(c.r, c.g, c.b) }

// need starts a new page unless h millimetres are left.
func (d *pdfDoc) need(h float64) bool {
	if d.GetY()+h > bottomY {
		d.AddPage()
		return true
	}
	return false
}

// fit shortens s with an ellipsis until it fits w millimetres.
func (d *pdfDoc) fit(s string, w float64) string {
	if d.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && d.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// mins writes whole seconds as minutes with the unit: "15 phút".
func (d *pdfDoc) mins(secs float64) string {
	return strconv.FormatFloat(secs/60, 'f', -1, 64) + " " + d.l.t("unit.min")
}

// heading starts a section, on a new page unless the heading and body
// millimetres of what follows fit.
func (d *pdfDoc) heading(s string, body float64) {
	d.need(14 + body)
	d.Ln(3)
	d.SetFont(font, "B", 11)
	d.ink(colText)
	d.CellFormat(bodyW, 7, s, "", 1, "L", false, 0, "")
	d.pen(colGrid)
	d.Line(margin, d.GetY(), margin+bodyW, d.GetY())
	d.Ln(2)
}

// WritePDF writes the report as a PDF in lang ("vi", the default, or
// "en"): the key figures, charts drawn as vector graphics (tickets per
// service, arrivals by weekday and hour, the wait distribution) and the
// tables of the figures. DejaVu Sans is embedded for Vietnamese.
func (r *Report) WritePDF(w io.Writer, lang string) error {
	l := labelsFor(lang)
	p := gofpdf.New("P", "mm", "A4", "")
	d := &pdfDoc{Fpdf: p, l: l, r: r}
	p.SetTitle(l.t("title")+" – "+r.CentreName+" – "+l.period(r.Period), true)
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
		p.CellFormat(bodyW/2, 4, r.CentreName+" · "+l.period(r.Period), "", 0, "L", false, 0, "")
		p.CellFormat(bodyW/2, 4, fmt.Sprintf(l.t("page"), p.PageNo()), "", 0, "R", false, 0, "")
	})
	p.AddPage()

	d.header()
	d.keyFigures()
	d.serviceChart()
	d.heatmap()
	d.waitChart()
	d.groupTables(l.t("s.services"), r.Services)
	d.groupTables(l.t("s.counters"), r.Counters)
	d.groupTables(l.t("s.staff"), r.Staff)
	d.groupTables(l.t("s.days"), dayRows(l, r.Days))
	d.bookingTable()
	d.precheckTables()
	d.ratingTable()
	if err := p.Output(w); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	return nil
}

// dayRows names days by date and weekday.
func dayRows(l labels, days []Group) []Group {
	out := make([]Group, len(days))
	for i, g := range days {
		out[i] = g
		if t, err := time.Parse(time.DateOnly, g.Key); err == nil {
			out[i].Key = weekdaysShort[l.lang][t.Weekday()]
			out[i].Name = l.date(g.Key)
			out[i].NameEn = l.date(g.Key)
		}
	}
	return out
}

func (d *pdfDoc) header() {
	r, l := d.r, d.l
	d.ink(colText)
	d.SetFont(font, "B", 16)
	d.CellFormat(bodyW, 9, l.t("title"), "", 1, "C", false, 0, "")
	d.SetFont(font, "B", 12)
	d.MultiCell(bodyW, 6, r.CentreName, "", "C", false)
	d.SetFont(font, "", 10)
	d.CellFormat(bodyW, 6, l.t("period")+": "+l.period(r.Period), "", 1, "C", false, 0, "")
	d.SetFont(font, "", 8)
	d.ink(colMuted)
	loc, err := time.LoadLocation(r.Timezone)
	if err != nil {
		loc = time.UTC
	}
	gen := r.GeneratedAt.In(loc).Format("15:04 02/01/2006")
	d.CellFormat(bodyW, 4.5, fmt.Sprintf("%s: %s · %s: %s · %s: %s", l.t("generated"), gen, l.t("timezone"), r.Timezone, l.t("target"), d.mins(float64(r.TargetWaitSeconds))), "", 1, "C", false, 0, "")
	d.Ln(2)
}

func (d *pdfDoc) keyFigures() {
	r, l := d.r, d.l
	f, b := r.Total, r.Bookings
	items := [][2]string{
		{l.t("c.tickets"), itoa(f.Tickets)},
		{l.t("c.walk_in"), itoa(f.WalkIn)},
		{l.t("c.booked"), itoa(f.Booked)},
		{l.t("c.offline"), itoa(f.Offline)},
		{l.t("c.served"), itoa(f.Served)},
		{l.t("c.no_shows"), itoa(f.NoShows)},
		{l.t("c.expired"), itoa(f.Expired)},
		{l.t("c.cancelled"), itoa(f.Cancellations)},
		{l.t("c.wait_mean"), minutes(f.Wait.Mean)},
		{l.t("c.wait_median"), minutes(f.Wait.Median)},
		{l.t("c.wait_p90"), minutes(f.Wait.P90)},
		{l.t("c.wait_max"), minutes(f.Wait.Max)},
		{l.t("c.svc_mean"), minutes(f.ServiceTime.Mean)},
		{l.t("c.svc_median"), minutes(f.ServiceTime.Median)},
		{l.t("c.svc_p90"), minutes(f.ServiceTime.P90)},
		{l.t("c.svc_max"), minutes(f.ServiceTime.Max)},
		{l.t("c.within"), percent(f.WithinTargetShare)},
		{l.t("c.utilisation"), percent(b.Utilisation)},
		{l.t("c.checkin_rate"), percent(b.CheckInRate)},
		{l.t("c.noshow_rate"), percent(b.NoShowRate)},
		{l.t("prechecks.done"), itoa(r.Prechecks.Done)},
		{l.t("prechecks.ok"), itoa(r.Prechecks.OK)},
		{l.t("c.ratings"), itoa(f.Ratings.Count)},
		{l.t("c.rating_mean"), ratingMean(f.Ratings)},
	}
	const cols = 4
	cw := bodyW / cols
	d.pen(colGrid)
	for i, it := range items {
		x := margin + float64(i%cols)*cw
		y := d.GetY()
		if i%cols == 0 {
			d.need(12)
			y = d.GetY()
		}
		d.Rect(x, y, cw, 11, "D")
		d.SetXY(x+1.5, y+1)
		d.SetFont(font, "", 6.5)
		d.ink(colMuted)
		d.CellFormat(cw-3, 3.5, d.fit(it[0], cw-3), "", 0, "L", false, 0, "")
		d.SetXY(x+1.5, y+4.8)
		d.SetFont(font, "B", 10)
		d.ink(colText)
		d.CellFormat(cw-3, 5, it[1], "", 0, "L", false, 0, "")
		if i%cols == cols-1 || i == len(items)-1 {
			d.SetXY(margin, y+11)
		} else {
			d.SetY(y)
		}
	}
	d.SetFont(font, "", 7)
	d.ink(colMuted)
	d.Ln(1)
	d.MultiCell(bodyW, 3.5, l.t("wait.note"), "", "L", false)
}

// serviceChart draws horizontal stacked bars: walk-in and booked tickets
// of each service.
func (d *pdfDoc) serviceChart() {
	l, r := d.l, d.r
	d.heading(l.t("chart.services"), 7*float64(min(len(r.Services), 6)))
	var rows []Group
	most := 0
	for _, g := range r.Services {
		if g.Tickets > 0 || len(r.Services) <= 12 {
			rows = append(rows, g)
			most = max(most, g.Tickets)
		}
	}
	if most == 0 {
		d.none()
		return
	}
	const labelW, barH, gap = 50.0, 5.0, 1.8
	barMax := bodyW - labelW - 18
	d.SetFont(font, "", 8)
	for _, g := range rows {
		d.need(barH + gap)
		y := d.GetY()
		d.ink(colText)
		d.SetXY(margin, y)
		d.CellFormat(labelW-2, barH, d.fit(g.Key+" · "+l.name(g), labelW-2), "", 0, "L", false, 0, "")
		x := margin + labelW
		ww := barMax * float64(g.WalkIn) / float64(most)
		wb := barMax * float64(g.Booked) / float64(most)
		d.fill(colWalkIn)
		if ww > 0 {
			d.Rect(x, y+0.5, ww, barH-1, "F")
		}
		d.fill(colBooked)
		if wb > 0 {
			d.Rect(x+ww, y+0.5, wb, barH-1, "F")
		}
		d.SetXY(x+ww+wb+1, y)
		d.CellFormat(18, barH, itoa(g.Tickets), "", 0, "L", false, 0, "")
		d.SetY(y + barH + gap)
	}
	d.legend([]rgb{colWalkIn, colBooked}, []string{l.t("legend.walk_in"), l.t("legend.booked")})
}

func (d *pdfDoc) legend(cs []rgb, names []string) {
	d.need(6)
	y := d.GetY() + 1
	x := margin
	d.SetFont(font, "", 7.5)
	d.ink(colText)
	for i, c := range cs {
		d.fill(c)
		d.Rect(x, y+0.8, 3, 3, "F")
		d.SetXY(x+4, y)
		w := d.GetStringWidth(names[i]) + 2
		d.CellFormat(w, 4.5, names[i], "", 0, "L", false, 0, "")
		x += 4 + w + 4
	}
	d.SetY(y + 6)
}

func (d *pdfDoc) none() {
	d.SetFont(font, "", 8)
	d.ink(colMuted)
	d.CellFormat(bodyW, 5, d.l.t("none"), "", 1, "L", false, 0, "")
}

// heatmap draws arrivals as a weekday × hour grid, darker for more, with
// the count in each cell. Hours outside any arrival and opening are left out.
func (d *pdfDoc) heatmap() {
	l, r := d.l, d.r
	d.heading(l.t("chart.arrivals"), 52)
	a := r.Arrivals
	if a.Max == 0 {
		d.none()
		return
	}
	first, last := 23, 0
	for _, row := range a.Counts {
		for h, n := range row {
			if n > 0 {
				first, last = min(first, h), max(last, h)
			}
		}
	}
	first, last = min(first, 7), max(last, 16) // a working day at least
	hours := last - first + 1
	const labelW, cellH = 18.0, 6.0
	cellW := (bodyW - labelW) / float64(hours)
	d.need(cellH*8 + 4)
	y := d.GetY()
	d.SetFont(font, "", 6.5)
	d.ink(colMuted)
	for h := first; h <= last; h++ {
		d.SetXY(margin+labelW+float64(h-first)*cellW, y)
		d.CellFormat(cellW, 4, fmt.Sprintf("%02d", h), "", 0, "C", false, 0, "")
	}
	y += 4.5
	d.pen(rgb{255, 255, 255})
	for i, wd := range mondayFirst {
		cy := y + float64(i)*cellH
		d.SetXY(margin, cy)
		d.SetFont(font, "", 7.5)
		d.ink(colText)
		d.CellFormat(labelW, cellH, weekdays[l.lang][wd], "", 0, "L", false, 0, "")
		for h := first; h <= last; h++ {
			n := a.Counts[wd][h]
			s := float64(n) / float64(a.Max)
			c := rgb{int(241 - s*(241-30)), int(245 - s*(245-64)), int(249 - s*(249-175))}
			x := margin + labelW + float64(h-first)*cellW
			d.fill(c)
			d.Rect(x, cy, cellW, cellH, "FD")
			if n > 0 {
				d.SetXY(x, cy)
				d.SetFont(font, "", 6)
				if s > 0.5 {
					d.ink(rgb{255, 255, 255})
				} else {
					d.ink(colText)
				}
				d.CellFormat(cellW, cellH, itoa(n), "", 0, "C", false, 0, "")
			}
		}
	}
	d.SetY(y + 7*cellH + 2)
}

// waitChart draws the wait distribution as vertical bars, the bars past
// the target in red.
func (d *pdfDoc) waitChart() {
	l, r := d.l, d.r
	d.heading(l.t("chart.waits"), 60)
	most := 0
	for _, b := range r.WaitBins {
		most = max(most, b.Count)
	}
	if most == 0 {
		d.none()
		return
	}
	const chartH = 40.0
	d.need(chartH + 14)
	top := d.GetY() + 4
	base := top + chartH
	n := len(r.WaitBins)
	slot := bodyW / float64(n)
	target := float64(r.TargetWaitSeconds) / 60
	d.pen(colGrid)
	d.Line(margin, base, margin+bodyW, base)
	for i, b := range r.WaitBins {
		x := margin + float64(i)*slot
		h := chartH * float64(b.Count) / float64(most)
		if float64(b.From) >= target {
			d.fill(colLate)
		} else {
			d.fill(colWait)
		}
		if h > 0 {
			d.Rect(x+slot*0.15, base-h, slot*0.7, h, "F")
		}
		d.SetFont(font, "", 7)
		d.ink(colText)
		d.SetXY(x, base-h-4)
		d.CellFormat(slot, 4, itoa(b.Count), "", 0, "C", false, 0, "")
		d.SetXY(x, base+0.5)
		d.ink(colMuted)
		d.CellFormat(slot, 4, binLabel(b), "", 0, "C", false, 0, "")
	}
	d.SetY(base + 6)
	d.legend([]rgb{colWait, colLate}, []string{
		"≤ " + d.mins(float64(r.TargetWaitSeconds)),
		"> " + d.mins(float64(r.TargetWaitSeconds)),
	})
}

// table draws rows under a header that wraps, repeating the header on
// each new page. The first alignment is for the first column, the rest
// right-aligned numbers unless aligns says otherwise.
func (d *pdfDoc) table(head []string, widths []float64, rows [][]string, bold map[int]bool) {
	const rowH = 4.6
	scale := bodyW / sum(widths)
	ws := make([]float64, len(widths))
	for i, w := range widths {
		ws[i] = w * scale
	}
	drawHead := func() {
		d.SetFont(font, "B", 6.5)
		lines := 1
		split := make([][]string, len(head))
		for i, h := range head {
			split[i] = d.SplitText(h, ws[i]-1)
			lines = max(lines, len(split[i]))
		}
		hh := float64(lines)*3 + 1.5
		d.need(hh + rowH*2)
		y := d.GetY()
		x := margin
		d.fill(colHead)
		d.pen(colGrid)
		d.ink(colText)
		for i := range head {
			d.Rect(x, y, ws[i], hh, "FD")
			for j, s := range split[i] {
				d.SetXY(x+0.5, y+0.75+float64(j)*3)
				align := "C"
				if i < 2 {
					align = "L"
				}
				d.CellFormat(ws[i]-1, 3, s, "", 0, align, false, 0, "")
			}
			x += ws[i]
		}
		d.SetY(y + hh)
	}
	drawHead()
	if len(rows) == 0 {
		d.none()
		return
	}
	for ri, row := range rows {
		if d.need(rowH) {
			drawHead()
		}
		style := ""
		if bold[ri] {
			style = "B"
		}
		d.SetFont(font, style, 7)
		d.SetX(margin)
		for i, c := range row {
			align := "R"
			if i < 2 {
				align = "L"
			}
			d.CellFormat(ws[i], rowH, d.fit(c, ws[i]-1), "1", 0, align, false, 0, "")
		}
		d.Ln(rowH)
	}
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// groupTables draws two tables of groups: counts, then times.
func (d *pdfDoc) groupTables(title string, gs []Group) {
	l := d.l
	d.heading(title, 30)
	counts := []string{"c.tickets", "c.walk_in", "c.booked", "c.offline", "c.served", "c.no_shows", "c.expired", "c.cancelled"}
	head := []string{l.t("c.key"), l.t("c.name")}
	for _, k := range counts {
		head = append(head, l.t(k))
	}
	widths := []float64{12, 44, 14, 14, 14, 16, 14, 14, 14, 16}
	var rows [][]string
	for _, g := range gs {
		v := figureValues(g.Figures)
		rows = append(rows, append([]string{g.Key, l.name(g)}, v[:8]...))
	}
	d.table(head, widths, rows, nil)
	d.Ln(2)
	head = []string{l.t("c.key"), l.t("c.name")}
	for _, k := range figureColumns[8:] {
		head = append(head, l.t(k))
	}
	widths = []float64{12, 38, 11, 11, 11, 11, 11, 11, 11, 11, 12, 11, 10}
	rows = rows[:0]
	for _, g := range gs {
		v := figureValues(g.Figures)
		rows = append(rows, append([]string{g.Key, l.name(g)}, v[8:]...))
	}
	d.table(head, widths, rows, nil)
}

func (d *pdfDoc) bookingTable() {
	l, r := d.l, d.r
	d.heading(l.t("s.bookings"), 20)
	keys := []string{"c.key", "c.name", "c.capacity", "c.b_booked", "c.checked_in", "c.late", "c.b_no_show", "c.pending", "c.b_cancelled", "c.utilisation", "c.checkin_rate", "c.noshow_rate"}
	head := make([]string, len(keys))
	for i, k := range keys {
		head[i] = l.t(k)
	}
	vals := func(f BookingFigures) []string {
		return []string{itoa(f.Capacity), itoa(f.Booked), itoa(f.CheckedIn), itoa(f.Late), itoa(f.NoShows), itoa(f.Pending), itoa(f.Cancelled), percent(f.Utilisation), percent(f.CheckInRate), percent(f.NoShowRate)}
	}
	var rows [][]string
	for _, s := range r.Bookings.Services {
		rows = append(rows, append([]string{s.Service, l.name(Group{Name: s.Name, NameEn: s.NameEn})}, vals(s.BookingFigures)...))
	}
	rows = append(rows, append([]string{"", l.t("all")}, vals(r.Bookings.BookingFigures)...))
	d.table(head, []float64{10, 36, 13, 12, 12, 11, 12, 12, 11, 14, 14, 14}, rows, map[int]bool{len(rows) - 1: true})
}

func (d *pdfDoc) precheckTables() {
	l, r := d.l, d.r
	pre := r.Prechecks
	d.heading(l.t("s.prechecks"), 20)
	head := []string{l.t("c.document"), l.t("c.checked")}
	for _, s := range DocumentStatuses {
		head = append(head, l.status(s))
	}
	var rows [][]string
	for _, doc := range pre.Documents {
		row := []string{doc.Name, itoa(doc.Checked)}
		for _, s := range DocumentStatuses {
			row = append(row, itoa(doc.ByStatus[s]))
		}
		rows = append(rows, row)
	}
	if len(rows) > 0 {
		total := []string{l.t("all"), ""}
		for _, s := range DocumentStatuses {
			total = append(total, itoa(pre.ByStatus[s]))
		}
		rows = append(rows, total)
	}
	d.table(head, []float64{80, 20, 20, 20, 22, 22}, rows, map[int]bool{len(rows) - 1: len(rows) > 0})
	d.Ln(2)
	rows = nil
	for _, p := range pre.Procedures {
		rows = append(rows, []string{p.Procedure, itoa(p.Done), itoa(p.OK)})
	}
	if len(rows) > 0 {
		rows = append(rows, []string{l.t("all"), itoa(pre.Done), itoa(pre.OK)})
	}
	d.table([]string{l.t("c.procedure"), l.t("c.done"), l.t("c.ok")}, []float64{80, 30, 30}, rows, map[int]bool{len(rows) - 1: len(rows) > 0})
}

func (d *pdfDoc) ratingTable() {
	l, r := d.l, d.r
	d.heading(l.t("s.ratings"), 30)
	var rows [][]string
	rt := r.Total.Ratings
	for i, n := range rt.By {
		share := 0.0
		if rt.Count > 0 {
			share = float64(n) / float64(rt.Count)
		}
		rows = append(rows, []string{itoa(i + 1), l.t(fmt.Sprintf("r.%d", i+1)), itoa(n), percent(share)})
	}
	rows = append(rows, []string{"", l.t("mean"), itoa(rt.Count), ratingMean(rt)})
	d.table([]string{l.t("c.score"), l.t("c.name"), l.t("c.count"), "%"}, []float64{15, 60, 25, 25}, rows, map[int]bool{4: true})
}
