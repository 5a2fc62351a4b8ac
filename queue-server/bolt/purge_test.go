package bolt_test

import (
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// TestSpentChallenges: a spent challenge stays spent across a reopen
// until it expires; expired ones are deleted as new ones are spent.
func TestSpentChallenges(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	exp := now.Add(10 * time.Minute)
	if fresh, err := s.SpendChallenge("c1", exp, now); err != nil || !fresh {
		t.Fatalf("first spend: %v %v", fresh, err)
	}
	s.Close()
	s = MustOpen(t, dir)
	if fresh, _ := s.SpendChallenge("c1", exp, now); fresh {
		t.Fatal("spent again after a reopen")
	}
	later := exp.Add(time.Minute)
	if fresh, _ := s.SpendChallenge("c2", later.Add(10*time.Minute), later); !fresh {
		t.Fatal("a new challenge refused")
	}
	n := 0
	s.DB().View(func(tx *bbolt.Tx) error { n = tx.Bucket([]byte("pow")).Stats().KeyN; return nil })
	if n != 1 {
		t.Fatalf("%d spent challenges kept, want 1 (the expired one deleted)", n)
	}
}
