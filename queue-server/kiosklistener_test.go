package main

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
	"xephang/queue-server/queue/storetest"
)

// The program's kiosk listener (-kiosk-addr) refuses a handshake without a
// client certificate and, with a kiosk's, serves the kiosks' routes only.
func TestKioskListenerRequiresCertificate(t *testing.T) {
	m := NewMain(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: true, AdminPassword: "admin-secret",
		KioskAddr: "127.0.0.1:0", TLSHosts: []string{"127.0.0.1"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	kurl := "https://" + m.KioskAddr()
	noCert := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: m.CA.Pool()}}}
	if resp, err := noCert.Post(kurl+"/api/v1/login", "application/json", strings.NewReader(`{"username":"admin","password":"admin-secret"}`)); err == nil {
		resp.Body.Close()
		t.Fatalf("admin login on the kiosk listener without a certificate: %d", resp.StatusCode)
	}
	admin := apiv1.NewClient("http://" + m.Addr())
	if err := admin.Login(ctx, "admin", "admin-secret"); err != nil {
		t.Fatal(err)
	}
	centre, err := demo.Centre()
	if err != nil {
		t.Fatal(err)
	}
	storetest.AlwaysOpen(&centre) // the kiosk issues whatever the hour the test runs
	if _, err := admin.PutCentre(ctx, centre); err != nil {
		t.Fatal(err)
	}
	tok, err := admin.CreateEnrollmentToken(ctx, "hoan-kiem")
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, csrPEM, _ := apiv1.NewKey("kiosk")
	var en apiv1.EnrollResponse
	if _, err := apiv1.NewClient("http://"+m.Addr()).Do(ctx, "POST", "/api/v1/kiosks/enroll", apiv1.EnrollRequest{Token: tok.Token, CSR: string(csrPEM)}, &en); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair([]byte(en.Certificate), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	k := apiv1.NewClient(kurl)
	k.HTTP = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: m.CA.Pool(), Certificates: []tls.Certificate{cert}}}}
	if _, err := k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1"}); err != nil {
		t.Fatalf("heartbeat with the kiosk's certificate: %v", err)
	}
	if tk, err := k.Issue(ctx, "hoan-kiem", apiv1.IssueRequest{Service: "C"}); err != nil || tk.Source != "kiosk" {
		t.Fatalf("issue: %+v %v", tk, err)
	}
	for _, r := range []struct{ method, path string }{{"POST", "/api/v1/login"}, {"GET", "/api/v1/users"}, {"GET", "/api/v1/kiosks"}, {"GET", "/admin/"}} {
		code, _ := k.Do(ctx, r.method, r.path, nil, nil)
		if code != http.StatusNotFound {
			t.Errorf("%s %s on the kiosk listener: %d, want 404", r.method, r.path, code)
		}
	}
}

func TestTrustedProxiesConfig(t *testing.T) {
	env := map[string]string{"XEPHANG_TRUSTED_PROXIES": "10.0.0.0/8"}
	cfg, err := ParseConfig(nil, func(k string) string { return env[k] })
	if err != nil || len(cfg.TrustedProxies) != 1 || cfg.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Fatalf("from the environment: %+v %v", cfg.TrustedProxies, err)
	}
	cfg, err = ParseConfig([]string{"-trusted-proxies", "127.0.0.1, ::1"}, func(k string) string { return env[k] })
	if err != nil || len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[0].String() != "127.0.0.1/32" {
		t.Fatalf("the flag over the environment: %+v %v", cfg.TrustedProxies, err)
	}
	if cfg, err := ParseConfig(nil, func(string) string { return "" }); err != nil || len(cfg.TrustedProxies) != 0 {
		t.Fatalf("default: %+v %v", cfg.TrustedProxies, err)
	}
	if _, err := ParseConfig([]string{"-trusted-proxies", "proxy.local"}, func(string) string { return "" }); err == nil {
		t.Fatal("a host name accepted")
	}
}
