package forms

import "testing"

// BenchmarkPDF renders the birth registration form filled whole: the cost
// of a kiosk's "In tờ khai" or the server's form.pdf.
func BenchmarkPDF(b *testing.B) {
	f, _ := Default().Form("khai-sinh")
	v := Filled{Procedure: f.Procedure, Values: map[string]string{}}
	for i, fd := range f.fields() {
		if fd.Type != TypeDateWords {
			v.Values[fd.Name] = sample(fd, i)
		}
	}
	opt := RenderOptions{Commune: "phường Hoàn Kiếm", Place: "Hà Nội", Ref: "A-017", Now: today}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.PDF(&v, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate checks the same form filled whole: the cost of one live
// check as the citizen types.
func BenchmarkValidate(b *testing.B) {
	f, _ := Default().Form("khai-sinh")
	base := map[string]string{}
	for i, fd := range f.fields() {
		if fd.Type != TypeDateWords {
			base[fd.Name] = sample(fd, i)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		v := Filled{Procedure: f.Procedure, Values: map[string]string{}}
		for k, x := range base {
			v.Values[k] = x
		}
		if errs := f.Validate(&v, today); len(errs) != 0 {
			b.Fatal(errs)
		}
	}
}
