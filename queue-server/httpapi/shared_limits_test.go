package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/pglimits"
	"xephang/queue-server/pgstore"
	"xephang/queue-server/testsrv"
)

// sharedLimits returns two pglimits on two pools of one fresh database
// (two servers' views of it) and its cluster.
func sharedLimits(t *testing.T) (*testsrv.Cluster, [2]httpapi.Limits) {
	t.Helper()
	c := testsrv.StartPostgres(t, testsrv.PGOptions{Fast: true})
	url := c.CreateDB(t)
	var ls [2]httpapi.Limits
	st, err := pgstore.Open(context.Background(), url, pgstore.Options{}) // the schema, by the store's migrations
	must(t, err)
	st.Close()
	for i := range ls {
		pool, err := pgxpool.New(context.Background(), url)
		must(t, err)
		t.Cleanup(pool.Close)
		ls[i] = pglimits.New(pool)
	}
	return c, ls
}

// twoServers starts two servers at the clock's time, each with its own
// limits from limits (nil: in memory).
func twoServers(t *testing.T, ck *clock, limits [2]httpapi.Limits) [2]*env {
	var es [2]*env
	for i := range es {
		es[i] = newEnvTuned(t, ck.Now, func(c *httpapi.Config) { c.Limits = limits[i] })
		bookable(t, es[i])
	}
	return es
}

// bookAlternately sends n anonymous bookings from this address, taking
// turns between the servers, and returns the errors.
func bookAlternately(es [2]*env, n int) []error {
	pubs := [2]*apiv1.Client{apiv1.NewClient(es[0].srv.URL), apiv1.NewClient(es[1].srv.URL)}
	var errs []error
	for i := range n {
		_, err := bookAs(pubs[i%2], "2026-11-24T09:00:00+07:00", 100+i, nil) // no solution: refused, but counted
		errs = append(errs, err)
	}
	return errs
}

// Two servers behind one load balancer share their limits in the
// database: one address gets 10 booking attempts an hour among them, not
// 10 from each; password guesses spread over both slow the account down
// as if they hit one.
func TestLimitsSharedByTwoServers(t *testing.T) {
	ck := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	_, ls := sharedLimits(t)
	es := twoServers(t, ck, ls)
	errs := bookAlternately(es, 11)
	for i, err := range errs[:10] {
		if apiCode(err) == "429 rate_limited" {
			t.Fatalf("attempt %d of 10 refused by the limit", i+1)
		}
	}
	if apiCode(errs[10]) != "429 rate_limited" {
		t.Fatalf("11th attempt in an hour from one address, over two servers: %v", errs[10])
	}
	ck.Add(6*time.Minute + 30*time.Second) // a tenth of the hour: one attempt more, on either
	if errs := bookAlternately(es, 2); apiCode(errs[0]) == "429 rate_limited" || apiCode(errs[1]) != "429 rate_limited" {
		t.Fatalf("after 6.5 minutes: %v, %v; want one attempt refilled", errs[0], errs[1])
	}

	// Sign-in: three typos are free, the fourth makes the account wait
	// 1 s, wherever the next attempt lands.
	for i := range 4 {
		if code, _ := post(t, es[i%2].srv.URL, "/api/v1/login", `{"username":"canbo1","password":"wrong"}`); code != http.StatusUnauthorized {
			t.Fatalf("typo %d: %d", i+1, code)
		}
	}
	for i, e := range es {
		code, after := post(t, e.srv.URL, "/api/v1/login", `{"username":"canbo1","password":"clerk-secret"}`)
		if code != http.StatusTooManyRequests || after != "1" {
			t.Fatalf("server %d during the delay: %d Retry-After %q, want 429 and 1", i, code, after)
		}
	}
	ck.Add(time.Second)
	if code, _ := post(t, es[1].srv.URL, "/api/v1/login", `{"username":"canbo1","password":"clerk-secret"}`); code != http.StatusOK {
		t.Fatalf("after the delay: %d", code)
	}
}

// The contrast that makes the test above mean something: with the
// default limits, in each server's memory, two servers grant 10 each.
func TestMemoryLimitsArePerServer(t *testing.T) {
	ck := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	es := twoServers(t, ck, [2]httpapi.Limits{})
	errs := bookAlternately(es, 20)
	for i, err := range errs {
		if apiCode(err) == "429 rate_limited" {
			t.Fatalf("attempt %d of 20 over two servers refused", i+1)
		}
	}
	if errs := bookAlternately(es, 2); apiCode(errs[0]) != "429 rate_limited" || apiCode(errs[1]) != "429 rate_limited" {
		t.Fatalf("21st and 22nd: %v, %v", errs[0], errs[1])
	}
}

// When the database of the shared limits is down, the anonymous
// endpoints refuse with 503 rather than let an unlimited flood through,
// and sign-ins go on with each server's own delays.
func TestSharedLimitsDown(t *testing.T) {
	ck := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	c, ls := sharedLimits(t)
	es := twoServers(t, ck, ls)
	ctx := context.Background()
	b, err := bookAs(es[0].clerk, "2026-11-24T09:00:00+07:00", 1, nil) // staff: no limit
	must(t, err)
	c.Kill(t)

	pub := apiv1.NewClient(es[0].srv.URL)
	if _, err := bookAs(pub, "2026-11-24T09:00:00+07:00", 2, nil); apiCode(err) != "503 unavailable" {
		t.Fatalf("anonymous booking with the limits down: %v", err)
	}
	if _, err := pub.Do(ctx, "GET", "/api/v1/bookings/"+b.Code, nil, nil); apiCode(err) != "503 unavailable" {
		t.Fatalf("look-up by code with the limits down: %v", err)
	}
	if code, _ := post(t, es[1].srv.URL, "/api/v1/kiosks/enroll", `{"token":"not-a-token"}`); code != http.StatusServiceUnavailable {
		t.Fatalf("enrolment with the limits down: %d", code)
	}
	// Staff are not limited: the clerk still looks the booking up.
	if _, err := es[0].clerk.Do(ctx, "GET", "/api/v1/bookings/"+b.Code, nil, nil); err != nil {
		t.Fatalf("the clerk's look-up: %v", err)
	}

	// Sign-ins go on, slowed down in each server's memory.
	login := func(e *env, password string) (int, string) {
		return post(t, e.srv.URL, "/api/v1/login", `{"username":"canbo1","password":"`+password+`"}`)
	}
	if code, _ := login(es[0], "clerk-secret"); code != http.StatusOK {
		t.Fatalf("sign-in with the limits down: %d", code)
	}
	for i := range 4 {
		if code, _ := login(es[0], "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("typo %d: %d", i+1, code)
		}
	}
	if code, after := login(es[0], "clerk-secret"); code != http.StatusTooManyRequests || after != "1" {
		t.Fatalf("after four typos on this server: %d Retry-After %q", code, after)
	}
	if code, _ := login(es[1], "clerk-secret"); code != http.StatusOK {
		t.Fatalf("the other server, which saw no typo: %d", code)
	}
}
