package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/queue"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var hcm, _ = time.LoadLocation("Asia/Ho_Chi_Minh")

// bookingEnv runs with the process in UTC's view (all times given in UTC)
// and the centre in Asia/Ho_Chi_Minh, open Monday–Friday 07:30–17:00 with
// lunch, service A bookable in 30-minute slots of capacity 3.
func bookingEnv(t *testing.T, at time.Time) (*env, *clock) {
	t.Helper()
	ck := &clock{t: at.UTC()}
	e := newEnvAt(t, ck.Now)
	bookable(t, e)
	return e, ck
}

// bookable makes e's centre what bookingEnv describes.
func bookable(t testing.TB, e *env) {
	t.Helper()
	c, err := e.admin.Centre(context.Background(), centreID)
	must(t, err)
	c.Address = "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội"
	c.Hours = nil
	for d := 1; d <= 5; d++ {
		c.Hours = append(c.Hours, queue.Hours{Weekday: d, Open: "07:30", Close: "17:00"})
	}
	c.Breaks = []queue.Break{{Start: "11:30", End: "13:00"}}
	c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 30, 3
	c.Services[0].Papers = []string{"Tờ khai đăng ký khai sinh", "Giấy chứng sinh"}
	_, err = e.admin.PutCentre(context.Background(), c)
	must(t, err)
}

// cccd returns a valid personal number: Hà Nội (001), born 1990s male.
func cccd(i int) string { return fmt.Sprintf("001090%06d", i) }

func bookAs(c *apiv1.Client, start string, i int, header http.Header) (apiv1.BookingView, error) {
	var out apiv1.BookingView
	body := apiv1.BookRequest{Service: "A", Start: start, Citizen: apiv1.CitizenRequest{IDNumber: cccd(i), Name: "Nguyễn Văn Thành", Phone: "0912345678"}}
	if header != nil {
		body.Altcha = header.Get("X-Altcha")
	}
	_, err := c.Do(context.Background(), "POST", "/api/v1/centres/"+centreID+"/bookings", body, &out)
	return out, err
}

func slotsOf(t *testing.T, c *apiv1.Client, date string) []apiv1.SlotView {
	t.Helper()
	var out []apiv1.SlotView
	_, err := c.Do(context.Background(), "GET", "/api/v1/centres/"+centreID+"/slots?service=A&date="+date, nil, &out)
	must(t, err)
	return out
}

func TestSlotsInCentreTime(t *testing.T) {
	// 08:00 local on Monday 23 Nov 2026 is 01:00 UTC.
	e, _ := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	slots := slotsOf(t, apiv1.NewClient(e.srv.URL), "2026-11-24")
	if len(slots) != 16 || slots[0].Start != "2026-11-24T07:30:00+07:00" || slots[0].End != "2026-11-24T08:00:00+07:00" || slots[8].Start != "2026-11-24T13:00:00+07:00" || slots[0].Capacity != 3 || slots[0].Available != 3 {
		t.Fatalf("slots %+v", slots[:2])
	}
}

func TestSlotWindowFollowsLocalDate(t *testing.T) {
	e, ck := bookingEnv(t, time.Date(2026, 11, 23, 16, 50, 0, 0, time.UTC)) // 23:50 Monday local
	pub := apiv1.NewClient(e.srv.URL)
	var out []apiv1.SlotView
	_, err := pub.Do(context.Background(), "GET", "/api/v1/centres/"+centreID+"/slots?service=A&date=2026-11-30", nil, &out)
	if apiCode(err) != "422 invalid" {
		t.Fatalf("Monday 30 Nov from Monday 23 (8th day): %v", err)
	}
	ck.Set(time.Date(2026, 11, 23, 17, 10, 0, 0, time.UTC)) // 00:10 Tuesday local, still Monday in UTC
	if s := slotsOf(t, pub, "2026-11-30"); len(s) != 16 {
		t.Fatalf("after local midnight the window moved: %d slots on 30 Nov", len(s))
	}
	if _, err := pub.Do(context.Background(), "GET", "/api/v1/centres/"+centreID+"/slots?service=A&date=2026-11-23", nil, &out); apiCode(err) != "422 invalid" {
		t.Fatalf("yesterday (local) still bookable: %v", err)
	}
}

func TestParallelBookingsOneSlot(t *testing.T) {
	e, _ := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	start := "2026-11-24T09:00:00+07:00"
	const n = 200
	var wg sync.WaitGroup
	results := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := bookAs(e.clerk, start, i, nil) // staff: no challenge, no address limit
			results <- apiCode(err)
		}(i)
	}
	wg.Wait()
	close(results)
	count := map[string]int{}
	for r := range results {
		count[r]++
	}
	if count["<nil>"] != 3 || count["409 slot_full"] != n-3 {
		t.Fatalf("200 parallel bookings on a slot of 3: %v", count)
	}
	s := slotsOf(t, e.clerk, "2026-11-24")
	if s[3].Start != start || s[3].Available != 0 {
		t.Fatalf("slot after the rush: %+v", s[3])
	}
}

func TestAnonymousBookingNeedsProofOfWork(t *testing.T) {
	e, _ := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	pub := apiv1.NewClient(e.srv.URL)
	start := "2026-11-24T09:00:00+07:00"
	if _, err := bookAs(pub, start, 1, nil); apiCode(err) != "403 challenge_failed" {
		t.Fatalf("without proof of work: %v", err)
	}
	var ch httpapi.Challenge
	_, err := pub.Do(context.Background(), "GET", "/api/v1/challenge", nil, &ch)
	must(t, err)
	sol, ok := httpapi.SolveChallenge(ch)
	if !ok {
		t.Fatal("challenge has no solution")
	}
	h := http.Header{"X-Altcha": {sol}}
	b, err := bookAs(pub, start, 1, h)
	if err != nil || len(b.Code) != 8 || strings.ContainsAny(b.Code, "01OI") || b.Status != "booked" || b.Start != start || b.Citizen == nil || b.Citizen.IDMasked != "••••••••••01" {
		t.Fatalf("booking %+v %v", b, err)
	}
	if _, err := bookAs(pub, start, 2, h); apiCode(err) != "403 challenge_failed" {
		t.Fatalf("a spent solution accepted again: %v", err)
	}
	// A tampered solution fails.
	bad := strings.Replace(sol, sol[len(sol)-6:len(sol)-2], "AAAA", 1)
	if _, err := bookAs(pub, start, 3, http.Header{"X-Altcha": {bad}}); apiCode(err) != "403 challenge_failed" {
		t.Fatalf("tampered solution: %v", err)
	}
	// The public look-up shows no personal data.
	got, err := apiv1.NewClient(e.srv.URL).Do(context.Background(), "GET", "/api/v1/bookings/"+strings.ToLower(b.Code[:4]+"-"+b.Code[4:]), nil, nil)
	if err != nil || got != 200 {
		t.Fatalf("look-up by a code typed in lower case with a dash: %d %v", got, err)
	}
	var view apiv1.BookingView
	pub.Do(context.Background(), "GET", "/api/v1/bookings/"+b.Code, nil, &view)
	if view.Citizen != nil || view.ServiceName != "Hộ tịch" {
		t.Fatalf("public view %+v", view)
	}
	// The number is stored only as a keyed hash.
	raw, _ := os.ReadFile(filepath.Join(filepath.Dir(e.store.DB().Path()), "xephang.db"))
	if bytes.Contains(raw, []byte(cccd(1))) {
		t.Fatal("the CCCD number is stored in clear")
	}
}

func TestBookingLifecycle(t *testing.T) {
	e, ck := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	start := "2026-11-24T09:00:00+07:00"
	b, err := bookAs(e.clerk, start, 7, nil)
	must(t, err)
	if _, err := bookAs(e.clerk, "2026-11-24T10:00:00+07:00", 7, nil); apiCode(err) != "429 limit_reached" {
		t.Fatalf("second booking of the service the same day: %v", err)
	}
	pub := apiv1.NewClient(e.srv.URL)
	var v apiv1.BookingView
	_, err = pub.Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/cancel", apiv1.CancelRequest{IDNumber: cccd(8)}, &v)
	if apiCode(err) != "404 not_found" {
		t.Fatalf("cancel with another CCCD number: %v", err)
	}
	_, err = pub.Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/reschedule", apiv1.RescheduleRequest{IDNumber: cccd(7), Start: "2026-11-24T09:30:00+07:00"}, &v)
	if err != nil || v.Start != "2026-11-24T09:30:00+07:00" || v.Reschedules != 1 {
		t.Fatalf("reschedule: %+v %v", v, err)
	}
	for _, bad := range []string{"12345", "999090000001", "001990000001"} { // short, unknown province, born 2090
		_, err := pub.Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/cancel", apiv1.CancelRequest{IDNumber: bad}, nil)
		if apiCode(err) != "422 invalid" {
			t.Errorf("CCCD %s: %v", bad, err)
		}
	}
	// Check-in at the counter (staff) on the day, 20 minutes early.
	ck.Set(time.Date(2026, 11, 24, 2, 10, 0, 0, time.UTC)) // 09:10 local
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret"))  // yesterday's token has expired
	var tk apiv1.CheckInResponse
	_, err = e.clerk.Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/check-in", nil, &tk)
	if err != nil || tk.Booking != b.Code || tk.Number != "A001" || tk.BookingStatus != "checked_in" || tk.Source != "booking" {
		t.Fatalf("check-in: %+v %v", tk, err)
	}
	if _, err := pub.Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/check-in", nil, nil); apiCode(err) != "401 unauthorized" {
		t.Fatalf("anonymous check-in: %v", err)
	}
	// Check-in by card for another citizen.
	b2, err := bookAs(e.clerk, "2026-11-24T10:00:00+07:00", 9, nil)
	must(t, err)
	_, err = e.clerk.Do(ctx, "POST", "/api/v1/centres/"+centreID+"/check-in", apiv1.CheckInCardRequest{IDNumber: cccd(9)}, &tk)
	if err != nil || tk.Booking != b2.Code {
		t.Fatalf("check-in by card: %+v %v", tk, err)
	}
	var list []apiv1.BookingView
	_, err = e.clerk.Do(ctx, "GET", "/api/v1/centres/"+centreID+"/bookings?date=2026-11-24", nil, &list)
	if err != nil || len(list) != 2 || list[0].Citizen == nil || list[0].Citizen.Name != "Nguyễn Văn Thành" {
		t.Fatalf("staff list %+v %v", list, err)
	}
}

func TestAnonymousAddressLimit(t *testing.T) {
	e, _ := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	pub := apiv1.NewClient(e.srv.URL)
	var last error
	for i := 0; i < 11; i++ {
		_, last = bookAs(pub, "2026-11-24T09:00:00+07:00", 100+i, nil) // no solution: refused, but counted
	}
	if apiCode(last) != "429 rate_limited" {
		t.Fatalf("11th anonymous attempt in an hour from one address: %v", last)
	}
}

func TestBookingPDFAndICS(t *testing.T) {
	e, _ := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	b, err := bookAs(e.clerk, "2026-11-24T09:00:00+07:00", 5, nil)
	must(t, err)
	get := func(path string) []byte {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp.StatusCode, err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return buf.Bytes()
	}
	pdf := get(b.PDFURL) // the signed link of the 201
	file := filepath.Join(t.TempDir(), "b.pdf")
	os.WriteFile(file, pdf, 0o644)
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (install poppler-utils via provisioning/dev-deps.sh): %v", err)
	}
	text := string(out)
	for _, want := range []string{
		"TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG THỬ", "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội", "XÁC NHẬN LỊCH HẸN",
		b.Code[:4] + "-" + b.Code[4:], "Hộ tịch", "09:00–09:30, Thứ Ba 24/11/2026", "Nguyễn Văn Thành", "Tờ khai đăng ký khai sinh", "Giấy chứng sinh",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	raw := get(b.ICSURL)
	cal, err := ical.NewDecoder(bytes.NewReader(raw)).Decode()
	if err != nil {
		t.Fatalf("ICS does not parse: %v\n%s", err, raw)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	startAt, err := evs[0].DateTimeStart(hcm)
	if err != nil || !startAt.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)) {
		t.Fatalf("DTSTART %v %v, want 09:00 in Hồ Chí Minh City", startAt, err)
	}
	endAt, _ := evs[0].DateTimeEnd(hcm)
	if endAt.Sub(startAt) != 30*time.Minute {
		t.Fatalf("DTEND %v", endAt)
	}
	summary, _ := evs[0].Props.Text(ical.PropSummary)
	if !strings.Contains(summary, "Hộ tịch") {
		t.Fatalf("summary %q", summary)
	}
	alarms := 0
	for _, c := range evs[0].Children {
		if c.Name == ical.CompAlarm {
			alarms++
			if tr := c.Props.Get(ical.PropTrigger); tr == nil || tr.Value != "-PT1H" {
				t.Fatalf("alarm trigger %+v", tr)
			}
		}
	}
	if alarms != 1 {
		t.Fatalf("%d alarms", alarms)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 75 {
			t.Fatalf("ICS line longer than 75 octets: %q", line)
		}
	}
}
