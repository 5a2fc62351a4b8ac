package queue_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

func TestCheckProcedureQuestion(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"  Làm giấy  KHAI SINH cho con\tcần gì ", "làm giấy khai sinh cho con cần gì"},
		{"Lam giay khai sinh", "lam giay khai sinh"},
		{"chứng thực 3 bản sao sổ đỏ", "chứng thực 3 bản sao sổ đỏ"},
		{"phí 12000 đồng 2024", "phí 12000 đồng 2024"},
		{"đất 12345678 m2", "đất 12345678 m2"}, // 8 digits: not an ID
		{"làm sổ đỏ @ xã", "làm sổ đỏ @ xã"},
		{"Cho\u0302\u0301ng thực", "chống thực"}, // NFC
	} {
		got, err := queue.CheckProcedureQuestion(c.in)
		if err != nil || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{
		"", "   ",
		"khai sinh cho con số cccd 001203004567",
		"gọi cho tôi 0912345678",
		"gọi 0912 345 678 nhé",
		"sđt 0912.345.678",
		"gửi kết quả về an.nguyen@gmail.com",
		"liên hệ +84 912 345",
		"x" + strings.Repeat("a", queue.MaxProcedureQuestion),
		"khai\x00sinh",
	} {
		_, err := queue.CheckProcedureQuestion(in)
		if queue.ErrorCode(err) != queue.EInvalid {
			t.Errorf("%q: %v, want invalid", in, err)
			continue
		}
		var e *queue.Error
		if !errors.As(err, &e) || !strings.HasPrefix(e.VI, "q: ") || e.Field != "q" {
			t.Errorf("%q: %#v, want a Vietnamese message about q", in, err)
		}
	}
}

func TestSumProcedureQuestions(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var d1, d2, d3 queue.ProcedureQuestionDay
	d1.Add(queue.ProcedureQuestion{Centre: "c", Day: "2026-12-01", Q: "sổ đỏ", Chosen: "dat-dai-lan-dau", Understood: true, At: at})
	d1.Add(queue.ProcedureQuestion{Centre: "c", Day: "2026-12-01", Q: "sổ đỏ", Understood: false, At: at.Add(time.Hour)})
	d2.Add(queue.ProcedureQuestion{Centre: "c", Day: "2026-12-02", Q: "sổ đỏ", Chosen: "dat-dai-lan-dau", Understood: true, At: at.AddDate(0, 0, 1)})
	d3.Add(queue.ProcedureQuestion{Centre: "c", Day: "2026-12-02", Q: "khai sinh", Chosen: "khai-sinh", Understood: true, At: at.AddDate(0, 0, 1)})
	all := queue.SumProcedureQuestions([]queue.ProcedureQuestionDay{d3, d1, d2}, false)
	if len(all) != 2 || all[0].Q != "sổ đỏ" || all[0].Count != 3 || all[0].Unanswered != 1 || all[0].Chosen["dat-dai-lan-dau"] != 2 ||
		!all[0].LastAt.Equal(at.AddDate(0, 0, 1)) || all[1].Q != "khai sinh" {
		t.Errorf("all: %+v", all)
	}
	un := queue.SumProcedureQuestions([]queue.ProcedureQuestionDay{d3, d1, d2}, true)
	if len(un) != 1 || un[0].Q != "sổ đỏ" {
		t.Errorf("unanswered: %+v", un)
	}
	if got := queue.SumProcedureQuestions(nil, true); got == nil || len(got) != 0 {
		t.Errorf("none: %#v, want []", got)
	}
}
