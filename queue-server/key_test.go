package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/keyfile"
	"xephang/queue-server/queue"
)

const keyTestCCCD = "079195123457" // Hồ Chí Minh City, born 1995

func quietMain(cfg Config) *Main {
	cfg.Addr = "127.0.0.1:0"
	return NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// bookSomewhere books the first open slot of the demo centre's service A
// for keyTestCCCD, as a clerk.
func bookSomewhere(t *testing.T, m *Main) apiv1.BookingView {
	t.Helper()
	ctx := context.Background()
	c := apiv1.NewClient("http://" + m.Addr())
	if err := c.Login(ctx, "canbo1", "demo12345"); err != nil {
		t.Fatal(err)
	}
	for d := 1; d <= 7; d++ {
		var slots []apiv1.SlotView
		day := time.Now().AddDate(0, 0, d).Format(time.DateOnly)
		c.Do(ctx, "GET", "/api/v1/centres/hoan-kiem/slots?service=A&date="+day, nil, &slots)
		for _, s := range slots {
			if s.Status != "open" {
				continue
			}
			var b apiv1.BookingView
			_, err := c.Do(ctx, "POST", "/api/v1/centres/hoan-kiem/bookings", apiv1.BookRequest{Service: "A", Start: s.Start,
				Citizen: apiv1.CitizenRequest{IDNumber: keyTestCCCD, Name: "Lê Văn Tám", Phone: "0912345678"}}, &b)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatal("no open slot in a week")
	return apiv1.BookingView{}
}

// storedCitizenKey reads a booking's stored hash straight from the file.
func storedCitizenKey(t *testing.T, dir, code string) (hash, masked string) {
	t.Helper()
	st, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := st.Booking(code)
	if err != nil {
		t.Fatal(err)
	}
	return b.Citizen.Key, b.Citizen.IDMasked
}

// assertNoKeyInStore is what an attacker with the store file alone can
// do: look for the key's bytes, and try every 32-byte run of the file as
// the HMAC key of a known number's hash. Neither may succeed.
func assertNoKeyInStore(t *testing.T, dir string, key []byte, hash string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "xephang.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, key) || bytes.Contains(raw, []byte(hex.EncodeToString(key))) {
		t.Fatal("the store file holds the key")
	}
	want, _ := hex.DecodeString(hash)
	for i := 0; i+32 <= len(raw); i++ {
		m := hmac.New(sha256.New, raw[i:i+32])
		m.Write([]byte("cccd:" + keyTestCCCD))
		if hmac.Equal(m.Sum(nil), want) {
			t.Fatalf("bytes %d-%d of the store file are the key of its CCCD hashes", i, i+32)
		}
	}
}

// TestKeyOutsideStore: the key that hashes CCCD numbers lives in its own
// file (0600), never in the store; a store of an older version, with the
// key inside, has it moved out (and its file rewritten without it) while
// its bookings still match their numbers; a wrong or lost key file is
// refused; the masked number leaves a search space no longer narrow.
func TestKeyOutsideStore(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(t.TempDir(), "keys", "citizen.key")
	ctx := context.Background()
	m := quietMain(Config{DataDir: dir, Demo: true, KeyFile: keyPath})
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	b := bookSomewhere(t, m)
	m.Close()
	st, err := os.Stat(keyPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v, want mode 600", st, err)
	}
	key, err := keyfile.Load(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	hash, masked := storedCitizenKey(t, dir, b.Code)
	assertNoKeyInStore(t, dir, key, hash)

	// The masked number shows two digits: the numbers it could be are
	// every valid 6-digit start (province, century, year) times 10,000.
	digits := 0
	for _, r := range masked {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits > 2 || !strings.HasSuffix(masked, keyTestCCCD[10:]) {
		t.Fatalf("masked %q shows %d digits", masked, digits)
	}
	starts := 0
	for p := 0; p < 1000; p++ {
		if _, ok := queue.CCCDProvince(threeDigits(p)); !ok {
			continue
		}
		for c := 0; c < 10; c++ { // century and sex
			for yy := 0; yy < 100; yy++ {
				if age := time.Now().Year() - (1900 + c/2*100 + yy); age >= 0 && age <= 130 {
					starts++
				}
			}
		}
	}
	if candidates := starts * 10000; candidates < 100_000_000 { // four digits shown left a hundredth of it
		t.Fatalf("only %d candidates for %q", candidates, masked)
	}

	// An older version's store: the key inside, no key file.
	os.Remove(keyPath)
	legacy, _ := bolt.Open(dir)
	oldMask := "••••••••" + keyTestCCCD[8:] // as older versions masked it
	must(t, legacy.DB().Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		meta.Delete([]byte("keyid:citizen"))
		bookings := tx.Bucket([]byte("centres")).Bucket([]byte("hoan-kiem")).Bucket([]byte("bookings"))
		raw := bytes.Replace(bookings.Get([]byte(b.Code)), []byte(masked), []byte(oldMask), 1)
		if err := bookings.Put([]byte(b.Code), raw); err != nil {
			return err
		}
		return meta.Put([]byte("secret:citizen"), key)
	}))
	legacy.Close()
	if raw, _ := os.ReadFile(filepath.Join(dir, "xephang.db")); !bytes.Contains(raw, key) || !bytes.Contains(raw, []byte(oldMask)) {
		t.Fatal("the legacy store does not hold its key and four-digit mask")
	}
	m = quietMain(Config{DataDir: dir, KeyFile: keyPath})
	must(t, m.Run(ctx))
	// The citizen's number still matches: a public cancel with it works.
	var v apiv1.BookingView
	_, err = apiv1.NewClient("http://"+m.Addr()).Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/cancel", apiv1.CancelRequest{IDNumber: keyTestCCCD}, &v)
	m.Close()
	if err != nil || v.Status != "cancelled" {
		t.Fatalf("cancel with the number after the key moved: %+v %v", v, err)
	}
	if moved, err := keyfile.Load(keyPath); err != nil || !bytes.Equal(moved, key) {
		t.Fatalf("the key file after the move: %v", err)
	}
	assertNoKeyInStore(t, dir, key, hash)
	if raw, _ := os.ReadFile(filepath.Join(dir, "xephang.db")); bytes.Contains(raw, []byte(oldMask)) {
		t.Fatal("the four-digit mask of an older booking is still in the store file")
	}
	if _, m := storedCitizenKey(t, dir, b.Code); m != masked {
		t.Fatalf("an older booking's mask after the move: %q, want %q", m, masked)
	}

	// A wrong key file is refused; so is a lost one, unless -new-key.
	os.Remove(keyPath)
	must(t, keyfile.Create(keyPath, keyfile.New()))
	if err := quietMain(Config{DataDir: dir, KeyFile: keyPath}).Run(ctx); !errors.Is(err, bolt.ErrWrongKey) {
		t.Fatalf("a wrong key file: %v", err)
	}
	os.Remove(keyPath)
	if err := quietMain(Config{DataDir: dir, KeyFile: keyPath}).Run(ctx); err == nil || !strings.Contains(err.Error(), "restore the key file") {
		t.Fatalf("a lost key file: %v", err)
	}
	os.WriteFile(keyPath, []byte(hex.EncodeToString(key)+"\n"), 0o644)
	if err := quietMain(Config{DataDir: dir, KeyFile: keyPath}).Run(ctx); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a key file others may read: %v", err)
	}
	os.Remove(keyPath)
	m = quietMain(Config{DataDir: dir, KeyFile: keyPath, NewKey: true})
	must(t, m.Run(ctx))
	m.Close()
}

func threeDigits(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseConfigKeyFile(t *testing.T) {
	cfg, err := ParseConfig(nil, func(k string) string { return map[string]string{"XEPHANG_KEY_FILE": "/etc/k", "XEPHANG_DATA": "/d"}[k] })
	if err != nil || cfg.keyFile() != "/etc/k" {
		t.Fatalf("%+v %v", cfg, err)
	}
	cfg, _ = ParseConfig([]string{"-data", "/d"}, func(string) string { return "" })
	if cfg.keyFile() != "/d/citizen.key" {
		t.Fatalf("default key file %q", cfg.keyFile())
	}
}
