package queue

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDossierExpires(t *testing.T) {
	c := testCentre()
	for _, tc := range []struct {
		days int
		day  string
		want time.Time
	}{
		{0, "2026-11-24", time.Date(2026, 12, 25, 0, 0, 0, 0, hcm)}, // the default 30 days
		{30, "2026-11-24", time.Date(2026, 12, 25, 0, 0, 0, 0, hcm)},
		{1, "2026-12-31", time.Date(2027, 1, 2, 0, 0, 0, 0, hcm)},
	} {
		c.Rules.RetentionDays = tc.days
		if got := DossierExpires(c, tc.day); !got.Equal(tc.want) {
			t.Errorf("%d days after %s: %v, want %v", tc.days, tc.day, got, tc.want)
		}
	}
}

func TestCheckDossierLimits(t *testing.T) {
	many := make([]DossierDocument, MaxDossierDocuments)
	heavy := []DossierDocument{{Size: 19 << 20}, {Size: 19 << 20}, {Size: 19 << 20}, {Size: 19 << 20}, {Size: 19 << 20},
		{Size: 19 << 20}, {Size: 19 << 20}, {Size: 19 << 20}, {Size: 19 << 20}, {Size: 19 << 20}}
	for _, tc := range []struct {
		name string
		have []DossierDocument
		size int
		code string
		text string
	}{
		{"first", nil, 1000, "", ""},
		{"at 20 MB", nil, MaxDossierDocumentBytes, "", ""},
		{"over 20 MB", nil, MaxDossierDocumentBytes + 1, ETooLarge, "20 MB"},
		{"the 41st", many, 10, EInvalid, "40"},
		{"past 200 MB", heavy, 11 << 20, ETooLarge, "200 MB"},
		{"up to 200 MB", heavy, 10 << 20, "", ""},
	} {
		err := CheckDossierLimits(tc.have, tc.size)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var e *Error
		if ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: %v, want %s naming %s", tc.name, err, tc.code, tc.text)
		} else if errors.As(err, &e) && !strings.Contains(e.VI, tc.text) {
			t.Errorf("%s: Vietnamese %q does not name %s", tc.name, e.VI, tc.text)
		}
	}
}

// A ticket's dossier mark changes with an event that says which ticket
// only; the same mark again emits nothing; a booking's form goes with
// the ticket of its check-in.
func TestMarkDossier(t *testing.T) {
	l := bookingLive(t, nil)
	tk := issue(t, l, day0, "A", "")
	l.TakeChanges()
	got, err := l.MarkDossier(day0, tk.ID, DossierMark{Documents: 2})
	if err != nil || got.Dossier == nil || got.Dossier.Documents != 2 {
		t.Fatalf("MarkDossier: %+v %v", got.Dossier, err)
	}
	ch := l.TakeChanges()
	if len(ch.Events) != 1 || ch.Events[0].Type != EventDossier || len(ch.Tickets) != 1 {
		t.Fatalf("changes: %d events %+v, %d tickets", len(ch.Events), ch.Events, len(ch.Tickets))
	}
	raw, _ := json.Marshal(ch.Events[0])
	if strings.Contains(string(raw), "documents") {
		t.Errorf("the event tells what the dossier holds: %s", raw)
	}
	l.MarkDossier(day0, tk.ID, DossierMark{Documents: 2})
	if ch := l.TakeChanges(); len(ch.Events) != 0 {
		t.Errorf("the same mark again: %d events", len(ch.Events))
	}
	if _, err := l.MarkDossier(day0, "nope", DossierMark{Form: true}); ErrorCode(err) != ENotFound {
		t.Errorf("no ticket: %v", err)
	}

	slot := time.Date(2026, 11, 23, 9, 0, 0, 0, hcm)
	b, err := book(l, day0, slot, "k-form")
	if err != nil {
		t.Fatal(err)
	}
	if b, err = l.MarkBookingForm(day0, b.Code); err != nil || !b.Form {
		t.Fatalf("MarkBookingForm: %+v %v", b, err)
	}
	ct, _, err := l.CheckIn(slot.Add(-10*time.Minute), b.Code, "kiosk1", "kiosk1")
	if err != nil || ct.Dossier == nil || !ct.Dossier.Form {
		t.Fatalf("the ticket of a booking with a form: %+v %v", ct.Dossier, err)
	}
	if lt, _ := l.Ticket(ct.ID); lt.Dossier == nil || !lt.Dossier.Form {
		t.Errorf("the live ticket: %+v", lt.Dossier)
	}
}
