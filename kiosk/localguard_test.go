package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestForeignPageCannotPrint: the attack on a real kioskd with its
// simulated printer. A web page the kiosk's browser loads posts a
// text/plain ticket request (no CORS preflight) with its own Origin; a
// rebinding page names its own host with kioskd's port. Neither prints nor
// issues a number; the kiosk's own page still does.
func TestForeignPageCannotPrint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := startServer(t)
	dir := t.TempDir()
	enrollKiosk(t, admin, "bench", dir)
	m, k := startKiosk(t, ctx, dir, nil, nil)
	k.waitStatus(t, ctx, "online", func(s statusView) bool { return s.Link.Online && s.Link.Left["A"] > 0 })
	port := m.Addr()[strings.LastIndex(m.Addr(), ":")+1:]

	send := func(method, path, host, origin, ctype, body string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, method, k.base+path, strings.NewReader(body))
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	for _, c := range []struct {
		name, method, path, host, origin, ctype, body string
		status                                        int
	}{
		{"foreign page, text/plain", "POST", "/api/tickets", "", "http://evil.example", "text/plain", `{"service":"A"}`, 403},
		{"sandboxed page", "POST", "/api/tickets", "", "null", "application/json", `{"service":"A"}`, 403},
		{"rebinding page", "POST", "/api/tickets", "evil.example:" + port, "http://evil.example:" + port, "application/json", `{"service":"A"}`, 403},
		{"form post from the kiosk's own page", "POST", "/api/tickets", "", "http://127.0.0.1:" + port, "application/x-www-form-urlencoded", `service=A`, 415},
		{"rebinding page reads the status", "GET", "/api/status", "evil.example:" + port, "", "", "", 403},
	} {
		if status, body := send(c.method, c.path, c.host, c.origin, c.ctype, c.body); status != c.status || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
	}
	jobs, _ := filepath.Glob(filepath.Join(dir, "sim", "printer", "*.escpos"))
	if len(jobs) != 0 {
		t.Fatalf("refused requests printed %d tickets", len(jobs))
	}
	if tickets, err := admin.Tickets(ctx, "bench", false); err != nil || len(tickets) != 0 {
		t.Fatalf("refused requests issued %d tickets (%v)", len(tickets), err)
	}
	// The kiosk's own page: same origin, JSON.
	if status, body := send("POST", "/api/tickets", "", "http://127.0.0.1:"+port, "application/json", `{"service":"A"}`); status != 201 {
		t.Fatalf("the kiosk's own page: %d %s", status, body)
	}
	waitUntil(t, ctx, "the ticket printed", func() bool {
		jobs, _ := filepath.Glob(filepath.Join(dir, "sim", "printer", "*.escpos"))
		return len(jobs) == 1
	})
}
