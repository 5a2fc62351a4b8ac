package digitise_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"xephang/kiosk/digitise"
	"xephang/kiosk/precheck"
)

// BenchmarkDigitiseOverPrecheck measures what digitising adds to the
// pre-check of a page: each iteration pre-checks the same clean 300 dpi
// form page (khai-sinh's declaration) once alone and once followed by
// digitise.Documents on what it read, and reports the seconds of each and
// their ratio (target ≤ 1.10: the words come from the pre-check's OCR, not
// a second pass). The ratio is of CPU time (the process's user + system
// time: Tesseract runs in-process), which other load on the machine
// disturbs little; wall-ratio is of elapsed time.
func BenchmarkDigitiseOverPrecheck(b *testing.B) {
	page := []precheck.Page{{Data: testSet(b)[0].data}}
	ch := sharedChecker(b)
	ctx := context.Background()
	var alone, with, cpuAlone, cpuWith time.Duration
	var size int
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime(b)
		if _, err := ch.Check(ctx, "khai-sinh", page, nil, nil); err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), cpuTime(b)
		res, texts, err := ch.CheckPages(ctx, "khai-sinh", page, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		docs, err := digitise.Documents(res, texts)
		if err != nil || len(docs) != 1 {
			b.Fatalf("%d documents, %v", len(docs), err)
		}
		t2, c2 := time.Now(), cpuTime(b)
		alone += t1.Sub(t0)
		with += t2.Sub(t1)
		cpuAlone += c1 - c0
		cpuWith += c2 - c1
		size = len(docs[0].PDF)
	}
	n := float64(b.N)
	b.ReportMetric(alone.Seconds()/n, "s/precheck")
	b.ReportMetric(with.Seconds()/n, "s/precheck+digitise")
	b.ReportMetric(cpuAlone.Seconds()/n, "cpu-s/precheck")
	b.ReportMetric(cpuWith.Seconds()/n, "cpu-s/precheck+digitise")
	b.ReportMetric(cpuWith.Seconds()/cpuAlone.Seconds(), "ratio")
	b.ReportMetric(with.Seconds()/alone.Seconds(), "wall-ratio")
	b.ReportMetric(float64(size)/1024, "kB/page")
}

// cpuTime is the user and system time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPDF measures digitise.PDF alone on one page as the pre-check
// read it.
func BenchmarkPDF(b *testing.B) {
	_, texts, err := sharedChecker(b).CheckPages(context.Background(), "khai-sinh", []precheck.Page{{Data: testSet(b)[0].data}}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	p, _ := digitise.PageOf(texts[0])
	for b.Loop() {
		if _, err := digitise.PDF([]digitise.Page{p}); err != nil {
			b.Fatal(err)
		}
	}
}
