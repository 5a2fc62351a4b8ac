package pgstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
	"xephang/queue-server/testsrv"
)

// The benchmarks commit to a durable cluster (fsync on, as production),
// one for the binary, a database per benchmark.
var (
	durableOnce sync.Once
	durable     *testsrv.Cluster
)

func durableDB(b *testing.B) string {
	var err error
	durableOnce.Do(func() {
		err = shared(func() { durable = testsrv.StartPostgres(mainTB{}, testsrv.PGOptions{}) })
	})
	if err != nil || durable == nil {
		b.Fatal("no durable cluster: ", err)
	}
	var url string
	if err := shared(func() { url = durable.CreateDB(mainTB{}) }); err != nil {
		b.Fatal(err)
	}
	return url
}

// One issued ticket and its event per commit (Store.Commit: no lock).
func BenchmarkCommitTicket(b *testing.B) {
	storetest.BenchCommitTickets(b, open(b, durableDB(b)), time.Date(2026, 11, 24, 9, 0, 0, 0, hcm), ids())
}

// The same with a contact and the "issued" message in each commit (their
// statements pipelined in its round trip): the outbox's cost per ticket.
func BenchmarkCommitTicketNotified(b *testing.B) {
	storetest.BenchCommitTicketsNotified(b, open(b, durableDB(b)), time.Date(2026, 11, 24, 9, 0, 0, 0, hcm), ids())
}

// The same in a round: Lock (one round trip) and Commit.
func BenchmarkRoundTicket(b *testing.B) {
	s := open(b, durableDB(b))
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	l := queue.NewLive(storetest.Centre("c1"), now, ids())
	first := l.TakeChanges()
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{first}}); err != nil {
		b.Fatal(err)
	}
	l.SetRev(first.Rev)
	services := []string{"A", "B"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r, err := s.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := r.Lock([]string{"c1"}, true); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if _, err := l.Issue(now, queue.IssueRequest{Service: services[i%2], Source: queue.SourceStaff}); err != nil {
			b.Fatal(err)
		}
		ch := l.TakeChanges()
		ch.Rev = l.Rev() + 1
		if err := r.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
			b.Fatal(err)
		}
		l.SetRev(ch.Rev)
	}
}

// A round of 32 tickets of 8 centres: the 8 locks, then one commit.
func BenchmarkCommitRound32(b *testing.B) { benchRound32(b, open(b, durableDB(b))) }

func benchRound32(b *testing.B, s *Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, hcm)
	newID := ids()
	var lives []*queue.Live
	var centres []string
	first := &queue.Batch{}
	for i := range 8 {
		id := fmt.Sprintf("c%d", i)
		l := queue.NewLive(storetest.Centre(id), now, newID)
		lives, centres = append(lives, l), append(centres, id)
		first.Centres = append(first.Centres, l.TakeChanges())
	}
	if err := s.Commit(first); err != nil {
		b.Fatal(err)
	}
	for i, l := range lives {
		l.SetRev(first.Centres[i].Rev)
	}
	services := []string{"A", "B"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r, err := s.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := r.Lock(centres, true); err != nil || !ok {
			b.Fatal(ok, err)
		}
		batch := &queue.Batch{}
		for _, l := range lives {
			for j := range 4 {
				if _, err := l.Issue(now, queue.IssueRequest{Service: services[j%2], Source: queue.SourceStaff}); err != nil {
					b.Fatal(err)
				}
			}
			ch := l.TakeChanges()
			ch.Rev = l.Rev() + 1
			batch.Centres = append(batch.Centres, ch)
		}
		if err := r.Commit(batch); err != nil {
			b.Fatal(err)
		}
		for j, l := range lives {
			l.SetRev(batch.Centres[j].Rev)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(32*b.N), "ns/ticket")
}

// A sender's claim of 100 due messages and the record of their delivery
// (two statements, fsync on).
func BenchmarkOutboxClaimSave(b *testing.B) {
	storetest.BenchClaimSave(b, open(b, durableDB(b)), time.Date(2026, 11, 24, 9, 0, 0, 0, hcm))
}

// Keeping a 1 MB document (bytea), durable, as BenchmarkPutDocument1MB
// of the bbolt store.
func BenchmarkPutDocument1MB(b *testing.B) {
	storetest.BenchPutDocument(b, open(b, durableDB(b)), 1<<20)
}
