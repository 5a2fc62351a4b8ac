package bolt_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"xephang/queue-server/bolt"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// TestExport: a store read whole, read-only: every ticket of every day as
// Ticket returns it (those kept only in their issued event among them),
// every event, booking, audit and no-show record, block, message, contact,
// webhook (deleted ones too), session and key fingerprint; the file is not changed, and the read-only store refuses
// to write.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	c := storetest.Centre("phuong-a")
	storetest.AlwaysOpen(&c)
	c.Services[0].Bookable, c.Services[0].SlotMinutes, c.Services[0].SlotCapacity = true, 30, 2
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	l := queue.NewLive(c, now, engine.NewID)
	commit := func() {
		t.Helper()
		if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
			t.Fatal(err)
		}
	}
	commit()
	var ids []string
	for d := range 3 {
		at := now.AddDate(0, 0, d)
		if _, err := l.Resume(at, 1, "canbo"); err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			tk, err := l.Issue(at.Add(time.Duration(i)*time.Minute), queue.IssueRequest{Service: "A", Source: queue.SourceStaff})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tk.ID)
			commit() // one issue per commit: the new tickets stay in their events
		}
		if _, _, err := l.Next(at.Add(5*time.Minute), 1, "canbo"); err != nil {
			t.Fatal(err)
		}
		start := at.Truncate(30 * time.Minute).Add(3 * time.Hour)
		if _, err := l.Book(at, queue.BookRequest{Code: "BK" + string(rune('A'+d)), Service: "A", Start: start,
			Citizen: queue.Citizen{Key: "cit" + string(rune('a'+d)), Name: "Nguyễn Văn An", Phone: "0912345678"}, Source: queue.BookedOnline}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.LeaseBlock(at, "kiosk-1", "B", "", 5); err != nil {
			t.Fatal(err)
		}
		commit()
	}
	err := s.Commit(&queue.Batch{Centres: []*queue.Changes{{Centre: c.ID,
		Outbox:   []queue.Message{storetest.Message("m1", c.ID, queue.ChannelPhone, now, now), storetest.Message("m2", c.ID, queue.ChannelEmail, now, now)},
		Contacts: []queue.Contact{{Ref: "ticket:x", Phone: "84912345678", ConsentAt: now, Expires: now.Add(time.Hour)}},
		Webhooks: []queue.Webhook{{ID: "wh-1", URL: "https://motcua.example/h", Secret: "s", CreatedAt: now}, {ID: "wh-2", URL: "https://app.example/h", Secret: "s", Deleted: true}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(time.Hour)
	if err := s.Commit(&queue.Batch{Sessions: []queue.Session{{Hash: "h1", Username: "u", Expires: exp}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeyID("citizen", "k-123"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, err := os.ReadFile(filepath.Join(dir, bolt.FileName))
	if err != nil {
		t.Fatal(err)
	}

	r, err := bolt.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	centres, err := r.CentreIDs()
	if err != nil || !reflect.DeepEqual(centres, []string{c.ID}) {
		t.Fatalf("centres %v %v", centres, err)
	}
	var got []queue.Ticket
	if err := r.ForEachTicket(c.ID, func(tk queue.Ticket) error { got = append(got, tk); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d tickets exported, %d issued", len(got), len(ids))
	}
	pendingSeen := 0
	for i, tk := range got {
		want, err := r.Ticket(tk.ID)
		if err != nil || !reflect.DeepEqual(tk, want) {
			t.Fatalf("exported %+v, Ticket says %+v %v", tk, want, err)
		}
		if i > 0 && (tk.Day < got[i-1].Day || tk.Day == got[i-1].Day && tk.ID <= got[i-1].ID) {
			t.Fatalf("tickets out of order at %d", i)
		}
		if tk.Status == queue.StatusWaiting && tk.Day == "2026-11-25" {
			pendingSeen++
		}
	}
	if pendingSeen == 0 {
		t.Fatal("no ticket of the current day kept only in its issued event was exported")
	}
	var seqs []uint64
	if err := r.ForEachEvent(c.ID, func(e queue.Event) error { seqs = append(seqs, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if snap, _ := r.LoadCentre(c.ID); len(seqs) == 0 || seqs[0] != 1 || seqs[len(seqs)-1] != snap.Meta.LastSeq || uint64(len(seqs)) != snap.Meta.LastSeq {
		t.Fatalf("events %v, last seq %d", seqs, snap.Meta.LastSeq)
	}
	nb, nn := countOf(t, func(f func(queue.Booking) error) error { return r.ForEachBooking(c.ID, f) }),
		countOf(t, func(f func(queue.NoShow) error) error { return r.ForEachNoShow(c.ID, f) })
	na, nk := countOf(t, func(f func(queue.Audit) error) error { return r.ForEachAudit(c.ID, f) }),
		countOf(t, func(f func(queue.NumberBlock) error) error { return r.ForEachBlock(c.ID, f) })
	ns := countOf(t, r.ForEachSession)
	nm, nc, nw := countOf(t, func(f func(queue.Message) error) error { return r.ForEachMessage(c.ID, f) }),
		countOf(t, func(f func(queue.Contact) error) error { return r.ForEachContact(c.ID, f) }),
		countOf(t, func(f func(queue.Webhook) error) error { return r.ForEachWebhook(c.ID, f) })
	if nm != 2 || nc != 1 || nw != 2 { // the deleted webhook too
		t.Fatalf("messages %d, contacts %d, webhooks %d", nm, nc, nw)
	}
	// Two of the three bookings' days ended unattended: two no-shows.
	if nb != 3 || nn != 2 || na != 3 || nk != 3 || ns != 1 {
		t.Fatalf("bookings %d, no-shows %d, audit %d, blocks %d, sessions %d", nb, nn, na, nk, ns)
	}
	if keys, err := r.KeyIDs(); err != nil || !reflect.DeepEqual(keys, map[string]string{"citizen": "k-123"}) {
		t.Fatalf("key ids %v %v", keys, err)
	}
	if err := r.Commit(&queue.Batch{Users: []queue.User{{Username: "x", Role: queue.RoleAdmin}}}); err == nil {
		t.Fatal("a read-only store committed")
	}
	r.Close()
	after, err := os.ReadFile(filepath.Join(dir, bolt.FileName))
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("reading the store read-only changed its file (%v)", err)
	}
}

// TestOpenReadOnlyRefuses: no store, a store in use, a store of an older
// schema: each a clear error, and nothing created.
func TestOpenReadOnlyRefuses(t *testing.T) {
	empty := t.TempDir()
	if _, err := bolt.OpenReadOnly(empty); err == nil || !strings.Contains(err.Error(), "no store") {
		t.Fatalf("no store: %v", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("reading an empty directory created %v", entries)
	}

	dir := t.TempDir()
	s := MustOpen(t, dir)
	if _, err := bolt.OpenReadOnly(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("store in use: %v", err)
	}
	if err := s.DB().Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := bolt.OpenReadOnly(dir); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Fatalf("older schema: %v", err)
	}
}

// countOf counts what a ForEach method gives.
func countOf[T any](t *testing.T, each func(func(T) error) error) int {
	t.Helper()
	n := 0
	if err := each(func(T) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReadOnlyBeforeOutbox: a file written before the outbox, read
// read-only (nothing creates its webhooks bucket), has no messages,
// contacts or webhooks, and says so without an error.
func TestReadOnlyBeforeOutbox(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{queue.NewLive(storetest.Centre("c1"), now, engine.NewID).TakeChanges()}}); err != nil {
		t.Fatal(err)
	}
	err := s.DB().Update(func(tx *bbolt.Tx) error {
		for _, b := range []string{"webhooks", "contacts"} {
			if err := tx.DeleteBucket([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	r, err := bolt.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := countOf(t, func(f func(queue.Message) error) error { return r.ForEachMessage("c1", f) }); n != 0 {
		t.Fatalf("%d messages", n)
	}
	if n := countOf(t, func(f func(queue.Contact) error) error { return r.ForEachContact("c1", f) }); n != 0 {
		t.Fatalf("%d contacts", n)
	}
	if n := countOf(t, func(f func(queue.Webhook) error) error { return r.ForEachWebhook("c1", f) }); n != 0 {
		t.Fatalf("%d webhooks", n)
	}
	if ms, err := r.Messages("c1", "", "", 10); err != nil || len(ms) != 0 {
		t.Fatalf("Messages: %v %v", ms, err)
	}
	if _, err := r.Contact("ticket:x"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("Contact: %v", err)
	}
	if snap, err := r.LoadCentre("c1"); err != nil || len(snap.Webhooks) != 0 {
		t.Fatalf("LoadCentre: %+v %v", snap.Webhooks, err)
	}
}
