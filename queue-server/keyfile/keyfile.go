// Package keyfile keeps queue-server's secret key in a file of its own,
// apart from the store: the key that hashes CCCD numbers (and signs
// challenges and document links). A copy of the store without this file
// cannot be used to test guesses of a number against its hash.
//
// The file holds the 32-byte key as 64 hexadecimal digits and a newline;
// it must be readable by its owner only (mode 0600 or stricter).
package keyfile

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Size is the key's length in bytes.
const Size = 32

// ErrNotExist is returned by Load when there is no key file.
var ErrNotExist = fs.ErrNotExist

// Load reads the key from path. It refuses a file others may read.
func Load(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keyfile: %s is readable by others (mode %o): chmod 600 it", path, st.Mode().Perm())
	}
	raw := make([]byte, 2*Size+2)
	n, _ := f.Read(raw)
	key, err := hex.DecodeString(strings.TrimSpace(string(raw[:n])))
	if err != nil || len(key) != Size {
		return nil, fmt.Errorf("keyfile: %s: not a key (%d hexadecimal digits and a newline)", path, 2*Size)
	}
	return key, nil
}

// New returns a new random key.
func New() []byte {
	k := make([]byte, Size)
	rand.Read(k) // never fails (crypto/rand, Go 1.24+)
	return k
}

// Create writes key to a new file at path, mode 0600 (its directory is
// made 0700 if missing), synced to disk. It never replaces a file.
func Create(path string, key []byte) error {
	if len(key) != Size {
		return errors.New("keyfile: a key is 32 bytes")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("keyfile: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ID is a key's fingerprint: the store keeps it to refuse a wrong key
// file; it tells nothing of the key.
func ID(key []byte) string {
	h := sha256.Sum256(append([]byte("xephang key id\x00"), key...))
	return hex.EncodeToString(h[:8])
}
