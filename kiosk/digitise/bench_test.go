package digitise_test

import (
	"context"
	"testing"
	"time"

	"xephang/kiosk/digitise"
	"xephang/kiosk/precheck"
)

// BenchmarkDigitiseOverPrecheck measures what digitising adds to the
// pre-check of a page: each iteration pre-checks the same clean 300 dpi
// form page (khai-sinh's declaration, one OCR worker busy) once alone and
// once followed by digitise.Documents on what it read, and reports the
// seconds of each and their ratio (target ≤ 1.10: the words come from the
// pre-check's OCR, not a second pass).
func BenchmarkDigitiseOverPrecheck(b *testing.B) {
	page := []precheck.Page{{Data: testSet(b)[0].data}}
	ch := sharedChecker(b)
	ctx := context.Background()
	var alone, with time.Duration
	var size int
	for b.Loop() {
		t0 := time.Now()
		if _, err := ch.Check(ctx, "khai-sinh", page, nil, nil); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, texts, err := ch.CheckPages(ctx, "khai-sinh", page, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		docs, err := digitise.Documents(res, texts)
		if err != nil || len(docs) != 1 {
			b.Fatalf("%d documents, %v", len(docs), err)
		}
		t2 := time.Now()
		alone += t1.Sub(t0)
		with += t2.Sub(t1)
		size = len(docs[0].PDF)
	}
	n := float64(b.N)
	b.ReportMetric(alone.Seconds()/n, "s/precheck")
	b.ReportMetric(with.Seconds()/n, "s/precheck+digitise")
	b.ReportMetric((with-alone).Seconds()/n, "s/digitise")
	b.ReportMetric(with.Seconds()/alone.Seconds(), "ratio")
	b.ReportMetric(float64(size)/1024, "kB/page")
}
