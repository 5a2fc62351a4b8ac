package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/atomicfile"
)

// Files of a kiosk enrolled with a certificate, in its data directory.
const (
	// identityFile holds the client certificate and its private key (made
	// on this kiosk, never sent anywhere), mode 0600, replaced atomically
	// on renewal so the pair always matches.
	identityFile = "kiosk-identity.pem"
	// caFile is the server's CA from enrolment: the only root the kiosk
	// trusts for the server's mutual-TLS listener.
	caFile = "kiosk-ca.pem"
)

// Identity is the kiosk's client certificate and the CA it trusts, shared
// by every connection to the server; renewal swaps the certificate in
// place.
type Identity struct {
	dir   string
	roots *x509.CertPool

	mu   sync.RWMutex
	cert *tls.Certificate
	leaf *x509.Certificate
	tr   *http.Transport
}

// LoadIdentity reads the identity enrolment stored in dir.
func LoadIdentity(dir string) (*Identity, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, caFile))
	if err != nil {
		return nil, fmt.Errorf("kiosk identity: %w (enrol again with a new token)", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("kiosk identity: %s holds no certificate", caFile)
	}
	raw, err := os.ReadFile(filepath.Join(dir, identityFile))
	if err != nil {
		return nil, fmt.Errorf("kiosk identity: %w (enrol again with a new token)", err)
	}
	id := &Identity{dir: dir, roots: roots}
	if err := id.set(raw); err != nil {
		return nil, err
	}
	return id, nil
}

// set parses a PEM of certificate and key and makes it the current one.
func (id *Identity) set(pemData []byte) error {
	cert, err := tls.X509KeyPair(pemData, pemData)
	if err != nil {
		return fmt.Errorf("kiosk identity: %w", err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return fmt.Errorf("kiosk identity: %w", err)
	}
	id.mu.Lock()
	id.cert, id.leaf = &cert, leaf
	tr := id.tr
	id.mu.Unlock()
	if tr != nil {
		tr.CloseIdleConnections() // new connections present the new certificate
	}
	return nil
}

// TLSConfig is the client side of mutual TLS: the current certificate,
// and the enrolment's CA as the only root.
func (id *Identity) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    id.roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			id.mu.RLock()
			defer id.mu.RUnlock()
			return id.cert, nil
		},
	}
}

// HTTPClient is an HTTP client that speaks mutual TLS with the server.
func (id *Identity) HTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = id.TLSConfig()
	id.mu.Lock()
	id.tr = tr
	id.mu.Unlock()
	return &http.Client{Timeout: timeout, Transport: tr}
}

// Certificate returns the current certificate.
func (id *Identity) Certificate() *x509.Certificate {
	id.mu.RLock()
	defer id.mu.RUnlock()
	return id.leaf
}

// Expired reports whether the certificate is no longer valid at now.
func (id *Identity) Expired(now time.Time) bool { return !now.Before(id.Certificate().NotAfter) }

// RenewAt is the certificate's half-life, when it is renewed.
func (id *Identity) RenewAt() time.Time {
	c := id.Certificate()
	return c.NotBefore.Add(c.NotAfter.Sub(c.NotBefore) / 2)
}

// Store writes a new certificate and its key (atomically, fsync'd, 0600)
// and makes them current; until it returns the previous pair stays on disk.
func (id *Identity) Store(certPEM, keyPEM []byte) error {
	pair := append(append([]byte{}, certPEM...), keyPEM...)
	if _, err := tls.X509KeyPair(pair, pair); err != nil {
		return fmt.Errorf("kiosk identity: the new certificate does not match its key: %w", err)
	}
	if err := writeFile(id.dir, identityFile, pair, 0o600); err != nil {
		return err
	}
	return id.set(pair)
}

// writeFile writes dir/name whole or not at all (atomicfile), making
// the kiosk's data directory first if it is missing.
func writeFile(dir, name string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, name), data, mode)
}

// How often the renewal loop looks at the certificate, and retries a
// failed renewal.
var (
	renewCheck = time.Hour
	renewRetry = 10 * time.Minute
)

// renewLoop renews the certificate at half-life (POST /api/v1/kiosks/renew
// with a new key's request, over the current certificate), retrying every
// renewRetry until it works, and marks the kiosk out of service once the
// certificate has expired (the server can no longer be reached with it).
func (m *Main) renewLoop(ctx context.Context) {
	for {
		now := time.Now()
		if m.TLS.Expired(now) {
			m.Link.SetSuspended(uplink.SuspendedExpired)
		}
		wait := renewCheck
		if !now.Before(m.TLS.RenewAt()) {
			err := m.Renew(ctx)
			if err == nil {
				if m.Link.Suspended() == uplink.SuspendedExpired {
					m.Link.SetSuspended("")
				}
				continue
			}
			m.Log.Warn("certificate renewal failed; will retry", "err", err, "expires", m.TLS.Certificate().NotAfter)
			wait = renewRetry
		} else {
			wait = min(wait, time.Until(m.TLS.RenewAt()))
		}
		if left := time.Until(m.TLS.Certificate().NotAfter); left > 0 {
			wait = min(wait, left) // notice the expiry when it comes
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(wait, time.Second)):
		}
	}
}

// Renew gets and stores a new certificate for a new key, over the current
// one; the old pair stays on disk until the new one is stored.
func (m *Main) Renew(ctx context.Context) error {
	if m.TLS == nil {
		return errors.New("kioskd: enrolled with a bearer credential: nothing to renew")
	}
	client := m.client
	keyPEM, csrPEM, err := apiv1.NewKey(m.Cred.Kiosk)
	if err != nil {
		return err
	}
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resp, err := client.Renew(c, string(csrPEM))
	if err != nil {
		m.Link.Failed(err)
		return err
	}
	if err := m.TLS.Store([]byte(resp.Certificate), keyPEM); err != nil {
		return err
	}
	cred := m.Cred
	cred.CertExpires = m.TLS.Certificate().NotAfter
	if err := SaveCredential(m.Config.DataDir, cred); err != nil {
		m.Log.Warn("recording the renewed certificate's expiry", "err", err)
	}
	m.Log.Info("certificate renewed", "expires", cred.CertExpires)
	return nil
}

// errNotPEM is a CA answer that holds no certificate.
var errNotPEM = errors.New("not a PEM certificate")

// parseCA reads the CA certificate of an enrolment answer.
func parseCA(caPEM string) (*x509.Certificate, error) {
	b, _ := pem.Decode([]byte(caPEM))
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errNotPEM
	}
	return x509.ParseCertificate(b.Bytes)
}
