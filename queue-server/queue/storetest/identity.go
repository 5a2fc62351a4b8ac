package storetest

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// Identities returns the store's queue.Identities, failing the test when
// it has none.
func Identities(t testing.TB, s queue.Store) queue.Identities {
	t.Helper()
	p, ok := s.(queue.Identities)
	if !ok {
		t.Fatalf("%T is not a queue.Identities", s)
	}
	return p
}

// testIdentities: an identity reads back whole (its face, its card as
// JSON, its lists, times), a reopened store has it, a second put replaces
// it (a face taken away too), an unknown ticket is ENotFound, and the
// purge erases what expired at its time, at every centre, faces with
// them, and keeps the rest.
func testIdentities(t *testing.T, open Open) {
	s, reopen := open(t)
	ids := Identities(t, s)
	read := time.Date(2026, 12, 1, 2, 30, 0, 0, time.UTC)
	endOfDay := time.Date(2026, 12, 2, 0, 0, 0, 0, hcm)
	face := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x42}, 3000)...)
	card := json.RawMessage(`{"birth_date":"1990-01-02","id_number":"001090000001","name":"Nguyễn Thị Hương"}`)
	a := queue.TicketIdentity{TicketID: "t-a", Centre: "phuong-d", Source: queue.IdentitySourceChip, Authenticity: queue.AuthDataAltered,
		Problems: []string{"DG13 hash differs"}, Mismatches: []string{"name"}, Card: card, FaceJPEG: face, ReadAt: read, Expires: endOfDay}
	b := queue.TicketIdentity{TicketID: "t-b", Centre: "xa-khac", Source: queue.IdentitySourceChip, Authenticity: queue.AuthGenuine,
		Problems: []string{}, Mismatches: []string{}, Card: json.RawMessage(`{}`), ReadAt: read, Expires: endOfDay.Add(24 * time.Hour)}
	for _, id := range []queue.TicketIdentity{a, b} {
		if err := ids.PutIdentity(id); err != nil {
			t.Fatal(err)
		}
	}
	if reopen != nil {
		ids = Identities(t, reopen())
	}
	same := func(what string, got, want queue.TicketIdentity) {
		t.Helper()
		var g, w any
		json.Unmarshal(got.Card, &g)
		json.Unmarshal(want.Card, &w)
		got.Card, want.Card = nil, nil
		sameJSON(t, what, got, want)
		sameJSON(t, what+" card", g, w)
		if !bytes.Equal(got.FaceJPEG, want.FaceJPEG) {
			t.Errorf("%s: face of %d bytes, want %d", what, len(got.FaceJPEG), len(want.FaceJPEG))
		}
		if !got.ReadAt.Equal(want.ReadAt) || !got.Expires.Equal(want.Expires) {
			t.Errorf("%s: read at %v expires %v, want %v %v", what, got.ReadAt, got.Expires, want.ReadAt, want.Expires)
		}
	}
	got, err := ids.Identity("t-a")
	if err != nil {
		t.Fatal(err)
	}
	same("t-a", got, a)
	if got, err = ids.Identity("t-b"); err != nil || len(got.FaceJPEG) != 0 {
		t.Errorf("t-b: %d bytes of face %v, want none", len(got.FaceJPEG), err)
	}
	if _, err := ids.Identity("t-none"); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("unknown ticket: %v, want ENotFound", err)
	}
	// Read again at the counter: replaced, the face with it.
	a2 := a
	a2.Authenticity, a2.Problems, a2.Mismatches, a2.FaceJPEG, a2.ReadAt = queue.AuthGenuine, []string{}, []string{}, nil, read.Add(time.Hour)
	if err := ids.PutIdentity(a2); err != nil {
		t.Fatal(err)
	}
	if got, err = ids.Identity("t-a"); err != nil {
		t.Fatal(err)
	}
	same("t-a read again", got, a2)
	if err := ids.PutIdentity(a); err != nil {
		t.Fatal(err)
	}
	// The purge erases at the end of the day, not a second before.
	if n, err := ids.PurgeIdentities(endOfDay.Add(-time.Second)); err != nil || n != 0 {
		t.Errorf("purge before the end of the day: %d %v, want 0", n, err)
	}
	if n, err := ids.PurgeIdentities(endOfDay); err != nil || n != 1 {
		t.Errorf("purge at the end of the day: %d %v, want 1", n, err)
	}
	if _, err := ids.Identity("t-a"); queue.ErrorCode(err) != queue.ENotFound {
		t.Errorf("t-a after the purge: %v, want ENotFound", err)
	}
	if _, err := ids.Identity("t-b"); err != nil {
		t.Errorf("t-b, of the next day, after the purge: %v", err)
	}
	// Put again after the purge: a face is not left behind from before.
	a3 := a
	a3.FaceJPEG = nil
	if err := ids.PutIdentity(a3); err != nil {
		t.Fatal(err)
	}
	if got, err := ids.Identity("t-a"); err != nil || len(got.FaceJPEG) != 0 {
		t.Errorf("t-a put again after the purge: %d bytes of face %v, want none", len(got.FaceJPEG), err)
	}
	if n, err := ids.PurgeIdentities(endOfDay.Add(48 * time.Hour)); err != nil || n != 2 {
		t.Errorf("purge of both: %d %v, want 2", n, err)
	}
}
