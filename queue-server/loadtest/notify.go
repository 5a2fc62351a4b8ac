package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/notify/notifytest"
	"xephang/queue-server/queue"
)

// notifyScenario measures the outbox (issue 18): what notifications add to
// the 64-client ticket bench, and how many messages per second go through
// the outbox to a loopback gateway.
//
// Phase 1 runs POST …/tickets from the clients against fresh servers in
// turn: "off", plain tickets; "share", 3 in 10 asking to be told by
// phone; "phone", every ticket asking (a contact and its watch in the
// same commit; "near" for the first of each line); "webhook", a webhook subscribed to ticket.issued
// (one message per ticket, delivered while the load runs, on the same
// two cores). Each twice, half the duration, in turn: a drift of the
// machine weighs on all alike.
//
// Phase 2 writes o.notifyMessages messages as fast as the clients can take
// same-day numbers asking for a phone message ("issued"), then measures
// how fast the dispatcher delivers them to a loopback Zalo ZNS.
func notifyScenario(o options) error {
	z := notifytest.NewZNSServer()
	defer z.Close()
	var hooked atomic.Int64
	hook := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hooked.Add(1)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go hook.Serve(ln)
	defer hook.Close()

	w := os.Stdout
	fmt.Fprintln(w, "## 10. Notifications through the outbox (issue 18)")
	fmt.Fprintln(w)
	for _, n := range o.clients {
		names := map[string]string{
			"off":     "tickets, no notification",
			"share":   "tickets, 3 in 10 notified by phone (as in the day of the proofs: 60 of 200)",
			"phone":   "tickets, each notified by phone",
			"webhook": "tickets, a webhook subscribed to every ticket issued",
		}
		modes := []string{"off", "share", "phone", "webhook"}
		rows := map[string]*row{}
		for _, m := range modes {
			rows[m] = &row{name: names[m], clients: n}
		}
		hooked.Store(0)
		for range 2 { // off, phone, webhook, twice: each half the duration
			for _, mode := range modes {
				r, err := notifyTicketPhase(o, z, mode, n, "http://"+ln.Addr().String()+"/hook")
				if err != nil {
					return err
				}
				rows[mode].add(r)
			}
		}
		off := *rows["off"]
		for _, m := range modes[1:] {
			rows[m].note = fmt.Sprintf("%.3f× the tickets/s without", rows[m].rate()/off.rate())
		}
		rows["webhook"].note += fmt.Sprintf("; %d deliveries received meanwhile", hooked.Load())
		printRows(w, fmt.Sprintf("What notifications add to the ticket bench (%d clients, %v in all each, alternating fresh servers)", n, o.dur),
			[]row{off, *rows["share"], *rows["phone"], *rows["webhook"]}, map[int]row{n: off}, "no notification")
	}

	// Phase 2: messages/s through the outbox to the loopback ZNS.
	srv, err := startNotifyServer(o, z, "notify-throughput")
	if err != nil {
		return err
	}
	defer srv.stop()
	ctx := context.Background()
	admin, err := adminClient(ctx, srv.base)
	if err != nil {
		return err
	}
	if err := openAllDay(ctx, admin); err != nil {
		return err
	}
	before := len(z.Counts())
	var next atomic.Int64
	start := time.Now()
	total := o.notifyMessages
	clients := min(64, total)
	r := drive("", clients, 10*time.Minute, func(w, _ int) error {
		i := int(next.Add(1)) - 1
		if i >= total {
			return errStop
		}
		_, err := admin.OnlineTicket(ctx, "hoan-kiem", apiv1.OnlineTicketRequest{Service: services[i%len(services)],
			Citizen: apiv1.IdentifiedCitizen{IDNumber: fmt.Sprintf("001090%06d", i)},
			Notify:  &apiv1.NotifyRequest{Consent: true, Phone: fmt.Sprintf("09%08d", i)}})
		return err
	})
	written := time.Since(start)
	want := before + r.n + 3*len(services) // every confirmation, and "near" for the first three of each line
	deadline := time.Now().Add(5 * time.Minute)
	for len(z.Counts()) < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	all := time.Since(start)
	got := len(z.Counts()) - before
	fmt.Fprintf(w, "### Messages through the outbox to a loopback Zalo ZNS\n\n")
	fmt.Fprintln(w, "| numbers taken (64 clients) | taking them | messages delivered | all delivered after | messages/s end to end | doubled |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| %d | %.2f s | %d | %.2f s | %.0f | %d |\n\n", r.n, written.Seconds(), got, all.Seconds(), float64(got)/all.Seconds(), len(notifytest.Doubled(z.Counts())))
	return nil
}

// postOp posts the body of each request and expects 201.
func postOp(tr *http.Transport, url, token string, body func(w, i int) string) func(w, i int) error {
	hc := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	return func(w, i int) error {
		req, err := http.NewRequest("POST", url, bytes.NewReader([]byte(body(w, i))))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return err
	}
}

func writeNotifyConfig(path string, z *notifytest.ZNSServer) error {
	tpl := map[string]string{}
	for _, t := range []string{queue.TopicIssued, queue.TopicNear, queue.TopicCalled, queue.TopicTransferred, queue.TopicAbsent} {
		tpl[t] = t
	}
	b, err := json.Marshal(map[string]any{
		"public_url": "https://xephang.example.vn",
		"zns": map[string]any{"base_url": z.URL, "oauth_url": z.OAuthURL, "app_id": z.AppID, "secret_key": z.SecretKey,
			"refresh_token": z.RefreshToken(), "templates": tpl},
		"webhook": map[string]any{"allow_private": true},
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// notifyTicketPhase issues tickets from n clients for half of o.dur on a
// fresh server: plain ones (off), 3 in 10 (share) or each (phone)
// asking to be told by phone, or plain ones with a webhook subscribed to
// every ticket issued (webhook).
func notifyTicketPhase(o options, z *notifytest.ZNSServer, mode string, n int, hookURL string) (row, error) {
	srv, err := startNotifyServer(o, z, fmt.Sprintf("notify-%s-%d", mode, n))
	if err != nil {
		return row{}, err
	}
	defer srv.stop()
	ctx := context.Background()
	admin, err := adminClient(ctx, srv.base)
	if err == nil {
		err = openAllDay(ctx, admin)
	}
	token := ""
	if err == nil {
		token, err = clerk(ctx, srv.base)
	}
	if err != nil {
		return row{}, err
	}
	body := func(w, i int) string { return fmt.Sprintf(`{"service":%q}`, services[(w+i)%len(services)]) }
	switch mode {
	case "webhook":
		if _, err := admin.AddWebhook(ctx, apiv1.WebhookRequest{Centre: "hoan-kiem", URL: hookURL,
			Events: []string{queue.EventIssued}, Secret: "loadtest-secret-0123456789"}); err != nil {
			return row{}, err
		}
	case "phone", "share":
		body = func(w, i int) string {
			if mode == "share" && (w+i)%10 >= 3 {
				return fmt.Sprintf(`{"service":%q}`, services[(w+i)%len(services)])
			}
			return fmt.Sprintf(`{"service":%q,"notify":{"consent":true,"phone":"09%08d"}}`, services[(w+i)%len(services)], (w*1_000_000+i)%100_000_000)
		}
	}
	return drive("notify "+mode, n, o.dur/2, postOp(newTransport(n), srv.base+"/api/v1/centres/hoan-kiem/tickets", token, body)), nil
}

// startNotifyServer runs queue-server with the demo and a gateways' file
// for the ZNS fake on a fresh data directory. The file carries the fake's
// refresh token of now: Zalo's rotate, and a server before this one spent
// the last.
func startNotifyServer(o options, z *notifytest.ZNSServer, name string) (*child, error) {
	data := filepath.Join(o.dir, name)
	os.RemoveAll(data)
	cfg := filepath.Join(o.dir, name+"-notify.json")
	if err := writeNotifyConfig(cfg, z); err != nil {
		return nil, err
	}
	return startChild(o.server, []string{"-addr", "{addr}", "-data", data, "-demo", "-notify-config", cfg},
		[]string{"XEPHANG_ADMIN_PASSWORD=loadtest-admin"}, "/readyz")
}

func adminClient(ctx context.Context, base string) (*apiv1.Client, error) {
	c := apiv1.NewClient(base)
	return c, c.Login(ctx, "admin", "loadtest-admin")
}

// openAllDay lets the demo centre take numbers (walk-in and online) at
// any hour, so that the bench does not depend on when it runs.
func openAllDay(ctx context.Context, admin *apiv1.Client) error {
	c, err := admin.Centre(ctx, "hoan-kiem")
	if err != nil {
		return err
	}
	c.Hours = nil
	for d := range 7 {
		c.Hours = append(c.Hours, queue.Hours{Weekday: d, Open: "00:00", Close: "23:59"})
	}
	c.Breaks, c.ClosedDates = nil, nil
	c.Rules.OnlineFrom, c.Rules.OnlineUntil = "00:00", "23:59"
	c.Rules.AlertWaitMinutes = 600
	_, err = admin.PutCentre(ctx, c)
	return err
}
