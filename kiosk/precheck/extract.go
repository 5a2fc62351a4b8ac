package precheck

import (
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"

	"xephang/kiosk/catalogue"
)

// Value is one field read from a page.
type Value struct {
	Value string  // normalised: names in capitals (Canonical), dates YYYY-MM-DD, sex M/F
	Raw   string  // as read
	Conf  float64 // OCR confidence of its line, 0–100
}

// Extract reads the labelled fields of kind k from a page. Labels are found
// in the order the form prints them (the same label may come twice), each
// at the start of a line, with tone marks dropped and a letter or two
// allowed to differ; the value is what follows the label's colon.
func Extract(k *catalogue.Kind, t *Text) map[string]Value {
	out := map[string]Value{}
	folded := make([][]rune, len(t.Lines))
	for i, l := range t.Lines {
		folded[i] = []rune(Fold(l.Text))
	}
	cursor := 0
	for _, f := range k.Fields {
		label := []rune(Fold(f.Label))
		for i := cursor; i < len(t.Lines); i++ {
			raw, ok := afterLabel(label, folded[i], t.Lines[i].Text)
			if !ok {
				continue
			}
			cursor = i + 1
			v, ok := normalise(f.Type, raw)
			if !ok && f.Type == catalogue.TypeDateWords && i+1 < len(t.Lines) {
				raw += " " + t.Lines[i+1].Text // the words often wrap
				v, ok = normalise(f.Type, raw)
			}
			if ok {
				out[f.Name] = Value{Value: v, Raw: raw, Conf: t.Lines[i].Conf}
			}
			break
		}
	}
	return out
}

// afterLabel returns what follows label at the start of a line (fline is the
// line folded, line as read).
func afterLabel(label, fline []rune, line string) (string, bool) {
	window := fline[:min(len(fline), len(label)+6)]
	d, end := approxFind(label, window)
	if d > max(1, len(label)/10) || end-len(label) > 3+d {
		return "", false
	}
	// The colon that ends the label must follow closely; a label that is
	// the start of a longer one ("Họ, chữ đệm, tên" / "… tên người mẹ:") is not it.
	colon := -1
	for i := max(0, end-2); i < len(fline) && i <= end+4; i++ {
		if fline[i] == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		if strings.ContainsRune(string(fline), ':') {
			return "", false
		}
		// No colon read at all: take the words after as many words as the label has.
		n := len(strings.Fields(string(fline[:end])))
		w := strings.Fields(line)
		if n >= len(w) {
			return "", false
		}
		return strings.Join(w[n:], " "), true
	}
	k := strings.Count(string(fline[:colon]), ":")
	parts := strings.SplitN(line, ":", k+2)
	if len(parts) < k+2 {
		return "", false
	}
	return strings.TrimSpace(parts[k+1]), true
}

var (
	twelveDigits = regexp.MustCompile(`\d{12}`)
	fourDigits   = regexp.MustCompile(`\b(19|20|21)\d{2}\b`)
)

// normalise turns a raw value into the form the result reports.
func normalise(typ, raw string) (string, bool) {
	raw = strings.TrimSpace(strings.Trim(norm.NFC.String(raw), ".…_ "))
	switch typ {
	case catalogue.TypeName:
		n := NormalizeName(raw)
		if len(strings.Fields(n)) < 2 || strings.ContainsAny(raw, "0123456789") {
			return "", false
		}
		return n, true
	case catalogue.TypeIDNumber:
		s := strings.NewReplacer(" ", "", ".", "", "-", "").Replace(fixDigits(raw))
		m := twelveDigits.FindString(s)
		return m, m != "" && len(digitsOnly(s)) == 12
	case catalogue.TypeDate:
		d, ok := ParseDigitDate(raw)
		if !ok {
			return "", false
		}
		return d.String(), true
	case catalogue.TypeDateWords:
		d, ok := ParseDateWords("ngày " + strings.TrimPrefix(Fold(raw), "ngay"))
		if !ok {
			return "", false
		}
		return d.String(), true
	case catalogue.TypeYear:
		m := fourDigits.FindString(fixDigits(raw))
		return m, m != ""
	case catalogue.TypeSex:
		f := strings.Fields(Fold(raw))
		if len(f) == 0 {
			return "", false
		}
		switch f[0] {
		case "nam", "male", "m":
			return "M", true
		case "nu", "female", "f":
			return "F", true
		}
		return "", false
	}
	if raw == "" {
		return "", false
	}
	return Canonical(raw), true
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
