package bolt_test

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// The CPU of committing one issued ticket, with fsync turned off so that
// the disk does not hide it, against a bare one-key bbolt Update (the
// floor of make bench) in the same run. make bench measures the durable
// path; this isolates what the store itself adds to a commit.
func BenchmarkCommitIssuedCPU(b *testing.B) {
	s := MustOpen(b, b.TempDir())
	s.DB().NoSync = true
	c := storetest.Centre("c1")
	now := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	l := queue.NewLive(c, now, engine.NewID)
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		b.Fatal(err)
	}
	services := []string{"A", "B"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := l.Issue(now, queue.IssueRequest{Service: services[i%2], Source: queue.SourceStaff}); err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareUpdateCPU(b *testing.B) {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "floor.db"), 0o600, &bbolt.Options{FreelistType: bbolt.FreelistArrayType, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bucket := []byte("b")
	if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 200)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := binary.BigEndian.AppendUint64(nil, uint64(i))
		if err := db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put(key, val) }); err != nil {
			b.Fatal(err)
		}
	}
}
