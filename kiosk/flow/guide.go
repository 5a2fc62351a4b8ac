package flow

import (
	"context"
	"slices"
	"strings"
	"time"

	"xephang/kiosk/catalogue"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/procedures"
	"xephang/queue-server/queue"
)

// The lookup flow's questions: a citizen types what they came for in
// everyday words ("làm giấy khai sinh cho con") and the kiosk answers
// offline with the procedure, its papers, fee, time, where and the
// centre's service whose number to take.

// GuideAnswer is the answer to a question as the touchscreen shows it.
type GuideAnswer struct {
	Query      string           `json:"query"`
	Understood bool             `json:"understood"`
	Best       *GuideProcedure  `json:"best,omitempty"`
	Others     []GuideProcedure `json:"others"`
	// Counter is where to ask when the question is not understood: the
	// centre's first counter (0 when the centre is not known yet).
	Counter int `json:"counter,omitempty"`
}

// GuideProcedure is one procedure of an answer.
type GuideProcedure struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	NameEN   string       `json:"name_en"`
	Papers   []GuidePaper `json:"papers"`
	Fee      string       `json:"fee"`
	FeeEN    string       `json:"fee_en,omitempty"`
	Time     string       `json:"time"`
	TimeEN   string       `json:"time_en,omitempty"`
	Where    string       `json:"where,omitempty"`
	Form     string       `json:"form,omitempty"`
	FormName string       `json:"form_name,omitempty"`
	// ServiceCode is the catalogue's service code ("" when done elsewhere);
	// Service is that service in this centre, nil when it has none.
	ServiceCode string   `json:"service_code,omitempty"`
	Service     *Service `json:"service,omitempty"`
	// Precheck tells that the pre-check knows this procedure's papers.
	Precheck bool    `json:"precheck"`
	Score    float64 `json:"score,omitempty"`
}

// GuidePaper is one paper to bring.
type GuidePaper struct {
	Name  string `json:"name"`
	Count int    `json:"count,omitempty"`
	Kind  string `json:"kind,omitempty"` // original, copy, shown
	Note  string `json:"note,omitempty"`
}

// Guide answers a question: the best procedure (nil when nothing matches
// well), the next best, and whether the question was understood. kioskd
// gives the procedure catalogue's Ask through an adapter; a kiosk without
// one understands nothing and sends the citizen to a counter.
type Guide func(q string) (best *GuideProcedure, others []GuideProcedure, understood bool)

// Ask answers a question typed in the lookup flow, with the centre's
// services resolved.
func (k *Kiosk) Ask(q string) GuideAnswer {
	var best *GuideProcedure
	var others []GuideProcedure
	ok := false
	if k.cfg.Guide != nil {
		best, others, ok = k.cfg.Guide(q)
	}
	a := GuideAnswer{Query: q, Understood: ok && best != nil, Best: best, Others: others}
	if a.Others == nil {
		a.Others = []GuideProcedure{}
	}
	var centre queue.Centre
	known := false
	if k.cfg.Link != nil {
		centre, known = k.cfg.Link.Centre()
	}
	pre := catalogue.Default()
	resolve := func(p *GuideProcedure) {
		if _, err := pre.Procedure(p.ID); err == nil {
			p.Precheck = true
		}
		if !known {
			return
		}
		if p.ServiceCode != "" {
			if s, ok := centre.Service(p.ServiceCode); ok {
				p.Service = &Service{Code: s.Code, Name: s.Name, NameEn: s.NameEn, Minutes: s.Minutes, Counters: counters(centre, s.Code)}
			}
		} else if cp, err := pre.Procedure(p.ID); err == nil {
			if s, ok := k.serviceFor(centre, cp); ok {
				p.Service = &Service{Code: s.Code, Name: s.Name, NameEn: s.NameEn, Minutes: s.Minutes, Counters: counters(centre, s.Code)}
			}
		}
		if p.Where == "" && p.Service != nil && p.Service.Counters != "" {
			p.Where = "Quầy " + p.Service.Counters
		}
	}
	if a.Best != nil {
		resolve(a.Best)
	}
	for i := range a.Others {
		resolve(&a.Others[i])
	}
	if known {
		a.Counter = firstCounter(centre)
	}
	return a
}

func firstCounter(c queue.Centre) int {
	ns := []int{}
	for _, k := range c.Counters {
		ns = append(ns, k.Number)
	}
	if len(ns) == 0 {
		return 0
	}
	return slices.Min(ns)
}

// Asked tells the server, best effort and in the background, that q was
// asked at this kiosk and which procedure the citizen went on with
// (chosen, "" for none): the admin's list of questions not understood.
// The kiosk answers again itself rather than trust the page on whether q
// was understood. Nothing is logged of q.
func (k *Kiosk) Asked(q, chosen string) {
	if r := []rune(q); len(r) > queue.MaxProcedureQuestion {
		q = string(r[:queue.MaxProcedureQuestion])
	}
	// What the server would refuse (empty, personal data) is not sent.
	if _, err := queue.CheckProcedureQuestion(q); err != nil || k.cfg.Client == nil || k.cfg.Centre == "" {
		return
	}
	q = strings.TrimSpace(q)
	a := k.Ask(q)
	req := apiv1.AskedProcedureRequest{Q: q, Chosen: chosen, Understood: a.Understood}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := k.cfg.Client.AskedProcedure(ctx, k.cfg.Centre, req); err != nil {
			k.cfg.Log.Info("question not reported", "err", err) // the body (q) is not in the error
		}
	}()
}

// CatalogueGuide answers the lookup flow's questions from the procedure
// catalogue (offline: it is embedded, like the server's).
func CatalogueGuide(c *procedures.Catalogue) Guide {
	return func(q string) (*GuideProcedure, []GuideProcedure, bool) {
		a := c.Ask(q)
		if !a.Understood || a.Best == nil {
			return nil, nil, false
		}
		best := guideProcedure(a.Best)
		var others []GuideProcedure
		for i := range a.Others {
			others = append(others, guideProcedure(&a.Others[i]))
		}
		return &best, others, true
	}
}

func guideProcedure(m *procedures.Match) GuideProcedure {
	p := m.Procedure
	g := GuideProcedure{ID: p.ID, Name: p.Name, NameEN: p.NameEN, Fee: p.Fee, FeeEN: p.FeeEN, Time: p.Time,
		TimeEN: p.TimeEN, Where: p.Where, Form: p.Form, FormName: p.FormName, ServiceCode: p.Service, Score: m.Score,
		Papers: []GuidePaper{}}
	for _, x := range p.Papers {
		g.Papers = append(g.Papers, GuidePaper{Name: x.Name, Count: x.Count, Kind: x.Kind, Note: x.Note})
	}
	return g
}
