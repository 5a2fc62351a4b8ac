package apiv1

import (
	"context"
	"net/url"
	"strconv"
)

// ---- Procedure guidance (issue 20) ----

// ProcedureView is a procedure of the catalogue, as GET
// /api/v1/procedures answers it: with Score when it answers a question,
// and with the service's name and counters when a centre was named.
type ProcedureView struct {
	ID          string           `json:"id"`
	Code        string           `json:"code"`
	Name        string           `json:"name"`
	NameEN      string           `json:"name_en"`
	Field       string           `json:"field"`
	Service     string           `json:"service"`
	ServiceName string           `json:"service_name,omitempty"`
	Counters    []int            `json:"counters,omitempty"`
	Where       string           `json:"where"`
	Score       float64          `json:"score,omitempty"`
	Papers      []ProcedurePaper `json:"papers"`
	Applicants  string           `json:"applicants"`
	Fee         string           `json:"fee"`
	FeeEN       string           `json:"fee_en,omitempty"`
	Time        string           `json:"time"`
	TimeEN      string           `json:"time_en,omitempty"`
	Form        string           `json:"form"`
	FormName    string           `json:"form_name"`
	LegalBasis  []ProcedureLegal `json:"legal_basis"`
	Verify      string           `json:"verify,omitempty"`
}

// ProcedurePaper is a paper to bring: Kind is "original", "copy" or
// "shown".
type ProcedurePaper struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	Kind  string `json:"kind"`
	Note  string `json:"note,omitempty"`
}

// ProcedureLegal is a legal text a procedure rests on, with its date.
type ProcedureLegal struct {
	Text string `json:"text"`
	Date string `json:"date"`
}

// AskedProcedureRequest reports a question asked of the guidance at a
// centre: the question, the procedure the asker chose ("" when none), and
// whether it was understood. Q carries no personal data: the server
// refuses one with an ID or phone number or an e-mail address.
type AskedProcedureRequest struct {
	Q          string `json:"q"`
	Chosen     string `json:"chosen,omitempty"`
	Understood bool   `json:"understood"`
}

// ProcedureQuestionView is a question asked at a centre over the days
// asked for: how often, how often not understood, when last, and the
// procedures chosen after it (id → count).
type ProcedureQuestionView struct {
	Q          string         `json:"q"`
	Count      int            `json:"count"`
	Unanswered int            `json:"unanswered"`
	LastAt     string         `json:"last_at"`
	Chosen     map[string]int `json:"chosen"`
}

// Procedures answers a question over the catalogue (best first: one when
// it is clearly ahead, up to three, none when nothing matches well), or the
// whole catalogue when q is "". With a centre, each procedure names the
// centre's service and its counters (public).
func (c *Client) Procedures(ctx context.Context, q, centre string) ([]ProcedureView, error) {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if centre != "" {
		v.Set("centre", centre)
	}
	path := "/api/v1/procedures"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out []ProcedureView
	_, err := c.Do(ctx, "GET", path, nil, &out)
	return out, err
}

// Procedure returns one procedure of the catalogue (public).
func (c *Client) Procedure(ctx context.Context, id string) (ProcedureView, error) {
	var out ProcedureView
	_, err := c.Do(ctx, "GET", "/api/v1/procedures/"+url.PathEscape(id), nil, &out)
	return out, err
}

// AskedProcedure reports a question asked of the guidance at a centre,
// to be counted (public).
func (c *Client) AskedProcedure(ctx context.Context, centre string, req AskedProcedureRequest) error {
	_, err := c.Do(ctx, "POST", "/api/v1/centres/"+url.PathEscape(centre)+"/procedure-questions", req, nil)
	return err
}

// ProcedureQuestions returns the questions asked at a centre over the last
// days days (0: the server's default, 30), most frequent first; only
// those not understood at least once when unanswered (admin).
func (c *Client) ProcedureQuestions(ctx context.Context, centre string, unanswered bool, days int) ([]ProcedureQuestionView, error) {
	v := url.Values{}
	if unanswered {
		v.Set("unanswered", "1")
	}
	if days > 0 {
		v.Set("days", strconv.Itoa(days))
	}
	path := "/api/v1/centres/" + url.PathEscape(centre) + "/procedure-questions"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out []ProcedureQuestionView
	_, err := c.Do(ctx, "GET", path, nil, &out)
	return out, err
}
