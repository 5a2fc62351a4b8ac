package queue

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzCentreJSON feeds arbitrary centre configurations (as an admin's PUT
// would) through normalisation and validation; whatever validates must
// then run a day of tickets without panicking.
func FuzzCentreJSON(f *testing.F) {
	good, _ := json.Marshal(testCentre())
	f.Add(good)
	f.Add([]byte(`{"id":"x","name":"y","services":[{"code":"A","name":"n"}],"counters":[{"number":1,"services":["A"]}],"hours":[{"weekday":1,"open":"24:00","close":"07:00"}]}`))
	f.Add([]byte(`{"id":"x","name":"y","timezone":"Local","services":[{"code":"a","name":"n","bookable":true}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var c Centre
		if json.Unmarshal(raw, &c) != nil {
			return
		}
		c.Normalize()
		if c.Validate() != nil {
			return
		}
		n := 0
		l := NewLive(c, day0, func() string { n++; return string(rune('a'+n%26)) + time.Duration(n).String() })
		for i, s := range c.Services {
			if _, err := l.Issue(day0.Add(time.Duration(i)*time.Second), IssueRequest{Service: s.Code}); err != nil {
				t.Fatalf("issue %s on a valid centre: %v", s.Code, err)
			}
		}
		for _, k := range c.Counters {
			if _, _, err := l.Next(day0.Add(time.Minute), k.Number, "c"); err != nil {
				t.Fatalf("next at counter %d: %v", k.Number, err)
			}
		}
		l.Queue(day0.Add(2 * time.Minute))
		c.OpenAt(day0, l.Location())
		l.TakeChanges()
	})
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"07:30", "24:00", "23:59", "7:30", "ab:cd", "12:60"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := ParseClock(s)
		if ok && (m < 0 || m > 24*60 || len(s) != 5) {
			t.Fatalf("ParseClock(%q) = %d, true", s, m)
		}
	})
}

// FuzzNotifyRequest: whatever phone and e-mail a citizen types, asking to
// be told either refuses with a field named and changes nothing, or keeps
// exactly the normalised phone and the e-mail given.
func FuzzNotifyRequest(f *testing.F) {
	f.Add("0912345678", "an@example.vn", true)
	f.Add("+84 912 345 678", "", true)
	f.Add("", "Tên <a@b.vn>", true)
	f.Add("0912345678", "", false)
	f.Add("09123456789", "a@@b", true)
	f.Fuzz(func(t *testing.T, phone, email string, consent bool) {
		c := testCentre()
		l := NewLive(c, day0, func() string { return "t1" })
		tk, _ := l.Issue(day0, IssueRequest{Service: "A"})
		l.TakeChanges()
		got, err := l.SetTicketNotify(day0, tk.ID, NotifyRequest{Phone: phone, Email: email, Consent: consent}, "public")
		ch := l.TakeChanges()
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Field == "" || !ch.Empty() {
				t.Fatalf("refusal %v changed %+v", err, ch)
			}
			return
		}
		if len(ch.Contacts) != 1 {
			t.Fatalf("contacts %+v", ch.Contacts)
		}
		c0 := ch.Contacts[0]
		if c0.Email != email || (phone != "" && (c0.Phone == "" || len(c0.Phone) != 10)) || len(got.Notify) != len(c0.Channels()) {
			t.Fatalf("kept %+v for %q %q", c0, phone, email)
		}
	})
}

// FuzzCheckProcedureQuestion: whatever is typed, a question is refused on
// q, or kept normalised (checking it again keeps it as it is) within the
// length, with no run of 9 digits in it.
func FuzzCheckProcedureQuestion(f *testing.F) {
	for _, s := range []string{"làm giấy khai sinh cho con", "cccd 001203004567", "0912 345 678", "an@b.vn", "+84", "a\x00b", "Ố  Ố", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := CheckProcedureQuestion(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Field != "q" || e.VI == "" {
				t.Fatalf("refusal %#v", err)
			}
			return
		}
		again, err := CheckProcedureQuestion(got)
		if err != nil || again != got {
			t.Fatalf("%q kept as %q, checked again: %q %v", q, got, again, err)
		}
		if utf8.RuneCountInString(got) > MaxProcedureQuestion || got == "" {
			t.Fatalf("kept %q", got)
		}
		digits := 0
		for _, r := range got {
			if r >= '0' && r <= '9' {
				digits++
			} else {
				digits = 0
			}
			if digits >= 9 {
				t.Fatalf("kept %q with 9 digits", got)
			}
		}
	})
}
