package procedures_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"xephang/queue-server/forms"
	"xephang/queue-server/procedures"
)

func readDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = b
	}
	return files
}

func fixture(t testing.TB) *procedures.Catalogue {
	t.Helper()
	c, err := procedures.Parse(readDir(t, "testdata/fixture"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFixture(t *testing.T) {
	c := fixture(t)
	if n := len(c.All()); n != 6 {
		t.Fatalf("%d procedures, want 6", n)
	}
	for q, want := range map[string]string{
		"làm giấy khai sinh cho con": "khai-sinh",
		"lam giay khai sinh":         "khai-sinh",
		"khai sinhf cho con":         "khai-sinh",
		"đăng ký kết hôn cần gì":     "ket-hon",
		"dang ki ket hon":            "ket-hon",
		"làm sổ hồng lần đầu":        "dat-dai-lan-dau",
		"nhập hộ khẩu cho vợ":        "thuong-tru",
		"công chứng bản sao giấy tờ": "chung-thuc-ban-sao",
		"xin bản sao giấy khai sinh": "trich-luc-ho-tich",
		"ddawng kys thuongwf trus":   "thuong-tru",
	} {
		a := c.Ask(q)
		if !a.Understood || a.Best.Procedure.ID != want {
			t.Errorf("Ask(%q) = %s, want %s", q, describe(a), want)
		}
	}
	for _, q := range []string{"", "thời tiết hôm nay thế nào", "mua vé máy bay đi Đà Nẵng", "???"} {
		if a := c.Ask(q); a.Understood || a.Best != nil {
			t.Errorf("Ask(%q) = %s, want not understood", q, describe(a))
		}
	}
	if p, ok := c.Procedure("thuong-tru"); !ok || p.Field != "cu-tru" || p.Service != "" || p.Where == "" {
		t.Errorf("Procedure(thuong-tru) = %+v, %v", p, ok)
	}
	if ms := c.Search("khai sinh", 2); len(ms) == 0 || len(ms) > 2 || ms[0].Procedure.ID != "khai-sinh" {
		t.Errorf("Search(khai sinh, 2) = %v", ms)
	}
}

func describe(a procedures.Answer) string {
	if a.Best == nil {
		return "not understood"
	}
	s := a.Best.Procedure.ID
	for _, o := range a.Others {
		s += ", " + o.Procedure.ID
	}
	return s
}

// Parse refuses what the kiosk could not show or the counter could not serve.
func TestParseRejects(t *testing.T) {
	base := readDir(t, "testdata/fixture")
	edit := func(file string, f func(m map[string]any)) map[string][]byte {
		var m map[string]any
		if err := json.Unmarshal(base[file], &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		files := map[string][]byte{}
		for k, v := range base {
			files[k] = v
		}
		files[file] = b
		return files
	}
	proc := func(m map[string]any) map[string]any { return m["procedures"].([]any)[0].(map[string]any) }
	cases := map[string]map[string][]byte{
		"unknown service": edit("ho-tich.json", func(m map[string]any) { proc(m)["service"] = "Z" }),
		"bad date":        edit("ho-tich.json", func(m map[string]any) { m["checked"] = "05/12/2026" }),
		"bad legal date": edit("ho-tich.json", func(m map[string]any) {
			proc(m)["legal_basis"] = []any{map[string]any{"text": "x", "date": "2014-13-01"}}
		}),
		"duplicate id":       edit("chung-thuc.json", func(m map[string]any) { proc(m)["id"] = "khai-sinh" }),
		"no name":            edit("ho-tich.json", func(m map[string]any) { proc(m)["name"] = "" }),
		"no papers":          edit("ho-tich.json", func(m map[string]any) { proc(m)["papers"] = []any{} }),
		"bad paper kind":     edit("ho-tich.json", func(m map[string]any) { proc(m)["papers"].([]any)[0].(map[string]any)["kind"] = "scan" }),
		"elsewhere no where": edit("cu-tru.json", func(m map[string]any) { proc(m)["where"] = "" }),
		"bad id":             edit("ho-tich.json", func(m map[string]any) { proc(m)["id"] = "Khai Sinh" }),
		"unknown key":        edit("ho-tich.json", func(m map[string]any) { m["extra"] = 1 }),
		"field vs file":      edit("ho-tich.json", func(m map[string]any) { m["field"] = "cu-tru" }),
		"synonym alone":      {"synonyms.json": []byte(`{"synonyms":[{"terms":["a"]}]}`)},
		"not NFC":            {"synonyms.json": []byte("{\"synonyms\":[{\"terms\":[\"so\u0302\u0300\",\"x\"]}]}")},
	}
	for name, files := range cases {
		if _, err := procedures.Parse(files); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

// Every entry of the embedded catalogue is complete, names a service of the
// demo centre and a form that exists.
func TestDataComplete(t *testing.T) {
	c := procedures.Default()
	var centre struct {
		Services []struct{ Code string } `json:"services"`
	}
	b, err := os.ReadFile("../demo/centre.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &centre); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, s := range centre.Services {
		codes = append(codes, s.Code)
	}
	fs := forms.Default()
	all := c.All()
	if len(all) < 40 {
		t.Errorf("%d procedures, want at least 40", len(all))
	}
	for _, id := range []string{"khai-sinh", "ket-hon", "trich-luc-ho-tich", "chung-thuc-ban-sao", "thuong-tru", "dat-dai-lan-dau"} {
		if _, ok := c.Procedure(id); !ok {
			t.Errorf("procedure %s missing", id)
		}
	}
	for _, f := range c.Fields {
		if len(f.Sources) == 0 || f.Checked == "" {
			t.Errorf("field %s: sources and checked", f.Field)
		}
	}
	for _, p := range all {
		if p.Service != "" && !slices.Contains(codes, p.Service) {
			t.Errorf("%s: service %q not in the demo centre", p.ID, p.Service)
		}
		if p.Service == "" && p.Where == "" {
			t.Errorf("%s: no service and no where", p.ID)
		}
		if p.Form != "" {
			if _, err := fs.Form(p.Form); err != nil {
				t.Errorf("%s: form %q: %v", p.ID, p.Form, err)
			}
		}
		if (p.Code == "" && p.Verify == "") || p.FeeEN == "" || (p.Time != "" && p.TimeEN == "") || len(p.Aliases) == 0 || p.Applicants == "" {
			t.Errorf("%s: code (or verify saying why not), fee_en, time_en, aliases and applicants required", p.ID)
		}
		for _, pa := range p.Papers {
			if pa.Name == "" || pa.Count < 1 {
				t.Errorf("%s: paper %+v", p.ID, pa)
			}
		}
		for _, l := range p.LegalBasis {
			if l.Text == "" || l.Date == "" {
				t.Errorf("%s: legal basis %+v without a date", p.ID, l)
			}
		}
	}
}

// catalogue is the embedded one; PROCEDURES_FIXTURE=1 answers from the
// fixture instead (tuning before the data files exist).
func catalogue(t testing.TB) *procedures.Catalogue {
	if os.Getenv("PROCEDURES_FIXTURE") == "1" {
		return fixture(t)
	}
	return procedures.Default()
}

type question struct{ file, want, q string }

func readQuestions(t testing.TB) []question {
	t.Helper()
	// PROCEDURES_QUESTIONS narrows the sets (tuning on questions-tuned.tsv
	// alone, the blind sets measured once at the end).
	pattern := "testdata/questions-*.tsv"
	if p := os.Getenv("PROCEDURES_QUESTIONS"); p != "" {
		pattern = filepath.Join("testdata", p)
	}
	names, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	var qs []question
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			id, q, ok := strings.Cut(line, "\t")
			if !ok {
				t.Fatalf("%s: %q: want id<TAB>question", n, line)
			}
			qs = append(qs, question{filepath.Base(n), strings.TrimSpace(id), q})
		}
		f.Close()
	}
	return qs
}

// The proof: each question set's top-1 and top-3, asserted on the whole.
// "-" questions count as right when the answer is "not understood".
func TestQuestions(t *testing.T) {
	c := catalogue(t)
	qs := readQuestions(t)
	type tally struct{ n, top1, top3 int }
	per := map[string]*tally{}
	all := &tally{}
	for _, q := range qs {
		if q.want != "-" {
			if _, ok := c.Procedure(q.want); !ok {
				t.Errorf("%s: unknown procedure %q", q.file, q.want)
			}
		}
		a := c.Ask(q.q)
		var ids []string
		if a.Best != nil {
			ids = append(ids, a.Best.Procedure.ID)
			for _, o := range a.Others {
				ids = append(ids, o.Procedure.ID)
			}
		}
		t1, t3 := false, false
		if q.want == "-" {
			t1, t3 = !a.Understood, !a.Understood
		} else {
			t1 = len(ids) > 0 && ids[0] == q.want
			if ms := c.Search(q.q, 3); a.Understood && len(ms) > 0 {
				for _, m := range ms {
					t3 = t3 || m.Procedure.ID == q.want
				}
			}
		}
		if per[q.file] == nil {
			per[q.file] = &tally{}
		}
		for _, x := range []*tally{per[q.file], all} {
			x.n++
			if t1 {
				x.top1++
			}
			if t3 {
				x.top3++
			}
		}
		if !t1 && testing.Verbose() {
			t.Logf("miss %s (top-3 %v): %q want %s got %s", q.file, t3, q.q, q.want, describe(a))
		}
	}
	files := make([]string, 0, len(per))
	for f := range per {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, f := range files {
		x := per[f]
		t.Logf("%s: %d questions, top-1 %.3f, top-3 %.3f", f, x.n, float64(x.top1)/float64(x.n), float64(x.top3)/float64(x.n))
	}
	if all.n < 150 {
		t.Fatalf("%d questions, want at least 150", all.n)
	}
	t1, t3 := float64(all.top1)/float64(all.n), float64(all.top3)/float64(all.n)
	t.Logf("all: %d questions, top-1 %.3f, top-3 %.3f", all.n, t1, t3)
	if t1 < 0.90 || t3 < 0.98 {
		t.Errorf("top-1 %.3f (want ≥ 0.90), top-3 %.3f (want ≥ 0.98)", t1, t3)
	}
}
