package bolt_test

import (
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"xephang/queue-server/bolt"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// v1Ticket is a ticket of a schema-1 file: its id is random (it carries no
// day).
func v1Ticket(id, day, number, status, key string, at time.Time) queue.Ticket {
	seq := 0
	for _, c := range number[1:] {
		seq = seq*10 + int(c-'0')
	}
	return queue.Ticket{ID: id, Centre: "phuong-m", Number: number, Service: "A", Seq: seq, Day: day,
		Priority: queue.PriorityNormal, Status: status, IssuedAt: at, OrderAt: at, Key: key}
}

// writeV1 writes, with bbolt alone, a file laid out as schema 1 wrote it.
func writeV1(t *testing.T, dir string, tickets []queue.Ticket) {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(dir, "xephang.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	js := func(v any) []byte {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	u := func(n int) []byte { b := make([]byte, 4); binary.BigEndian.PutUint32(b, uint32(n)); return b }
	err = db.Update(func(tx *bbolt.Tx) error {
		top := map[string]*bbolt.Bucket{}
		for _, name := range []string{"meta", "users", "sessions", "tickets", "centres", "codes", "kiosks", "enrollments"} {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			top[name] = b
		}
		top["meta"].Put([]byte("schema"), []byte("1"))
		top["meta"].Put([]byte("secret:cccd"), []byte(strings.Repeat("s", 32)))
		top["users"].Put([]byte("canbo1"), js(queue.User{Username: "canbo1", Role: queue.RoleClerk, Centre: "phuong-m"}))
		c, err := top["centres"].CreateBucket([]byte("phuong-m"))
		if err != nil {
			return err
		}
		sub := map[string]*bbolt.Bucket{}
		for _, name := range []string{"counters", "tickets", "days", "open", "keys", "events", "numbers", "stats", "audit", "bookings", "bdays", "noshows", "blocks"} {
			b, err := c.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			sub[name] = b
		}
		c.Put([]byte("config"), js(storetest.Centre("phuong-m")))
		c.Put([]byte("meta"), js(queue.Meta{LastSeq: uint64(len(tickets)), Day: "2026-11-24"}))
		sub["counters"].Put(u(1), js(queue.Counter{Number: 1, Status: queue.CounterOpen}))
		for i, tk := range tickets {
			sub["tickets"].Put([]byte(tk.ID), js(tk))
			top["tickets"].Put([]byte(tk.ID), []byte("phuong-m"))
			sub["days"].Put([]byte(tk.Day+"/"+tk.ID), nil)
			if tk.Open() {
				sub["open"].Put([]byte(tk.ID), nil)
			}
			if tk.Key != "" {
				sub["keys"].Put([]byte(tk.Key), []byte(tk.ID))
			}
			seq := make([]byte, 8)
			binary.BigEndian.PutUint64(seq, uint64(i+1))
			sub["events"].Put(seq, js(queue.Event{Seq: uint64(i + 1), Type: queue.EventIssued, At: tk.IssuedAt}))
		}
		sub["numbers"].Put([]byte("2026-11-23/A"), u(1))
		sub["numbers"].Put([]byte("2026-11-24/A"), u(2))
		sub["numbers"].Put([]byte("2026-11-24/A/offline"), u(910))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateV1(t *testing.T) {
	dir := t.TempDir()
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tue := mon.Add(24 * time.Hour)
	tickets := []queue.Ticket{
		v1Ticket("k3x7mq2cvy4tqhbd5s6n2lwz7e", "2026-11-23", "A001", queue.StatusDone, "kiosk-1/7", mon),
		v1Ticket("p2aaq7rbk5dtvx3nwy6h4jzc5m", "2026-11-24", "A001", queue.StatusCalled, "", tue),
		v1Ticket("zz4rtb6yq2kcx7hwnd3vs5mpla", "2026-11-24", "A002", queue.StatusWaiting, "kiosk-1/8", tue.Add(time.Minute)),
	}
	writeV1(t, dir, tickets)

	s := MustOpen(t, dir)
	snap, err := s.LoadCentre("phuong-m")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Config.Name != storetest.Centre("phuong-m").Name || snap.Meta.Day != "2026-11-24" || snap.Meta.LastSeq != 3 {
		t.Fatalf("config %q meta %+v", snap.Config.Name, snap.Meta)
	}
	if len(snap.Tickets) != 2 || len(snap.Counters) != 1 {
		t.Fatalf("loaded %d tickets (want the current day's 2), %d counters", len(snap.Tickets), len(snap.Counters))
	}
	if len(snap.Numbers) != 2 || snap.Numbers["2026-11-24/A"] != 2 || snap.Numbers["2026-11-24/A/offline"] != 910 {
		t.Fatalf("numbers %v: want the current day's only", snap.Numbers)
	}
	l := queue.Restore(snap, tue.Add(time.Hour), func() string { return "fresh" })
	if tk, err := l.Issue(tue.Add(time.Hour), queue.IssueRequest{Service: "A"}); err != nil || tk.Number != "A003" {
		t.Fatalf("numbering after the migration: %s %v, want A003", tk.Number, err)
	}
	for _, w := range tickets {
		got, err := s.Ticket(w.ID)
		if err != nil || got.Number != w.Number || got.Day != w.Day {
			t.Fatalf("Ticket(%s) after migration: %+v %v", w.ID, got, err)
		}
		if w.Key != "" {
			if got, err := s.TicketByKey("phuong-m", w.Key); err != nil || got.ID != w.ID {
				t.Fatalf("TicketByKey(%s): %+v %v", w.Key, got, err)
			}
		}
	}
	for day, n := range map[string]int{"2026-11-23": 1, "2026-11-24": 2, "2026-11-25": 0} {
		if got, err := s.Tickets("phuong-m", day); err != nil || len(got) != n {
			t.Fatalf("Tickets(%s): %d %v, want %d", day, len(got), err, n)
		}
	}
	if evs, err := s.Events("phuong-m", 0, 10); err != nil || len(evs) != 3 {
		t.Fatalf("events %d %v", len(evs), err)
	}
	if u, err := s.User("canbo1"); err != nil || u.Centre != "phuong-m" {
		t.Fatalf("user %+v %v", u, err)
	}
	s.DB().View(func(tx *bbolt.Tx) error {
		// Kept for MoveSecret to take out to its key file.
		if sec := tx.Bucket([]byte("meta")).Get([]byte("secret:cccd")); string(sec) != strings.Repeat("s", 32) {
			t.Fatalf("the CCCD secret changed in the migration: %q", sec)
		}
		return nil
	})
	err = s.DB().View(func(tx *bbolt.Tx) error {
		if v := string(tx.Bucket([]byte("meta")).Get([]byte("schema"))); v != "2" {
			t.Errorf("schema %q after the migration", v)
		}
		if tx.Bucket([]byte("tickets")) != nil {
			t.Error("schema 1's global ticket index is still there")
		}
		c := tx.Bucket([]byte("centres")).Bucket([]byte("phuong-m"))
		for _, gone := range []string{"days", "open", "tickets.v2", "events", "numbers"} {
			if c.Bucket([]byte(gone)) != nil {
				t.Errorf("bucket %s is still there", gone)
			}
		}
		if c.Bucket([]byte("config")) == nil {
			t.Error("the configuration did not move into its bucket")
		}
		if c.Get([]byte("meta")) != nil || tx.Bucket([]byte("log/phuong-m")) == nil {
			t.Error("meta and events did not move to the centre's log")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Opening again does not migrate again.
	s.Close()
	s = MustOpen(t, dir)
	if got, err := s.Ticket(tickets[0].ID); err != nil || got.ID != tickets[0].ID {
		t.Fatalf("after reopening: %+v %v", got, err)
	}
}

// A file the migration cannot read is refused whole and left as it was.
func TestMigrateV1Refused(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	writeV1(t, dir, []queue.Ticket{v1Ticket("k3x7mq2cvy4tqhbd5s6n2lwz7e", "", "A001", queue.StatusWaiting, "", at)})
	if _, err := bolt.Open(dir); err == nil || !strings.Contains(err.Error(), "migrate schema 1") {
		t.Fatalf("opening a file with a ticket without a day: %v", err)
	}
	db, err := bbolt.Open(filepath.Join(dir, "xephang.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bbolt.Tx) error {
		if v := string(tx.Bucket([]byte("meta")).Get([]byte("schema"))); v != "1" {
			t.Errorf("schema %q after a refused migration", v)
		}
		if tx.Bucket([]byte("centres")).Bucket([]byte("phuong-m")).Bucket([]byte("days")) == nil {
			t.Error("a refused migration changed the file")
		}
		return nil
	})
}
