package flow

import (
	"strings"

	"xephang/kiosk/catalogue"
)

// The lookup flow: the catalogue's procedures, their papers and fees.

// Procedure is a procedure of the catalogue as the lookup flow shows it.
type Procedure struct {
	ID               string           `json:"id"`
	Name             string           `json:"name"`
	NameEN           string           `json:"name_en"`
	Fee              string           `json:"fee"`
	FeeEN            string           `json:"fee_en"`
	ProcessingTime   string           `json:"processing_time"`
	ProcessingTimeEN string           `json:"processing_time_en"`
	Papers           []ProcedurePaper `json:"papers"`
}

// ProcedurePaper is one paper a procedure asks for.
type ProcedurePaper struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
	Note     string `json:"note,omitempty"`
}

// Procedures lists the catalogue's procedures whose name matches query
// (with or without diacritics); all for "".
func (k *Kiosk) Procedures(query string) []Procedure {
	q := Fold(query)
	out := []Procedure{}
	for _, p := range catalogue.Default().Procedures {
		if q != "" && !strings.Contains(Fold(p.Name), q) && !strings.Contains(Fold(p.NameEN), q) {
			continue
		}
		pr := Procedure{ID: p.ID, Name: p.Name, NameEN: p.NameEN, Fee: p.Fee, FeeEN: p.FeeEN,
			ProcessingTime: p.ProcessingTime, ProcessingTimeEN: p.ProcessingTimeEN, Papers: []ProcedurePaper{}}
		for _, d := range p.Documents {
			pr.Papers = append(pr.Papers, ProcedurePaper{Name: d.Name, Required: d.Required, Note: d.Note})
		}
		out = append(out, pr)
	}
	return out
}
