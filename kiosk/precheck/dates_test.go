package precheck

import (
	"testing"
	"time"

	"xephang/drivers/idcard"
	"xephang/queue-server/forms"
)

func TestNumberWords(t *testing.T) {
	for n, want := range map[int]string{
		0: "không", 5: "năm", 10: "mười", 15: "mười lăm", 21: "hai mươi mốt", 24: "hai mươi tư",
		25: "hai mươi lăm", 30: "ba mươi", 1990: "một nghìn chín trăm chín mươi",
		2000: "hai nghìn", 2005: "hai nghìn không trăm linh năm", 2025: "hai nghìn không trăm hai mươi lăm",
		1908: "một nghìn chín trăm linh tám", 2100: "hai nghìn một trăm",
	} {
		if got := NumberWords(n); got != want {
			t.Errorf("NumberWords(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNumberWordsRoundTrip(t *testing.T) {
	for n := 0; n <= 2200; n++ {
		w := NumberWords(n)
		if got, ok := ParseNumberWords(w); !ok || got != n {
			t.Fatalf("ParseNumberWords(%q) = %d %v, want %d", w, got, ok, n)
		}
		if got, ok := ParseNumberWords(Fold(w)); !ok || got != n {
			t.Fatalf("folded %q = %d %v", Fold(w), got, ok)
		}
	}
}

func TestParseDateWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi lăm", "2025-03-15"},
		{"Ghi bằng chữ: Ngày năm tháng năm năm hai nghìn không trăm linh năm", "2005-05-05"},
		{"ngay hai muoi mot thang muoi hai nam mot nghin chin tram chin muoi", "1990-12-21"},
		{"ngày 1 tháng 2", ""},
		{"ngày ba mươi tháng hai năm hai nghìn", ""}, // 30 February
		{"ngày mùng một tháng giêng năm hai nghìn", ""},
		{"ngày một tháng giêng năm hai nghìn", "2000-01-01"},
		{"", ""},
	} {
		d, ok := ParseDateWords(tc.in)
		got := ""
		if ok {
			got = d.String()
		}
		if got != tc.want {
			t.Errorf("ParseDateWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Every day of a century round-trips.
	for day := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2030; day = day.AddDate(0, 0, 13) {
		d := idcard.DateOf(day)
		if got, ok := ParseDateWords(DateWords(d)); !ok || got != d {
			t.Fatalf("%v: %q → %v %v", d, DateWords(d), got, ok)
		}
		// The kiosk reads back the forms it prints (queue-server/forms),
		// which write 4 after "mươi" as "bốn" and capitalise "Ngày".
		if got, ok := ParseDateWords(forms.DateWords(day)); !ok || got != d {
			t.Fatalf("%v: the form's %q → %v %v", d, forms.DateWords(day), got, ok)
		}
	}
}

func TestParseDigitDate(t *testing.T) {
	for in, want := range map[string]string{
		"Ngày sinh: 15/03/2025": "2025-03-15", "15-3-1990": "1990-03-15", "O1/O2/2OO0": "2000-02-01",
		"31/02/2000": "", "no date": "", "1/1/1800": "",
		"08 giờ 15 phút, ngày 04 tháng 10 năm 2025": "2025-10-04", "ngay 4 thang O3 nam 2O25": "2025-03-04",
	} {
		d, ok := ParseDigitDate(in)
		got := ""
		if ok {
			got = d.String()
		}
		if got != want {
			t.Errorf("ParseDigitDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseDateWords(f *testing.F) {
	f.Add("ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi lăm")
	f.Add("ngay nam thang nam nam nam")
	f.Add("ngày tháng năm")
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDateWords(s)
		if !ok {
			return
		}
		if !realDate(d) || d.Year < 1900 || d.Year > 2199 {
			t.Fatalf("%q gave %v", s, d)
		}
		if got, ok := ParseDateWords(DateWords(d)); !ok || got != d {
			t.Fatalf("round trip of %v", d)
		}
	})
}

func FuzzParseNumberWords(f *testing.F) {
	f.Add("hai nghìn không trăm linh năm")
	f.Add("mười mười")
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseNumberWords(s)
		if ok && (n < 0 || n > 9999) {
			t.Fatalf("%q = %d", s, n)
		}
		if ok {
			if m, ok := ParseNumberWords(NumberWords(n)); !ok || m != n {
				t.Fatalf("round trip %d", n)
			}
		}
	})
}
