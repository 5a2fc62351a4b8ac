package httpapi_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/queue"
	"xephang/queue-server/testsrv"
)

// TestSessionEndsOnEveryInstance: two servers on one PostgreSQL database;
// a session cached by one ends there as soon as the other ends it (a
// password change), not when the cache would expire: the clock is frozen,
// so only the other server's notice can clear it.
func TestSessionEndsOnEveryInstance(t *testing.T) {
	url := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true}).CreateDB(t)
	frozen := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return frozen }
	secret := make([]byte, 32)
	rand.Read(secret)
	var srvs [2]*httptest.Server
	var apis [2]*httpapi.Server
	for i := range srvs {
		st, err := pgstore.Open(context.Background(), url, pgstore.Options{})
		must(t, err)
		hub := engine.NewHub()
		eng, err := engine.New(engine.Config{Store: st, Publisher: hub, Now: now})
		must(t, err)
		apis[i] = httpapi.New(httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, Now: now, Secret: secret})
		srvs[i] = httptest.NewServer(openapitest.Wrap(t, apis[i]))
		t.Cleanup(func() { srvs[i].Close(); eng.Close(); st.Close() })
	}
	ctx := context.Background()
	for _, u := range []string{"admin", "quanly2"} {
		if _, err := apis[0].PutUser(ctx, u, apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "mat-khau-" + u}); err != nil {
			t.Fatal(err)
		}
	}
	admin := apiv1.NewClient(srvs[0].URL)
	must(t, admin.Login(ctx, "admin", "mat-khau-admin"))
	other := apiv1.NewClient(srvs[0].URL)
	must(t, other.Login(ctx, "quanly2", "mat-khau-quanly2"))
	other.Base = srvs[1].URL // the same session, on the other server
	if st, err := other.Do(ctx, "GET", "/api/v1/users", nil, nil); st != http.StatusOK {
		t.Fatalf("the session on the other server: %d %v", st, err)
	}
	must(t, admin.PutUser(ctx, "quanly2", apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "mat-khau-moi-quanly2"}))
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := other.Do(ctx, "GET", "/api/v1/users", nil, nil)
		if st == http.StatusUnauthorized {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other server still takes the ended session: %d", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
