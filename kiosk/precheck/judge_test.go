package precheck

import (
	"strings"
	"testing"
	"time"

	"xephang/kiosk/catalogue"
)

// A page OCR read well whose labels were not all found is present, with
// the fields staff must read listed; only a page OCR could not read is
// unreadable.
func TestJudgeUnreadableOnlyWhenOCRSaysSo(t *testing.T) {
	cat := catalogue.Default()
	c := &Checker{cat: cat, labels: DefaultLabels(), now: func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) }}
	proc, _ := cat.Procedure("khai-sinh")
	k := cat.Kind("giay-chung-sinh")
	read := func(conf float64, good int) pageRead {
		ex := ExtractFields(k, textOf("GIẤY CHỨNG SINH\nHọ và tên mẹ/người nuôi dưỡng: LÊ THỊ HUYỀN\nCân nặng: 3,2 kg"), DefaultLabels())
		return pageRead{
			res:    PageResult{Page: 1, Kind: k.ID, Score: 1, Problems: []string{}, ProblemsEN: []string{}},
			text:   &Text{Conf: conf, Words: 100, Good: good},
			fields: ex.Values, missing: ex.Missing,
		}
	}
	for _, tc := range []struct {
		name       string
		conf       float64
		good       int
		want       Status
		wantReason string
	}{
		{"clean page, other wording", 95, 99, Present, "Cán bộ sẽ kiểm tra"},
		{"faint, noisy page", 68, 70, Unreadable, "Xin quét lại"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.judge(proc, []pageRead{read(tc.conf, tc.good)}, nil)
			d := res.Documents[1]
			if d.Status != tc.want || !strings.Contains(strings.Join(d.Reasons, " "), tc.wantReason) {
				t.Fatalf("%s %q", d.Status, d.Reasons)
			}
			if len(d.MissingFields) != 4 || res.Fields["mother_name"] != "LÊ THỊ HUYỀN" {
				t.Fatalf("missing %+v, fields %v", d.MissingFields, res.Fields)
			}
			for _, m := range d.MissingFields {
				if m.Page != 1 || m.Label == "" || !strings.Contains(m.Reason, m.Label) || m.ReasonEN == "" {
					t.Errorf("%+v", m)
				}
			}
		})
	}
}
