package procedures_test

import (
	"sync"
	"testing"
	"unicode/utf8"

	"xephang/queue-server/procedures"
)

// The server and kioskd ask the one catalogue from many goroutines at once.
func TestAskConcurrent(t *testing.T) {
	c := procedures.Default()
	want := c.Ask("làm giấy khai sinh cho con")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				a := c.Ask("làm giấy khai sinh cho con")
				if a.Best == nil || a.Best.Procedure != want.Best.Procedure || a.Best.Score != want.Best.Score {
					t.Errorf("concurrent Ask = %+v, want %+v", a.Best, want.Best)
					return
				}
				c.Search("so do", 3)
			}
		})
	}
	wg.Wait()
}

// Ask takes whatever is typed on a kiosk or sent to the public API: it never
// panics, and what it answers is consistent.
func FuzzAsk(f *testing.F) {
	c := procedures.Default()
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
