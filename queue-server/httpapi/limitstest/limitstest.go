// Package limitstest is the behaviour every httpapi.Limits keeps: one
// table of token-bucket takes and sign-in delays that the in-memory limits
// and the shared ones (package pglimits) both pass, and a race of many
// callers that must each be counted once.
package limitstest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xephang/queue-server/httpapi"
)

// Start is the time every case begins at; steps are offsets from it.
var Start = time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)

// step is one call: op is take, wait, fail, undo or reset; times repeats
// it (each with the same answer); want is a take's answer, wait a Wait's.
type step struct {
	at    time.Duration
	op    string
	key   string
	times int
	want  bool
	wait  time.Duration
	rate  *httpapi.Rate          // instead of the case's
	pol   *httpapi.BackoffPolicy // instead of the case's
}

func take(at time.Duration, key string, times int, want bool) step {
	return step{at: at, op: "take", key: key, times: times, want: want}
}
func wait(at time.Duration, key string, d time.Duration) step {
	return step{at: at, op: "wait", key: key, times: 1, wait: d}
}
func fail(at time.Duration, key string, times int) step {
	return step{at: at, op: "fail", key: key, times: times}
}
func undo(key string) step  { return step{op: "undo", key: key, times: 1} }
func reset(key string) step { return step{op: "reset", key: key, times: 1} }

const (
	ms = time.Millisecond
	s  = time.Second
	m  = time.Minute
	h  = time.Hour
)

type limitsCase struct {
	name  string
	rate  httpapi.Rate          // 10 an hour unless set
	pol   httpapi.BackoffPolicy // the sign-in policy of accounts unless set
	steps []step
}

// Cases is the behaviour table.
var cases = []limitsCase{
	{name: "a burst, then refused", steps: []step{
		take(0, "a", 10, true), take(0, "a", 1, false), take(5*m, "a", 1, false),
	}},
	{name: "refilled at burst per window", steps: []step{
		take(0, "a", 10, true), take(5*m, "a", 1, false),
		take(6*m+30*s, "a", 1, true), take(6*m+30*s, "a", 1, false), // 1.08 tokens, one taken
		take(18*m+30*s, "a", 2, true), take(18*m+30*s, "a", 1, false), // 0.08 + 2
	}},
	{name: "full after an idle while, never more than the burst", steps: []step{
		take(0, "a", 10, true), take(3*h, "a", 10, true), take(3*h, "a", 1, false),
	}},
	{name: "refused takes cost nothing", steps: []step{
		take(0, "a", 10, true), take(m, "a", 100, false), take(6*m+30*s, "a", 1, true), take(6*m+30*s, "a", 1, false),
	}},
	{name: "keys apart", steps: []step{
		take(0, "a", 10, true), take(0, "a", 1, false), take(0, "b", 10, true), take(0, "b", 1, false),
	}},
	{name: "limits apart", steps: []step{
		take(0, "a", 10, true), take(0, "a", 1, false),
		{op: "take", key: "a", times: 3, want: true, rate: &httpapi.Rate{Name: "other", Burst: 3, Window: time.Minute}},
	}},
	{name: "a take behind the last one refills nothing", steps: []step{
		take(10*m, "a", 5, true), take(0, "a", 5, true), take(0, "a", 1, false), take(5*m, "a", 1, false),
		take(16*m, "a", 1, true), // 6 minutes after the last take at 10 min
	}},
	{name: "fractions of a second", rate: httpapi.Rate{Name: "fast", Burst: 2, Window: s}, steps: []step{
		take(0, "a", 2, true), take(250*ms, "a", 1, false), take(500*ms, "a", 1, true), take(500*ms, "a", 1, false),
		take(1500*ms, "a", 2, true), take(1500*ms, "a", 1, false),
	}},

	{name: "no failure, no wait", steps: []step{wait(0, "a", 0)}},
	{name: "free failures, then 1 s doubling up to 30 s", steps: []step{
		fail(0, "a", 3), wait(0, "a", 0),
		fail(0, "a", 1), wait(0, "a", s), wait(400*ms, "a", 600*ms), wait(s, "a", 0),
		fail(s, "a", 1), wait(s, "a", 2*s),
		fail(3*s, "a", 1), wait(3*s, "a", 4*s),
		fail(7*s, "a", 1), wait(7*s, "a", 8*s),
		fail(15*s, "a", 1), wait(15*s, "a", 16*s),
		fail(31*s, "a", 1), wait(31*s, "a", 30*s),
		fail(61*s, "a", 100), wait(61*s, "a", 30*s),
	}},
	{name: "undo takes one failure back", steps: []step{
		fail(0, "a", 5), wait(0, "a", 2*s), undo("a"), wait(0, "a", s), wait(500*ms, "a", 500*ms),
		undo("a"), wait(0, "a", 0), undo("a"), undo("a"), undo("a"), undo("a"), wait(0, "a", 0),
		fail(0, "a", 3), wait(0, "a", 0), fail(0, "a", 1), wait(0, "a", s),
	}},
	{name: "reset forgets", steps: []step{
		fail(0, "a", 6), wait(0, "a", 4*s), reset("a"), wait(0, "a", 0), fail(0, "a", 3), wait(0, "a", 0),
		fail(0, "a", 1), wait(0, "a", s),
	}},
	{name: "forgotten after Forget without a failure", steps: []step{
		fail(0, "a", 5), wait(0, "a", 2*s),
		fail(15*m, "a", 1), wait(15*m, "a", 4*s), // 15 minutes exactly: still counted
		fail(30*m+4*s+ms, "a", 1), wait(30*m+4*s+ms, "a", 0), // afresh: the first failure
		fail(30*m+5*s, "a", 2), wait(30*m+5*s, "a", 0), fail(30*m+5*s, "a", 1), wait(30*m+5*s, "a", s),
	}},
	{name: "a key that waits is not forgotten", pol: httpapi.BackoffPolicy{Name: "slow", Free: 0, Base: 10 * m, Max: h, Forget: m}, steps: []step{
		fail(0, "a", 1), wait(0, "a", 10*m),
		fail(5*m, "a", 1), wait(5*m, "a", 20*m), // the second failure, not a first
		fail(25*m+2*m, "a", 1), wait(27*m, "a", 10*m), // waited, then idle past Forget: afresh
	}},
	{name: "keys and policies apart", steps: []step{
		fail(0, "a", 4), wait(0, "a", s), wait(0, "b", 0),
		{op: "wait", key: "a", times: 1, pol: &httpapi.BackoffPolicy{Name: "other", Free: 3, Base: s, Max: 30 * s, Forget: 15 * m}},
	}},
	{name: "undo and reset of an unknown key do nothing", steps: []step{
		undo("a"), reset("b"), wait(0, "a", 0), wait(0, "b", 0), fail(0, "a", 4), wait(0, "a", s),
	}},
}

// Run checks l against the behaviour table. Every key and limit name is
// prefixed with the case and with prefix, so one l serves every case and
// may hold other keys; prefix tells runs on the same l apart.
func Run(t *testing.T, l httpapi.Limits, prefix string) {
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tag := prefix + "/" + strings.ReplaceAll(c.name, " ", "-") + "/"
			rate := c.rate
			if rate.Name == "" {
				rate = httpapi.Rate{Name: "hourly", Burst: 10, Window: h}
			}
			pol := c.pol
			if pol.Name == "" {
				pol = httpapi.BackoffPolicy{Name: "account", Free: 3, Base: s, Max: 30 * s, Forget: 15 * m}
			}
			for i, st := range c.steps {
				r, p := rate, pol
				if st.rate != nil {
					r = *st.rate
				}
				if st.pol != nil {
					p = *st.pol
				}
				r.Name, p.Name = tag+r.Name, tag+p.Name
				key, now := tag+st.key, Start.Add(st.at)
				for n := range st.times {
					where := fmt.Sprintf("step %d (%s %s at +%v), call %d", i, st.op, st.key, st.at, n+1)
					var err error
					switch st.op {
					case "take":
						var ok bool
						ok, err = l.Take(ctx, r, key, now)
						if err == nil && ok != st.want {
							t.Fatalf("%s: took %v, want %v", where, ok, st.want)
						}
					case "wait":
						var d time.Duration
						d, err = l.Wait(ctx, p, key, now)
						if err == nil && d != st.wait {
							t.Fatalf("%s: wait %v, want %v", where, d, st.wait)
						}
					case "fail":
						err = l.Fail(ctx, p, key, now)
					case "undo":
						err = l.Undo(ctx, p, key)
					case "reset":
						err = l.Reset(ctx, p, key)
					}
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
				}
			}
		})
	}
}

// Concurrent checks that callers racing from many goroutines, spread over
// ls (instances that share one state, or one instance), are each counted
// exactly once: of 200 takes of a burst-10 bucket 10 get a token, and 200
// failures count 200.
func Concurrent(t *testing.T, ls []httpapi.Limits, prefix string) {
	ctx := context.Background()
	const callers = 200
	rate := httpapi.Rate{Name: prefix + "/race", Burst: 10, Window: h}
	pol := httpapi.BackoffPolicy{Name: prefix + "/race", Free: callers, Base: s, Max: 30 * s, Forget: 15 * m}
	var took atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := ls[i%len(ls)]
			<-start
			ok, err := l.Take(ctx, rate, "race", Start)
			if err != nil {
				t.Errorf("take %d: %v", i, err)
			}
			if ok {
				took.Add(1)
			}
			if err := l.Fail(ctx, pol, "race", Start); err != nil {
				t.Errorf("fail %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := took.Load(); n != 10 {
		t.Errorf("%d of %d racing takes of a burst-10 bucket got a token, want 10", n, callers)
	}
	// 200 free failures counted: no wait yet; the 201st waits Base.
	for _, l := range ls {
		if d, err := l.Wait(ctx, pol, "race", Start); err != nil || d != 0 {
			t.Errorf("after %d free failures: wait %v %v, want 0", callers, d, err)
		}
	}
	if err := ls[0].Fail(ctx, pol, "race", Start); err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if d, err := l.Wait(ctx, pol, "race", Start); err != nil || d != s {
			t.Errorf("after %d failures (%d free): wait %v %v, want 1s (a racing failure was lost)", callers+1, callers, d, err)
		}
	}
}
