package httpapi_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
	"xephang/queue-server/testsrv"
)

// sharedServers starts two servers on one fresh PostgreSQL database, with
// the clock now, and makes admin accounts "admin" and "quanly2".
func sharedServers(t *testing.T, now func() time.Time) ([2]*httptest.Server, *apiv1.Client) {
	t.Helper()
	url := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true}).CreateDB(t)
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
	return srvs, admin
}

// TestEnrolmentTokenOnceOverInstances: kiosks enrolling with one token on
// two servers at once: exactly one gets in, for each of several tokens.
func TestEnrolmentTokenOnceOverInstances(t *testing.T) {
	srvs, admin := sharedServers(t, nil)
	ctx := context.Background()
	_, err := admin.PutCentre(ctx, envCentre())
	must(t, err)
	const tokens, each = 8, 4
	var wg sync.WaitGroup
	var won [tokens]atomic.Int64
	for k := 0; k < tokens; k++ {
		tok, err := admin.CreateEnrollmentToken(ctx, envCentre().ID)
		must(t, err)
		start := make(chan struct{})
		for i := 0; i < each; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := apiv1.NewClient(srvs[i%2].URL)
				<-start
				if _, err := c.Enroll(ctx, tok.Token, fmt.Sprintf("Ki-ốt %d-%d", k, i)); err == nil {
					won[k].Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
	}
	for k := range won {
		if n := won[k].Load(); n != 1 {
			t.Errorf("token %d enrolled %d kiosks, want 1", k, n)
		}
	}
	ks, err := admin.Kiosks(ctx)
	must(t, err)
	if len(ks) != tokens {
		t.Fatalf("%d kiosks stored for %d tokens", len(ks), tokens)
	}
}

// TestSessionEndsOnEveryInstance: two servers on one PostgreSQL database;
// a session cached by one ends there as soon as the other ends it (a
// password change), not when the cache would expire: the clock is frozen,
// so only the other server's notice can clear it.
func TestSessionEndsOnEveryInstance(t *testing.T) {
	frozen := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	srvs, admin := sharedServers(t, func() time.Time { return frozen })
	ctx := context.Background()
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

// TestRevocationNotUndoneByHeartbeats: a kiosk heartbeating through both
// servers while an admin revokes it on one: the heartbeats, which rewrite
// the kiosk's record, never bring it back.
func TestRevocationNotUndoneByHeartbeats(t *testing.T) {
	srvs, admin := sharedServers(t, nil)
	_, err := admin.PutCentre(context.Background(), envCentre())
	must(t, err)
	revocationRace(t, []string{srvs[0].URL, srvs[1].URL}, admin)
}

// TestRevocationNotUndoneByHeartbeatsOneServer: the same on one server and
// bbolt, where a heartbeat and the revocation can share a round.
func TestRevocationNotUndoneByHeartbeatsOneServer(t *testing.T) {
	e := newEnv(t)
	revocationRace(t, []string{e.srv.URL}, e.admin)
}

func revocationRace(t *testing.T, urls []string, admin *apiv1.Client) {
	ctx := context.Background()
	for round := 0; round < 6; round++ {
		tok, err := admin.CreateEnrollmentToken(ctx, envCentre().ID)
		must(t, err)
		kiosk := apiv1.NewClient(urls[0])
		en, err := kiosk.Enroll(ctx, tok.Token, fmt.Sprintf("Ki-ốt %d", round))
		must(t, err)
		kiosk.Token = en.Credential
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			c := apiv1.NewClient(urls[i%len(urls)])
			c.Token = en.Credential
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					c.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "test", Outbox: i})
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		if st, err := admin.Do(ctx, "POST", "/api/v1/kiosks/"+en.Kiosk+"/revoke", nil, nil); st != http.StatusOK {
			t.Fatalf("revoke: %d %v", st, err)
		}
		time.Sleep(20 * time.Millisecond)
		close(stop)
		wg.Wait()
		ks, err := admin.Kiosks(ctx)
		must(t, err)
		for _, k := range ks {
			if k.ID == en.Kiosk && !k.Revoked {
				t.Fatalf("round %d: kiosk %s is no longer revoked after its heartbeats", round, k.ID)
			}
		}
	}
}

// TestDossierLimitOverInstances: kiosks send documents to one ticket
// through two servers on one PostgreSQL database, more than a dossier
// holds, all at once: exactly MaxDossierDocuments are kept, the others
// refused with the limit's error; both servers then show the ticket's
// mark with that count and give the same valid package.
func TestDossierLimitOverInstances(t *testing.T) {
	srvs, admin := sharedServers(t, nil)
	ctx := context.Background()
	c := envCentre()
	storetest.AlwaysOpen(&c)
	_, err := admin.PutCentre(ctx, c)
	must(t, err)
	tk, err := admin.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	const sent = queue.MaxDossierDocuments + 12
	var wg sync.WaitGroup
	var kept, refused atomic.Int64
	for i := range sent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := apiv1.NewClient(srvs[i%2].URL)
			cl.Token = admin.Token
			pdf := pdfOf(fmt.Sprint("trang ", i))
			_, err := cl.AddDocument(ctx, tk.ID, metaOf(fmt.Sprintf("doc-%03d", i), "khac", pdf, nil), pdf)
			switch {
			case err == nil:
				kept.Add(1)
			case apiCode(err) == "422 invalid":
				refused.Add(1)
			default:
				t.Errorf("document %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if kept.Load() != queue.MaxDossierDocuments || refused.Load() != sent-queue.MaxDossierDocuments {
		t.Fatalf("kept %d, refused %d of %d", kept.Load(), refused.Load(), sent)
	}
	var zips [2][]byte
	for i, srv := range srvs {
		cl := apiv1.NewClient(srv.URL)
		cl.Token = admin.Token
		tv, err := cl.Ticket(ctx, tk.ID)
		must(t, err)
		if tv.Dossier == nil || tv.Dossier.Documents != queue.MaxDossierDocuments {
			t.Errorf("server %d: mark %+v", i, tv.Dossier)
		}
		zips[i], err = cl.DossierZIP(ctx, tk.ID)
		must(t, err)
		m := checkPackage(t, zips[i])
		if n := len(m["documents"].([]any)); n != queue.MaxDossierDocuments {
			t.Errorf("server %d: package of %d documents", i, n)
		}
	}
}
