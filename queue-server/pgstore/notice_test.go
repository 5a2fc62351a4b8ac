package pgstore

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseNotice(t *testing.T) {
	for _, tc := range []struct {
		in     string
		centre string
		rev    uint64
	}{
		{"12 hoan-kiem", "hoan-kiem", 12},
		{"1 c", "c", 1},
		{"0 c", "", 0},
		{"12", "", 0},
		{"12 ", "", 0},
		{"x hoan-kiem", "", 0},
		{"-1 c", "", 0},
		{"12 two words", "", 0},
		{"18446744073709551616 c", "", 0},
	} {
		centre, rev, ok := parseNotice(tc.in)
		if centre != tc.centre || rev != tc.rev || ok != (tc.centre != "") {
			t.Errorf("parseNotice(%q) = %q %d %v", tc.in, centre, rev, ok)
		}
	}
}

// FuzzParseNotice: whatever a session of the database notifies, the
// watch either understands it as what commit_centre writes or ignores it.
func FuzzParseNotice(f *testing.F) {
	for _, s := range []string{"12 hoan-kiem", "0 c", "", " ", "1 a b", "99999999999999999999 c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		centre, rev, ok := parseNotice(payload)
		if !ok {
			if centre != "" || rev != 0 {
				t.Fatalf("refused %q but gave %q %d", payload, centre, rev)
			}
			return
		}
		if rev == 0 || centre == "" || strings.ContainsAny(centre, " \t\n\r\x00") {
			t.Fatalf("accepted %q as %q %d", payload, centre, rev)
		}
		if got := strconv.FormatUint(rev, 10) + " " + centre; got != payload {
			t.Fatalf("%q read as %q", payload, got)
		}
	})
}
