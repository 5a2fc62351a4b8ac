package report

import (
	"bufio"
	"fmt"
	"io"
	"time"
)

// bom makes Excel read the file as UTF-8, so Vietnamese shows right.
const bom = "\ufeff"

// WriteCSV writes the report as CSV with Vietnamese headers.
func (r *Report) WriteCSV(w io.Writer) error { return r.WriteCSVLang(w, "vi") }

// WriteCSVLang writes the report as CSV in UTF-8 with a byte order mark,
// headers in lang ("vi" or "en"). Each section is a table whose first
// column names the section, so a spreadsheet filter separates them; a
// section's first row is its header. Times are minutes, shares percent,
// with a decimal point.
func (r *Report) WriteCSVLang(w io.Writer, lang string) error {
	l := labelsFor(lang)
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(bom); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	cw := NewSafeCSV(bw) // names typed by staff could be formulas
	write := func(section string, cells ...string) {
		cw.Write(append([]string{l.t(section)}, cells...))
	}
	header := func(section string, keys ...string) {
		row := make([]string, len(keys))
		for i, k := range keys {
			row[i] = l.t(k)
		}
		cw.Write(append([]string{l.t("section")}, row...))
	}

	header("s.summary", "metric", "value")
	write("s.summary", l.t("centre"), r.CentreName+" ("+r.Centre+")")
	write("s.summary", l.t("period"), l.period(r.Period))
	write("s.summary", l.t("timezone"), r.Timezone)
	loc, err := time.LoadLocation(r.Timezone)
	if err != nil {
		loc = time.UTC
	}
	write("s.summary", l.t("generated"), r.GeneratedAt.In(loc).Format("2006-01-02 15:04:05"))
	write("s.summary", l.t("target"), minutes(float64(r.TargetWaitSeconds)))
	for i, v := range figureValues(r.Total) {
		write("s.summary", l.t(figureColumns[i]), v)
	}

	groups := func(section, keyCol string, gs []Group) {
		header(section, append([]string{keyCol, "c.name"}, figureColumns...)...)
		for _, g := range gs {
			write(section, append([]string{g.Key, l.name(g)}, figureValues(g.Figures)...)...)
		}
	}
	groups("s.services", "c.key", r.Services)
	groups("s.counters", "c.key", r.Counters)
	groups("s.staff", "c.key", r.Staff)
	groups("s.days", "c.date", r.Days)

	hours := make([]string, 24)
	for h := range hours {
		hours[h] = fmt.Sprintf("%02d", h)
	}
	cw.Write(append([]string{l.t("section"), l.t("c.weekday")}, hours...))
	for _, wd := range mondayFirst {
		row := []string{weekdays[l.lang][wd]}
		for _, n := range r.Arrivals.Counts[wd] {
			row = append(row, itoa(n))
		}
		write("s.arrivals", row...)
	}

	header("s.waits", "c.from", "c.to", "c.count")
	for _, b := range r.WaitBins {
		to := ""
		if b.To > 0 {
			to = itoa(b.To)
		}
		write("s.waits", itoa(b.From), to, itoa(b.Count))
	}

	bcols := []string{"c.key", "c.name", "c.capacity", "c.b_booked", "c.checked_in", "c.late", "c.b_no_show", "c.pending", "c.b_cancelled", "c.utilisation", "c.checkin_rate", "c.noshow_rate"}
	header("s.bookings", bcols...)
	bvals := func(f BookingFigures) []string {
		return []string{itoa(f.Capacity), itoa(f.Booked), itoa(f.CheckedIn), itoa(f.Late), itoa(f.NoShows), itoa(f.Pending), itoa(f.Cancelled), percent(f.Utilisation), percent(f.CheckInRate), percent(f.NoShowRate)}
	}
	for _, s := range r.Bookings.Services {
		g := Group{Name: s.Name, NameEn: s.NameEn}
		write("s.bookings", append([]string{s.Service, l.name(g)}, bvals(s.BookingFigures)...)...)
	}
	write("s.bookings", append([]string{"", l.t("all")}, bvals(r.Bookings.BookingFigures)...)...)

	pcols := []string{"c.document", "c.checked"}
	for _, s := range DocumentStatuses {
		pcols = append(pcols, "st."+s)
	}
	header("s.prechecks", pcols...)
	pre := r.Prechecks
	row := []string{l.t("all"), ""}
	for _, s := range DocumentStatuses {
		row = append(row, itoa(pre.ByStatus[s]))
	}
	write("s.prechecks", row...)
	for _, d := range pre.Documents {
		row := []string{d.Name, itoa(d.Checked)}
		for _, s := range DocumentStatuses {
			row = append(row, itoa(d.ByStatus[s]))
		}
		write("s.prechecks", row...)
	}
	header("s.procedures", "c.procedure", "c.done", "c.ok")
	write("s.procedures", l.t("all"), itoa(pre.Done), itoa(pre.OK))
	for _, p := range pre.Procedures {
		write("s.procedures", p.Procedure, itoa(p.Done), itoa(p.OK))
	}

	header("s.ratings", "c.score", "c.name", "c.count")
	for i, n := range r.Total.Ratings.By {
		write("s.ratings", itoa(i+1), l.t(fmt.Sprintf("r.%d", i+1)), itoa(n))
	}
	write("s.ratings", "", l.t("mean"), ratingMean(r.Total.Ratings))

	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}
