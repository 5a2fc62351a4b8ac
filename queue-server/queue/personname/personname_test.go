package personname

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"Nguyễn Văn Thành":                   "Nguyễn Văn Thành",
		"  Trần   Thị\u00a0Bích  Ngọc ":      "Trần Thị Bích Ngọc",
		"Nguye\u0302\u0303n Va\u0306n A":     "Nguyễn Văn A", // combining marks, composed
		"NGUYEN VAN THANH":                   "NGUYEN VAN THANH",
		"Hoàng-Lê O'Brien":                   "Hoàng-Lê O'Brien",
		"Đặng T. Hương":                      "Đặng T. Hương",
		"H’Hen Niê":                          "H’Hen Niê",
		"Ksor H'Luyện":                       "Ksor H'Luyện",
		"李小龍":                                "李小龍",
		"Nguyễn Văn A\r\n":                   "Nguyễn Văn A", // a line end pasted after it
		"Lý":                                 "Lý",
		strings.Repeat("a", MaxLength):       strings.Repeat("a", MaxLength),
		"A" + strings.Repeat(" ", 200) + "B": "A B",
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", " ", "A", "Nguyễn\rVăn", "Nguyễn\nVăn", "Nguyễn\tVăn", "Nguyễn\x00Văn", "Nguyễn\u2028Văn",
		"Nguyễn \u202eVăn", "\u202dNguyễn", "Nguyễn\u2066Văn\u2069", "Ng\u200buyễn", "Ng\u200duyễn", "Ng\u00aduyễn",
		"\u200b\u200b\u200b", "\u3164\u3164", "\u115f\u1160", "\ufeffAn", "An\ufe0f",
		"Nguyễn Văn 2", "Nguyễn ③", "<script>", "Nguyễn; DROP", "=HYPERLINK(1)", "a@b", "\u0301An", "A \u0301n",
		"a\u0301\u0302\u0303\u0304", "-An", ".An", "'An", strings.Repeat("a", MaxLength+1), "\xff\xfe",
		"Nguyễn\U0001F600", "\ue000\ue001",
	} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", in, got)
		} else if e, ok := err.(*Error); !ok || e.VI == "" || e.EN == "" {
			t.Errorf("Parse(%q): %v is not an *Error in both languages", in, err)
		}
	}
}

// FuzzParse: whatever Parse accepts is a name by every clause of the rule,
// already canonical (parsing it again gives it back).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"Nguyễn Văn Thành", "Nguye\u0302\u0303n", "Trần\u202eThị", "  A  B ", "H’Hen Niê", "\u3164", "a\u0301\u0302\u0303", "O'Brien-Lê."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := Parse(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		if !utf8.ValidString(name) || !norm.NFC.IsNormalString(name) {
			t.Fatalf("%q: not valid NFC", name)
		}
		if n := utf8.RuneCountInString(name); n < MinLength || n > MaxLength {
			t.Fatalf("%q: %d characters", name, n)
		}
		if name != strings.TrimSpace(name) || strings.Contains(name, "  ") {
			t.Fatalf("%q: spaces not canonical", name)
		}
		first, _ := utf8.DecodeRuneInString(name)
		if !unicode.IsLetter(first) {
			t.Fatalf("%q begins with %q", name, first)
		}
		letters := 0
		for _, r := range name {
			switch {
			case unicode.IsLetter(r) && !invisibleLetters[r]:
				letters++
			case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || r == ' ' || strings.ContainsRune(punctuation, r):
			default:
				t.Fatalf("%q holds %U", name, r)
			}
		}
		if letters == 0 {
			t.Fatalf("%q has no visible letter", name)
		}
		if again, err := Parse(name); err != nil || again != name {
			t.Fatalf("Parse(%q) = %q, %v: not stable", name, again, err)
		}
	})
}
