package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xephang/drivers/scanner"
	"xephang/kiosk/devices"
	"xephang/kiosk/flow"
	"xephang/kiosk/outbox"
	"xephang/kiosk/precheck"
	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// The counter scanner agent: on the clerk's PC, enrolled like a kiosk
// (kioskd enroll -data DIR), it takes each batch of pages the counter's
// scanner gives (a SANE or eSCL feeder it looks at every few seconds, or a
// folder the scanner saves into), reads them with the pre-check's OCR
// against the procedure of the ticket now served at the counter, makes
// them searchable documents and posts them to that ticket — through the
// outbox, so a batch taken while the server is away is sent when it is
// back.

// counterAgent sends a counter's scanned batches to its current ticket.
type counterAgent struct {
	client    *apiv1.Client
	centre    string
	counter   int
	store     *outbox.Store
	link      *uplink.Link
	checker   *precheck.Checker
	scanner   scanner.Scanner
	procedure string            // every batch against this one; "" the ticket's
	services  map[string]string // procedure → service code overrides
	scanDir   string
	dpi       int
	poll      time.Duration // between looks at an empty feeder
	log       *slog.Logger
	out       io.Writer // one line per batch for the clerk, no personal data
	// chip reads a card's chip for the ticket at the counter (nil: no
	// chip reader); chipName names its reader.
	chip     flow.ChipReader
	chipName string
}

// batchResult is what one batch became.
type batchResult struct {
	Ticket    string // the ticket's number
	TicketID  string
	Procedure string // "" when checked against none
	Pages     int
	Documents []outbox.Document
	Sent      bool // every document reached the server (else the outbox keeps them)
}

// errNoTicket: nobody is served at the counter; the batch has no owner.
var errNoTicket = errors.New("no ticket is being served at the counter")

// current is the ticket served at the counter now.
func (a *counterAgent) current(ctx context.Context) (apiv1.CurrentTicket, queue.Centre, error) {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	q, err := a.client.Queue(c, a.centre)
	if err != nil {
		return apiv1.CurrentTicket{}, queue.Centre{}, err
	}
	centre, err := a.client.Centre(c, a.centre)
	if err != nil {
		return apiv1.CurrentTicket{}, queue.Centre{}, err
	}
	for _, k := range q.Counters {
		if k.Number == a.counter && k.Current != nil && k.Current.ID != "" {
			return *k.Current, centre, nil
		}
	}
	return apiv1.CurrentTicket{}, centre, errNoTicket
}

// scan waits for the next batch: a folder's next files, or a feeder's
// pages (an empty feeder is looked at again after poll).
func (a *counterAgent) scan(ctx context.Context) ([]precheck.Page, error) {
	for {
		dir, err := os.MkdirTemp(a.scanDir, "batch-")
		if err != nil {
			return nil, err
		}
		pages, err := a.scanner.Scan(ctx, scanner.Options{Dir: dir, Resolution: a.dpi, Mode: scanner.Gray, Source: scanner.ADF, MaxPages: 50}, func(scanner.Progress) {})
		if errors.Is(err, scanner.ErrFeederEmpty) && len(pages) > 0 {
			err = nil // the end of a batch
		}
		var read []precheck.Page
		if err == nil {
			read, err = precheck.PagesFromScan(pages, a.dpi)
		}
		os.RemoveAll(dir) // personal data: never left on disk
		switch {
		case err == nil && len(read) > 0:
			return read, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err == nil, errors.Is(err, scanner.ErrFeederEmpty), errors.Is(err, scanner.ErrNoPages):
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(a.poll):
		}
	}
}

// process reads, checks and digitises one batch for the counter's current
// ticket, keeps its documents in the outbox and sends them.
func (a *counterAgent) process(ctx context.Context, pages []precheck.Page) (batchResult, error) {
	cur, centre, err := a.current(ctx)
	if err != nil {
		return batchResult{}, err
	}
	r := batchResult{Ticket: cur.Number, TicketID: cur.ID, Pages: len(pages), Procedure: a.procedure}
	if r.Procedure == "" {
		r.Procedure, _ = flow.ProcedureFor(centre, cur.Service, a.services)
	}
	var res *precheck.Result
	var texts []precheck.PageText
	if r.Procedure != "" {
		res, texts, err = a.checker.CheckPages(ctx, r.Procedure, pages, nil, nil)
	} else {
		res, texts, err = a.readOnly(ctx, pages)
	}
	if err != nil {
		return r, err
	}
	if r.Documents, err = digitiseDocuments(res, texts); err != nil {
		return r, err
	}
	if r.Procedure == "" {
		// Read, not checked: the papers are there unless a page could
		// not be read (its reason then says so).
		for i := range r.Documents {
			if len(r.Documents[i].Reasons) == 0 {
				r.Documents[i].Status = string(precheck.Present)
			}
		}
	}
	for i := range r.Documents {
		r.Documents[i].ID = outbox.NewDocumentID()
	}
	if len(r.Documents) == 0 {
		return r, nil
	}
	t, err := a.store.Deliver(outbox.Ticket{Key: "scan-" + strings.TrimPrefix(outbox.NewDocumentID(), "doc-"), Centre: a.centre,
		Service: cur.Service, Number: cur.Number, ServerID: cur.ID, IssuedAt: time.Now(), Documents: r.Documents}, time.Now())
	if err != nil {
		return r, err
	}
	r.Documents = t.Documents
	_, err = a.link.Replay(ctx)
	r.Sent = err == nil
	if err != nil {
		a.log.Warn("documents kept to send when the server answers", "ticket", cur.Number, "err", err)
	}
	return r, nil
}

// readOnly reads pages with the OCR without a procedure to check them
// against: all of them one document of other papers.
func (a *counterAgent) readOnly(ctx context.Context, pages []precheck.Page) (*precheck.Result, []precheck.PageText, error) {
	res := &precheck.Result{Fields: map[string]string{}}
	texts := make([]precheck.PageText, len(pages))
	for i, p := range pages {
		rd, err := a.checker.Read(ctx, p)
		if err != nil {
			return nil, nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		texts[i] = precheck.PageText{Image: rd.Prepared.Gray, DPI: rd.Prepared.OCRDPI, Text: rd.Text}
		pr := precheck.PageResult{Page: i + 1, DPI: rd.Prepared.OCRDPI}
		if !precheck.Readable(rd.Text) {
			pr.Problems = []string{"Không đọc được chữ trên trang này."}
		}
		res.Pages = append(res.Pages, pr)
	}
	return res, texts, nil
}

// run takes batches until ctx is done (or after one, with once), keeps
// sending what the outbox holds, and beats like a kiosk (the admin sees
// the agent alive; it leases no numbers, it issues none).
func (a *counterAgent) run(ctx context.Context, once bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.keepAlive(ctx)
	for {
		fmt.Fprintf(a.out, "Chờ giấy tờ của quầy %d từ %s … (waiting for a batch)\n", a.counter, a.scanner)
		pages, err := a.scan(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			fmt.Fprintf(a.out, "LỖI   Máy quét: %s (%v)\n", scanner.Describe(err), err)
			if once {
				return err
			}
			time.Sleep(a.poll)
			continue
		}
		r, err := a.process(ctx, pages)
		switch {
		case errors.Is(err, errNoTicket):
			fmt.Fprintf(a.out, "LỖI   Quầy %d không có số nào đang được phục vụ: %d trang không được gửi. Gọi số rồi quét lại.\n", a.counter, len(pages))
		case err != nil:
			fmt.Fprintf(a.out, "LỖI   %d trang không được gửi: %v\n", len(pages), err)
			a.log.Error("counter batch", "err", err)
		default:
			state := "đã gửi (sent)"
			if !r.Sent {
				state = "chờ gửi khi có mạng (kept to send)"
			}
			proc := r.Procedure
			if proc == "" {
				proc = "khác"
			}
			fmt.Fprintf(a.out, "OK    Số %s (%s): %d trang → %d giấy tờ, %s\n", r.Ticket, proc, r.Pages, len(r.Documents), state)
		}
		if once {
			return err
		}
	}
}

// keepAlive beats like a kiosk and keeps sending what the outbox holds,
// until ctx is done.
func (a *counterAgent) keepAlive(ctx context.Context) {
	a.link.Heartbeat(ctx)
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				a.link.Heartbeat(ctx)
				a.link.Replay(ctx)
			}
		}
	}()
}

// counterScan implements `kioskd counter-scan`.
func counterScan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kioskd counter-scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "queue server URL; the enrolled one when empty")
	data := fs.String("data", "./kiosk-data", "data directory of the enrolment (kioskd enroll -data DIR)")
	counter := fs.Int("counter", 0, "the counter whose current ticket gets the pages")
	spec := fs.String("scanner", "", "the counter's scanner: sane[:DEVICE], escl:URL or folder:DIR")
	procedure := fs.String("procedure", "", "check every batch against this procedure; else the one of the ticket's service (none: other papers)")
	services := fs.String("precheck-services", "", "procedure=SERVICE,… as kioskd's")
	dpi := fs.Int("resolution", 300, "dots per inch of the scans")
	poll := fs.Duration("poll", 3*time.Second, "how often to look at an empty feeder (sane, escl)")
	workers := fs.Int("workers", 1, "OCR workers")
	once := fs.Bool("once", false, "take one batch, send it, and exit")
	chipSpec := fs.String("chip-reader", "", "the counter's CCCD chip reader (PC/SC): its name or a part of it, or auto")
	cardSpec := fs.String("card-reader", "", "the counter's card/QR reader port (serial:/dev/…) whose reads open the chip")
	csca := fs.String("csca", "/etc/xephang/csca", "directory of CSCA certificates chips are checked against")
	chipWait := fs.Duration("chip-wait", 10*time.Second, "after a card's code is read, how long to wait for it on the chip reader")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return exitUsage
	}
	if *counter < 1 || (*spec == "" && *chipSpec == "") || (*chipSpec == "") != (*cardSpec == "") || *workers < 1 || *workers > 8 {
		fmt.Fprintln(stderr, "usage: kioskd counter-scan -server URL -data DIR -counter N [-scanner sane[:DEVICE]|escl:URL|folder:DIR] [-chip-reader NAME -card-reader PORT]")
		return exitUsage
	}
	var sc scanner.Scanner
	if *spec != "" {
		var err error
		if sc, err = devices.OpenScanner(*spec); err != nil || sc == nil {
			fmt.Fprintf(stderr, "kioskd counter-scan: unknown scanner %q: sane[:DEVICE], escl:URL or folder:DIR\n", *spec)
			return exitUsage
		}
	}
	var chipReader devices.ChipReader
	if *chipSpec != "" {
		var err error
		if chipReader, err = devices.OpenChipReader(*chipSpec); err != nil || chipReader == nil {
			fmt.Fprintf(stderr, "kioskd counter-scan: -chip-reader %q: a PC/SC reader's name or auto\n", *chipSpec)
			return exitUsage
		}
	}
	overrides := map[string]string{}
	for _, kv := range strings.Split(*services, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k != "" && v != "" {
			overrides[k] = strings.ToUpper(v)
		}
	}
	if sc != nil && !precheck.SingleThreaded() {
		precheck.RestartSingleThreaded("counter-scan", stderr)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, closeAll, err := newCounterAgent(*data, *server, log)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd counter-scan:", err)
		return exitProblem
	}
	defer closeAll()
	a.counter, a.scanner, a.procedure, a.services, a.dpi, a.poll, a.out = *counter, sc, *procedure, overrides, *dpi, *poll, stdout
	if chipReader != nil {
		a.chip, a.chipName = chipFlow{reader: chipReader, cscas: loadCSCAs(*csca, log), wait: *chipWait}, chipReader.String()
		cards := openCardReader(*cardSpec, a)
		defer cards.Close()
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go a.runCards(cctx, cards)
	}
	if sc == nil { // cards only
		a.keepAlive(ctx)
		<-ctx.Done()
		return exitOK
	}
	if a.checker, err = precheck.NewChecker(precheck.Config{OCR: precheck.OCROptions{Workers: *workers}}); err != nil {
		fmt.Fprintln(stderr, "kioskd counter-scan: the OCR did not start (tesseract-ocr-vie installed?):", err)
		return exitProblem
	}
	defer a.checker.Close()
	if err := a.run(ctx, *once); err != nil {
		return exitProblem
	}
	return exitOK
}

// newCounterAgent opens the enrolment, the outbox and the client of data.
func newCounterAgent(data, server string, log *slog.Logger) (*counterAgent, func(), error) {
	cred, err := LoadCredential(data)
	if err != nil {
		return nil, nil, err
	}
	if server == "" {
		server = cred.Server
	}
	client := apiv1.NewClient(strings.TrimRight(server, "/"))
	client.Token = cred.Credential
	if cred.MTLS {
		id, err := LoadIdentity(data)
		if err != nil {
			return nil, nil, err
		}
		client.Token, client.HTTP = "", id.HTTPClient(60*time.Second)
	}
	st, err := outbox.Open(filepath.Join(data, "kiosk.db"))
	if err != nil {
		return nil, nil, err
	}
	scanDir := filepath.Join(data, "scans")
	if err := os.MkdirAll(scanDir, 0o700); err != nil {
		st.Close()
		return nil, nil, err
	}
	a := &counterAgent{client: client, centre: cred.Centre, store: st, scanDir: scanDir, dpi: 300, poll: 3 * time.Second, log: log, out: io.Discard,
		link: uplink.New(uplink.Config{Client: client, Store: st, Centre: cred.Centre, Log: log, Version: version() + "+counter-scan"})}
	return a, func() { st.Close() }, nil
}
