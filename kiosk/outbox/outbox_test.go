package outbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// MustOpen opens a store in a temporary directory, closed at the end of the test.
func MustOpen(tb testing.TB) (*Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "kiosk.db")
	s, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func ticket(i int, service string) Ticket {
	return Ticket{Key: fmt.Sprintf("k%d", i), Centre: "c", Service: service, Day: "2026-11-24", IssuedAt: t0.Add(time.Duration(i) * time.Second)}
}

func TestTakeUsesBlocksInOrderAndNeverInvents(t *testing.T) {
	s, path := MustOpen(t)
	if _, err := s.Take(ticket(0, "A")); !errors.Is(err, ErrNoNumbers) {
		t.Fatalf("no block: %v", err)
	}
	for _, b := range []Block{
		{ID: "b2", Service: "A", Day: "2026-11-24", From: 141, To: 142},
		{ID: "b1", Service: "A", Day: "2026-11-24", From: 101, To: 102},
		{ID: "old", Service: "A", Day: "2026-11-23", From: 1, To: 50},
		{ID: "b", Service: "B", Day: "2026-11-24", From: 7, To: 7},
	} {
		if err := s.AddBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for i := range 4 {
		tk, err := s.Take(ticket(i, "A"))
		if err != nil {
			t.Fatal(err)
		}
		if tk.State != Pending {
			t.Errorf("state %s", tk.State)
		}
		got = append(got, tk.Number)
	}
	if fmt.Sprint(got) != "[A101 A102 A141 A142]" {
		t.Errorf("numbers %v", got)
	}
	if _, err := s.Take(ticket(9, "A")); !errors.Is(err, ErrNoNumbers) {
		t.Errorf("after the blocks: %v", err)
	}
	if _, err := s.Take(ticket(0, "B")); err == nil {
		t.Error("a used key was accepted")
	}
	// Reopen: what was taken stays taken.
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.AddBlock(Block{ID: "b1", Service: "A", Day: "2026-11-24", From: 101, To: 102}) // replayed lease: kept as is
	if _, err := s2.Take(ticket(10, "A")); !errors.Is(err, ErrNoNumbers) {
		t.Errorf("after reopen: %v", err)
	}
	numbers, blocks, _ := s2.Left("2026-11-24")
	if numbers["A"] != 0 || numbers["B"] != 1 || blocks["B"] != 1 {
		t.Errorf("left %v %v", numbers, blocks)
	}
	if err := s2.PruneBlocks("2026-11-24"); err != nil {
		t.Fatal(err)
	}
	if bs, _ := s2.Blocks(""); len(bs) != 3 {
		t.Errorf("after prune %d blocks", len(bs))
	}
	pend, _ := s2.Tickets(Pending)
	if len(pend) != 4 || pend[0].Number != "A101" {
		t.Errorf("pending %v", pend)
	}
}

func TestStatesAndPrune(t *testing.T) {
	s, _ := MustOpen(t)
	s.AddBlock(Block{ID: "b", Service: "A", Day: "2026-11-24", From: 1, To: 10})
	for i := range 4 {
		if _, err := s.Take(ticket(i, "A")); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(time.Minute)
	s.MarkSent("k0", "T1", now)
	s.Void("k1", "paper out", now)
	s.MarkFailed("k2", "timeout", false, now)
	s.MarkFailed("k3", "not leased", true, now)
	s.Void("k0", "late", now) // a sent ticket stays sent
	c, _ := s.Counts()
	if c[Sent] != 1 || c[Void] != 1 || c[Pending] != 1 || c[Rejected] != 1 {
		t.Errorf("counts %v", c)
	}
	if err := s.MarkSent("nope", "", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	n, err := s.Prune(now.Add(time.Second))
	if err != nil || n != 2 {
		t.Errorf("pruned %d, %v", n, err)
	}
	all, _ := s.Tickets("")
	if len(all) != 2 || all[0].Key != "k2" || all[0].Attempts != 1 {
		t.Errorf("left %+v", all)
	}
}

func TestConcurrentTakesNeverShareANumber(t *testing.T) {
	s, _ := MustOpen(t)
	s.AddBlock(Block{ID: "b", Service: "A", Day: "2026-11-24", From: 1, To: 30})
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := s.Take(ticket(i, "A"))
			if errors.Is(err, ErrNoNumbers) {
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[tk.Number] {
				t.Errorf("%s given twice", tk.Number)
			}
			seen[tk.Number] = true
		}()
	}
	wg.Wait()
	if len(seen) != 30 {
		t.Errorf("%d numbers given, want 30", len(seen))
	}
}

func TestCentreCache(t *testing.T) {
	s, _ := MustOpen(t)
	if _, err := s.Centre(); !errors.Is(err, ErrNoCentre) {
		t.Fatal(err)
	}
	c := queue.Centre{ID: "c", Name: "Trung tâm", Timezone: "Asia/Ho_Chi_Minh", Services: []queue.Service{{Code: "A", Name: "Hộ tịch"}}}
	if err := s.PutCentre(c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Centre()
	if err != nil || got.Name != c.Name || len(got.Services) != 1 {
		t.Errorf("%+v %v", got, err)
	}
}

func TestOnlineTicketsAndPrechecks(t *testing.T) {
	s, path := MustOpen(t)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	pre := json.RawMessage(`{"procedure":"khai-sinh","ok":true}`)
	for i, k := range []string{"on1", "on2", "on3"} {
		if err := s.Record(Ticket{Key: k, Centre: "c", Service: "A", Number: fmt.Sprintf("A%03d", i+1), ServerID: "T" + k, IssuedAt: now, Precheck: pre}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Record(Ticket{Key: "on1", ServerID: "x", Number: "A009"}); err == nil {
		t.Error("a key recorded twice")
	}
	s.Printed("on1", now)
	s.Withdraw("on2", "paper out")
	// on3 is still printing when kioskd dies: withdrawn at the next start.
	s.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Recover(); n != 1 || err != nil {
		t.Fatalf("recovered %d %v", n, err)
	}
	voiding, _ := s.Tickets(Voiding)
	if len(voiding) != 2 || voiding[0].Key != "on2" || voiding[1].Key != "on3" {
		t.Fatalf("voiding %+v", voiding)
	}
	if p, _ := s.Tickets(Pending); len(p) != 0 {
		t.Errorf("online tickets must never be replayed: %+v", p)
	}
	s.MarkVoided("on2", "", now)
	todo, _ := s.PrechecksToAttach()
	if len(todo) != 1 || todo[0].Key != "on1" || string(todo[0].Precheck) != string(pre) {
		t.Fatalf("prechecks to attach %+v", todo)
	}
	// A sent ticket whose pre-check has not reached the server is not pruned.
	if n, _ := s.Prune(now.Add(time.Hour)); n != 1 {
		t.Errorf("pruned %d, want only the void one", n)
	}
	s.PrecheckAttached("on1", "")
	if todo, _ := s.PrechecksToAttach(); len(todo) != 0 {
		t.Errorf("still to attach: %+v", todo)
	}
}

// docFiles lists the documents folder of the store at path.
func docFiles(t *testing.T, path string) []string {
	t.Helper()
	ents, err := os.ReadDir(DocumentsDir(path))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
		out = append(out, e.Name())
	}
	return out
}

// A ticket's form and documents are on disk with it before Take returns,
// survive a restart, wait until the server has the ticket, and each file
// goes once its document is sent; a voided ticket's files go at once, and
// a file no ticket waits for is removed when the store opens.
func TestFormAndDocumentsWaitWithTheTicket(t *testing.T) {
	s, path := MustOpen(t)
	s.AddBlock(Block{ID: "b", Service: "A", Day: "2026-11-24", From: 1, To: 10})
	form := json.RawMessage(`{"procedure":"khai-sinh","version":"2026-12-05","values":{"applicant_name":"Nguyễn Thị Hoà"}}`)
	pdf1, pdf2 := []byte("%PDF-1.4 first"), []byte("%PDF-1.4 second, longer")
	id1, id2 := NewDocumentID(), NewDocumentID()
	tk := ticket(0, "A")
	tk.Form = form
	tk.Documents = []Document{
		{ID: id1, Name: "Giấy chứng sinh", Kind: "giay-chung-sinh", Pages: 1, Status: "present", Fields: map[string]string{"child_name": "NGUYỄN AN"}, PDF: pdf1},
		{ID: id2, Name: "Khác", Kind: "other", Pages: 2, PDF: pdf2},
	}
	got, err := s.Take(tk)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf1)
	if d := got.Documents[0]; d.SHA256 != hex.EncodeToString(sum[:]) || d.Size != len(pdf1) || d.PDF != nil {
		t.Errorf("stored document %+v", d)
	}
	if tk.Documents[0].PDF == nil {
		t.Error("Take cleared the caller's PDF")
	}
	// The same id twice in one ticket is refused, and nothing of it stays.
	dup := ticket(1, "A")
	same := NewDocumentID()
	dup.Documents = []Document{{ID: same, Name: "x", PDF: pdf1}, {ID: same, Name: "y", PDF: pdf1}}
	if _, err := s.Take(dup); err == nil {
		t.Error("one document id twice was accepted")
	}
	bad := ticket(2, "A")
	bad.Documents = []Document{{ID: "../../etc/passwd", Name: "x", PDF: pdf1}}
	if _, err := s.Take(bad); err == nil {
		t.Error("a document id that is a path was accepted")
	}
	bad = ticket(3, "A")
	bad.Documents = []Document{{ID: NewDocumentID(), Name: "x"}}
	if _, err := s.Take(bad); err == nil {
		t.Error("a document without a PDF was accepted")
	}
	// kioskd died between writing a file and its ticket: swept at the next open.
	os.WriteFile(filepath.Join(DocumentsDir(path), NewDocumentID()+".pdf"), []byte("orphan"), 0o600)
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files := docFiles(t, path)
	if len(files) != 2 || !slices.Contains(files, id1+".pdf") || !slices.Contains(files, id2+".pdf") {
		t.Fatalf("files after reopen %v", files)
	}
	if n, err := s.DocumentsWaiting(); n != 2 || err != nil {
		t.Errorf("documents waiting %d %v", n, err)
	}
	// Nothing to send before the server has the ticket.
	if f, _ := s.FormsToSend(); len(f) != 0 {
		t.Errorf("forms to send before the ticket: %+v", f)
	}
	if d, _ := s.DocumentsToSend(); len(d) != 0 {
		t.Errorf("documents to send before the ticket: %+v", d)
	}
	now := t0.Add(time.Minute)
	if err := s.MarkSent("k0", "T1", now); err != nil {
		t.Fatal(err)
	}
	f, _ := s.FormsToSend()
	if len(f) != 1 || string(f[0].Form) != string(form) || f[0].ServerID != "T1" {
		t.Fatalf("forms to send %+v", f)
	}
	d, _ := s.DocumentsToSend()
	if len(d) != 1 || len(d[0].Documents) != 2 || d[0].Documents[0].ID != id1 {
		t.Fatalf("documents to send %+v", d)
	}
	if b, err := s.DocumentPDF(d[0].Documents[1]); err != nil || string(b) != string(pdf2) {
		t.Fatalf("pdf %q %v", b, err)
	}
	// Not pruned while something waits.
	if n, _ := s.Prune(now.Add(time.Hour)); n != 0 {
		t.Errorf("pruned %d tickets with a form and documents waiting", n)
	}
	s.FormSent("k0", "")
	if err := s.DocumentSent("k0", id1, ""); err != nil {
		t.Fatal(err)
	}
	if files := docFiles(t, path); len(files) != 1 || files[0] != id2+".pdf" {
		t.Errorf("files after one sent %v", files)
	}
	if err := s.DocumentSent("k0", "doc-nope-0000", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown document: %v", err)
	}
	s.DocumentSent("k0", id2, "413 too large")
	if d, _ := s.DocumentsToSend(); len(d) != 0 {
		t.Errorf("still to send %+v", d)
	}
	all, _ := s.Tickets(Sent)
	if all[0].Documents[1].Error != "413 too large" || !all[0].FormSent {
		t.Errorf("recorded %+v", all[0])
	}
	if files := docFiles(t, path); len(files) != 0 {
		t.Errorf("files left %v", files)
	}
	if n, _ := s.Prune(now.Add(time.Hour)); n != 1 {
		t.Errorf("pruned %d, want the delivered ticket", n)
	}

	// A ticket the printer refused never reaches the server: its files go.
	v := ticket(5, "A")
	v.Form = form
	v.Documents = []Document{{ID: NewDocumentID(), Name: "x", PDF: pdf1}}
	if _, err := s.Take(v); err != nil {
		t.Fatal(err)
	}
	if files := docFiles(t, path); len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	s.Void("k5", "paper out", now)
	if files := docFiles(t, path); len(files) != 0 {
		t.Errorf("files of a void ticket left %v", files)
	}

	// Deliver: a ticket the server has, documents to send to it.
	dt, err := s.Deliver(Ticket{Key: "scan-1", Centre: "c", Service: "A", Number: "A007", ServerID: "T7",
		Documents: []Document{{ID: NewDocumentID(), Name: "Khác", Kind: "other", Pages: 1, PDF: pdf2}}}, now)
	if err != nil || dt.State != Sent || dt.Documents[0].Size != len(pdf2) {
		t.Fatalf("deliver %+v %v", dt, err)
	}
	if d, _ := s.DocumentsToSend(); len(d) != 1 || d[0].ServerID != "T7" {
		t.Errorf("delivered to send %+v", d)
	}
}

// BenchmarkTakeWithDocuments: an offline ticket written with the three
// documents of a pre-checked birth registration (about 300 kB each, as
// digitise makes them at 300 dpi), each file and the transaction fsync'd,
// against the ticket alone: what keeping the documents adds before the
// ticket prints.
func BenchmarkTakeWithDocuments(b *testing.B) {
	for _, docs := range []int{0, 3} {
		b.Run(fmt.Sprintf("documents=%d", docs), func(b *testing.B) {
			s, _ := MustOpen(b)
			s.AddBlock(Block{ID: "b", Service: "A", Day: "2026-11-24", From: 1, To: 1 << 30})
			pdf := bytes.Repeat([]byte("%PDF-1.7 scanned page as JPEG "), 10000) // 300 kB
			b.ResetTimer()
			for i := range b.N {
				tk := ticket(i, "A")
				for range docs {
					tk.Documents = append(tk.Documents, Document{ID: NewDocumentID(), Name: "x", PDF: pdf})
				}
				if _, err := s.Take(tk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestIdentityKeptUntilSentThenDeleted(t *testing.T) {
	s, path := MustOpen(t)
	s.AddBlock(Block{ID: "b", Service: "A", Day: "2026-11-24", From: 1, To: 10})
	face := "FACE-BYTES-1234567890"
	identity := json.RawMessage(`{"authenticity":"genuine","card":{"name":"Nguyễn Văn An"},"face":"` + face + `"}`)
	for i := range 4 {
		tk := ticket(i, "A")
		tk.Identity = identity
		if _, err := s.Take(tk); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the store holding faces is %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	// Not on the server yet: nothing to send.
	if ts, _ := s.IdentitiesToSend(); len(ts) != 0 {
		t.Fatalf("identities of pending tickets to send: %d", len(ts))
	}
	for i := range 3 {
		s.MarkSent(fmt.Sprintf("k%d", i), fmt.Sprintf("srv-%d", i), t0)
	}
	ts, _ := s.IdentitiesToSend()
	if len(ts) != 3 || ts[0].ServerID != "srv-0" || string(ts[0].Identity) != string(identity) {
		t.Fatalf("to send: %+v", ts)
	}
	s.IdentitySent("k0", "")
	s.IdentitySent("k1", "422 invalid")
	s.MarkFailed("k3", "refused", true, t0) // rejected: never sent
	// The day is over for k2: dropped unsent.
	if n, err := s.DropIdentities(t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("dropped %d (%v), want k2 and nothing else (k3's went with its ticket)", n, err)
	}
	all, _ := s.Tickets("")
	for _, tk := range all {
		if len(tk.Identity) != 0 || !tk.IdentitySent {
			t.Errorf("%s: identity %q kept (sent %v)", tk.Key, tk.Identity, tk.IdentitySent)
		}
	}
	if all[1].IdentityError != "422 invalid" || all[2].IdentityError != "the ticket's day is over" || all[3].IdentityError != "ticket rejected" {
		t.Errorf("errors %q %q %q", all[1].IdentityError, all[2].IdentityError, all[3].IdentityError)
	}
	if ts, _ := s.IdentitiesToSend(); len(ts) != 0 {
		t.Errorf("still to send: %d", len(ts))
	}
}
