package localapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xephang/kiosk/flow"
)

// TestStrictJSON: the local API reads bodies as strictly as the server
// does: a key given twice, a key in the wrong case, an unknown key or a
// second value after the body is refused, over real HTTP on loopback.
func TestStrictJSON(t *testing.T) {
	srv := httptest.NewServer(New(Config{Kiosk: flow.New(flow.Config{}), Hub: NewHub()}))
	defer srv.Close()
	for body, want := range map[string]int{
		`{"flow":"lookup"}`:                      200,
		`{"flow":"lookup","flow":"home"}`:        400,
		`{"flow":"home","flow":"lookup"}`:        400,
		`{"FLOW":"lookup"}`:                      400,
		`{"Flow":"lookup"}`:                      400,
		`{"flow":"lookup","extra":1}`:            400,
		`{"flow":"lookup"} {"flow":"home"}`:      400,
		`{"flow":"lookup","data":{"a":1,"a":2}}`: 400,
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/api/flow", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || want == 400 && !strings.Contains(string(got), `"invalid_json"`) {
			t.Errorf("%s: %d %s, want %d", body, resp.StatusCode, got, want)
		}
	}
}
