package forms

import (
	"maps"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

var today = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func TestDefault(t *testing.T) {
	s := Default()
	var ids []string
	for _, f := range s.Forms() {
		ids = append(ids, f.Procedure)
	}
	if got := strings.Join(ids, " "); got != "chung-thuc-ban-sao dat-dai-lan-dau ket-hon khai-sinh thuong-tru trich-luc-ho-tich" {
		t.Fatalf("forms = %s", got)
	}
	if _, err := s.Form("nope"); err != ErrUnknown {
		t.Fatalf("unknown procedure: %v", err)
	}
	f, _ := s.Form("khai-sinh")
	if fd, ok := f.Field("child_birth_date_words"); !ok || fd.From != "child_birth_date" {
		t.Fatalf("Field = %+v %v", fd, ok)
	}
}

func TestParseRefuses(t *testing.T) {
	good := `{"procedure":"p","version":"2026-12-05","title":"T","template":"M","legal_basis":"L","sections":[{"fields":[%s]}],"signature":{"label":"S"%s}}`
	form := func(fields, sig string) map[string][]byte {
		return map[string][]byte{"defs/p.json": []byte(strings.Replace(strings.Replace(good, "%s", fields, 1), "%s", sig, 1))}
	}
	if _, err := Parse(form(`{"name":"a","label":"A","type":"text"}`, "")); err != nil {
		t.Fatalf("good form refused: %v", err)
	}
	for name, files := range map[string]map[string][]byte{
		"file name":        {"q.json": form(`{"name":"a","label":"A","type":"text"}`, "")["defs/p.json"]},
		"unknown type":     form(`{"name":"a","label":"A","type":"colour"}`, ""),
		"unknown source":   form(`{"name":"a","label":"A","type":"text","source":"card.eyes"}`, ""),
		"unknown key":      form(`{"name":"a","label":"A","type":"text","colour":"red"}`, ""),
		"twice":            form(`{"name":"a","label":"A","type":"text"},{"name":"a","label":"B","type":"text"}`, ""),
		"bad name":         form(`{"name":"A b","label":"A","type":"text"}`, ""),
		"choice no option": form(`{"name":"a","label":"A","type":"choice"}`, ""),
		"option elsewhere": form(`{"name":"a","label":"A","type":"text","options":[{"value":"x","label":"X"}]}`, ""),
		"bad pattern":      form(`{"name":"a","label":"A","type":"text","pattern":"(","pattern_message":"x"}`, ""),
		"words no date":    form(`{"name":"a","label":"A","type":"text"},{"name":"w","label":"W","type":"date_words","from":"a"}`, ""),
		"signature field":  form(`{"name":"a","label":"A","type":"text"}`, `,"name_field":"b"`),
		"not NFC":          form(`{"name":"a","label":"`+norm.NFD.String("Họ tên")+`","type":"text"}`, ""),
		"not JSON":         {"p.json": []byte(`{`)},
	} {
		if _, err := Parse(files); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidate(t *testing.T) {
	f, _ := Default().Form("khai-sinh")
	base := map[string]string{
		"applicant_name": "Nguyễn Văn An", "applicant_id_number": "001090012345", "applicant_address": "Số 1 Tràng Tiền, Hà Nội",
		"applicant_relation": "Cha", "child_name": "Nguyễn Thị Bình", "child_birth_date": "2026-11-20", "child_sex": "F",
		"child_ethnicity": "Kinh", "child_nationality": "Việt Nam", "child_birth_place": "Bệnh viện Phụ sản Hà Nội",
	}
	tests := []struct {
		name   string
		change map[string]string // "" deletes
		field  string
		code   string
		vi     string // part of the Vietnamese message
	}{
		{"complete", nil, "", "", ""},
		{"required missing", map[string]string{"child_name": ""}, "child_name", CodeRequired, "chưa điền họ, chữ đệm, tên"},
		{"required blank", map[string]string{"child_name": "   "}, "child_name", CodeRequired, "chưa điền"},
		{"unknown field", map[string]string{"eye_colour": "nâu"}, "eye_colour", CodeUnknownField, "không có mục này"},
		{"name with digits", map[string]string{"child_name": "Bình 2"}, "child_name", CodeInvalid, "chữ số"},
		{"name too long", map[string]string{"child_name": strings.Repeat("a", 101)}, "child_name", CodeTooLong, "tối đa 100 ký tự"},
		{"id 11 digits", map[string]string{"applicant_id_number": "00109001234"}, "applicant_id_number", CodeInvalid, "12 chữ số"},
		{"id province", map[string]string{"applicant_id_number": "003090012345"}, "applicant_id_number", CodeInvalid, "mã tỉnh"},
		{"id century", map[string]string{"applicant_id_number": "001990012345"}, "applicant_id_number", CodeInvalid, "thế kỷ"},
		{"date not real", map[string]string{"child_birth_date": "2026-02-30"}, "child_birth_date", CodeInvalid, "ngày không có thật"},
		{"date format", map[string]string{"child_birth_date": "20/11/2026"}, "child_birth_date", CodeInvalid, "năm-tháng-ngày"},
		{"date future", map[string]string{"child_birth_date": "2026-12-06"}, "child_birth_date", CodeFutureDate, "sau hôm nay"},
		{"date today", map[string]string{"child_birth_date": "2026-12-05"}, "", "", ""},
		{"year", map[string]string{"mother_birth_year": "95"}, "mother_birth_year", CodeInvalid, "4 chữ số"},
		{"year future", map[string]string{"mother_birth_year": "2027"}, "mother_birth_year", CodeFutureDate, "năm sau năm nay"},
		{"sex", map[string]string{"child_sex": "X"}, "child_sex", CodeInvalid, "Nam hoặc Nữ"},
		{"choice", map[string]string{"copies_wanted": "maybe"}, "copies_wanted", CodeInvalid, "Có; Không"},
		{"pattern", map[string]string{"copies": "0"}, "copies", CodeInvalid, "từ 1 đến 99 bản"},
		{"number", map[string]string{"copies": "a"}, "copies", CodeInvalid, "chữ số"},
		{"phone", map[string]string{"applicant_phone": "0123"}, "applicant_phone", CodeInvalid, "số điện thoại di động"},
		{"text line break", map[string]string{"child_birth_place": "Hà\nNội"}, "child_birth_place", CodeInvalid, "điều khiển"},
		{"text bidi", map[string]string{"child_birth_place": "Hà\u202eNội"}, "child_birth_place", CodeInvalid, "ẩn"},
		{"text max", map[string]string{"applicant_relation": strings.Repeat("ơ", 51)}, "applicant_relation", CodeTooLong, "tối đa 50 ký tự"},
		{"not UTF-8", map[string]string{"child_birth_place": "\xff"}, "child_birth_place", CodeInvalid, "không hợp lệ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Filled{Procedure: "khai-sinh", Values: maps.Clone(base)}
			for k, x := range tt.change {
				if x == "" {
					delete(v.Values, k)
				} else {
					v.Values[k] = x
				}
			}
			errs := f.Validate(&v, today)
			if tt.code == "" {
				if len(errs) != 0 {
					t.Fatalf("errors %+v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.field || errs[0].Code != tt.code || !strings.Contains(errs[0].Message, tt.vi) || errs[0].MessageEN == "" {
				t.Fatalf("errors %+v, want one %s on %s with %q", errs, tt.code, tt.field, tt.vi)
			}
		})
	}
}

func TestRequiredMessage(t *testing.T) {
	f, _ := Default().Form("thuong-tru")
	errs := f.Validate(&Filled{Procedure: "thuong-tru"}, today)
	if len(errs) == 0 || errs[0].Field != "applicant_name" || errs[0].Message != "chưa điền họ, chữ đệm và tên" || errs[0].MessageEN != "required" {
		t.Fatalf("%+v", errs)
	}
}

func TestValidateNormalises(t *testing.T) {
	f, _ := Default().Form("thuong-tru")
	v := Filled{Procedure: "thuong-tru", Values: map[string]string{
		"applicant_name":       norm.NFD.String("  Trần   Thị Thuỷ "),
		"applicant_birth_date": "1990-04-21", "applicant_sex": "nữ", "applicant_id_number": "001 190 012 345",
		"applicant_phone": "+84 912.345.678", "request": norm.NFD.String("Đăng ký thường trú"), "residence_address": "Số 5 ngõ Huế, Hà Nội",
	}, Sources: map[string]string{"applicant_name": "card", "applicant_phone": "sms", "ghost": "card"}}
	if errs := f.Validate(&v, today); len(errs) != 0 {
		t.Fatalf("errors %+v", errs)
	}
	want := map[string]string{"applicant_name": "Trần Thị Thuỷ", "applicant_sex": "F", "applicant_id_number": "001190012345",
		"applicant_phone": "0912345678", "request": "Đăng ký thường trú"}
	for k, w := range want {
		if v.Values[k] != w {
			t.Errorf("%s = %q, want %q", k, v.Values[k], w)
		}
	}
	if v.Version != f.Version || len(v.Sources) != 1 || v.Sources["applicant_name"] != "card" {
		t.Errorf("version %q sources %v", v.Version, v.Sources)
	}
	ks, _ := Default().Form("khai-sinh")
	w := Filled{Procedure: "khai-sinh", Values: map[string]string{"child_birth_date": "2024-04-21", "child_birth_date_words": "typed"}}
	ks.Validate(&w, today)
	if got := w.Values["child_birth_date_words"]; got != "Ngày hai mươi mốt tháng tư năm hai nghìn không trăm hai mươi bốn" {
		t.Errorf("words = %q", got)
	}
	if errs := ks.Validate(&Filled{Procedure: "ket-hon"}, today); len(errs) != 1 || errs[0].Code != CodeInvalid {
		t.Errorf("other procedure: %+v", errs)
	}
	old := Filled{Procedure: "khai-sinh", Version: "2001-01-01"}
	if errs := ks.Validate(&old, today); len(errs) == 0 || errs[0].Code != CodeRequired || old.Version != "2001-01-01" {
		t.Errorf("older version: %+v %q", errs, old.Version)
	}
}

func TestDateWords(t *testing.T) {
	for d, want := range map[string]string{
		"2024-04-21": "Ngày hai mươi mốt tháng tư năm hai nghìn không trăm hai mươi bốn",
		"2005-01-05": "Ngày năm tháng một năm hai nghìn không trăm linh năm",
		"1999-12-15": "Ngày mười lăm tháng mười hai năm một nghìn chín trăm chín mươi chín",
		"2000-10-10": "Ngày mười tháng mười năm hai nghìn",
		"2010-11-30": "Ngày ba mươi tháng mười một năm hai nghìn không trăm mười",
		"1905-05-25": "Ngày hai mươi lăm tháng năm năm một nghìn chín trăm linh năm",
		"2100-02-01": "Ngày một tháng hai năm hai nghìn một trăm",
	} {
		tm, _ := time.Parse(time.DateOnly, d)
		if got := DateWords(tm); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}
