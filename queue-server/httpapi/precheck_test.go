package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"xephang/queue-server/httpapi"
)

func TestPrecheckTravelsWithTheTicket(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	tk, err := k.Issue(ctx, centreID, httpapi.IssueRequest{Service: "A"})
	must(t, err)
	result := map[string]any{
		"procedure": "khai-sinh", "ok": false,
		"documents": []map[string]any{{"name": "Tờ khai đăng ký khai sinh", "status": "present", "pages": []int{1}, "reasons": []string{}}, {"name": "Giấy chứng sinh", "status": "missing", "pages": []int{}, "reasons": []string{"Không thấy giấy chứng sinh"}}},
		"fields":    map[string]any{"ho_ten": "Nguyễn Văn An"},
	}
	must(t, k.AttachPrecheck(ctx, tk.ID, result))
	// The public tracking page never shows it.
	pub, _ := httpapi.NewClient(e.srv.URL).Ticket(ctx, tk.ID)
	if pub.Precheck != nil {
		t.Fatalf("public view shows the pre-check: %s", pub.Precheck)
	}
	// Staff see it when they look the ticket up.
	if st, err := e.clerk.Ticket(ctx, tk.ID); err != nil || st.Precheck == nil {
		t.Fatalf("staff view without the pre-check: %+v %v", st, err)
	}
	// The counter sees it when it calls the ticket.
	called, _, err := e.clerk.Next(ctx, centreID, 1)
	must(t, err)
	var got httpapi.PrecheckResult
	if err := json.Unmarshal(called.Precheck, &got); err != nil || got.Procedure != "khai-sinh" || len(got.Documents) != 2 || got.Documents[1].Status != "missing" || got.Fields["ho_ten"] != "Nguyễn Văn An" {
		t.Fatalf("pre-check at the counter: %s %v", called.Precheck, err)
	}
	bad := map[string]any{"procedure": "khai-sinh", "documents": []map[string]any{{"name": "x", "status": "maybe"}}}
	if err := k.AttachPrecheck(ctx, tk.ID, bad); apiCode(err) != "422 invalid" {
		t.Fatalf("bad status: %v", err)
	}
	if err := k.AttachPrecheck(ctx, "nope", result); apiCode(err) != "404 not_found" {
		t.Fatalf("unknown ticket: %v", err)
	}
	if err := httpapi.NewClient(e.srv.URL).AttachPrecheck(ctx, tk.ID, result); apiCode(err) != "401 unauthorized" {
		t.Fatalf("anonymous: %v", err)
	}
}

func TestRating(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tk, _ := e.clerk.Issue(ctx, centreID, httpapi.IssueRequest{Service: "A"})
	pub := httpapi.NewClient(e.srv.URL)
	if _, err := pub.Rate(ctx, tk.ID, 4); apiCode(err) != "409 conflict" {
		t.Fatalf("rating a ticket not served: %v", err)
	}
	e.clerk.Next(ctx, centreID, 1)
	e.clerk.Counter(ctx, centreID, 1, "finish", nil)
	if _, err := pub.Rate(ctx, tk.ID, 5); apiCode(err) != "422 invalid" {
		t.Fatalf("rating 5: %v", err)
	}
	got, err := pub.Rate(ctx, tk.ID, 3)
	if err != nil || got.Rating != 3 {
		t.Fatalf("rating: %+v %v", got, err)
	}
	if _, err := pub.Rate(ctx, tk.ID, 4); apiCode(err) != "409 conflict" {
		t.Fatalf("second rating: %v", err)
	}
}
