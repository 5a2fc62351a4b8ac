package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/bolt"
	"xephang/queue-server/engine"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
)

func challenge(t *testing.T, c *apiv1.Client) httpapi.Challenge {
	t.Helper()
	var ch httpapi.Challenge
	_, err := c.Do(context.Background(), "GET", "/api/v1/challenge", nil, &ch)
	must(t, err)
	return ch
}

// TestSpentSolutionRefusedAfterRestart: a solution spent on a booking is
// refused again after the server restarts on the same bbolt file (the
// spent list lived in memory and was forgotten).
func TestSpentSolutionRefusedAfterRestart(t *testing.T) {
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	e, ck := bookingEnv(t, at)
	dir := filepath.Dir(e.store.DB().Path())
	start := "2026-11-24T09:00:00+07:00"
	sol, ok := httpapi.SolveChallenge(challenge(t, apiv1.NewClient(e.srv.URL)))
	if !ok {
		t.Fatal("no solution")
	}
	h := http.Header{"X-Altcha": {sol}}
	if _, err := bookAs(apiv1.NewClient(e.srv.URL), start, 1, h); err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.eng.Close()
	must(t, e.store.Close())

	st, err := bolt.Open(dir)
	must(t, err)
	eng, err := engine.New(engine.Config{Store: st, Now: ck.Now})
	must(t, err)
	// The same key as before the restart: only the spent list is in question.
	srv := httptest.NewServer(openapitest.Wrap(t, httpapi.New(httpapi.Config{BcryptCost: bcrypt.MinCost, Engine: eng, Store: st, Now: ck.Now, Secret: e.secret})))
	t.Cleanup(func() { srv.Close(); eng.Close(); st.Close() })
	if _, err := bookAs(apiv1.NewClient(srv.URL), start, 2, h); apiCode(err) != "403 challenge_failed" {
		t.Fatalf("the spent solution after a restart: %v, want 403 challenge_failed", err)
	}
	// A fresh one still works.
	sol2, _ := httpapi.SolveChallenge(challenge(t, apiv1.NewClient(srv.URL)))
	if _, err := bookAs(apiv1.NewClient(srv.URL), start, 3, http.Header{"X-Altcha": {sol2}}); err != nil {
		t.Fatalf("a fresh solution: %v", err)
	}
}

// TestDifficultyRisesUnderBurst: a burst of challenges raises maxnumber,
// bounded; a minute later it is back at the base.
func TestDifficultyRisesUnderBurst(t *testing.T) {
	ck := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	e := newEnvAt(t, ck.Now)
	pub := apiv1.NewClient(e.srv.URL)
	base := challenge(t, pub).MaxNumber
	if base < 100_000 {
		t.Fatalf("base maxnumber %d", base)
	}
	top := base
	for range 400 {
		ch := challenge(t, pub)
		if ch.MaxNumber < top {
			t.Fatalf("maxnumber fell during the burst: %d after %d", ch.MaxNumber, top)
		}
		top = ch.MaxNumber
	}
	if top <= 2*base || top > 10*base {
		t.Fatalf("after a burst of 400 challenges in a second: maxnumber %d (base %d), want raised and bounded", top, base)
	}
	// The solution of a harder challenge is verified the same way.
	ch := challenge(t, pub)
	if _, ok := httpapi.SolveChallenge(ch); !ok {
		t.Fatal("no solution under load")
	}
	ck.Add(61 * time.Second)
	if got := challenge(t, pub).MaxNumber; got != base {
		t.Fatalf("a minute after the burst: maxnumber %d, want %d", got, base)
	}
}
