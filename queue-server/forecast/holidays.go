package forecast

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

//go:embed holidays/vn.json
var vnJSON []byte

// Calendar is a country's public holidays as data: the days off (legal
// holidays, the weekend days inside the Tết break, compensatory and swapped
// days off), the Saturdays worked in exchange, and the Tết breaks.
type Calendar struct {
	days     map[string]CalendarDay // date → day off
	workdays map[string]CalendarDay // date → Saturday worked in exchange
	tet      []TetBreak
	first    string // first and last dates the data cover (YYYY-MM-DD)
	last     string
}

// CalendarDay is one entry of the holiday data.
type CalendarDay struct {
	Date   string `json:"date"` // YYYY-MM-DD
	Name   string `json:"name"`
	Kind   string `json:"kind"`             // holiday, weekend, compensatory, swap, workday
	Verify bool   `json:"verify,omitempty"` // derived by rule, not yet checked against a published schedule
	Note   string `json:"note,omitempty"`
}

// TetBreak is one year's Tết Nguyên đán: the lunar New Year's day (solar)
// and the whole break, weekends included.
type TetBreak struct {
	Year    int    `json:"year"`
	NewYear string `json:"new_year"`
	First   string `json:"first"`
	Last    string `json:"last"`
	Verify  bool   `json:"verify,omitempty"`
}

type calendarFile struct {
	Tet  []TetBreak    `json:"tet"`
	Days []CalendarDay `json:"days"`
}

var vietnam = func() *Calendar {
	c, err := parseCalendar(vnJSON)
	if err != nil {
		panic("forecast: holidays/vn.json: " + err.Error())
	}
	return c
}()

// VietnamCalendar returns Vietnam's public holidays 2024–2030 (holidays/vn.json).
func VietnamCalendar() *Calendar { return vietnam }

var kinds = map[string]bool{"holiday": true, "weekend": true, "compensatory": true, "swap": true, "workday": true}

// parseCalendar reads and checks holiday data: valid dates in order, known
// kinds, names, Tết breaks around their New Year's day and made of days off.
func parseCalendar(data []byte) (*Calendar, error) {
	var f calendarFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	c := &Calendar{days: map[string]CalendarDay{}, workdays: map[string]CalendarDay{}}
	prev := ""
	for i, d := range f.Days {
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
			return nil, fmt.Errorf("days[%d]: date %q", i, d.Date)
		}
		if d.Date < prev {
			return nil, fmt.Errorf("days[%d]: %s after %s", i, d.Date, prev)
		}
		prev = d.Date
		if !kinds[d.Kind] || d.Name == "" {
			return nil, fmt.Errorf("days[%d] %s: kind %q, name %q", i, d.Date, d.Kind, d.Name)
		}
		_, off := c.days[d.Date]
		_, work := c.workdays[d.Date]
		if off || work {
			return nil, fmt.Errorf("days[%d]: %s twice", i, d.Date)
		}
		if d.Kind == "workday" {
			c.workdays[d.Date] = d
		} else {
			c.days[d.Date] = d
		}
		if c.first == "" {
			c.first = d.Date
		}
		c.last = d.Date
	}
	for i, t := range f.Tet {
		ny, err1 := time.Parse(time.DateOnly, t.NewYear)
		a, err2 := time.Parse(time.DateOnly, t.First)
		b, err3 := time.Parse(time.DateOnly, t.Last)
		if err1 != nil || err2 != nil || err3 != nil || ny.Year() != t.Year || ny.Before(a) || ny.After(b) || b.Sub(a) > 10*24*time.Hour {
			return nil, fmt.Errorf("tet[%d]: %+v", i, t)
		}
		if i > 0 && t.First <= f.Tet[i-1].Last {
			return nil, fmt.Errorf("tet[%d]: out of order", i)
		}
		for d := a; !d.After(b); d = d.AddDate(0, 0, 1) {
			if _, ok := c.days[d.Format(time.DateOnly)]; !ok {
				return nil, fmt.Errorf("tet[%d]: %s is not a day off", i, d.Format(time.DateOnly))
			}
		}
		c.tet = append(c.tet, t)
	}
	return c, nil
}

// date is the calendar date of t in its own location.
func date(t time.Time) string { return t.Format(time.DateOnly) }

// Holiday reports whether the day (its date in its own location) is a day
// off of the calendar, and its name.
func (c *Calendar) Holiday(day time.Time) (name string, ok bool) {
	if c == nil {
		return "", false
	}
	d, ok := c.days[date(day)]
	return d.Name, ok
}

// Workday reports whether the day is a Saturday worked in exchange for a
// swapped day off.
func (c *Calendar) Workday(day time.Time) bool {
	if c == nil {
		return false
	}
	_, ok := c.workdays[date(day)]
	return ok
}

// Days returns the calendar's days off and swapped workdays, in date order.
func (c *Calendar) Days() []CalendarDay {
	var out []CalendarDay
	for _, d := range c.days {
		out = append(out, d)
	}
	for _, d := range c.workdays {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b CalendarDay) int { return strings.Compare(a.Date, b.Date) })
	return out
}

// Tet returns the Tết breaks, in order.
func (c *Calendar) Tet() []TetBreak { return append([]TetBreak(nil), c.tet...) }

// Covers reports whether the calendar has data for the day's year.
func (c *Calendar) Covers(day time.Time) bool {
	if c == nil || c.first == "" {
		return false
	}
	y := day.Format("2006")
	return y >= c.first[:4] && y <= c.last[:4]
}

// tetDistance tells where a day stands to the nearest Tết break: before
// (days until its first day, ≥ 1), inside, or after (days since its last
// day, ≥ 1); 0, 0 when no break is within 60 days.
func (c *Calendar) tetDistance(day time.Time) (before, after int) {
	if c == nil {
		return 0, 0
	}
	d := civil(day)
	for _, t := range c.tet {
		a, _ := time.Parse(time.DateOnly, t.First)
		b, _ := time.Parse(time.DateOnly, t.Last)
		if n := int(a.Sub(d).Hours() / 24); n >= 1 && n <= 60 {
			return n, 0
		}
		if n := int(d.Sub(b).Hours() / 24); n >= 1 && n <= 60 {
			return 0, n
		}
	}
	return 0, 0
}

// civil is the day's date at midnight UTC: calendar arithmetic free of zones.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
