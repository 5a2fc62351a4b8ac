package idcard

import "testing"

func BenchmarkParseQR(b *testing.B) {
	in := readTestdata(b, "cccd.qr")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ParseQR(in, today)
	}
}

func BenchmarkParseMRZ(b *testing.B) {
	in := readTestdata(b, "vnm-cccd-male.mrz")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ParseMRZ(in, today)
	}
}
