package queue

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckText checks free text that staff type or a device reports (a
// centre's, service's, counter's or account's name, an address, a device's
// detail): valid UTF-8, at most maxBytes, no control characters (a line
// break in a name ends up in calendar files and CSV rows), no invisible
// formatting characters (bidirectional overrides and isolates, zero-width
// characters, which make a text read other than it is), and, when not
// empty, something visible. A citizen's name follows the stricter rule of
// package personname (CitizenName). The error names field.
func CheckText(field, s string, maxBytes int) error {
	if !utf8.ValidString(s) {
		return Errorf(EInvalid, "%s: not valid UTF-8", "%s: không phải UTF-8 hợp lệ", field).At(field)
	}
	if len(s) > maxBytes {
		return Errorf(EInvalid, "%s: at most %d bytes", "%s: tối đa %d byte", field, maxBytes).At(field)
	}
	visible := false
	for _, r := range s {
		switch {
		case unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			return Errorf(EInvalid, "%s: control character U+%04X (such as a line break or a tab)", "%s: có ký tự điều khiển U+%04X (như xuống dòng hay tab)", field, r).At(field)
		case unicode.Is(unicode.Cf, r) || r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0:
			return Errorf(EInvalid, "%s: invisible character U+%04X (such as a right-to-left override)", "%s: có ký tự ẩn U+%04X (như ký tự đảo chiều chữ)", field, r).At(field)
		case !unicode.IsSpace(r) && !unicode.Is(unicode.Mn, r):
			visible = true
		}
	}
	if s != "" && !visible {
		return Errorf(EInvalid, "%s: only invisible characters", "%s: chỉ có ký tự ẩn", field).At(field)
	}
	return nil
}

// Device statuses a kiosk reports, a closed list: the admin page shows them.
var deviceStatuses = map[string]bool{"ok": true, "warning": true, "error": true, "disconnected": true, "unknown": true, "absent": true}

// deviceWord is a device's kind: a short lower-case word.
var deviceWord = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// versionRe is a program version as kioskd reports it: a commit, a
// module version (v1.2.3, a pseudo-version) or "(devel)".
var versionRe = regexp.MustCompile(`^[A-Za-z0-9()][A-Za-z0-9()._+~-]{0,63}$`)

// PlainText is s as one line of plain text: invalid UTF-8, control
// characters, line and paragraph separators and invisible formatting
// characters become spaces. For what a device reports in its own words
// (an error's text may hold a line break): shown, never refused.
func PlainText(s string) string {
	s = strings.ToValidUTF8(s, " ")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cf) {
			return ' '
		}
		return r
	}, s)
}

// ValidateHeartbeat checks what a kiosk reports: a version like 1.2.3 or
// a commit, at most 32 devices with a name (1 to 64 bytes), a kind of
// [a-z0-9-], a status
// from the closed list (ok, warning, error, disconnected, unknown, absent),
// a detail of at most 300 bytes, a last error of at most 1000, and an
// outbox count from 0. Names, details and the last error are the
// device's own words: Kiosk.Heard stores them as PlainText.
func ValidateHeartbeat(version string, devices []DeviceStatus, lastError string, outbox int) error {
	if version != "" && !versionRe.MatchString(version) {
		return Errorf(EInvalid, "version: letters, digits and . _ + - (at most 64)", "version: chữ, số và các dấu . _ + - (tối đa 64 ký tự)").At("version")
	}
	if len(devices) > 32 {
		return Errorf(EInvalid, "devices: at most 32", "devices: tối đa 32 thiết bị").At("devices")
	}
	for i, d := range devices {
		at := func(f string) string { return "devices[" + strconv.Itoa(i) + "]." + f }
		if d.Name == "" || len(d.Name) > 64 {
			return Errorf(EInvalid, "%s: 1 to 64 bytes", "%s: từ 1 đến 64 byte", at("name")).At(at("name"))
		}
		if !deviceWord.MatchString(d.Kind) {
			return Errorf(EInvalid, "%s: a lower-case word (a-z, 0-9, -)", "%s: một từ viết thường (a-z, 0-9, -)", at("kind")).At(at("kind"))
		}
		if !deviceStatuses[d.Status] {
			return Errorf(EInvalid, "%s: ok, warning, error, disconnected, unknown or absent", "%s: ok, warning, error, disconnected, unknown hoặc absent", at("status")).At(at("status"))
		}
		if len(d.Detail) > 300 {
			return Errorf(EInvalid, "%s: at most 300 bytes", "%s: tối đa 300 byte", at("detail")).At(at("detail"))
		}
	}
	if len(lastError) > 1000 {
		return Errorf(EInvalid, "last_error: at most 1000 bytes", "last_error: tối đa 1000 byte").At("last_error")
	}
	if outbox < 0 || outbox > 1_000_000 {
		return Errorf(EInvalid, "outbox: a count from 0", "outbox: số lượng từ 0 trở lên").At("outbox")
	}
	return nil
}
