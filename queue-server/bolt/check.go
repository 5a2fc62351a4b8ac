package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileName is the store's file in its data directory.
const FileName = "xephang.db"

// markerName is written beside the store once it exists: a data directory
// with it (or with the CA's directory, which the server creates after the
// store) held a store, and a missing file there is lost data, not a first
// start.
const markerName = "xephang.store"

// Sentinel errors of opening and watching a store file.
var (
	// ErrStoreMissing means the data directory held a store but its file
	// is gone: restore it from backup, or start with -init (Options.Init).
	ErrStoreMissing = errors.New("bolt: the data directory held a store but its file is missing")
	// ErrDamaged means the file failed the checks made before opening it.
	ErrDamaged = errors.New("bolt: the store file is damaged")
	// ErrFileGone means the open store's file was deleted or replaced
	// while the server ran: what it would write now is lost, so writes
	// are refused until a restart on the right file.
	ErrFileGone = errors.New("bolt: the store file was deleted or replaced while open")
)

// restoreHint ends the message of a store that cannot be opened.
const restoreHint = "stop the server, move the damaged file aside, copy xephang.db from the latest backup of the data directory into it " +
	"and run `queue-server check -data DIR` on it before starting; start with -init only to begin an empty store on purpose"

// Check checks the store in dir offline, as Open does before serving: the
// file is there, its header is sane (so bbolt's memory map cannot fault),
// and bbolt's own consistency check finds nothing. It returns the number
// of pages checked.
func Check(dir string) (int, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("bolt: no store in %s (%s is missing)", dir, FileName)
		}
		return 0, fmt.Errorf("bolt: %w", err)
	}
	return checkFile(path)
}

// heldStore reports whether dir held a store (see markerName).
func heldStore(dir string) bool {
	for _, name := range []string{markerName, "ca"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// writeMarker records that dir holds a store.
func writeMarker(dir string) error {
	path := filepath.Join(dir, markerName)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	text := "This directory holds a Xếp Hàng store (" + FileName + ").\n" +
		"queue-server refuses to start here without it instead of beginning an empty store;\n" +
		"restore it from backup, or start with -init to begin an empty one on purpose.\n"
	if err := os.WriteFile(path, []byte(text), 0o640); err != nil {
		return fmt.Errorf("bolt: marker: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// The bbolt file format (go.etcd.io/bbolt/internal/common): every page
// starts with a 16-byte header; pages 0 and 1 hold a meta each.
const (
	pageHeader  = 16
	metaSize    = 64 // magic, version, page size, flags, root (16), freelist, pgid, txid, checksum
	metaSumAt   = 56
	boltMagic   = 0xED0CDAED
	boltVersion = 2
	noFreelist  = ^uint64(0)
)

// meta is the part of a bbolt meta page the header check needs.
type meta struct {
	pageSize                 uint32
	root, freelist, pgid, tx uint64
}

// readMeta decodes and validates the meta page at off; "" means valid.
func readMeta(f *os.File, off int64) (meta, string) {
	var b [pageHeader + metaSize]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return meta{}, "unreadable (" + err.Error() + ")"
	}
	m := b[pageHeader:]
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(m[:metaSumAt])
	switch {
	case le.Uint32(m[0:]) != boltMagic:
		return meta{}, "not a bbolt meta page (bad magic number)"
	case le.Uint32(m[4:]) != boltVersion:
		return meta{}, fmt.Sprintf("format version %d, not %d", le.Uint32(m[4:]), boltVersion)
	case le.Uint64(m[metaSumAt:]) != h.Sum64():
		return meta{}, "checksum mismatch"
	}
	mt := meta{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]), pgid: le.Uint64(m[40:]), tx: le.Uint64(m[48:])}
	if mt.pageSize < 512 || mt.pageSize > 1<<24 || mt.pageSize&(mt.pageSize-1) != 0 {
		return meta{}, fmt.Sprintf("page size %d", mt.pageSize)
	}
	if mt.pgid < 2 || mt.root >= mt.pgid || mt.freelist != noFreelist && mt.freelist >= mt.pgid {
		return meta{}, fmt.Sprintf("page numbers out of range (root %d, freelist %d, %d pages)", mt.root, mt.freelist, mt.pgid)
	}
	return mt, ""
}

// checkHeader checks what bbolt trusts when it maps the file: a valid
// meta page and a file long enough for every page it names. A truncated
// file would otherwise be mapped short and fault (SIGBUS/SIGSEGV) on the
// first read past its end.
func checkHeader(f *os.File, size int64) error {
	if size == 0 {
		return errors.New("the file is empty (0 bytes): it was truncated or never written")
	}
	if size < 2*1024 {
		return fmt.Errorf("the file is %d bytes, too short for a bbolt store (truncated)", size)
	}
	m0, why0 := readMeta(f, 0)
	// Page 1 is one page in; its size comes from page 0, or is guessed as
	// bbolt does when page 0 is bad.
	var m1 meta
	why1 := "not found"
	for _, ps := range []int64{int64(m0.pageSize), int64(os.Getpagesize()), 4096, 8192, 16384, 65536} {
		if ps == 0 || ps+pageHeader+metaSize > size {
			continue
		}
		if m1, why1 = readMeta(f, ps); why1 == "" {
			break
		}
	}
	best, why := m0, why0
	if why0 != "" || why1 == "" && m1.tx > m0.tx {
		best, why = m1, why1
	}
	if why != "" {
		return fmt.Errorf("both meta pages are damaged (page 0: %s; page 1: %s)", why0, why1)
	}
	if need := int64(best.pgid) * int64(best.pageSize); size < need {
		return fmt.Errorf("the file is %d bytes but its pages reach %d bytes: it was truncated", size, need)
	}
	return walkPages(f, best)
}

// Page flags and element sizes of the bbolt format.
const (
	branchPage   = 0x01
	leafPage     = 0x02
	freelistPage = 0x10
	bucketLeaf   = 0x01
	elementSize  = 16
	maxDepth     = 64
)

// pageWalk reads the tree of pages with bounds checked on every read,
// before bbolt walks it trusting them: a page pointing back to one of its
// ancestors would send bbolt's check into endless recursion (a fatal stack
// overflow), an element past its page would read past the map.
type pageWalk struct {
	f    *os.File
	m    meta
	seen map[uint64]bool
}

// walkPages checks the freelist page and every page reachable from the
// root bucket: in range, read once, of the right kind, elements inside.
func walkPages(f *os.File, m meta) error {
	w := &pageWalk{f: f, m: m, seen: map[uint64]bool{}}
	if m.freelist != noFreelist {
		p, err := w.read(m.freelist)
		if err != nil {
			return fmt.Errorf("freelist: %w", err)
		}
		if binary.LittleEndian.Uint16(p[8:]) != freelistPage {
			return fmt.Errorf("freelist: page %d is not a freelist page", m.freelist)
		}
		n := uint64(binary.LittleEndian.Uint16(p[10:]))
		skip := uint64(0)
		if n == 0xFFFF { // the count overflows into the first element
			if len(p) < pageHeader+8 {
				return fmt.Errorf("freelist: page %d too short", m.freelist)
			}
			n, skip = binary.LittleEndian.Uint64(p[pageHeader:]), 1
		}
		if (n+skip)*8 > uint64(len(p)-pageHeader) {
			return fmt.Errorf("freelist: page %d claims %d free pages, more than it holds", m.freelist, n)
		}
	}
	return w.tree(m.root, 0)
}

// read returns the page id with its overflow pages.
func (w *pageWalk) read(id uint64) ([]byte, error) {
	ps := uint64(w.m.pageSize)
	if id < 2 || id >= w.m.pgid {
		return nil, fmt.Errorf("page %d out of range (2 to %d)", id, w.m.pgid-1)
	}
	var h [pageHeader]byte
	if _, err := w.f.ReadAt(h[:], int64(id*ps)); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	if got := binary.LittleEndian.Uint64(h[0:]); got != id {
		return nil, fmt.Errorf("page %d says it is page %d", id, got)
	}
	over := uint64(binary.LittleEndian.Uint32(h[12:]))
	if id+over >= w.m.pgid {
		return nil, fmt.Errorf("page %d: %d overflow pages run past the last page", id, over)
	}
	p := make([]byte, (over+1)*ps)
	if _, err := w.f.ReadAt(p, int64(id*ps)); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	return p, nil
}

// tree checks the branch or leaf page id and what it leads to.
func (w *pageWalk) tree(id uint64, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("page %d: the tree is deeper than %d levels", id, maxDepth)
	}
	if w.seen[id] {
		return fmt.Errorf("page %d is reached twice (a loop, or two parents)", id)
	}
	w.seen[id] = true
	p, err := w.read(id)
	if err != nil {
		return err
	}
	return w.page(id, p, depth)
}

// page checks a page's elements (p may be an inline bucket's page).
func (w *pageWalk) page(id uint64, p []byte, depth int) error {
	if len(p) < pageHeader {
		return fmt.Errorf("page %d: too short", id)
	}
	flags := binary.LittleEndian.Uint16(p[8:])
	count := int(binary.LittleEndian.Uint16(p[10:]))
	if pageHeader+count*elementSize > len(p) {
		return fmt.Errorf("page %d: %d elements do not fit in it", id, count)
	}
	le := binary.LittleEndian
	for i := range count {
		at := pageHeader + i*elementSize
		e := p[at : at+elementSize]
		switch flags {
		case branchPage:
			pos, ksize := uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
			if uint64(at)+pos+ksize > uint64(len(p)) {
				return fmt.Errorf("page %d: key %d runs past the page", id, i)
			}
			if err := w.tree(le.Uint64(e[8:]), depth+1); err != nil {
				return err
			}
		case leafPage:
			eflags, pos, ksize, vsize := le.Uint32(e[0:]), uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
			end := uint64(at) + pos + ksize + vsize
			if end > uint64(len(p)) {
				return fmt.Errorf("page %d: element %d runs past the page", id, i)
			}
			if eflags&bucketLeaf == 0 {
				continue
			}
			v := p[uint64(at)+pos+ksize : end]
			if len(v) < 16 {
				return fmt.Errorf("page %d: bucket %d: value too short", id, i)
			}
			if root := le.Uint64(v); root != 0 {
				if err := w.tree(root, depth+1); err != nil {
					return err
				}
			} else if inline := v[16:]; len(inline) < pageHeader || le.Uint16(inline[8:]) != leafPage {
				return fmt.Errorf("page %d: inline bucket %d is not a leaf", id, i) // bbolt would panic on it
			} else if err := w.page(id, inline, depth+1); err != nil {
				return fmt.Errorf("inline bucket: %w", err)
			}
		default:
			return fmt.Errorf("page %d: neither a branch nor a leaf (flags %#x)", id, flags)
		}
	}
	return nil
}

// errOpen marks checkPath's failure to open the file at all.
var errOpen = errors.New("cannot open")

// checkPath runs checkHeader on the file at path: cheap (two pages read),
// it is what keeps bbolt's mapping of the file from faulting.
func checkPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %w", errOpen, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err == nil {
		err = checkHeader(f, fi.Size())
	}
	return err
}

// checkFile checks a store file before it is opened for service.
func checkFile(path string) (pages int, err error) {
	damaged := func(what string) error {
		return fmt.Errorf("%w: %s: %s. To restore: %s", ErrDamaged, path, what, restoreHint)
	}
	if err := checkPath(path); err != nil {
		if errors.Is(err, errOpen) {
			return 0, fmt.Errorf("bolt: %w", err)
		}
		return 0, damaged(err.Error())
	}
	// bbolt's own check, read-only; it turns a panic on a bad page into
	// an error, and the header check above keeps every page it reads
	// inside the file.
	defer func() {
		if p := recover(); p != nil {
			err = damaged(fmt.Sprint("bbolt failed reading it: ", p))
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) || errors.Is(err, syscall.EWOULDBLOCK) {
			return 0, fmt.Errorf("bolt: %s is in use by another process", path)
		}
		return 0, damaged(err.Error())
	}
	defer db.Close()
	var problems []string
	err = db.View(func(tx *bolt.Tx) error {
		pages = int(tx.Size() / int64(db.Info().PageSize))
		for e := range tx.Check() {
			if len(problems) < 10 {
				problems = append(problems, e.Error())
			}
		}
		return nil
	})
	if err != nil {
		return 0, damaged(err.Error())
	}
	if len(problems) > 0 {
		return 0, damaged("bbolt's consistency check failed: " + strings.Join(problems, "; "))
	}
	return pages, nil
}

// fileID identifies a file across renames: device and inode.
type fileID struct{ dev, ino uint64 }

func statID(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true
}

// Verify reports whether the open file is still the one at the store's
// path: a deleted or replaced file makes every later write lost (the
// process writes into an inode no one will open again). Once it has
// failed it keeps failing: the server must be restarted on the right file.
func (s *Store) Verify() error {
	if err := s.lost.Load(); err != nil {
		return *err
	}
	fi, err := os.Stat(s.path)
	var why string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		why = "deleted"
	case err != nil:
		return nil // cannot tell (permissions, I/O): do not refuse service on a guess
	default:
		if id, ok := statID(fi); ok && id != s.id {
			why = "replaced by another file"
		}
	}
	if why == "" {
		return nil
	}
	lost := fmt.Errorf("%w: %s was %s", ErrFileGone, s.path, why)
	s.lost.CompareAndSwap(nil, &lost)
	return *s.lost.Load()
}

// DiskFree returns the bytes free for the server in the store's file system.
func (s *Store) DiskFree() (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(s.path), &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
