package report

import (
	"time"

	"xephang/queue-server/queue"
)

// Period kinds.
const (
	KindDay   = "day"
	KindWeek  = "week"  // ISO week, Monday to Sunday
	KindMonth = "month" // calendar month
	KindRange = "range" // explicit from/to
)

// MaxDays bounds an explicit range: a quarter, so one request reads at
// most a quarter of history.
const MaxDays = 92

// Period is a span of local dates of a centre, both ends included.
type Period struct {
	Kind string `json:"kind"`
	From string `json:"from"` // YYYY-MM-DD, local
	To   string `json:"to"`   // YYYY-MM-DD, local, inclusive
}

// parseDate reads a YYYY-MM-DD date (as a civil date: midnight UTC).
func parseDate(field, s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != 10 || d.Year() < 2000 || d.Year() > 2999 {
		return time.Time{}, queue.Errorf(queue.EInvalid, "%s %q: use a date YYYY-MM-DD between 2000 and 2999", "%s %q: dùng ngày dạng YYYY-MM-DD trong khoảng năm 2000 đến 2999", field, s)
	}
	return d, nil
}

// PeriodOf returns the day, ISO week (Monday to Sunday) or calendar month
// that contains date.
func PeriodOf(kind, date string) (Period, error) {
	d, err := parseDate("date", date)
	if err != nil {
		return Period{}, err
	}
	var from, to time.Time
	switch kind {
	case KindDay, "":
		kind, from, to = KindDay, d, d
	case KindWeek:
		back := (int(d.Weekday()) + 6) % 7 // days since Monday
		from = d.AddDate(0, 0, -back)
		to = from.AddDate(0, 0, 6)
	case KindMonth:
		from = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		to = from.AddDate(0, 1, -1)
	default:
		return Period{}, queue.Errorf(queue.EInvalid, "period %q: use day, week or month", "kỳ báo cáo %q: dùng day (ngày), week (tuần) hoặc month (tháng)", kind)
	}
	return Period{Kind: kind, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}, nil
}

// Between returns the explicit period from … to (inclusive), at most
// MaxDays long.
func Between(from, to string) (Period, error) {
	f, err := parseDate("from", from)
	if err != nil {
		return Period{}, err
	}
	t, err := parseDate("to", to)
	if err != nil {
		return Period{}, err
	}
	if t.Before(f) {
		return Period{}, queue.Errorf(queue.EInvalid, "from %s is after to %s", "ngày bắt đầu %s sau ngày kết thúc %s", from, to)
	}
	if n := int(t.Sub(f)/(24*time.Hour)) + 1; n > MaxDays {
		return Period{}, queue.Errorf(queue.EInvalid, "a report covers at most %d days (asked for %d)", "báo cáo chỉ gồm tối đa %d ngày (yêu cầu %d ngày)", MaxDays, n)
	}
	return Period{Kind: KindRange, From: from, To: to}, nil
}

// Days lists the local dates of the period in order.
func (p Period) Days() []string {
	f, err1 := time.Parse(time.DateOnly, p.From)
	t, err2 := time.Parse(time.DateOnly, p.To)
	if err1 != nil || err2 != nil {
		return nil
	}
	var out []string
	for d := f; !d.After(t) && len(out) < 400; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// Contains reports whether the local date day is inside the period.
func (p Period) Contains(day string) bool { return day >= p.From && day <= p.To }
