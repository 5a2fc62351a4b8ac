package catalogue

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The procedure ids of the public contract (docs/architecture.md, "The public contract").
var architectureIDs = []string{"khai-sinh", "ket-hon", "trich-luc-ho-tich", "chung-thuc-ban-sao", "thuong-tru", "dat-dai-lan-dau"}

func TestDefault(t *testing.T) {
	c := Default()
	for _, id := range architectureIDs {
		p, err := c.Procedure(id)
		if err != nil {
			t.Fatalf("procedure %s: %v", id, err)
		}
		if len(p.LegalBasis) == 0 {
			t.Errorf("%s: no legal basis", id)
		}
		if p.Fee == "" {
			t.Errorf("%s: fee not stated", id)
		}
		if p.ProcessingTime == "" && p.Verify == "" {
			t.Errorf("%s: processing time neither stated nor marked to verify", id)
		}
	}
	if got := c.IDs(); !slices.Equal(got[:len(architectureIDs)], architectureIDs) {
		t.Errorf("ids %v", got)
	}
	if c.Version != "2026-11-24" {
		t.Errorf("version %s", c.Version)
	}
}

func TestIssueRequirements(t *testing.T) {
	c := Default()
	has := func(proc, kind string) bool {
		p, _ := c.Procedure(proc)
		return slices.Contains(p.KindsOf(), kind)
	}
	for _, tc := range []struct{ proc, kind string }{
		{"khai-sinh", "to-khai-khai-sinh"}, {"khai-sinh", "giay-chung-sinh"},
		{"khai-sinh", "van-ban-lam-chung"}, {"khai-sinh", "giay-cam-doan-viec-sinh"},
		{"khai-sinh", "giay-to-tuy-than"}, {"ket-hon", "to-khai-ket-hon"},
		{"ket-hon", "xac-nhan-tinh-trang-hon-nhan"}, {"ket-hon", "trich-luc-ly-hon"},
		{"thuong-tru", "to-khai-cu-tru"}, {"thuong-tru", "chung-minh-cho-o"},
		{"dat-dai-lan-dau", "don-dang-ky-dat-dai"}, {"dat-dai-lan-dau", "giay-to-quyen-su-dung-dat"},
	} {
		if !has(tc.proc, tc.kind) {
			t.Errorf("%s lacks %s", tc.proc, tc.kind)
		}
	}
	if k := c.Kind("to-khai-cu-tru"); !strings.Contains(k.Form, "66/2023/TT-BCA") {
		t.Errorf("CT01 form reference %q", k.Form)
	}
	if k := c.Kind("don-dang-ky-dat-dai"); !strings.Contains(k.Form, "151/2025") {
		t.Errorf("land form reference %q", k.Form)
	}
}

func TestValidateRejects(t *testing.T) {
	for name, js := range map[string]string{
		"not json":        `{`,
		"no version":      `{"checked":"2026-11-24","kinds":[],"procedures":[]}`,
		"unknown kind":    `{"version":"2026-11-24","checked":"2026-11-24","kinds":[],"procedures":[{"id":"a","name":"A","legal_basis":["x"],"documents":[{"name":"d","kinds":["nope"],"required":true}]}]}`,
		"no legal basis":  `{"version":"2026-11-24","checked":"2026-11-24","kinds":[],"procedures":[{"id":"a","name":"A","documents":[{"name":"d","card":true,"required":true}]}]}`,
		"bad field type":  `{"version":"2026-11-24","checked":"2026-11-24","kinds":[{"id":"k","name":"K","titles":["T"],"fields":[{"name":"x","label":"X","type":"blob"}]}],"procedures":[]}`,
		"repeated kind":   `{"version":"2026-11-24","checked":"2026-11-24","kinds":[{"id":"k","name":"K","titles":["T"]},{"id":"k","name":"K","titles":["T"]}],"procedures":[]}`,
		"bad procedureid": `{"version":"2026-11-24","checked":"2026-11-24","kinds":[],"procedures":[{"id":"Khai Sinh","name":"A","legal_basis":["x"],"documents":[{"name":"d","card":true}]}]}`,
	} {
		if _, err := Parse([]byte(js)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
}

func TestUnknownProcedure(t *testing.T) {
	if _, err := Default().Procedure("nope"); !errors.Is(err, ErrUnknownProcedure) {
		t.Fatal(err)
	}
}
