package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

func testCentre(tz string) queue.Centre {
	c := queue.Centre{
		ID: "phuong-ba-dinh", Name: "Trung tâm Phục vụ hành chính công phường Ba Đình", Timezone: tz,
		Breaks: []queue.Break{{Start: "11:30", End: "13:30"}},
		Services: []queue.Service{
			{Code: "A", Name: "Hộ tịch", NameEn: "Civil status", Minutes: 10, Bookable: true, SlotMinutes: 15, SlotCapacity: 2},
			{Code: "B", Name: "Đất đai", NameEn: "Land", Minutes: 20},
		},
		Counters: []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A"}}, {Number: 2, Name: "Quầy 2", Services: []string{"A", "B"}}},
	}
	for wd := 1; wd <= 5; wd++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: wd, Open: "07:30", Close: "17:00"})
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

// at is a local time of the centre: at(loc, "2026-11-24 08:00").
func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02 15:04", s, loc)
	}
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

// tk builds a ticket; calls are first call, last call, finish ("" for none).
func tk(loc *time.Location, id, svc, status, issued, first, last, finished string) queue.Ticket {
	t := queue.Ticket{ID: id, Service: svc, Status: status, Source: queue.SourceKiosk, Priority: queue.PriorityNormal}
	t.IssuedAt = at(loc, issued)
	t.OrderAt = t.IssuedAt
	t.Day = t.IssuedAt.Format(time.DateOnly)
	if first != "" {
		t.FirstCalledAt = ptr(at(loc, first))
	}
	if last != "" {
		t.CalledAt = ptr(at(loc, last))
	}
	if finished != "" {
		t.FinishedAt = ptr(at(loc, finished))
	}
	return t
}

const (
	precheckOK      = `{"procedure":"khai-sinh","ok":true,"documents":[{"name":"Tờ khai đăng ký khai sinh","status":"present","pages":[1]},{"name":"Giấy chứng sinh","status":"present","pages":[2]}],"fields":{}}`
	precheckMissing = `{"procedure":"khai-sinh","ok":false,"documents":[{"name":"Tờ khai đăng ký khai sinh","status":"present"},{"name":"Giấy chứng sinh","status":"missing","reasons":["không thấy"]}]}`
)

// dayHistory is a hand-built Tuesday 24/11/2026 in Hanoi time, with a
// ticket of the next day at 00:01 that must not count.
func dayHistory() Input {
	c := testCentre("Asia/Ho_Chi_Minh")
	loc := c.Location()
	t1 := tk(loc, "t1", "A", queue.StatusDone, "2026-11-24 08:00", "2026-11-24 08:10", "2026-11-24 08:10", "2026-11-24 08:20")
	t1.Counter, t1.ServedBy, t1.Rating, t1.Precheck = 1, "lan", 4, []byte(precheckOK)
	t2 := tk(loc, "t2", "A", queue.StatusDone, "2026-11-24 08:05", "2026-11-24 08:25", "2026-11-24 08:26", "2026-11-24 08:36")
	t2.Counter, t2.ServedBy, t2.Rating, t2.Precheck = 1, "lan", 3, []byte(precheckMissing)
	t3 := tk(loc, "t3", "A", queue.StatusDone, "2026-11-24 08:50", "2026-11-24 09:02", "2026-11-24 09:02", "2026-11-24 09:07")
	t3.Counter, t3.ServedBy, t3.Source, t3.Booking = 2, "minh", queue.SourceBooking, "B1"
	t3.SlotStart, t3.OrderAt = ptr(at(loc, "2026-11-24 09:00")), at(loc, "2026-11-24 09:00")
	t4 := tk(loc, "t4", "B", queue.StatusNoShow, "2026-11-24 09:00", "2026-11-24 09:40", "2026-11-24 09:41", "2026-11-24 09:42")
	t4.Counter, t4.ServedBy, t4.Offline, t4.Precheck = 2, "minh", true, []byte("not json")
	t5 := tk(loc, "t5", "B", queue.StatusExpired, "2026-11-24 16:59", "", "", "2026-11-25 00:00")
	t5.Source = queue.SourceStaff
	t6 := tk(loc, "t6", "A", queue.StatusExpired, "2026-11-24 23:59", "", "", "2026-11-25 00:00")
	t7 := tk(loc, "t7", "A", queue.StatusDone, "2026-11-25 00:01", "2026-11-25 00:02", "2026-11-25 00:02", "2026-11-25 00:05")
	bk := func(code, start, status string, late bool) queue.Booking {
		s := at(loc, start)
		return queue.Booking{Code: code, Service: "A", Start: s, End: s.Add(15 * time.Minute), Day: s.Format(time.DateOnly), Status: status, Late: late}
	}
	return Input{
		Centre:  c,
		Period:  Period{Kind: KindDay, From: "2026-11-24", To: "2026-11-24"},
		Tickets: []queue.Ticket{t1, t2, t3, t4, t5, t6, t7},
		Bookings: []queue.Booking{
			bk("B1", "2026-11-24 09:00", queue.BookingCheckedIn, false),
			bk("B2", "2026-11-24 10:00", queue.BookingNoShow, false),
			bk("B3", "2026-11-24 10:15", queue.BookingCancelled, false),
			bk("B4", "2026-11-24 14:00", queue.BookingCheckedIn, true),
			bk("B5", "2026-11-25 08:00", queue.BookingActive, false),
		},
		Staff:       map[string]string{"lan": "Nguyễn Thị Lan"},
		GeneratedAt: at(loc, "2026-11-25 07:00"),
	}
}

func TestComputeDay(t *testing.T) {
	r := Compute(dayHistory())
	wantTotal := Figures{
		Tickets: 6, WalkIn: 5, Booked: 1, Offline: 1, Served: 3, NoShows: 1, Expired: 2, Cancellations: 1,
		Wait:         Stats{Count: 4, Mean: 1080, Median: 900, P90: 2040, Max: 2400},
		ServiceTime:  Stats{Count: 3, Mean: 500, Median: 600, P90: 600, Max: 600},
		WithinTarget: 2, WithinTargetShare: 0.6667,
		Ratings: Ratings{Count: 2, By: [4]int{0, 0, 1, 1}, Mean: 3.5},
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"total", r.Total, wantTotal},
		{"target", r.TargetWaitSeconds, 900},
		{"service A", r.Services[0], Group{Key: "A", Name: "Hộ tịch", NameEn: "Civil status", Figures: Figures{
			Tickets: 4, WalkIn: 3, Booked: 1, Served: 3, Expired: 1, Cancellations: 1,
			Wait:         Stats{Count: 3, Mean: 640, Median: 600, P90: 1080, Max: 1200},
			ServiceTime:  Stats{Count: 3, Mean: 500, Median: 600, P90: 600, Max: 600},
			WithinTarget: 2, WithinTargetShare: 0.6667,
			Ratings: Ratings{Count: 2, By: [4]int{0, 0, 1, 1}, Mean: 3.5},
		}}},
		{"service B", r.Services[1], Group{Key: "B", Name: "Đất đai", NameEn: "Land", Figures: Figures{
			Tickets: 2, WalkIn: 2, Offline: 1, NoShows: 1, Expired: 1,
			Wait: Stats{Count: 1, Mean: 2400, Median: 2400, P90: 2400, Max: 2400},
		}}},
		{"counters", []string{r.Counters[0].Key, r.Counters[0].Name, r.Counters[1].Key}, []string{"1", "Quầy 1", "2"}},
		{"counter tickets", []int{r.Counters[0].Tickets, r.Counters[0].Served, r.Counters[1].Tickets, r.Counters[1].NoShows}, []int{2, 2, 2, 1}},
		{"staff", []string{r.Staff[0].Key, r.Staff[0].Name, r.Staff[1].Key, r.Staff[1].Name}, []string{"lan", "Nguyễn Thị Lan", "minh", "minh"}},
		{"staff waits", []float64{r.Staff[0].Wait.Mean, r.Staff[1].Wait.Max, r.Staff[1].ServiceTime.Mean}, []float64{900, 2400, 300}},
		{"days", len(r.Days), 1},
		{"day figures", r.Days[0].Figures, wantTotal},
		{"arrivals tue", r.Arrivals.Counts[2][8:10], []int{3, 1}},
		{"arrivals late", []int{r.Arrivals.Counts[2][16], r.Arrivals.Counts[2][23], r.Arrivals.Counts[3][0]}, []int{1, 1, 0}},
		{"arrivals max/days", []int{r.Arrivals.Max, r.Arrivals.Days[2], r.Arrivals.Days[3]}, []int{3, 1, 0}},
		{"wait bins", binCounts(r.WaitBins), []int{1, 0, 1, 0, 1, 1, 0, 0, 0, 0}},
		{"bookings", r.Bookings.BookingFigures, BookingFigures{
			Capacity: 60, Booked: 3, CheckedIn: 2, Late: 1, NoShows: 1, Cancelled: 1,
			Utilisation: 0.05, CheckInRate: 0.6667, NoShowRate: 0.3333,
		}},
		{"booking services", len(r.Bookings.Services), 1},
		{"prechecks", []int{r.Prechecks.Done, r.Prechecks.OK, r.Prechecks.Invalid, r.Prechecks.ByStatus["present"], r.Prechecks.ByStatus["missing"]}, []int{3, 1, 1, 3, 1}},
		{"precheck documents", r.Prechecks.Documents, []DocumentCount{
			{Name: "Giấy chứng sinh", Checked: 2, ByStatus: map[string]int{"present": 1, "missing": 1}},
			{Name: "Tờ khai đăng ký khai sinh", Checked: 2, ByStatus: map[string]int{"present": 2}},
		}},
		{"procedures", r.Prechecks.Procedures, []ProcedureCount{{Procedure: "khai-sinh", Done: 2, OK: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", tc.got, tc.want)
			}
		})
	}
}

func binCounts(bs []Bin) []int {
	out := make([]int, len(bs))
	for i, b := range bs {
		out[i] = b.Count
	}
	return out
}

func TestComputeTargetWait(t *testing.T) {
	tests := []struct {
		target time.Duration
		within int
		share  float64
	}{
		{0, 2, 0.6667},                // default 15 min
		{10 * time.Minute, 2, 0.6667}, // 600 s counts: at most the target
		{5 * time.Minute, 1, 0.3333},  //
		{30 * time.Minute, 3, 1},      //
		{-time.Minute, 2, 0.6667},     // nonsense: the default
		{time.Minute + 59*time.Second, 0, 0},
	}
	for _, tc := range tests {
		in := dayHistory()
		in.TargetWait = tc.target
		r := Compute(in)
		if r.Total.WithinTarget != tc.within || r.Total.WithinTargetShare != tc.share {
			t.Errorf("target %v: within %d share %v, want %d %v", tc.target, r.Total.WithinTarget, r.Total.WithinTargetShare, tc.within, tc.share)
		}
	}
}

func TestComputeEmpty(t *testing.T) {
	c := testCentre("Asia/Ho_Chi_Minh")
	p, _ := PeriodOf(KindWeek, "2026-11-24")
	r := Compute(Input{Centre: c, Period: p})
	if r.Total != (Figures{}) || len(r.Days) != 7 || len(r.Services) != 2 || len(r.Counters) != 2 || len(r.Staff) != 0 {
		t.Fatalf("empty report: %+v", r)
	}
	// Five weekdays of 30 slots of 2 places.
	if r.Bookings.Capacity != 300 {
		t.Errorf("capacity %d, want 300", r.Bookings.Capacity)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"services":[`, `"staff":[]`, `"wait_distribution":[`, `"by_score":[0,0,0,0]`, `"documents":[]`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
}

// A centre in a DST zone: the week of the autumn change in Berlin (25/10/2026,
// 03:00 CEST → 02:00 CET). A wait across the change is its real duration;
// hours and days follow the local clock.
func TestComputeDST(t *testing.T) {
	c := testCentre("Europe/Berlin")
	loc := c.Location()
	p, err := PeriodOf(KindWeek, "2026-10-25")
	if err != nil {
		t.Fatal(err)
	}
	if p.From != "2026-10-19" || p.To != "2026-10-25" {
		t.Fatalf("week %+v", p)
	}
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST
	called := first.Add(time.Hour)                          // 02:30 CET
	a := queue.Ticket{ID: "a", Service: "A", Status: queue.StatusDone, Day: "2026-10-25", IssuedAt: first, FirstCalledAt: &called, CalledAt: &called, FinishedAt: ptr(called.Add(5 * time.Minute))}
	b := tk(loc, "b", "A", queue.StatusExpired, "2026-10-25 23:59", "", "", "")
	cc := tk(loc, "c", "A", queue.StatusExpired, "2026-10-26 00:01", "", "", "")
	d := tk(loc, "d", "B", queue.StatusExpired, "2026-10-19 00:01", "", "", "")
	r := Compute(Input{Centre: c, Period: p, Tickets: []queue.Ticket{a, b, cc, d}})
	if r.Total.Tickets != 3 {
		t.Errorf("tickets %d, want 3 (00:01 on Monday 26 is next week)", r.Total.Tickets)
	}
	if r.Total.Wait.Max != 3600 {
		t.Errorf("wait %v, want 3600 s across the clock change", r.Total.Wait.Max)
	}
	if got := []int{r.Arrivals.Counts[0][2], r.Arrivals.Counts[0][23], r.Arrivals.Counts[1][0]}; !reflect.DeepEqual(got, []int{1, 1, 1}) {
		t.Errorf("arrivals Sun 02h, Sun 23h, Mon 00h = %v, want [1 1 1]", got)
	}
	if r.Days[0].Key != "2026-10-19" || r.Days[0].Tickets != 1 || r.Days[6].Key != "2026-10-25" || r.Days[6].Tickets != 2 {
		t.Errorf("days %+v … %+v", r.Days[0], r.Days[6])
	}
}

// Slots on the day clocks go forward: a start that does not exist is not a place.
func TestSlotsSpringForward(t *testing.T) {
	c := testCentre("America/New_York")
	c.Hours = append(c.Hours, queue.Hours{Weekday: 0, Open: "01:00", Close: "04:00"}) // a night service, Sunday
	c.Breaks = nil
	// 8 March 2026: 02:00 → 03:00. 01:00–04:00 has 12 quarter hours, four of them (02:00–02:45) do not exist.
	if got := slotCapacities(c, []string{"2026-03-08"})["A"]; got != 8*2 {
		t.Errorf("capacity %d, want 16", got)
	}
	if got := slotCapacities(c, []string{"2026-03-15"})["A"]; got != 12*2 {
		t.Errorf("capacity %d, want 24", got)
	}
	c.ClosedDates = []string{"2026-03-15"}
	if got := slotCapacities(c, []string{"2026-03-15"})["A"]; got != 0 {
		t.Errorf("closed day capacity %d", got)
	}
}

func TestSlotCapacityWalkInShare(t *testing.T) {
	c := testCentre("Asia/Ho_Chi_Minh")
	c.Services[0].WalkInShare = 50 // two counters, 15/10 each: 3 per slot, half kept: 1
	if got := slotCapacity(c, c.Services[0]); got != 1 {
		t.Errorf("capacity %d, want 1", got)
	}
}

func TestCSV(t *testing.T) {
	r := Compute(dayHistory())
	for _, lang := range []string{"vi", "en"} {
		var buf bytes.Buffer
		if err := r.WriteCSVLang(&buf, lang); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
			t.Fatalf("%s: no BOM", lang)
		}
		rd := csv.NewReader(bytes.NewReader(buf.Bytes()[3:]))
		rd.FieldsPerRecord = -1
		rows, err := rd.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		l := labelsFor(lang)
		find := func(section, key string) []string {
			for _, row := range rows {
				if row[0] == l.t(section) && len(row) > 1 && row[1] == key {
					return row
				}
			}
			t.Fatalf("%s: no row %s/%s", lang, section, key)
			return nil
		}
		if h := rows[0]; h[0] != l.t("section") {
			t.Errorf("%s: first header %q", lang, h)
		}
		a := find("s.services", "A")
		if a[3] != "4" || a[7] != "3" || a[11] != "10.7" || a[19] != "66.7" {
			t.Errorf("%s: service A row %q", lang, a)
		}
		if lang == "vi" && a[2] != "Hộ tịch" || lang == "en" && a[2] != "Civil status" {
			t.Errorf("%s: service name %q", lang, a[2])
		}
		if row := find("s.summary", l.t("c.tickets")); row[2] != "6" {
			t.Errorf("%s: summary %q", lang, row)
		}
		if row := find("s.arrivals", weekdays[lang][2]); row[2+8] != "3" || len(row) != 26 {
			t.Errorf("%s: arrivals %q", lang, row)
		}
		if row := find("s.prechecks", "Giấy chứng sinh"); strings.Join(row[2:], ",") != "2,1,1,0,0" {
			t.Errorf("%s: prechecks %q", lang, row)
		}
		if row := find("s.staff", "lan"); row[2] != "Nguyễn Thị Lan" {
			t.Errorf("%s: staff %q", lang, row)
		}
		if row := find("s.days", "2026-11-24"); row[3] != "6" {
			t.Errorf("%s: day %q", lang, row)
		}
	}
	var def bytes.Buffer
	r.WriteCSV(&def)
	if !strings.Contains(def.String(), "Theo lĩnh vực") {
		t.Error("WriteCSV is not Vietnamese by default")
	}
}

func pdfText(t *testing.T, r *Report, lang string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WritePDF(&buf, lang); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	file := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (install poppler-utils via provisioning/dev-deps.sh): %v", err)
	}
	return string(out)
}

func TestPDF(t *testing.T) {
	r := Compute(dayHistory())
	text := pdfText(t, r, "vi")
	for _, s := range []string{
		"BÁO CÁO THỐNG KÊ", "Trung tâm Phục vụ hành chính công phường Ba Đình", "Ngày 24/11/2026",
		"Số phiếu theo lĩnh vực", "Hộ tịch", "Đất đai", "Lượt đến theo thứ và giờ", "Thứ Ba",
		"Phân bố thời gian chờ", "Theo quầy", "Theo cán bộ", "Nguyễn Thị Lan", "Sử dụng lịch hẹn",
		"Giấy chứng sinh", "Tờ khai đăng ký khai sinh", "Rất hài lòng", "Không hài lòng", "Trang 1/", "≤ 15 phút",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("Vietnamese PDF lacks %q", s)
		}
	}
	en := pdfText(t, r, "en")
	for _, s := range []string{"STATISTICS REPORT", "Civil status", "Arrivals by weekday and hour", "Tuesday", "Very satisfied", "Giấy chứng sinh"} {
		if !strings.Contains(en, s) {
			t.Errorf("English PDF lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("text:\n%s", text)
	}
}

// A month of many services and staff spans pages; tables keep their
// headers and nothing panics with empty sections.
func TestPDFEmptyAndLong(t *testing.T) {
	c := testCentre("Asia/Ho_Chi_Minh")
	p, _ := Between("2026-09-01", "2026-11-30")
	text := pdfText(t, Compute(Input{Centre: c, Period: p}), "vi")
	if !strings.Contains(text, "Không có dữ liệu") || !strings.Contains(text, "30/11/2026") {
		t.Errorf("empty quarter: %s", text)
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"Hộ tịch":            "Hộ tịch",
		"=1+1":               "'=1+1",
		"+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
		"-2+3":               "'-2+3",
		"@SUM(A1)":           "'@SUM(A1)",
		"\t=1":               "'\t=1",
		"\r=1":               "'\r=1",
		"\n=1":               "'\n=1",
		"-12":                "-12", // a negative figure stays a number
		"-0.5":               "-0.5",
		"12.5":               "12.5",
		"-":                  "'-",
		"-1e3":               "'-1e3",
		"a=1":                "a=1",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
