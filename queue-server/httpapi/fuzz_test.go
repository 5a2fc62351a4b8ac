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
	for _, s := range []string{`{"service":"A"}`, `{"service":"B","priority":"elderly","idempotency_key":"k"}`, `{"service":`, `[]`, `{"service":"A","x":1}`, "\xff",
		`{"service":5}`, `{"service":"A","offline":"yes"}`, `{"service" "A"}`, ``, `null`, `{"service":-1.5e9}`} {
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
		// In the API's words: no format slip, no Go type of the server.
		if strings.Contains(eb.Error.Message, "%!") || strings.Contains(eb.Error.Message, "Go struct") || strings.Contains(eb.Error.Message, "httpapi.") {
			t.Fatalf("body %q: message %q", body, eb.Error.Message)
		}
		q1, _ := e.clerk.Queue(context.Background(), centreID)
		if q1.LastSeq != q0.LastSeq {
			t.Fatalf("refused body %q changed the centre", body)
		}
	})
}
