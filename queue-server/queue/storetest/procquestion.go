package storetest

import (
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// ProcedureQuestions returns the store's queue.ProcedureQuestions, failing
// the test when it has none.
func ProcedureQuestions(t testing.TB, s queue.Store) queue.ProcedureQuestions {
	t.Helper()
	p, ok := s.(queue.ProcedureQuestions)
	if !ok {
		t.Fatalf("%T is not a queue.ProcedureQuestions", s)
	}
	return p
}

// testProcedureQuestions: askings add up per centre, day and question
// (chosen procedures and not-understood ones counted), a reopened store
// has them, a centre sees only its own days from since on, and the purge
// erases the days before its cutoff at every centre; a day put as it is
// replaces its counts.
func testProcedureQuestions(t *testing.T, open Open) {
	s, reopen := open(t)
	p := ProcedureQuestions(t, s)
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	ask := func(centre, day, q, chosen string, understood bool, at time.Time) {
		t.Helper()
		if err := p.CountProcedureQuestion(queue.ProcedureQuestion{Centre: centre, Day: day, Q: q, Chosen: chosen, Understood: understood, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	ask("phuong-d", "2026-09-01", "làm sổ đỏ", "", false, at.AddDate(0, 0, -91))
	ask("phuong-d", "2026-12-01", "làm sổ đỏ", "dat-dai-lan-dau", true, at)
	ask("phuong-d", "2026-12-01", "làm sổ đỏ", "dat-dai-lan-dau", true, at.Add(time.Minute))
	ask("phuong-d", "2026-12-01", "làm sổ đỏ", "", false, at.Add(2*time.Minute))
	ask("phuong-d", "2026-12-02", "khai sinh cho con", "khai-sinh", true, at.AddDate(0, 0, 1))
	ask("xa-khac", "2026-12-01", "làm sổ đỏ", "", false, at)
	if reopen != nil {
		p = ProcedureQuestions(t, reopen())
	}
	days, err := p.ProcedureQuestionDays("phuong-d", "2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	got := queue.SumProcedureQuestions(days, false)
	want := []queue.ProcedureQuestionCount{
		{Q: "làm sổ đỏ", Count: 3, Unanswered: 1, LastAt: at.Add(2 * time.Minute), Chosen: map[string]int{"dat-dai-lan-dau": 2}},
		{Q: "khai sinh cho con", Count: 1, LastAt: at.AddDate(0, 0, 1), Chosen: map[string]int{"khai-sinh": 1}},
	}
	sameJSON(t, "questions since 2026-12-01", got, want)
	days, err = p.ProcedureQuestionDays("phuong-d", "2026-08-01")
	if err != nil || len(days) != 3 {
		t.Errorf("days since 2026-08-01: %d %v, want 3", len(days), err)
	}
	n, err := p.PurgeProcedureQuestions("2026-12-01")
	if err != nil || n != 1 {
		t.Errorf("purge: %d %v, want 1", n, err)
	}
	if days, err = p.ProcedureQuestionDays("phuong-d", ""); err != nil || len(days) != 2 {
		t.Errorf("after the purge: %d days %v, want 2", len(days), err)
	}
	if days, err = p.ProcedureQuestionDays("xa-khac", ""); err != nil || len(days) != 1 || days[0].Unanswered != 1 {
		t.Errorf("the other centre: %+v %v", days, err)
	}
	if n, err = p.PurgeProcedureQuestions("2026-12-01"); err != nil || n != 0 {
		t.Errorf("purge again: %d %v, want 0", n, err)
	}
	// A day's counts put as they are (a copy between stores) replace
	// those kept.
	put := queue.ProcedureQuestionDay{Centre: "xa-khac", Day: "2026-12-01", Q: "làm sổ đỏ", Count: 7, Unanswered: 2, LastAt: at.Add(time.Hour),
		Chosen: map[string]int{"dat-dai-lan-dau": 5}}
	if err := p.PutProcedureQuestionDay(put); err != nil {
		t.Fatal(err)
	}
	days, err = p.ProcedureQuestionDays("xa-khac", "")
	if err != nil || len(days) != 1 {
		t.Fatalf("after the put: %+v %v", days, err)
	}
	sameJSON(t, "a day put", days[0], put)
}
