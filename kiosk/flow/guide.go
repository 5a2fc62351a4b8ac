package flow

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"xephang/kiosk/catalogue"
	"xephang/queue-server/apiv1"
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
// gives the procedure catalogue's Ask through an adapter; when it does not
// understand (or there is none) the pre-check's catalogue answers by the
// words of its procedures' names.
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
	if !ok {
		// The pre-check's procedures answer by their names when the
		// catalogue does not know them.
		best, others, ok = catalogueGuide(q)
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

// catalogueGuide answers from the pre-check's catalogue: the procedures
// sharing the most folded words of their names with the question, when
// at least two of the name's words are there.
func catalogueGuide(q string) (*GuideProcedure, []GuideProcedure, bool) {
	words := map[string]bool{}
	for _, w := range strings.Fields(Fold(q)) {
		words[w] = true
	}
	type scored struct {
		p     GuideProcedure
		score int
	}
	var all []scored
	for _, p := range catalogue.Default().Procedures {
		n := 0
		for _, w := range strings.Fields(Fold(p.Name)) {
			if words[w] {
				n++
			}
		}
		if n < 2 {
			continue
		}
		g := GuideProcedure{ID: p.ID, Name: p.Name, NameEN: p.NameEN, Fee: p.Fee, FeeEN: p.FeeEN,
			Time: p.ProcessingTime, TimeEN: p.ProcessingTimeEN, Score: float64(n), Papers: []GuidePaper{}}
		for _, d := range p.Documents {
			kind := "original"
			if !d.Required {
				kind = ""
			}
			g.Papers = append(g.Papers, GuidePaper{Name: d.Name, Count: 1, Kind: kind, Note: d.Note})
		}
		all = append(all, scored{g, n})
	}
	if len(all) == 0 {
		return nil, nil, false
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].score > all[j].score })
	best := all[0].p
	var others []GuideProcedure
	for _, s := range all[1:min(len(all), 3)] {
		others = append(others, s.p)
	}
	return &best, others, true
}

// Asked tells the server, best effort and in the background, that q was
// asked at this kiosk and which procedure the citizen went on with
// (chosen, "" for none): the admin's list of questions not understood.
// The kiosk answers again itself rather than trust the page on whether q
// was understood. Nothing is logged of q.
func (k *Kiosk) Asked(q, chosen string) {
	q = strings.TrimSpace(q)
	if q == "" || k.cfg.Client == nil || k.cfg.Centre == "" || personal(q) {
		return
	}
	if r := []rune(q); len(r) > 200 {
		q = string(r[:200])
	}
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

// personal reports whether a question looks like it holds personal data
// (an ID or phone number: a run of 9 or more digits; an e-mail address):
// such a question is not sent (the server would refuse it too).
func personal(q string) bool {
	run := 0
	for _, r := range q {
		if r >= '0' && r <= '9' {
			run++
			if run >= 9 {
				return true
			}
		} else if r != ' ' && r != '.' && r != '-' {
			run = 0
		}
	}
	return strings.Contains(q, "@")
}
