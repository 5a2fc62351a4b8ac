package main

import (
	"xephang/kiosk/flow"
	"xephang/queue-server/procedures"
)

// procedureGuide answers the lookup flow's questions from the procedure
// catalogue (offline: it is embedded, like the server's).
func procedureGuide(c *procedures.Catalogue) flow.Guide {
	return func(q string) (*flow.GuideProcedure, []flow.GuideProcedure, bool) {
		a := c.Ask(q)
		if !a.Understood || a.Best == nil {
			return nil, nil, false
		}
		best := guideProcedure(a.Best)
		var others []flow.GuideProcedure
		for i := range a.Others {
			others = append(others, guideProcedure(&a.Others[i]))
		}
		return &best, others, true
	}
}

func guideProcedure(m *procedures.Match) flow.GuideProcedure {
	p := m.Procedure
	g := flow.GuideProcedure{ID: p.ID, Name: p.Name, NameEN: p.NameEN, Fee: p.Fee, FeeEN: p.FeeEN, Time: p.Time,
		TimeEN: p.TimeEN, Where: p.Where, Form: p.Form, FormName: p.FormName, ServiceCode: p.Service, Score: m.Score,
		Papers: []flow.GuidePaper{}}
	for _, x := range p.Papers {
		g.Papers = append(g.Papers, flow.GuidePaper{Name: x.Name, Count: x.Count, Kind: x.Kind, Note: x.Note})
	}
	return g
}
