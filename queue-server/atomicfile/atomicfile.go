// Package atomicfile writes a file whole or not at all: through a
// temporary file in the same directory, fsync'd and renamed over the old
// one, then the directory fsync'd, so that a crash leaves the old file or
// the new one, never a mix. The server (a gateway's rotating token) and
// kioskd (its certificate and key) both keep state this way.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, mode perm. Its directory must exist: a
// directory gone is an error, not made again.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, a no-op
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
