package precheck

import "testing"

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Hòa", "Hoà"}, {"Hoà", "Hoà"}, {"Thủy", "Thuỷ"}, {"Thuỷ", "Thuỷ"},
		{"khỏe", "khoẻ"}, {"Hoàng", "Hoàng"}, {"thuyết", "thuyết"},
		{"Nguyễn Văn Hòa", "Nguyễn Văn Hoà"}, {"quý", "quý"}, {"già", "già"},
		{"người", "người"}, {"Trường", "Trường"}, {"mùa", "mùa"}, {"tuổi", "tuổi"},
		{"Ngoại", "Ngoại"}, {"Tuyết", "Tuyết"}, {"quả", "quả"}, {"giữa", "giữa"},
		{"HÒA", "HOÀ"}, {"ABC 123", "ABC 123"}, {"", ""},
		{"Ho\u0300a", "Hoà"}, // decomposed input
	} {
		if got := Canonical(tc.in); got != tc.want {
			t.Errorf("Canonical(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFold(t *testing.T) {
	if got := Fold("  TỜ KHAI  ĐĂNG KÝ\tKhai Sinh "); got != "to khai dang ky khai sinh" {
		t.Errorf("Fold = %q", got)
	}
}

func TestSameName(t *testing.T) {
	for _, tc := range []struct {
		a, b         string
		exact, close bool
	}{
		{"Nguyễn Thị Thủy", "NGUYỄN THỊ THUỶ", true, true},
		{"Nguyễn Văn An", "Nguyền Văn An", false, true},
		{"Nguyễn Văn An", "Nguyen Van An.", false, true},
		{"Nguyễn Văn An", "Nguyễn Văn Anh", false, true},
		{"Nguyễn Văn An", "Trần Thị Bình", false, false},
		{"", "Trần", false, false},
	} {
		e, c := SameName(tc.a, tc.b)
		if e != tc.exact || c != tc.close {
			t.Errorf("SameName(%q, %q) = %v %v", tc.a, tc.b, e, c)
		}
	}
}

func TestApproxFind(t *testing.T) {
	d, end := approxFind([]rune("dang ky khai sinh"), []rune("to khai dang ky khal sinh xx"))
	if d != 1 || end != 25 {
		t.Errorf("approxFind = %d %d", d, end)
	}
}
