package queue

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Questions asked of the procedure guidance (issue 20) are counted per
// centre and day, so that the admin sees what people ask and what the
// catalogue did not understand. A question is kept only when it carries no
// personal data (CheckProcedureQuestion), and for ProcedureQuestionKeepDays.

// ProcedureQuestionKeepDays is how long a day's counts are kept.
const ProcedureQuestionKeepDays = 90

// MaxProcedureQuestion is the longest question kept, in characters.
const MaxProcedureQuestion = 200

// ProcedureQuestion is one question asked at a centre.
type ProcedureQuestion struct {
	Centre string
	// Day is the centre's local day (YYYY-MM-DD) it was asked on.
	Day string
	// Q is the question as CheckProcedureQuestion normalised it.
	Q string
	// Chosen is the procedure the asker took ("" when none).
	Chosen     string
	Understood bool
	At         time.Time
}

// ProcedureQuestionDay is what a store keeps: a question's counts on one
// day at one centre.
type ProcedureQuestionDay struct {
	Centre string `json:"centre"`
	Day    string `json:"day"`
	Q      string `json:"q"`
	Count  int    `json:"count"`
	// Unanswered counts the times it was not understood.
	Unanswered int            `json:"unanswered"`
	LastAt     time.Time      `json:"last_at"`
	Chosen     map[string]int `json:"chosen,omitempty"`
}

// Add counts one more asking of the day's question.
func (d *ProcedureQuestionDay) Add(q ProcedureQuestion) {
	d.Centre, d.Day, d.Q = q.Centre, q.Day, q.Q
	d.Count++
	if !q.Understood {
		d.Unanswered++
	}
	if q.At.After(d.LastAt) {
		d.LastAt = q.At
	}
	if q.Chosen != "" {
		if d.Chosen == nil {
			d.Chosen = map[string]int{}
		}
		d.Chosen[q.Chosen]++
	}
}

// ProcedureQuestionCount is a question's counts over several days.
type ProcedureQuestionCount struct {
	Q          string         `json:"q"`
	Count      int            `json:"count"`
	Unanswered int            `json:"unanswered"`
	LastAt     time.Time      `json:"last_at"`
	Chosen     map[string]int `json:"chosen"`
}

// ProcedureQuestions keeps the counts of questions asked.
type ProcedureQuestions interface {
	// CountProcedureQuestion adds one asking to its day's counts.
	CountProcedureQuestion(q ProcedureQuestion) error
	// PutProcedureQuestionDay keeps a day's counts as they are, replacing
	// those kept (the copy from one store to another).
	PutProcedureQuestionDay(d ProcedureQuestionDay) error
	// ProcedureQuestionDays returns a centre's counts of the days from
	// since (YYYY-MM-DD, included) on, in no particular order.
	ProcedureQuestionDays(centre, since string) ([]ProcedureQuestionDay, error)
	// PurgeProcedureQuestions erases the counts of the days before
	// before (YYYY-MM-DD) at every centre and returns how many it erased.
	PurgeProcedureQuestions(before string) (int, error)
}

// SumProcedureQuestions adds the days' counts up by question, most
// frequent first (then the latest first, then by text); unanswered keeps
// only the questions not understood at least once.
func SumProcedureQuestions(days []ProcedureQuestionDay, unanswered bool) []ProcedureQuestionCount {
	by := map[string]*ProcedureQuestionCount{}
	for _, d := range days {
		c := by[d.Q]
		if c == nil {
			c = &ProcedureQuestionCount{Q: d.Q, Chosen: map[string]int{}}
			by[d.Q] = c
		}
		c.Count += d.Count
		c.Unanswered += d.Unanswered
		if d.LastAt.After(c.LastAt) {
			c.LastAt = d.LastAt
		}
		for id, n := range d.Chosen {
			c.Chosen[id] += n
		}
	}
	out := []ProcedureQuestionCount{}
	for _, q := range slices.Sorted(maps.Keys(by)) {
		if c := by[q]; !unanswered || c.Unanswered > 0 {
			out = append(out, *c)
		}
	}
	slices.SortStableFunc(out, func(a, b ProcedureQuestionCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return b.LastAt.Compare(a.LastAt)
	})
	return out
}

// CheckProcedureQuestion normalises a question to keep (NFC, lower case,
// spaces collapsed) and refuses one that may carry personal data: a run of
// 9 or more digits (an ID or a phone number, spaces, dots and dashes
// between the digits included), an e-mail address, or a phone number
// written as +84….
func CheckProcedureQuestion(q string) (string, error) {
	q = strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(q))), " ")
	if q == "" {
		return "", Errorf(EInvalid, "q: the question is empty", "q: câu hỏi đang để trống").At("q")
	}
	if n := len([]rune(q)); n > MaxProcedureQuestion {
		return "", Errorf(EInvalid, "q: a question is at most %d characters", "q: câu hỏi tối đa %d ký tự", MaxProcedureQuestion).At("q")
	}
	for _, r := range q {
		if unicode.IsControl(r) {
			return "", Errorf(EInvalid, "q: control characters are not allowed", "q: câu hỏi có ký tự điều khiển không hợp lệ").At("q")
		}
	}
	if personalShape(q) {
		return "", Errorf(EInvalid, "q: the question seems to carry personal data (an ID or phone number, an e-mail address): ask without it",
			"q: câu hỏi có vẻ chứa thông tin cá nhân (số giấy tờ, số điện thoại, thư điện tử): vui lòng hỏi lại mà không ghi các thông tin đó").At("q")
	}
	return q, nil
}

// personalShape reports a run of 9+ digits (separators allowed between
// them), an "@" between two word characters, or "+84" before a digit.
func personalShape(q string) bool {
	digits := 0
	rs := []rune(q)
	for i, r := range rs {
		switch {
		case r >= '0' && r <= '9':
			digits++
			if digits >= 9 {
				return true
			}
		case (r == ' ' || r == '.' || r == '-') && digits > 0 && i+1 < len(rs) && rs[i+1] >= '0' && rs[i+1] <= '9':
			// a separator inside a number: 0912 345 678, 0912.345.678
		default:
			digits = 0
		}
		if r == '@' && i > 0 && i+1 < len(rs) && isWordRune(rs[i-1]) && isWordRune(rs[i+1]) {
			return true
		}
	}
	return strings.Contains(strings.ReplaceAll(q, " ", ""), "+84")
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-'
}
