package main

import (
	"testing"

	"xephang/kiosk/flow"
	"xephang/queue-server/procedures"
)

// The adapter gives the kiosk what the catalogue answers: each procedure's
// own name finds it, with its papers and service.
func TestProcedureGuide(t *testing.T) {
	c := procedures.Default()
	ask := flow.CatalogueGuide(c)
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

// BenchmarkProcedureGuide: a question answered as the kiosk's screen asks
// it (the catalogue's Ask and the adapter).
func BenchmarkProcedureGuide(b *testing.B) {
	ask := flow.CatalogueGuide(procedures.Default())
	qs := []string{"lam giay khai sinh cho con", "xin giấy phép xây dựng nhà ở", "chung thuc ban sao", "thoi tiet hom nay"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ask(qs[i%len(qs)])
	}
}
