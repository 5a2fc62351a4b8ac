package ipp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Printer is an IPP printer (or a CUPS queue) at URL: ipp://HOST[:PORT]/PATH
// or ipps://…, port 631 when none is given.
type Printer struct {
	URL  string
	HTTP *http.Client // nil: a client with a 30 s timeout
	User string       // requesting-user-name; "xephang" when empty

	reqID atomic.Uint32
}

// MaxDocument is the largest document Print sends (a form or a dossier
// of a few pages is well under it).
const MaxDocument = 64 << 20

// PrinterState is printer-state (RFC 8011 §5.4.11).
type PrinterState int

// Printer states.
const (
	PrinterIdle       PrinterState = 3
	PrinterProcessing PrinterState = 4
	PrinterStopped    PrinterState = 5
)

func (s PrinterState) String() string {
	switch s {
	case PrinterIdle:
		return "idle"
	case PrinterProcessing:
		return "processing"
	case PrinterStopped:
		return "stopped"
	}
	return fmt.Sprintf("printer-state(%d)", int(s))
}

// Attrs is what Get-Printer-Attributes tells of the printer.
type Attrs struct {
	Name         string       // printer-name
	MakeAndModel string       // printer-make-and-model
	State        PrinterState // printer-state
	Reasons      []string     // printer-state-reasons ("none" left out)
	Message      string       // printer-state-message
	Accepting    bool         // printer-is-accepting-jobs (true when the printer does not say)
	Formats      []string     // document-format-supported
}

// Supports reports whether the printer takes documents of the MIME type.
func (a Attrs) Supports(format string) bool {
	for _, f := range a.Formats {
		if strings.EqualFold(f, format) {
			return true
		}
	}
	return false
}

// JobState is a job's state (RFC 8011 §5.3.7).
type JobState struct {
	ID      int
	State   JobStatus
	Reasons []string // job-state-reasons ("none" left out)
	Message string   // job-state-message
}

// JobStatus is job-state's enum.
type JobStatus int

// Job states.
const (
	JobPending    JobStatus = 3
	JobHeld       JobStatus = 4
	JobProcessing JobStatus = 5
	JobStopped    JobStatus = 6
	JobCanceled   JobStatus = 7
	JobAborted    JobStatus = 8
	JobCompleted  JobStatus = 9
)

func (s JobStatus) String() string {
	switch s {
	case JobPending:
		return "pending"
	case JobHeld:
		return "pending-held"
	case JobProcessing:
		return "processing"
	case JobStopped:
		return "processing-stopped"
	case JobCanceled:
		return "canceled"
	case JobAborted:
		return "aborted"
	case JobCompleted:
		return "completed"
	}
	return fmt.Sprintf("job-state(%d)", int(s))
}

// Done reports whether the job reached a final state.
func (j JobState) Done() bool { return j.State >= JobCanceled }

// endpoint is the HTTP URL requests are posted to, and the printer-uri.
func (p *Printer) endpoint() (post, printerURI string, err error) {
	u, err := url.Parse(p.URL)
	if err != nil {
		return "", "", fmt.Errorf("ipp: printer URL: %w", unwrapURL(err))
	}
	scheme := map[string]string{"ipp": "http", "ipps": "https", "http": "http", "https": "https"}[strings.ToLower(u.Scheme)]
	if scheme == "" || u.Host == "" {
		return "", "", fmt.Errorf("ipp: printer URL %q: want ipp://HOST[:PORT]/PATH or ipps://…", redact(p.URL))
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "631")
	}
	if u.Path == "" {
		u.Path = "/"
	}
	uri := *u
	if s := strings.ToLower(u.Scheme); s == "http" || s == "https" {
		uri.Scheme = map[string]string{"http": "ipp", "https": "ipps"}[s]
	}
	u.Scheme = scheme
	return u.String(), uri.String(), nil
}

// request makes a request of the operation with the operation
// attributes every request starts with (RFC 8011 §4.1.4).
func (p *Printer) request(op uint16, printerURI string) *Message {
	user := p.User
	if user == "" {
		user = "xephang"
	}
	g := Group{Tag: TagOperation}
	g.Add("attributes-charset", Charset("utf-8"))
	g.Add("attributes-natural-language", Language("vi"))
	g.Add("printer-uri", URI(printerURI))
	g.Add("requesting-user-name", Name(user))
	return &Message{Major: 1, Minor: 1, Code: op, RequestID: p.reqID.Add(1), Groups: []Group{g}}
}

var opNames = map[uint16]string{OpPrintJob: "Print-Job", OpGetJobAttributes: "Get-Job-Attributes", OpGetPrinterAttributes: "Get-Printer-Attributes"}

// do posts the request (with the document after it, if any) and returns
// the answer, an error when its status is not successful.
func (p *Printer) do(ctx context.Context, req *Message, post string, doc []byte) (*Message, error) {
	op := opNames[req.Code]
	head, err := req.Encode()
	if err != nil {
		return nil, err
	}
	// One buffer with a Content-Length rather than a chunked stream: some
	// printers' embedded servers do not take chunked requests.
	body := append(head, doc...)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, post, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("ipp: %s: %w", op, err)
	}
	hr.Header.Set("Content-Type", "application/ipp")
	hr.Header.Set("Accept", "application/ipp")
	hc := p.HTTP
	if hc == nil {
		hc = defaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ipp: %s: %w", op, ctx.Err())
		}
		return nil, fmt.Errorf("%w: %s %s: %w", ErrUnreachable, op, redact(post), unwrapURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: reading the answer: %v", ErrUnreachable, op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Op: op, HTTPStatus: resp.StatusCode}
	}
	if len(data) > maxResponse {
		return nil, fmt.Errorf("%w: %s: answer larger than %d bytes", ErrProtocol, op, maxResponse)
	}
	ans, _, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrProtocol, op, err)
	}
	if ans.RequestID != req.RequestID {
		return nil, fmt.Errorf("%w: %s: answer to request %d, not %d", ErrProtocol, op, ans.RequestID, req.RequestID)
	}
	if ans.Code >= 0x0100 { // 0x00xx successful, 0x01xx informational (RFC 8011 §B.1.1)
		msg, _ := ans.Group(TagOperation).Attr("status-message")
		se := &StatusError{Op: op, Code: int(ans.Code), Message: msg.Text(), HTTPStatus: resp.StatusCode}
		if g := ans.Group(TagUnsupported); g != nil {
			for _, a := range g.Attrs {
				se.Unsupported = append(se.Unsupported, a.Name)
			}
		}
		return ans, se
	}
	return ans, nil
}

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// unwrapURL drops url.Error's repetition of method and URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Redact drops a URL's password from messages.
func Redact(s string) string { return redact(s) }

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}

// Attributes asks the printer its state and what it takes
// (Get-Printer-Attributes).
func (p *Printer) Attributes(ctx context.Context) (Attrs, error) {
	post, uri, err := p.endpoint()
	if err != nil {
		return Attrs{}, err
	}
	req := p.request(OpGetPrinterAttributes, uri)
	req.Groups[0].Add("requested-attributes", Keyword("printer-name"), Keyword("printer-make-and-model"),
		Keyword("printer-state"), Keyword("printer-state-reasons"), Keyword("printer-state-message"),
		Keyword("printer-is-accepting-jobs"), Keyword("document-format-supported"))
	ans, err := p.do(ctx, req, post, nil)
	if err != nil {
		return Attrs{}, err
	}
	g := ans.Group(TagPrinter)
	if g == nil {
		return Attrs{}, fmt.Errorf("%w: Get-Printer-Attributes: no printer attributes in the answer", ErrProtocol)
	}
	var a Attrs
	at, _ := g.Attr("printer-name")
	a.Name = at.Text()
	at, _ = g.Attr("printer-make-and-model")
	a.MakeAndModel = at.Text()
	at, _ = g.Attr("printer-state")
	st, _ := at.Int()
	a.State = PrinterState(st)
	at, _ = g.Attr("printer-state-reasons")
	a.Reasons = reasons(at)
	at, _ = g.Attr("printer-state-message")
	a.Message = at.Text()
	// REQUIRED by RFC 8011; a printer that leaves it out is taken at its
	// word when it answers the print job.
	a.Accepting = true
	if at, ok := g.Attr("printer-is-accepting-jobs"); ok {
		if b, ok := at.Bool(); ok {
			a.Accepting = b
		}
	}
	at, _ = g.Attr("document-format-supported")
	a.Formats = at.Strings()
	return a, nil
}

func reasons(a Attribute) []string {
	var out []string
	for _, s := range a.Strings() {
		if s != "none" {
			out = append(out, s)
		}
	}
	return out
}

// Print sends doc as one job named name in the MIME type format
// ("application/pdf") and returns the job's id once the printer took it
// (Print-Job). A printer that says it is not accepting jobs gives
// ErrNotAccepting; one that does not take the format, a *StatusError
// whose FormatRefused is true.
func (p *Printer) Print(ctx context.Context, name, format string, doc io.Reader) (int, error) {
	post, uri, err := p.endpoint()
	if err != nil {
		return 0, err
	}
	data, err := io.ReadAll(io.LimitReader(doc, MaxDocument+1))
	if err != nil {
		return 0, fmt.Errorf("ipp: Print-Job: reading the document: %w", err)
	}
	if len(data) > MaxDocument {
		return 0, fmt.Errorf("ipp: Print-Job: document larger than %d bytes", MaxDocument)
	}
	req := p.request(OpPrintJob, uri)
	if name != "" {
		req.Groups[0].Add("job-name", Name(name))
	}
	req.Groups[0].Add("document-format", MimeType(format))
	ans, err := p.do(ctx, req, post, data)
	if err != nil {
		return 0, err
	}
	at, _ := ans.Group(TagJob).Attr("job-id")
	id, ok := at.Int()
	if !ok || id <= 0 {
		return 0, fmt.Errorf("%w: Print-Job: no job-id in the answer", ErrProtocol)
	}
	return id, nil
}

// Job asks the state of the job of the id (Get-Job-Attributes).
func (p *Printer) Job(ctx context.Context, id int) (JobState, error) {
	post, uri, err := p.endpoint()
	if err != nil {
		return JobState{}, err
	}
	req := p.request(OpGetJobAttributes, uri)
	req.Groups[0].Add("job-id", Integer(id))
	req.Groups[0].Add("requested-attributes", Keyword("job-id"), Keyword("job-state"),
		Keyword("job-state-reasons"), Keyword("job-state-message"))
	ans, err := p.do(ctx, req, post, nil)
	if err != nil {
		return JobState{}, err
	}
	g := ans.Group(TagJob)
	at, ok := g.Attr("job-state")
	st, ok2 := at.Int()
	if !ok || !ok2 {
		return JobState{}, fmt.Errorf("%w: Get-Job-Attributes: no job-state in the answer", ErrProtocol)
	}
	j := JobState{ID: id, State: JobStatus(st)}
	at, _ = g.Attr("job-state-reasons")
	j.Reasons = reasons(at)
	at, _ = g.Attr("job-state-message")
	j.Message = at.Text()
	return j, nil
}

// Wait asks the job's state every interval (1 s when zero) until it is
// final or ctx is done, and returns the last state it read.
func (p *Printer) Wait(ctx context.Context, id int, every time.Duration) (JobState, error) {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		j, err := p.Job(ctx, id)
		if err != nil || j.Done() {
			return j, err
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("ipp: job %d still %s: %w", id, j.State, ctx.Err())
		case <-t.C:
		}
	}
}

// TrustingClient is an HTTP client for ipps:// printers that trusts the
// system's roots and the PEM certificates given: a printer's own
// self-signed certificate, or the CA that signed it. The printer's URL
// must use a name (or address) its certificate holds.
func TrustingClient(pemCerts []byte) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemCerts) {
		return nil, errors.New("ipp: no PEM certificate to trust")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}, nil
}
