package procedures_test

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkAsk answers the whole question set each iteration and reports
// the 99th percentile of one answer's time (target < 20 ms).
func BenchmarkAsk(b *testing.B) {
	c := catalogue(b)
	qs := readQuestions(b)
	if len(qs) == 0 {
		b.Fatal("no questions")
	}
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		for _, q := range qs {
			t0 := time.Now()
			c.Ask(q.q)
			times = append(times, time.Since(t0))
		}
	}
	b.StopTimer()
	slices.Sort(times)
	p99 := times[len(times)*99/100]
	b.ReportMetric(float64(p99)/float64(time.Millisecond), "p99-ms")
	b.ReportMetric(float64(len(qs)), "questions")
}
