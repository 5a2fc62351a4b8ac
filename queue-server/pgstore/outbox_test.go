package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// Two instances (two stores on one database), each with four senders,
// claim 600 messages at once until none is left: every message is claimed
// once, by one of them, and both instances got some.
func TestClaimAcrossInstances(t *testing.T) {
	url := db(t)
	stores := []*Store{open(t, url), open(t, url)}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	ch := l.TakeChanges()
	const total = 600
	for i := range total {
		at := now.Add(time.Duration(i%50) * time.Second)
		ch.Outbox = append(ch.Outbox, storetest.Message(fmt.Sprintf("m%04d", i), "c1", queue.ChannelPhone, at, at))
	}
	if err := stores[0].Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
		t.Fatal(err)
	}
	perStore := storetest.ClaimAll(t, now, total, 4, 7, stores[0], stores[1])
	if perStore[0] == 0 || perStore[1] == 0 {
		t.Fatalf("claims per instance %v: the test did not race them", perStore)
	}
	t.Logf("claims per instance: %v", perStore)
}

// A commit refused (a stale revision: another instance committed to the
// centre) writes none of its messages, contacts or webhooks; the change
// log of a commit holds its webhooks (other instances absorb them) and
// never a message or a contact (personal data).
func TestOutboxConflictAndChangeLog(t *testing.T) {
	s := open(t, db(t))
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	first := l.TakeChanges()
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{first}}); err != nil {
		t.Fatal(err)
	}
	contact := queue.Contact{Ref: "ticket:t1", Centre: "c1", Phone: "84912345678", Email: "an@example.vn",
		Push: &queue.PushSubscription{Endpoint: "https://push.example/sub-xyz", P256dh: "BNcR", Auth: "tBHI"}, ConsentAt: now, Expires: now.Add(8 * time.Hour)}
	hook := queue.Webhook{ID: "wh-1", Centre: "c1", URL: "https://motcua.example/hook", Secret: "s", CreatedAt: now}
	msg := storetest.Message("m1", "c1", queue.ChannelPhone, now, now)
	stale := &queue.Changes{Centre: "c1", Rev: first.Rev, // taken by the first commit
		Outbox: []queue.Message{msg}, Contacts: []queue.Contact{contact}, Webhooks: []queue.Webhook{hook}}
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{stale}}); !errors.Is(err, ErrConflict) {
		t.Fatalf("commit on a stale revision: %v, want ErrConflict", err)
	}
	if ms, err := s.ClaimMessages(now.Add(time.Hour), time.Minute, 10); err != nil || len(ms) != 0 {
		t.Fatalf("a refused commit's messages claimed: %d %v", len(ms), err)
	}
	if _, err := s.Contact(contact.Ref); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("a refused commit's contact: %v", err)
	}
	if _, err := s.Webhook(hook.ID); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("a refused commit's webhook: %v", err)
	}

	stale.Rev = first.Rev + 1
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{stale}}); err != nil {
		t.Fatal(err)
	}
	if ms, err := s.ClaimMessages(now.Add(time.Hour), time.Minute, 10); err != nil || len(ms) != 1 {
		t.Fatalf("the committed message: %d %v", len(ms), err)
	}
	var log string
	if err := s.pool.QueryRow(ctx, "SELECT doc::text FROM changes WHERE centre = 'c1' AND rev = $1", int64(stale.Rev)).Scan(&log); err != nil {
		t.Fatal(err)
	}
	for _, personal := range []string{contact.Phone, contact.Email, contact.Push.Endpoint, contact.Ref, msg.ID, msg.Ref} {
		if strings.Contains(log, personal) {
			t.Fatalf("the change log holds %q: %s", personal, log)
		}
	}
	chs, ok, err := s.Since(ctx, "c1", first.Rev)
	if err != nil || !ok || len(chs) != 1 || len(chs[0].Webhooks) != 1 || chs[0].Webhooks[0].URL != hook.URL {
		t.Fatalf("Since: the webhook not in the change log: %+v %v %v", chs, ok, err)
	}
	if len(chs[0].Outbox) != 0 || len(chs[0].Contacts) != 0 {
		t.Fatalf("Since gave messages or contacts: %+v", chs[0])
	}
}
