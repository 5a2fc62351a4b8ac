package forms_test

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"xephang/queue-server/forms"
	"xephang/queue-server/forms/formstest"
)

// TestCardFieldsLandExactly: for the six procedures and every card of the
// generated set, each field the form takes from the card is prefilled,
// validates, and is printed exactly (NFC) on one line of the PDF's text.
func TestCardFieldsLandExactly(t *testing.T) {
	today := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	cards := formstest.Cards()
	var all []string
	for _, p := range cards {
		all = append(all, p.Name)
	}
	names := norm.NFC.String(strings.ToLower(strings.Join(all, " ")))
	for _, v := range formstest.Vowels {
		for _, tone := range formstest.Tones {
			if !strings.Contains(names, norm.NFC.String(v+tone)) {
				t.Errorf("no name of the set has %q", norm.NFC.String(v+tone))
			}
		}
	}
	set := forms.Default().Forms()
	if len(set) != 6 {
		t.Fatalf("%d forms", len(set))
	}
	for _, f := range set {
		t.Run(f.Procedure, func(t *testing.T) {
			for _, p := range cards {
				v := forms.Filled{Procedure: f.Procedure, Values: f.Prefill(p, "card", today), Sources: map[string]string{}}
				for k := range v.Values {
					v.Sources[k] = "card"
				}
				for _, e := range f.Validate(&v, today) {
					if e.Code != forms.CodeRequired {
						t.Errorf("%s: %+v", p.Name, e)
					}
				}
				pdf, err := f.PDF(&v, forms.RenderOptions{Now: today})
				if err != nil {
					t.Fatal(err)
				}
				if n := formstest.CheckCard(t, f, p, formstest.PDFText(t, pdf)); n < 2 {
					t.Errorf("%s takes %d card fields of a holder of sex %s", f.Procedure, n, p.Sex)
				}
			}
		})
	}
}
