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
//	  "o…"                  the centre's outbox (below)
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
//	webhooks              webhook id → Webhook
//	contacts              contact ref → Contact (personal data, purged when
//	                      it expires)
//	dossiers              "f/" + owner → DossierForm; "d/" + owner + NUL +
//	                      seq (8 bytes BE) → DossierDocument; "i/" + owner +
//	                      NUL + id → seq; "c/" + owner → DossierConfirm
//	dossierpdf            owner + NUL + id → the document's PDF (blobs
//	                      apart, so that listing a dossier reads none)
//	dossierexp            Expires (8 bytes BE, unix s) + a dossiers key →
//	                      nothing: what PurgeDossiers erases, in order
//	procquestions         day + NUL + centre + NUL + question →
//	                      ProcedureQuestionDay: the questions asked of the
//	                      procedure guidance, counted (no personal data)
//	identities            ticket id → TicketIdentity (without the face):
//	                      what a CCCD's chip told, until the ticket's
//	                      day ends (identity.go)
//	identityfaces         ticket id → the face (JPEG) of its identity
//
// and the outbox's messages in each centre's log, after the numbering
// (outbox.go):
//
//	"om/" + CreatedAt (8 bytes BE, unix ns) + id → Message
//	"od/" + NextAt (8 bytes BE) + id → CreatedAt: the pending messages,
//	                      in the order they are claimed
//
// The outbox, the dossiers, the question counts and the identities came after schema 2 without a new version:
// their keys are new keys of existing buckets or new buckets, and Open
// creates their buckets in a file that lacks them (a file read read-only
// without them has none of its data).
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
//
// The files: bolt.go opens the store; layout.go names the buckets and keys;
// commit.go writes a batch; load.go reads a centre's live state and events;
// pending.go and tickets.go keep and read the tickets; records.go reads
// accounts, sessions, kiosks, enrolments, bookings and audit; outbox.go
// writes and claims messages and keeps contacts and webhooks; purge.go
// erases past retention; challenge.go keeps spent anti-bot challenges;
// migrate.go migrates older schemas; check.go finds the file damaged,
// deleted or replaced; secret.go moves the keys kept outside it and records
// their fingerprints.
package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

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

	// ids are the ids of the messages stored: a message is stored once
	// (outbox.go). Only commits and purges that write messages use them,
	// holding outMu across their transaction and the update of ids, so
	// that no other sees ids behind the file. Rebuilt at open from the
	// messages' keys.
	outMu sync.Mutex
	ids   map[string]struct{}
	// contactKeys are where each ref's contact is in the contacts bucket:
	// keyed by consent time then ref (contactKey), so that a round's
	// contacts share a page instead of each dirtying a random one; under
	// outMu as ids, rebuilt at open.
	contactKeys map[string][]byte
	// leases are the messages this process's senders claimed, until when:
	// read and written only inside write transactions (ClaimMessages,
	// SaveDelivery), which bbolt runs one at a time.
	leases map[string]time.Time
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
	s := &Store{db: db, path: path, pending: map[string]pendingRef{}, ids: map[string]struct{}{}, leases: map[string]time.Time{}, contactKeys: map[string][]byte{}}
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
	if err := s.loadIDs(); err != nil {
		return err
	}
	if err := s.loadContactKeys(); err != nil {
		return err
	}
	return s.loadPending()
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bUsers, bSessions, bIDs, bCentres, bCodes, bKiosks, bEnroll, bSpent,
			bWebhooks, bContacts, bDossiers, bDossPDFs, bDossExp, bProcQuestions, bIdentities, bIdentFaces} {
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
