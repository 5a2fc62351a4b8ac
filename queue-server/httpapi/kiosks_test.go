package httpapi_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/accounts"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

func enrollKiosk(t *testing.T, e *env, name string) (*apiv1.Client, apiv1.EnrollResponse) {
	t.Helper()
	ctx := context.Background()
	tok, err := e.admin.CreateEnrollmentToken(ctx, centreID)
	must(t, err)
	k := apiv1.NewClient(e.srv.URL)
	resp, err := k.Enroll(ctx, tok.Token, name)
	must(t, err)
	return k, resp
}

func TestEnrollment(t *testing.T) {
	e := newEnv(t)
	e.alwaysOpen(t)
	ctx := context.Background()
	tok, err := e.admin.CreateEnrollmentToken(ctx, centreID)
	must(t, err)
	if _, err := e.clerk.CreateEnrollmentToken(ctx, centreID); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk creating a token: %v", err)
	}
	if _, err := e.admin.CreateEnrollmentToken(ctx, "nowhere"); apiCode(err) != "404 not_found" {
		t.Fatalf("token for an unknown centre: %v", err)
	}
	// Two kiosks race for one token: exactly one wins.
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := apiv1.NewClient(e.srv.URL).Enroll(ctx, tok.Token, "Ki-ốt sảnh")
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		if err == nil {
			wins++
		} else if apiCode(err) != "401 unauthorized" {
			t.Fatalf("losing enrolment: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d kiosks enrolled with one token", wins)
	}
	k, resp := enrollKiosk(t, e, "Ki-ốt 2")
	if resp.Centre != centreID || len(resp.Credential) < 40 {
		t.Fatalf("enrolment %+v", resp)
	}
	// The kiosk issues tickets, heartbeats, but cannot act at counters.
	if _, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Counter(ctx, centreID, 1, "next", nil); apiCode(err) != "403 forbidden" {
		t.Fatalf("kiosk at a counter: %v", err)
	}
	_, err = k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1.0.0", Devices: []queue.DeviceStatus{{Name: "printer", Kind: "printer", Status: "warning", Detail: "Sắp hết giấy"}}, Outbox: 2})
	must(t, err)
	list, err := e.admin.Kiosks(ctx)
	must(t, err)
	var mine *apiv1.KioskView
	for i := range list {
		if list[i].ID == resp.Kiosk {
			mine = &list[i]
		}
	}
	if mine == nil || !mine.Online || mine.Version != "1.0.0" || mine.Devices[0].Detail != "Sắp hết giấy" || mine.Outbox != 2 || mine.Name != "Ki-ốt 2" {
		t.Fatalf("kiosk list %+v", list)
	}
	// Revoked: its credential stops working at once.
	if _, err := e.admin.Do(ctx, "POST", "/api/v1/kiosks/"+resp.Kiosk+"/revoke", nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"}); apiCode(err) != "401 unauthorized" {
		t.Fatalf("revoked kiosk: %v", err)
	}
	// Kiosk credentials cannot sign in with a password.
	if err := apiv1.NewClient(e.srv.URL).Login(ctx, resp.Kiosk, ""); err == nil {
		t.Fatal("a kiosk account signed in with a password")
	}
}

// TestEnrollmentTokensListedAndCancelled: an administrator sees the tokens
// (never the tokens themselves) and cancels one that went astray; a kiosk
// can no longer enrol with it, and a used token cannot be cancelled.
func TestEnrollmentTokensListedAndCancelled(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	astray, err := e.admin.CreateEnrollmentToken(ctx, centreID)
	must(t, err)
	kept, err := e.admin.CreateEnrollmentToken(ctx, centreID)
	must(t, err)
	if len(astray.ID) != 16 || astray.ID == kept.ID {
		t.Fatalf("token ids %q %q", astray.ID, kept.ID)
	}
	list, err := e.admin.EnrollmentTokens(ctx, centreID)
	must(t, err)
	byID := map[string]apiv1.EnrollmentTokenView{}
	for _, v := range list {
		byID[v.ID] = v
	}
	if len(list) != 2 || byID[astray.ID].Status != "active" || byID[astray.ID].CreatedBy != "admin" || byID[astray.ID].CreatedAt == "" || byID[kept.ID].ExpiresAt != kept.ExpiresAt {
		t.Fatalf("tokens %+v", list)
	}
	if _, err := e.clerk.EnrollmentTokens(ctx, ""); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk listing tokens: %v", err)
	}
	if other, _ := e.admin.EnrollmentTokens(ctx, "nowhere"); len(other) != 0 {
		t.Fatalf("tokens of another centre: %+v", other)
	}

	// Cancelled: listed so, enrolment refused, cancelling again the same.
	v, err := e.admin.CancelEnrollmentToken(ctx, astray.ID)
	must(t, err)
	if v.Status != "cancelled" || v.CancelledBy != "admin" || v.CancelledAt == "" {
		t.Fatalf("cancelled token %+v", v)
	}
	if _, err := apiv1.NewClient(e.srv.URL).Enroll(ctx, astray.Token, "Ki-ốt lạc"); apiCode(err) != "401 unauthorized" {
		t.Fatalf("enrolling with a cancelled token: %v", err)
	}
	if again, err := e.admin.CancelEnrollmentToken(ctx, astray.ID); err != nil || again.Status != "cancelled" || again.CancelledAt != v.CancelledAt {
		t.Fatalf("cancelling again: %+v %v", again, err)
	}
	if _, err := e.clerk.CancelEnrollmentToken(ctx, kept.ID); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk cancelling: %v", err)
	}
	for _, id := range []string{"0000000000000000", astray.ID[:8], "nope"} {
		if _, err := e.admin.CancelEnrollmentToken(ctx, id); apiCode(err) != "404 not_found" {
			t.Fatalf("cancelling %q: %v", id, err)
		}
	}

	// Used: enrolment works with the other, which then cannot be cancelled.
	k, err := apiv1.NewClient(e.srv.URL).Enroll(ctx, kept.Token, "Ki-ốt sảnh")
	must(t, err)
	if _, err := e.admin.CancelEnrollmentToken(ctx, kept.ID); apiCode(err) != "409 conflict" {
		t.Fatalf("cancelling a used token: %v", err)
	}
	list, err = e.admin.EnrollmentTokens(ctx, "")
	must(t, err)
	byID = map[string]apiv1.EnrollmentTokenView{}
	for _, v := range list {
		byID[v.ID] = v
	}
	if byID[kept.ID].Status != "used" || byID[kept.ID].UsedBy != k.Kiosk || byID[astray.ID].Status != "cancelled" {
		t.Fatalf("tokens after use %+v", list)
	}
}

// TestEndedTokensLeaveTheList: an expired token is listed as such for a
// week after its end, then no more.
func TestEndedTokensLeaveTheList(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	e := newEnvAt(t, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
		must(t, e.admin.Login(context.Background(), "admin", "admin-secret")) // sessions end too
	}
	ctx := context.Background()
	tok, err := e.admin.CreateEnrollmentToken(ctx, centreID)
	must(t, err)
	advance(accounts.EnrollmentTTL + time.Hour)
	list, err := e.admin.EnrollmentTokens(ctx, centreID)
	must(t, err)
	if len(list) != 1 || list[0].ID != tok.ID || list[0].Status != "expired" {
		t.Fatalf("a day after expiry: %+v", list)
	}
	advance(7 * 24 * time.Hour)
	if list, _ := e.admin.EnrollmentTokens(ctx, centreID); len(list) != 0 {
		t.Fatalf("a week after expiry: %+v", list)
	}
}

func TestOfflineTicketsReplay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	other, _ := enrollKiosk(t, e, "Ki-ốt 2")
	b, err := k.LeaseBlock(ctx, centreID, "A", 5, "")
	must(t, err)
	if b.From != 901 || b.To != 905 {
		t.Fatalf("block %+v", b)
	}
	ob, _ := other.LeaseBlock(ctx, centreID, "A", 5, "")
	if ob.From != 906 {
		t.Fatalf("other kiosk's block %+v", ob)
	}
	if _, err := e.clerk.LeaseBlock(ctx, centreID, "A", 5, ""); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk leasing: %v", err)
	}
	online, _ := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	if online.Number != "A001" {
		t.Fatalf("online ticket after the blocks: %s", online.Number)
	}
	printed := time.Now().Add(-time.Second).Format(time.RFC3339Nano) // before the online ticket, and (but for a second a day) the same local day
	req := apiv1.IssueRequest{Service: "A", Number: "A901", IssuedAt: printed, Offline: true, IdempotencyKey: "k1-0001"}
	first, err := k.Issue(ctx, centreID, req)
	must(t, err)
	again, err := k.Issue(ctx, centreID, req)
	if err != nil || again.ID != first.ID || first.Number != "A901" || first.Position != 1 {
		t.Fatalf("replayed offline ticket: %+v then %+v %v (it was printed first, so it is first in line)", first, again, err)
	}
	if _, err := other.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Number: "A902", IssuedAt: printed, Offline: true, IdempotencyKey: "k2-x"}); apiCode(err) != "422 invalid" {
		t.Fatalf("a number from another kiosk's block: %v", err)
	}
	if _, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Number: "A903", IssuedAt: printed, Offline: true, IdempotencyKey: "c-x"}); apiCode(err) != "403 forbidden" {
		t.Fatalf("staff sending an offline ticket: %v", err)
	}
	if _, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Number: "A903", Offline: true, IdempotencyKey: "k1-x"}); apiCode(err) != "422 invalid" {
		t.Fatalf("offline ticket without issued_at: %v", err)
	}
	blocks, err := k.Blocks(ctx, centreID)
	if err != nil || len(blocks) != 1 || len(blocks[0].Used) != 1 || blocks[0].Used[0] != 901 {
		t.Fatalf("kiosk's blocks %+v %v", blocks, err)
	}
}

func TestVoidUnprintedTicket(t *testing.T) {
	e := newEnv(t)
	e.alwaysOpen(t)
	ctx := context.Background()
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	other, _ := enrollKiosk(t, e, "Ki-ốt 2")
	tk, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", IdempotencyKey: "k1/42"})
	must(t, err)
	if _, err := other.Do(ctx, "POST", "/api/v1/centres/"+centreID+"/tickets/void", apiv1.VoidRequest{IdempotencyKey: "k1/42"}, nil); apiCode(err) != "404 not_found" {
		t.Fatalf("another kiosk voiding: %v", err)
	}
	var v apiv1.TicketView
	_, err = k.Do(ctx, "POST", "/api/v1/centres/"+centreID+"/tickets/void", apiv1.VoidRequest{IdempotencyKey: "k1/42"}, &v)
	if err != nil || v.ID != tk.ID || v.Status != "void" {
		t.Fatalf("void: %+v %v", v, err)
	}
	if _, ok, _ := e.clerk.Next(ctx, centreID, 1); ok {
		t.Fatal("a voided ticket was called")
	}
	// Again: the same answer (the kiosk may retry).
	if _, err := k.Do(ctx, "POST", "/api/v1/centres/"+centreID+"/tickets/void", apiv1.VoidRequest{IdempotencyKey: "k1/42"}, nil); err != nil {
		t.Fatalf("second void: %v", err)
	}
}

// A kiosk's walk-in number outside the centre's window is refused with
// when numbers start again; staff still issue; nothing was numbered.
func TestKioskNumbersOnlyInTheWindow(t *testing.T) {
	night := time.Date(2026, 11, 23, 1, 23, 0, 0, time.FixedZone("ICT", 7*3600)) // a Monday
	e := newEnvAt(t, func() time.Time { return night })
	ctx := context.Background()
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	_, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	if apiCode(err) != "409 outside_hours" || !strings.Contains(err.Error(), "07:00") {
		t.Fatalf("kiosk at 01:23: %v", err)
	}
	tk, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	if err != nil || tk.Number != "A001" {
		t.Fatalf("staff at 01:23: %+v %v", tk, err)
	}
}

// TestOfflineReplayCannotJumpTheQueue: a kiosk replays a number of its
// block with an issue time from before the block was leased; it joins the
// queue at the lease, behind the walk-in who came earlier, and the
// correction is in the centre's audit log.
func TestOfflineReplayCannotJumpTheQueue(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	e := newEnvAt(t, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	ctx := context.Background()
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	start := now
	set(start.Add(5 * time.Minute))
	walkIn, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	leased := start.Add(10 * time.Minute)
	set(leased)
	if _, err := k.LeaseBlock(ctx, centreID, "A", 5, ""); err != nil {
		t.Fatal(err)
	}
	set(start.Add(time.Hour))
	claimed := start.Add(-30 * time.Minute).Format(time.RFC3339Nano)
	off, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A", Number: "A901", IssuedAt: claimed, Offline: true, IdempotencyKey: "k1-early"})
	must(t, err)
	if off.IssuedAt != leased.Format(time.RFC3339) || off.Position != 2 {
		t.Fatalf("replayed ticket issued %s at position %d, want %s behind the walk-in", off.IssuedAt, off.Position, leased.Format(time.RFC3339))
	}
	called, ok, err := e.clerk.Next(ctx, centreID, 1)
	if err != nil || !ok || called.ID != walkIn.ID {
		t.Fatalf("called first %+v %v %v, want the walk-in %s", called, ok, err, walkIn.Number)
	}
	var audit []queue.Audit
	if _, err := e.admin.Do(ctx, "GET", "/api/v1/centres/"+centreID+"/audit", nil, &audit); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range audit {
		found = found || a.Action == queue.AuditIssuedAtCorrected && a.Ticket == off.ID && a.Reason != "" && a.Actor != ""
	}
	if !found {
		t.Fatalf("no audit of the correction in %+v", audit)
	}
}
