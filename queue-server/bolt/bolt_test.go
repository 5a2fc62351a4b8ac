package bolt_test

import (
	"errors"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"xephang/queue-server/bolt"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// MustOpen opens a store in a temporary directory, closed at the end of the test.
func MustOpen(tb testing.TB, dir string) *bolt.Store {
	tb.Helper()
	s, err := bolt.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (queue.Store, func() queue.Store) {
		dir := t.TempDir()
		s, err := bolt.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, func() queue.Store {
			s.Close()
			s = MustOpen(t, dir)
			return s
		}
	})
}

func TestSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	err := s.DB().Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("99")) })
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := bolt.Open(dir); !errors.Is(err, bolt.ErrNewerSchema) {
		t.Fatalf("opening a newer file: %v, want ErrNewerSchema", err)
	}
}

func TestLockedFile(t *testing.T) {
	dir := t.TempDir()
	MustOpen(t, dir)
	// A second process (here: a second open) must fail clearly, not hang.
	if _, err := bolt.Open(dir); err == nil {
		t.Fatal("second open of a locked file succeeded")
	}
}

func TestRefusedCommitChangesNothing(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	// Changes for a centre that was never configured: the whole batch,
	// accounts included, must be refused.
	err := s.Commit(&queue.Batch{
		Users:   []queue.User{{Username: "u1", Role: queue.RoleAdmin}},
		Centres: []*queue.Changes{{Centre: "ghost", Events: []queue.Event{{Seq: 1, Type: queue.EventIssued}}}},
	})
	if err == nil {
		t.Fatal("commit for an unknown centre succeeded")
	}
	if _, err := s.User("u1"); queue.ErrorCode(err) != queue.ENotFound {
		t.Fatalf("user of the refused batch was written: %v", err)
	}
}
