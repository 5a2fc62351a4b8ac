package procedures_test

import (
	"testing"
	"unicode/utf8"
)

// Ask takes whatever is typed on a kiosk or sent to the public API: it never
// panics, and what it answers is consistent.
func FuzzAsk(f *testing.F) {
	c := fixture(f)
	for _, s := range []string{"làm giấy khai sinh", "ddawng kys thuongwf trus", "", "???", "sổ đỏ sổ hồng", "a\x00b", "đk kết hôn 123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		a := c.Ask(q)
		if a.Query != q {
			t.Fatalf("Query %q, want %q", a.Query, q)
		}
		if a.Understood != (a.Best != nil) {
			t.Fatalf("Understood %v with Best %v", a.Understood, a.Best)
		}
		if len(a.Others) > 2 {
			t.Fatalf("%d others", len(a.Others))
		}
		for _, o := range a.Others {
			if o.Score > a.Best.Score || o.Procedure == a.Best.Procedure {
				t.Fatalf("other %+v against best %+v", o, a.Best)
			}
		}
		ms := c.Search(q, 3)
		if len(ms) > 3 {
			t.Fatalf("Search gave %d", len(ms))
		}
		if a.Best != nil && (len(ms) == 0 || ms[0].Procedure != a.Best.Procedure) && utf8.ValidString(q) {
			t.Fatalf("Search and Ask disagree on %q", q)
		}
	})
}
