package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"xephang/queue-server/apiv1"
)

func TestReportEndpoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	}
	first, _, _ := e.clerk.Next(ctx, centreID, 1)
	e.clerk.Next(ctx, centreID, 1) // finishes the first
	apiv1.NewClient(e.srv.URL).Rate(ctx, first.ID, 4)
	today := time.Now().In(hcm).Format(time.DateOnly)
	get := func(c *apiv1.Client, q string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/centres/"+centreID+"/reports?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+c.Token)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := get(e.admin, "period=day&date="+today)
	var rep struct {
		Total struct {
			Tickets, Served int
			Ratings         struct{ Count int }
		}
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Total.Tickets != 3 || rep.Total.Served != 1 {
		t.Fatalf("JSON report %d: %s", resp.StatusCode, body)
	}
	resp, body = get(e.admin, "period=week&date="+today+"&format=csv")
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) || !strings.Contains(resp.Header.Get("Content-Disposition"), ".csv") {
		t.Fatalf("CSV %d %q", resp.StatusCode, body[:min(len(body), 40)])
	}
	resp, body = get(e.admin, "period=month&date="+today+"&format=pdf&lang=en")
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("%PDF")) {
		t.Fatalf("PDF %d", resp.StatusCode)
	}
	for q, want := range map[string]int{"period=year&date=" + today: 422, "from=2026-01-01&to=2026-12-31": 422, "period=day&date=" + today + "&format=xls": 422, "period=day&date=" + today + "&target_minutes=0": 422} {
		if resp, _ := get(e.admin, q); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", q, resp.StatusCode, want)
		}
	}
	if resp, _ := get(e.clerk, "period=day"); resp.StatusCode != 403 {
		t.Fatalf("clerk reading reports: %d", resp.StatusCode)
	}
}
