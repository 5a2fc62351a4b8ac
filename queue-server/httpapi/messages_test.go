package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// The outbox as staff see it, from the store's queue.Outbox: what was
// told and how its delivery goes, filtered, counted per channel, and
// never to whom.
func TestMessagesView(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	const phone, email = "0987654321", "hoa.tran@example.vn"
	tk, err := e.clerk.OnlineTicket(ctx, centreID, apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(1), Phone: phone},
		Notify: &apiv1.NotifyRequest{Consent: true}})
	must(t, err)
	b, err := bookAs(e.clerk, "2026-11-24T09:00:00+07:00", 2, nil)
	must(t, err)
	_, err = e.clerk.SetBookingNotify(ctx, b.Code, apiv1.BookingNotifyRequest{NotifyRequest: apiv1.NotifyRequest{Consent: true, Email: email}})
	must(t, err)
	// Booked notifications are sent at booking; this one was added after:
	// the staff's cancellation tells the citizen.
	_, err = e.clerk.Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/cancel", apiv1.CancelRequest{}, nil)
	must(t, err)
	h, err := e.admin.AddWebhook(ctx, apiv1.WebhookRequest{Centre: centreID, URL: "https://hooks.example.vn/x", Events: []string{"ticket.called"}, Secret: "integrator-secret-0123456789"})
	must(t, err)
	testID, err := e.admin.TestWebhook(ctx, h.ID)
	must(t, err)
	_, err = e.clerk.Counter(ctx, centreID, 1, "resume", nil)
	must(t, err)
	called, _, err := e.clerk.Next(ctx, centreID, 1)
	must(t, err)
	if called.ID != tk.ID {
		t.Fatalf("called %s", called.Number)
	}

	path := "/api/v1/centres/" + centreID + "/messages"
	raw, err := rawDo(t, e.admin, "GET", path, nil)
	must(t, err)
	for _, p := range []string{phone, "987654321", email, "hoa.tran", "hooks.example.vn", "integrator-secret", tk.ID} {
		if strings.Contains(string(raw), p) {
			t.Errorf("the messages view shows %q: %s", p, raw)
		}
	}
	all, err := e.admin.Messages(ctx, centreID, "", "", 0)
	must(t, err)
	seen := map[string]apiv1.MessageView{}
	for _, m := range all.Messages {
		seen[m.Channel+" "+m.Topic] = m
		if m.Status != queue.MessagePending || m.CreatedAt == "" || m.NextAt == "" || !strings.HasSuffix(m.CreatedAt, "+07:00") {
			t.Errorf("message %+v", m)
		}
	}
	for key, want := range map[string]apiv1.MessageView{
		"phone issued":          {Ref: "ticket", Number: tk.Number},
		"phone called":          {Ref: "ticket", Number: tk.Number},
		"email cancelled":       {Ref: "booking", Code: b.Code},
		"webhook test":          {Ref: "webhook", Webhook: h.ID, ID: testID},
		"webhook ticket.called": {Ref: "webhook", Webhook: h.ID},
	} {
		m, ok := seen[key]
		if !ok || m.Ref != want.Ref || m.Number != want.Number || m.Code != want.Code || m.Webhook != want.Webhook || (want.ID != "" && m.ID != want.ID) {
			t.Errorf("%s: %+v (have %v)", key, m, keys(seen))
		}
	}
	if s := all.Summary; s["phone"].Pending < 2 || s["email"].Pending != 1 || s["webhook"].Pending != 2 || s["phone"].Sent != 0 {
		t.Errorf("summary %+v", s)
	}
	// Filters.
	phones, err := e.admin.Messages(ctx, centreID, "phone", "", 0)
	must(t, err)
	if len(phones.Messages) < 2 {
		t.Errorf("phone messages %+v", phones.Messages)
	}
	for _, m := range phones.Messages {
		if m.Channel != "phone" {
			t.Errorf("channel=phone gave %+v", m)
		}
	}
	if sent, err := e.admin.Messages(ctx, centreID, "", "sent", 0); err != nil || len(sent.Messages) != 0 || sent.Summary["phone"].Pending < 2 {
		t.Errorf("status=sent: %+v %v", sent, err)
	}
	if one, err := e.admin.Messages(ctx, centreID, "", "", 1); err != nil || len(one.Messages) != 1 {
		t.Errorf("limit=1: %+v %v", one, err)
	}
	for _, q := range []struct{ query, field string }{{"?channel=sms", "channel"}, {"?status=late", "status"}, {"?limit=0", "limit"}, {"?limit=1001", "limit"}, {"?limit=x", "limit"}} {
		if _, err := rawDo(t, e.admin, "GET", path+q.query, nil); apiCode(err) != "422 invalid" || apiField(err) != q.field {
			t.Errorf("%s: %v (field %q)", q.query, err, apiField(err))
		}
	}
	if _, err := e.clerk.Messages(ctx, centreID, "", "", 0); apiCode(err) != "403 forbidden" {
		t.Errorf("clerk: %v", err)
	}
	if _, err := apiv1.NewClient(e.srv.URL).Messages(ctx, centreID, "", "", 0); apiCode(err) != "401 unauthorized" {
		t.Errorf("anonymous: %v", err)
	}
	if _, err := e.admin.Messages(ctx, "nowhere", "", "", 0); apiCode(err) != "404 not_found" {
		t.Errorf("an unknown centre: %v", err)
	}

	// A webhook's delivery log.
	ds, err := e.admin.WebhookDeliveries(ctx, centreID, h.ID, 0)
	if err != nil || len(ds) != 2 || ds[0].Webhook != h.ID || ds[1].Webhook != h.ID {
		t.Fatalf("deliveries %+v %v", ds, err)
	}
	if ds, err := e.admin.WebhookDeliveries(ctx, centreID, h.ID, 1); err != nil || len(ds) != 1 {
		t.Fatalf("deliveries, limit 1: %+v %v", ds, err)
	}
	if _, err := e.admin.WebhookDeliveries(ctx, centreID, "nosuchhook", 0); apiCode(err) != "404 not_found" {
		t.Fatalf("an unknown webhook: %v", err)
	}
	if _, err := e.clerk.WebhookDeliveries(ctx, centreID, h.ID, 0); apiCode(err) != "403 forbidden" {
		t.Fatalf("clerk: %v", err)
	}
	// A deleted webhook keeps its log.
	must(t, e.admin.DeleteWebhook(ctx, h.ID))
	if ds, err := e.admin.WebhookDeliveries(ctx, centreID, h.ID, 0); err != nil || len(ds) != 2 {
		t.Fatalf("deliveries of a deleted webhook: %+v %v", ds, err)
	}
}

func keys(m map[string]apiv1.MessageView) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
