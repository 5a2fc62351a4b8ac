package lds

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CSCAs is a set of trusted Country Signing CA certificates. The zero value
// and nil are the empty set.
type CSCAs struct {
	certs []*x509.Certificate
}

// NewCSCAs makes a set of certs.
func NewCSCAs(certs ...*x509.Certificate) *CSCAs {
	c := &CSCAs{}
	c.Add(certs...)
	return c
}

// Add puts certs in the set (duplicates are dropped).
func (c *CSCAs) Add(certs ...*x509.Certificate) {
	for _, cert := range certs {
		dup := false
		for _, have := range c.certs {
			if bytes.Equal(have.Raw, cert.Raw) {
				dup = true
				break
			}
		}
		if !dup {
			c.certs = append(c.certs, cert)
		}
	}
}

// Len is the number of certificates (0 for nil).
func (c *CSCAs) Len() int {
	if c == nil {
		return 0
	}
	return len(c.certs)
}

// Certificates are the set's certificates.
func (c *CSCAs) Certificates() []*x509.Certificate {
	if c == nil {
		return nil
	}
	return c.certs
}

// LoadCSCAs reads the CSCA certificates of dir: .pem, .crt, .cer and .der
// files (PEM, possibly several certificates, or DER) and ICAO master lists
// (.ml: CMS SignedData of a CscaMasterList, whose certificates are taken as
// they are: the list's own signature is not checked, the directory is what
// the administrator trusts). Other files are skipped. A certificate file
// that does not parse is an error naming it; master list entries Go cannot
// parse (curves it does not know, such as brainpool) are skipped. A
// directory that does not exist is the empty set.
func LoadCSCAs(dir string) (*CSCAs, error) {
	c := &CSCAs{}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lds: CSCA directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() && e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		ext := strings.ToLower(filepath.Ext(e.Name()))
		path := filepath.Join(dir, e.Name())
		switch ext {
		case ".pem", ".crt", ".cer", ".der":
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("lds: CSCA file %s: %w", e.Name(), err)
			}
			certs, err := parseCertFile(b)
			if err != nil {
				return nil, fmt.Errorf("lds: CSCA file %s: %w", e.Name(), err)
			}
			c.Add(certs...)
		case ".ml":
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("lds: master list %s: %w", e.Name(), err)
			}
			certs, err := ParseMasterList(b)
			if err != nil {
				return nil, fmt.Errorf("lds: master list %s: %w", e.Name(), err)
			}
			c.Add(certs...)
		}
	}
	return c, nil
}

func parseCertFile(b []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		return x509.ParseCertificates(b)
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, cert)
	}
	if len(out) == 0 {
		return nil, errors.New("no CERTIFICATE block")
	}
	return out, nil
}

// ParseMasterList reads an ICAO CSCA master list (Doc 9303 Part 12 §9: CMS
// SignedData of id-icao-cscaMasterList holding CscaMasterList ::= SEQUENCE
// { version INTEGER, certList SET OF Certificate }) and returns the
// certificates Go can parse. The list's signature is not checked.
func ParseMasterList(b []byte) ([]*x509.Certificate, error) {
	typ, signed, err := contentInfo(b)
	if err != nil {
		return nil, err
	}
	if !typ.Equal(oidCMSSigned) {
		return nil, errors.New("not CMS signed data")
	}
	sd, err := elements(signed.Bytes)
	if err != nil || len(sd) < 3 {
		return nil, errors.New("bad signed data")
	}
	encap, err := elements(sd[2].Bytes)
	if err != nil || len(encap) < 2 {
		return nil, errors.New("no encapsulated content")
	}
	if _, err := asn1.Unmarshal(encap[0].FullBytes, &typ); err != nil || typ.String() != oidMasterList {
		return nil, errors.New("not a CSCA master list")
	}
	var content []byte
	if _, err := asn1.Unmarshal(encap[1].Bytes, &content); err != nil {
		return nil, fmt.Errorf("master list content: %w", err)
	}
	var ml struct {
		Version int
		Certs   []asn1.RawValue `asn1:"set"`
	}
	if _, err := asn1.Unmarshal(content, &ml); err != nil {
		return nil, fmt.Errorf("master list: %w", err)
	}
	var out []*x509.Certificate
	for _, raw := range ml.Certs {
		if cert, err := x509.ParseCertificate(raw.FullBytes); err == nil {
			out = append(out, cert)
		}
	}
	return out, nil
}
