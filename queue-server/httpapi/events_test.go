package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/queue"
)

// TestReplayBoundedToToday: a stream asked for events since 0 (or any
// seq before today) replays only the current local day's events, after a
// replay.truncated message whose seq is the one they follow; a since
// within today is unchanged.
func TestReplayBoundedToToday(t *testing.T) {
	ck := &clock{t: time.Date(2026, 12, 1, 16, 0, 0, 0, hcm)}
	e := newEnvAt(t, ck.Now)
	ctx := context.Background()
	for range 5 {
		_, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
		must(t, err)
	}
	ck.Set(time.Date(2026, 12, 2, 8, 0, 0, 0, hcm)) // the next morning
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret"))
	tk, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	q, _ := e.clerk.Queue(ctx, centreID)
	anon := apiv1.NewClient(e.srv.URL)
	for _, since := range []uint64{0, 3} {
		s, err := anon.Events(ctx, centreID, since)
		must(t, err)
		first, err := s.Next(time.Now().Add(5 * time.Second))
		must(t, err)
		if first.Type != httpapi.EventReplayTruncated || first.Seq < 6 || first.At.IsZero() {
			t.Fatalf("since=%d: first message %+v, want %s after yesterday's events", since, first, httpapi.EventReplayTruncated)
		}
		var got []queue.Event
		for seq := first.Seq; seq < q.LastSeq; {
			ev, err := s.Next(time.Now().Add(5 * time.Second))
			must(t, err)
			if ev.Seq != seq+1 || !ev.At.After(time.Date(2026, 12, 2, 0, 0, 0, 0, hcm)) {
				t.Fatalf("since=%d: replayed %+v after seq %d: not today's, or a gap", since, ev, seq)
			}
			got, seq = append(got, ev), ev.Seq
		}
		if last := got[len(got)-1]; last.Type != queue.EventIssued || last.Ticket.ID != tk.ID {
			t.Fatalf("since=%d: last replayed %+v", since, last)
		}
		s.Close()
	}
	// A since within today replays from there, with no truncation message.
	s, err := anon.Events(ctx, centreID, q.LastSeq-1)
	must(t, err)
	defer s.Close()
	if ev, err := s.Next(time.Now().Add(5 * time.Second)); err != nil || ev.Seq != q.LastSeq || ev.Type != queue.EventIssued {
		t.Fatalf("since within today: %+v %v", ev, err)
	}
}

// TestStreamsPerAddress: one address holds at most DefaultStreamsPerAddr
// streams; the next is refused with 429 before the upgrade, and a closed
// stream frees its place.
func TestStreamsPerAddress(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	anon := apiv1.NewClient(e.srv.URL)
	var open []*apiv1.EventStream
	for range httpapi.DefaultStreamsPerAddr {
		s, err := anon.Events(ctx, centreID, 0)
		must(t, err)
		open = append(open, s)
	}
	if _, err := anon.Events(ctx, centreID, 0); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("stream %d from one address: %v, want 429", httpapi.DefaultStreamsPerAddr+1, err)
	}
	// Staff are counted too: the limit is the address's.
	if _, err := e.clerk.Events(ctx, centreID, 0); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("one more with a token: %v, want 429", err)
	}
	open[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := anon.Events(ctx, centreID, 0)
		if err == nil {
			s.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream did not free its place: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, s := range open[1:] {
		s.Close()
	}
}
