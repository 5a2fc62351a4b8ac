package notify

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var fullData = map[string]string{
	"number": "A012", "service": "HT", "service_name": "Hộ tịch, chứng thực bản sao", "counter": "3",
	"counter_name": "Quầy hộ tịch", "position": "2", "minutes": "8",
	"centre_name": "Trung tâm Phục vụ hành chính công phường Bến Thành", "start": "09:30 05/12/2026",
	"code": "7KQ2M9XD", "url": "https://xephang.example.gov.vn/track/abcdefghijklmnopqrstuvwxyz",
	"message": strings.Repeat("Trung tâm tạm dừng tiếp nhận do sự cố mất điện kéo dài, mong công dân thông cảm. ", 4),
}

var gateways = []string{GatewayZNS, GatewaySMS, GatewaySMSASCII, GatewayPush, GatewayEmail}

var longDigits = regexp.MustCompile(`\p{Nd}{9,}`)

// checkLimits asserts what every rendered text must be.
func checkLimits(t *testing.T, gw, title, text string) {
	t.Helper()
	if text == "" {
		t.Errorf("%s: empty text", gw)
	}
	if longDigits.MatchString(title + " " + text) {
		t.Errorf("%s: a run of 9+ digits in %q / %q", gw, title, text)
	}
	if !utf8.ValidString(text) || !norm.NFC.IsNormalString(text) {
		t.Errorf("%s: text not valid NFC UTF-8: %q", gw, text)
	}
	for _, r := range text {
		if unicode.IsControl(r) {
			t.Errorf("%s: control character %U in %q", gw, r, text)
		}
	}
	switch gw {
	case GatewayZNS:
		if n := utf8.RuneCountInString(text); n > ZNSMaxChars {
			t.Errorf("zns: %d characters", n)
		}
	case GatewaySMS:
		if p := SMSParts(text); p > SMSMaxParts {
			t.Errorf("sms: %d parts: %q", p, text)
		}
	case GatewaySMSASCII:
		if n := GSMSeptets(text); n > SMSMaxSeptets {
			t.Errorf("sms-ascii: %d septets: %q", n, text)
		}
		if Fold(text) != text {
			t.Errorf("sms-ascii: diacritics left in %q", text)
		}
	case GatewayPush:
		if n := utf8.RuneCountInString(text); n > PushMaxChars {
			t.Errorf("push: %d characters", n)
		}
		if n := utf8.RuneCountInString(title); n > PushTitleMax || n == 0 {
			t.Errorf("push: title of %d characters", n)
		}
	case GatewayEmail:
		if n := utf8.RuneCountInString(text); n > EmailMaxChars {
			t.Errorf("email: %d characters", n)
		}
	}
}

func TestRenderEveryTopicAndGateway(t *testing.T) {
	minimal := map[string]string{"number": "A012", "counter": "3", "code": "7KQ2M9XD", "start": "09:30 05/12/2026", "position": "2"}
	for _, topic := range Topics() {
		for _, gw := range gateways {
			for name, data := range map[string]map[string]string{"full": fullData, "minimal": minimal, "empty": nil} {
				t.Run(topic+"/"+gw+"/"+name, func(t *testing.T) {
					title, text, err := Render(topic, data, gw)
					if err != nil {
						t.Fatal(err)
					}
					checkLimits(t, gw, title, text)
					if strings.ContainsAny(text, "{}") {
						t.Errorf("placeholder left: %q", text)
					}
					if name == "full" && gw != GatewaySMSASCII && topic != "test" && topic != "centre_closed" &&
						!strings.Contains(text, "A012") && !strings.Contains(text, "7KQ2M9XD") {
						t.Errorf("neither the number nor the code in %q", text)
					}
				})
			}
		}
	}
}

func TestRenderTexts(t *testing.T) {
	for _, c := range []struct {
		topic, gw string
		data      map[string]string
		want      string
	}{
		{"called", GatewayPush, map[string]string{"number": "A012", "counter": "3"}, "Mời công dân số A012 đến Quầy 3."},
		{"called", GatewaySMSASCII, map[string]string{"number": "A012", "counter": "3"}, "Moi cong dan so A012 den Quay 3."},
		{"called", GatewayPush, map[string]string{"number": "A012", "counter": "3", "counter_name": "Quầy 3"}, "Mời công dân số A012 đến Quầy 3."},
		{"called", GatewayPush, map[string]string{"number": "A012", "counter": "3", "counter_name": "Hộ tịch"}, "Mời công dân số A012 đến Quầy 3 (Hộ tịch)."},
		{"called", GatewaySMS, map[string]string{"number": "A012", "counter": "3", "url": "https://x.vn/track/t1"},
			"Mời công dân số A012 đến Quầy 3. Theo dõi: https://x.vn/track/t1"},
		{"transferred", GatewayPush, map[string]string{"number": "B004", "service_name": "Đất đai"},
			"Số B004 đã được chuyển sang lĩnh vực Đất đai. Vui lòng chờ gọi số."},
		{"transferred", GatewayPush, map[string]string{"number": "B004"}, "Số B004 đã được chuyển sang lĩnh vực khác. Vui lòng chờ gọi số."},
		{"centre_closed", GatewayPush, map[string]string{"code": "7KQ2M9XD", "message": "Mất điện."},
			"Trung tâm tạm đóng cửa, lịch hẹn mã 7KQ2M9XD đã bị hủy. Mất điện."},
		{"near", GatewayPush, map[string]string{"number": "A012", "position": "2", "minutes": "8"},
			"Sắp đến lượt số A012: bạn ở vị trí thứ 2 trong hàng, khoảng 8 phút. Vui lòng có mặt."},
	} {
		_, got, err := Render(c.topic, c.data, c.gw)
		if err != nil || got != c.want {
			t.Errorf("%s/%s: %q, %v; want %q", c.topic, c.gw, got, err, c.want)
		}
	}
	// The link survives in an SMS: the centre's name goes first.
	_, text, _ := Render("booked", fullData, GatewaySMSASCII)
	if !strings.Contains(text, fullData["url"]) {
		t.Errorf("sms-ascii booked without its link: %q", text)
	}
	// A link too long for an SMS is left out whole, never cut.
	long := map[string]string{"number": "A012", "counter": "3", "url": "https://xephang.example.vn/track/" + strings.Repeat("x", 200)}
	for _, topic := range Topics() {
		for _, gw := range []string{GatewaySMSASCII, GatewaySMS, GatewayPush} {
			if _, text, _ := Render(topic, long, gw); strings.Contains(text, "https://") && !strings.Contains(text, long["url"]) {
				t.Errorf("%s/%s: the link cut: %q", topic, gw, text)
			}
		}
	}
	if _, _, err := Render("nope", nil, GatewaySMS); err == nil {
		t.Error("an unknown topic rendered")
	}
	if _, _, err := Render("called", nil, "fax"); err == nil {
		t.Error("an unknown gateway rendered")
	}
}

// A CCCD number (12 digits) or a phone put in Data by mistake never
// reaches the text, whatever the field.
func TestRenderNeverLeaksDigitRuns(t *testing.T) {
	for _, leak := range []string{"079203001234", "0912345678", "０７９２０３００１２３４", "id 079203001234 x", "12345678901"} {
		for _, topic := range Topics() {
			for _, gw := range gateways {
				data := map[string]string{}
				for k := range fullData {
					data[k] = leak
				}
				title, text, err := Render(topic, data, gw)
				if err != nil {
					t.Fatal(err)
				}
				if longDigits.MatchString(title+text) || strings.Contains(text, "079203") {
					t.Errorf("%s/%s: %q leaked into %q", topic, gw, leak, text)
				}
			}
		}
	}
	// 8 digits in a row are left alone (a date 05122026 is no ID).
	if got := maskDigits("05122026"); got != "05122026" {
		t.Errorf("maskDigits(8 digits) = %q", got)
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Mời công dân số A012 đến Quầy 3": "Moi cong dan so A012 den Quay 3",
		"ĐẶT LỊCH HẸN đã hủy":             "DAT LICH HEN da huy",
		"Nguyễn Thị Ánh Tuyết":            "Nguyen Thi Anh Tuyet",
		"Mời công dân":/* NFD input */ norm.NFD.String("Mời công dân"),
	} {
		if in == "Mời công dân" {
			in, want = want, "Moi cong dan"
		}
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSMSParts(t *testing.T) {
	for _, c := range []struct {
		n, parts int
	}{{0, 1}, {70, 1}, {71, 2}, {134, 2}, {135, 3}, {201, 3}, {202, 4}} {
		if got := SMSParts(strings.Repeat("ư", c.n)); got != c.parts {
			t.Errorf("SMSParts(%d) = %d, want %d", c.n, got, c.parts)
		}
	}
	if GSMSeptets("a{") != 3 || GSMSeptets("ư") <= SMSMaxSeptets {
		t.Error("GSMSeptets counts wrong")
	}
}

func FuzzRender(f *testing.F) {
	f.Add("called", "A012", "3", "Quầy\n3", "https://x.vn/track/1", "079203001234")
	f.Add("centre_closed", "", "", strings.Repeat("ữ", 500), strings.Repeat("x", 400), "")
	f.Add("booked", "{code}", "{{", "\x00\u202e", "", "0912 345 678")
	f.Fuzz(func(t *testing.T, topic, a, b, c, url, msg string) {
		topics := Topics()
		if _, ok := texts[topic]; !ok {
			topic = topics[len(topic)%len(topics)]
		}
		data := map[string]string{"number": a, "counter": b, "counter_name": c, "centre_name": c, "service_name": a + c,
			"url": url, "message": msg, "code": b, "start": a, "position": msg, "minutes": url}
		for _, gw := range gateways {
			title, text, err := Render(topic, data, gw)
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, gw, title, text)
		}
	})
}
