package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// BenchmarkTakeNumberToPrinter measures a whole "take a number": from the
// POST /api/tickets of the touchscreen to the last byte (the cut) reaching
// the simulated printer, with kioskd's real daemon (Main) online to an
// in-process queue server, the printer simulator pacing its line like a
// UART at 115200 and 9600 baud. Beside it: the bytes of the job, the floor
// bytes ÷ (baud ÷ 10), the target 1.2 × floor + 50 ms, the time the job
// itself took on the simulated line (first byte to cut) and kioskd's own
// overhead (the rest: status checks, the server's answer, encoding).
func BenchmarkTakeNumberToPrinter(b *testing.B) {
	for _, prof := range []string{"epson-cp1258", "raster-80"} {
		for _, baud := range []int{115200, 9600} {
			b.Run(fmt.Sprintf("%s/%d", prof, baud), func(b *testing.B) { benchTake(b, prof, baud) })
		}
	}
}

func benchTake(b *testing.B, profile string, baud int) {
	admin := startServer(b)
	dir := b.TempDir()
	enrollKiosk(b, admin, "bench", dir)
	cfg, err := ParseConfig([]string{"-addr", "127.0.0.1:0", "-data", dir, "-simulate", "-sim-baud", fmt.Sprint(baud), "-profile", profile, "-block-size", "200"}, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for !m.Link.Online() || m.Link.Status().Left["A"] == 0 {
		if ctx.Err() != nil {
			b.Fatal("kioskd never came online")
		}
		time.Sleep(10 * time.Millisecond)
	}
	url := "http://" + m.Addr() + "/api/tickets"
	sim := m.Devices.Sim.Printer
	var total, line time.Duration
	var jobBytes int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Let the line go idle, as between two citizens.
		time.Sleep(60 * time.Millisecond)
		start := time.Now()
		resp, err := http.Post(url, "application/json", bytes.NewReader([]byte(`{"service":"A"}`)))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("POST /api/tickets: %d", resp.StatusCode)
		}
		jobs, err := sim.WaitJobs(ctx, i+1)
		if err != nil {
			b.Fatal(err)
		}
		j := jobs[i]
		total += j.End.Sub(start)
		line += j.End.Sub(j.Start)
		jobBytes = j.Bytes
	}
	b.StopTimer()
	mean := total / time.Duration(b.N)
	floor := time.Duration(int64(jobBytes) * 10 * int64(time.Second) / int64(baud))
	target := floor*12/10 + 50*time.Millisecond
	b.ReportMetric(float64(mean.Microseconds())/1000, "ms/ticket")
	b.ReportMetric(float64(jobBytes), "bytes/ticket")
	b.ReportMetric(float64(floor.Microseconds())/1000, "floor-ms")
	b.ReportMetric(float64(target.Microseconds())/1000, "target-ms")
	b.ReportMetric(float64(mean)/float64(floor), "x-floor")
	b.ReportMetric(float64((line/time.Duration(b.N)).Microseconds())/1000, "job-line-ms")
	// kioskd's own share: status checks, the server's answer, encoding.
	b.ReportMetric(float64((mean-line/time.Duration(b.N)).Microseconds())/1000, "overhead-ms")
}
