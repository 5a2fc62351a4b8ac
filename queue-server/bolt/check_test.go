package bolt_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/queue"
)

// filledStore makes a closed store with enough data for many pages and
// returns its directory and page size.
func filledStore(t *testing.T) (string, int) {
	t.Helper()
	dir := t.TempDir()
	s := MustOpen(t, dir)
	var users []queue.User
	for i := range 2000 {
		users = append(users, queue.User{Username: fmt.Sprintf("user-%05d", i), Role: queue.RoleClerk, Name: strings.Repeat("x", 40)})
	}
	if err := s.Commit(&queue.Batch{Users: users}); err != nil {
		t.Fatal(err)
	}
	ps := s.DB().Info().PageSize
	s.Close()
	return dir, ps
}

// damage is a way a store file is found damaged at start.
type damage struct {
	name string
	do   func(t *testing.T, path string, pageSize int)
	want string // in the error
}

// Damages are the damaged files of issue 14, point 15 (shared with the
// command's test through the same shapes).
var damages = []damage{
	{"zero bytes", func(t *testing.T, path string, _ int) { must(t, os.Truncate(path, 0)) }, "empty (0 bytes)"},
	{"truncated", func(t *testing.T, path string, _ int) {
		fi, _ := os.Stat(path)
		must(t, os.Truncate(path, fi.Size()/2))
	}, "truncated"},
	{"short", func(t *testing.T, path string, _ int) { must(t, os.Truncate(path, 100)) }, "truncated"},
	{"middle page random", func(t *testing.T, path string, ps int) {
		overwrite(t, path, ps, func(b []byte) {
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
		})
	}, "says it is page"},
	{"middle page zeros", func(t *testing.T, path string, ps int) {
		overwrite(t, path, ps, func(b []byte) { clear(b) })
	}, "says it is page"},
	{"both meta pages", func(t *testing.T, path string, ps int) {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		must(t, err)
		defer f.Close()
		f.WriteAt([]byte("garbage!garbage!garbage!garbage!"), 16)
		f.WriteAt([]byte("garbage!garbage!garbage!garbage!"), int64(ps)+16)
	}, "meta pages"},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// overwrite changes the page in the middle of the file.
func overwrite(t *testing.T, path string, ps int, fill func([]byte)) {
	t.Helper()
	fi, err := os.Stat(path)
	must(t, err)
	page := fi.Size() / int64(ps) / 2
	b := make([]byte, ps)
	fill(b)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt(b, page*int64(ps))
	must(t, err)
}

// TestDamagedFileRefused: a damaged file is refused at open and by Check,
// with what is wrong and how to restore, without a panic or a fault, and
// left as it was (a 0-byte file is not taken for a new store).
func TestDamagedFileRefused(t *testing.T) {
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			dir, ps := filledStore(t)
			path := filepath.Join(dir, bolt.FileName)
			d.do(t, path, ps)
			before, _ := os.ReadFile(path)
			_, err := bolt.Open(dir)
			if !errors.Is(err, bolt.ErrDamaged) || !strings.Contains(err.Error(), d.want) || !strings.Contains(err.Error(), "backup") {
				t.Fatalf("open: %v, want ErrDamaged saying %q and how to restore", err, d.want)
			}
			if _, err := bolt.Check(dir); !errors.Is(err, bolt.ErrDamaged) || !strings.Contains(err.Error(), d.want) {
				t.Fatalf("check: %v", err)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Fatal("the damaged file was changed")
			}
		})
	}
}

// TestRandomDamageNeverFaults overwrites many single pages and ranges at
// random: open must refuse or succeed, never panic or fault.
func TestRandomDamageNeverFaults(t *testing.T) {
	dir, ps := filledStore(t)
	path := filepath.Join(dir, bolt.FileName)
	good, err := os.ReadFile(path)
	must(t, err)
	r := rand.New(rand.NewPCG(7, 14))
	for i := range 60 {
		b := append([]byte(nil), good...)
		switch i % 3 {
		case 0: // a whole page
			p := 2 + r.IntN(len(b)/ps-2)
			for j := p * ps; j < (p+1)*ps; j++ {
				b[j] = byte(r.Uint32())
			}
		case 1: // a few bytes of a page header
			p := 2 + r.IntN(len(b)/ps-2)
			for j := p * ps; j < p*ps+16; j++ {
				b[j] = byte(r.Uint32())
			}
		default: // cut anywhere
			b = b[:r.IntN(len(b))]
		}
		must(t, os.WriteFile(path, b, 0o600))
		if s, err := bolt.Open(dir); err == nil {
			s.Close()
		} else if !errors.Is(err, bolt.ErrDamaged) {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}

func TestCheckGoodStore(t *testing.T) {
	dir, _ := filledStore(t)
	if n, err := bolt.Check(dir); err != nil || n < 10 {
		t.Fatalf("check: %d pages, %v", n, err)
	}
	if _, err := bolt.Check(t.TempDir()); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("check of an empty directory: %v", err)
	}
}

// TestMissingFileNotRecreated: a directory that held a store does not get
// a new empty one when its file is gone, unless asked with Init.
func TestMissingFileNotRecreated(t *testing.T) {
	dir, _ := filledStore(t)
	must(t, os.Remove(filepath.Join(dir, bolt.FileName)))
	if _, err := bolt.Open(dir); !errors.Is(err, bolt.ErrStoreMissing) || !strings.Contains(err.Error(), "-init") {
		t.Fatalf("open without the file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, bolt.FileName)); err == nil {
		t.Fatal("an empty store was created")
	}
	s, err := bolt.OpenWith(dir, bolt.Options{Init: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestFileGoneWhileOpen: once the file is deleted or replaced, Verify
// says so and commits are refused (they would be lost).
func TestFileGoneWhileOpen(t *testing.T) {
	for _, replace := range []bool{false, true} {
		t.Run(fmt.Sprint("replace=", replace), func(t *testing.T) {
			dir := t.TempDir()
			s := MustOpen(t, dir)
			path := filepath.Join(dir, bolt.FileName)
			user := func(n string) error {
				return s.Commit(&queue.Batch{Users: []queue.User{{Username: n, Role: queue.RoleClerk}}})
			}
			must(t, user("before"))
			must(t, s.Verify())
			if replace {
				must(t, os.Rename(path, path+".old"))
				raw, _ := os.ReadFile(path + ".old")
				must(t, os.WriteFile(path, raw, 0o600))
			} else {
				must(t, os.Remove(path))
			}
			if err := s.Verify(); !errors.Is(err, bolt.ErrFileGone) {
				t.Fatalf("verify: %v", err)
			}
			if err := user("after"); !errors.Is(err, bolt.ErrFileGone) {
				t.Fatalf("commit after the file went: %v", err)
			}
			// Nor does a sender claim or record deliveries in it.
			if _, err := s.ClaimMessages(time.Now(), time.Minute, 10); !errors.Is(err, bolt.ErrFileGone) {
				t.Fatalf("claim after the file went: %v", err)
			}
			if err := s.SaveDelivery([]queue.Message{{ID: "m1"}}); !errors.Is(err, bolt.ErrFileGone) {
				t.Fatalf("save delivery after the file went: %v", err)
			}
		})
	}
}

// FuzzCheckStoreFile: whatever the bytes of the store file, Check and Open
// refuse them or accept them, and never panic or fault: the header check
// keeps bbolt's memory map from reading past the file.
func FuzzCheckStoreFile(f *testing.F) {
	dir := f.TempDir()
	s, err := bolt.Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Commit(&queue.Batch{Users: []queue.User{{Username: "canbo1", Role: queue.RoleClerk}}}); err != nil {
		f.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(filepath.Join(dir, bolt.FileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:4096])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, bolt.FileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := bolt.Check(dir); err != nil {
			if !errors.Is(err, bolt.ErrDamaged) {
				t.Fatalf("not reported as damaged: %v", err)
			}
			return
		}
		if s, err := bolt.Open(dir); err == nil {
			s.Close()
		}
	})
}
