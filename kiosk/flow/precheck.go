package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/idcard"
	"xephang/drivers/scanner"
	"xephang/kiosk/catalogue"
	"xephang/kiosk/outbox"
	"xephang/kiosk/precheck"
	"xephang/queue-server/queue"
)

// Prechecker runs the dossier pre-check on scanned pages (*precheck.Checker).
type Prechecker interface {
	CheckPages(ctx context.Context, procedure string, pages []precheck.Page, card *idcard.Card, progress func(precheck.Progress)) (*precheck.Result, []precheck.PageText, error)
	Catalogue() *catalogue.Catalogue
}

// CheckProgress is the OCR's progress for the screen.
type CheckProgress struct {
	Stage string `json:"stage"` // prepare, ocr, page-done, done
	Page  int    `json:"page"`
	Pages int    `json:"pages"`
	Done  int    `json:"done"`
}

// precheckSession is what the pre-check flow learnt from this citizen; it
// lives in memory only and is forgotten when the kiosk goes home.
type precheckSession struct {
	procedure string
	pages     []precheck.Page
	card      *idcard.Card
	result    *precheck.Result
	raw       json.RawMessage   // the result as sent to the server
	docs      []outbox.Document // the documents digitised (PDFs), to go with the ticket
}

// PrecheckView is the result as the screen shows it: per document, its
// status and reasons; never the fields read (names, numbers).
type PrecheckView struct {
	Procedure   string    `json:"procedure"`
	Name        string    `json:"name"`
	NameEN      string    `json:"name_en"`
	OK          bool      `json:"ok"`
	Pages       int       `json:"pages"`
	Documents   []DocView `json:"documents"`
	Problems    []string  `json:"problems,omitempty"` // per page (e.g. rescan at 300 dpi), Vietnamese
	ProblemsEN  []string  `json:"problems_en,omitempty"`
	Service     *Service  `json:"service,omitempty"` // whose number to take; nil: the citizen chooses
	CardRead    bool      `json:"card_read,omitempty"`
	Checklist   []string  `json:"checklist,omitempty"` // the printed checklist's lines
	Printed     *Printed  `json:"printed,omitempty"`   // after "take a number"
	PrintError  *Error    `json:"print_error,omitempty"`
	ElapsedMSec int64     `json:"elapsed_ms"`
}

// DocView is one document of the dossier on screen.
type DocView struct {
	Name       string   `json:"name"`
	Status     string   `json:"status"` // present, missing, unreadable, inconsistent
	Required   bool     `json:"required"`
	Pages      []int    `json:"pages"`
	Reasons    []string `json:"reasons"`
	ReasonsEN  []string `json:"reasons_en"`
	Confidence float64  `json:"confidence"`
}

// PrecheckAvailable reports whether this kiosk can pre-check dossiers.
func (k *Kiosk) PrecheckAvailable() bool { return k.cfg.Prechecker != nil && k.cfg.Scanner != nil }

// StartPrecheck begins the dossier pre-check flow: choose a procedure.
// Without a scanner or the OCR it says it is not available.
func (k *Kiosk) StartPrecheck() error {
	if !k.PrecheckAvailable() {
		return k.Machine.Go(Precheck, StepUnavailable, errPrecheckUnavailable)
	}
	return k.Machine.Start(Precheck)
}

// procedure finds a procedure of the checker's catalogue.
func (k *Kiosk) procedure(id string) (*catalogue.Procedure, error) {
	p, err := k.cfg.Prechecker.Catalogue().Procedure(id)
	if err != nil {
		return nil, unknownProcedure(id)
	}
	return p, nil
}

// ScanPrecheck scans the citizen's papers for procedure and checks them:
// scanning (progress events) → checking (progress events) → result. With
// more, the pages are added to those scanned before in this session (a
// flatbed scanner takes one page at a time); otherwise the session starts
// again. Scanned files are deleted once read.
func (k *Kiosk) ScanPrecheck(ctx context.Context, procedure string, more bool) (PrecheckView, error) {
	if !k.PrecheckAvailable() {
		return PrecheckView{}, errPrecheckUnavailable
	}
	if !k.printMu.TryLock() {
		return PrecheckView{}, errBusy
	}
	defer k.printMu.Unlock()
	k.mu.Lock()
	sess := k.pre
	if sess == nil || !more || (procedure != "" && procedure != sess.procedure) {
		if procedure == "" && sess != nil {
			procedure = sess.procedure
		}
		card := (*idcard.Card)(nil)
		if sess != nil {
			card = sess.card // a card tapped earlier in this session stays
		}
		sess = &precheckSession{procedure: procedure, card: card}
	}
	k.mu.Unlock()
	proc, err := k.procedure(sess.procedure)
	if err != nil {
		return PrecheckView{}, err
	}
	if err := k.Machine.Enter(Precheck, StepScanning, map[string]string{"procedure": proc.ID}); err != nil {
		return PrecheckView{}, errBusy
	}
	start := time.Now()
	v, err := k.scanAndCheck(ctx, proc, sess)
	v.ElapsedMSec = time.Since(start).Milliseconds()
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			fe = errPrecheckFailed
			k.cfg.Log.Error("pre-check", "err", err)
		}
		k.Machine.Go(Precheck, StepFailed, fe)
		return v, fe
	}
	k.mu.Lock()
	k.pre = sess
	k.mu.Unlock()
	k.Machine.Go(Precheck, StepResult, v)
	return v, nil
}

func (k *Kiosk) scanAndCheck(ctx context.Context, proc *catalogue.Procedure, sess *precheckSession) (PrecheckView, error) {
	dir, err := os.MkdirTemp(k.cfg.ScanDir, "scan-")
	if err != nil {
		return PrecheckView{}, fmt.Errorf("flow: scan dir: %w", err)
	}
	defer os.RemoveAll(dir) // personal data: never left on disk
	src := k.cfg.ScanSource
	if src == "" {
		src = scanner.ADF
	}
	dpi := k.cfg.ScanDPI
	if dpi == 0 {
		dpi = 300
	}
	offset := len(sess.pages)
	pages, err := k.cfg.Scanner.Scan(ctx, scanner.Options{Dir: dir, Resolution: dpi, Mode: scanner.Gray, Source: src, MaxPages: 20},
		func(p scanner.Progress) {
			k.emit(Event{Type: "scan", Scan: &ScanProgress{Page: offset + p.Page, Percent: p.Percent, Done: p.Done}})
		})
	// A feeder that ran empty after some pages is the normal end of a batch.
	if err != nil && !(errors.Is(err, scanner.ErrFeederEmpty) && len(pages) > 0) {
		for _, p := range pages {
			os.Remove(p.Path)
		}
		return PrecheckView{}, scannerError(err)
	}
	read, err := precheck.PagesFromScan(pages, dpi)
	for _, p := range pages {
		os.Remove(p.Path)
	}
	if err != nil {
		return PrecheckView{}, err
	}
	if len(read) == 0 {
		return PrecheckView{}, errNoPages
	}
	sess.pages = append(sess.pages, read...)
	if err := k.Machine.Go(Precheck, StepChecking, map[string]any{"procedure": proc.ID, "pages": len(sess.pages)}); err != nil {
		return PrecheckView{}, err
	}
	res, texts, err := k.cfg.Prechecker.CheckPages(ctx, proc.ID, sess.pages, sess.card, func(p precheck.Progress) {
		k.emit(Event{Type: "check", Check: &CheckProgress{Stage: p.Stage, Page: p.Page, Pages: p.Pages, Done: p.Done}})
	})
	if err != nil {
		return PrecheckView{}, err
	}
	sess.docs = nil
	if k.cfg.Digitise != nil {
		// The searchable documents go with the ticket; without them the
		// pre-check still stands (the counter scans the papers).
		if sess.docs, err = k.cfg.Digitise(res, texts); err != nil {
			sess.docs = nil
			k.cfg.Log.Error("digitising the pre-checked pages", "procedure", proc.ID, "err", err)
		}
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return PrecheckView{}, err
	}
	sess.result, sess.raw = res, raw
	k.cfg.Log.Info("dossier pre-checked", "procedure", proc.ID, "pages", len(sess.pages), "ok", res.OK) // no fields: personal data
	return k.view(proc, sess), nil
}

// view is the screen's picture of a session's result.
func (k *Kiosk) view(proc *catalogue.Procedure, sess *precheckSession) PrecheckView {
	res := sess.result
	v := PrecheckView{Procedure: proc.ID, Name: proc.Name, NameEN: proc.NameEN, OK: res.OK, Pages: len(sess.pages),
		Documents: []DocView{}, CardRead: sess.card != nil}
	for _, d := range res.Documents {
		v.Documents = append(v.Documents, DocView{Name: d.Name, Status: string(d.Status), Required: d.Required, Pages: d.Pages,
			Reasons: d.Reasons, ReasonsEN: d.ReasonsEN, Confidence: d.Confidence})
	}
	for _, p := range res.Pages {
		for i, pr := range p.Problems {
			v.Problems = append(v.Problems, fmt.Sprintf("Trang %d: %s", p.Page, pr))
			if i < len(p.ProblemsEN) {
				v.ProblemsEN = append(v.ProblemsEN, fmt.Sprintf("Page %d: %s", p.Page, p.ProblemsEN[i]))
			}
		}
	}
	if centre, ok := k.cfg.Link.Centre(); ok {
		if svc, ok := k.serviceFor(centre, proc); ok {
			v.Service = &Service{Code: svc.Code, Name: svc.Name, NameEn: svc.NameEn, Minutes: svc.Minutes, Counters: counters(centre, svc.Code)}
		}
	}
	v.Checklist = precheck.NewChecklist(res, proc, "", k.cfg.Link.Now()).Text()
	return v
}

// serviceKeywords match a procedure to a service by the service's name
// (folded), when the configuration does not say.
var serviceKeywords = map[string][]string{
	"khai-sinh": {"ho tich"}, "ket-hon": {"ho tich"}, "trich-luc-ho-tich": {"ho tich"},
	"chung-thuc-ban-sao": {"chung thuc"}, "thuong-tru": {"cu tru", "thuong tru"}, "dat-dai-lan-dau": {"dat dai"},
}

// ProcedureFor is the one procedure a service's tickets are for, by the
// overrides (procedure → service code) or the service's name; false when
// the name fits none or several (Hộ tịch: birth, marriage, extracts).
func ProcedureFor(centre queue.Centre, service string, overrides map[string]string) (string, bool) {
	svc, ok := centre.Service(service)
	if !ok {
		return "", false
	}
	var found []string
	for proc, code := range overrides {
		if code == svc.Code {
			found = append(found, proc)
		}
	}
	if len(found) == 0 {
		name := Fold(svc.Name)
		for proc, kws := range serviceKeywords {
			for _, kw := range kws {
				if strings.Contains(name, kw) {
					found = append(found, proc)
					break
				}
			}
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

// serviceFor is the service whose number a citizen pre-checked for proc takes.
func (k *Kiosk) serviceFor(centre queue.Centre, proc *catalogue.Procedure) (queue.Service, bool) {
	if code, ok := k.cfg.PrecheckServices[proc.ID]; ok {
		return centre.Service(code)
	}
	for _, kw := range serviceKeywords[proc.ID] {
		for _, s := range centre.Services {
			if strings.Contains(Fold(s.Name), kw) {
				return s, true
			}
		}
	}
	if len(centre.Services) == 1 {
		return centre.Services[0], true
	}
	return queue.Service{}, false
}

// PrecheckResult returns the session's result as the screen shows it.
func (k *Kiosk) PrecheckResult() (PrecheckView, bool) {
	k.mu.Lock()
	sess := k.pre
	k.mu.Unlock()
	if sess == nil || sess.result == nil {
		return PrecheckView{}, false
	}
	proc, err := k.procedure(sess.procedure)
	if err != nil {
		return PrecheckView{}, false
	}
	return k.view(proc, sess), true
}

// PrecheckTicket takes a number for the pre-checked procedure's service
// (or service, when given) with the result attached — at once online; kept
// with the ticket in the outbox and attached on replay offline — and the
// digitised documents (stored with the ticket before it prints, sent by
// the link once the server has it), prints the ticket, then the checklist
// with its number.
func (k *Kiosk) PrecheckTicket(ctx context.Context, service, priority string) (PrecheckView, error) {
	release, err := k.exclusive()
	if err != nil {
		return PrecheckView{}, err
	}
	defer release()
	k.mu.Lock()
	sess := k.pre
	k.mu.Unlock()
	if sess == nil || sess.result == nil {
		return PrecheckView{}, errNoPrecheck
	}
	proc, err := k.procedure(sess.procedure)
	if err != nil {
		return PrecheckView{}, err
	}
	centre, ok := k.cfg.Link.Centre()
	if !ok {
		return PrecheckView{}, errNotReady
	}
	var svc queue.Service
	if service != "" {
		svc, ok = centre.Service(service)
	} else {
		svc, ok = k.serviceFor(centre, proc)
	}
	if !ok {
		return PrecheckView{}, errChooseService
	}
	priority, err = k.grant(priority)
	if err != nil {
		return PrecheckView{}, err
	}
	if err := k.Machine.Enter(Precheck, StepPrinting, map[string]string{"service": svc.Code}); err != nil {
		return PrecheckView{}, errBusy
	}
	p, err := k.takeNumber(ctx, centre, svc, priority, attachments{precheck: sess.raw, docs: freshDocuments(sess.docs)})
	v := k.view(proc, sess)
	if err != nil {
		k.finish(Precheck, p, err)
		return v, err
	}
	k.cardUsed()
	v.Printed = &p
	cl := precheck.NewChecklist(sess.result, proc, p.Number, k.cfg.Link.Now().In(centre.Location()))
	v.Checklist = cl.Text()
	if e := k.printChecklist(ctx, cl); e != nil {
		v.PrintError = e // the number is printed: the checklist is a nicety
	}
	k.Machine.Go(Precheck, StepPrinted, PrecheckPrinted{Printed: p, Precheck: v})
	return v, nil
}

// PrecheckPrinted is what the printed step of the pre-check shows: the
// ticket, as every printed step, with the result and checklist beside it.
type PrecheckPrinted struct {
	Printed
	Precheck PrecheckView `json:"precheck"`
}

// printChecklist prints the checklist on the ticket printer.
func (k *Kiosk) printChecklist(ctx context.Context, cl precheck.Checklist) *Error {
	dp, ok := k.cfg.Printer.(DocumentPrinter)
	if !ok {
		return nil
	}
	b, err := cl.ESCPOS(dp.Profile())
	if err == nil {
		err = dp.Write(ctx, b)
	}
	if err != nil {
		k.cfg.Log.Warn("printing the pre-check checklist", "err", err)
		return errChecklistPrint
	}
	return nil
}

// precheckCard keeps a card read during the pre-check, to compare with
// the papers; it is forgotten with the session.
func (k *Kiosk) precheckCard(card *idcard.Card) {
	k.mu.Lock()
	if k.pre == nil {
		k.pre = &precheckSession{}
	}
	k.pre.card = card
	k.mu.Unlock()
}

// freshDocuments copies docs with a new id each: a document stored with
// a ticket keeps its id for every attempt to send it.
func freshDocuments(docs []outbox.Document) []outbox.Document {
	if len(docs) == 0 {
		return nil
	}
	out := make([]outbox.Document, len(docs))
	for i, d := range docs {
		d.ID = outbox.NewDocumentID()
		out[i] = d
	}
	return out
}

var _ DocumentPrinter = (*escpos.Printer)(nil)
