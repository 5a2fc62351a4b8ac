package storetest

// The outbox's conformance cases: messages written with the changes that
// cause them (or not at all), claims with leases, delivery recorded,
// restarts; contacts and webhooks.

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// runOutbox runs the outbox's cases (from Run).
func runOutbox(t *testing.T, open Open) {
	t.Run("OutboxCommit", func(t *testing.T) { testOutboxCommit(t, open) })
	t.Run("OutboxClaim", func(t *testing.T) { testOutboxClaim(t, open) })
	t.Run("OutboxMessages", func(t *testing.T) { testOutboxMessages(t, open) })
	t.Run("Contacts", func(t *testing.T) { testContacts(t, open) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, open) })
	t.Run("OutboxFromLive", func(t *testing.T) { testOutboxFromLive(t, open) })
	t.Run("ClaimConcurrently", func(t *testing.T) { testClaimConcurrently(t, open) })
}

// testClaimConcurrently: senders claiming from one store at once each get
// other messages: every message is claimed once.
func testClaimConcurrently(t *testing.T, open Open) {
	s, _ := open(t)
	o := Outbox(t, s)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	newCentre(t, s, "phuong-k", now)
	const total = 300
	ch := &queue.Changes{Centre: "phuong-k"}
	for i := range total {
		at := now.Add(time.Duration(i%30) * time.Second)
		ch.Outbox = append(ch.Outbox, Message(fmt.Sprintf("m%04d", i), "phuong-k", queue.ChannelPhone, at, at))
	}
	commit(t, s, ch)
	ClaimAll(t, now, total, 4, 5, o)
}

// ClaimAll has workers senders per outbox claim batch messages at a time
// (each lease longer than the test: a message claimed twice would be a
// claim that ignored another's lease or lock) until none is left, fails
// the test unless each of the total messages was claimed exactly once, and
// returns how many each outbox claimed.
func ClaimAll(t *testing.T, now time.Time, total, workers, batch int, outs ...queue.Outbox) []int {
	t.Helper()
	var mu sync.Mutex
	claimed := map[string]int{}
	per := make([]int, len(outs))
	var wg sync.WaitGroup
	errs := make(chan error, workers*len(outs))
	for i, o := range outs {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ms, err := o.ClaimMessages(now.Add(time.Minute), time.Hour, batch)
					if err != nil {
						errs <- err
						return
					}
					if len(ms) == 0 {
						return
					}
					mu.Lock()
					for _, m := range ms {
						claimed[m.ID]++
					}
					per[i] += len(ms)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(claimed) != total {
		t.Fatalf("%d messages claimed of %d", len(claimed), total)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Fatalf("message %s claimed %d times", id, n)
		}
	}
	return per
}

// testOutboxFromLive: what the domain writes (a webhook, a citizen's
// contact, the messages of a call) is stored by the commit of its
// changes; a centre restored from the store has its webhook and goes on
// telling it.
func testOutboxFromLive(t *testing.T, open Open) {
	s, reopen := open(t)
	o := Outbox(t, s)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(Centre("phuong-d"), now, ids())
	hook, err := l.AddWebhook(now, queue.Webhook{URL: "https://motcua.example/hook", Secret: "s", Events: []string{queue.EventCalled}}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, l.TakeChanges())
	tk, err := l.Issue(now, queue.IssueRequest{Service: "A", Notify: &queue.NotifyRequest{Phone: "0912345678", Consent: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Next(now.Add(time.Minute), 1, "canbo1"); err != nil {
		t.Fatal(err)
	}
	ch := l.TakeChanges()
	if len(ch.Outbox) != 2 || len(ch.Contacts) != 1 {
		t.Fatalf("the domain wrote %d messages and %d contacts, want 2 and 1", len(ch.Outbox), len(ch.Contacts))
	}
	commit(t, s, ch)
	if reopen != nil {
		s = reopen()
		o = Outbox(t, s)
	}
	c, err := o.Contact(queue.ContactRef(queue.RefTicket, tk.ID))
	if err != nil || c.Phone == "" || c.Centre != "phuong-d" {
		t.Fatalf("the ticket's contact: %+v %v", c, err)
	}
	got := claim(t, o, now.Add(2*time.Minute), time.Minute, 10)
	topics := map[string]string{}
	for _, m := range got {
		topics[m.Channel] = m.Topic + " " + m.Ref
	}
	if len(got) != 2 || topics[queue.ChannelPhone] != queue.TopicCalled+" ticket:"+tk.ID || topics[queue.ChannelWebhook] != queue.EventCalled+" "+hook.ID {
		t.Fatalf("claimed %v", topics)
	}
	r := queue.Restore(mustLoad(t, s, "phuong-d"), now.Add(3*time.Minute), ids())
	if _, err := r.Issue(now.Add(3*time.Minute), queue.IssueRequest{Service: "B"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Next(now.Add(4*time.Minute), 1, "canbo1"); err != nil {
		t.Fatal(err)
	}
	if ch := r.TakeChanges(); len(ch.Outbox) != 1 || ch.Outbox[0].Ref != hook.ID {
		t.Fatalf("a centre restored from the store wrote %+v: its webhook was not loaded", ch.Outbox)
	}
}

// Outbox returns the store's queue.Outbox, failing the test when it has none.
func Outbox(t testing.TB, s queue.Store) queue.Outbox {
	t.Helper()
	o, ok := s.(queue.Outbox)
	if !ok {
		t.Fatalf("%T is not a queue.Outbox", s)
	}
	return o
}

// Message returns a pending message of a centre for tests, due at next.
func Message(id, centre, channel string, created, next time.Time) queue.Message {
	return queue.Message{
		ID: id, Centre: centre, Channel: channel, Ref: queue.ContactRef(queue.RefTicket, "t-"+id), Topic: queue.TopicNear,
		Data:      map[string]string{"number": "A012", "position": "3", "centre_name": "Phường Thử"},
		CreatedAt: created, Expires: created.Add(time.Hour), Status: queue.MessagePending, NextAt: next,
	}
}

// messageIDs lists the messages' ids, in order.
func messageIDs(ms []queue.Message) string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return strings.Join(ids, " ")
}

// newCentre commits a new centre with the id.
func newCentre(t *testing.T, s queue.Store, id string, now time.Time) *queue.Live {
	t.Helper()
	l := queue.NewLive(Centre(id), now, ids())
	commit(t, s, l.TakeChanges())
	return l
}

func claim(t *testing.T, o queue.Outbox, now time.Time, lease time.Duration, n int) []queue.Message {
	t.Helper()
	ms, err := o.ClaimMessages(now, lease, n)
	if err != nil {
		t.Fatalf("ClaimMessages: %v", err)
	}
	return ms
}

// testOutboxCommit: a message is written by the commit of the change that
// causes it, whole (its webhook body byte for byte), and is claimable;
// a failed commit writes none of its messages; a repeated id keeps the
// first message and its delivery state.
func testOutboxCommit(t *testing.T, open Open) {
	s, reopen := open(t)
	o := Outbox(t, s)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := newCentre(t, s, "phuong-o", now)
	tk, err := l.Issue(now, queue.IssueRequest{Service: "A"})
	if err != nil {
		t.Fatal(err)
	}
	ch := l.TakeChanges()
	m := Message("m1", "phuong-o", queue.ChannelPhone, now, now)
	m.Ref = queue.ContactRef(queue.RefTicket, tk.ID)
	hook := Message("m2", "", queue.ChannelWebhook, now, now.Add(time.Second)) // the centre from the changes
	hook.Ref, hook.Topic, hook.Data = "wh-1", "ticket.issued", nil
	hook.Body = json.RawMessage(`{"type":"ticket.issued","id":"m2","data":{"number":"A001","centre":"phuong-o"}}`)
	ch.Outbox = []queue.Message{m, hook}
	commit(t, s, ch)
	if _, err := s.Ticket(tk.ID); err != nil {
		t.Fatalf("the ticket of the commit: %v", err)
	}
	if got := claim(t, o, now.Add(-time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed before they are due: %s", messageIDs(got))
	}
	got := claim(t, o, now.Add(time.Second), time.Minute, 10)
	if messageIDs(got) != "m1 m2" {
		t.Fatalf("claimed %q, want m1 m2", messageIDs(got))
	}
	if g := got[0]; g.Ref != m.Ref || g.Topic != m.Topic || g.Channel != m.Channel || g.Centre != m.Centre || g.Data["centre_name"] != "Phường Thử" ||
		!g.CreatedAt.Equal(m.CreatedAt) || !g.Expires.Equal(m.Expires) || !g.NextAt.Equal(m.NextAt) || g.Status != queue.MessagePending ||
		!g.LeaseUntil.Equal(now.Add(time.Second+time.Minute)) {
		t.Fatalf("claimed %+v, committed %+v", g, m)
	}
	if g := got[1]; string(g.Body) != string(hook.Body) || g.Centre != "phuong-o" || g.Data != nil {
		t.Fatalf("webhook message claimed as %+v (body %s)", g, g.Body)
	}

	// A failed commit: another centre's changes in the batch do not exist.
	bad := &queue.Batch{Centres: []*queue.Changes{
		{Centre: "phuong-o", Outbox: []queue.Message{Message("m3", "phuong-o", queue.ChannelEmail, now, now)}},
		{Centre: "ghost", Outbox: []queue.Message{Message("m4", "ghost", queue.ChannelEmail, now, now)}, Events: []queue.Event{{Seq: 1, Type: queue.EventIssued}}},
	}}
	if err := s.Commit(bad); err == nil {
		t.Fatal("a commit to a centre that does not exist succeeded")
	}
	if got := claim(t, o, now.Add(time.Hour), time.Minute, 10); messageIDs(got) != "m1 m2" {
		t.Fatalf("after a failed commit claimed %q, want only m1 m2 again (their leases ended)", messageIDs(got))
	}
	if ms, err := o.Messages("phuong-o", "", "", 10); err != nil || len(ms) != 2 {
		t.Fatalf("messages after a failed commit: %q %v", messageIDs(ms), err)
	}
	// A record of another centre in a centre's changes is refused.
	for name, ch := range map[string]*queue.Changes{
		"message": {Centre: "phuong-o", Outbox: []queue.Message{Message("m6", "phuong-x", queue.ChannelEmail, now, now)}},
		"contact": {Centre: "phuong-o", Contacts: []queue.Contact{{Ref: "ticket:x", Centre: "phuong-x", Phone: "84912345678", Expires: now.Add(time.Hour)}}},
		"webhook": {Centre: "phuong-o", Webhooks: []queue.Webhook{{ID: "wh-x", Centre: "phuong-x", URL: "https://x.example/h", Secret: "s"}}},
	} {
		if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err == nil {
			t.Errorf("a %s of another centre was committed", name)
		}
	}

	// Sent, then committed again (a retried request), or another message
	// with its id: the repeat is ignored, before a restart and after.
	sent := now.Add(time.Hour)
	m.Status, m.Attempts, m.Via, m.SentAt = queue.MessageSent, 1, "zns", &sent
	if err := o.SaveDelivery([]queue.Message{m}); err != nil {
		t.Fatal(err)
	}
	again := Message("m1", "phuong-o", queue.ChannelPhone, now, now)
	again.Topic = queue.TopicCalled
	later := Message("m1", "phuong-o", queue.ChannelEmail, now.Add(time.Hour), now.Add(time.Hour))
	twice := Message("m5", "phuong-o", queue.ChannelEmail, now, now.Add(2*time.Hour)) // twice in one commit: the first kept
	twice2 := twice
	twice2.Topic = queue.TopicCalled
	commit(t, s, &queue.Changes{Centre: "phuong-o", Outbox: []queue.Message{again, again, later, twice, twice2}})
	check := func() {
		t.Helper()
		ms, err := o.Messages("phuong-o", "", "", 10)
		if err != nil || messageIDs(ms) != "m5 m2 m1" && messageIDs(ms) != "m5 m1 m2" {
			t.Fatalf("messages: %q %v, want m5, m2 and m1 once", messageIDs(ms), err)
		}
		for _, g := range ms {
			if g.ID == "m1" && (g.Status != queue.MessageSent || g.Topic != queue.TopicNear || g.Channel != queue.ChannelPhone || g.Via != "zns" || g.SentAt == nil || !g.SentAt.Equal(sent)) {
				t.Fatalf("a repeated id overwrote the message: %+v", g)
			}
			if g.ID == "m5" && g.Topic != queue.TopicNear {
				t.Fatalf("the second of an id in one commit won: %+v", g)
			}
		}
	}
	check()
	if reopen != nil {
		s = reopen()
		o = Outbox(t, s)
	}
	commit(t, s, &queue.Changes{Centre: "phuong-o", Outbox: []queue.Message{later}})
	check()
}

// testOutboxClaim: claims take due messages oldest NextAt first (then by
// id), at most n, each once until its lease ends; SaveDelivery ends the
// lease and takes sent and failed messages out, a pending one comes back
// at its new NextAt; a restart keeps pending messages claimable.
func testOutboxClaim(t *testing.T, open Open) {
	s, reopen := open(t)
	o := Outbox(t, s)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	newCentre(t, s, "phuong-q", t0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	commit(t, s, &queue.Changes{Centre: "phuong-q", Outbox: []queue.Message{
		Message("a", "phuong-q", queue.ChannelPhone, t0, at(2*time.Second)),
		Message("c", "phuong-q", queue.ChannelEmail, t0, at(time.Second)),
		Message("b", "phuong-q", queue.ChannelPush, t0, at(time.Second)),
		Message("d", "phuong-q", queue.ChannelPhone, t0, at(time.Hour)),
	}})
	lease := 30 * time.Second
	if got := claim(t, o, at(5*time.Second), lease, 2); messageIDs(got) != "b c" {
		t.Fatalf("first claim %q, want b c", messageIDs(got))
	}
	if got := claim(t, o, at(5*time.Second), lease, 10); messageIDs(got) != "a" {
		t.Fatalf("second claim %q, want a (b and c leased)", messageIDs(got))
	}
	if got := claim(t, o, at(35*time.Second), lease, 10); len(got) != 0 {
		t.Fatalf("claimed %q at the leases' end", messageIDs(got))
	}
	got := claim(t, o, at(36*time.Second), lease, 10)
	if messageIDs(got) != "b c a" {
		t.Fatalf("claim after the leases %q, want b c a", messageIDs(got))
	}
	sent := at(40 * time.Second)
	b, c, a := got[0], got[1], got[2]
	b.Status, b.Attempts, b.Via, b.SentAt = queue.MessageSent, 1, "push", &sent
	c.Status, c.Attempts, c.Via, c.Error = queue.MessageFailed, 1, "email", "550 mailbox unavailable"
	a.Attempts, a.NextAt, a.Error = 1, at(10*time.Minute), "zns: timeout"
	gone := Message("gone", "phuong-q", queue.ChannelPhone, t0, t0) // never stored (purged): skipped
	if err := Outbox(t, s).SaveDelivery([]queue.Message{b, c, gone, a}); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, o, at(10*time.Minute-time.Second), lease, 10); len(got) != 0 {
		t.Fatalf("claimed %q before a's new NextAt", messageIDs(got))
	}
	if reopen != nil {
		s = reopen()
		o = Outbox(t, s)
	}
	got = claim(t, o, at(10*time.Minute), lease, 10)
	if messageIDs(got) != "a" {
		t.Fatalf("claim at a's new NextAt %q, want a", messageIDs(got))
	}
	if g := got[0]; g.Attempts != 1 || g.Error != "zns: timeout" || !g.NextAt.Equal(at(10*time.Minute)) || g.Status != queue.MessagePending {
		t.Fatalf("a retried: %+v", g)
	}
	// Killed mid-send. A store several processes share keeps the lease
	// across the restart of one (another may still be sending), then it
	// ends; a store one process opens (bbolt) frees its dead process's
	// leases: they go out at once.
	if reopen != nil {
		s = reopen()
		o = Outbox(t, s)
		_, shared := s.(queue.SharedStore)
		got := claim(t, o, at(10*time.Minute+lease), lease, 10)
		switch {
		case shared && len(got) != 0:
			t.Fatalf("claimed %q under a lease another process may hold", messageIDs(got))
		case !shared && messageIDs(got) != "a":
			t.Fatalf("claimed %q after a restart, want a: no other process holds its lease", messageIDs(got))
		}
	} else if got := claim(t, o, at(10*time.Minute+lease), lease, 10); len(got) != 0 {
		t.Fatalf("claimed %q under its lease", messageIDs(got))
	}
	if got := claim(t, o, at(time.Hour), lease, 10); messageIDs(got) != "a d" {
		t.Fatalf("claim after the restart %q, want a d", messageIDs(got))
	}
	for status, want := range map[string]string{queue.MessageSent: "b", queue.MessageFailed: "c", queue.MessagePending: "a d"} {
		ms, err := o.Messages("phuong-q", "", status, 10)
		if err != nil {
			t.Fatal(err)
		}
		ids := strings.Fields(messageIDs(ms))
		if strings.Join(sortedStrings(ids), " ") != want {
			t.Fatalf("%s messages %q, want %q", status, messageIDs(ms), want)
		}
	}
	ms, _ := o.Messages("phuong-q", "", queue.MessageSent, 1)
	if g := ms[0]; g.Via != "push" || g.SentAt == nil || !g.SentAt.Equal(sent) || !g.LeaseUntil.IsZero() {
		t.Fatalf("sent message %+v", g)
	}
	ms, _ = o.Messages("phuong-q", "", queue.MessageFailed, 1)
	if g := ms[0]; g.Error != "550 mailbox unavailable" || g.SentAt != nil {
		t.Fatalf("failed message %+v", g)
	}
	if got, err := o.ClaimMessages(at(time.Hour), lease, 0); err != nil || len(got) != 0 {
		t.Fatalf("a claim of 0: %q %v", messageIDs(got), err)
	}
	if err := o.SaveDelivery(nil); err != nil {
		t.Fatalf("SaveDelivery of nothing: %v", err)
	}
}

func sortedStrings(xs []string) []string {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	return xs
}

// testOutboxMessages: a centre's messages, newest first, filtered by
// channel and status, at most limit; other centres' never.
func testOutboxMessages(t *testing.T, open Open) {
	s, _ := open(t)
	o := Outbox(t, s)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	for _, c := range []string{"phuong-m", "phuong-m2", "phuong"} {
		newCentre(t, s, c, t0)
	}
	var chs []*queue.Changes
	for _, c := range []string{"phuong-m", "phuong-m2", "phuong"} {
		ch := &queue.Changes{Centre: c}
		for i := range 6 {
			channel := []string{queue.ChannelPhone, queue.ChannelEmail, queue.ChannelWebhook}[i%3]
			created := t0.Add(time.Duration(i) * time.Minute)
			ch.Outbox = append(ch.Outbox, Message(fmt.Sprintf("%s-%d", c, i), c, channel, created, created))
		}
		chs = append(chs, ch)
	}
	commit(t, s, chs...)
	got, _ := o.ClaimMessages(t0.Add(time.Hour), time.Minute, 100)
	if len(got) != 18 {
		t.Fatalf("claimed %d of 18", len(got))
	}
	for _, m := range got {
		if m.ID == "phuong-m-0" {
			m.Status = queue.MessageSent
			if err := o.SaveDelivery([]queue.Message{m}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		channel, status string
		limit           int
		want            string
	}{
		{"", "", 100, "phuong-m-5 phuong-m-4 phuong-m-3 phuong-m-2 phuong-m-1 phuong-m-0"},
		{"", "", 2, "phuong-m-5 phuong-m-4"},
		{queue.ChannelPhone, "", 100, "phuong-m-3 phuong-m-0"},
		{queue.ChannelWebhook, queue.MessagePending, 100, "phuong-m-5 phuong-m-2"},
		{"", queue.MessageSent, 100, "phuong-m-0"},
		{queue.ChannelPush, "", 100, ""},
		{"", "", 0, ""},
	} {
		ms, err := o.Messages("phuong-m", tc.channel, tc.status, tc.limit)
		if err != nil || messageIDs(ms) != tc.want {
			t.Errorf("Messages(%q, %q, %d): %q %v, want %q", tc.channel, tc.status, tc.limit, messageIDs(ms), err, tc.want)
		}
	}
	if ms, err := o.Messages("nowhere", "", "", 10); err != nil || len(ms) != 0 {
		t.Errorf("Messages of a centre without any: %q %v", messageIDs(ms), err)
	}
}

// testContacts: a contact upserts by ref, an empty one removes it, Purge
// erases the centre's expired contacts (not another centre's, not live
// ones) and its messages older than queue.MessageKeepDays.
func testContacts(t *testing.T, open Open) {
	s, reopen := open(t)
	o := Outbox(t, s)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	newCentre(t, s, "phuong-p", now)
	newCentre(t, s, "phuong-r", now)
	c1 := queue.Contact{Ref: "ticket:t1", Centre: "phuong-p", Phone: "84912345678", ConsentAt: now, Expires: now.Add(8 * time.Hour)}
	c2 := queue.Contact{Ref: "booking:BK1", Email: "an@example.vn", ConsentAt: now, Expires: now.Add(-time.Minute), // the centre from the changes
		Push: &queue.PushSubscription{Endpoint: "https://push.example/abc", P256dh: "BNcR", Auth: "tBHI"}}
	c3 := queue.Contact{Ref: "ticket:t3", Centre: "phuong-r", Phone: "84987654321", ConsentAt: now, Expires: now.Add(-time.Hour)}
	gone := queue.Contact{Ref: "ticket:t4", Centre: "phuong-p", Phone: "84900000000", ConsentAt: now, Expires: now.Add(time.Hour)}
	commit(t, s, &queue.Changes{Centre: "phuong-p", Contacts: []queue.Contact{c1, c2, gone, {Ref: gone.Ref}}},
		&queue.Changes{Centre: "phuong-r", Contacts: []queue.Contact{c3}})
	if _, err := o.Contact(gone.Ref); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("a contact removed in its commit: %v", err)
	}
	c1.Email, c1.Phone = "an@example.vn", "" // changed its mind
	commit(t, s, &queue.Changes{Centre: "phuong-p", Contacts: []queue.Contact{c1}})
	if reopen != nil {
		s = reopen()
		o = Outbox(t, s)
	}
	got, err := o.Contact(c1.Ref)
	if err != nil || got.Email != "an@example.vn" || got.Phone != "" || !got.Expires.Equal(c1.Expires) || !got.ConsentAt.Equal(now) {
		t.Fatalf("Contact after its update: %+v %v", got, err)
	}
	got, err = o.Contact(c2.Ref)
	if err != nil || got.Centre != "phuong-p" || got.Push == nil || got.Push.Auth != "tBHI" || got.Email != c2.Email {
		t.Fatalf("Contact: %+v %v", got, err)
	}
	// Messages: one created 15 days ago (pending still), one 13.
	commit(t, s, &queue.Changes{Centre: "phuong-p", Outbox: []queue.Message{
		Message("old", "phuong-p", queue.ChannelPhone, now.AddDate(0, 0, -15), now),
		Message("recent", "phuong-p", queue.ChannelPhone, now.AddDate(0, 0, -13), now.Add(time.Hour)),
	}}, &queue.Changes{Centre: "phuong-r", Outbox: []queue.Message{Message("other", "phuong-r", queue.ChannelPhone, now.AddDate(0, 0, -20), now.Add(time.Hour))}})
	if _, err := s.Purge("phuong-p", "2026-11-01", now.AddDate(0, 0, -60), now); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Contact(c2.Ref); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("an expired contact after the purge: %v", err)
	}
	if _, err := o.Contact(c1.Ref); err != nil {
		t.Fatalf("a live contact after the purge: %v", err)
	}
	if _, err := o.Contact(c3.Ref); err != nil {
		t.Fatalf("another centre's contact after the purge: %v", err)
	}
	if ms, _ := o.Messages("phuong-p", "", "", 10); messageIDs(ms) != "recent" {
		t.Fatalf("messages after the purge %q, want recent", messageIDs(ms))
	}
	if got := claim(t, o, now.Add(2*time.Hour), time.Minute, 10); messageIDs(got) != "other recent" {
		t.Fatalf("claimed after the purge %q, want other recent", messageIDs(got))
	}
	commit(t, s, &queue.Changes{Centre: "phuong-p", Contacts: []queue.Contact{{Ref: "ticket:never"}}}) // removing none
	if _, err := o.Contact("ticket:never"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("Contact of none: %v", err)
	}
}

// testWebhooks: webhooks upsert by id; a deleted one stays readable by id
// but leaves the centre's list and its snapshot.
func testWebhooks(t *testing.T, open Open) {
	s, reopen := open(t)
	o := Outbox(t, s)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	newCentre(t, s, "phuong-w", now)
	newCentre(t, s, "phuong-v", now)
	w1 := queue.Webhook{ID: "wh-1", Centre: "phuong-w", URL: "https://motcua.example/hook", Events: []string{"ticket.called"}, Secret: "s1", CreatedAt: now, CreatedBy: "admin"}
	w2 := queue.Webhook{ID: "wh-2", URL: "https://app.example/hook", Secret: "s2", CreatedAt: now} // the centre from the changes
	w3 := queue.Webhook{ID: "wh-3", Centre: "phuong-v", URL: "https://other.example/hook", Secret: "s3", CreatedAt: now}
	commit(t, s, &queue.Changes{Centre: "phuong-w", Webhooks: []queue.Webhook{w2, w1}}, &queue.Changes{Centre: "phuong-v", Webhooks: []queue.Webhook{w3}})
	w1.Events = append(w1.Events, "ticket.served")
	w2.Deleted = true
	commit(t, s, &queue.Changes{Centre: "phuong-w", Webhooks: []queue.Webhook{w1, w2}})
	if reopen != nil {
		s = reopen()
		o = Outbox(t, s)
	}
	ws, err := o.Webhooks("phuong-w")
	if err != nil || len(ws) != 1 || ws[0].ID != "wh-1" || len(ws[0].Events) != 2 || ws[0].Secret != "s1" || ws[0].CreatedBy != "admin" {
		t.Fatalf("Webhooks: %+v %v", ws, err)
	}
	got, err := o.Webhook("wh-2")
	if err != nil || !got.Deleted || got.Centre != "phuong-w" || got.URL != w2.URL {
		t.Fatalf("a deleted webhook: %+v %v", got, err)
	}
	if _, err := o.Webhook("wh-9"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("Webhook of none: %v", err)
	}
	snap, err := s.LoadCentre("phuong-w")
	if err != nil || len(snap.Webhooks) != 1 || snap.Webhooks[0].ID != "wh-1" || !snap.Webhooks[0].Wants("ticket.served") {
		t.Fatalf("snapshot webhooks: %+v %v", snap.Webhooks, err)
	}
	snaps, err := s.LoadCentres()
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range snaps {
		want := map[string]string{"phuong-w": "wh-1", "phuong-v": "wh-3"}[sn.Config.ID]
		if len(sn.Webhooks) != 1 || sn.Webhooks[0].ID != want {
			t.Fatalf("LoadCentres: %s's webhooks %+v", sn.Config.ID, sn.Webhooks)
		}
	}
	if ws, err := o.Webhooks("phuong-none"); err != nil || len(ws) != 0 {
		t.Fatalf("Webhooks of a centre without any: %+v %v", ws, err)
	}
}

// BenchClaimSave is the benchmark of a sender's work on a store: each op
// claims 100 due messages and records them sent (two transactions); the
// commit that wrote them, 100 messages with the change that caused them,
// is not timed.
func BenchClaimSave(b *testing.B, s queue.Store, now time.Time) {
	const batch = 100
	o, ok := s.(queue.Outbox)
	if !ok {
		b.Fatalf("%T is not a queue.Outbox", s)
	}
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{queue.NewLive(Centre("c1"), now, ids()).TakeChanges()}}); err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		ch := &queue.Changes{Centre: "c1"}
		for range batch {
			n++
			ch.Outbox = append(ch.Outbox, Message(fmt.Sprintf("m%08d", n), "c1", queue.ChannelPhone, now, now))
		}
		if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		ms, err := o.ClaimMessages(now, time.Minute, batch)
		if err != nil || len(ms) != batch {
			b.Fatalf("claimed %d of %d: %v", len(ms), batch, err)
		}
		sent := now
		for i := range ms {
			ms[i].Status, ms[i].Attempts, ms[i].Via, ms[i].SentAt = queue.MessageSent, 1, "zns", &sent
		}
		if err := o.SaveDelivery(ms); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "msgs/s")
}
