package forms

import (
	"maps"
	"os"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzParse: any bytes as a definition file are refused or give a form
// that validates a filled form of its own without panicking.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"khai-sinh", "ket-hon", "dat-dai-lan-dau"} {
		b, err := os.ReadFile("defs/" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"procedure":"p","version":"2026-12-05","title":"T","template":"M","legal_basis":"L","sections":[{"fields":[{"name":"a","label":"A","type":"choice","options":[{"value":"x","label":"X"}],"pattern":"x+","pattern_message":"m"}]}],"signature":{"label":"S","name_field":"a"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, err := Parse(map[string][]byte{"x.json": b})
		if err != nil {
			return
		}
		for _, form := range set.Forms() {
			v := Filled{Procedure: form.Procedure, Values: map[string]string{}}
			for _, fd := range form.fields() {
				v.Values[fd.Name] = "x"
			}
			form.Validate(&v, today)
		}
	})
}

// FuzzValidate: whatever values are sent, Validate does not panic, leaves
// only NFC text of the form's fields, and a second pass over what it
// accepted changes nothing and finds nothing new.
func FuzzValidate(f *testing.F) {
	f.Add("applicant_name", "Nguyễn Văn An", "child_birth_date", "2026-11-20", "copies", "2")
	f.Add("applicant_id_number", "001 090 012 345", "applicant_phone", "+84 912 345 678", "child_sex", "nữ")
	f.Add("child_name", "Bình\u202e", "mother_birth_year", "1990", "eye", "x")
	f.Add("child_birth_date_words", "typed", "child_birth_date", "2024-02-29", "applicant_address", "\xff")
	form, _ := Default().Form("khai-sinh")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		v := Filled{Procedure: "khai-sinh", Values: map[string]string{k1: v1, k2: v2, k3: v3}}
		errs := form.Validate(&v, today)
		bad := map[string]bool{}
		for _, e := range errs {
			bad[e.Field] = true
			if e.Message == "" || e.MessageEN == "" || !utf8.ValidString(e.Message) {
				t.Fatalf("error without messages: %+v", e)
			}
		}
		for k, x := range v.Values {
			if _, ok := form.Field(k); !ok && !bad[k] {
				t.Fatalf("unknown field %q kept", k)
			}
			if !bad[k] && (!utf8.ValidString(x) || !norm.NFC.IsNormalString(x)) {
				t.Fatalf("%s = %q accepted but not NFC", k, x)
			}
		}
		ok := Filled{Procedure: "khai-sinh", Values: map[string]string{}}
		for k, x := range v.Values {
			if !bad[k] {
				ok.Values[k] = x
			}
		}
		before := maps.Clone(ok.Values)
		for _, e := range form.Validate(&ok, today) {
			if e.Code != CodeRequired {
				t.Fatalf("accepted once, refused again: %+v (values %q)", e, before)
			}
		}
		if !maps.Equal(before, ok.Values) {
			t.Fatalf("second pass changed %q into %q", before, ok.Values)
		}
	})
}
