package planpdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

func centre() queue.Centre {
	c := queue.Centre{ID: "ba-dinh", Name: "Trung tâm Phục vụ hành chính công phường Ba Đình", Timezone: "Asia/Ho_Chi_Minh"}
	for n := 1; n <= 3; n++ {
		c.Counters = append(c.Counters, queue.CounterConfig{Number: n, Name: "Quầy", Services: []string{"A"}})
	}
	return c
}

func view() apiv1.ForecastView {
	seven := 7
	return apiv1.ForecastView{
		Centre: "ba-dinh", Generated: "2026-11-23T01:30:00Z", Model: "mùa vụ thứ × giờ, xu hướng tuần, hiệu ứng ngày lễ",
		Days: []apiv1.ForecastDay{
			{Day: "2026-11-23", Mean: 80, Low: 70, High: 92, Actual: &seven},
			{Day: "2026-11-24", Mean: 95.5, Low: 81, High: 110},
			{Day: "2026-11-24", Service: "A", Mean: 95.5, Low: 81, High: 110},
			{Day: "2026-11-29", Closed: true},
			{Day: "2027-01-01", Closed: true, Holiday: "Tết Dương lịch"},
		},
		Points: []apiv1.ForecastPoint{{Service: "A", Day: "2026-11-24", Hour: 8, Mean: 20, Low: 15, High: 26, Booked: 4}},
		Plan: &apiv1.StaffingPlan{Day: "2026-11-24", TargetMinutes: 30, CounterHours: 14, AllDayCounterHours: 24, MetShare: 0.875,
			Hours: []apiv1.PlanHour{
				{Hour: 7, Counters: []int{1}, Needed: 1, Roster: 3, P90Minutes: 4.5, Met: true, Expected: 6},
				{Hour: 8, Counters: []int{1, 2, 3}, Needed: 4, Roster: 3, Short: true, P90Minutes: 41.2, Expected: 26.4},
			}},
		Accuracy: &apiv1.ForecastAccuracy{Days: 5, WAPE: 0.184},
		Notes:    []string{"Ghi chú thử"},
	}
}

func pdfText(t *testing.T, v apiv1.ForecastView, lang string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, centre(), v, lang); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "plan.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (install poppler-utils via provisioning/dev-deps.sh): %v", err)
	}
	return norm.NFC.String(string(out))
}

func TestPlanPDF(t *testing.T) {
	text := pdfText(t, view(), "vi")
	for _, s := range []string{
		"Kế hoạch bố trí quầy", "phường Ba Đình", "T3 24/11/2026", "90% người chờ không quá 30 phút",
		"Số giờ-quầy theo kế hoạch: 14", "tiết kiệm 10", "88%", "Q1", "Q3", "07–08", "08–09", "THIẾU QUẦY", "41.2",
		"Dự báo lượt khách theo ngày", "95.5", "81.0–110.0", "Tết Dương lịch", "nghỉ", "Ghi chú thử", "Trang 1/1",
		"Thiếu quầy ở 1 giờ: 08–09 (cần 4 quầy, có 3)", "lệch 18.4% so với số khách thực tế (WAPE, 5 ngày làm việc)",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("Vietnamese PDF lacks %q:\n%s", s, text)
		}
	}
	// The shortfall row carries its mark; the met row does not.
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "07–08") && strings.Contains(line, "THIẾU") {
			t.Errorf("an hour met is marked short: %q", line)
		}
	}
	en := pdfText(t, view(), "en")
	for _, s := range []string{"Staffing plan", "Tue 24 Nov 2026", "SHORT", "C2", "Counter-hours planned: 14",
		"Hours short of counters (1): 08–09 (4 counters needed, 3 available)", "off by 18.4%"} {
		if !strings.Contains(en, s) {
			t.Errorf("English PDF lacks %q", s)
		}
	}
	// A roster that meets the target says so.
	met := view()
	met.Plan.Hours = met.Plan.Hours[:1]
	if text := pdfText(t, met, "vi"); !strings.Contains(text, "Số quầy hiện có đủ") || strings.Contains(text, "Thiếu quầy") {
		t.Errorf("a plan without shortfalls:\n%s", text)
	}
	empty := pdfText(t, apiv1.ForecastView{Centre: "ba-dinh", Generated: "2026-11-23T01:30:00Z", Notes: []string{"Chưa đủ lịch sử để dự báo"}}, "vi")
	for _, s := range []string{"Chưa có dự báo.", "Chưa đủ lịch sử để dự báo"} {
		if !strings.Contains(empty, s) {
			t.Errorf("PDF without a forecast lacks %q", s)
		}
	}
}
