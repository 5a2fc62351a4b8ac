package storecopy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/queue"
	"xephang/queue-server/storecopy"
)

// TestCopyMonth copies a month of three centres from a bbolt store into a
// new one: Verify finds every kind equal, and so does reading both
// stores through queue.Store (every centre's snapshot, event stream,
// tickets and bookings of every day, audit, messages (with their delivery
// state: sent, failed, pending), contacts and webhooks, dossiers (forms,
// documents with their PDFs, confirmations), every ticket by id
// and by key, every booking by code, the accounts, sessions, kiosks,
// enrolments and the key's fingerprint), after the copy is reopened as a server
// would; the source file is not changed; a centre restored from the copy
// goes on as it would have from the source.
func TestCopyMonth(t *testing.T) {
	dir := t.TempDir()
	open := func() store {
		s, err := bolt.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	copyMonth(t, open(), func(s store) store { s.Close(); return open() })
}

// copyMonth is TestCopyMonth into dst, an empty store; reopen closes it
// and opens it again.
func copyMonth(t *testing.T, dst store, reopen func(store) store) {
	srcDir := t.TempDir()
	m := monthStore(t, srcDir, monthDays)
	before := fileBytes(t, srcDir)
	src, err := bolt.OpenReadOnly(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var lines []string
	rep, err := storecopy.Copy(context.Background(), src, dst, func(s string) { lines = append(lines, s) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("copied %d rows in %d commits in %s: %.0f rows/s", rep.Total(), rep.Commits, rep.Elapsed, float64(rep.Total())/rep.Elapsed.Seconds())
	if len(lines) != len(m.centres)+1 || !strings.HasPrefix(lines[0], "trung tâm phuong-a: ") || !strings.Contains(lines[0], "/ centre phuong-a: ") {
		t.Fatalf("progress: %q", lines)
	}
	count := map[string]int{}
	for _, r := range rep.Rows {
		count[r.Kind] += r.Count
	}
	if count[storecopy.KindTickets] != len(m.tickets) || count[storecopy.KindBookings] != len(m.bookings) ||
		count[storecopy.KindSessions] != len(m.sessions) || count[storecopy.KindKeyIDs] != 1 {
		t.Fatalf("copied %v; made %d tickets, %d bookings, %d live sessions", count, len(m.tickets), len(m.bookings), len(m.sessions))
	}
	for _, k := range []string{storecopy.KindEvents, storecopy.KindAudit, storecopy.KindNoShows, storecopy.KindBlocks, storecopy.KindUsers, storecopy.KindKiosks, storecopy.KindEnrollments,
		storecopy.KindMessages, storecopy.KindContacts, storecopy.KindWebhooks, storecopy.KindDossierForms, storecopy.KindDossierDocuments, storecopy.KindDossierConfirms} {
		if count[k] == 0 {
			t.Errorf("the month has no %s: the test does not test them", k)
		}
	}
	t.Logf("%v", count)
	// Dossiers are written through queue.Dossiers, not in batches.
	batched := rep.Total() - count[storecopy.KindDossierForms] - count[storecopy.KindDossierDocuments] - count[storecopy.KindDossierConfirms]
	if rep.Commits < batched/storecopy.BatchRows {
		t.Fatalf("%d rows in %d commits: batches over %d rows", batched, rep.Commits, storecopy.BatchRows)
	}

	vrep, err := storecopy.Verify(context.Background(), src, dst)
	if err != nil {
		var b strings.Builder
		vrep.WriteTable(&b)
		t.Fatalf("%v\n%s", err, b.String())
	}
	t.Logf("verified in %s", vrep.Elapsed)
	if len(vrep.Mismatches()) != 0 || vrep.Total() != rep.Total() {
		t.Fatalf("verified %d rows, copied %d", vrep.Total(), rep.Total())
	}

	// Reopened as a server opens it, read through queue.Store.
	dst = reopen(dst)
	sameStores(t, src, dst, m)
	if after := fileBytes(t, srcDir); !bytes.Equal(before, after) {
		t.Fatal("copying changed the source file")
	}

	// A centre restored from either store goes on the same way.
	at := m.end.Add(10 * time.Minute)
	for _, id := range m.centres {
		var out []string
		for _, st := range []queue.Store{src, dst} {
			snap, err := st.LoadCentre(id)
			if err != nil {
				t.Fatal(err)
			}
			l := queue.Restore(snap, at, func() string { return "the-same-id" })
			if _, err := l.Issue(at, queue.IssueRequest{Service: "B", Source: queue.SourceStaff}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := l.Next(at, 1, "canbo-1"); err != nil {
				t.Fatal(err)
			}
			out = append(out, asJSON(t, l.TakeChanges()))
		}
		if out[0] != out[1] {
			t.Fatalf("centre %s restored from the copy:\n%s\nfrom the source:\n%s", id, out[1], out[0])
		}
	}
}

// sameStores reads both stores through queue.Store and fails on any
// difference.
func sameStores(t *testing.T, a, b queue.Store, m month) {
	t.Helper()
	same := func(what string, f func(s queue.Store) (any, error)) {
		t.Helper()
		x, errA := f(a)
		y, errB := f(b)
		if ja, jb := asJSON(t, x)+errString(errA), asJSON(t, y)+errString(errB); ja != jb {
			t.Fatalf("%s differs:\nsource: %.2000s\ncopy:   %.2000s", what, ja, jb)
		}
	}
	same("centres", func(s queue.Store) (any, error) {
		snaps, err := s.LoadCentres()
		for i := range snaps {
			snaps[i].Rev = 0 // a store's own count of commits
		}
		return snaps, err
	})
	pending := 0
	for _, id := range m.centres {
		same(id+" events", func(s queue.Store) (any, error) { return s.Events(id, 0, 1<<30) })
		same(id+" audit", func(s queue.Store) (any, error) { return s.Audit(id, 1<<30) })
		same(id+" messages", func(s queue.Store) (any, error) { return s.(queue.Outbox).Messages(id, "", "", 1<<30) })
		same(id+" webhooks", func(s queue.Store) (any, error) { return s.(queue.Outbox).Webhooks(id) })
		for _, status := range []string{queue.MessageSent, queue.MessageFailed, queue.MessagePending} {
			if ms, _ := b.(queue.Outbox).Messages(id, "", status, 1); len(ms) == 0 {
				t.Fatalf("centre %s: no %s message copied: the test does not test them", id, status)
			}
		}
		for _, day := range m.days {
			same(id+" tickets of "+day, func(s queue.Store) (any, error) { return s.Tickets(id, day) })
			same(id+" bookings of "+day, func(s queue.Store) (any, error) { return s.Bookings(id, day) })
		}
		evs, err := b.Events(id, 0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := b.LoadCentre(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 || evs[len(evs)-1].Seq != snap.Meta.LastSeq {
			t.Fatalf("centre %s: %d events, meta's last seq %d", id, len(evs), snap.Meta.LastSeq)
		}
		if id == "phuong-a" && evs[0].Seq == 1 {
			t.Fatal("phuong-a's purged events came back")
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].Seq != evs[i-1].Seq+1 {
				t.Fatalf("centre %s: seq %d after %d", id, evs[i].Seq, evs[i-1].Seq)
			}
		}
		for _, tk := range snap.Tickets {
			if tk.Status == queue.StatusWaiting {
				pending++
			}
		}
	}
	if pending == 0 {
		t.Fatal("no ticket waits on the last day: the tickets kept only in their issued event are not tested")
	}
	for _, id := range m.tickets {
		same("ticket "+id, func(s queue.Store) (any, error) { return s.Ticket(id) })
	}
	for key, ct := range m.keys {
		same("ticket of key "+key, func(s queue.Store) (any, error) { return s.TicketByKey(ct[0], key) })
	}
	for _, code := range m.bookings {
		same("booking "+code, func(s queue.Store) (any, error) { return s.Booking(code) })
	}
	purged := 0
	for _, ref := range m.contacts {
		same("contact "+ref, func(s queue.Store) (any, error) { return s.(queue.Outbox).Contact(ref) })
		if _, err := b.(queue.Outbox).Contact(ref); queue.ErrorCode(err) == queue.ENotFound {
			purged++
		}
	}
	if purged == 0 || purged == len(m.contacts) {
		t.Fatalf("%d contacts of %d purged: the purge and the copy are not both tested", purged, len(m.contacts))
	}
	for _, id := range m.webhooks {
		same("webhook "+id, func(s queue.Store) (any, error) { return s.(queue.Outbox).Webhook(id) })
	}
	// A sender on the copy claims the source's pending messages, each once.
	due := map[string]bool{}
	for _, id := range m.centres {
		ms, err := a.(queue.Outbox).Messages(id, "", queue.MessagePending, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range ms {
			due[msg.ID] = true
		}
	}
	claimed, err := b.(queue.Outbox).ClaimMessages(m.end.Add(time.Hour), time.Minute, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range claimed {
		if !due[msg.ID] {
			t.Fatalf("claimed %s from the copy: not pending in the source", msg.ID)
		}
		delete(due, msg.ID)
	}
	if len(claimed) == 0 || len(due) > 0 {
		t.Fatalf("claimed %d from the copy; %d pending in the source not claimed", len(claimed), len(due))
	}
	same("users", func(s queue.Store) (any, error) { return s.Users() })
	same("kiosks", func(s queue.Store) (any, error) { return s.Kiosks() })
	same("enrolments", func(s queue.Store) (any, error) { return s.Enrollments() })
	for _, h := range m.sessions {
		same("session "+h, func(s queue.Store) (any, error) { return s.Session(h) })
	}
	for _, h := range m.expired {
		if _, err := b.Session(h); queue.ErrorCode(err) != queue.ENotFound {
			t.Fatalf("expired session %s copied (%v)", h, err)
		}
	}
	same("key id", func(s queue.Store) (any, error) { return s.(storecopy.KeyRecorder).KeyID("citizen") })
	if days, err := a.(queue.ProcedureQuestions).ProcedureQuestionDays(m.centres[0], ""); err != nil || len(days) == 0 {
		t.Fatalf("the source has no questions at %s (%v)", m.centres[0], err)
	}
	for _, c := range m.centres {
		same("procedure questions of "+c, func(s queue.Store) (any, error) {
			days, err := s.(queue.ProcedureQuestions).ProcedureQuestionDays(c, "")
			slices.SortFunc(days, func(a, b queue.ProcedureQuestionDay) int { return strings.Compare(a.Day+"\x00"+a.Q, b.Day+"\x00"+b.Q) })
			return days, err
		})
	}
	for _, owner := range m.dossiers {
		same("dossier form "+owner, func(s queue.Store) (any, error) {
			f, err := s.(queue.Dossiers).Form(owner)
			var v any // a store may keep the filled form as a JSON value
			json.Unmarshal(f.Filled, &v)
			f.Filled, _ = json.Marshal(v)
			return f, err
		})
		same("dossier confirmation "+owner, func(s queue.Store) (any, error) { return s.(queue.Dossiers).Confirmed(owner) })
		same("dossier documents "+owner, func(s queue.Store) (any, error) {
			ds, err := s.(queue.Dossiers).Documents(owner)
			var pdfs [][]byte
			for _, d := range ds {
				pdf, err := s.(queue.Dossiers).DocumentPDF(owner, d.ID)
				if err != nil {
					return nil, err
				}
				pdfs = append(pdfs, pdf)
			}
			return []any{ds, pdfs}, err
		})
	}
}

// TestCopyRefusesNonEmptyTarget: a target holding anything (a user, a
// centre, a key fingerprint) is refused with a clear error, and nothing
// is written to it.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	refusesNonEmpty(t, func(t *testing.T) store {
		s, err := bolt.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// refusesNonEmpty is TestCopyRefusesNonEmptyTarget on the empty stores
// open makes.
func refusesNonEmpty(t *testing.T, open func(t *testing.T) store) {
	srcDir := t.TempDir()
	monthStore(t, srcDir, 2)
	src, err := bolt.OpenReadOnly(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c, err := src.LoadCentre("xa-c")
	if err != nil {
		t.Fatal(err)
	}
	for name, fill := range map[string]func(store) error{
		"1 user(s)": func(s store) error {
			return s.Commit(&queue.Batch{Users: []queue.User{{Username: "someone", Role: queue.RoleAdmin}}})
		},
		"1 centre(s) (xa-c)": func(s store) error {
			return s.Commit(&queue.Batch{Centres: []*queue.Changes{{Centre: "xa-c", Config: &c.Config, Meta: &queue.Meta{LastSeq: 0}}}})
		},
		"1 key fingerprint(s)": func(s store) error { return s.(storecopy.KeyRecorder).SetKeyID("citizen", "another") },
	} {
		t.Run(name, func(t *testing.T) {
			dst := open(t)
			if err := fill(dst); err != nil {
				t.Fatal(err)
			}
			before := dump(t, dst)
			called := false
			_, err = storecopy.Copy(context.Background(), src, dst, func(string) { called = true })
			if queue.ErrorCode(err) != queue.EConflict || !strings.Contains(err.Error(), "not empty: it holds "+name) {
				t.Fatalf("copy into a target holding %s: %v", name, err)
			}
			var qe *queue.Error
			if !errors.As(err, &qe) || !strings.Contains(qe.VI, "đích không trống") {
				t.Fatalf("no Vietnamese message: %#v", err)
			}
			if called || dump(t, dst) != before {
				t.Fatal("the refused copy wrote to the target")
			}
		})
	}
}

// TestVerifyFindsDifferences: a copy that lost an audit record, holds a
// changed ticket or a message's delivery state that is not the source's
// does not verify, and the report says where.
func TestVerifyFindsDifferences(t *testing.T) {
	srcDir := t.TempDir()
	m := monthStore(t, srcDir, 2)
	src, err := bolt.OpenReadOnly(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := storecopy.Copy(context.Background(), src, dst, nil); err != nil {
		t.Fatal(err)
	}
	tk, err := dst.Ticket(m.tickets[0])
	if err != nil {
		t.Fatal(err)
	}
	tk.Rating = tk.Rating%4 + 1
	err = dst.Commit(&queue.Batch{Centres: []*queue.Changes{{Centre: tk.Centre, Tickets: []queue.Ticket{tk},
		Audit: []queue.Audit{{At: m.end, Actor: "intruder", Action: "nothing"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := dst.Messages(tk.Centre, "", queue.MessagePending, 1)
	if err != nil || len(ms) != 1 {
		t.Fatalf("pending messages of %s: %+v %v", tk.Centre, ms, err)
	}
	ms[0].Status, ms[0].Error = queue.MessageFailed, "given up on the copy"
	if err := dst.SaveDelivery(ms); err != nil {
		t.Fatal(err)
	}
	rep, err := storecopy.Verify(context.Background(), src, dst)
	if err == nil {
		t.Fatal("a changed copy verified")
	}
	bad := rep.Mismatches()
	if len(bad) != 3 || bad[0].Kind != storecopy.KindTickets || bad[1].Kind != storecopy.KindAudit || bad[2].Kind != storecopy.KindMessages ||
		bad[0].Count != bad[0].Target || bad[2].Count != bad[2].Target {
		t.Fatalf("mismatches %+v (%v)", bad, err)
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil || strings.Count(b.String(), "KHÁC / DIFFERS") != 3 {
		t.Fatalf("table:\n%s", b.String())
	}
}

// store is a store both written and read whole.
type store interface {
	queue.Store
	storecopy.Source
}

// dump is everything a store says it holds, as JSON.
func dump(t *testing.T, s store) string {
	t.Helper()
	cs, err1 := s.LoadCentres()
	us, err2 := s.Users()
	ks, err3 := s.Kiosks()
	es, err4 := s.Enrollments()
	kid, err5 := s.KeyIDs()
	_, err6 := s.Session("sess-1")
	return asJSON(t, []any{cs, us, ks, es, kid, errString(err1), errString(err2), errString(err3), errString(err4), errString(err5), errString(err6)})
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return " error: " + err.Error()
}

func fileBytes(t *testing.T, dir string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, bolt.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// BenchmarkCopyMonth copies the month of TestCopyMonth into a new bbolt
// store (each batch fsync'd) and verifies it: rows/s of each. See
// BenchmarkCopyMonthPostgres for PostgreSQL.
func BenchmarkCopyMonth(b *testing.B) {
	benchCopyMonth(b, func() store {
		s, err := bolt.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// benchCopyMonth copies the month into each empty store open makes.
func benchCopyMonth(b *testing.B, open func() store) {
	srcDir := b.TempDir()
	monthStore(b, srcDir, 31)
	src, err := bolt.OpenReadOnly(srcDir)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var copied, verified time.Duration
	rows := 0
	for b.Loop() {
		dst := open()
		rep, err := storecopy.Copy(context.Background(), src, dst, nil)
		if err != nil {
			b.Fatal(err)
		}
		vrep, err := storecopy.Verify(context.Background(), src, dst)
		if err != nil {
			b.Fatal(err)
		}
		copied += rep.Elapsed
		verified += vrep.Elapsed
		rows += rep.Total()
		dst.Close()
	}
	b.ReportMetric(float64(rows)/copied.Seconds(), "rows/s-copy")
	b.ReportMetric(float64(rows)/verified.Seconds(), "rows/s-verify")
	b.ReportMetric(float64(rows)/float64(b.N), "rows")
}

// TestCopyInterrupted: a copy stopped after its first centre says it
// wrote (Commits) and what it copied; the target then holds that centre.
func TestCopyInterrupted(t *testing.T) {
	srcDir := t.TempDir()
	monthStore(t, srcDir, 2)
	src, err := bolt.OpenReadOnly(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	ctx, cancel := context.WithCancel(context.Background())
	rep, err := storecopy.Copy(ctx, src, dst, func(string) { cancel() })
	if !errors.Is(err, context.Canceled) || rep.Commits == 0 || len(rep.Rows) == 0 || rep.Rows[0].Centre != "phuong-a" {
		t.Fatalf("interrupted copy: %+v %v", rep, err)
	}
	if snaps, err := dst.LoadCentres(); err != nil || len(snaps) != 1 {
		t.Fatalf("target after the interruption: %d centres %v", len(snaps), err)
	}
}
