package lds

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PKI is a test issuing state: a CSCA and a document signer under it.
type PKI struct {
	CSCA    *x509.Certificate
	CSCAKey crypto.Signer
	DS      *x509.Certificate
	DSKey   crypto.Signer
}

// NewPKI makes a self-signed CSCA (ECDSA P-256, valid 15 years) for the
// country (ISO 3166 alpha-2, "VN") and organisation name, and a document
// signer under it (ECDSA P-256, valid 10 years), both from an hour ago.
func NewPKI(country, name string) (*PKI, error) {
	ck, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	dk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return newPKI(country, name, ck, dk, time.Now())
}

func newPKI(country, name string, cscaKey, dsKey crypto.Signer, now time.Time) (*PKI, error) {
	serial := func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
		return n.Add(n, big.NewInt(1))
	}
	from := now.Add(-time.Hour).Truncate(time.Second)
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Country: []string{country}, Organization: []string{name}, CommonName: "CSCA " + name},
		NotBefore:             from,
		NotAfter:              from.AddDate(15, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, cscaKey.Public(), cscaKey)
	if err != nil {
		return nil, fmt.Errorf("lds: CSCA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	dsTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Country: []string{country}, Organization: []string{name}, CommonName: "Document Signer " + name},
		NotBefore:    from,
		NotAfter:     from.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	dsDER, err := x509.CreateCertificate(rand.Reader, dsTmpl, ca, dsKey.Public(), cscaKey)
	if err != nil {
		return nil, fmt.Errorf("lds: document signer: %w", err)
	}
	ds, err := x509.ParseCertificate(dsDER)
	if err != nil {
		return nil, err
	}
	return &PKI{CSCA: ca, CSCAKey: cscaKey, DS: ds, DSKey: dsKey}, nil
}

// WriteCSCA writes the CSCA certificate as PEM into dir (made if missing),
// named after its country and serial number, so LoadCSCAs(dir) finds it.
func (p *PKI) WriteCSCA(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lds: %w", err)
	}
	country := "xx"
	if len(p.CSCA.Subject.Country) > 0 {
		country = strings.ToLower(p.CSCA.Subject.Country[0])
	}
	name := fmt.Sprintf("csca-%s-%x.pem", country, p.CSCA.SerialNumber)
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CSCA.Raw})
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		return fmt.Errorf("lds: %w", err)
	}
	return nil
}
