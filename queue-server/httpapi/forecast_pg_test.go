package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/queue"
	"xephang/queue-server/testsrv"
)

// TestForecastOnPostgres: eight weeks of history imported into a shared
// PostgreSQL store (pgstore.ImportPast: neither a revision nor a change
// log entry), two servers on it: both answer GET …/forecast, the same as
// each other and the same as one server on bbolt holding the same
// history.
func TestForecastOnPostgres(t *testing.T) {
	const weeks = 8
	// The reference: bbolt, the same centre and history.
	ref, ck, _ := forecastEnv(t, weeks*7)
	ctx := context.Background()
	c, err := ref.admin.Centre(ctx, centreID)
	must(t, err)
	want, err := ref.admin.Forecast(ctx, centreID, apiv1.ForecastQuery{})
	must(t, err)
	if want.Plan == nil || want.Accuracy == nil || len(want.Points) == 0 {
		t.Fatalf("bbolt's forecast of %d weeks: plan %v, accuracy %v, %d points", weeks, want.Plan != nil, want.Accuracy, len(want.Points))
	}

	url := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true}).CreateDB(t)
	secret := make([]byte, 32)
	rand.Read(secret)
	var clients [2]*apiv1.Client
	var apis [2]*httpapi.Server
	var stores [2]*pgstore.Store
	for i := range clients {
		st, err := pgstore.Open(ctx, url, pgstore.Options{})
		must(t, err)
		hub := engine.NewHub()
		eng, err := engine.New(engine.Config{Store: st, Publisher: hub, Now: ck.Now})
		must(t, err)
		apis[i] = httpapi.New(httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Hub: hub, Store: st, Now: ck.Now, Secret: secret})
		srv := httptest.NewServer(openapitest.Wrap(t, apis[i]))
		t.Cleanup(func() { srv.Close(); eng.Close(); st.Close() })
		stores[i] = st
		clients[i] = apiv1.NewClient(srv.URL)
	}
	_, err = apis[0].PutUser(ctx, "admin", apiv1.PutUserRequest{Role: queue.RoleAdmin, Password: "admin-secret"})
	must(t, err)
	for _, cl := range clients {
		must(t, cl.Login(ctx, "admin", "admin-secret"))
	}
	c, err = clients[0].PutCentre(ctx, c)
	must(t, err)

	pool, err := pgxpool.New(ctx, url)
	must(t, err)
	t.Cleanup(pool.Close)
	revAndLog := func() (rev, logged int64) {
		must(t, pool.QueryRow(ctx, `SELECT rev, (SELECT count(*) FROM changes WHERE centre = $1) FROM centres WHERE id = $1`, centreID).Scan(&rev, &logged))
		return
	}
	rev0, log0 := revAndLog()
	var past []queue.Ticket
	for _, day := range demo.History(c, ck.Now().In(hcm), weeks*7, nil) {
		past = append(past, day...)
	}
	today := ck.Now().In(hcm).Format("2006-01-02")
	must(t, stores[0].ImportPast(centreID, today, past))
	if rev, logged := revAndLog(); rev != rev0 || logged != log0 {
		t.Errorf("the import moved the centre from revision %d to %d, the change log from %d to %d rows", rev0, rev, log0, logged)
	}
	// Today's tickets are live state: they go through the engine only.
	live := past[len(past)-1]
	live.Day, live.ID = today, queue.TicketID(today, "aaaaaaaaaaaaaaaaaaaaaa")
	if err := stores[1].ImportPast(centreID, today, []queue.Ticket{live}); err == nil {
		t.Error("a ticket of today imported as the past")
	}
	other, keyed := past[0], past[1]
	other.Centre = "phuong-khac"
	keyed.Key = "kiosk-1:42"
	for _, bad := range []queue.Ticket{other, keyed} {
		if err := stores[1].ImportPast(centreID, today, []queue.Ticket{bad}); err == nil {
			t.Errorf("imported as the past: %+v", bad)
		}
	}

	var got [2]apiv1.ForecastView
	for i, cl := range clients {
		got[i], err = cl.Forecast(ctx, centreID, apiv1.ForecastQuery{})
		must(t, err)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("the two servers on one database disagree:\n%s\n%s", brief(got[0]), brief(got[1]))
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("PostgreSQL and bbolt disagree on the same history:\n%s\n%s", brief(got[0]), brief(want))
	}
	b, err := clients[1].Busiest(ctx, centreID)
	must(t, err)
	if b.Day != "2026-11-24" || len(b.Hours) == 0 {
		t.Errorf("busiest hours on PostgreSQL: %+v", b)
	}
}

// brief is a forecast's head, days and plan as JSON, for a failure.
func brief(f apiv1.ForecastView) string {
	f.Points = nil
	b, _ := json.Marshal(f)
	return string(b)
}
