package localapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xephang/kiosk/flow"
	"xephang/queue-server/forms"
)

// The form routes over real HTTP on loopback: the list, a form to fill
// (nothing prefilled without a card), live checking, and the refusals
// the screen shows: no A4 printer (409), values that do not pass (422
// with each field's error), an unknown procedure (404).
func TestFormRoutes(t *testing.T) {
	k := flow.New(flow.Config{Forms: forms.Default()})
	srv := httptest.NewServer(New(Config{Kiosk: k, Hub: NewHub()}))
	defer srv.Close()
	call := func(method, path, body string, out any) int {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("%s %s: %s", method, path, raw)
			}
		}
		return resp.StatusCode
	}
	var list []flow.FormInfo
	if code := call("GET", "/api/forms", "", &list); code != 200 || len(list) != 6 {
		t.Fatalf("list %d %+v", code, list)
	}
	for _, f := range list {
		if f.Procedure == "khai-sinh" && (f.Name != "Đăng ký khai sinh" || !strings.HasPrefix(f.Title, "TỜ KHAI")) {
			t.Errorf("khai-sinh listed as %+v", f)
		}
	}
	var fv struct {
		Form     *forms.Form       `json:"form"`
		Values   map[string]string `json:"values"`
		Sources  map[string]string `json:"sources"`
		CardRead bool              `json:"card_read"`
	}
	if code := call("GET", "/api/forms/khai-sinh", "", &fv); code != 200 || fv.Form == nil || fv.Form.Procedure != "khai-sinh" ||
		fv.CardRead || fv.Values["applicant_name"] != "" || fv.Sources == nil {
		t.Fatalf("form %d %+v", code, fv)
	}
	var e struct {
		Error  struct{ Code, Message string }
		Errors []forms.FieldError `json:"errors"`
	}
	if code := call("GET", "/api/forms/nope", "", &e); code != 404 || e.Error.Code != "unknown_form" {
		t.Errorf("unknown form %d %+v", code, e)
	}
	var check FormCheck
	if code := call("POST", "/api/forms/khai-sinh/check", `{"values":{"applicant_name":"Nguyễn Văn An","child_birth_date":"2099-01-01"}}`, &check); code != 200 || len(check.Errors) == 0 {
		t.Fatalf("check %d %+v", code, check)
	}
	codes := map[string]string{}
	for _, fe := range check.Errors {
		codes[fe.Field] = fe.Code
	}
	if codes["child_birth_date"] != "future_date" || codes["child_name"] != "required" || codes["applicant_name"] != "" {
		t.Errorf("check errors %+v", check.Errors)
	}
	if code := call("POST", "/api/forms/khai-sinh/check", `{"values":{"nope":"x"}}`, &check); code != 200 || !bytes.Contains(mustJSON(check), []byte("unknown_field")) {
		t.Errorf("unknown field %d %+v", code, check)
	}
	e.Errors = nil
	if code := call("POST", "/api/forms/khai-sinh/print", `{"values":{}}`, &e); code != 409 || e.Error.Code != "no_a4_printer" || !strings.Contains(e.Error.Message, "máy in A4") {
		t.Errorf("print without A4 %d %+v", code, e)
	}
	if code := call("POST", "/api/forms/khai-sinh/ticket", `{"values":{"applicant_name":"An"},"service":"A"}`, &e); code != 422 || e.Error.Code != "invalid_form" || len(e.Errors) == 0 {
		t.Errorf("ticket with invalid values %d %+v", code, e)
	}
	if code := call("POST", "/api/forms/khai-sinh/check", `{"values":{},"extra":1}`, &e); code != 400 || e.Error.Code != "invalid_json" {
		t.Errorf("strict body %d %+v", code, e)
	}
	big := `{"values":{"applicant_address":"` + strings.Repeat("a", maxFormBody) + `"}}`
	if code := call("POST", "/api/forms/khai-sinh/check", big, &e); code != 400 {
		t.Errorf("body over the limit %d", code)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
