package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/engine"
	"xephang/queue-server/keyfile"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
	"xephang/queue-server/testsrv"
)

// copySource makes a small store in dir: a centre with tickets of two
// days, a user, the key's fingerprint. It returns the tickets' ids.
func copySource(t *testing.T, dir string) []string {
	t.Helper()
	s, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := storetest.Centre("phuong-copy")
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	l := queue.NewLive(c, now, engine.NewID)
	var ids []string
	for d := range 2 {
		for i := range 3 {
			tk, err := l.Issue(now.AddDate(0, 0, d).Add(time.Duration(i)*time.Minute), queue.IssueRequest{Service: "A", Source: queue.SourceStaff})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tk.ID)
			if err := s.Commit(&queue.Batch{Centres: []*queue.Changes{l.TakeChanges()}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Commit(&queue.Batch{Users: []queue.User{{Username: "admin", Role: queue.RoleAdmin, CreatedAt: now}}}); err != nil {
		t.Fatal(err)
	}
	// The CCCD key file beside the store, as a server makes it.
	key := keyfile.New()
	if err := keyfile.Create(filepath.Join(dir, "citizen.key"), key); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeyID("citizen", keyfile.ID(key)); err != nil {
		t.Fatal(err)
	}
	return ids
}

func runCopyArgs(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runCopy(args, func(string) string { return "" }, &out, &errb)
	return code, out.String(), errb.String()
}

// TestCopyCommand: `queue-server copy` copies a data directory's store
// into a new one and says so, a line per centre, with the verification's
// table and the key file's note; a second copy into the same target is
// refused and changes nothing.
func TestCopyCommand(t *testing.T) {
	from, to := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	ids := copySource(t, from)
	if err := os.Mkdir(filepath.Join(from, "ca"), 0o700); err != nil { // the kiosks' CA, as a server makes it
		t.Fatal(err)
	}
	code, out, errs := runCopyArgs("-from", from, "-to", to)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	kid := keyID(t, from)
	for _, want := range []string{
		"trung tâm phuong-copy: 6 số thứ tự", "/ centre phuong-copy: 6 tickets",
		"tài khoản và thiết bị: 1 tài khoản", "/ accounts and devices: 1 users",
		"Đã chép ", "/ copied ", "rows/s",
		"khớp / match",
		"Bản sao khớp với nguồn", "the copy matches its source",
		"Tệp khóa CCCD không được chép", "The CCCD key file is not copied", "citizen " + kid,
		"Thư mục CA của ki-ốt", "The kiosks' CA (" + filepath.Join(from, "ca") + ") is not in the store either",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !regexp.MustCompile(`phuong-copy +số thứ tự / tickets +6 +6 +[0-9a-f]{12} += *\n`).MatchString(out) {
		t.Error("no table row of the tickets")
	}
	if t.Failed() {
		t.Fatalf("output:\n%s", out)
	}
	t.Logf("output:\n%s", out)
	dst, err := bolt.Open(to)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := dst.Ticket(id); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := dst.KeyID("citizen"); err != nil || got != kid {
		t.Fatalf("key id %q %v, want %s", got, err, kid)
	}
	before, _ := dst.LoadCentres()
	dst.Close()

	code, out, errs = runCopyArgs("-from", from, "-to", to)
	if code != 1 || !strings.Contains(errs, "đích không trống") || !strings.Contains(errs, "the target is not empty: it holds 1 centre(s) (phuong-copy), 1 user(s), 1 key fingerprint(s)") {
		t.Fatalf("copy into a full target: exit %d\n%s\n%s", code, out, errs)
	}
	if strings.Contains(errs, "part of the copy") {
		t.Fatalf("a refused copy says it wrote: %s", errs)
	}
	dst, err = bolt.Open(to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if after, _ := dst.LoadCentres(); !reflect.DeepEqual(before, after) {
		t.Fatal("the refused copy changed the target")
	}
}

// TestCopyCommandPostgres: the same into a PostgreSQL database, migrated
// by the copy; a second copy into it is refused.
func TestCopyCommandPostgres(t *testing.T) {
	pg := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
	url := pg.CreateDB(t)
	from := t.TempDir()
	ids := copySource(t, from)
	code, out, errs := runCopyArgs("-from", from, "-to", url)
	if code != 0 || !strings.Contains(out, "trung tâm phuong-copy: 6 số thứ tự") || !strings.Contains(out, " to "+url+"\n") ||
		!strings.Contains(out, "the copy matches its source") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	st, err := pgstore.Open(context.Background(), url, pgstore.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range ids {
		if _, err := st.Ticket(id); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := st.KeyID("citizen"); err != nil || got != keyID(t, from) {
		t.Fatalf("key id %q %v", got, err)
	}
	code, out, errs = runCopyArgs("-from", from, "-to", url)
	if code != 1 || !strings.Contains(errs, "đích không trống") || !strings.Contains(errs, "the target is not empty") {
		t.Fatalf("copy into a full database: exit %d\n%s\n%s", code, out, errs)
	}

	// A server on the database takes the source's key file and serves
	// the copied tickets; another key file is refused.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	other := filepath.Join(t.TempDir(), "other.key")
	if err := keyfile.Create(other, keyfile.New()); err != nil {
		t.Fatal(err)
	}
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Database: url, KeyFile: other}, quiet)
	if err := m.Run(context.Background()); !errors.Is(err, bolt.ErrWrongKey) {
		m.Close()
		t.Fatalf("a server with another key file: %v", err)
	}
	m = NewMain(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Database: url, KeyFile: filepath.Join(from, "citizen.key")}, quiet)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tk, err := apiv1.NewClient("http://"+m.Addr()).Ticket(context.Background(), ids[0])
	if err != nil || tk.ID != ids[0] {
		t.Fatalf("the copied ticket from a server on the database: %+v %v", tk, err)
	}
}

// keyID is the fingerprint of the key file in dir.
func keyID(t *testing.T, dir string) string {
	t.Helper()
	key, err := keyfile.Load(filepath.Join(dir, "citizen.key"))
	if err != nil {
		t.Fatal(err)
	}
	return keyfile.ID(key)
}

// TestCopyCommandRefuses: no store at -from, -to missing or the source's
// own directory, a source in use: clear errors, exit codes 1 or 2, and no
// target made.
func TestCopyCommandRefuses(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing-here")
	to := filepath.Join(t.TempDir(), "copy")
	code, _, errs := runCopyArgs("-from", missing, "-to", to)
	if code != 1 || !strings.Contains(errs, "no store in "+missing) {
		t.Fatalf("missing source: exit %d: %s", code, errs)
	}
	for _, p := range []string{missing, to} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s was created (%v)", p, err)
		}
	}
	if code, _, errs := runCopyArgs("-from", missing); code != 2 || !strings.Contains(errs, "usage") {
		t.Fatalf("no -to: exit %d: %s", code, errs)
	}
	from := t.TempDir()
	copySource(t, from)
	if code, _, errs := runCopyArgs("-from", from, "-to", from); code != 1 || !strings.Contains(errs, "source's data directory") {
		t.Fatalf("-to the source: exit %d: %s", code, errs)
	}
	s, err := bolt.Open(from) // a server holds it
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if code, _, errs := runCopyArgs("-from", from, "-to", to); code != 1 || !strings.Contains(errs, "in use") {
		t.Fatalf("source in use: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(to); !os.IsNotExist(err) {
		t.Fatalf("%s was created (%v)", to, err)
	}
}
