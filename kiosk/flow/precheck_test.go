package flow

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/scanner/scannersim"
	"xephang/kiosk/catalogue"
	"xephang/kiosk/outbox"
	"xephang/kiosk/precheck"
)

// fakeChecker stands in for the OCR (the real one runs in the kiosk's
// end-to-end test): every document present but the second, missing.
type fakeChecker struct{ pages int }

func (f *fakeChecker) Catalogue() *catalogue.Catalogue { return catalogue.Default() }

func (f *fakeChecker) CheckPages(_ context.Context, procedure string, pages []precheck.Page, _ *idcard.Card, progress func(precheck.Progress)) (*precheck.Result, []precheck.PageText, error) {
	f.pages = len(pages)
	proc, err := catalogue.Default().Procedure(procedure)
	if err != nil {
		return nil, nil, err
	}
	res := &precheck.Result{Procedure: procedure, Fields: map[string]string{"child_name": "NGUYỄN AN"}}
	for i, d := range proc.Documents {
		st := precheck.Present
		if i == 1 {
			st = precheck.Missing
		}
		res.Documents = append(res.Documents, precheck.DocumentResult{Name: d.Name, Status: st, Required: d.Required, Reasons: []string{"lý do"}})
	}
	texts := make([]precheck.PageText, len(pages))
	for n := range pages {
		progress(precheck.Progress{Page: n + 1, Pages: len(pages), Stage: "page-done", Done: n + 1})
		texts[n] = precheck.PageText{DPI: 300}
	}
	return res, texts, nil
}

// fakeDigitise makes one "PDF" per document present, naming its pages.
func fakeDigitise(res *precheck.Result, pages []precheck.PageText) ([]outbox.Document, error) {
	var out []outbox.Document
	for _, d := range res.Documents {
		if d.Status == precheck.Present {
			out = append(out, outbox.Document{Name: d.Name, Kind: "k", Pages: len(pages), Status: string(d.Status),
				Reasons: d.Reasons, Fields: map[string]string{"child_name": "NGUYỄN AN"}, PDF: []byte("%PDF-1.7 " + d.Name)})
		}
	}
	return out, nil
}

func TestPrecheckOfflineKeepsTheResultWithTheTicket(t *testing.T) {
	k, pr, st, events := newOfflineKiosk(t)
	fc := &fakeChecker{}
	k.cfg.Prechecker, k.cfg.Scanner, k.cfg.ScanDir = fc, &scannersim.Scanner{Pages: 2}, t.TempDir()
	k.cfg.Digitise = fakeDigitise
	ctx := context.Background()
	if err := k.StartPrecheck(); err != nil || k.Machine.State().Step != StepChooseProc {
		t.Fatalf("start: %v %+v", err, k.Machine.State())
	}
	v, err := k.ScanPrecheck(ctx, "khai-sinh", false)
	if err != nil {
		t.Fatal(err)
	}
	if fc.pages != 2 || v.Pages != 2 || v.OK || v.Documents[1].Status != "missing" || v.Service == nil || v.Service.Code != "A" {
		t.Fatalf("view %+v", v)
	}
	if st := k.Machine.State(); st.Step != StepResult {
		t.Fatalf("state %+v", st)
	}
	if b, _ := json.Marshal(v); json.Valid(b) && containsString(string(b), "NGUYỄN") {
		t.Error("the screen's view carries a field read from the papers")
	}
	if files, _ := os.ReadDir(k.cfg.ScanDir); len(files) != 0 {
		t.Errorf("scanned files left: %v", files)
	}
	// The flatbed way: one more page, checked again with the others.
	sim := k.cfg.Scanner.(*scannersim.Scanner)
	sim.Pages = 1
	if v, err = k.ScanPrecheck(ctx, "", true); err != nil || v.Pages != 3 || fc.pages != 3 {
		t.Fatalf("one more page: %d pages, %v", v.Pages, err)
	}
	var scans, checks int
	for len(events) > 0 {
		switch e := <-events; e.Type {
		case "scan":
			scans++
		case "check":
			checks++
		}
	}
	if scans < 3 || checks < 3 {
		t.Errorf("progress events: %d scan, %d check", scans, checks)
	}
	// Offline: the number comes from the block, the result waits with it.
	v, err = k.PrecheckTicket(ctx, "", "")
	if err != nil || v.Printed == nil || !v.Printed.Offline || v.Printed.Number != "A101" {
		t.Fatalf("ticket %+v %v", v, err)
	}
	pending, _ := st.Tickets(outbox.Pending)
	if len(pending) != 1 || len(pending[0].Precheck) == 0 || pending[0].PrecheckAttached {
		t.Fatalf("outbox %+v", pending)
	}
	var res precheck.Result
	if err := json.Unmarshal(pending[0].Precheck, &res); err != nil || res.Procedure != "khai-sinh" {
		t.Errorf("kept result %v %+v", err, res)
	}
	// The digitised documents wait with it, each with an id of its own.
	docs := pending[0].Documents
	if len(docs) != len(res.Documents)-1 || docs[0].ID == "" || docs[0].ID == docs[1].ID || docs[0].Size == 0 || docs[0].SHA256 == "" {
		t.Fatalf("documents kept %+v", docs)
	}
	if b, err := st.DocumentPDF(docs[0]); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Errorf("document file %q %v", b, err)
	}
	if len(pr.printed) != 1 || len(pr.docs) != 1 {
		t.Fatalf("printed %d tickets, %d checklists", len(pr.printed), len(pr.docs))
	}
	enc, _ := escpos.EncodeCP1258("Số thứ tự: A101")
	if !containsString(string(pr.docs[0]), string(enc)) {
		t.Error("the checklist does not carry the number")
	}
	if st := k.Machine.State(); st.Step != StepPrinted {
		t.Errorf("state %+v", st)
	}
	// Home forgets the session.
	k.Machine.Home()
	waitFor(t, func() bool { _, ok := k.PrecheckResult(); return !ok })
	if _, err := k.PrecheckTicket(ctx, "", ""); !errors.Is(err, errNoPrecheck) {
		t.Errorf("after home: %v", err)
	}
}

func TestPrecheckRefusals(t *testing.T) {
	k, _, _, _ := newOfflineKiosk(t)
	if err := k.StartPrecheck(); err != nil || k.Machine.State().Step != StepUnavailable {
		t.Fatalf("no scanner: %+v", k.Machine.State())
	}
	k.cfg.Prechecker, k.cfg.Scanner, k.cfg.ScanDir = &fakeChecker{}, &scannersim.Scanner{JamAt: 1, Pages: 2}, t.TempDir()
	_, err := k.ScanPrecheck(context.Background(), "khai-sinh", false)
	var fe *Error
	if !errors.As(err, &fe) || fe.Code != "scanner" || k.Machine.State().Step != StepFailed {
		t.Fatalf("jam: %v %+v", err, k.Machine.State())
	}
	if _, err := k.ScanPrecheck(context.Background(), "nope", false); !errors.As(err, &fe) || fe.Code != "unknown_procedure" {
		t.Errorf("unknown procedure: %v", err)
	}
	k.cfg.Link.(*fakeLink).suspended = "revoked"
	if _, err := k.TakeNumber(context.Background(), "A", ""); !errors.As(err, &fe) || fe.Code != "out_of_service" {
		t.Errorf("revoked kiosk issued: %v", err)
	}
}

func containsString(s, sub string) bool { return strings.Contains(s, sub) }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("timed out")
}
