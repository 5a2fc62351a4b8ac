package scanner

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ESCL scans from a network scanner that speaks eSCL (AirScan).
type ESCL struct {
	URL    string        // the eSCL root, e.g. http://192.0.2.20/eSCL
	Client *http.Client  // http.DefaultClient with a 60 s timeout when nil
	Poll   time.Duration // wait before asking again after 503; 500 ms when zero
}

// String returns "escl:" and the URL.
func (e *ESCL) String() string { return "escl:" + e.URL }

func (e *ESCL) client() *http.Client {
	if e.Client != nil {
		return e.Client
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// Capabilities is the part of /ScannerCapabilities the kiosk uses.
type Capabilities struct {
	MakeAndModel string
	Platen       bool     // has a flatbed
	ADF          bool     // has a document feeder
	Resolutions  []int    // discrete X resolutions offered
	Formats      []string // document formats, e.g. image/png, application/pdf
}

type xmlCaps struct {
	MakeAndModel string `xml:"MakeAndModel"`
	Platen       *struct {
		Caps xmlInputCaps `xml:"PlatenInputCaps"`
	} `xml:"Platen"`
	Adf *struct {
		Caps xmlInputCaps `xml:"AdfSimplexInputCaps"`
	} `xml:"Adf"`
}

type xmlInputCaps struct {
	Profiles []struct {
		Formats     []string `xml:"DocumentFormats>DocumentFormat"`
		Resolutions []int    `xml:"SupportedResolutions>DiscreteResolutions>DiscreteResolution>XResolution"`
	} `xml:"SettingProfiles>SettingProfile"`
}

// Capabilities asks the scanner what it can do.
func (e *ESCL) Capabilities(ctx context.Context) (Capabilities, error) {
	body, err := e.get(ctx, "/ScannerCapabilities")
	if err != nil {
		return Capabilities{}, err
	}
	var x xmlCaps
	if err := xml.Unmarshal(body, &x); err != nil {
		return Capabilities{}, fmt.Errorf("scanner: escl capabilities: %w", err)
	}
	c := Capabilities{MakeAndModel: x.MakeAndModel, Platen: x.Platen != nil, ADF: x.Adf != nil}
	seenF, seenR := map[string]bool{}, map[int]bool{}
	for _, in := range []*xmlInputCaps{platenCaps(x), adfCaps(x)} {
		if in == nil {
			continue
		}
		for _, p := range in.Profiles {
			for _, f := range p.Formats {
				if !seenF[f] {
					seenF[f] = true
					c.Formats = append(c.Formats, f)
				}
			}
			for _, r := range p.Resolutions {
				if !seenR[r] {
					seenR[r] = true
					c.Resolutions = append(c.Resolutions, r)
				}
			}
		}
	}
	return c, nil
}

func platenCaps(x xmlCaps) *xmlInputCaps {
	if x.Platen == nil {
		return nil
	}
	return &x.Platen.Caps
}

func adfCaps(x xmlCaps) *xmlInputCaps {
	if x.Adf == nil {
		return nil
	}
	return &x.Adf.Caps
}

// ScannerStatus is /ScannerStatus: the scanner's state and its feeder's.
type ScannerStatus struct {
	State    string `xml:"State"`    // Idle, Processing, Testing, Stopped, Down
	AdfState string `xml:"AdfState"` // ScannerAdfLoaded, ScannerAdfEmpty, ScannerAdfJam, ScannerAdfHatchOpen…
}

// Status asks the scanner for its state.
func (e *ESCL) Status(ctx context.Context) (ScannerStatus, error) {
	body, err := e.get(ctx, "/ScannerStatus")
	if err != nil {
		return ScannerStatus{}, err
	}
	var s ScannerStatus
	if err := xml.Unmarshal(body, &s); err != nil {
		return ScannerStatus{}, fmt.Errorf("scanner: escl status: %w", err)
	}
	return s, nil
}

// statusError turns the scanner's feeder state into an error, or nil.
func (s ScannerStatus) statusError() error {
	switch s.AdfState {
	case "ScannerAdfJam", "ScannerAdfMultipickDetected":
		return ErrJammed
	case "ScannerAdfEmpty":
		return ErrFeederEmpty
	case "ScannerAdfHatchOpen":
		return ErrCoverOpen
	}
	if s.State == "Down" || s.State == "Stopped" {
		return ErrIO
	}
	return nil
}

func (e *ESCL) url(path string) string {
	return strings.TrimRight(e.URL, "/") + path
}

func (e *ESCL) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url(path), nil)
	if err != nil {
		return nil, fmt.Errorf("scanner: escl: %w", err)
	}
	resp, err := e.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("scanner: escl %s: %w: %w", path, ErrNoDevice, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("scanner: escl %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scanner: escl %s: HTTP %d: %w", path, resp.StatusCode, ErrIO)
	}
	return body, nil
}

const settingsXML = `<?xml version="1.0" encoding="UTF-8"?>
<scan:ScanSettings xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
  <pwg:Version>2.63</pwg:Version>
  <pwg:ScanRegions>
    <pwg:ScanRegion>
      <pwg:ContentRegionUnits>escl:ThreeHundredthsOfInches</pwg:ContentRegionUnits>
      <pwg:Width>2480</pwg:Width>
      <pwg:Height>3508</pwg:Height>
      <pwg:XOffset>0</pwg:XOffset>
      <pwg:YOffset>0</pwg:YOffset>
    </pwg:ScanRegion>
  </pwg:ScanRegions>
  <pwg:InputSource>%s</pwg:InputSource>
  <scan:ColorMode>%s</scan:ColorMode>
  <scan:XResolution>%d</scan:XResolution>
  <scan:YResolution>%d</scan:YResolution>
  <pwg:DocumentFormat>%s</pwg:DocumentFormat>
  <scan:DocumentFormatExt>%s</scan:DocumentFormatExt>
</scan:ScanSettings>
`

func mimeOf(f Format) string {
	switch f {
	case TIFF:
		return "image/tiff"
	case JPEG:
		return "image/jpeg"
	case PDF:
		return "application/pdf"
	}
	return "image/png"
}

// Scan creates a scan job (A4) and fetches its pages.
func (e *ESCL) Scan(ctx context.Context, opt Options, progress func(Progress)) ([]Page, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	source, mode := "Platen", "RGB24"
	if opt.Source == ADF {
		source = "Feeder"
	}
	if opt.Mode == Gray {
		mode = "Grayscale8"
	}
	mime := mimeOf(opt.Format)
	body := fmt.Sprintf(settingsXML, source, mode, opt.Resolution, opt.Resolution, mime, mime)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url("/ScanJobs"), strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("scanner: escl: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := e.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("scanner: escl scan job: %w: %w", ErrNoDevice, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated:
	case http.StatusServiceUnavailable:
		return nil, fmt.Errorf("scanner: escl scan job: %w", ErrBusy)
	default:
		return nil, e.failure(ctx, fmt.Errorf("scanner: escl scan job: HTTP %d", resp.StatusCode))
	}
	loc, err := e.jobURL(resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	pages, err := e.fetch(ctx, loc, opt, progress)
	if err != nil && ctx.Err() != nil {
		e.cancelJob(loc)
	}
	return pages, err
}

// jobURL resolves the Location of a new job against the eSCL root.
func (e *ESCL) jobURL(location string) (string, error) {
	if location == "" {
		return "", fmt.Errorf("scanner: escl: scan job without Location: %w", ErrIO)
	}
	base, err := url.Parse(e.URL)
	if err != nil {
		return "", fmt.Errorf("scanner: escl url: %w", err)
	}
	u, err := base.Parse(location)
	if err != nil {
		return "", fmt.Errorf("scanner: escl Location %q: %w", location, err)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// fetch asks for NextDocument until 404, the page limit, or an error.
func (e *ESCL) fetch(ctx context.Context, job string, opt Options, progress func(Progress)) ([]Page, error) {
	poll := e.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	prefix := filepath.Join(opt.Dir, fmt.Sprintf("escl-%d-", time.Now().UnixNano()))
	var pages []Page
	for opt.MaxPages == 0 || len(pages) < opt.MaxPages {
		n := len(pages) + 1
		report(progress, Progress{Page: n})
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, job+"/NextDocument", nil)
		if err != nil {
			return pages, fmt.Errorf("scanner: escl: %w", err)
		}
		resp, err := e.client().Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return pages, fmt.Errorf("scanner: scan cancelled: %w", ctx.Err())
			}
			return pages, fmt.Errorf("scanner: escl page %d: %w: %w", n, ErrIO, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			path := fmt.Sprintf("%s%04d%s", prefix, n, ext(opt.Format))
			size, err := savePage(path, resp, n, progress)
			resp.Body.Close()
			if err != nil {
				return pages, err
			}
			pages = append(pages, Page{Number: n, Path: path, Format: opt.Format, Size: size})
			report(progress, Progress{Page: n, Percent: 100, Done: true})
		case http.StatusNotFound:
			resp.Body.Close()
			// The job is over: normally because the pages ran out, but a
			// jam or an empty feeder ends it too; the status says which.
			if st, err := e.Status(ctx); err == nil {
				if cause := st.statusError(); cause != nil && !(errors.Is(cause, ErrFeederEmpty) && len(pages) > 0) {
					return pages, fmt.Errorf("scanner: escl: %w", cause)
				}
			}
			if len(pages) == 0 {
				return nil, fmt.Errorf("scanner: escl: %w", ErrNoPages)
			}
			return pages, nil
		case http.StatusServiceUnavailable:
			resp.Body.Close()
			select {
			case <-time.After(poll):
			case <-ctx.Done():
				return pages, fmt.Errorf("scanner: scan cancelled: %w", ctx.Err())
			}
		default:
			resp.Body.Close()
			return pages, e.failure(ctx, fmt.Errorf("scanner: escl page %d: HTTP %d", n, resp.StatusCode))
		}
	}
	return pages, nil
}

// failure explains a failed request with the scanner's status when it can.
func (e *ESCL) failure(ctx context.Context, err error) error {
	if st, serr := e.Status(ctx); serr == nil {
		if cause := st.statusError(); cause != nil {
			return fmt.Errorf("%w: %w", err, cause)
		}
	}
	return fmt.Errorf("%w: %w", err, ErrIO)
}

// cancelJob deletes a job left behind by a cancelled scan.
func (e *ESCL) cancelJob(job string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, job, nil)
	if err != nil {
		return
	}
	if resp, err := e.client().Do(req); err == nil {
		resp.Body.Close()
	}
}

// savePage streams a page to path, reporting progress by Content-Length.
func savePage(path string, resp *http.Response, n int, progress func(Progress)) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("scanner: %w", err)
	}
	var written int64
	buf := make([]byte, 64<<10)
	for {
		k, rerr := resp.Body.Read(buf)
		if k > 0 {
			if _, err := f.Write(buf[:k]); err != nil {
				f.Close()
				return written, fmt.Errorf("scanner: %w", err)
			}
			written += int64(k)
			if resp.ContentLength > 0 {
				report(progress, Progress{Page: n, Percent: 100 * float64(written) / float64(resp.ContentLength)})
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			f.Close()
			return written, fmt.Errorf("scanner: escl page %d: %w: %w", n, ErrIO, rerr)
		}
	}
	if err := f.Close(); err != nil {
		return written, fmt.Errorf("scanner: %w", err)
	}
	if written == 0 {
		os.Remove(path)
		return 0, fmt.Errorf("scanner: escl page %d is empty: %w", n, ErrIO)
	}
	return written, nil
}
