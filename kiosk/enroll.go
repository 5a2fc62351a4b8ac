package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xephang/queue-server/httpapi"
)

// credentialFile is where enrolment keeps the kiosk's identity, in the
// data directory, readable by kioskd's user only.
const credentialFile = "kiosk.json"

// Credential is what enrolment gave this kiosk.
type Credential struct {
	Server     string    `json:"server"`
	Kiosk      string    `json:"kiosk"`
	Centre     string    `json:"centre"`
	Credential string    `json:"credential"` // bearer token of role kiosk
	EnrolledAt time.Time `json:"enrolled_at"`
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
	if err := json.Unmarshal(raw, &c); err != nil || c.Credential == "" || c.Centre == "" {
		return c, fmt.Errorf("%s is damaged: enrol again with a new token", filepath.Join(dir, credentialFile))
	}
	return c, nil
}

// SaveCredential writes the credential atomically with mode 0600.
func SaveCredential(dir string, c Credential) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".kiosk-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(raw, '\n')); err != nil {
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
	if err := os.Rename(f.Name(), filepath.Join(dir, credentialFile)); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// EnrollRequest is the body of POST /api/v1/kiosks/enroll.
type EnrollRequest struct {
	Token string `json:"token"`
	Name  string `json:"name"`
}

// EnrollResponse is its answer.
type EnrollResponse struct {
	Kiosk      string    `json:"kiosk"`
	Centre     string    `json:"centre"`
	Credential string    `json:"credential"`
	ServerTime time.Time `json:"server_time"`
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
	if c, err := LoadCredential(*data); err == nil && !*force {
		fmt.Fprintf(stderr, "kioskd enroll: already enrolled as %q at centre %q (%s); use -force to replace\n", c.Kiosk, c.Centre, filepath.Join(*data, credentialFile))
		return exitProblem
	}
	cl := httpapi.NewClient(*server)
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var resp EnrollResponse
	_, err := cl.Do(c, "POST", "/api/v1/kiosks/enroll", EnrollRequest{Token: strings.TrimSpace(*token), Name: *name}, &resp)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd enroll:", describeEnrollError(err, *server))
		return exitProblem
	}
	if resp.Credential == "" || resp.Centre == "" {
		fmt.Fprintln(stderr, "kioskd enroll: the server's answer has no credential or centre; is it a Xếp Hàng queue server?")
		return exitProblem
	}
	cred := Credential{Server: strings.TrimRight(*server, "/"), Kiosk: resp.Kiosk, Centre: resp.Centre, Credential: resp.Credential, EnrolledAt: time.Now().UTC()}
	if err := SaveCredential(*data, cred); err != nil {
		fmt.Fprintln(stderr, "kioskd enroll: storing the credential:", err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "enrolled: kiosk %q, centre %q; credential in %s (mode 0600)\n", resp.Kiosk, resp.Centre, filepath.Join(*data, credentialFile))
	if d := time.Until(resp.ServerTime); !resp.ServerTime.IsZero() && d.Abs() > time.Minute {
		fmt.Fprintf(stdout, "warning: this kiosk's clock differs from the server's by %v; enable NTP (timedatectl set-ntp true)\n", d.Round(time.Second))
	}
	return exitOK
}

// describeEnrollError says in plain words why enrolment failed.
func describeEnrollError(err error, server string) string {
	var ae *httpapi.APIError
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
