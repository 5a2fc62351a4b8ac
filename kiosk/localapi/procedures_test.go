package localapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"xephang/kiosk/flow"
	"xephang/queue-server/procedures"
)

// GET /api/procedures over real HTTP on loopback: without q the
// pre-check's procedures as before, with q the answer to a question (no
// centre known yet: no service, no counter); POST /api/procedures/asked
// is accepted without a server to tell (best effort) and refuses what is
// not its JSON.
func TestProcedureQuestions(t *testing.T) {
	srv := httptest.NewServer(New(Config{Kiosk: flow.New(flow.Config{Guide: flow.CatalogueGuide(procedures.Default())}), Hub: NewHub()}))
	defer srv.Close()
	get := func(path string, out any) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || json.Unmarshal(raw, out) != nil {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
		}
	}
	var list []flow.Procedure
	get("/api/procedures", &list)
	if len(list) != 6 {
		t.Errorf("the pre-check's procedures: %d, want 6", len(list))
	}
	var a flow.GuideAnswer
	get("/api/procedures?q="+url.QueryEscape("đăng ký kết hôn"), &a)
	if !a.Understood || a.Best == nil || a.Best.ID != "ket-hon" || !a.Best.Precheck || a.Best.Service != nil {
		t.Errorf("answer %+v", a)
	}
	a = flow.GuideAnswer{}
	get("/api/procedures?q="+url.QueryEscape(strings.Repeat("xyz ", 100)), &a)
	if a.Understood || a.Best != nil || len([]rune(a.Query)) > 200 {
		t.Errorf("a long question about nothing: understood %v, %d runes kept", a.Understood, len([]rune(a.Query)))
	}
	post := func(body string) int {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/procedures/asked", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(`{"q":"đăng ký kết hôn","chosen":"ket-hon"}`); code != http.StatusAccepted {
		t.Errorf("asked: %d", code)
	}
	if code := post(`{"q":"x","extra":1}`); code != http.StatusBadRequest {
		t.Errorf("asked with an unknown field: %d", code)
	}
}
