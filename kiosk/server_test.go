package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// startServer runs a queue server in-process on loopback with a centre
// open all week, and returns an admin client of it.
func startServer(tb testing.TB) *apiv1.Client {
	tb.Helper()
	st, err := bolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	hub := engine.NewHub()
	log := slog.New(slog.DiscardHandler)
	eng, err := engine.New(engine.Config{Store: st, Publisher: hub, Log: log})
	if err != nil {
		tb.Fatal(err)
	}
	api := httpapi.New(httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, Log: log})
	var h http.Handler = api
	if t, ok := tb.(*testing.T); ok { // benchmarks measure the server alone
		h = openapitest.Wrap(t, api)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(func() { srv.Close(); eng.Close(); st.Close() })
	ctx := context.Background()
	if _, err := api.PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Name: "Quản trị", Password: "secret-bench-1"}); err != nil {
		tb.Fatal(err)
	}
	admin := apiv1.NewClient(srv.URL)
	if err := admin.Login(ctx, "admin", "secret-bench-1"); err != nil {
		tb.Fatal(err)
	}
	c := queue.Centre{ID: "bench", Name: "Trung tâm Phục vụ hành chính công phường Thử", Timezone: "Asia/Ho_Chi_Minh",
		Services: []queue.Service{{Code: "A", Name: "Hộ tịch", Minutes: 10}, {Code: "C", Name: "Đất đai", Minutes: 25}},
		Counters: []queue.CounterConfig{{Number: 1, Name: "Quầy 1", Services: []string{"A", "C"}}, {Number: 2, Name: "Quầy 2", Services: []string{"A"}}}}
	storetest.AlwaysOpen(&c) // kiosks issue numbers only in the centre's window
	if _, err := admin.PutCentre(ctx, c); err != nil {
		tb.Fatal(err)
	}
	return admin
}

// enrollKiosk enrols a kiosk to centre with a fresh token, storing the
// credential in dir as `kioskd enroll` does.
func enrollKiosk(tb testing.TB, admin *apiv1.Client, centre, dir string) {
	tb.Helper()
	ctx := context.Background()
	var tok struct{ Token string }
	if _, err := admin.Do(ctx, "POST", "/api/v1/enrollment-tokens", map[string]string{"centre": centre}, &tok); err != nil {
		tb.Fatal(err)
	}
	var out, errb stringWriter
	if code := enroll(ctx, []string{"-server", admin.Base, "-token", tok.Token, "-data", dir, "-name", "bench"}, &out, &errb, func(string) string { return "" }); code != exitOK {
		tb.Fatalf("enroll: %d %s", code, errb)
	}
}

type stringWriter struct{ b []byte }

func (w *stringWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w stringWriter) String() string               { return string(w.b) }
