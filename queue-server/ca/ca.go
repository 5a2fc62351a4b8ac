// Package ca is queue-server's small certificate authority for kiosks. Its
// key stays in the server's data directory; a kiosk generates its own key
// (which never leaves it), sends a certificate request with its one-time
// enrolment token, and gets back a client certificate valid 90 days. The
// server's kiosk listener presents a certificate from the same CA and
// requires the kiosks' client certificates (mutual TLS).
package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Validity periods.
const (
	ClientValidity = 90 * 24 * time.Hour
	caValidity     = 20 * 365 * 24 * time.Hour
	serverValidity = 2 * 365 * 24 * time.Hour
)

// ErrBadRequest is returned for a certificate request that cannot be signed.
var ErrBadRequest = errors.New("ca: bad certificate request")

// Authority signs kiosk certificates.
type Authority struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	Now     func() time.Time
}

// Open loads the authority from dir (ca.crt, ca.key), creating it on first use.
func Open(dir string) (*Authority, error) {
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	a := &Authority{Now: time.Now}
	certPEM, err := os.ReadFile(certFile)
	if errors.Is(err, os.ErrNotExist) {
		return create(dir, certFile, keyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, fmt.Errorf("ca: %s or %s is not PEM", certFile, keyFile)
	}
	if a.cert, err = x509.ParseCertificate(cb.Bytes); err != nil {
		return nil, fmt.Errorf("ca: certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ca: key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("ca: key is not a signing key")
	}
	a.key, a.certPEM = signer, certPEM
	return a, nil
}

func create(dir, certFile, keyFile string) (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Xếp Hàng kiosk CA", Organization: []string{"Xếp Hàng"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	// The key first, 0600, then the certificate: a crash between leaves no
	// certificate without its key.
	if err := writeFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFile(certFile, certPEM, 0o644); err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &Authority{cert: cert, certPEM: certPEM, key: key, Now: time.Now}, nil
}

// writeFile writes durably: temporary file, fsync, rename.
func writeFile(name string, data []byte, mode os.FileMode) error {
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("ca: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("ca: %w", err)
	}
	f.Close()
	return os.Rename(tmp, name)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

// CertPEM returns the authority's certificate, which kiosks pin.
func (a *Authority) CertPEM() []byte { return a.certPEM }

// Pool returns a pool holding the authority's certificate.
func (a *Authority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.cert)
	return p
}

// Issued is a signed kiosk certificate.
type Issued struct {
	PEM      []byte
	Serial   string
	NotAfter time.Time
}

// SignKiosk signs a kiosk's certificate request: the subject is set by the
// authority (CN = kiosk id, O = centre), whatever the request asked.
func (a *Authority) SignKiosk(csrPEM []byte, kiosk, centre string) (Issued, error) {
	b, _ := pem.Decode(csrPEM)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return Issued{}, fmt.Errorf("%w: not a PEM CERTIFICATE REQUEST", ErrBadRequest)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return Issued{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return Issued{}, fmt.Errorf("%w: signature: %v", ErrBadRequest, err)
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return Issued{}, fmt.Errorf("%w: RSA key under 2048 bits", ErrBadRequest)
		}
	default:
		return Issued{}, fmt.Errorf("%w: unsupported key type", ErrBadRequest)
	}
	now := a.Now()
	sn := serial()
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: kiosk, Organization: []string{centre}},
		NotBefore:    now.Add(-5 * time.Minute), // kiosk clocks run a little behind
		NotAfter:     now.Add(ClientValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, csr.PublicKey, a.key)
	if err != nil {
		return Issued{}, fmt.Errorf("ca: sign: %w", err)
	}
	return Issued{PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Serial: sn.Text(16), NotAfter: tmpl.NotAfter}, nil
}

// ServerTLS returns the configuration of the kiosk listener: a server
// certificate for hosts signed by the authority, and a client certificate
// from the authority required and verified in the handshake: the listener
// is for enrolled kiosks only (enrolment itself is on the public listener).
func (a *Authority) ServerTLS(hosts []string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "queue-server"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der, a.cert.Raw}, PrivateKey: key}},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    a.Pool(),
	}, nil
}

// Fingerprint is the SHA-256 of the authority's certificate, hex: what a
// technician compares with `kioskd enroll -ca` before trusting the server.
func (a *Authority) Fingerprint() string {
	sum := sha256.Sum256(a.cert.Raw)
	return hex.EncodeToString(sum[:])
}
