package queue

import (
	"strings"
	"testing"
)

func TestTicketID(t *testing.T) {
	random := "abcdefghijklmnopqrstuvwxyz" // 26 characters, as engine.NewID gives
	for _, day := range []string{"2000-01-01", "2026-11-24", "2026-12-31", "2100-02-28", "4870-11-25"} {
		id := TicketID(day, random)
		if len(id) != 26 || strings.Trim(id, idAlphabet) != "" {
			t.Errorf("TicketID(%s) = %q: want 26 characters of [a-z2-7]", day, id)
		}
		if got, ok := TicketDay(id); !ok || got != day {
			t.Errorf("TicketDay(TicketID(%s)) = %q %v", day, got, ok)
		}
		if !strings.HasSuffix(id, random[:randomLen]) {
			t.Errorf("TicketID(%s) = %q lost its random part", day, id)
		}
	}
	// Days that do not fit, or are not days, keep the random id alone.
	for _, day := range []string{"1999-12-31", "4870-11-26", "", "24/11/2026"} {
		if id := TicketID(day, random); id != random {
			t.Errorf("TicketID(%q) = %q, want the random id", day, id)
		}
	}
	for _, id := range []string{"", "abcd", "ABCDEFGH", "ab1d-xyz"} {
		if d, ok := TicketDay(id); ok {
			t.Errorf("TicketDay(%q) = %q, want none", id, d)
		}
	}
	// Short random parts (tests' id sources) are kept whole.
	if id := TicketID("2026-11-24", "t0001"); !strings.HasSuffix(id, "t0001") || len(id) != TagLen+5 {
		t.Errorf("short random part: %q", id)
	}
}

// FuzzTicketDay: ids come from URLs. Any string either carries no day or
// carries one that an id made for that day carries again.
func FuzzTicketDay(f *testing.F) {
	for _, s := range []string{"", "ajs7abcdefghijklmnopqrstuv", "zzzz", "ABCD1234", "7777777777", "aaaa\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		day, ok := TicketDay(id)
		if !ok {
			return
		}
		again := TicketID(day, id[TagLen:])
		if d, ok := TicketDay(again); !ok || d != day {
			t.Fatalf("TicketDay(%q) = %s, but TicketDay(TicketID(%s, …)) = %s %v", id, day, day, d, ok)
		}
	})
}
