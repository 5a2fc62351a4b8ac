package notify_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xephang/queue-server/notify"
	"xephang/queue-server/notify/notifytest"
	"xephang/queue-server/queue"
)

// memOutbox is a queue.Outbox in memory, as the stores keep it: claims
// lease, SaveDelivery records and ends the lease.
type memOutbox struct {
	mu       sync.Mutex
	msgs     map[string]*queue.Message
	order    []string
	contacts map[string]queue.Contact
	webhooks map[string]queue.Webhook
	saves    int
}

func newMemOutbox() *memOutbox {
	return &memOutbox{msgs: map[string]*queue.Message{}, contacts: map[string]queue.Contact{}, webhooks: map[string]queue.Webhook{}}
}

func (o *memOutbox) add(ms ...queue.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range ms {
		m.Status = queue.MessagePending
		if m.NextAt.IsZero() {
			m.NextAt = m.CreatedAt
		}
		o.msgs[m.ID] = &m
		o.order = append(o.order, m.ID)
	}
}

func (o *memOutbox) get(id string) queue.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.msgs[id]
}

func (o *memOutbox) ClaimMessages(now time.Time, lease time.Duration, n int) ([]queue.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []*queue.Message
	for _, id := range o.order {
		m := o.msgs[id]
		if m.Status == queue.MessagePending && !m.NextAt.After(now) && !m.LeaseUntil.After(now) {
			due = append(due, m)
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].NextAt.Before(due[j].NextAt) })
	var out []queue.Message
	for _, m := range due[:min(n, len(due))] {
		m.LeaseUntil = now.Add(lease)
		c := *m
		out = append(out, c)
	}
	return out, nil
}

func (o *memOutbox) SaveDelivery(ms []queue.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.saves++
	for _, m := range ms {
		s, ok := o.msgs[m.ID]
		if !ok {
			continue
		}
		s.Status, s.Attempts, s.NextAt, s.Via, s.Error, s.SentAt = m.Status, m.Attempts, m.NextAt, m.Via, m.Error, m.SentAt
		s.LeaseUntil = time.Time{}
	}
	return nil
}

func (o *memOutbox) Messages(centre, channel, status string, limit int) ([]queue.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []queue.Message
	for i := len(o.order) - 1; i >= 0 && len(out) < limit; i-- {
		m := o.msgs[o.order[i]]
		if m.Centre == centre && (channel == "" || m.Channel == channel) && (status == "" || m.Status == status) {
			out = append(out, *m)
		}
	}
	return out, nil
}

func (o *memOutbox) Contact(ref string) (queue.Contact, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c, ok := o.contacts[ref]
	if !ok {
		return c, queue.Errorf(queue.ENotFound, "no contact %s", "không có liên hệ %s", ref)
	}
	return c, nil
}

func (o *memOutbox) Webhook(id string) (queue.Webhook, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	w, ok := o.webhooks[id]
	if !ok {
		return w, queue.Errorf(queue.ENotFound, "no webhook %s", "không có webhook %s", id)
	}
	return w, nil
}

func (o *memOutbox) Webhooks(centre string) ([]queue.Webhook, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []queue.Webhook
	for _, w := range o.webhooks {
		if w.Centre == centre && !w.Deleted {
			out = append(out, w)
		}
	}
	return out, nil
}

func (o *memOutbox) statuses() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := map[string]int{}
	for _, m := range o.msgs {
		n[m.Status]++
	}
	return n
}

// fakeClock is the dispatcher's simulated time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)

// phoneMessages adds n phone messages of topic called, each with its
// ticket's contact, expiring after life.
func phoneMessages(o *memOutbox, n int, life time.Duration) []string {
	var ids []string
	for i := range n {
		id := fmt.Sprintf("msg-%03d", i)
		ref := queue.ContactRef(queue.RefTicket, fmt.Sprintf("tk%03d", i))
		o.mu.Lock()
		o.contacts[ref] = queue.Contact{Ref: ref, Centre: "c1", Phone: fmt.Sprintf("09%08d", i), ConsentAt: t0}
		o.mu.Unlock()
		o.add(queue.Message{ID: id, Centre: "c1", Channel: queue.ChannelPhone, Ref: ref, Topic: queue.TopicCalled,
			Data: map[string]string{"number": fmt.Sprintf("A%03d", i), "counter": "3"}, CreatedAt: t0, Expires: t0.Add(life)})
		ids = append(ids, id)
	}
	return ids
}

type rig struct {
	o     *memOutbox
	clock *fakeClock
	zns   *notifytest.ZNSServer
	sms   *notifytest.SMSServer
	d     *notify.Dispatcher
	obs   sync.Map // "gateway/status" → *atomic.Int64
}

func newRig(t testing.TB, mut func(c *notify.DispatcherConfig)) *rig {
	r := &rig{o: newMemOutbox(), clock: &fakeClock{t: t0}, zns: notifytest.StartZNS(t), sms: notifytest.StartSMS(t)}
	zc := znsConfig(r.zns)
	zc.Timeout = notify.Duration(time.Second)
	z, err := notify.NewZNS(zc, filepath.Join(t.TempDir(), "zns.json"))
	if err != nil {
		t.Fatal(err)
	}
	sc := smsConfig(r.sms)
	sc.Timeout = notify.Duration(time.Second)
	s, err := notify.NewSMS(sc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := notify.DispatcherConfig{Outbox: r.o, Senders: map[string]notify.Sender{"zns": z, "sms": s},
		PublicURL: "https://xephang.example.vn/", Clock: r.clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error { r.clock.Advance(d); return nil },
		Observe: func(gw, status string, _ time.Duration) {
			v, _ := r.obs.LoadOrStore(gw+"/"+status, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
		}}
	if mut != nil {
		mut(&cfg)
	}
	r.d = notify.NewDispatcher(cfg)
	return r
}

func (r *rig) observed(key string) int64 {
	v, ok := r.obs.Load(key)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

// runFor runs the dispatcher over d of simulated time, a pass every step.
func (r *rig) runFor(t testing.TB, d, step time.Duration) {
	for end := r.clock.Now().Add(d); r.clock.Now().Before(end); r.clock.Advance(step) {
		if _, err := r.d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDispatchSendsWithTheLink(t *testing.T) {
	r := newRig(t, nil)
	ids := phoneMessages(r.o, 1, time.Hour)
	if n, err := r.d.RunOnce(context.Background()); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	m := r.o.get(ids[0])
	if m.Status != queue.MessageSent || m.Via != "zns" || m.Attempts != 1 || m.SentAt == nil || !m.SentAt.Equal(t0) || m.Error != "" {
		t.Errorf("%+v", m)
	}
	got := r.zns.Received()
	if len(got) != 1 || got[0].TemplateData["url"] != "https://xephang.example.vn/track/tk000" || got[0].TrackingID != ids[0] {
		t.Errorf("received %+v", got)
	}
	if r.observed("zns/sent") != 1 || r.o.saves != 1 {
		t.Errorf("observed %d, saves %d", r.observed("zns/sent"), r.o.saves)
	}
}

// ZNS fails (permanently, or down): the SMS gateway delivers in the same
// attempt; a centre may put SMS first.
func TestDispatchFallsBackToSMS(t *testing.T) {
	for _, mode := range []string{notifytest.ModeTemplateError, notifytest.ModeDown, notifytest.ModeRateLimit, notifytest.ModeTimeout} {
		t.Run(mode, func(t *testing.T) {
			r := newRig(t, func(c *notify.DispatcherConfig) { c.Workers = 1 }) // in order
			ids := phoneMessages(r.o, 3, time.Hour)
			r.zns.SetMode(mode)
			r.d.RunOnce(context.Background())
			for _, id := range ids {
				m := r.o.get(id)
				if m.Status != queue.MessageSent || m.Via != "sms" || r.sms.Count(id) != 1 || r.zns.Count(id) != 0 {
					t.Errorf("%s: %+v", id, m)
				}
			}
			if !strings.HasPrefix(r.sms.Received()[0].Text, "Moi cong dan so A000 den Quay 3. https://xephang.example.vn/track/tk000") {
				t.Errorf("sms text %q", r.sms.Received()[0].Text)
			}
			if mode == notifytest.ModeRateLimit && r.zns.Attempts() != 1 {
				// ZNS asked to wait: the next messages skip it.
				t.Errorf("zns tried %d times while it asked to wait", r.zns.Attempts())
			}
		})
	}
	t.Run("sms first", func(t *testing.T) {
		r := newRig(t, func(c *notify.DispatcherConfig) {
			c.PhoneGateways = func(centre string) []string { return []string{"sms", "zns"} }
		})
		ids := phoneMessages(r.o, 1, time.Hour)
		r.d.RunOnce(context.Background())
		if m := r.o.get(ids[0]); m.Via != "sms" || r.zns.Attempts() != 0 {
			t.Errorf("%+v", m)
		}
	})
}

// Every gateway down: retried with a backoff that doubles from 1 s, with
// jitter, capped at 5 minutes.
func TestDispatchBacksOff(t *testing.T) {
	r := newRig(t, func(c *notify.DispatcherConfig) {
		c.PhoneGateways = func(string) []string { return []string{"zns"} }
	})
	ids := phoneMessages(r.o, 1, 24*time.Hour)
	r.zns.SetMode(notifytest.ModeServerError)
	for attempt := 1; attempt <= 12; attempt++ {
		r.d.RunOnce(context.Background())
		m := r.o.get(ids[0])
		if m.Attempts != attempt || m.Status != queue.MessagePending || !strings.Contains(m.Error, "HTTP 500") {
			t.Fatalf("attempt %d: %+v", attempt, m)
		}
		want := min(time.Second<<(attempt-1), 5*time.Minute)
		if wait := m.NextAt.Sub(r.clock.Now()); wait < want/2 || wait > want {
			t.Errorf("attempt %d: next in %v, want %v to %v", attempt, wait, want/2, want)
		}
		// Not claimed again before its time.
		r.clock.Advance(m.NextAt.Sub(r.clock.Now()) - time.Millisecond)
		if n, _ := r.d.RunOnce(context.Background()); n != 0 {
			t.Fatalf("attempt %d: claimed before NextAt", attempt)
		}
		r.clock.Advance(time.Millisecond)
	}
}

// The proof of the issue: a gateway down for 10 minutes, then back:
// every message delivered, each once (counted by tracking_id).
func TestDispatchGatewayDownTenMinutes(t *testing.T) {
	r := newRig(t, func(c *notify.DispatcherConfig) {
		c.PhoneGateways = func(string) []string { return []string{"zns"} }
	})
	ids := phoneMessages(r.o, 60, time.Hour)
	r.zns.SetMode(notifytest.ModeDown)
	r.runFor(t, 10*time.Minute, 5*time.Second)
	if got := r.zns.Counts(); len(got) != 0 {
		t.Fatalf("delivered while down: %v", got)
	}
	if st := r.o.statuses(); st[queue.MessagePending] != len(ids) {
		t.Fatalf("statuses while down: %v", st)
	}
	r.zns.SetMode(notifytest.ModeOK)
	r.runFor(t, 6*time.Minute, 5*time.Second) // the longest backoff is 5 min
	counts := r.zns.Counts()
	for _, id := range ids {
		if counts[id] != 1 {
			t.Errorf("%s delivered %d times", id, counts[id])
		}
		if m := r.o.get(id); m.Status != queue.MessageSent || m.Attempts < 2 {
			t.Errorf("%s: %+v", id, m)
		}
	}
	if len(counts) != len(ids) {
		t.Errorf("%d tracking ids delivered, want %d", len(counts), len(ids))
	}
	if r.observed("zns/failed") == 0 {
		t.Error("failures not observed")
	}
}

// A message that cannot be sent before it expires is given up, with why.
func TestDispatchGivesUpAtExpires(t *testing.T) {
	r := newRig(t, nil)
	ids := phoneMessages(r.o, 1, 30*time.Second)
	r.zns.SetMode(notifytest.ModeDown)
	r.sms.SetMode(notifytest.ModeServerError)
	r.runFor(t, time.Minute, time.Second)
	m := r.o.get(ids[0])
	if m.Status != queue.MessageFailed || m.Attempts < 3 ||
		!strings.HasPrefix(m.Error, fmt.Sprintf("gave up after %d attempts: ", m.Attempts)) || !strings.Contains(m.Error, "sms: HTTP 500") {
		t.Errorf("%+v", m)
	}
	if r.observed("phone/gave_up") != 1 {
		t.Error("give-up not observed")
	}
	// Permanent on every gateway: given up at once.
	r2 := newRig(t, nil)
	ids = phoneMessages(r2.o, 1, time.Hour)
	r2.zns.SetMode(notifytest.ModeTemplateError)
	r2.sms.SetMode(notifytest.ModeTemplateError)
	r2.d.RunOnce(context.Background())
	if m := r2.o.get(ids[0]); m.Status != queue.MessageFailed || m.Attempts != 1 || !strings.Contains(m.Error, "-109") {
		t.Errorf("permanent: %+v", m)
	}
	// Expired while the server was down: given up without an attempt.
	r3 := newRig(t, nil)
	ids = phoneMessages(r3.o, 1, time.Minute)
	r3.clock.Advance(2 * time.Minute)
	r3.d.RunOnce(context.Background())
	if m := r3.o.get(ids[0]); m.Status != queue.MessageFailed || r3.zns.Attempts() != 0 ||
		m.Error != "gave up after 0 attempts: expired before it could be sent" {
		t.Errorf("expired: %+v", m)
	}
}

// recorder is a Sender that notes what it was given and when.
type recorder struct {
	name  string
	clock func() time.Time
	mu    sync.Mutex
	got   []notify.Outgoing
	at    []time.Time
	err   error
}

func (s *recorder) Name() string { return s.name }
func (s *recorder) Send(ctx context.Context, m notify.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, m)
	s.at = append(s.at, s.clock())
	return s.err
}

func TestDispatchResolvesAddresses(t *testing.T) {
	r := newRig(t, nil)
	hook := &recorder{name: "webhook", clock: r.clock.Now}
	mail := &recorder{name: "email", clock: r.clock.Now}
	r.d = notify.NewDispatcher(notify.DispatcherConfig{Outbox: r.o, Clock: r.clock.Now, PublicURL: "https://x.vn",
		Senders: map[string]notify.Sender{"webhook": hook, "email": mail}})
	r.o.webhooks["w1"] = queue.Webhook{ID: "w1", Centre: "c1", URL: "https://hook.example/x"}
	r.o.webhooks["w2"] = queue.Webhook{ID: "w2", Centre: "c1", URL: "https://hook.example/y", Deleted: true}
	r.o.contacts["booking:7KQ2M9XD"] = queue.Contact{Ref: "booking:7KQ2M9XD", Email: "a@example.vn"}
	r.o.contacts["ticket:t9"] = queue.Contact{Ref: "ticket:t9", Email: "b@example.vn"}
	r.o.add(
		queue.Message{ID: "hook-ok", Centre: "c1", Channel: "webhook", Ref: "w1", Topic: "called", Body: []byte(`{"id":"hook-ok"}`), CreatedAt: t0, Expires: t0.Add(time.Hour)},
		queue.Message{ID: "hook-deleted", Centre: "c1", Channel: "webhook", Ref: "w2", Topic: "called", CreatedAt: t0, Expires: t0.Add(time.Hour)},
		queue.Message{ID: "hook-gone", Centre: "c1", Channel: "webhook", Ref: "w3", Topic: "called", CreatedAt: t0, Expires: t0.Add(time.Hour)},
		queue.Message{ID: "mail-ok", Centre: "c1", Channel: "email", Ref: "booking:7KQ2M9XD", Topic: "booked",
			Data: map[string]string{"code": "7KQ2M9XD", "start": "09:30 05/12/2026"}, CreatedAt: t0, Expires: t0.Add(time.Hour)},
		queue.Message{ID: "no-contact", Centre: "c1", Channel: "email", Ref: "booking:GONE2345", Topic: "booked", CreatedAt: t0, Expires: t0.Add(time.Hour)},
		queue.Message{ID: "no-phone", Centre: "c1", Channel: "phone", Ref: "ticket:t9", Topic: "called", CreatedAt: t0, Expires: t0.Add(time.Hour)},
		queue.Message{ID: "no-push-gw", Centre: "c1", Channel: "push", Ref: "ticket:t9", Topic: "called", CreatedAt: t0, Expires: t0.Add(time.Hour)},
	)
	r.d.RunOnce(context.Background())
	for id, want := range map[string]string{
		"hook-ok": "", "mail-ok": "", "hook-deleted": "gave up after 0 attempts: the webhook was deleted",
		"hook-gone": "gave up after 0 attempts: the webhook no longer exists", "no-contact": "gave up after 0 attempts: no contact: removed or purged",
		"no-phone":   "gave up after 0 attempts: the contact has no phone number",
		"no-push-gw": "gave up after 0 attempts: the contact has no push subscription",
	} {
		m := r.o.get(id)
		if want == "" && (m.Status != queue.MessageSent || m.Error != "") || want != "" && (m.Status != queue.MessageFailed || m.Error != want) {
			t.Errorf("%s: %s %q, want %q", id, m.Status, m.Error, want)
		}
	}
	if len(hook.got) != 1 || hook.got[0].Webhook.URL != "https://hook.example/x" || string(hook.got[0].Body) != `{"id":"hook-ok"}` {
		t.Errorf("webhook got %+v", hook.got)
	}
	if len(mail.got) != 1 || mail.got[0].Email != "a@example.vn" || mail.got[0].Title != "Đã đặt lịch hẹn 7KQ2M9XD" ||
		!strings.Contains(mail.got[0].Text, "https://x.vn/?code=7KQ2M9XD") {
		t.Errorf("mail got %+v", mail.got)
	}
}

// A gateway limited to 5 messages a second gets 40 messages over at
// least 7 simulated seconds (a burst of 5, then one every 200 ms).
func TestDispatchHonoursTheRate(t *testing.T) {
	clock := &fakeClock{t: t0}
	zns := &recorder{name: "zns", clock: clock.Now}
	o := newMemOutbox()
	ids := phoneMessages(o, 40, time.Hour)
	d := notify.NewDispatcher(notify.DispatcherConfig{Outbox: o, Clock: clock.Now, Senders: map[string]notify.Sender{"zns": zns},
		Workers: 1, // the simulated clock is advanced by each wait: one sender at a time
		Rates:   map[string]float64{"zns": 5}, Sleep: func(ctx context.Context, d time.Duration) error { clock.Advance(d); return nil }})
	d.RunOnce(context.Background())
	if st := o.statuses(); st[queue.MessageSent] != len(ids) {
		t.Fatalf("statuses %v", st)
	}
	at := slices.Clone(zns.at)
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	if span := at[len(at)-1].Sub(at[0]); span < 7*time.Second {
		t.Errorf("40 messages at 5/s over %v", span)
	}
	// In every window of one second, at most 5 + the burst of 5.
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second; j++ {
			n++
		}
		if n > 10 {
			t.Errorf("%d messages within a second from %v", n, at[i].Sub(t0))
		}
	}
}

// Two dispatchers (two servers) on one outbox, real time, Run and Wake,
// 8 workers each: every message sent once. Run with -race.
func TestDispatchConcurrentOnce(t *testing.T) {
	z := notifytest.StartZNS(t)
	o := newMemOutbox()
	ids := phoneMessages(o, 200, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var ds []*notify.Dispatcher
	// One ZNS client: two servers with one OA would share its token state
	// (a refresh token is spent by whichever refreshes first).
	s, err := notify.NewZNS(znsConfig(z), filepath.Join(t.TempDir(), "zns.json"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		d := notify.NewDispatcher(notify.DispatcherConfig{Outbox: o, Senders: map[string]notify.Sender{"zns": s},
			Batch: 16, Clock: func() time.Time { return t0.Add(time.Minute) }, Poll: 10 * time.Millisecond})
		ds = append(ds, d)
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(ctx) }()
	}
	for _, d := range ds {
		d.Wake()
	}
	deadline := time.Now().Add(30 * time.Second)
	for o.statuses()[queue.MessageSent] < len(ids) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	counts := z.Counts()
	for _, id := range ids {
		if counts[id] != 1 {
			t.Errorf("%s delivered %d times", id, counts[id])
		}
	}
	if d := notifytest.Doubled(counts); len(d) > 0 {
		t.Errorf("doubled: %v", d)
	}
}

func TestDispatchStopsWithItsContext(t *testing.T) {
	r := newRig(t, nil)
	phoneMessages(r.o, 3, time.Hour)
	r.zns.SetMode(notifytest.ModeTimeout)
	r.sms.SetMode(notifytest.ModeTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.d.Run(ctx) }()
	for deadline := time.Now().Add(20 * time.Second); r.zns.Requests() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no request reached the gateway")
		}
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	// Interrupted sends are no attempt: the messages wait, untouched.
	for _, m := range r.o.msgs {
		if m.Status != queue.MessagePending || m.Attempts != 0 || !m.LeaseUntil.IsZero() {
			t.Errorf("%+v", m)
		}
	}
}

func BenchmarkDispatch(b *testing.B) {
	z := notifytest.StartZNS(b)
	s, err := notify.NewZNS(znsConfig(z), filepath.Join(b.TempDir(), "zns.json"))
	if err != nil {
		b.Fatal(err)
	}
	o := newMemOutbox()
	phoneMessages(o, b.N, time.Hour)
	d := notify.NewDispatcher(notify.DispatcherConfig{Outbox: o, Senders: map[string]notify.Sender{"zns": s},
		Clock: func() time.Time { return t0.Add(time.Minute) }})
	b.ResetTimer()
	start := time.Now()
	for {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.StopTimer()
	if got := len(z.Counts()); got != b.N {
		b.Fatalf("%d delivered of %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// Web Push and webhooks through the real senders to their loopback
// receivers: the push decrypted, the webhook's signature verified, each
// once.
func TestDispatchPushAndWebhook(t *testing.T) {
	push := notifytest.StartPushReceiver(t)
	hooks := notifytest.StartWebhookReceiver(t, "s3cret")
	p, err := notify.NewPush(notify.PushConfig{Subject: "mailto:quantri@example.vn", AllowLoopbackHTTP: true}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := newMemOutbox()
	sub := push.NewSubscription()
	o.contacts["ticket:t1"] = queue.Contact{Ref: "ticket:t1", Push: &sub}
	o.webhooks["w1"] = queue.Webhook{ID: "w1", Centre: "c1", URL: hooks.URL, Secret: "s3cret"}
	o.add(
		queue.Message{ID: "push-1", Centre: "c1", Channel: "push", Ref: "ticket:t1", Topic: "called",
			Data: map[string]string{"number": "A012", "counter": "3"}, CreatedAt: t0, Expires: t0.Add(time.Hour)},
		queue.Message{ID: "hook-1", Centre: "c1", Channel: "webhook", Ref: "w1", Topic: "ticket.called",
			Body: []byte(`{"id":"hook-1","type":"ticket.called","centre":"c1"}`), CreatedAt: t0, Expires: t0.Add(24 * time.Hour)},
	)
	d := notify.NewDispatcher(notify.DispatcherConfig{Outbox: o, PublicURL: "https://x.vn", Clock: func() time.Time { return t0 },
		Senders: map[string]notify.Sender{"push": p, "webhook": notify.NewWebhook(notify.WebhookConfig{AllowPrivate: true})}})
	if _, err := d.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"push-1", "hook-1"} {
		if m := o.get(id); m.Status != queue.MessageSent || m.Via != m.Channel {
			t.Errorf("%s: %+v", id, m)
		}
	}
	got := push.Deliveries()
	if len(got) != 1 || !strings.Contains(string(got[0].Payload), "Mời công dân số A012 đến Quầy 3.") ||
		!strings.Contains(string(got[0].Payload), "https://x.vn/track/t1") {
		t.Errorf("push: %+v", got)
	}
	if hooks.Count("hook-1") != 1 || len(hooks.Refused()) != 0 {
		t.Errorf("webhook: %d deliveries, refused %v", hooks.Count("hook-1"), hooks.Refused())
	}
}

// Wake makes Run claim at once, without waiting for its poll.
func TestDispatchWake(t *testing.T) {
	rec := &recorder{name: "zns", clock: time.Now}
	o := newMemOutbox()
	d := notify.NewDispatcher(notify.DispatcherConfig{Outbox: o, Senders: map[string]notify.Sender{"zns": rec},
		Clock: func() time.Time { return t0.Add(time.Minute) }, Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for round := 1; round <= 3; round++ {
		o.mu.Lock()
		o.contacts["ticket:w"] = queue.Contact{Ref: "ticket:w", Phone: "0912345678"}
		o.mu.Unlock()
		o.add(queue.Message{ID: fmt.Sprint("wake-", round), Centre: "c1", Channel: "phone", Ref: "ticket:w", Topic: "called",
			CreatedAt: t0, Expires: t0.Add(time.Hour)})
		d.Wake()
		for deadline := time.Now().Add(20 * time.Second); o.statuses()[queue.MessageSent] < round; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: not sent after Wake (the poll is an hour)", round)
			}
		}
	}
}
