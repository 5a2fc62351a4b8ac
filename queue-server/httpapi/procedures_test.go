package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/procedures"
	"xephang/queue-server/queue"
)

// The catalogue and its answers are public: the whole catalogue without
// q, the best procedures for a question (with the centre's service and
// counters when a centre is named), none for a question it does not
// understand, and input it should not read is refused.
func TestProceduresArePublic(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := envCentre()
	c.Services = append(c.Services, queue.Service{Code: "C", Name: "Đất đai", Minutes: 15})
	c.Counters = append(c.Counters, queue.CounterConfig{Number: 3, Name: "Quầy 3", Services: []string{"C"}})
	_, err := e.admin.PutCentre(ctx, c)
	must(t, err)
	anon := apiv1.NewClient(e.srv.URL)

	all, err := anon.Procedures(ctx, "", "")
	must(t, err)
	if n := len(procedures.Default().All()); len(all) != n || n == 0 {
		t.Fatalf("the whole catalogue: %d procedures, want %d", len(all), n)
	}
	for _, p := range all {
		if p.Score != 0 || p.ID == "" || p.Name == "" || len(p.Papers) == 0 || p.ServiceName != "" {
			t.Errorf("listed %+v: want no score, no centre's service, its papers", p)
		}
	}

	got, err := anon.Procedures(ctx, "lam so do lan dau can giay to gi", centreID)
	must(t, err)
	if len(got) == 0 || got[0].ID != "dat-dai-lan-dau" || got[0].Score <= 0 {
		t.Fatalf("sổ đỏ lần đầu: %+v, want dat-dai-lan-dau first with a score", got)
	}
	if len(got) > 3 || got[0].Service != "C" || got[0].ServiceName != "Đất đai" || len(got[0].Counters) != 1 || got[0].Counters[0] != 3 {
		t.Errorf("at %s: %d answers, service %q %q counters %v; want at most 3, C Đất đai at counter 3", centreID, len(got), got[0].Service, got[0].ServiceName, got[0].Counters)
	}
	for _, q := range []string{"thời tiết hôm nay thế nào", "zzzz qqqq"} {
		none, err := anon.Procedures(ctx, q, "")
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("%q: %+v %v, want [] (not understood)", q, none, err)
		}
	}

	one, err := anon.Procedure(ctx, "dat-dai-lan-dau")
	must(t, err)
	if one.ID != "dat-dai-lan-dau" || one.Name != got[0].Name || len(one.LegalBasis) == 0 {
		t.Errorf("GET /api/v1/procedures/dat-dai-lan-dau: %+v", one)
	}
	if _, err := anon.Procedure(ctx, "khong-co-thu-tuc-nay"); apiCode(err) != "404 not_found" {
		t.Errorf("an unknown procedure: %s, want 404", apiCode(err))
	}
	if _, err := anon.Procedures(ctx, "sổ đỏ", "khong-co"); apiCode(err) != "404 not_found" {
		t.Errorf("an unknown centre: %s, want 404", apiCode(err))
	}
	if _, err := anon.Procedures(ctx, strings.Repeat("sổ đỏ ", 40), ""); apiCode(err) != "422 invalid" {
		t.Errorf("a question of 240 characters: %s, want 422", apiCode(err))
	}
	if _, err := anon.Do(ctx, "GET", "/api/v1/procedures?q=so+do&limit=5", nil, nil); apiCode(err) != "422 invalid" {
		t.Errorf("an unknown parameter: %s, want 422", apiCode(err))
	}
}

// Questions asked are counted per centre from anyone, with nothing
// personal: a question carrying an ID or phone number or an e-mail address
// is refused with a Vietnamese message; the admin reads the counts, most
// frequent first, and the unanswered ones apart; no one else does.
func TestProcedureQuestionsCounted(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e := newEnvAt(t, clock)
	ctx := context.Background()
	anon := apiv1.NewClient(e.srv.URL)
	ask := func(q, chosen string, understood bool) {
		t.Helper()
		must(t, anon.AskedProcedure(ctx, centreID, apiv1.AskedProcedureRequest{Q: q, Chosen: chosen, Understood: understood}))
	}
	ask("Làm  sổ đỏ lần đầu", "dat-dai-lan-dau", true)
	ask("làm sổ đỏ lần đầu", "", true)
	ask("xin giấy phép xây nhà", "giay-phep-xay-dung-nha-o", true)
	ask("thẻ bảo hiểm cho cháu", "", false)

	for _, q := range []string{"đăng ký cho số 001203004567", "gọi tôi 0912 345 678", "gửi về an.nguyen@gmail.com", "sđt +84 912"} {
		err := anon.AskedProcedure(ctx, centreID, apiv1.AskedProcedureRequest{Q: q, Understood: true})
		var ae *apiv1.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Field != "q" || !strings.Contains(ae.Message, "thông tin cá nhân") {
			t.Errorf("%q: %#v, want 422 on q with a Vietnamese message", q, err)
		}
	}
	for _, c := range []struct {
		centre string
		req    any
		want   string
	}{
		{centreID, apiv1.AskedProcedureRequest{Q: "sổ đỏ", Chosen: "khong-co", Understood: true}, "422 invalid"},
		{centreID, apiv1.AskedProcedureRequest{Q: "   ", Understood: true}, "422 invalid"},
		{centreID, apiv1.AskedProcedureRequest{Q: strings.Repeat("a", 201)}, "422 invalid"},
		{centreID, map[string]any{"q": "sổ đỏ", "understood": true, "name": "Nguyễn Văn An"}, "400 bad_request"},
		{"khong-co", apiv1.AskedProcedureRequest{Q: "sổ đỏ", Understood: true}, "404 not_found"},
	} {
		_, err := anon.Do(ctx, "POST", "/api/v1/centres/"+c.centre+"/procedure-questions", c.req, nil)
		if apiCode(err) != c.want {
			t.Errorf("%s %+v: %s, want %s", c.centre, c.req, apiCode(err), c.want)
		}
	}

	got, err := e.admin.ProcedureQuestions(ctx, centreID, false, 0)
	must(t, err)
	if len(got) != 3 || got[0].Q != "làm sổ đỏ lần đầu" || got[0].Count != 2 || got[0].Chosen["dat-dai-lan-dau"] != 1 ||
		!strings.HasPrefix(got[0].LastAt, "2026-11-24T16:00:00+07:00") {
		t.Errorf("the questions: %+v", got)
	}
	un, err := e.admin.ProcedureQuestions(ctx, centreID, true, 7)
	must(t, err)
	if len(un) != 1 || un[0].Q != "thẻ bảo hiểm cho cháu" || un[0].Unanswered != 1 || un[0].Chosen == nil {
		t.Errorf("the unanswered ones: %+v", un)
	}
	// Eight days later, the last 7 days hold none of them; 30 all.
	now = now.AddDate(0, 0, 8)
	must(t, e.admin.Login(ctx, "admin", "admin-secret")) // the sessions expired
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret"))
	if got, err := e.admin.ProcedureQuestions(ctx, centreID, false, 7); err != nil || len(got) != 0 {
		t.Errorf("the last 7 days, 8 days on: %+v %v, want []", got, err)
	}
	if got, err := e.admin.ProcedureQuestions(ctx, centreID, false, 30); err != nil || len(got) != 3 {
		t.Errorf("the last 30 days, 8 days on: %d %v, want 3", len(got), err)
	}
	for _, path := range []string{"?days=0", "?days=91", "?unanswered=yes"} {
		if _, err := e.admin.Do(ctx, "GET", "/api/v1/centres/"+centreID+"/procedure-questions"+path, nil, nil); apiCode(err) != "422 invalid" {
			t.Errorf("%s: %s, want 422", path, apiCode(err))
		}
	}
	if _, err := e.clerk.ProcedureQuestions(ctx, centreID, false, 0); apiCode(err) != "403 forbidden" {
		t.Errorf("a clerk: %s, want 403", apiCode(err))
	}
	if _, err := anon.ProcedureQuestions(ctx, centreID, false, 0); apiCode(err) != "401 unauthorized" {
		t.Errorf("anonymous: %s, want 401", apiCode(err))
	}
}

// Questions are limited per address like the other public lookups; staff
// are not.
func TestProceduresRateLimited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	anon := apiv1.NewClient(e.srv.URL)
	var err error
	n := 0
	for ; n < 200 && err == nil; n++ {
		if n%2 == 0 {
			_, err = anon.Procedures(ctx, "đk kết hôn", "")
		} else {
			err = anon.AskedProcedure(ctx, centreID, apiv1.AskedProcedureRequest{Q: "đk kết hôn", Understood: true})
		}
	}
	if apiCode(err) != "429 rate_limited" || n != 61 {
		t.Fatalf("after %d questions: %s, want 429 after 60", n, apiCode(err))
	}
	if _, err := e.clerk.Procedures(ctx, "đk kết hôn", centreID); err != nil {
		t.Errorf("a clerk: %v, want served", err)
	}
}
