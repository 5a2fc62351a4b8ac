package escpossim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/port"
)

// BenchmarkTicketOverSerial prints the sample ticket through the real serial
// driver to the simulator pacing the line at 9600 and 115200 baud, status
// requests included, and reports bytes per ticket, the time until the cut
// reached the printer, and the floor bytes÷(baud÷10) a UART allows.
func BenchmarkTicketOverSerial(b *testing.B) {
	for _, baud := range []int{9600, 115200} {
		for _, prof := range escpos.Profiles() {
			b.Run(fmt.Sprintf("%s/%d", prof.Name, baud), func(b *testing.B) {
				sim, err := Start(Config{Dots: prof.Dots, Baud: baud, NoPNG: true})
				if err != nil {
					b.Fatal(err)
				}
				defer sim.Close()
				sp, err := port.OpenSerial(port.SerialConfig{Path: sim.Path(), Baud: baud})
				if err != nil {
					b.Fatal(err)
				}
				defer sp.Close()
				pr := escpos.New(sp, sp, prof)
				pr.StatusTimeout = 5 * time.Second
				data, err := escpos.EncodeTicket(sampleTicket(), prof)
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := pr.PrintTicket(ctx, sampleTicket()); err != nil {
						b.Fatal(err)
					}
					if _, err := sim.WaitJobs(ctx, i+1); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				floor := time.Duration(int64(len(data)) * 10 * int64(time.Second) / int64(baud))
				per := b.Elapsed() / time.Duration(b.N)
				b.ReportMetric(float64(len(data)), "bytes/ticket")
				b.ReportMetric(float64(per.Milliseconds()), "ms/ticket")
				b.ReportMetric(float64(floor.Milliseconds()), "floor-ms")
				b.ReportMetric(per.Seconds()/floor.Seconds(), "x-floor")
			})
		}
	}
}

// BenchmarkDecode measures rendering a ticket to PNG pixels in the simulator.
func BenchmarkDecode(b *testing.B) {
	data, _ := escpos.EncodeTicket(sampleTicket(), escpos.Raster80)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		Decode(data, 576, nil)
	}
}
