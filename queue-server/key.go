package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"xephang/queue-server/bolt"
	"xephang/queue-server/keyfile"
)

// keyFile is where the CCCD hashing key lives: -key-file, or citizen.key
// in the data directory (beside the store file, not in it).
func (c Config) keyFile() string {
	if c.KeyFile != "" {
		return c.KeyFile
	}
	return filepath.Join(c.DataDir, "citizen.key")
}

// moveKeyOutOfStore takes the key older versions kept inside the store
// into the key file (once), before the store is opened for service.
func (m *Main) moveKeyOutOfStore() error {
	path := m.Config.keyFile()
	moved, err := bolt.MoveSecret(m.Config.DataDir, "citizen", func(old []byte) error {
		key, err := keyfile.Load(path)
		switch {
		case errors.Is(err, keyfile.ErrNotExist):
			return keyfile.Create(path, old)
		case err != nil:
			return err
		case !bytes.Equal(key, old):
			return fmt.Errorf("the key file %s is not the key kept in the store (whose CCCD hashes were made with it): "+
				"move the key file away and start again to take the store's key into it", path)
		}
		return nil
	})
	if moved {
		m.Log.Info("moved the CCCD hashing key out of the store into its key file; the store file was rewritten without it", "key_file", path)
	}
	return err
}

// citizenKey loads the key file (making it on a store's first start) and
// checks it is the key the store's hashes were made with.
func (m *Main) citizenKey(st serverStore) ([]byte, error) {
	path := m.Config.keyFile()
	id, err := st.KeyID("citizen")
	if err != nil {
		return nil, err
	}
	key, err := keyfile.Load(path)
	switch {
	case errors.Is(err, keyfile.ErrNotExist) && id != "" && !m.Config.NewKey:
		return nil, fmt.Errorf("the key file %s is missing; this store's CCCD hashes were made with key %s: restore the key file from its backup "+
			"(or start once with -new-key: bookings made until now then no longer match their CCCD numbers)", path, id)
	case errors.Is(err, keyfile.ErrNotExist):
		key = keyfile.New()
		if err := keyfile.Create(path, key); err != nil {
			return nil, err
		}
		m.Log.Info("made a new CCCD hashing key; back it up apart from the store", "key_file", path)
	case err != nil:
		return nil, err
	}
	kid := keyfile.ID(key)
	if id != "" && id != kid && !m.Config.NewKey {
		return nil, fmt.Errorf("%w: %s has key %s, the store %s", bolt.ErrWrongKey, path, kid, id)
	}
	if id != kid {
		if err := st.SetKeyID("citizen", kid); err != nil {
			return nil, err
		}
	}
	return key, nil
}
