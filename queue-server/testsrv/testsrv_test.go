package testsrv

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPostgresStandbyPromote starts a cluster and a synchronous standby,
// writes on the primary, kills it, promotes the standby and finds the
// row there.
func TestPostgresStandbyPromote(t *testing.T) {
	p := StartPostgres(t, PGOptions{})
	p.SQL(t, "postgres", "CREATE TABLE t (n int)")
	s := p.Standby(t, true)
	p.SQL(t, "postgres", "INSERT INTO t VALUES (42)")
	p.Kill(t)
	s.Promote(t)
	if got := s.SQL(t, "postgres", "SELECT n FROM t"); got != "42" {
		t.Fatalf("standby has %q, want 42", got)
	}
	s.SQL(t, "postgres", "INSERT INTO t VALUES (43)")
	db := s.CreateDB(t)
	if !strings.Contains(db, fmt.Sprint(s.Port)) {
		t.Fatalf("URL %s is not of port %d", db, s.Port)
	}
}

// TestHAProxy balances between two backends and leaves out one whose
// /readyz fails.
func TestHAProxy(t *testing.T) {
	var bDown atomic.Bool
	var backends []string
	for _, name := range []string{"a", "b"} {
		name := name
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/readyz" && name == "b" && bDown.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, name)
		}))
		defer srv.Close()
		backends = append(backends, strings.TrimPrefix(srv.URL, "http://"))
	}
	lb := StartHAProxy(t, backends...)
	seen := map[string]int{}
	for i := 0; i < 20; i++ {
		seen[get(t, lb)]++
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Fatalf("not balanced: %v", seen)
	}
	bDown.Store(true)
	time.Sleep(time.Second)
	for i := 0; i < 10; i++ {
		if got := get(t, lb); got != "a" {
			t.Fatalf("request %d went to %q, a backend that is not ready", i, got)
		}
	}
}

// TestHAProxyByCentre sends a centre's requests to one backend.
func TestHAProxyByCentre(t *testing.T) {
	var backends []string
	for _, name := range []string{"a", "b"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }))
		defer srv.Close()
		backends = append(backends, strings.TrimPrefix(srv.URL, "http://"))
	}
	lb := StartHAProxyBalance(t, ByCentre, backends...)
	seen := map[string]map[string]bool{}
	for i := 0; i < 40; i++ {
		centre := fmt.Sprintf("c%d", i%8)
		path := []string{"/tickets", "/queue", "/counters/1/next", "/events?since=3"}[i%4]
		if seen[centre] == nil {
			seen[centre] = map[string]bool{}
		}
		seen[centre][getPath(t, lb, "/api/v1/centres/"+centre+path)] = true
	}
	used := map[string]bool{}
	for c, s := range seen {
		if len(s) != 1 {
			t.Fatalf("centre %s went to %v", c, s)
		}
		for b := range s {
			used[b] = true
		}
	}
	if len(used) != 2 {
		t.Fatalf("8 centres all on %v", used)
	}
}

func get(t *testing.T, lb *LB) string { return getPath(t, lb, "/") }

func getPath(t *testing.T, lb *LB, path string) string {
	resp, err := http.Get("http://" + lb.Addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
