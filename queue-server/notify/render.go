package notify

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/queue"
)

// Gateways Render writes for.
const (
	GatewayZNS      = queue.GatewayZNS // Zalo ZNS: the text is a preview, the template is Zalo's
	GatewaySMS      = queue.GatewaySMS // UCS-2 SMS, with diacritics
	GatewaySMSASCII = "sms-ascii"      // GSM 7-bit SMS, diacritics folded
	GatewayPush     = "push"
	GatewayEmail    = "email"
	GatewayWebhook  = "webhook"
	GatewayLog      = "log"
)

// Limits of each gateway's text.
const (
	ZNSMaxChars      = 400 // a ZNS template's whole text
	SMSMaxSeptets    = 160 // one GSM 7-bit SMS
	SMSMaxParts      = 3   // a UCS-2 SMS in at most 3 parts
	SMSUCS2Single    = 70  // UCS-2 characters of a single-part SMS
	SMSUCS2Part      = 67  // … of each part of a concatenated one (6 bytes of header)
	PushMaxChars     = 200
	PushTitleMax     = 60
	EmailMaxChars    = 2000
	EmailSubjectMax  = 120
	maxDigitsInARow  = 8 // a run of 9 or more digits may be a CCCD (12) or a phone (10): never sent
	ellipsis         = "…"
	valueMaxDefault  = 60
	valueMaxFreeText = 300
)

// valueMax bounds each template value before it is written; ZNS's own
// limits per parameter type are those of znsValueMax.
var valueMax = map[string]int{
	"number": 12, "service": 12, "counter": 12, "position": 6, "minutes": 6, "code": 16, "start": 20,
	"message": valueMaxFreeText, "url": valueMaxFreeText,
}

// segment is a piece of a text: written only when every value it names
// is present. drop > 0 marks what may be left out to fit a limit, the
// highest first.
type segment struct {
	text string
	drop int
	alt  bool // written only when the segments before it (up to a non-alt) are not
}

type topicText struct {
	title []segment
	body  []segment
}

// texts are the Vietnamese texts of each topic. Placeholders are
// {key} of Message.Data.
var texts = map[string]topicText{
	queue.TopicIssued: {
		title: []segment{{text: "Đã lấy số {number}"}, {text: "Đã lấy số thứ tự", alt: true}},
		body: []segment{
			{text: "Bạn đã lấy số {number}"},
			{text: "Bạn đã lấy số thứ tự", alt: true},
			{text: " (lĩnh vực {service_name})", drop: 3},
			{text: " tại {centre_name}", drop: 4},
			{text: "."},
			{text: " Bạn ở vị trí thứ {position} trong hàng.", drop: 2},
			{text: " Theo dõi lượt: {url}", drop: 1},
		},
	},
	queue.TopicNear: {
		title: []segment{{text: "Sắp đến lượt số {number}"}, {text: "Sắp đến lượt bạn", alt: true}},
		body: []segment{
			{text: "Sắp đến lượt số {number}"},
			{text: "Sắp đến lượt bạn", alt: true},
			{text: ": bạn ở vị trí thứ {position} trong hàng"},
			{text: ", khoảng {minutes} phút", drop: 1},
			{text: ". Vui lòng có mặt"},
			{text: " tại {centre_name}", drop: 3},
			{text: "."},
			{text: " Theo dõi: {url}", drop: 2},
		},
	},
	queue.TopicCalled: {
		title: []segment{{text: "Mời số {number}"}, {text: "Đến lượt bạn", alt: true}},
		body: []segment{
			{text: "Mời công dân số {number} đến Quầy {counter}"},
			{text: "Mời công dân số {number} đến quầy", alt: true},
			{text: " ({counter_name})", drop: 2},
			{text: " tại {centre_name}", drop: 3},
			{text: "."},
			{text: " Theo dõi: {url}", drop: 1},
		},
	},
	queue.TopicTransferred: {
		title: []segment{{text: "Số {number} được chuyển lĩnh vực"}, {text: "Số của bạn được chuyển lĩnh vực", alt: true}},
		body: []segment{
			{text: "Số {number} đã được chuyển sang lĩnh vực {service_name}"},
			{text: "Số {number} đã được chuyển sang lĩnh vực khác", alt: true},
			{text: "Số của bạn đã được chuyển sang lĩnh vực khác", alt: true},
			{text: ". Vui lòng chờ gọi số."},
			{text: " Theo dõi: {url}", drop: 1},
		},
	},
	queue.TopicAbsent: {
		title: []segment{{text: "Số {number} vắng mặt"}, {text: "Số của bạn đã qua lượt", alt: true}},
		body: []segment{
			{text: "Số {number} đã được gọi nhưng công dân vắng mặt"},
			{text: "Số của bạn đã được gọi nhưng công dân vắng mặt", alt: true},
			{text: " tại {centre_name}", drop: 1},
			{text: ". Vui lòng liên hệ quầy hướng dẫn để được hỗ trợ."},
		},
	},
	queue.TopicBooked: {
		title: []segment{{text: "Đã đặt lịch hẹn {code}"}, {text: "Đã đặt lịch hẹn", alt: true}},
		body: []segment{
			{text: "Đã đặt lịch hẹn mã {code}"},
			{text: "Đã đặt lịch hẹn", alt: true},
			{text: " lúc {start}"},
			{text: " tại {centre_name}", drop: 2},
			{text: ", lĩnh vực {service_name}", drop: 3},
			{text: "."},
			{text: " Xem hoặc hủy: {url}", drop: 1},
		},
	},
	queue.TopicReminderDay: {
		title: []segment{{text: "Nhắc lịch hẹn ngày mai"}},
		body: []segment{
			{text: "Nhắc lịch hẹn ngày mai"},
			{text: " lúc {start}"},
			{text: " tại {centre_name}", drop: 2},
			{text: ", mã {code}"},
			{text: ". Xem hoặc hủy: {url}", drop: 1},
			{text: "."},
		},
	},
	queue.TopicReminderHour: {
		title: []segment{{text: "Lịch hẹn sau 1 giờ nữa"}},
		body: []segment{
			{text: "Nhắc lịch hẹn lúc {start}"},
			{text: " (còn khoảng 1 giờ)", drop: 3},
			{text: " tại {centre_name}", drop: 2},
			{text: ", mã {code}"},
			{text: ". Xem: {url}", drop: 1},
			{text: "."},
		},
	},
	queue.TopicCancelled: {
		title: []segment{{text: "Lịch hẹn {code} đã bị hủy"}, {text: "Lịch hẹn đã bị hủy", alt: true}},
		body: []segment{
			{text: "Lịch hẹn mã {code}"},
			{text: "Lịch hẹn của bạn", alt: true},
			{text: " lúc {start}"},
			{text: " tại {centre_name}", drop: 2},
			{text: " đã bị trung tâm hủy. Xin lỗi vì sự bất tiện."},
			{text: " Đặt lịch khác: {url}", drop: 1},
		},
	},
	queue.TopicCentreClosed: {
		title: []segment{{text: "Trung tâm tạm đóng cửa"}},
		body: []segment{
			{text: "{centre_name} tạm đóng cửa", drop: 3},
			{text: "Trung tâm tạm đóng cửa", alt: true},
			{text: ", lịch hẹn mã {code}"},
			{text: ", lịch hẹn của bạn", alt: true},
			{text: " lúc {start}", drop: 2},
			{text: " đã bị hủy."},
			{text: " {message}"},
			{text: " Đặt lịch khác: {url}", drop: 1},
		},
	},
	queue.TopicTest: {
		title: []segment{{text: "Tin nhắn thử"}},
		body: []segment{
			{text: "Tin nhắn thử của hệ thống xếp hàng"},
			{text: " tại {centre_name}", drop: 1},
			{text: "."},
		},
	},
}

// Topics returns every topic Render knows.
func Topics() []string {
	return []string{queue.TopicIssued, queue.TopicNear, queue.TopicCalled, queue.TopicTransferred,
		queue.TopicAbsent, queue.TopicBooked, queue.TopicReminderDay, queue.TopicReminderHour,
		queue.TopicCancelled, queue.TopicCentreClosed, queue.TopicTest}
}

// Render writes a topic's message for a gateway: zns (a preview of the
// template's text), sms, sms-ascii, push, email. The text fits the
// gateway's limit: optional parts are left out first (centre name, service
// name, the link), then the staff's free text is shortened. No run of 9 or
// more digits is ever written (a CCCD or a phone number put in Data by
// mistake).
func Render(topic string, data map[string]string, gateway string) (title, text string, err error) {
	t, ok := texts[topic]
	if !ok {
		return "", "", fmt.Errorf("notify: no text for topic %q", topic)
	}
	fits, titleMax, ok := limitOf(gateway)
	if !ok {
		return "", "", fmt.Errorf("notify: unknown gateway %q", gateway)
	}
	vals := make(map[string]string, len(data))
	for k, v := range data {
		if v = CleanValue(k, v); v != "" {
			vals[k] = v
		}
	}
	if n, ok := vals["counter_name"]; ok && strings.EqualFold(Fold(n), "Quay "+vals["counter"]) {
		delete(vals, "counter_name") // "Quầy 3 (Quầy 3)" says it twice
	}
	ascii := gateway == GatewaySMSASCII
	finish := func(s string) string {
		s = maskDigits(strings.TrimSpace(s))
		if ascii {
			s = toGSM(Fold(s))
		}
		return s
	}
	title = finish(fit(t.title, vals, func(s string) bool { return utf8.RuneCountInString(s) <= titleMax }))
	if gateway == GatewaySMS || gateway == GatewaySMSASCII {
		title = "" // an SMS has no title
	}
	raw := fit(t.body, vals, func(s string) bool { return fits(finish(s)) })
	text = finish(raw)
	if !fits(text) { // the last resort, for values no template leaves room for
		r := []rune(raw)
		cut := func(n int) string { return finish(strings.TrimSpace(string(r[:n])) + ellipsis) }
		lo, hi := 0, len(r)-1 // the longest prefix that fits
		for lo < hi {
			if mid := (lo + hi + 1) / 2; fits(cut(mid)) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		for text = cut(lo); !fits(text) && lo > 0; text = cut(lo) {
			lo--
		}
	}
	return title, text, nil
}

// limitOf returns the test of a gateway's text length and its title's.
func limitOf(gateway string) (fits func(string) bool, titleMax int, ok bool) {
	runesMax := func(n int) func(string) bool {
		return func(s string) bool { return utf8.RuneCountInString(s) <= n }
	}
	switch gateway {
	case GatewayZNS:
		return runesMax(ZNSMaxChars), PushTitleMax, true
	case GatewaySMS:
		return func(s string) bool { return SMSParts(s) <= SMSMaxParts }, 0, true
	case GatewaySMSASCII:
		return func(s string) bool { return GSMSeptets(s) <= SMSMaxSeptets }, 0, true
	case GatewayPush:
		return runesMax(PushMaxChars), PushTitleMax, true
	case GatewayEmail, GatewayLog:
		return runesMax(EmailMaxChars), EmailSubjectMax, true
	}
	return nil, 0, false
}

// fit writes segs with vals, leaving out droppable segments (highest drop
// first) and then shortening the free text (message) until fits.
func fit(segs []segment, vals map[string]string, fits func(string) bool) string {
	dropped := map[int]bool{}
	maxDrop := 0
	for _, s := range segs {
		maxDrop = max(maxDrop, s.drop)
	}
	for level := maxDrop; ; level-- {
		if s := write(segs, vals, dropped); fits(s) || level == 0 {
			if fits(s) {
				return s
			}
			break
		}
		for i, sg := range segs {
			if sg.drop == level {
				dropped[i] = true
			}
		}
	}
	msg, ok := vals["message"]
	if !ok {
		return write(segs, vals, dropped)
	}
	r := []rune(msg)
	with := func(n int) map[string]string {
		c := make(map[string]string, len(vals))
		for k, v := range vals {
			c[k] = v
		}
		if n == 0 {
			delete(c, "message")
		} else {
			c["message"] = strings.TrimSpace(string(r[:n])) + ellipsis
		}
		return c
	}
	lo, hi := 0, len(r) // the longest prefix of the free text that fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(write(segs, with(mid), dropped)) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return write(segs, with(lo), dropped)
}

// write joins the segments whose values are all present; an alternative
// is written only when none of the segments before it in its chain was.
func write(segs []segment, vals map[string]string, dropped map[int]bool) string {
	var b strings.Builder
	chain := false // a segment of the current chain of alternatives was written
	for i, s := range segs {
		if !s.alt {
			chain = false
		} else if chain {
			continue
		}
		if out, ok := fill(s.text, vals); ok && !dropped[i] {
			b.WriteString(out)
			chain = true
		}
	}
	return b.String()
}

// fill replaces {key} placeholders; ok is false when one has no value.
func fill(text string, vals map[string]string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			return b.String(), true
		}
		j := strings.IndexByte(text[i:], '}')
		v, ok := vals[text[i+1:i+j]]
		if !ok {
			return "", false
		}
		b.WriteString(text[:i])
		b.WriteString(v)
		text = text[i+j+1:]
	}
}

// CleanValue makes a template value safe to write: NFC, no control
// characters, spaces collapsed, no run of 9 or more digits, bounded.
func CleanValue(key, v string) string {
	n, ok := valueMax[key]
	if !ok {
		n = valueMaxDefault
	}
	if cut := 8*n + 64; len(v) > cut {
		// Far more than is written: cut early, without the digits at the
		// cut (the end of a longer run must not pass for a short one).
		v = strings.TrimRightFunc(strings.ToValidUTF8(v[:cut], ""), unicode.IsDigit)
	}
	v = norm.NFC.String(strings.ToValidUTF8(v, ""))
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			return ' '
		}
		if unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs) || r == utf8.RuneError {
			return -1
		}
		return r
	}, v)
	v = strings.Join(strings.Fields(v), " ")
	v = maskDigits(v)
	if r := []rune(v); len(r) > n {
		v = strings.TrimSpace(string(r[:n-1])) + ellipsis
	}
	return v
}

// maskDigits replaces every run of more than maxDigitsInARow digits (of
// any script) with "…".
func maskDigits(s string) string {
	var b strings.Builder
	var digits []rune
	flush := func() {
		if len(digits) > maxDigitsInARow {
			b.WriteString(ellipsis)
		} else {
			b.WriteString(string(digits))
		}
		digits = digits[:0]
	}
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits = append(digits, r)
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

// Fold removes Vietnamese diacritics: "Mời công dân số" → "Moi cong dan so"
// (NFD, combining marks removed, đ → d, Đ → D).
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return strings.NewReplacer("đ", "d", "Đ", "D").Replace(out)
}

// gsmBasic is the GSM 03.38 default alphabet; gsmExt the characters of
// its extension table (two septets each).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "^{}\\[~]|€\f"
)

// toGSM replaces what the GSM alphabet cannot write ("…" → "...", others "?").
func toGSM(s string) string {
	s = strings.ReplaceAll(s, ellipsis, "...")
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(gsmBasic, r) || strings.ContainsRune(gsmExt, r) {
			return r
		}
		switch r {
		case '‘', '’':
			return '\''
		case '“', '”':
			return '"'
		case '–', '—':
			return '-'
		}
		return '?'
	}, s)
}

// GSMSeptets is the length of s in GSM 7-bit septets; a character the
// alphabet cannot write counts as 160 (never fits).
func GSMSeptets(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			n++
		case strings.ContainsRune(gsmExt, r):
			n += 2
		default:
			n += SMSMaxSeptets + 1
		}
	}
	return n
}

// SMSParts is how many UCS-2 SMS parts s takes (70 characters alone, 67
// each when concatenated; a character outside the BMP takes two).
func SMSParts(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	switch {
	case n == 0:
		return 1
	case n <= SMSUCS2Single:
		return 1
	}
	return (n + SMSUCS2Part - 1) / SMSUCS2Part
}
