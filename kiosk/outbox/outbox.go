// Package outbox is the kiosk's durable state in one bbolt file: the
// tickets it printed while the queue server was unreachable (the outbox,
// replayed with their idempotency keys), what goes with each ticket to
// the server (a pre-check result, a form, digitised documents whose PDFs
// wait in files beside the database), the blocks of ticket numbers leased
// from the server for such times, and the cached configuration of its
// centre.
//
// The rule that makes offline tickets safe: a number is taken from a block
// and its ticket written to the outbox in one fsync'd transaction before
// the ticket is printed. A number taken is never taken again, even if the
// kiosk dies before printing; a ticket that may have printed is never lost.
package outbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/atomicfile"
	"xephang/queue-server/queue"
)

// Sentinel errors of the package.
var (
	// ErrNoNumbers: no leased block of the service and day has a number left.
	ErrNoNumbers = errors.New("outbox: no leased numbers left")
	// ErrNotFound: no outbox ticket has that key.
	ErrNotFound = errors.New("outbox: no such ticket")
	// ErrNoCentre: no centre configuration was cached yet.
	ErrNoCentre = errors.New("outbox: no cached centre configuration")
)

// States of an outbox ticket.
const (
	// Pending: written, printing or printed, not yet acknowledged by the server.
	Pending = "pending"
	// Sent: the server acknowledged it (kept a while for the record).
	Sent = "sent"
	// Void: the printer refused it before printing anything; never replayed.
	Void = "void"
	// Rejected: the server refused it for good (a bug or a misconfiguration);
	// kept for a technician, reported in the heartbeat.
	Rejected = "rejected"
	// Printing: a ticket the server issued (Online) is being printed; Sent
	// once printed. One still Printing when kioskd starts died with it.
	Printing = "printing"
	// Voiding: an online ticket that did not print; the server is asked to
	// withdraw it (by its idempotency key) so it does not end as a no-show,
	// then it is Void.
	Voiding = "voiding"
)

// Block is a range of ticket numbers of one service and local day leased
// to this kiosk; Next is the next number to give.
type Block struct {
	ID      string `json:"id"`
	Service string `json:"service"`
	Day     string `json:"day"` // YYYY-MM-DD, the centre's local day
	From    int    `json:"from"`
	To      int    `json:"to"`
	Next    int    `json:"next"`
}

// Left is how many numbers of the block are still to give.
func (b Block) Left() int { return max(b.To-b.Next+1, 0) }

// Ticket is a ticket issued from a leased block.
type Ticket struct {
	Key      string    `json:"key"` // idempotency key, sent with every replay
	Centre   string    `json:"centre"`
	Service  string    `json:"service"`
	Number   string    `json:"number"` // queue.FormatNumber(Service, Seq)
	Seq      int       `json:"seq"`
	Day      string    `json:"day"`
	Block    string    `json:"block"`
	Priority string    `json:"priority,omitempty"`
	IssuedAt time.Time `json:"issued_at"`
	State    string    `json:"state"`
	ServerID string    `json:"server_id,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Error    string    `json:"error,omitempty"`
	Done     time.Time `json:"done,omitzero"` // when it was sent, voided or rejected
	// Online: the server issued it (ServerID, Number); it is kept only to
	// withdraw it if it does not print, and to attach its pre-check.
	Online bool `json:"online,omitempty"`
	// Precheck is the dossier pre-check result to attach to the ticket on
	// the server (PUT /api/v1/tickets/{id}/precheck) once it is there.
	Precheck         json.RawMessage `json:"precheck,omitempty"`
	PrecheckAttached bool            `json:"precheck_attached,omitempty"`
	PrecheckError    string          `json:"precheck_error,omitempty"`
	// Form is the citizen's filled form (a forms.Filled) to PUT on the
	// ticket (PUT /api/v1/tickets/{id}/form) once the server has it.
	Form      json.RawMessage `json:"form,omitempty"`
	FormSent  bool            `json:"form_sent,omitempty"`
	FormError string          `json:"form_error,omitempty"`
	// Documents are the digitised documents to POST on the ticket
	// (POST /api/v1/tickets/{id}/documents) once the server has it, in
	// order; their PDFs wait in files of the store's documents folder.
	Documents []Document `json:"documents,omitempty"`
	// Identity is what the card's chip gave, face included, to PUT on the
	// ticket (PUT /api/v1/tickets/{id}/identity) once the server has it.
	// It is personal data kept only until sent: sending it, or dropping it
	// (a ticket void or rejected, or the ticket's day over), empties it.
	Identity      json.RawMessage `json:"identity,omitempty"`
	IdentitySent  bool            `json:"identity_sent,omitempty"`
	IdentityError string          `json:"identity_error,omitempty"`
}

// Document is a digitised document kept with a ticket: what the server is
// told of it (its meta part) here, its PDF in a file (mode 0600) of the
// store's documents folder until the server has it.
type Document struct {
	// ID is made once (NewDocumentID) and sent with every attempt: the
	// server keeps one document per id.
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Kind    string            `json:"kind"`
	Pages   int               `json:"pages"`
	Status  string            `json:"status,omitempty"`
	Reasons []string          `json:"reasons,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
	SHA256  string            `json:"sha256"` // of the PDF, hex
	Size    int               `json:"size"`
	// Sent: the server has it (or, with Error, refused it for good); its
	// file is gone either way.
	Sent  bool   `json:"sent,omitempty"`
	Error string `json:"error,omitempty"`
	// PDF is the document given to Take, Record or Deliver; it is written
	// to its file before the ticket, never into the database.
	PDF []byte `json:"-"`
}

// NewDocumentID returns a fresh random document id.
func NewDocumentID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "doc-" + hex.EncodeToString(b)
}

// validDocumentID: the ids this store makes (and names files after).
func validDocumentID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// waiting reports whether t still has something for the server: a
// pre-check result, a form or a document not sent yet.
func (t *Ticket) waiting() bool {
	if len(t.Precheck) > 0 && !t.PrecheckAttached {
		return true
	}
	if len(t.Form) > 0 && !t.FormSent {
		return true
	}
	if len(t.Identity) > 0 && !t.IdentitySent {
		return true
	}
	for _, d := range t.Documents {
		if !d.Sent {
			return true
		}
	}
	return false
}

var (
	bucketTickets = []byte("tickets") // 8-byte sequence → Ticket (issue order)
	bucketKeys    = []byte("keys")    // idempotency key → 8-byte sequence
	bucketBlocks  = []byte("blocks")  // block id → Block
	bucketMeta    = []byte("meta")    // "centre" → configuration JSON
)

// Store is the kiosk's bbolt file, and beside it the folder of the
// documents' PDFs waiting to be sent (DocumentsDir).
type Store struct {
	db   *bolt.DB
	docs string
}

// DocumentsDir is the folder of the documents' PDFs beside the database
// at path.
func DocumentsDir(path string) string { return filepath.Join(filepath.Dir(path), "outbox-docs") }

// Open opens or creates the store at path. PDF files of the documents
// folder that no ticket waits to send (kioskd died between writing them
// and writing their ticket, or after the server had them) are removed.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	docs := DocumentsDir(path)
	if err := os.MkdirAll(docs, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("outbox: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketTickets, bucketKeys, bucketBlocks, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	s := &Store{db: db, docs: docs}
	if err := s.sweep(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// sweep removes the files of the documents folder no ticket waits to send.
func (s *Store) sweep() error {
	keep := map[string]bool{}
	ts, err := s.Tickets("")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, t := range ts {
		for _, d := range t.Documents {
			if !d.Sent {
				keep[d.ID+".pdf"] = true
			}
		}
	}
	ents, err := os.ReadDir(s.docs)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, e := range ents {
		if !keep[e.Name()] {
			os.Remove(filepath.Join(s.docs, e.Name()))
		}
	}
	return nil
}

// docPath is the file of a document's PDF.
func (s *Store) docPath(id string) string { return filepath.Join(s.docs, id+".pdf") }

// writeDocuments writes the PDFs of t's documents to their files (each
// fsync'd, with the folder), sets their hash and size and clears them
// from t; it returns the files written, to remove if t is not stored.
func (s *Store) writeDocuments(t *Ticket) ([]string, error) {
	var written []string
	seen := map[string]bool{}
	t.Documents = slices.Clone(t.Documents)
	for i := range t.Documents {
		d := &t.Documents[i]
		if !validDocumentID(d.ID) || seen[d.ID] || len(d.PDF) == 0 {
			removeAll(written)
			return nil, fmt.Errorf("outbox: document %d needs a fresh id and a PDF", i+1)
		}
		seen[d.ID] = true
		sum := sha256.Sum256(d.PDF)
		d.SHA256, d.Size, d.Sent, d.Error = hex.EncodeToString(sum[:]), len(d.PDF), false, ""
		if err := atomicfile.Write(s.docPath(d.ID), d.PDF, 0o600); err != nil {
			removeAll(written)
			return nil, fmt.Errorf("outbox: document file: %w", err)
		}
		written = append(written, s.docPath(d.ID))
		d.PDF = nil
	}
	return written, nil
}

func removeAll(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}

// DocumentPDF returns the PDF of a document waiting to be sent.
func (s *Store) DocumentPDF(d Document) ([]byte, error) {
	if !validDocumentID(d.ID) {
		return nil, fmt.Errorf("outbox: invalid document id")
	}
	b, err := os.ReadFile(s.docPath(d.ID))
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return b, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// PutCentre caches the centre's configuration.
func (s *Store) PutCentre(c queue.Centre) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("centre"), raw) })
}

// Centre returns the cached configuration, or ErrNoCentre.
func (s *Store) Centre() (queue.Centre, error) {
	var c queue.Centre
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMeta).Get([]byte("centre"))
		if raw == nil {
			return ErrNoCentre
		}
		return json.Unmarshal(raw, &c)
	})
	if err == nil {
		c.Normalize()
	}
	return c, err
}

// AddBlock keeps a newly leased block; adding the same block twice keeps
// the first (and its Next).
func (s *Store) AddBlock(b Block) error {
	if b.ID == "" || b.Service == "" || b.Day == "" || b.From < 1 || b.To < b.From {
		return fmt.Errorf("outbox: invalid block %+v", b)
	}
	if b.Next < b.From {
		b.Next = b.From
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketBlocks)
		if bk.Get([]byte(b.ID)) != nil {
			return nil
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		return bk.Put([]byte(b.ID), raw)
	})
}

// Blocks returns the blocks of a day (all days when day is ""), in the
// order numbers are given: lowest first.
func (s *Store) Blocks(day string) ([]Block, error) {
	var out []Block
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlocks).ForEach(func(_, v []byte) error {
			var b Block
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			if day == "" || b.Day == day {
				out = append(out, b)
			}
			return nil
		})
	})
	sortBlocks(out)
	return out, err
}

func sortBlocks(bs []Block) {
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].Service != bs[j].Service {
			return bs[i].Service < bs[j].Service
		}
		if bs[i].Day != bs[j].Day {
			return bs[i].Day < bs[j].Day
		}
		return bs[i].From < bs[j].From
	})
}

// Left returns, per service, how many numbers are left for day and in how
// many blocks that still have some.
func (s *Store) Left(day string) (numbers, blocks map[string]int, err error) {
	bs, err := s.Blocks(day)
	numbers, blocks = map[string]int{}, map[string]int{}
	for _, b := range bs {
		if n := b.Left(); n > 0 {
			numbers[b.Service] += n
			blocks[b.Service]++
		}
	}
	return numbers, blocks, err
}

// PruneBlocks forgets the blocks of days before day: their numbers can no
// longer be given.
func (s *Store) PruneBlocks(day string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketBlocks)
		var old [][]byte
		err := bk.ForEach(func(k, v []byte) error {
			var b Block
			if err := json.Unmarshal(v, &b); err != nil || b.Day < day {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range old {
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
		return err
	})
}

// Take gives t the next number of t.Service for t.Day from the lowest
// block that has one, and writes t to the outbox as Pending, in one
// transaction that is on disk when Take returns. t.Key must be new.
func (s *Store) Take(t Ticket) (Ticket, error) {
	if t.Key == "" || t.Service == "" || t.Day == "" || t.IssuedAt.IsZero() {
		return t, fmt.Errorf("outbox: ticket needs key, service, day and issue time")
	}
	files, err := s.writeDocuments(&t)
	if err != nil {
		return Ticket{}, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		if keys.Get([]byte(t.Key)) != nil {
			return fmt.Errorf("outbox: key %q already used", t.Key)
		}
		bk := tx.Bucket(bucketBlocks)
		var best *Block
		err := bk.ForEach(func(_, v []byte) error {
			var b Block
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			if b.Service == t.Service && b.Day == t.Day && b.Left() > 0 && (best == nil || b.From < best.From) {
				best = &b
			}
			return nil
		})
		if err != nil {
			return err
		}
		if best == nil {
			return ErrNoNumbers
		}
		t.Seq, t.Block = best.Next, best.ID
		t.Number = queue.FormatNumber(t.Service, t.Seq)
		t.State = Pending
		best.Next++
		raw, err := json.Marshal(best)
		if err != nil {
			return err
		}
		if err := bk.Put([]byte(best.ID), raw); err != nil {
			return err
		}
		tb := tx.Bucket(bucketTickets)
		seq, err := tb.NextSequence()
		if err != nil {
			return err
		}
		id := binary.BigEndian.AppendUint64(nil, seq)
		if raw, err = json.Marshal(t); err != nil {
			return err
		}
		if err := tb.Put(id, raw); err != nil {
			return err
		}
		return keys.Put([]byte(t.Key), id)
	})
	if err != nil {
		removeAll(files)
		return Ticket{}, err
	}
	return t, nil
}

// Record writes a ticket the server issued (t.Online, t.ServerID,
// t.Number, t.Key set) in state Printing, fsync'd, before it prints: if
// the print fails, or kioskd dies while printing, it is withdrawn on the
// server instead of ending as a no-show.
func (s *Store) Record(t Ticket) error {
	if t.Key == "" || t.ServerID == "" || t.Number == "" {
		return fmt.Errorf("outbox: an online ticket needs key, server id and number")
	}
	t.Online, t.State = true, Printing
	return s.insert(&t)
}

// Deliver records a ticket the server has already (t.ServerID set; e.g.
// the ticket now at a counter, whose documents a counter scanner took),
// as Sent, with what is still to send to it: its form, its documents
// (written to their files first). It returns t as stored.
func (s *Store) Deliver(t Ticket, now time.Time) (Ticket, error) {
	if t.Key == "" || t.ServerID == "" {
		return t, fmt.Errorf("outbox: a delivered ticket needs key and server id")
	}
	t.Online, t.State, t.Done = true, Sent, now
	err := s.insert(&t)
	return t, err
}

// insert writes t's documents, then t under a new sequence, fsync'd.
func (s *Store) insert(t *Ticket) error {
	files, err := s.writeDocuments(t)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		keys := tx.Bucket(bucketKeys)
		if keys.Get([]byte(t.Key)) != nil {
			return fmt.Errorf("outbox: key %q already used", t.Key)
		}
		tb := tx.Bucket(bucketTickets)
		seq, err := tb.NextSequence()
		if err != nil {
			return err
		}
		id := binary.BigEndian.AppendUint64(nil, seq)
		raw, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if err := tb.Put(id, raw); err != nil {
			return err
		}
		return keys.Put([]byte(t.Key), id)
	})
	if err != nil {
		removeAll(files)
	}
	return err
}

// Printed records that an online ticket came out of the printer.
func (s *Store) Printed(key string, now time.Time) error {
	return s.update(key, func(t *Ticket) {
		if t.State == Printing {
			t.State, t.Done = Sent, now
		}
	})
}

// Withdraw marks an online ticket that did not print: the server is to
// withdraw it.
func (s *Store) Withdraw(key, reason string) error {
	return s.update(key, func(t *Ticket) {
		if t.State == Printing {
			t.State, t.Error = Voiding, reason
		}
	})
}

// Recover withdraws the online tickets still Printing: kioskd died while
// printing them (call it at start, before anything prints).
func (s *Store) Recover() (int, error) {
	ts, err := s.Tickets(Printing)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		if err := s.Withdraw(t.Key, "kioskd stopped while printing"); err != nil {
			return 0, err
		}
	}
	return len(ts), nil
}

// MarkVoided records that the server withdrew a Voiding ticket (or has
// none to withdraw).
func (s *Store) MarkVoided(key, note string, now time.Time) error {
	return s.update(key, func(t *Ticket) {
		if t.State == Voiding {
			t.State, t.Done = Void, now
			if note != "" {
				t.Error = note
			}
		}
	})
}

// PrecheckAttached records that the ticket's pre-check reached the server,
// or, with a non-empty failure, that it never will.
func (s *Store) PrecheckAttached(key, failure string) error {
	return s.update(key, func(t *Ticket) { t.PrecheckAttached, t.PrecheckError = true, failure })
}

// PrechecksToAttach returns the tickets the server has whose pre-check
// result has not reached it yet, in issue order.
func (s *Store) PrechecksToAttach() ([]Ticket, error) {
	ts, err := s.Tickets(Sent)
	out := ts[:0]
	for _, t := range ts {
		if len(t.Precheck) > 0 && !t.PrecheckAttached && t.ServerID != "" {
			out = append(out, t)
		}
	}
	return out, err
}

// update changes the ticket of key with fn. A ticket that ends Void or
// Rejected never reaches the server: its form and documents are dropped
// (their files removed once the change is on disk), and so are the files
// of documents fn marked sent.
func (s *Store) update(key string, fn func(*Ticket)) error {
	var gone []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		gone = nil
		id := tx.Bucket(bucketKeys).Get([]byte(key))
		if id == nil {
			return ErrNotFound
		}
		tb := tx.Bucket(bucketTickets)
		var t Ticket
		if err := json.Unmarshal(tb.Get(id), &t); err != nil {
			return err
		}
		before := map[string]bool{}
		for _, d := range t.Documents {
			before[d.ID] = d.Sent
		}
		fn(&t)
		if t.State == Void || t.State == Rejected {
			if len(t.Form) > 0 && !t.FormSent {
				t.FormSent, t.FormError = true, "ticket "+t.State
			}
			if len(t.Identity) > 0 && !t.IdentitySent {
				t.IdentitySent, t.IdentityError = true, "ticket "+t.State
			}
			for i := range t.Documents {
				if d := &t.Documents[i]; !d.Sent {
					d.Sent, d.Error = true, "ticket "+t.State
				}
			}
		}
		if t.IdentitySent {
			t.Identity = nil // sent or dropped: not kept a moment longer
		}
		for _, d := range t.Documents {
			if d.Sent && !before[d.ID] {
				gone = append(gone, s.docPath(d.ID))
			}
		}
		raw, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return tb.Put(bytes.Clone(id), raw)
	})
	if err == nil {
		removeAll(gone)
	}
	return err
}

// FormSent records that the ticket's form reached the server, or, with a
// non-empty failure, that it never will.
func (s *Store) FormSent(key, failure string) error {
	return s.update(key, func(t *Ticket) { t.FormSent, t.FormError = true, failure })
}

// IdentitySent records that the ticket's identity reached the server, or,
// with a non-empty failure, that it never will; either way it is deleted.
func (s *Store) IdentitySent(key, failure string) error {
	return s.update(key, func(t *Ticket) { t.IdentitySent, t.IdentityError = true, failure })
}

// IdentitiesToSend returns the tickets the server has whose identity has
// not reached it yet, in issue order.
func (s *Store) IdentitiesToSend() ([]Ticket, error) {
	ts, err := s.Tickets(Sent)
	out := ts[:0]
	for _, t := range ts {
		if len(t.Identity) > 0 && !t.IdentitySent && t.ServerID != "" {
			out = append(out, t)
		}
	}
	return out, err
}

// DropIdentities deletes the identities of tickets issued before cutoff
// (the start of the centre's day) that were never sent: a card's data is
// kept for the ticket's day at most. It returns how many it dropped.
func (s *Store) DropIdentities(cutoff time.Time) (int, error) {
	ts, err := s.Tickets("")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range ts {
		if len(t.Identity) > 0 && t.IssuedAt.Before(cutoff) {
			if err := s.update(t.Key, func(t *Ticket) {
				if !t.IdentitySent {
					t.IdentitySent, t.IdentityError = true, "the ticket's day is over"
				}
			}); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// DocumentSent records that a document of the ticket reached the server,
// or, with a non-empty failure, that it never will; its file is removed.
func (s *Store) DocumentSent(key, id, failure string) error {
	found := false
	err := s.update(key, func(t *Ticket) {
		for i := range t.Documents {
			if d := &t.Documents[i]; d.ID == id {
				d.Sent, d.Error, found = true, failure, true
			}
		}
	})
	if err == nil && !found {
		return ErrNotFound
	}
	return err
}

// DocumentsWaiting is how many documents wait to be sent, with tickets
// not yet on the server or already there.
func (s *Store) DocumentsWaiting() (int, error) {
	ts, err := s.Tickets("")
	n := 0
	for _, t := range ts {
		if t.State != Pending && t.State != Sent && t.State != Printing {
			continue
		}
		for _, d := range t.Documents {
			if !d.Sent {
				n++
			}
		}
	}
	return n, err
}

// FormsToSend returns the tickets the server has whose form has not
// reached it yet, in issue order.
func (s *Store) FormsToSend() ([]Ticket, error) {
	ts, err := s.Tickets(Sent)
	out := ts[:0]
	for _, t := range ts {
		if len(t.Form) > 0 && !t.FormSent && t.ServerID != "" {
			out = append(out, t)
		}
	}
	return out, err
}

// DocumentsToSend returns the tickets the server has with documents not
// sent yet, in issue order (their documents in the order given).
func (s *Store) DocumentsToSend() ([]Ticket, error) {
	ts, err := s.Tickets(Sent)
	out := ts[:0]
	for _, t := range ts {
		if t.ServerID == "" {
			continue
		}
		for _, d := range t.Documents {
			if !d.Sent {
				out = append(out, t)
				break
			}
		}
	}
	return out, err
}

// Void marks a ticket the printer refused before printing anything: its
// number stays used, the ticket is never replayed.
func (s *Store) Void(key string, reason string, now time.Time) error {
	return s.update(key, func(t *Ticket) {
		if t.State == Pending {
			t.State, t.Error, t.Done = Void, reason, now
		}
	})
}

// MarkSent records the server's acknowledgement of a ticket.
func (s *Store) MarkSent(key, serverID string, now time.Time) error {
	return s.update(key, func(t *Ticket) {
		t.State, t.ServerID, t.Error, t.Done = Sent, serverID, "", now
		t.Attempts++
	})
}

// MarkFailed records a failed replay attempt; final makes it Rejected.
func (s *Store) MarkFailed(key, msg string, final bool, now time.Time) error {
	return s.update(key, func(t *Ticket) {
		t.Attempts++
		t.Error = msg
		if final {
			t.State, t.Done = Rejected, now
		}
	})
}

// Tickets returns the outbox tickets in state (all when ""), in issue order.
func (s *Store) Tickets(state string) ([]Ticket, error) {
	var out []Ticket
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTickets).ForEach(func(_, v []byte) error {
			var t Ticket
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			if state == "" || t.State == state {
				out = append(out, t)
			}
			return nil
		})
	})
	return out, err
}

// Counts returns how many tickets are in each state.
func (s *Store) Counts() (map[string]int, error) {
	ts, err := s.Tickets("")
	out := map[string]int{}
	for _, t := range ts {
		out[t.State]++
	}
	return out, err
}

// Prune forgets sent and void tickets done before cutoff (rejected ones
// stay until a technician looks); their keys go with them.
func (s *Store) Prune(cutoff time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, keys := tx.Bucket(bucketTickets), tx.Bucket(bucketKeys)
		var drop [][]byte
		var dropKeys []string
		err := tb.ForEach(func(k, v []byte) error {
			var t Ticket
			if json.Unmarshal(v, &t) != nil {
				return nil
			}
			waiting := t.State == Sent && t.waiting()
			if (t.State == Sent || t.State == Void) && t.Done.Before(cutoff) && !waiting {
				drop = append(drop, bytes.Clone(k))
				dropKeys = append(dropKeys, t.Key)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, k := range drop {
			if err := tb.Delete(k); err != nil {
				return err
			}
			if err := keys.Delete([]byte(dropKeys[i])); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}
