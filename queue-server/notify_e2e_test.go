package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/notify/notifytest"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
	"xephang/queue-server/testsrv"
)

// The outbox end to end, through the real binary: messages written with
// the changes that cause them, delivered by the dispatcher to a loopback
// Zalo ZNS that answers as the real one does, across a kill -9.

// notifyConfig writes a gateways' file for the ZNS fake: every topic has
// an approved template (its topic as id, so the fake's log says which).
func notifyConfig(t testing.TB, z *notifytest.ZNSServer) string {
	t.Helper()
	tpl := map[string]string{}
	for _, topic := range []string{queue.TopicIssued, queue.TopicNear, queue.TopicCalled, queue.TopicTransferred, queue.TopicAbsent,
		queue.TopicBooked, queue.TopicReminderDay, queue.TopicReminderHour, queue.TopicCancelled, queue.TopicCentreClosed} {
		tpl[topic] = topic
	}
	cfg := map[string]any{
		"public_url": "https://xephang.example.vn",
		"zns": map[string]any{"base_url": z.URL, "oauth_url": z.OAuthURL, "app_id": z.AppID, "secret_key": z.SecretKey,
			"refresh_token": z.RefreshToken(), "templates": tpl, "timeout": "2s"},
		"webhook": map[string]any{"allow_private": true},
	}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(t.TempDir(), "notify.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openAllDay lets the demo centre serve and take online numbers at any
// hour of any day, so that the test does not depend on when it runs.
func openAllDay(t testing.TB, admin *apiv1.Client) {
	t.Helper()
	ctx := context.Background()
	c, err := admin.Centre(ctx, "hoan-kiem")
	if err != nil {
		t.Fatal(err)
	}
	storetest.AlwaysOpen(&c)
	c.Rules.OnlineFrom, c.Rules.OnlineUntil = "00:00", "23:59"
	c.Rules.AlertWaitMinutes = 600
	if _, err := admin.PutCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
}

func login(t testing.TB, url, user, password string) *apiv1.Client {
	t.Helper()
	c := apiv1.NewClient(url)
	if err := c.Login(context.Background(), user, password); err != nil {
		t.Fatal(err)
	}
	return c
}

// cccdNumber is the i-th of a series of valid CCCD numbers (Hà Nội, born 1990).
func cccdNumber(i int) string { return fmt.Sprintf("001090%06d", i) }

// outboxState returns the centre's messages by status, read as admin.
func outboxState(t testing.TB, admin *apiv1.Client) map[string][]apiv1.MessageView {
	t.Helper()
	v, err := admin.Messages(context.Background(), "hoan-kiem", "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]apiv1.MessageView{}
	for _, m := range v.Messages {
		out[m.Status] = append(out[m.Status], m)
	}
	return out
}

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

// TestNotifyKill9DeliversOnce: 50 online numbers asking to be told by
// phone while the gateway is down; the server is killed with SIGKILL with
// their messages pending, and started again with the gateway back: each
// message reaches the gateway once (counted by its tracking id). On the
// bbolt store and on PostgreSQL.
func TestNotifyKill9DeliversOnce(t *testing.T) {
	bin := buildBinary(t)
	t.Run("bbolt", func(t *testing.T) { kill9Notify(t, bin, nil) })
	t.Run("postgres", func(t *testing.T) {
		pg := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
		db := pg.CreateDB(t)
		kill9Notify(t, bin, []string{"-database", db})
	})
}

func kill9Notify(t *testing.T, bin string, extra []string) {
	ctx := context.Background()
	z := notifytest.StartZNS(t)
	z.SetMode(notifytest.ModeDown)
	data := t.TempDir()
	args := append([]string{"-data", data, "-notify-config", notifyConfig(t, z)}, extra...)
	inst := startProcessArgs(t, bin, args...)
	admin := login(t, inst.url, "admin", "admin-secret")
	openAllDay(t, admin)
	for i := range 50 {
		_, err := admin.OnlineTicket(ctx, "hoan-kiem", apiv1.OnlineTicketRequest{Service: "A",
			Citizen: apiv1.IdentifiedCitizen{IDNumber: cccdNumber(i)},
			Notify:  &apiv1.NotifyRequest{Consent: true, Phone: fmt.Sprintf("09%08d", i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Every number's confirmation, and "near" for the first three.
	var total int
	waitFor(t, 10*time.Second, "the dispatcher tries the gateway", func() bool {
		for _, m := range outboxState(t, admin)[queue.MessagePending] {
			if m.Attempts > 0 {
				return true
			}
		}
		return false
	})
	st := outboxState(t, admin)
	total = len(st[queue.MessagePending])
	if total != 53 || len(st[queue.MessageSent]) != 0 {
		t.Fatalf("before the kill: %d pending, %d sent; want 53 pending", total, len(st[queue.MessageSent]))
	}
	inst.cmd.Process.Signal(syscall.SIGKILL)
	inst.cmd.Wait()
	if got := len(z.Counts()); got != 0 {
		t.Fatalf("the gateway, down, accepted %d", got)
	}

	z.SetMode(notifytest.ModeOK)
	inst = startProcessArgs(t, bin, args...)
	admin = login(t, inst.url, "admin", "admin-secret")
	waitFor(t, 60*time.Second, "every message delivered", func() bool { return len(z.Counts()) >= total })
	// Let a second delivery of any of them show, if one were coming.
	time.Sleep(1500 * time.Millisecond)
	counts := z.Counts()
	if d := notifytest.Doubled(counts); len(d) > 0 || len(counts) != total {
		t.Fatalf("%d tracking ids delivered (want %d), doubled: %v", len(counts), total, d)
	}
	st = outboxState(t, admin)
	if len(st[queue.MessageSent]) != total {
		t.Fatalf("after the restart: %d sent of %d", len(st[queue.MessageSent]), total)
	}
	for _, m := range st[queue.MessageSent] {
		if counts[m.ID] != 1 || m.Via != "zns" {
			t.Fatalf("message %+v delivered %d times", m, counts[m.ID])
		}
	}
}

// dayResult is what a simulated day delivered.
type dayResult struct {
	notified  map[string]bool                 // numbers that asked to be told
	got       map[string][]string             // number → topics received, in order of arrival
	latencies []time.Duration                 // "near" and "called": the event's commit acknowledged → the gateway
	received  []notifytest.ZNSMessage         // all of them
	events    map[string]map[string]time.Time // number → topic → when its cause was acknowledged
}

// runDay simulates a day at the demo centre through the real binary: 200
// numbers, 60 of them online numbers asking to be told by phone, issued
// in bursts between calls of the five counters, until no one waits.
func runDay(t testing.TB, bin string) dayResult {
	ctx := context.Background()
	z := notifytest.StartZNS(t)
	inst := startProcessArgs(t, bin, "-data", t.TempDir(), "-notify-config", notifyConfig(t, z))
	admin := login(t, inst.url, "admin", "admin-secret")
	openAllDay(t, admin)
	centre, err := admin.Centre(ctx, "hoan-kiem")
	if err != nil {
		t.Fatal(err)
	}
	res := dayResult{notified: map[string]bool{}, got: map[string][]string{}, events: map[string]map[string]time.Time{}}
	var mu sync.Mutex
	mark := func(number, topic string, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if res.events[number] == nil {
			res.events[number] = map[string]time.Time{}
		}
		if _, ok := res.events[number][topic]; !ok {
			res.events[number][topic] = at
		}
	}
	clerks := map[int]*apiv1.Client{}
	for i, c := range centre.Counters {
		clerks[c.Number] = login(t, inst.url, "canbo"+fmt.Sprint(i%5+1), "demo12345")
	}
	services := []string{"A", "B"}
	issued := 0
	call := func() int {
		n := 0
		for _, c := range centre.Counters {
			if !slices.ContainsFunc(c.Services, func(s string) bool { return slices.Contains(services, s) }) {
				continue
			}
			tk, ok, err := clerks[c.Number].Next(ctx, "hoan-kiem", c.Number)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				n++
				mark(tk.Number, queue.TopicCalled, time.Now())
			}
		}
		return n
	}
	for issued < 200 {
		for range 10 {
			svc := services[issued%2]
			if issued%10 < 3 { // 60 of 200
				tk, err := admin.OnlineTicket(ctx, "hoan-kiem", apiv1.OnlineTicketRequest{Service: svc,
					Citizen: apiv1.IdentifiedCitizen{IDNumber: cccdNumber(issued)},
					Notify:  &apiv1.NotifyRequest{Consent: true, Phone: fmt.Sprintf("09%08d", issued)}})
				if err != nil {
					t.Fatal(err)
				}
				res.notified[tk.Number] = true
				mark(tk.Number, queue.TopicIssued, time.Now())
			} else if _, err := admin.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: svc}); err != nil {
				t.Fatal(err)
			}
			issued++
		}
		// "near" comes with the call that moved a number up (or with its
		// own issue): whatever the position, the first acknowledged
		// change after which it was near is at most this.
		call()
	}
	for call() > 0 {
	}
	// Finish the last ones (calling next on an empty line finishes them).
	call()
	want := 2 * len(res.notified) // near and called, besides the confirmation
	waitFor(t, 30*time.Second, "every near and called message", func() bool {
		n := 0
		for _, m := range z.Received() {
			if m.TemplateID == queue.TopicNear || m.TemplateID == queue.TopicCalled {
				n++
			}
		}
		return n >= want
	})
	time.Sleep(time.Second)
	res.received = z.Received()
	for _, m := range res.received {
		res.got[m.TemplateData["number"]] = append(res.got[m.TemplateData["number"]], m.TemplateID)
	}
	if d := notifytest.Doubled(z.Counts()); len(d) > 0 {
		t.Fatalf("delivered twice: %v", d)
	}
	return res
}

// TestNotifyDay: over a simulated day every number that asked is told
// it is near once and called once, in that order, and nothing reaches a
// number that did not ask. (The latency, event to gateway, is measured by
// BenchmarkNotifyDay.)
func TestNotifyDay(t *testing.T) {
	res := runDay(t, buildBinary(t))
	if len(res.notified) != 60 {
		t.Fatalf("%d numbers notified", len(res.notified))
	}
	for number, topics := range res.got {
		if !res.notified[number] {
			t.Errorf("%s did not ask and got %v", number, topics)
		}
	}
	for number := range res.notified {
		got := res.got[number]
		if !slices.Equal(got, []string{queue.TopicIssued, queue.TopicNear, queue.TopicCalled}) {
			t.Errorf("%s got %v, want issued, near, called", number, got)
		}
	}
	for _, m := range res.received {
		if m.Phone[:2] != "84" || m.TemplateData["url"] == "" {
			t.Errorf("message %+v", m)
		}
	}
}

// BenchmarkNotifyDay runs the simulated day and reports the delay from a
// "called" event's acknowledgement to the gateway's receipt of its
// message: p50 and p99 in milliseconds (the issue's target: p99 ≤ 2 s).
func BenchmarkNotifyDay(b *testing.B) {
	bin := buildBinary(b)
	var all []time.Duration
	for range b.N {
		res := runDay(b, bin)
		for _, m := range res.received {
			if m.TemplateID != queue.TopicCalled {
				continue
			}
			at, ok := res.events[m.TemplateData["number"]][queue.TopicCalled]
			if !ok {
				b.Fatalf("called message of %s with no call", m.TemplateData["number"])
			}
			all = append(all, max(0, m.At.Sub(at)))
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(all))/float64(b.N), "called-msgs/day")
}
