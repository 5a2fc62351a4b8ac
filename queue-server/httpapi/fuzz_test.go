package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzIssueBody sends arbitrary bodies to POST …/tickets: the answer is a
// ticket (201) or a JSON error with a code, and an error changes nothing.
func FuzzIssueBody(f *testing.F) {
	e := newEnv(f)
	for _, s := range []string{`{"service":"A"}`, `{"service":"B","priority":"elderly","idempotency_key":"k"}`, `{"service":`, `[]`, `{"service":"A","x":1}`, "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		q0, err := e.clerk.Queue(context.Background(), centreID)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "/api/v1/centres/"+centreID+"/tickets", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code == http.StatusCreated {
			return
		}
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" || rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("body %q: status %d, answer %q", body, rec.Code, rec.Body.String())
		}
		q1, _ := e.clerk.Queue(context.Background(), centreID)
		if q1.LastSeq != q0.LastSeq {
			t.Fatalf("refused body %q changed the centre", body)
		}
	})
}
