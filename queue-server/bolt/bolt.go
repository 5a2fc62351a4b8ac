// Package bolt stores the queue server's data in one bbolt file: centres,
// tickets, events, accounts and sessions. Every Commit is one bbolt write
// transaction, fsync'd before it returns, so what the API acknowledged
// survives kill -9 and power loss.
//
// Layout (schema version 2):
//
//	meta                  "schema" → version; "keyid:<name>" → the fingerprint
//	                      of the key (kept in a key file, see secret.go)
//	users                 username → User (JSON)
//	sessions              sha-256 of token → Session (JSON)
//	ticketids             ticket id → centre id, NUL, tickets key: only for
//	                      ids that do not carry their day (see queue.TicketID)
//	log/<id>              a centre's log, a top-level bucket so that appending
//	                      to it rewrites no other bucket's page:
//	  seq (8 bytes BE)      → Event (the keys of events begin with 0)
//	  "meta"                → Meta (JSON)
//	  "num/YYYY-MM-DD/A"    → last number (4 bytes BE), from the current day on
//	                        (these keys sort after every event: they share
//	                        the last page with the newest events)
//	centres/<id>/         one bucket per centre:
//	  config                "centre" → Centre (its own bucket: the centre's
//	                        page is rewritten by every commit, so it stays small)
//	  counters              number (4 bytes BE) → Counter
//	  tickets               "YYYY-MM-DD/" + id → Ticket (a day's tickets are
//	                        one range; the open ones are all of the current day),
//	                        written from a ticket's first change on (see below)
//	  keys                  idempotency key → tickets key
//	  stats                 service → ServiceStat
//	  audit                 bbolt sequence (8 bytes BE) → Audit
//	  bookings              code → Booking
//	  bdays                 "YYYY-MM-DD/" + code → nothing (bookings by slot day)
//	  noshows               bbolt sequence → NoShow (kept for the no-show rule's window)
//	  "purged"              → the day before which bookings are purged
//	  blocks                "YYYY-MM-DD/" + id → NumberBlock leased to a kiosk
//	codes                 booking code → centre id (global index)
//	kiosks                kiosk id → Kiosk
//	enrollments           sha-256 of token → Enrollment
//	pow                   expiry (8 bytes BE, unix s) + challenge → 1:
//	                      spent anti-bot challenges, until they expire
//
// Issuing a ticket appends its event, meta and numbering to the last page
// of the centre's log and nothing else: bbolt rewrites every page a commit
// touches (with the branches above it), and fdatasync's cost grows with
// them, so the schema keeps that set small. A new ticket of the
// current day lives only in its "ticket.issued" event (stored with the
// ticket's whole state under "state", which queue.Event does not have, so
// it never reaches the public event stream) until it first changes; then it
// is written to tickets, which wins over the event from then on. The store
// keeps where such tickets are (pending: their centre, day and the seq of
// their issued event), rebuilt at open from the current day's events (they
// follow Meta.DaySeq), and reads them from their event. Schema 1 wrote seven
// buckets on every issue (17 pages per commit); schema 2 writes one (5).
package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

// SchemaVersion is the layout this package writes. Open migrates older
// files step by step (migrations[v] takes a file from v to v+1) and refuses
// newer ones.
const SchemaVersion = 2

var migrations = map[int]func(tx *bolt.Tx) error{1: migrateV1}

var (
	bMeta     = []byte("meta")
	bUsers    = []byte("users")
	bSessions = []byte("sessions")
	bIDs      = []byte("ticketids")
	bCentres  = []byte("centres")
	bCodes    = []byte("codes")
	bKiosks   = []byte("kiosks")
	bEnroll   = []byte("enrollments")
	bSpent    = []byte("pow")

	bCounters = []byte("counters")
	bTickets  = []byte("tickets")
	bConfig   = []byte("config")
	bKeys     = []byte("keys")
	bEvents   = []byte("events")  // schema 1 only
	bNumbers  = []byte("numbers") // schema 1 only
	bStats    = []byte("stats")
	bAudit    = []byte("audit")
	bBookings = []byte("bookings")
	bBDays    = []byte("bdays")
	bNoShows  = []byte("noshows")
	bBlocks   = []byte("blocks")

	kSchema = []byte("schema")
	kCentre = []byte("centre")
	kMeta   = []byte("meta")
	kNum    = []byte("num/")
	kPurged = []byte("purged")
)

// ErrNewerSchema means the file was written by a newer version.
var ErrNewerSchema = errors.New("bolt: data file has a newer schema than this program")

// Store is a queue.Store on one bbolt file.
type Store struct {
	db *bolt.DB

	// path and id are the file's, to notice it deleted or replaced
	// (Verify); lost is set once it was.
	path string
	id   fileID
	lost atomic.Pointer[error]

	// pending locates the tickets kept only in their issued event (see
	// the package comment), by id. Commit updates it after bbolt commits;
	// readers hold mu across their bbolt transaction, and a ticket found
	// in the bucket wins over its event. A reference, not a copy: a
	// centre's day can hold many (≈ 40 bytes each instead of a ticket's
	// few hundred).
	mu      sync.RWMutex
	pending map[string]pendingRef
}

// pendingRef is where a ticket kept only in its issued event is.
type pendingRef struct {
	centre, day string
	seq         uint64
}

// pendingTicket reads a pending ticket from its issued event.
func pendingTicket(tx *bolt.Tx, id string, p pendingRef) (queue.Ticket, error) {
	lg, err := centreLog(tx, p.centre)
	if err != nil {
		return queue.Ticket{}, err
	}
	var e storedEvent
	raw := lg.Get(u64(p.seq))
	if raw == nil {
		return queue.Ticket{}, fmt.Errorf("bolt: ticket %s: its issued event %d is missing", id, p.seq)
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return queue.Ticket{}, fmt.Errorf("bolt: ticket %s: event %d: %w", id, p.seq, err)
	}
	if e.State == nil || e.State.ID != id {
		return queue.Ticket{}, fmt.Errorf("bolt: ticket %s: event %d does not hold it", id, p.seq)
	}
	return *e.State, nil
}

// storedEvent is an event as stored: an issued event may carry its
// ticket's whole state.
type storedEvent struct {
	queue.Event
	State *queue.Ticket `json:"state,omitempty"`
}

var _ queue.Store = (*Store)(nil)

// Options changes how Open treats the data directory.
type Options struct {
	// Init creates a new empty store even in a directory that held one
	// (its file deleted or lost): never done without it.
	Init bool
}

// Open opens the store in dir/xephang.db, creating it in a directory that
// never held one.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith opens the store in dir/xephang.db. An existing file is checked
// first (header, then bbolt's consistency check) and refused, with what is
// wrong and how to restore it, when damaged: a 0-byte file is damaged, not
// new. A missing file is created only in a directory that never held a
// store, or with o.Init.
func OpenWith(dir string, o Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("bolt: data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if heldStore(dir) && !o.Init {
			return nil, fmt.Errorf("%w: %s. Copy xephang.db from the latest backup of the data directory into it "+
				"and run `queue-server check -data DIR` before starting; start with -init only to begin an empty store on purpose", ErrStoreMissing, path)
		}
	} else if _, err := checkFile(path); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 2 * time.Second, // another process holds the file: say so instead of hanging
		// The array freelist hands out the lowest free pages first, so a
		// commit's pages mostly form one contiguous run: one write
		// request for fdatasync instead of five scattered ones with the
		// hashmap freelist (its single pages come in map order). That
		// took 0.02-0.03 ms off a lone ticket's commit (docs/benchmarks.md).
		// Its cost, a scan of the free list per allocation, stays small
		// here: the file mostly grows, and purges free little at a time.
		FreelistType: bolt.FreelistArrayType,
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", dir, err)
	}
	s := &Store{db: db, path: path, pending: map[string]pendingRef{}}
	fi, err := os.Stat(path) // just opened and locked: the file bbolt holds
	if err == nil {
		s.id, _ = statID(fi)
		err = s.load()
	}
	if err == nil {
		err = writeMarker(dir)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// load migrates the file and finds the pending tickets: the first reads of
// its pages. Damage the checks did not see (a page sound in form, wrong in
// content) makes bbolt panic, or fault: reported as damage, not a crash.
func (s *Store) load() (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: reading it failed: %v. To restore: %s", ErrDamaged, s.path, p, restoreHint)
		}
	}()
	if err := s.init(); err != nil {
		return err
	}
	return s.loadPending()
}

// loadPending finds the tickets kept only in their issued event: those of
// the current day's events that tickets does not hold.
func (s *Store) loadPending() error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCentres).ForEachBucket(func(id []byte) error {
			c := tx.Bucket(bCentres).Bucket(id)
			lg, err := centreLog(tx, string(id))
			if err != nil {
				return err
			}
			var meta queue.Meta
			if raw := lg.Get(kMeta); raw != nil {
				if err := json.Unmarshal(raw, &meta); err != nil {
					return fmt.Errorf("bolt: centre %s meta: %w", id, err)
				}
			}
			tickets := c.Bucket(bTickets)
			cur := lg.Cursor()
			for k, v := cur.Seek(u64(meta.DaySeq + 1)); k != nil && isSeq(k); k, v = cur.Next() {
				if !bytes.Contains(v, []byte(`"state":`)) {
					continue
				}
				var e storedEvent
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("bolt: centre %s event %x: %w", id, k, err)
				}
				if e.State != nil && tickets.Get(ticketKey(e.State.Day, e.State.ID)) == nil {
					s.pending[e.State.ID] = pendingRef{centre: string(id), day: e.State.Day, seq: binary.BigEndian.Uint64(k)}
				}
			}
			return nil
		})
	})
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bUsers, bSessions, bIDs, bCentres, bCodes, bKiosks, bEnroll, bSpent} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		v := 0
		if raw := meta.Get(kSchema); raw != nil {
			n, err := strconv.Atoi(string(raw))
			if err != nil {
				return fmt.Errorf("bolt: schema version %q: %w", raw, err)
			}
			v = n
		} else if tx.Bucket(bCentres).Stats().KeyN == 0 {
			v = SchemaVersion // a new file
		}
		if v > SchemaVersion {
			return fmt.Errorf("%w (file %d, program %d)", ErrNewerSchema, v, SchemaVersion)
		}
		for ; v < SchemaVersion; v++ {
			m, ok := migrations[v]
			if !ok {
				return fmt.Errorf("bolt: no migration from schema %d", v)
			}
			if err := m(tx); err != nil {
				return fmt.Errorf("bolt: migrate schema %d: %w", v, err)
			}
		}
		return meta.Put(kSchema, []byte(strconv.Itoa(SchemaVersion)))
	})
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the bbolt handle for benchmarks and tools.
func (s *Store) DB() *bolt.DB { return s.db }

func u64(n uint64) []byte { b := make([]byte, 8); binary.BigEndian.PutUint64(b, n); return b }
func u32(n int) []byte    { b := make([]byte, 4); binary.BigEndian.PutUint32(b, uint32(n)); return b }

func put(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// names gives the Vietnamese for what notFound reports.
var names = map[string]string{
	"centre": "trung tâm", "ticket": "số thứ tự", "idempotency key": "khóa chống trùng", "user": "tài khoản",
	"session": "phiên đăng nhập", "booking": "lịch hẹn", "kiosk": "ki-ốt", "enrolment token": "mã đăng ký ki-ốt",
}

func notFound(what, id string) error {
	return queue.Errorf(queue.ENotFound, "no %[1]s %[3]q", "không tìm thấy %[2]s %[3]q", what, names[what], id)
}

// Commit writes the batch in one fsync'd transaction.
func (s *Store) Commit(b *queue.Batch) error {
	if b.Empty() {
		return nil
	}
	if err := s.Verify(); err != nil {
		// Written into a deleted or replaced file, it would be lost.
		return err
	}
	var w written
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, u := range b.Users {
			if err := put(tx.Bucket(bUsers), []byte(u.Username), u); err != nil {
				return err
			}
		}
		for _, se := range b.Sessions {
			if err := put(tx.Bucket(bSessions), []byte(se.Hash), se); err != nil {
				return err
			}
		}
		for _, k := range b.Kiosks {
			if err := put(tx.Bucket(bKiosks), []byte(k.ID), k); err != nil {
				return err
			}
		}
		for _, en := range b.Enrollments {
			if err := put(tx.Bucket(bEnroll), []byte(en.Hash), en); err != nil {
				return err
			}
		}
		for _, h := range b.DeleteSessions {
			if err := tx.Bucket(bSessions).Delete([]byte(h)); err != nil {
				return err
			}
		}
		for _, ch := range b.Centres {
			if err := commitCentre(tx, ch, &w); err != nil {
				return fmt.Errorf("bolt: centre %s: %w", ch.Centre, err)
			}
		}
		return nil
	})
	if err != nil || len(w.pending)+len(w.tickets) == 0 {
		return err
	}
	s.mu.Lock()
	for _, id := range w.tickets {
		delete(s.pending, id)
	}
	for id, p := range w.pending {
		s.pending[id] = p
	}
	s.mu.Unlock()
	return nil
}

// written is what a commit did with tickets: kept only in their issued
// event, or written to the tickets bucket.
type written struct {
	pending map[string]pendingRef
	tickets []string
}

var centreBuckets = [][]byte{bConfig, bCounters, bTickets, bKeys, bStats, bAudit, bBookings, bBDays, bNoShows, bBlocks}

// ticketKey is where a ticket lives in its centre's tickets bucket.
func ticketKey(day, id string) []byte { return []byte(day + "/" + id) }

// logName is the name of a centre's log bucket.
func logName(centre string) []byte { return []byte("log/" + centre) }

// isSeq reports whether a key of a log is an event's.
func isSeq(k []byte) bool { return len(k) == 8 && k[0] == 0 }

// centreLog returns a centre's log bucket.
func centreLog(tx *bolt.Tx, centre string) (*bolt.Bucket, error) {
	if lg := tx.Bucket(logName(centre)); lg != nil {
		return lg, nil
	}
	return nil, notFound("centre", centre)
}

func centreBucket(tx *bolt.Tx, id string, create bool) (*bolt.Bucket, error) {
	root := tx.Bucket(bCentres)
	if !create {
		if b := root.Bucket([]byte(id)); b != nil {
			return b, nil
		}
		return nil, notFound("centre", id)
	}
	b, err := root.CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return nil, err
	}
	if _, err := tx.CreateBucketIfNotExists(logName(id)); err != nil {
		return nil, err
	}
	for _, name := range centreBuckets {
		if _, err := b.CreateBucketIfNotExists(name); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func commitCentre(tx *bolt.Tx, ch *queue.Changes, w *written) error {
	if ch.Empty() {
		return nil
	}
	c, err := centreBucket(tx, ch.Centre, ch.Config != nil)
	if err != nil {
		return err
	}
	if ch.Config != nil {
		if err := put(c.Bucket(bConfig), kCentre, ch.Config); err != nil {
			return err
		}
	}
	lg, err := centreLog(tx, ch.Centre)
	if err != nil {
		return err
	}
	if ch.Meta != nil {
		if err := putMeta(lg, ch.Meta); err != nil {
			return err
		}
	}
	for _, k := range ch.Counters {
		if err := put(c.Bucket(bCounters), u32(k.Number), k); err != nil {
			return err
		}
	}
	for _, n := range ch.Removed {
		if err := c.Bucket(bCounters).Delete(u32(n)); err != nil {
			return err
		}
	}
	// A ticket issued in this commit that is still open on the current day
	// is kept in its issued event only: it will be written when it changes
	// (called, expired when the day ends...).
	day := ""
	if ch.Meta != nil {
		day = ch.Meta.Day
	}
	issued := map[string]bool{}
	for _, e := range ch.Events {
		if e.Type == queue.EventIssued && e.Ticket != nil {
			issued[e.Ticket.ID] = true
		}
	}
	var state map[string]*queue.Ticket
	var tickets, keys *bolt.Bucket // opened when needed: a new ticket needs neither
	for i := range ch.Tickets {
		t := &ch.Tickets[i]
		if t.ID == "" || t.Day == "" {
			return fmt.Errorf("ticket %q of day %q: id and day are required", t.ID, t.Day)
		}
		key := ticketKey(t.Day, t.ID)
		if issued[t.ID] && t.Open() && t.Day == day {
			if state == nil {
				state = map[string]*queue.Ticket{}
			}
			state[t.ID] = t
		} else {
			if tickets == nil {
				tickets = c.Bucket(bTickets)
			}
			if err := put(tickets, key, t); err != nil {
				return err
			}
			w.tickets = append(w.tickets, t.ID)
		}
		if d, _ := queue.TicketDay(t.ID); d != t.Day {
			// An id that does not tell its day: index it (rare).
			if err := tx.Bucket(bIDs).Put([]byte(t.ID), idsValue(ch.Centre, key)); err != nil {
				return err
			}
		}
		if t.Key != "" {
			if keys == nil {
				keys = c.Bucket(bKeys)
			}
			if err := keys.Put([]byte(t.Key), key); err != nil {
				return err
			}
		}
	}
	lg.FillPercent = 1 // append-only: fill pages instead of leaving them half empty
	for _, e := range ch.Events {
		var v any = e
		if e.Type == queue.EventIssued && e.Ticket != nil && state[e.Ticket.ID] != nil {
			t := state[e.Ticket.ID]
			v = storedEvent{Event: e, State: t}
			if w.pending == nil {
				w.pending = map[string]pendingRef{}
			}
			w.pending[t.ID] = pendingRef{centre: ch.Centre, day: t.Day, seq: e.Seq}
		}
		if err := put(lg, u64(e.Seq), v); err != nil {
			return err
		}
	}
	for k, v := range ch.Numbers {
		if err := lg.Put(append(append(make([]byte, 0, len(kNum)+len(k)), kNum...), k...), u32(v)); err != nil {
			return err
		}
	}
	for _, st := range ch.Stats {
		if err := put(c.Bucket(bStats), []byte(st.Service), st); err != nil {
			return err
		}
	}
	for _, b := range ch.Bookings {
		code := []byte(b.Code)
		if prev := c.Bucket(bBookings).Get(code); prev != nil {
			var old queue.Booking
			if err := json.Unmarshal(prev, &old); err == nil && old.Day != b.Day {
				if err := c.Bucket(bBDays).Delete([]byte(old.Day + "/" + b.Code)); err != nil {
					return err
				}
			}
		}
		if err := put(c.Bucket(bBookings), code, b); err != nil {
			return err
		}
		if err := c.Bucket(bBDays).Put([]byte(b.Day+"/"+b.Code), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bCodes).Put(code, []byte(ch.Centre)); err != nil {
			return err
		}
	}
	for _, bl := range ch.Blocks {
		if err := put(c.Bucket(bBlocks), []byte(bl.Day+"/"+bl.ID), bl); err != nil {
			return err
		}
	}
	for _, ns := range ch.NoShows {
		seq, err := c.Bucket(bNoShows).NextSequence()
		if err != nil {
			return err
		}
		if err := put(c.Bucket(bNoShows), u64(seq), ns); err != nil {
			return err
		}
	}
	var audit *bolt.Bucket
	if len(ch.Audit) > 0 {
		audit = c.Bucket(bAudit)
	}
	for _, a := range ch.Audit {
		seq, err := audit.NextSequence()
		if err != nil {
			return err
		}
		if err := put(audit, u64(seq), a); err != nil {
			return err
		}
	}
	return nil
}

// putMeta writes a centre's meta in its log; when its day changes,
// numbering of earlier days is dropped (the live state keeps only the
// current day on).
func putMeta(lg *bolt.Bucket, m *queue.Meta) error {
	var old queue.Meta
	raw := lg.Get(kMeta)
	// Nearly every commit keeps the day: say so without decoding the old
	// meta ("day" is its only field of that name, written by put).
	same := m.Day != "" && raw != nil && bytes.Contains(raw, []byte(`"day":"`+m.Day+`"`))
	if raw != nil && !same {
		if err := json.Unmarshal(raw, &old); err != nil {
			return fmt.Errorf("meta: %w", err)
		}
	}
	if !same && m.Day != old.Day && m.Day != "" {
		if err := deleteBetween(lg, kNum, append(bytes.Clone(kNum), m.Day...)); err != nil {
			return err
		}
	}
	return put(lg, kMeta, m)
}

// deleteBetween deletes a bucket's keys from from (inclusive) to limit.
func deleteBetween(b *bolt.Bucket, from, limit []byte) error {
	// Deleting under a bbolt cursor can skip the next key: collect first.
	var stale [][]byte
	cur := b.Cursor()
	for k, _ := cur.Seek(from); k != nil && bytes.Compare(k, limit) < 0; k, _ = cur.Next() {
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func idsValue(centre string, key []byte) []byte {
	return append(append([]byte(centre), 0), key...)
}

// LoadCentres loads every centre's snapshot.
func (s *Store) LoadCentres() ([]queue.Snapshot, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCentres).ForEachBucket(func(k []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]queue.Snapshot, 0, len(ids))
	for _, id := range ids {
		snap, err := s.LoadCentre(id)
		if err != nil {
			return nil, err
		}
		out = append(out, snap)
	}
	return out, nil
}

// LoadCentre loads what a centre's live state needs: configuration, meta,
// counters, the tickets still open or of the latest day, numbering, stats.
func (s *Store) LoadCentre(id string) (queue.Snapshot, error) {
	var snap queue.Snapshot
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := centreBucket(tx, id, false)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(c.Bucket(bConfig).Get(kCentre), &snap.Config); err != nil {
			return fmt.Errorf("bolt: centre %s config: %w", id, err)
		}
		lg, err := centreLog(tx, id)
		if err != nil {
			return err
		}
		if raw := lg.Get(kMeta); raw != nil {
			if err := json.Unmarshal(raw, &snap.Meta); err != nil {
				return fmt.Errorf("bolt: centre %s meta: %w", id, err)
			}
		}
		err = c.Bucket(bCounters).ForEach(func(_, v []byte) error {
			var k queue.Counter
			if err := json.Unmarshal(v, &k); err != nil {
				return err
			}
			snap.Counters = append(snap.Counters, k)
			return nil
		})
		if err != nil {
			return err
		}
		// The current day's tickets, open ones among them: a ticket still
		// open when its day ended was expired in the commit that started
		// the next day.
		if snap.Meta.Day != "" {
			ts, err := s.tickets(c, id, []byte(snap.Meta.Day+"/"), nil)
			if err != nil {
				return err
			}
			snap.Tickets = ts
		}
		if snap.Meta.Day != "" {
			bookings := c.Bucket(bBookings)
			cur := c.Bucket(bBDays).Cursor()
			for k, _ := cur.Seek([]byte(snap.Meta.Day)); k != nil; k, _ = cur.Next() {
				code := k[bytes.IndexByte(k, '/')+1:]
				var b queue.Booking
				if err := json.Unmarshal(bookings.Get(code), &b); err != nil {
					return fmt.Errorf("booking %s: %w", code, err)
				}
				snap.Bookings = append(snap.Bookings, b)
			}
		}
		if snap.Meta.Day != "" {
			d, _ := time.Parse(time.DateOnly, snap.Meta.Day)
			from := []byte(d.AddDate(0, 0, -1).Format(time.DateOnly))
			cur := c.Bucket(bBlocks).Cursor()
			for k, v := cur.Seek(from); k != nil; k, v = cur.Next() {
				var bl queue.NumberBlock
				if err := json.Unmarshal(v, &bl); err != nil {
					return fmt.Errorf("block %s: %w", k, err)
				}
				snap.Blocks = append(snap.Blocks, bl)
			}
		}
		err = c.Bucket(bNoShows).ForEach(func(_, v []byte) error {
			var ns queue.NoShow
			if err := json.Unmarshal(v, &ns); err != nil {
				return err
			}
			snap.NoShows = append(snap.NoShows, ns)
			return nil
		})
		if err != nil {
			return err
		}
		snap.Numbers = map[string]int{}
		cur := lg.Cursor()
		for k, v := cur.Seek(kNum); k != nil && bytes.HasPrefix(k, kNum); k, v = cur.Next() {
			snap.Numbers[string(k[len(kNum):])] = int(binary.BigEndian.Uint32(v))
		}
		return c.Bucket(bStats).ForEach(func(_, v []byte) error {
			var st queue.ServiceStat
			if err := json.Unmarshal(v, &st); err != nil {
				return err
			}
			snap.Stats = append(snap.Stats, st)
			return nil
		})
	})
	return snap, err
}

// Events returns up to limit events of a centre with seq > since, in order.
func (s *Store) Events(centre string, since uint64, limit int) ([]queue.Event, error) {
	var out []queue.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		lg, err := centreLog(tx, centre)
		if err != nil {
			return err
		}
		cur := lg.Cursor()
		for k, v := cur.Seek(u64(since + 1)); k != nil && isSeq(k) && len(out) < limit; k, v = cur.Next() {
			var e queue.Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("bolt: event %x: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// tickets returns a centre's tickets with keys from from (inclusive) on
// that begin with prefix (nil: any), with the pending ones among them, in
// key order. The caller holds s.mu.
func (s *Store) tickets(c *bolt.Bucket, centre string, from, prefix []byte) ([]queue.Ticket, error) {
	var out []queue.Ticket
	seen := map[string]bool{}
	cur := c.Bucket(bTickets).Cursor()
	for k, v := cur.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		var t queue.Ticket
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, fmt.Errorf("bolt: ticket %s: %w", k, err)
		}
		out = append(out, t)
		seen[t.ID] = true
	}
	n := len(out)
	for id, p := range s.pending {
		k := ticketKey(p.day, id)
		if p.centre == centre && !seen[id] && bytes.Compare(k, from) >= 0 && bytes.HasPrefix(k, prefix) {
			t, err := pendingTicket(c.Tx(), id, p)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	if len(out) > n {
		sort.Slice(out, func(i, j int) bool {
			return out[i].Day < out[j].Day || out[i].Day == out[j].Day && out[i].ID < out[j].ID
		})
	}
	return out, nil
}

// Ticket finds a ticket by id in any centre: the day its id carries names
// the key, and the few centres are asked in turn; ids that do not carry
// their day are indexed.
func (s *Store) Ticket(id string) (queue.Ticket, error) {
	var t queue.Ticket
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bIDs).Get([]byte(id)); v != nil {
			centre, key, _ := bytes.Cut(v, []byte{0})
			c, err := centreBucket(tx, string(centre), false)
			if err != nil {
				return err
			}
			return s.getTicket(c, key, &t)
		}
		if day, ok := queue.TicketDay(id); ok {
			key := ticketKey(day, id)
			cur := tx.Bucket(bCentres).Cursor()
			for k, v := cur.First(); k != nil; k, v = cur.Next() {
				if v != nil {
					continue
				}
				if raw := tx.Bucket(bCentres).Bucket(k).Bucket(bTickets).Get(key); raw != nil {
					return json.Unmarshal(raw, &t)
				}
			}
		}
		if p, ok := s.pending[id]; ok {
			var err error
			t, err = pendingTicket(tx, id, p)
			return err
		}
		return notFound("ticket", id)
	})
	return t, err
}

// getTicket reads the ticket at key, or from its issued event if pending.
// The caller holds s.mu.
func (s *Store) getTicket(c *bolt.Bucket, key []byte, t *queue.Ticket) error {
	if raw := c.Bucket(bTickets).Get(key); raw != nil {
		return json.Unmarshal(raw, t)
	}
	if _, id, ok := bytes.Cut(key, []byte("/")); ok {
		if p, ok := s.pending[string(id)]; ok {
			var err error
			*t, err = pendingTicket(c.Tx(), string(id), p)
			return err
		}
	}
	return fmt.Errorf("bolt: ticket %s is indexed but missing", key)
}

// TicketByKey finds the ticket issued with an idempotency key.
func (s *Store) TicketByKey(centre, key string) (queue.Ticket, error) {
	var t queue.Ticket
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := centreBucket(tx, centre, false)
		if err != nil {
			return err
		}
		k := c.Bucket(bKeys).Get([]byte(key))
		if k == nil {
			return notFound("idempotency key", key)
		}
		return s.getTicket(c, k, &t)
	})
	return t, err
}

// Tickets returns a centre's tickets of one local day.
func (s *Store) Tickets(centre, day string) ([]queue.Ticket, error) {
	var out []queue.Ticket
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := centreBucket(tx, centre, false)
		if err != nil {
			return err
		}
		prefix := []byte(day + "/")
		out, err = s.tickets(c, centre, prefix, prefix)
		return err
	})
	return out, err
}

// Audit returns a centre's latest audit records, newest first.
func (s *Store) Audit(centre string, limit int) ([]queue.Audit, error) {
	var out []queue.Audit
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := centreBucket(tx, centre, false)
		if err != nil {
			return err
		}
		cur := c.Bucket(bAudit).Cursor()
		for k, v := cur.Last(); k != nil && len(out) < limit; k, v = cur.Prev() {
			var a queue.Audit
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// User returns an account.
func (s *Store) User(username string) (queue.User, error) {
	var u queue.User
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bUsers).Get([]byte(username))
		if raw == nil {
			return notFound("user", username)
		}
		return json.Unmarshal(raw, &u)
	})
	return u, err
}

// Users returns every account.
func (s *Store) Users() ([]queue.User, error) {
	return all[queue.User](s, bUsers)
}

// Session returns the session of a token hash.
func (s *Store) Session(hash string) (queue.Session, error) {
	var se queue.Session
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bSessions).Get([]byte(hash))
		if raw == nil {
			return notFound("session", "")
		}
		return json.Unmarshal(raw, &se)
	})
	return se, err
}

// Booking finds a booking by code in any centre.
func (s *Store) Booking(code string) (queue.Booking, error) {
	var b queue.Booking
	err := s.db.View(func(tx *bolt.Tx) error {
		centre := tx.Bucket(bCodes).Get([]byte(code))
		if centre == nil {
			return notFound("booking", code)
		}
		c, err := centreBucket(tx, string(centre), false)
		if err != nil {
			return err
		}
		return json.Unmarshal(c.Bucket(bBookings).Get([]byte(code)), &b)
	})
	return b, err
}

// Purge erases personal data past retention, in one transaction.
func (s *Store) Purge(centre, bookingsBefore string, noShowsBefore, now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		c, err := centreBucket(tx, centre, false)
		if err != nil {
			return err
		}
		bookings := c.Bucket(bBookings)
		cur := c.Bucket(bBDays).Cursor()
		from := c.Get(kPurged)
		var k []byte
		if from != nil {
			k, _ = cur.Seek(from)
		} else {
			k, _ = cur.First()
		}
		for ; k != nil && string(k) < bookingsBefore; k, _ = cur.Next() {
			code := k[bytes.IndexByte(k, '/')+1:]
			var b queue.Booking
			if err := json.Unmarshal(bookings.Get(code), &b); err != nil {
				return fmt.Errorf("booking %s: %w", code, err)
			}
			if b.Purged {
				continue
			}
			b.Citizen = queue.Citizen{}
			b.Purged = true
			if err := put(bookings, code, b); err != nil {
				return err
			}
			n++
		}
		if err := c.Put(kPurged, []byte(bookingsBefore)); err != nil {
			return err
		}
		if err := purgeEvents(tx, c, centre, bookingsBefore); err != nil {
			return err
		}
		// Deleting under a bbolt cursor can skip the next key: collect first.
		var stale [][]byte
		err = c.Bucket(bNoShows).ForEach(func(k, v []byte) error {
			var rec queue.NoShow
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if rec.At.Before(noShowsBefore) {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := c.Bucket(bNoShows).Delete(k); err != nil {
				return err
			}
		}
		var expired [][]byte
		err = tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
			var se queue.Session
			if json.Unmarshal(v, &se) == nil && !now.Before(se.Expires) {
				expired = append(expired, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := tx.Bucket(bSessions).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// purgeEventsMax bounds the events one Purge deletes: it runs in the
// engine's loop, so a long backlog (a store from before events were
// purged) drains over a few runs instead of stalling the clerks once.
const purgeEventsMax = 20_000

// purgeEvents deletes a centre's events of local days before day, never
// one of the current day (a ticket may live in its issued event).
func purgeEvents(tx *bolt.Tx, c *bolt.Bucket, centre, day string) error {
	lg, err := centreLog(tx, centre)
	if err != nil {
		return err
	}
	var cfg queue.Centre
	if err := json.Unmarshal(c.Bucket(bConfig).Get(kCentre), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cutoff, err := time.ParseInLocation(time.DateOnly, day, cfg.Location())
	if err != nil {
		return fmt.Errorf("purge day %q: %w", day, err)
	}
	var meta queue.Meta
	if raw := lg.Get(kMeta); raw != nil {
		if err := json.Unmarshal(raw, &meta); err != nil {
			return fmt.Errorf("meta: %w", err)
		}
	}
	var stale [][]byte
	cur := lg.Cursor()
	for k, v := cur.First(); k != nil && isSeq(k) && len(stale) < purgeEventsMax; k, v = cur.Next() {
		var e struct {
			At time.Time `json:"at"`
		}
		if binary.BigEndian.Uint64(k) > meta.DaySeq {
			break
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("event %x: %w", k, err)
		}
		if !e.At.Before(cutoff) {
			break
		}
		stale = append(stale, bytes.Clone(k))
	}
	for _, k := range stale {
		if err := lg.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// spentPurgeMax bounds the expired challenges one SpendChallenge deletes.
const spentPurgeMax = 64

// SpendChallenge records an anti-bot challenge as spent until it expires
// and reports whether it was fresh; it deletes a few expired ones (keyed
// by expiry first, they are the bucket's first keys).
func (s *Store) SpendChallenge(challenge string, expires, now time.Time) (bool, error) {
	if err := s.Verify(); err != nil {
		return false, err
	}
	key := append(u64(uint64(expires.Unix())), challenge...)
	fresh := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSpent)
		if b.Get(key) != nil {
			return nil
		}
		var stale [][]byte
		cur := b.Cursor()
		for k, _ := cur.First(); k != nil && len(stale) < spentPurgeMax && int64(binary.BigEndian.Uint64(k)) < now.Unix(); k, _ = cur.Next() {
			stale = append(stale, bytes.Clone(k))
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		fresh = true
		return b.Put(key, []byte{1})
	})
	return fresh, err
}

func getJSON(tx *bolt.Tx, bucket []byte, key, what string, v any) error {
	raw := tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return notFound(what, key)
	}
	return json.Unmarshal(raw, v)
}

// Kiosk returns an enrolled kiosk.
func (s *Store) Kiosk(id string) (queue.Kiosk, error) {
	var k queue.Kiosk
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx, bKiosks, id, "kiosk", &k) })
	return k, err
}

// Kiosks returns every enrolled kiosk.
func (s *Store) Kiosks() ([]queue.Kiosk, error) {
	return all[queue.Kiosk](s, bKiosks)
}

// all decodes every value of a top-level bucket.
func all[T any](s *Store, bucket []byte) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var x T
			if err := json.Unmarshal(v, &x); err != nil {
				return fmt.Errorf("bolt: %s %s: %w", bucket, k, err)
			}
			out = append(out, x)
			return nil
		})
	})
	return out, err
}

// Enrollment returns an enrolment token's record by its hash.
func (s *Store) Enrollment(hash string) (queue.Enrollment, error) {
	var en queue.Enrollment
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx, bEnroll, hash, "enrolment token", &en) })
	return en, err
}

// Enrollments returns every enrolment token's record.
func (s *Store) Enrollments() ([]queue.Enrollment, error) {
	return all[queue.Enrollment](s, bEnroll)
}

// Bookings returns a centre's bookings whose slot is on a local day.
func (s *Store) Bookings(centre, day string) ([]queue.Booking, error) {
	var out []queue.Booking
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := centreBucket(tx, centre, false)
		if err != nil {
			return err
		}
		prefix := []byte(day + "/")
		bookings := c.Bucket(bBookings)
		cur := c.Bucket(bBDays).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			var b queue.Booking
			if err := json.Unmarshal(bookings.Get(k[len(prefix):]), &b); err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}
