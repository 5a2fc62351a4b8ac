package bolt_test

import (
	"testing"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/queue"
)

// Contacts are kept by consent time (a round's share pages): a ref set
// again, in a later commit or the same one, or removed, leaves one record
// or none, and the store finds it by ref after a restart.
func TestContactsByConsentTime(t *testing.T) {
	dir := t.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cfg := queue.Centre{ID: "phuong-c", Name: "Phường C", Services: []queue.Service{{Code: "A", Name: "Hộ tịch"}}}
	cfg.Normalize()
	commit := func(cs ...queue.Contact) {
		t.Helper()
		if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{{Centre: "phuong-c", Config: &cfg, Contacts: cs}}}); err != nil {
			t.Fatal(err)
		}
	}
	c := func(ref, phone string, at time.Duration) queue.Contact {
		return queue.Contact{Ref: ref, Centre: "phuong-c", Phone: phone, ConsentAt: t0.Add(at), Expires: t0.Add(24 * time.Hour)}
	}
	commit(c("ticket:a", "0911111111", 0), c("ticket:b", "0922222222", time.Second))
	commit(c("ticket:a", "0933333333", time.Minute), c("ticket:a", "0944444444", 2*time.Minute), queue.Contact{Ref: "ticket:b", Centre: "phuong-c"})
	check := func(s *bolt.Store) {
		t.Helper()
		var all []queue.Contact
		if err := s.ForEachContact("phuong-c", func(x queue.Contact) error { all = append(all, x); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(all) != 1 || all[0].Phone != "0944444444" {
			t.Fatalf("records %+v, want ticket:a's last", all)
		}
		if got, err := s.Contact("ticket:a"); err != nil || got.Phone != "0944444444" {
			t.Fatalf("ticket:a: %+v %v", got, err)
		}
		if _, err := s.Contact("ticket:b"); queue.ErrorCode(err) != queue.ENotFound {
			t.Fatalf("ticket:b removed: %v", err)
		}
	}
	check(s)
	s.Close()
	s = MustOpen(t, dir)
	check(s)
	// Purged at expiry, and gone from the index.
	if _, err := s.Purge("phuong-c", "2026-01-01", t0, t0.Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Contact("ticket:a"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("purged: %v", err)
	}
}
