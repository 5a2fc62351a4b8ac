package forecast

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestVietnamCalendarData checks every entry of holidays/vn.json: valid
// dates in order, known kinds, and each year's holidays of Điều 112.
func TestVietnamCalendarData(t *testing.T) {
	var f calendarFile
	if err := json.Unmarshal(vnJSON, &f); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(f.Days); i++ {
		if f.Days[i].Date <= f.Days[i-1].Date {
			t.Errorf("days out of order: %s after %s", f.Days[i].Date, f.Days[i-1].Date)
		}
	}
	c := VietnamCalendar()
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for y := 2024; y <= 2030; y++ {
		ys := func(md string) string { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") + "-" + md }
		for _, md := range []string{"01-01", "04-30", "05-01", "09-02"} {
			if _, ok := c.Holiday(day(ys(md))); !ok {
				t.Errorf("%s is not a holiday", ys(md))
			}
		}
		_, before := c.Holiday(day(ys("09-01")))
		_, after := c.Holiday(day(ys("09-03")))
		if !before && !after {
			t.Errorf("%d: no day adjacent to Quốc khánh", y)
		}
		var tet *TetBreak
		for _, b := range c.Tet() {
			if b.Year == y {
				tet = &b
			}
		}
		if tet == nil {
			t.Fatalf("%d: no Tết", y)
		}
		weekdays := 0
		for d := day(tet.First); !d.After(day(tet.Last)); d = d.AddDate(0, 0, 1) {
			if name, ok := c.Holiday(d); !ok || name != "Tết Nguyên đán" {
				t.Errorf("%s in the Tết break: %q", d.Format(time.DateOnly), name)
			}
			if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
				weekdays++
			}
		}
		if weekdays < 5 {
			t.Errorf("%d: Tết break has %d working days off, the law gives 5", y, weekdays)
		}
		gioTo := 0
		for _, d := range c.Days() {
			if strings.HasPrefix(d.Date, ys("")) && d.Name == "Giỗ Tổ Hùng Vương" {
				gioTo++
			}
			if y >= 2027 && strings.HasPrefix(d.Date, ys("")) && d.Kind != "holiday" && d.Kind != "workday" && !d.Verify {
				t.Errorf("%s (%s): not published yet, must be marked verify", d.Date, d.Name)
			}
		}
		if gioTo != 1 {
			t.Errorf("%d: %d Giỗ Tổ days", y, gioTo)
		}
	}
	for date, want := range map[string]string{
		"2026-02-17": "Tết Nguyên đán", "2026-02-14": "Tết Nguyên đán", "2026-04-27": "Giỗ Tổ Hùng Vương (nghỉ bù)",
		"2025-09-01": "Quốc khánh (ngày liền kề)", "2024-04-29": "Ngày Chiến thắng (30/4) (nghỉ hoán đổi, làm bù thứ Bảy 04/5)",
	} {
		if got, _ := c.Holiday(day(date)); got != want {
			t.Errorf("%s: %q, want %q", date, got, want)
		}
	}
	for _, date := range []string{"2026-02-23", "2025-04-26", "2026-05-04"} {
		if name, ok := c.Holiday(day(date)); ok {
			t.Errorf("%s is a working day, got %q", date, name)
		}
	}
	if !c.Workday(day("2025-04-26")) || c.Workday(day("2025-04-25")) {
		t.Error("2025-04-26 is the Saturday worked for 2 May")
	}
	if !c.Covers(day("2030-12-31")) || c.Covers(day("2031-01-01")) {
		t.Error("the data cover 2024–2030")
	}
}

func TestParseCalendarRejects(t *testing.T) {
	for name, data := range map[string]string{
		"order":    `{"days":[{"date":"2025-01-02","name":"a","kind":"holiday"},{"date":"2025-01-01","name":"b","kind":"holiday"}]}`,
		"date":     `{"days":[{"date":"2025-02-30","name":"a","kind":"holiday"}]}`,
		"kind":     `{"days":[{"date":"2025-01-01","name":"a","kind":"party"}]}`,
		"name":     `{"days":[{"date":"2025-01-01","name":"","kind":"holiday"}]}`,
		"twice":    `{"days":[{"date":"2025-01-01","name":"a","kind":"holiday"},{"date":"2025-01-01","name":"a","kind":"workday"}]}`,
		"tet open": `{"days":[{"date":"2025-01-29","name":"Tết","kind":"holiday"}],"tet":[{"year":2025,"new_year":"2025-01-29","first":"2025-01-28","last":"2025-01-29"}]}`,
		"tet year": `{"days":[{"date":"2025-01-29","name":"Tết","kind":"holiday"}],"tet":[{"year":2024,"new_year":"2025-01-29","first":"2025-01-29","last":"2025-01-29"}]}`,
		"json":     `{"days":[`,
	} {
		if _, err := parseCalendar([]byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
