package queue

import (
	"testing"
	"time"
)

func TestCheckCCCD(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if n, err := CheckCCCD(" 079 090 012345 ", now); err != nil || n != "079090012345" {
		t.Fatalf("CheckCCCD = %q, %v", n, err)
	}
	for _, bad := range []string{"12345", "07909001234x", "999090000001", "003090000001", "001990000001"} { // short, not digits, unknown provinces, born 2090
		if _, err := CheckCCCD(bad, now); ErrorCode(err) != EInvalid {
			t.Errorf("CheckCCCD(%q) = %v, want %s", bad, err, EInvalid)
		}
	}
	if len(cccdProvinces) != 63 {
		t.Errorf("%d province codes, want 63", len(cccdProvinces))
	}
	if p, ok := CCCDProvince("079"); !ok || p != "Hồ Chí Minh" {
		t.Errorf("CCCDProvince(079) = %q %v", p, ok)
	}
}

func TestCitizenKey(t *testing.T) {
	a, b := CitizenKey([]byte("k1"), "079090012345"), CitizenKey([]byte("k2"), "079090012345")
	if a == b || len(a) != 64 || a != CitizenKey([]byte("k1"), "079090012345") {
		t.Errorf("CitizenKey: %q %q", a, b)
	}
}
