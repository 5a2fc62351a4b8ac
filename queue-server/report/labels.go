package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// labels are the texts of the CSV and PDF in one language.
type labels struct {
	lang string
	m    map[string]string
}

var texts = map[string]map[string]string{
	"vi": {
		"title":           "BÁO CÁO THỐNG KÊ",
		"centre":          "Trung tâm",
		"period":          "Kỳ báo cáo",
		"kind.day":        "Ngày",
		"kind.week":       "Tuần",
		"kind.month":      "Tháng",
		"kind.range":      "Khoảng thời gian",
		"generated":       "Lập lúc",
		"timezone":        "Múi giờ",
		"target":          "Mục tiêu thời gian chờ",
		"section":         "Phần",
		"metric":          "Chỉ tiêu",
		"value":           "Giá trị",
		"s.summary":       "Tổng hợp",
		"s.services":      "Theo lĩnh vực",
		"s.counters":      "Theo quầy",
		"s.staff":         "Theo cán bộ",
		"s.days":          "Theo ngày",
		"s.arrivals":      "Lượt đến theo thứ và giờ",
		"s.waits":         "Phân bố thời gian chờ",
		"s.bookings":      "Sử dụng lịch hẹn",
		"s.prechecks":     "Kiểm tra hồ sơ trước",
		"s.procedures":    "Kiểm tra hồ sơ theo thủ tục",
		"s.ratings":       "Đánh giá của người dân",
		"c.key":           "Mã",
		"c.name":          "Tên",
		"c.date":          "Ngày",
		"c.tickets":       "Số phiếu",
		"c.walk_in":       "Trực tiếp",
		"c.booked":        "Đặt lịch",
		"c.offline":       "Cấp khi mất kết nối",
		"c.priority":      "Ưu tiên",
		"c.transferred":   "Chuyển lĩnh vực",
		"c.served":        "Đã phục vụ",
		"c.no_shows":      "Vắng mặt",
		"c.expired":       "Hết hiệu lực",
		"c.open":          "Chưa xong",
		"c.cancelled":     "Huỷ lịch hẹn",
		"c.wait_mean":     "Chờ TB (phút)",
		"c.wait_median":   "Chờ trung vị (phút)",
		"c.wait_p90":      "Chờ P90 (phút)",
		"c.wait_max":      "Chờ tối đa (phút)",
		"c.svc_mean":      "Phục vụ TB (phút)",
		"c.svc_median":    "Phục vụ trung vị (phút)",
		"c.svc_p90":       "Phục vụ P90 (phút)",
		"c.svc_max":       "Phục vụ tối đa (phút)",
		"c.within":        "Trong mục tiêu (%)",
		"c.ratings":       "Lượt đánh giá",
		"c.rating_mean":   "Điểm TB",
		"c.weekday":       "Thứ",
		"c.from":          "Từ (phút)",
		"c.to":            "Đến (phút)",
		"c.count":         "Số lượt",
		"c.capacity":      "Chỗ đặt lịch",
		"c.b_booked":      "Đã đặt",
		"c.checked_in":    "Đã đến",
		"c.late":          "Đến muộn",
		"c.b_no_show":     "Không đến",
		"c.pending":       "Chưa đến hạn",
		"c.b_cancelled":   "Đã huỷ",
		"c.utilisation":   "Tỷ lệ sử dụng (%)",
		"c.checkin_rate":  "Tỷ lệ đến (%)",
		"c.noshow_rate":   "Tỷ lệ không đến (%)",
		"c.document":      "Giấy tờ",
		"c.checked":       "Lượt kiểm tra",
		"c.procedure":     "Thủ tục",
		"c.done":          "Đã kiểm tra",
		"c.ok":            "Đủ hồ sơ",
		"c.score":         "Mức",
		"st.present":      "Có",
		"st.missing":      "Thiếu",
		"st.unreadable":   "Không đọc được",
		"st.inconsistent": "Không khớp",
		"r.1":             "Không hài lòng",
		"r.2":             "Bình thường",
		"r.3":             "Hài lòng",
		"r.4":             "Rất hài lòng",
		"all":             "Tổng",
		"mean":            "Trung bình",
		"chart.services":  "Số phiếu theo lĩnh vực",
		"chart.arrivals":  "Lượt đến theo thứ và giờ (giờ địa phương)",
		"chart.waits":     "Phân bố thời gian chờ (phút)",
		"legend.walk_in":  "Trực tiếp",
		"legend.booked":   "Đặt lịch",
		"none":            "Không có dữ liệu",
		"page":            "Trang %d/{nb}",
		"prechecks.done":  "Hồ sơ đã kiểm tra trước",
		"prechecks.ok":    "Hồ sơ đủ",
		"unit.min":        "phút",
		"wait.note":       "Thời gian chờ = lúc gọi lần đầu − max(lúc lấy số, giờ hẹn); thời gian phục vụ = lúc xong − lúc gọi cuối.",
	},
	"en": {
		"title":           "STATISTICS REPORT",
		"centre":          "Centre",
		"period":          "Period",
		"kind.day":        "Day",
		"kind.week":       "Week",
		"kind.month":      "Month",
		"kind.range":      "Range",
		"generated":       "Generated",
		"timezone":        "Time zone",
		"target":          "Target wait",
		"section":         "Section",
		"metric":          "Figure",
		"value":           "Value",
		"s.summary":       "Summary",
		"s.services":      "By service",
		"s.counters":      "By counter",
		"s.staff":         "By staff member",
		"s.days":          "By day",
		"s.arrivals":      "Arrivals by weekday and hour",
		"s.waits":         "Wait distribution",
		"s.bookings":      "Booking use",
		"s.prechecks":     "Dossier pre-checks",
		"s.procedures":    "Pre-checks by procedure",
		"s.ratings":       "Citizen ratings",
		"c.key":           "Code",
		"c.name":          "Name",
		"c.date":          "Date",
		"c.tickets":       "Tickets",
		"c.walk_in":       "Walk-in",
		"c.booked":        "Booked",
		"c.offline":       "Issued offline",
		"c.priority":      "Priority",
		"c.transferred":   "Transferred",
		"c.served":        "Served",
		"c.no_shows":      "No-shows",
		"c.expired":       "Expired",
		"c.open":          "Open",
		"c.cancelled":     "Booking cancellations",
		"c.wait_mean":     "Wait mean (min)",
		"c.wait_median":   "Wait median (min)",
		"c.wait_p90":      "Wait P90 (min)",
		"c.wait_max":      "Wait max (min)",
		"c.svc_mean":      "Service mean (min)",
		"c.svc_median":    "Service median (min)",
		"c.svc_p90":       "Service P90 (min)",
		"c.svc_max":       "Service max (min)",
		"c.within":        "Within target (%)",
		"c.ratings":       "Ratings",
		"c.rating_mean":   "Mean rating",
		"c.weekday":       "Weekday",
		"c.from":          "From (min)",
		"c.to":            "To (min)",
		"c.count":         "Count",
		"c.capacity":      "Bookable places",
		"c.b_booked":      "Booked",
		"c.checked_in":    "Checked in",
		"c.late":          "Late",
		"c.b_no_show":     "Did not come",
		"c.pending":       "Pending",
		"c.b_cancelled":   "Cancelled",
		"c.utilisation":   "Utilisation (%)",
		"c.checkin_rate":  "Check-in rate (%)",
		"c.noshow_rate":   "No-show rate (%)",
		"c.document":      "Document",
		"c.checked":       "Checked",
		"c.procedure":     "Procedure",
		"c.done":          "Pre-checked",
		"c.ok":            "Complete",
		"c.score":         "Score",
		"st.present":      "Present",
		"st.missing":      "Missing",
		"st.unreadable":   "Unreadable",
		"st.inconsistent": "Inconsistent",
		"r.1":             "Not satisfied",
		"r.2":             "Neutral",
		"r.3":             "Satisfied",
		"r.4":             "Very satisfied",
		"all":             "Total",
		"mean":            "Mean",
		"chart.services":  "Tickets by service",
		"chart.arrivals":  "Arrivals by weekday and hour (local time)",
		"chart.waits":     "Wait distribution (minutes)",
		"legend.walk_in":  "Walk-in",
		"legend.booked":   "Booked",
		"none":            "No data",
		"page":            "Page %d/{nb}",
		"prechecks.done":  "Dossiers pre-checked",
		"prechecks.ok":    "Complete dossiers",
		"unit.min":        "min",
		"wait.note":       "Wait = first call − max(issue, slot start); service time = finish − last call.",
	},
}

var weekdays = map[string][7]string{
	"vi": {"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"},
	"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
}

var weekdaysShort = map[string][7]string{
	"vi": {"CN", "T2", "T3", "T4", "T5", "T6", "T7"},
	"en": {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
}

// mondayFirst is the weekday order of tables and charts.
var mondayFirst = [7]int{1, 2, 3, 4, 5, 6, 0}

func labelsFor(lang string) labels {
	if _, ok := texts[lang]; !ok {
		lang = "vi"
	}
	return labels{lang: lang, m: texts[lang]}
}

func (l labels) t(key string) string {
	if s, ok := l.m[key]; ok {
		return s
	}
	return key
}

// date writes a YYYY-MM-DD date as a reader of the language does.
func (l labels) date(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	if l.lang == "en" {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

func (l labels) period(p Period) string {
	if p.From == p.To {
		return l.t("kind."+p.Kind) + " " + l.date(p.From)
	}
	return l.t("kind."+p.Kind) + " " + l.date(p.From) + " – " + l.date(p.To)
}

func (l labels) name(g Group) string {
	if l.lang == "en" && g.NameEn != "" {
		return g.NameEn
	}
	return g.Name
}

// minutes writes seconds as minutes with one decimal.
func minutes(secs float64) string { return strconv.FormatFloat(secs/60, 'f', 1, 64) }

// percent writes a share as a percentage with one decimal.
func percent(share float64) string { return strconv.FormatFloat(share*100, 'f', 1, 64) }

func itoa(n int) string { return strconv.Itoa(n) }

func ratingMean(r Ratings) string {
	if r.Count == 0 {
		return ""
	}
	return strconv.FormatFloat(r.Mean, 'f', 2, 64)
}

// figureColumns are the column keys of a Figures table and their values.
var figureColumns = []string{
	"c.tickets", "c.walk_in", "c.booked", "c.offline", "c.served", "c.no_shows", "c.expired", "c.cancelled",
	"c.wait_mean", "c.wait_median", "c.wait_p90", "c.wait_max",
	"c.svc_mean", "c.svc_median", "c.svc_p90", "c.svc_max",
	"c.within", "c.ratings", "c.rating_mean",
}

func figureValues(f Figures) []string {
	return []string{
		itoa(f.Tickets), itoa(f.WalkIn), itoa(f.Booked), itoa(f.Offline), itoa(f.Served), itoa(f.NoShows), itoa(f.Expired), itoa(f.Cancellations),
		minutes(f.Wait.Mean), minutes(f.Wait.Median), minutes(f.Wait.P90), minutes(f.Wait.Max),
		minutes(f.ServiceTime.Mean), minutes(f.ServiceTime.Median), minutes(f.ServiceTime.P90), minutes(f.ServiceTime.Max),
		percent(f.WithinTargetShare), itoa(f.Ratings.Count), ratingMean(f.Ratings),
	}
}

// binLabel writes a wait bar's range: "0–5", "120+".
func binLabel(b Bin) string {
	if b.To == 0 {
		return fmt.Sprintf("%d+", b.From)
	}
	return fmt.Sprintf("%d–%d", b.From, b.To)
}

func (l labels) status(s string) string {
	if v, ok := l.m["st."+s]; ok {
		return v
	}
	return strings.ReplaceAll(s, "_", " ")
}
