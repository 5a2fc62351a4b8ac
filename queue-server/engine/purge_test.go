package engine_test

import (
	"encoding/json"
	"testing"
	"time"

	"xephang/queue-server/bolt"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// The hourly purge erases the dossiers that expired, and only those.
func TestPurgeErasesExpiredDossiers(t *testing.T) {
	now := time.Date(2026, 12, 26, 9, 0, 0, 0, time.UTC)
	st, e := purgeEngine(t, now)
	cfg := storetest.Centre("c1")
	for _, o := range []struct{ owner, day string }{{"ticket:old", "2026-11-24"}, {"ticket:new", "2026-11-26"}} {
		f := queue.DossierForm{Owner: o.owner, Centre: "c1", Procedure: "khai-sinh", Filled: json.RawMessage(`{}`), Expires: queue.DossierExpires(cfg, o.day)}
		if err := st.PutForm(f); err != nil {
			t.Fatal(err)
		}
	}
	engine.PurgeNow(e)
	if _, err := st.Form("ticket:old"); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("the form of 24/11, 32 days ago: %v, want purged", err)
	}
	if _, err := st.Form("ticket:new"); err != nil {
		t.Errorf("the form of 26/11, 30 days ago: %v, want kept", err)
	}
}

// The hourly purge erases the question counts of the days more than 90
// days ago, and keeps the others.
func TestPurgeErasesOldProcedureQuestions(t *testing.T) {
	now := time.Date(2026, 12, 26, 9, 0, 0, 0, time.UTC)
	st, e := purgeEngine(t, now)
	for _, day := range []string{"2026-09-26", "2026-09-27"} { // 91 and 90 days ago
		if err := st.CountProcedureQuestion(queue.ProcedureQuestion{Centre: "c1", Day: day, Q: "làm sổ đỏ", At: now}); err != nil {
			t.Fatal(err)
		}
	}
	engine.PurgeNow(e)
	days, err := st.ProcedureQuestionDays("c1", "")
	if err != nil || len(days) != 1 || days[0].Day != "2026-09-27" {
		t.Errorf("after the purge: %+v %v, want the day 90 days ago only", days, err)
	}
}

// purgeEngine is an engine on a new bbolt store whose clock stands at now.
func purgeEngine(t *testing.T, now time.Time) (*bolt.Store, *engine.Engine) {
	t.Helper()
	st, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Config{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(); st.Close() })
	return st, e
}

// The hourly purge erases the chip identities of yesterday's tickets
// (their day ended at midnight, the centre's time) and keeps today's.
func TestPurgeErasesIdentitiesOfPastDays(t *testing.T) {
	now := time.Date(2026, 12, 26, 17, 30, 0, 0, time.UTC) // 00:30 on 27/12 in Hà Nội
	st, e := purgeEngine(t, now)
	cfg := storetest.Centre("c1")
	for _, o := range []struct{ ticket, day string }{{"yesterday", "2026-12-26"}, {"today", "2026-12-27"}} {
		id := queue.TicketIdentity{TicketID: o.ticket, Centre: "c1", Source: queue.IdentitySourceChip, Authenticity: queue.AuthGenuine,
			Card: json.RawMessage(`{}`), FaceJPEG: []byte{0xFF, 0xD8, 0xFF}, ReadAt: now, Expires: queue.IdentityExpires(cfg, o.day)}
		if err := st.PutIdentity(id); err != nil {
			t.Fatal(err)
		}
	}
	engine.PurgeNow(e)
	if _, err := st.Identity("yesterday"); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("the identity of 26/12, half an hour after its day: %v, want purged", err)
	}
	if _, err := st.Identity("today"); err != nil {
		t.Errorf("the identity of 27/12: %v, want kept", err)
	}
}
