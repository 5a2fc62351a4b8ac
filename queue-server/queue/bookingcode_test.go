package queue

import "testing"

func TestBookingCodeShape(t *testing.T) {
	for in, want := range map[string]bool{
		"7KQ2M9XD": true, " 7kq2-m9xd ": true, "7KQ2 M9XD": true,
		"7KQ2M9X": false, "7KQ2M9XDD": false, "0KQ2M9XD": false, "1KQ2M9XD": false, "OKQ2M9XD": false, "IKQ2M9XD": false,
		"": false, "Đ2345678": false,
	} {
		if got := ValidBookingCode(NormBookingCode(in)); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
