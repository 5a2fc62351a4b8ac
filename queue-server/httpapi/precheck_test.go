package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"
	"xephang/queue-server/apiv1"
)

func TestPrecheckTravelsWithTheTicket(t *testing.T) {
	e := newEnv(t)
	e.alwaysOpen(t)
	ctx := context.Background()
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	tk, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	result := map[string]any{
		"procedure": "khai-sinh", "ok": false,
		"documents": []map[string]any{{"name": "Tờ khai đăng ký khai sinh", "status": "present", "pages": []int{1}, "reasons": []string{}}, {"name": "Giấy chứng sinh", "status": "missing", "pages": []int{}, "reasons": []string{"Không thấy giấy chứng sinh"}}},
		"fields":    map[string]any{"ho_ten": "Nguyễn Văn An"},
	}
	must(t, k.AttachPrecheck(ctx, tk.ID, result))
	// The public tracking page never shows it.
	pub, _ := apiv1.NewClient(e.srv.URL).Ticket(ctx, tk.ID)
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
	var got apiv1.PrecheckResult
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
	if err := apiv1.NewClient(e.srv.URL).AttachPrecheck(ctx, tk.ID, result); apiCode(err) != "401 unauthorized" {
		t.Fatalf("anonymous: %v", err)
	}
}

// TestRating: a rating comes from the rating tablet a clerk paired with
// the counter that served the ticket, once, within its window; not from a
// stranger who read the ticket's id on the public stream, nor from
// another counter's tablet, nor from a tablet paired again since.
func TestRating(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tk, _ := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	pair := func(n int) *apiv1.Client {
		t.Helper()
		p, err := e.clerk.PairRatingTablet(ctx, centreID, n)
		must(t, err)
		if p.Counter != n || len(p.Token) < 40 {
			t.Fatalf("pairing %+v", p)
		}
		c := apiv1.NewClient(e.srv.URL)
		c.Token = p.Token
		return c
	}
	tablet, other := pair(1), pair(2)
	if _, err := tablet.Rate(ctx, tk.ID, 4); apiCode(err) != "409 conflict" {
		t.Fatalf("rating a ticket not served: %v", err)
	}
	e.clerk.Next(ctx, centreID, 1)
	e.clerk.Counter(ctx, centreID, 1, "finish", nil)
	if _, err := apiv1.NewClient(e.srv.URL).Rate(ctx, tk.ID, 1); apiCode(err) != "401 unauthorized" {
		t.Fatalf("a stranger rating: %v", err)
	}
	if _, err := other.Rate(ctx, tk.ID, 1); apiCode(err) != "403 forbidden" {
		t.Fatalf("counter 2's tablet rating counter 1: %v", err)
	}
	if _, err := tablet.Rate(ctx, tk.ID, 5); apiCode(err) != "422 invalid" {
		t.Fatalf("rating 5: %v", err)
	}
	got, err := tablet.Rate(ctx, tk.ID, 3)
	if err != nil || got.Rating != 3 {
		t.Fatalf("rating: %+v %v", got, err)
	}
	if _, err := tablet.Rate(ctx, tk.ID, 4); apiCode(err) != "409 conflict" {
		t.Fatalf("second rating: %v", err)
	}
	// Paired again: the earlier tablet of the counter is unpaired.
	pair(1)
	tk2, _ := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	e.clerk.Next(ctx, centreID, 1)
	if _, err := tablet.Rate(ctx, tk2.ID, 4); apiCode(err) != "401 unauthorized" {
		t.Fatalf("an unpaired tablet rating: %v", err)
	}
	if _, err := e.clerk.PairRatingTablet(ctx, centreID, 9); apiCode(err) != "404 not_found" {
		t.Fatalf("pairing an unknown counter: %v", err)
	}
	if _, err := tablet.PairRatingTablet(ctx, centreID, 1); apiCode(err) != "401 unauthorized" {
		t.Fatalf("a tablet pairing: %v", err)
	}
	if _, err := other.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"}); apiCode(err) != "403 forbidden" {
		t.Fatalf("a rating tablet issuing a ticket: %v", err)
	}
}
