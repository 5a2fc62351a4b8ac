package main

import (
	"testing"

	"xephang/queue-server/procedures"
)

// The adapter gives the kiosk what the catalogue answers: each procedure's
// own name finds it, with its papers and service.
func TestProcedureGuide(t *testing.T) {
	c := procedures.Default()
	ask := procedureGuide(c)
	all := c.All()
	if len(all) == 0 {
		t.Fatal("empty catalogue")
	}
	found := 0
	for _, p := range all {
		best, _, ok := ask(p.Name)
		if !ok || best == nil {
			continue
		}
		if best.ID == p.ID {
			found++
			if best.Name != p.Name || best.ServiceCode != p.Service || len(best.Papers) != len(p.Papers) || best.Fee != p.Fee {
				t.Errorf("%s: %+v", p.ID, best)
			}
		}
	}
	if found*10 < len(all)*9 {
		t.Errorf("a procedure's own name finds it %d times of %d", found, len(all))
	}
	if _, _, ok := ask("thời tiết hôm nay"); ok {
		t.Error("a question about nothing is understood")
	}
}
