package escpos

import "testing"

// BenchmarkEncodeTicket measures building a ticket's bytes per profile (CPU
// only; the line time is in escpossim's BenchmarkTicketOverSerial).
func BenchmarkEncodeTicket(b *testing.B) {
	for _, p := range Profiles() {
		b.Run(p.Name, func(b *testing.B) {
			data, _ := EncodeTicket(sampleTicket(), p)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := EncodeTicket(sampleTicket(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeCP1258 measures the code page encoder on a typical line.
func BenchmarkEncodeCP1258(b *testing.B) {
	const s = "Số người đang chờ trước bạn: 5 — Thời gian chờ dự kiến: khoảng 25 phút"
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		EncodeCP1258(s)
	}
}
