package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Folder takes the pages a network scanner saves to a shared folder
// (scan-to-folder over SMB/FTP). A file is taken only once it is complete:
// its size and modification time have not changed for Settle, and when its
// format has an end marker (PNG IEND, JPEG EOI, PDF %%EOF) the marker is
// there. Taken files are moved into Options.Dir, so the share keeps no
// personal documents. It polls rather than using inotify: change
// notifications do not cross CIFS/NFS mounts reliably, and a poll every
// 250 ms costs nothing here.
type Folder struct {
	Dir    string        // the watched folder
	Settle time.Duration // how long a file must stay unchanged; 1 s when zero
	Poll   time.Duration // how often to look; 250 ms when zero
	Idle   time.Duration // after a page, how long to wait for the next before the scan ends; 5 s when zero
}

// String returns "folder:" and the directory.
func (f *Folder) String() string { return "folder:" + f.Dir }

func (f *Folder) timings() (settle, poll, idle time.Duration) {
	settle, poll, idle = f.Settle, f.Poll, f.Idle
	if settle <= 0 {
		settle = time.Second
	}
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	if idle <= 0 {
		idle = 5 * time.Second
	}
	return
}

// pageFormats are the files taken, by extension.
var pageFormats = map[string]Format{".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".tif": TIFF, ".tiff": TIFF, ".pdf": PDF}

type seen struct {
	size   int64
	mod    time.Time
	stable time.Time // when size and mod were first seen as they are
}

// Scan waits for pages that appear in the folder after it starts (files
// already there are left alone), until MaxPages were taken, or at least one
// page was taken and no other came for Idle, or ctx is done.
func (f *Folder) Scan(ctx context.Context, opt Options, progress func(Progress)) ([]Page, error) {
	if opt.Source == "" {
		opt.Source = ADF // a folder delivers batches
	}
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(f.Dir); err != nil {
		return nil, fmt.Errorf("scanner: folder: %w: %w", ErrNoDevice, err)
	}
	old := map[string]bool{}
	for _, name := range f.list() {
		old[name] = true
	}
	var pages []Page
	var lastPage time.Time
	err := f.watch(ctx, old, func(path string, format Format) bool {
		n := len(pages) + 1
		report(progress, Progress{Page: n})
		dst := filepath.Join(opt.Dir, fmt.Sprintf("folder-%d-%04d%s", time.Now().UnixNano(), n, filepath.Ext(path)))
		size, err := move(path, dst)
		if err != nil {
			return true // taken by someone else, or vanished: skip it
		}
		pages = append(pages, Page{Number: n, Path: dst, Format: format, Size: size})
		report(progress, Progress{Page: n, Percent: 100, Done: true})
		lastPage = time.Now()
		return opt.MaxPages == 0 || len(pages) < opt.MaxPages
	}, func() bool {
		_, _, idle := f.timings()
		return len(pages) > 0 && time.Since(lastPage) >= idle
	})
	if err != nil && len(pages) == 0 {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("scanner: folder: %w", ErrNoPages)
	}
	return pages, nil
}

// Watch calls take for every complete new file until ctx is done; the files
// stay where they are (take should move or delete them).
func (f *Folder) Watch(ctx context.Context, take func(path string, format Format)) error {
	old := map[string]bool{}
	for _, name := range f.list() {
		old[name] = true
	}
	err := f.watch(ctx, old, func(path string, format Format) bool {
		take(path, format)
		return true
	}, func() bool { return false })
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// watch polls the folder; take returns false to stop, done is asked after
// every poll.
func (f *Folder) watch(ctx context.Context, skip map[string]bool, take func(string, Format) bool, done func() bool) error {
	settle, poll, _ := f.timings()
	state := map[string]*seen{}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		for _, name := range f.list() {
			if skip[name] {
				continue
			}
			format := pageFormats[strings.ToLower(filepath.Ext(name))]
			path := filepath.Join(f.Dir, name)
			fi, err := os.Stat(path)
			if err != nil || !fi.Mode().IsRegular() {
				delete(state, name)
				continue
			}
			s, ok := state[name]
			now := time.Now()
			if !ok || s.size != fi.Size() || !s.mod.Equal(fi.ModTime()) {
				state[name] = &seen{size: fi.Size(), mod: fi.ModTime(), stable: now}
				continue
			}
			if now.Sub(s.stable) < settle || fi.Size() == 0 || !hasEndMarker(path, format) {
				continue
			}
			skip[name] = true
			delete(state, name)
			if !take(path, format) {
				return nil
			}
		}
		if done() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("scanner: folder: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// list returns the names of page files in the folder, oldest name first,
// ignoring hidden and temporary files (".~scan.pdf", "x.pdf.part").
func (f *Folder) list() []string {
	entries, err := os.ReadDir(f.Dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "~") {
			continue
		}
		if _, ok := pageFormats[strings.ToLower(filepath.Ext(n))]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// hasEndMarker checks the last bytes of a file for its format's end marker.
func hasEndMarker(path string, f Format) bool {
	var marker []byte
	switch f {
	case PNG:
		marker = []byte("IEND")
	case JPEG:
		marker = []byte{0xFF, 0xD9}
	case PDF:
		marker = []byte("%%EOF")
	default:
		return true // TIFF has no end marker: stability alone
	}
	file, err := os.Open(path)
	if err != nil {
		return false
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return false
	}
	const tail = 1024
	off := max(fi.Size()-tail, 0)
	buf := make([]byte, fi.Size()-off)
	if _, err := file.ReadAt(buf, off); err != nil && err != io.EOF {
		return false
	}
	return bytes.Contains(buf, marker)
}

// move renames src to dst, copying when they are on different file systems.
func move(src, dst string) (int64, error) {
	if err := os.Rename(src, dst); err == nil {
		fi, err := os.Stat(dst)
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return 0, err
	}
	return n, os.Remove(src)
}
