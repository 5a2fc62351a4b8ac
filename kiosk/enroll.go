package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xephang/queue-server/apiv1"
)

// credentialFile is where enrolment keeps the kiosk's identity, in the
// data directory, readable by kioskd's user only.
const credentialFile = "kiosk.json"

// Credential is what enrolment gave this kiosk.
type Credential struct {
	Server     string    `json:"server"`
	Kiosk      string    `json:"kiosk"`
	Centre     string    `json:"centre"`
	Credential string    `json:"credential,omitempty"` // bearer token of role kiosk (http:// servers)
	EnrolledAt time.Time `json:"enrolled_at"`
	// MTLS: enrolled with a certificate (kiosk-identity.pem, kiosk-ca.pem);
	// every call uses mutual TLS with Server, an https:// URL.
	MTLS        bool      `json:"mtls,omitempty"`
	CertExpires time.Time `json:"cert_expires,omitzero"`
	Pending     bool      `json:"pending,omitempty"` // waited for the admin's approval at enrolment
}

// LoadCredential reads the credential from the data directory.
func LoadCredential(dir string) (Credential, error) {
	var c Credential
	raw, err := os.ReadFile(filepath.Join(dir, credentialFile))
	if errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("this kiosk is not enrolled (no %s): run kioskd enroll -server URL -token T -data %s", filepath.Join(dir, credentialFile), dir)
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(raw, &c); err != nil || (c.Credential == "" && !c.MTLS) || c.Centre == "" {
		return c, fmt.Errorf("%s is damaged: enrol again with a new token", filepath.Join(dir, credentialFile))
	}
	return c, nil
}

// SaveCredential writes the credential atomically with mode 0600.
func SaveCredential(dir string, c Credential) error {
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(dir, credentialFile, append(raw, '\n'), 0o600)
}

// enroll implements `kioskd enroll`.
func enroll(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("kioskd enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", getenv("XEPHANG_SERVER"), "queue server URL (XEPHANG_SERVER)")
	token := fs.String("token", "", "one-time enrolment token from the admin (POST /api/v1/enrollment-tokens)")
	data := fs.String("data", firstNonEmpty(getenv("XEPHANG_KIOSK_DATA"), "./kiosk-data"), "data directory (XEPHANG_KIOSK_DATA)")
	host, _ := os.Hostname()
	name := fs.String("name", host, "this kiosk's name as the admin sees it")
	force := fs.Bool("force", false, "enrol again, replacing the stored credential")
	mtls := fs.Bool("mtls", false, "enrol with a certificate (mutual TLS); needs -kiosk-server")
	kioskServer := fs.String("kiosk-server", "", "the server's mutual-TLS listener for every later call (https://HOST:8443, queue-server -kiosk-addr); giving it enrols with a certificate")
	caPath := fs.String("ca", "", "PEM of the server's kiosk CA: the CA the enrolment returns must be this one")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return exitUsage
	}
	if *server == "" || *token == "" {
		fmt.Fprintln(stderr, "kioskd enroll: -server URL and -token T are required")
		return exitUsage
	}
	if !strings.HasPrefix(*server, "http://") && !strings.HasPrefix(*server, "https://") {
		fmt.Fprintf(stderr, "kioskd enroll: -server %q: want http(s)://HOST[:PORT]\n", *server)
		return exitUsage
	}
	useTLS := *mtls || *kioskServer != ""
	later := strings.TrimRight(firstNonEmpty(*kioskServer, *server), "/")
	// The kiosk listener admits only enrolled kiosks (the handshake wants
	// a client certificate): enrolment goes to -server, the public one.
	if useTLS && (!strings.HasPrefix(later, "https://") || later == strings.TrimRight(*server, "/")) {
		fmt.Fprintln(stderr, "kioskd enroll: a certificate needs -kiosk-server https://HOST:PORT (the server's mutual-TLS listener, queue-server -kiosk-addr) apart from -server (the public address, where enrolment happens)")
		return exitUsage
	}
	if c, err := LoadCredential(*data); err == nil && !*force {
		fmt.Fprintf(stderr, "kioskd enroll: already enrolled as %q at centre %q (%s); use -force to replace\n", c.Kiosk, c.Centre, filepath.Join(*data, credentialFile))
		return exitProblem
	}
	if useTLS {
		return enrollTLS(ctx, *server, later, *caPath, strings.TrimSpace(*token), *name, *data, stdout, stderr)
	}
	cl := apiv1.NewClient(*server)
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resp, err := cl.Enroll(c, strings.TrimSpace(*token), *name)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd enroll:", describeEnrollError(err, *server))
		return exitProblem
	}
	if resp.Credential == "" || resp.Centre == "" {
		fmt.Fprintln(stderr, "kioskd enroll: the server's answer has no credential or centre; is it a Xếp Hàng queue server?")
		return exitProblem
	}
	cred := Credential{Server: strings.TrimRight(*server, "/"), Kiosk: resp.Kiosk, Centre: resp.Centre, Credential: resp.Credential,
		EnrolledAt: time.Now().UTC(), Pending: resp.Pending}
	if err := SaveCredential(*data, cred); err != nil {
		fmt.Fprintln(stderr, "kioskd enroll: storing the credential:", err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "enrolled: kiosk %q, centre %q; credential in %s (mode 0600)\n", resp.Kiosk, resp.Centre, filepath.Join(*data, credentialFile))
	enrolledNotes(stdout, resp)
	return exitOK
}

// enrolledNotes tells the technician what is left: approval, the clock.
func enrolledNotes(stdout io.Writer, resp apiv1.EnrollResponse) {
	if resp.Pending {
		fmt.Fprintln(stdout, "waiting for approval: the administrator must approve this kiosk before it issues numbers (the screen says so)")
	}
	st, err := time.Parse(time.RFC3339Nano, resp.ServerTime)
	if d := time.Until(st); err == nil && d.Abs() > time.Minute {
		fmt.Fprintf(stdout, "warning: this kiosk's clock differs from the server's by %v; enable NTP (timedatectl set-ntp true)\n", d.Round(time.Second))
	}
}

// enrollTLS enrols with a certificate: the key is made here and never
// leaves the kiosk; the server signs its request with the token and
// returns the certificate and its CA, which becomes the only root the
// kiosk trusts for the server.
func enrollTLS(ctx context.Context, server, later, caPath, token, name, data string, stdout, stderr io.Writer) int {
	keyPEM, csrPEM, err := apiv1.NewKey(name)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd enroll: making the key:", err)
		return exitProblem
	}
	cl := apiv1.NewClient(server) // an https:// -server is checked against the system's roots
	var pinned *x509.Certificate
	if caPath != "" {
		pemData, err := os.ReadFile(caPath)
		if err == nil {
			pinned, err = parseCA(string(pemData))
		}
		if err != nil {
			fmt.Fprintln(stderr, "kioskd enroll: -ca:", err)
			return exitUsage
		}
	}
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resp, err := cl.EnrollWith(c, apiv1.EnrollRequest{Token: token, Name: name, CSR: string(csrPEM)})
	if err != nil {
		fmt.Fprintln(stderr, "kioskd enroll:", describeEnrollError(err, server))
		return exitProblem
	}
	if resp.Certificate == "" || resp.CA == "" || resp.Centre == "" {
		fmt.Fprintln(stderr, "kioskd enroll: the server's answer has no certificate, CA or centre; is it a Xếp Hàng queue server with its CA?")
		return exitProblem
	}
	caCert, err := parseCA(resp.CA)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd enroll: the server's CA:", err)
		return exitProblem
	}
	if pinned != nil && !pinned.Equal(caCert) {
		fmt.Fprintln(stderr, "kioskd enroll: the server returned another CA than -ca (someone in between?)")
		return exitProblem
	}
	if pinned == nil {
		fmt.Fprintln(stdout, "note: the kiosk CA was taken from the enrolment answer; pass -ca FILE to pin it beforehand")
	}
	pair := append([]byte(resp.Certificate), keyPEM...)
	if _, err := tls.X509KeyPair(pair, pair); err != nil {
		fmt.Fprintln(stderr, "kioskd enroll: the certificate does not match the key made here:", err)
		return exitProblem
	}
	if err := writeFile(data, caFile, []byte(resp.CA), 0o644); err != nil {
		fmt.Fprintln(stderr, "kioskd enroll: storing the CA:", err)
		return exitProblem
	}
	if err := writeFile(data, identityFile, pair, 0o600); err != nil {
		fmt.Fprintln(stderr, "kioskd enroll: storing the key:", err)
		return exitProblem
	}
	exp, _ := time.Parse(time.RFC3339, resp.ExpiresAt)
	cred := Credential{Server: later, Kiosk: resp.Kiosk, Centre: resp.Centre, EnrolledAt: time.Now().UTC(), MTLS: true, CertExpires: exp, Pending: resp.Pending}
	if err := SaveCredential(data, cred); err != nil {
		fmt.Fprintln(stderr, "kioskd enroll: storing the credential:", err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "enrolled with a certificate: kiosk %q, centre %q, valid until %s; key in %s (mode 0600), later calls to %s with mutual TLS\n",
		resp.Kiosk, resp.Centre, resp.ExpiresAt, filepath.Join(data, identityFile), later)
	enrolledNotes(stdout, resp)
	return exitOK
}

// describeEnrollError says in plain words why enrolment failed.
func describeEnrollError(err error, server string) string {
	var ae *apiv1.APIError
	if !errors.As(err, &ae) {
		return fmt.Sprintf("cannot reach the queue server at %s (%v): check the address and the network", server, err)
	}
	switch ae.Status {
	case 400, 401, 403, 404, 409, 410, 422:
		return fmt.Sprintf("the server refused the token (%d %s: %s): a token works once and for 24 hours; check it was copied whole, or ask the admin for a new one", ae.Status, ae.Code, ae.Message)
	case 429:
		return fmt.Sprintf("too many attempts (%s); wait a minute and try again", ae.Message)
	}
	return fmt.Sprintf("the server failed (%d %s: %s); try again later", ae.Status, ae.Code, ae.Message)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
