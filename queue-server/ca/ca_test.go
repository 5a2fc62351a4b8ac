package ca

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"xephang/queue-server/apiv1"
)

func TestOpenCreatesOnceAndReloads(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "ca.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key mode %v %v", st.Mode(), err)
	}
	b, err := Open(dir)
	if err != nil || !bytes.Equal(a.CertPEM(), b.CertPEM()) {
		t.Fatalf("reopened CA differs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.key.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("temporary key file left behind")
	}
}

func TestSignKiosk(t *testing.T) {
	a, _ := Open(t.TempDir())
	_, csr, err := apiv1.NewKey("I am the admin") // the subject asked for is ignored
	if err != nil {
		t.Fatal(err)
	}
	is, err := a.SignKiosk(csr, "kiosk-abc", "phuong-a")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(is.PEM)
	cert, _ := x509.ParseCertificate(blk.Bytes)
	if cert.Subject.CommonName != "kiosk-abc" || cert.Subject.Organization[0] != "phuong-a" || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth || cert.IsCA {
		t.Fatalf("certificate %+v", cert.Subject)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: a.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("does not verify against the CA: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("garbage"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1, 2, 3}}), is.PEM} {
		if _, err := a.SignKiosk(bad, "k", "c"); !errors.Is(err, ErrBadRequest) {
			t.Errorf("bad request %.20q: %v", bad, err)
		}
	}
}

func FuzzSignKiosk(f *testing.F) {
	a, _ := Open(f.TempDir())
	_, csr, _ := apiv1.NewKey("k")
	f.Add(csr)
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		is, err := a.SignKiosk(raw, "k", "c")
		if err == nil && len(is.PEM) == 0 {
			t.Fatal("signed nothing without an error")
		}
	})
}
