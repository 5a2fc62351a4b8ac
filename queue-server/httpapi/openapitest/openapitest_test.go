package openapitest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xephang/queue-server/httpapi/openapitest"
)

// The validator must catch each kind of drift, and only drift.
func TestRecorderCatchesDrift(t *testing.T) {
	spec := openapitest.Load(t)
	cases := []struct {
		name     string
		method   string
		path     string
		body     string
		status   int
		answer   string
		ctype    string
		violates string // "" when the exchange matches the spec
	}{
		{"valid login", "POST", "/api/v1/login", `{"username":"a","password":"b"}`, 200, `{"token":"t"}`, "application/json", ""},
		{"answer of the wrong shape", "POST", "/api/v1/login", `{"username":"a","password":"b"}`, 200, `{"token":5}`, "application/json", "does not match the spec"},
		{"status the spec does not list", "POST", "/api/v1/login", `{"username":"a","password":"b"}`, 418, `{"error":{"code":"x","message":"y"}}`, "application/json", "status is not supported"},
		{"route the spec does not describe", "GET", "/api/v1/nowhere", "", 200, `{}`, "application/json", "describes no such route"},
		{"invalid request accepted", "POST", "/api/v1/login", `{"username":5}`, 200, `{"token":"t"}`, "application/json", "the spec refuses this request"},
		{"invalid request refused with a listed 400", "POST", "/api/v1/login", `{"username":5}`, 400, `{"error":{"code":"bad_request","message":"x"}}`, "application/json", ""},
		{"error body of the wrong shape", "POST", "/api/v1/login", `{}`, 400, `{"message":"x"}`, "application/json", "does not match the spec"},
		{"content type the spec does not list", "GET", "/api/v1/centres", "", 200, `hello`, "text/plain", "content type"},
		{"pages are not the API's", "GET", "/counter/", "", 200, `<html>`, "text/html", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := openapitest.NewRecorder(spec)
			h := rec.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", c.ctype)
				w.WriteHeader(c.status)
				io.WriteString(w, c.answer)
			}))
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			errs := strings.Join(rec.Errors(), "\n")
			switch {
			case c.violates == "" && errs != "":
				t.Errorf("violation reported for a good exchange:\n%s", errs)
			case c.violates != "" && !strings.Contains(errs, c.violates):
				t.Errorf("want a violation containing %q, got %q", c.violates, errs)
			}
		})
	}
}
