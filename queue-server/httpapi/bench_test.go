package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/httpapi"
)

// BenchmarkIssueHandler issues tickets through the whole handler (routing,
// auth, decoding, engine, fsync'd bbolt commit, reply) without the network:
// the server's own cost of a lone ticket.
func BenchmarkIssueHandler(b *testing.B) { benchIssueHandler(b, false) }

// BenchmarkIssueHandlerCPU is the same with fsync off: the CPU a ticket
// costs the server, which make bench sets against a bare bbolt Update's.
func BenchmarkIssueHandlerCPU(b *testing.B) { benchIssueHandler(b, true) }

// BenchmarkIssueNotifiedHandlerCPU is BenchmarkIssueHandlerCPU with each
// ticket asking to be told by phone: what a contact (and its audit, and
// the ticket's own "near" check) adds to a ticket.
func BenchmarkIssueNotifiedHandlerCPU(b *testing.B) {
	benchIssueBodies(b, true, []string{`{"service":"A","notify":{"consent":true,"phone":"0912345678"}}`, `{"service":"B","notify":{"consent":true,"phone":"0912345679"}}`})
}

func benchIssueHandler(b *testing.B, nosync bool) {
	benchIssueBodies(b, nosync, []string{`{"service":"A"}`, `{"service":"B"}`})
}

func benchIssueBodies(b *testing.B, nosync bool, bodies []string) {
	e := newEnv(b)
	e.store.DB().NoSync = nosync
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest("POST", "/api/v1/centres/"+centreID+"/tickets", strings.NewReader(bodies[i%2]))
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.api.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkIssueLoopback issues tickets from one client over real HTTP on
// loopback (keep-alive), client and server in this process.
func BenchmarkIssueLoopback(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: []string{"A", "B"}[i%2]}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSolveChallenge is what a native script pays per anonymous
// booking at the base difficulty: a real challenge solved as a tuned
// native solver does (SolveChallenge: one buffer, SHA-256 in assembly).
// ns/op is the average over random secret numbers; docs/benchmarks.md
// sets it beside the browser's cost.
func BenchmarkSolveChallenge(b *testing.B) {
	e := newEnv(b)
	pub := apiv1.NewClient(e.srv.URL)
	var chs []httpapi.Challenge
	for range 16 {
		var ch httpapi.Challenge
		if _, err := pub.Do(context.Background(), "GET", "/api/v1/challenge", nil, &ch); err != nil {
			b.Fatal(err)
		}
		chs = append(chs, ch)
	}
	b.ReportMetric(float64(chs[0].MaxNumber), "maxnumber")
	hashes := 0
	for i := 0; b.Loop(); i++ {
		sol, ok := httpapi.SolveChallenge(chs[i%len(chs)])
		if !ok {
			b.Fatal("no solution")
		}
		raw, _ := base64.StdEncoding.DecodeString(sol)
		var s httpapi.Solution
		json.Unmarshal(raw, &s)
		hashes += s.Number + 1
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(hashes), "ns/hash")
}

// BenchmarkOnlineTicketHandlerCPU takes same-day numbers through the whole
// handler as staff do for a citizen on the phone (no proof of work), each
// for a new citizen with phone notifications, fsync off: what the CCCD
// check, the citizen's daily limit, the contact and the outbox messages
// add to BenchmarkIssueHandlerCPU's ticket. Every ticket here waits
// with notifications, so the line the domain's "near" check simulates at
// each commit grows with b.N: measured 2026-12-04 at 2,000 numbers, about
// 1.05 ms a number against 0.06 ms for a plain ticket, two thirds of it in
// queue.(*Live).checkNear's simulation of the whole line; 0.45–0.6 ms
// once the near check stopped dealing the line for plain arrivals, still
// half of it in checkNear.
func BenchmarkOnlineTicketHandlerCPU(b *testing.B) {
	e := newEnvAt(b, func() time.Time { return mondayNine })
	e.store.DB().NoSync = true
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		body := `{"service":"A","citizen":{"id_number":"` + cccd(i) + `","phone":"0912345678"},"notify":{"consent":true}}`
		req := httptest.NewRequest("POST", "/api/v1/centres/"+centreID+"/online-tickets", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.api.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkProcedureAnswerHandler answers questions through the handler
// (GET /api/v1/procedures?q=&centre=: the catalogue's answer, the centre's
// services, the JSON), a clerk's so no limit applies; p99-ms is one
// answer's 99th percentile.
func BenchmarkProcedureAnswerHandler(b *testing.B) {
	e := newEnv(b)
	qs := []string{"lam giay khai sinh cho con can gi", "đk kết hôn", "sổ đỏ lần đầu", "chứng thực photo", "nhập hộ khẩu cho vợ", "thoi tiet hom nay"}
	var times []time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		req := httptest.NewRequest("GET", "/api/v1/procedures?centre="+centreID+"&q="+url.QueryEscape(qs[i%len(qs)]), nil)
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		w := httptest.NewRecorder()
		e.api.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100])/float64(time.Millisecond), "p99-ms")
}

// BenchmarkPutIdentityHandler sends a chip's identity with a face of a
// real chip's size (480×640 JPEG) through the whole handler: strict
// decoding of the base64 face, the JPEG header check, the card's
// normalisation, the store's write (fsync'd bbolt) and the event's round,
// alternating two reads so that each one is a change.
func BenchmarkPutIdentityHandler(b *testing.B) { benchPutIdentity(b, false) }

// BenchmarkPutIdentityHandlerCPU is the same with fsync off: the CPU an
// identity costs the server.
func BenchmarkPutIdentityHandlerCPU(b *testing.B) { benchPutIdentity(b, true) }

func benchPutIdentity(b *testing.B, nosync bool) {
	e := newEnv(b)
	e.store.DB().NoSync = nosync
	tk, err := e.clerk.Issue(context.Background(), centreID, apiv1.IssueRequest{Service: "A"})
	if err != nil {
		b.Fatal(err)
	}
	var bodies [2][]byte
	for i, auth := range []string{"genuine", "data_altered"} {
		in := identityOf(b, auth, faceJPEG(b, 480, 640))
		bodies[i], _ = json.Marshal(in)
	}
	b.SetBytes(int64(len(bodies[0])))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest("PUT", "/api/v1/tickets/"+tk.ID+"/identity", bytes.NewReader(bodies[i%2]))
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.api.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
