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
	storetest.BenchCommitTickets(b, s, time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC), engine.NewID)
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

// A sender's claim of 100 due messages and the record of their delivery,
// durable (fsync on).
func BenchmarkOutboxClaimSave(b *testing.B) {
	storetest.BenchClaimSave(b, MustOpen(b, b.TempDir()), time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC))
}

// BenchmarkCommitIssuedCPU with a contact and the "issued" message in
// the commit, as a ticket whose citizen asked to be told: the outbox's
// cost per ticket.
func BenchmarkCommitIssuedNotifiedCPU(b *testing.B) {
	s := MustOpen(b, b.TempDir())
	s.DB().NoSync = true
	storetest.BenchCommitTicketsNotified(b, s, time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC), engine.NewID)
}

// A round's commit of 25 issued tickets (fsync off), alone and with a
// webhook delivery for each (an integrator subscribed to ticket.issued):
// what the outbox adds to a busy round, in CPU and in pages written.
func BenchmarkCommitRound25(b *testing.B)         { benchCommitRound(b, false) }
func BenchmarkCommitRound25Notified(b *testing.B) { benchCommitRound(b, true) }

func benchCommitRound(b *testing.B, notified bool) {
	s := MustOpen(b, b.TempDir())
	s.DB().NoSync = true
	start := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	l := queue.NewLive(storetest.Centre("c1"), start, engine.NewID)
	if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
		b.Fatal(err)
	}
	pages := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := start.Add(time.Duration(i) * 50 * time.Millisecond)
		var outbox []queue.Message
		for range 25 {
			tk, err := l.Issue(now, queue.IssueRequest{Service: "A", Source: queue.SourceStaff})
			if err != nil {
				b.Fatal(err)
			}
			if notified {
				m := storetest.Message(engine.NewID(), "c1", queue.ChannelWebhook, now, now)
				m.Ref, m.Topic, m.Data = "wh-1", queue.EventIssued, nil
				m.Body, err = queue.WebhookBody(m.ID, "c1", queue.Event{Type: queue.EventIssued, At: now, Seq: uint64(i), Ticket: &queue.EventTicket{ID: tk.ID, Number: tk.Number, Service: tk.Service}})
				if err != nil {
					b.Fatal(err)
				}
				outbox = append(outbox, m)
			}
		}
		ch := l.TakeChanges()
		ch.Outbox = outbox
		st := s.DB().Stats()
		before := st.TxStats.GetPageCount()
		if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{ch}}); err != nil {
			b.Fatal(err)
		}
		st = s.DB().Stats()
		pages += int(st.TxStats.GetPageCount() - before)
	}
	b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
}

// Keeping a 1 MB document (a scanned page's searchable PDF is 100–500
// KB at 300 dpi, a few pages 1–2 MB), durable (fsync'd).
func BenchmarkPutDocument1MB(b *testing.B) {
	storetest.BenchPutDocument(b, MustOpen(b, b.TempDir()), 1<<20)
}
