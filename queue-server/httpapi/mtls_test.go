package httpapi_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/ca"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// mtlsEnv serves the API as queue-server does: the public listener (plain
// HTTP here, for admin and enrolment) and the kiosks' mutual-TLS listener,
// whose certificate and client verification come from the server's own CA.
// It returns the kiosk listener, the admin on the public one, the CA and
// the public listener's URL.
func mtlsEnv(t *testing.T) (*httptest.Server, *apiv1.Client, *ca.Authority, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := bolt.Open(dir)
	must(t, err)
	auth, err := ca.Open(dir + "/ca")
	must(t, err)
	hub := engine.NewHub()
	eng, err := engine.New(engine.Config{Store: st, Publisher: hub})
	must(t, err)
	api := httpapi.New(httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, CA: auth})
	pub := httptest.NewServer(openapitest.Wrap(t, api))
	srv := httptest.NewUnstartedServer(openapitest.WrapKioskListener(t, api.KioskHandler()))
	srv.TLS, err = auth.ServerTLS([]string{"127.0.0.1"})
	must(t, err)
	srv.StartTLS()
	t.Cleanup(func() { srv.Close(); pub.Close(); eng.Close(); st.Close() })
	ctx := context.Background()
	_, err = api.PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "admin-secret"})
	must(t, err)
	admin := apiv1.NewClient(pub.URL)
	must(t, admin.Login(ctx, "admin", "admin-secret"))
	c := storetest.Centre(centreID)
	storetest.AlwaysOpen(&c) // kiosks issue only in the centre's window
	_, err = admin.PutCentre(ctx, c)
	must(t, err)
	return srv, admin, auth, pub.URL
}

// kioskClient is a client presenting the kiosk's certificate and trusting
// only the CA it received at enrolment.
func kioskClient(t *testing.T, base string, caPEM, certPEM, keyPEM []byte) *apiv1.Client {
	t.Helper()
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	must(t, err)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA PEM from enrolment does not parse")
	}
	c := apiv1.NewClient(base)
	c.HTTP = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}}}}
	return c
}

func TestKioskMutualTLS(t *testing.T) {
	srv, admin, _, pubURL := mtlsEnv(t)
	ctx := context.Background()
	var tok apiv1.EnrollmentTokenResponse
	_, err := admin.Do(ctx, "POST", "/api/v1/enrollment-tokens", apiv1.EnrollmentTokenRequest{Centre: centreID, Approval: true}, &tok)
	must(t, err)
	keyPEM, csrPEM, err := apiv1.NewKey("kiosk")
	must(t, err)
	plain := apiv1.NewClient(pubURL) // enrolment is on the public listener: the kiosk has no certificate yet
	var en apiv1.EnrollResponse
	_, err = plain.Do(ctx, "POST", "/api/v1/kiosks/enroll", apiv1.EnrollRequest{Token: tok.Token, Name: "Ki-ốt A", CSR: string(csrPEM)}, &en)
	must(t, err)
	if en.Credential != "" || en.Certificate == "" || en.CA == "" || !en.Pending {
		t.Fatalf("enrolment with a CSR: %+v", en)
	}
	exp, _ := time.Parse(time.RFC3339, en.ExpiresAt)
	if d := time.Until(exp); d < 89*24*time.Hour || d > 91*24*time.Hour {
		t.Fatalf("certificate valid %v, want 90 days", d)
	}
	k := kioskClient(t, srv.URL, []byte(en.CA), []byte(en.Certificate), keyPEM)
	// Waiting for approval: a clear refusal.
	if _, err := k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1"}); apiCode(err) != "403 kiosk_pending" {
		t.Fatalf("before approval: %v", err)
	}
	_, err = admin.Do(ctx, "POST", "/api/v1/kiosks/"+en.Kiosk+"/approve", nil, nil)
	must(t, err)
	if _, err := k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1"}); err != nil {
		t.Fatalf("after approval: %v", err)
	}
	tk, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	if err != nil || tk.Source != "kiosk" {
		t.Fatalf("issue over mutual TLS: %+v %v", tk, err)
	}
	// Renewal: the new certificate works, the previous one still does (its
	// answer may have been lost); after a second renewal the first does not.
	renew := func(c *apiv1.Client) ([]byte, apiv1.EnrollResponse) {
		kp, cp, err := apiv1.NewKey("kiosk")
		must(t, err)
		var out apiv1.EnrollResponse
		_, err = c.Do(ctx, "POST", "/api/v1/kiosks/renew", apiv1.RenewRequest{CSR: string(cp)}, &out)
		must(t, err)
		return kp, out
	}
	k2key, r2 := renew(k)
	k2 := kioskClient(t, srv.URL, []byte(r2.CA), []byte(r2.Certificate), k2key)
	if _, err := k2.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "2"}); err != nil {
		t.Fatalf("renewed certificate: %v", err)
	}
	if _, err := k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1"}); err != nil {
		t.Fatalf("previous certificate right after renewal: %v", err)
	}
	renew(k2)
	if _, err := k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1"}); apiCode(err) != "403 kiosk_revoked" {
		t.Fatalf("certificate two renewals old: %v", err)
	}
	// A certificate the CA did not sign is refused by TLS itself.
	other, err := ca.Open(t.TempDir())
	must(t, err)
	fk, fc, _ := apiv1.NewKey("forged")
	forged, err := other.SignKiosk(fc, en.Kiosk, centreID)
	must(t, err)
	f := kioskClient(t, srv.URL, []byte(r2.CA), forged.PEM, fk)
	if _, err := f.Heartbeat(ctx, apiv1.HeartbeatRequest{}); err == nil {
		t.Fatal("a certificate from another CA was accepted")
	}
	// Revoked: refused at once with a code the kiosk shows as "out of service".
	_, err = admin.Do(ctx, "POST", "/api/v1/kiosks/"+en.Kiosk+"/revoke", nil, nil)
	must(t, err)
	if _, err := k2.Heartbeat(ctx, apiv1.HeartbeatRequest{}); apiCode(err) != "403 kiosk_revoked" {
		t.Fatalf("revoked kiosk: %v", err)
	}
	list, _ := admin.Kiosks(ctx)
	if len(list) != 1 || list[0].CertSerial == "" || list[0].CertExpiring {
		t.Fatalf("kiosk list %+v", list)
	}
	// A bad request is refused clearly.
	tok2, _ := admin.CreateEnrollmentToken(ctx, centreID)
	if _, err := plain.Do(ctx, "POST", "/api/v1/kiosks/enroll", apiv1.EnrollRequest{Token: tok2.Token, CSR: "not a csr"}, nil); apiCode(err) != "422 invalid" {
		t.Fatalf("bad CSR: %v", err)
	}
}

// enrollWithCert enrols an approved kiosk with a certificate on the public
// listener and returns its client for the kiosk listener.
func enrollWithCert(t *testing.T, admin *apiv1.Client, pubURL, kioskURL string) (*apiv1.Client, apiv1.EnrollResponse) {
	t.Helper()
	ctx := context.Background()
	tok, err := admin.CreateEnrollmentToken(ctx, centreID)
	must(t, err)
	keyPEM, csrPEM, err := apiv1.NewKey("kiosk")
	must(t, err)
	var en apiv1.EnrollResponse
	_, err = apiv1.NewClient(pubURL).Do(ctx, "POST", "/api/v1/kiosks/enroll", apiv1.EnrollRequest{Token: tok.Token, Name: "Ki-ốt B", CSR: string(csrPEM)}, &en)
	must(t, err)
	return kioskClient(t, kioskURL, []byte(en.CA), []byte(en.Certificate), keyPEM), en
}

// The kiosk listener requires a client certificate in the handshake and
// serves only the kiosks' routes: without a certificate nothing answers,
// with one the admin's and the public's routes are 404 there, whatever
// token comes with the request.
func TestKioskListenerServesOnlyKiosks(t *testing.T) {
	srv, admin, auth, pubURL := mtlsEnv(t)
	ctx := context.Background()
	k, en := enrollWithCert(t, admin, pubURL, srv.URL)
	// No certificate: the handshake is refused, on every path.
	noCert := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: auth.Pool()}}}
	for _, path := range []string{"/healthz", "/api/v1/login", "/api/v1/kiosks/heartbeat", "/"} {
		resp, err := noCert.Get(srv.URL + path)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s without a client certificate answered %d", path, resp.StatusCode)
		}
	}
	// A certificate of another CA: refused in the handshake too.
	other, err := ca.Open(t.TempDir())
	must(t, err)
	fk, fc, _ := apiv1.NewKey("forged")
	forged, err := other.SignKiosk(fc, en.Kiosk, centreID)
	must(t, err)
	if _, err := kioskClient(t, srv.URL, []byte(en.CA), forged.PEM, fk).Heartbeat(ctx, apiv1.HeartbeatRequest{}); err == nil || apiCode(err) != fmt.Sprint(err) {
		t.Fatalf("a certificate of another CA: %v", err)
	}
	// The kiosk's own routes work with its certificate.
	if _, err := k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1"}); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	tk, err := k.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	if err != nil || tk.Source != "kiosk" {
		t.Fatalf("issue: %+v %v", tk, err)
	}
	if _, err := k.Centre(ctx, centreID); err != nil {
		t.Fatalf("centre: %v", err)
	}
	if _, err := k.Queue(ctx, centreID); err != nil {
		t.Fatalf("queue: %v", err)
	}
	if _, err := k.LeaseBlock(ctx, centreID, "A", 5, ""); err != nil {
		t.Fatalf("lease a block: %v", err)
	}
	// Every route the access table does not mark for the kiosk listener
	// is 404 there, even with the admin's token beside the certificate;
	// so is the UI.
	raw := k.HTTP
	status := func(method, path, token string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, a := range httpapi.AccessTable() {
		if a.KioskTLS {
			continue
		}
		method, path, _ := strings.Cut(a.Route, " ")
		path = strings.NewReplacer("{centre}", centreID, "{n}", "1", "{id}", "x", "{code}", "ABCDEFGH", "{username}", "admin").Replace(path)
		if got := status(method, path, admin.Token); got != http.StatusNotFound {
			t.Errorf("%s %s on the kiosk listener: %d, want 404", method, path, got)
		}
	}
	for _, path := range []string{"/", "/admin/", "/counter/"} {
		if got := status("GET", path, ""); got != http.StatusNotFound {
			t.Errorf("GET %s on the kiosk listener: %d, want 404", path, got)
		}
	}
	// The admin's token does not lift the kiosk: the request is the kiosk's.
	if got := status("POST", "/api/v1/centres/"+centreID+"/counters/1/next", admin.Token); got != http.StatusNotFound {
		t.Errorf("a counter action on the kiosk listener: %d", got)
	}
	// Revoked: the certificate opens nothing, not even the public routes.
	_, err = admin.Do(ctx, "POST", "/api/v1/kiosks/"+en.Kiosk+"/revoke", nil, nil)
	must(t, err)
	if _, err := k.Queue(ctx, centreID); apiCode(err) != "403 kiosk_revoked" {
		t.Fatalf("revoked kiosk reading the queue: %v", err)
	}
}
