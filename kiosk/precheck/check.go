package precheck

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"xephang/drivers/idcard"
	"xephang/drivers/scanner"
	"xephang/kiosk/catalogue"
)

// Status of one document of the dossier.
type Status string

// The statuses of the public contract (docs/architecture.md).
const (
	Present      Status = "present"
	Missing      Status = "missing"
	Unreadable   Status = "unreadable"
	Inconsistent Status = "inconsistent"
)

// Result is the outcome of a pre-check, as `kioskd precheck` prints it and
// as PUT /api/v1/tickets/{id}/precheck takes it. Nothing is refused on its
// strength: OK false means "staff should look", never "rejected".
type Result struct {
	Procedure string            `json:"procedure"`
	OK        bool              `json:"ok"` // every required document present and consistent
	Documents []DocumentResult  `json:"documents"`
	Fields    map[string]string `json:"fields"` // what was read, by field name
	Pages     []PageResult      `json:"pages"`
	Catalogue string            `json:"catalogue"` // catalogue version
	Checked   time.Time         `json:"checked"`
}

// DocumentResult is one entry of the procedure's dossier.
type DocumentResult struct {
	Name       string   `json:"name"` // Vietnamese, as in the catalogue
	Status     Status   `json:"status"`
	Pages      []int    `json:"pages"`   // page numbers, from 1
	Reasons    []string `json:"reasons"` // plain Vietnamese
	ReasonsEN  []string `json:"reasons_en"`
	Confidence float64  `json:"confidence"` // 0–1
	Required   bool     `json:"required"`
	// MissingFields are the fields of the document's pages that were not
	// read, each with the reason, for staff to read off the paper.
	MissingFields []MissingField `json:"missing_fields"`
}

// MissingField is a field of a document that the pre-check did not read.
type MissingField struct {
	Field    string `json:"field"` // catalogue field name
	Label    string `json:"label"` // the label as the catalogue prints it
	Page     int    `json:"page"`  // from 1
	Reason   string `json:"reason"`
	ReasonEN string `json:"reason_en"`
}

// PageResult says what one page was taken for.
type PageResult struct {
	Page       int      `json:"page"`
	Kind       string   `json:"kind"` // catalogue kind id, "" when not recognised
	Score      float64  `json:"score"`
	OCRConf    float64  `json:"ocr_confidence"` // Tesseract's mean word confidence, 0–100
	DPI        int      `json:"dpi"`
	Skew       float64  `json:"skew"`
	Problems   []string `json:"problems"` // plain Vietnamese
	ProblemsEN []string `json:"problems_en"`
}

// Page is one scanned page handed to the checker.
type Page struct {
	Data []byte // PNG, JPEG, TIFF or BMP
	DPI  int    // when the scanner says; 0 to read it from the file or estimate it
}

// PagesFromScan reads the files a scanner.Scanner wrote.
func PagesFromScan(pages []scanner.Page, dpi int) ([]Page, error) {
	out := make([]Page, 0, len(pages))
	for _, p := range pages {
		b, err := os.ReadFile(p.Path)
		if err != nil {
			return nil, fmt.Errorf("precheck: %w", err)
		}
		out = append(out, Page{Data: b, DPI: dpi})
	}
	return out, nil
}

// Progress is reported while a dossier is checked.
type Progress struct {
	Page  int    // the page concerned, from 1
	Pages int    // how many pages in all
	Stage string // "prepare", "ocr", "page-done", "done"
	Done  int    // pages finished so far
}

// Config sets up a Checker.
type Config struct {
	Catalogue *catalogue.Catalogue // catalogue.Default() when nil
	Labels    *LabelTable          // wordings of the labels; DefaultLabels() when nil
	OCR       OCROptions
	Prepare   PrepareOptions
	Now       func() time.Time // time.Now when nil
}

// Checker runs dossier pre-checks. It owns a pool of Tesseract clients;
// make one per kiosk and Close it on shutdown. Check may be called from
// several goroutines.
type Checker struct {
	cat    *catalogue.Catalogue
	labels *LabelTable
	ocr    *OCR
	prep   PrepareOptions
	now    func() time.Time
	sem    chan struct{}
}

// NewChecker starts the OCR workers.
func NewChecker(cfg Config) (*Checker, error) {
	if cfg.Catalogue == nil {
		cfg.Catalogue = catalogue.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Labels == nil {
		cfg.Labels = DefaultLabels()
	}
	o, err := NewOCR(cfg.OCR)
	if err != nil {
		return nil, err
	}
	return &Checker{cat: cfg.Catalogue, labels: cfg.Labels, ocr: o, prep: cfg.Prepare, now: cfg.Now, sem: make(chan struct{}, o.opt.Workers)}, nil
}

// Close stops the OCR workers.
func (c *Checker) Close() error { return c.ocr.Close() }

// Catalogue returns the catalogue the checker uses.
func (c *Checker) Catalogue() *catalogue.Catalogue { return c.cat }

// pageRead is what the pipeline learnt from one page.
type pageRead struct {
	res     PageResult
	prep    *Prepared // nil when the image could not be opened
	text    *Text
	fields  map[string]Value
	missing map[string]Miss
}

// Reading is one page through preprocessing and OCR, with timings.
type Reading struct {
	Prepared    *Prepared
	Text        *Text
	PrepareTime time.Duration
	OCRTime     time.Duration
}

// Read prepares and recognises one page.
func (c *Checker) Read(ctx context.Context, p Page) (*Reading, error) {
	opt := c.prep
	if p.DPI > 0 {
		opt.DPI = p.DPI
	}
	t0 := time.Now()
	prep, err := Prepare(p.Data, opt)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	text, err := c.ocr.Recognise(ctx, prep.Gray, prep.OCRDPI)
	if err != nil {
		return nil, err
	}
	return &Reading{Prepared: prep, Text: text, PrepareTime: t1.Sub(t0), OCRTime: time.Since(t1)}, nil
}

// PageText is one page as the pre-check saw it: the image OCR read and
// what it read there, so the page can be made searchable (kiosk/digitise)
// without reading it again.
type PageText struct {
	Image *image.Gray // prepared: deskewed, enlarged to 300 dpi when scanned below 250; nil when the file could not be opened
	DPI   int         // resolution of Image
	Text  *Text       // nil when OCR did not run (blank or black page)
	// Fields are the values read on this page, by field name, as the
	// pre-check reads them (Result.Fields keeps the best of all pages).
	Fields map[string]string
}

// Check runs the pre-check of a dossier for a procedure: each page is
// prepared, read, classified and its fields extracted (pages in parallel,
// as many as there are OCR workers), then the documents are matched to the
// procedure's list and cross-checked with each other and with the card read
// at the kiosk (nil when none). progress, if not nil, is called from the
// page goroutines.
func (c *Checker) Check(ctx context.Context, procedure string, pages []Page, card *idcard.Card, progress func(Progress)) (*Result, error) {
	res, _, err := c.CheckPages(ctx, procedure, pages, card, progress)
	return res, err
}

// CheckPages is Check that also returns each page as OCR saw it, in the
// order of pages (Result.Pages[i] says what pages[i] was taken for).
func (c *Checker) CheckPages(ctx context.Context, procedure string, pages []Page, card *idcard.Card, progress func(Progress)) (*Result, []PageText, error) {
	proc, err := c.cat.Procedure(procedure)
	if err != nil {
		return nil, nil, err
	}
	report := func(p Progress) {
		if progress != nil {
			p.Pages = len(pages)
			progress(p)
		}
	}
	kinds := proc.KindsOf()
	for _, k := range c.cat.Kinds {
		if !slices.Contains(kinds, k.ID) && !k.AnyText {
			kinds = append(kinds, k.ID)
		}
	}
	reads := make([]pageRead, len(pages))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		done     int
		firstErr error
	)
	for i, p := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case c.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-c.sem }()
			report(Progress{Page: i + 1, Stage: "prepare"})
			r, err := c.readPage(ctx, i+1, p, kinds, report)
			mu.Lock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			reads[i] = r
			done++
			d := done
			mu.Unlock()
			report(Progress{Page: i + 1, Stage: "page-done", Done: d})
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if firstErr != nil {
		return nil, nil, firstErr
	}
	res := c.judge(proc, reads, card)
	texts := make([]PageText, len(reads))
	for i, r := range reads {
		t := PageText{Text: r.text, Fields: make(map[string]string, len(r.fields))}
		if r.prep != nil {
			t.Image, t.DPI = r.prep.Gray, r.prep.OCRDPI
		}
		for n, v := range r.fields {
			t.Fields[n] = v.Value
		}
		texts[i] = t
	}
	report(Progress{Stage: "done", Done: len(pages)})
	return res, texts, nil
}

func (c *Checker) readPage(ctx context.Context, n int, p Page, kinds []string, report func(Progress)) (pageRead, error) {
	r := pageRead{res: PageResult{Page: n, Problems: []string{}, ProblemsEN: []string{}}}
	problem := func(vi, en string) {
		r.res.Problems = append(r.res.Problems, vi)
		r.res.ProblemsEN = append(r.res.ProblemsEN, en)
	}
	opt := c.prep
	if p.DPI > 0 {
		opt.DPI = p.DPI
	}
	prep, err := Prepare(p.Data, opt)
	if err != nil {
		problem("Không mở được ảnh trang này. Xin quét lại.", "The page image could not be opened. Please scan it again.")
		return r, nil
	}
	r.prep = prep
	r.res.DPI, r.res.Skew = prep.DPI, math.Round(prep.Skew*10)/10
	if prep.DPI < MinDPI {
		problem(fmt.Sprintf("Ảnh quét chưa đủ rõ (%d dpi). Xin quét lại ở 300 dpi.", prep.DPI),
			fmt.Sprintf("The scan is not sharp enough (%d dpi). Please scan again at 300 dpi.", prep.DPI))
	}
	switch {
	case prep.Ink < 0.002:
		problem("Trang trắng: có thể tờ giấy bị đặt úp. Xin đặt mặt có chữ xuống kính và quét lại.", "Blank page: the paper may be face up. Put the printed side on the glass and scan again.")
		return r, nil
	case prep.Ink > 0.5:
		problem("Trang quá tối, không đọc được. Xin đóng nắp máy quét và quét lại.", "The page is too dark to read. Close the scanner lid and scan again.")
		return r, nil
	}
	report(Progress{Page: n, Stage: "ocr"})
	text, err := c.ocr.Recognise(ctx, prep.Gray, prep.OCRDPI)
	if err != nil {
		return r, err
	}
	r.text = text
	r.res.OCRConf = math.Round(text.Conf*10) / 10
	if text.Words < 5 || text.Conf < 40 {
		problem("Không đọc được chữ trên trang này. Xin quét lại cho thẳng và rõ.", "No text could be read on this page. Please scan it again, straight and clear.")
		return r, nil
	}
	cl := Classify(c.cat, kinds, text)
	r.res.Kind, r.res.Score = cl.Kind, math.Round(cl.Score*100)/100
	if cl.Kind == "" {
		problem("Không nhận ra đây là giấy tờ gì.", "This paper was not recognised.")
		return r, nil
	}
	k := c.cat.Kind(cl.Kind)
	ex := ExtractFields(k, text, c.labels)
	if err := c.secondLook(ctx, k, prep, &ex); err != nil {
		return r, err
	}
	r.fields, r.missing = ex.Values, ex.Missing
	return r, nil
}

// maxSecondLooks bounds the extra OCR a page may cost (each about a tenth
// of a page's).
const maxSecondLooks = 8

// secondLook reads again, as one block of text, the piece of the page
// around each label whose value was not found: Tesseract's page layout
// drops a short value between dotted leaders ("…… Cha ……") as a
// rule, not text, but reads it in a small block.
func (c *Checker) secondLook(ctx context.Context, k *catalogue.Kind, prep *Prepared, ex *Extraction) error {
	page := prep.Gray.Bounds()
	looks := 0
	for _, f := range k.Fields {
		b, ok := ex.Labels[f.Name]
		if !ok || ex.Missing[f.Name] != MissValue || looks >= maxSecondLooks {
			continue
		}
		looks++
		h := max(b.Dy(), 10)
		if b.Dy() > 3*h/2 { // a two-line label: one line's height
			h = b.Dy() / 2
		}
		crop := image.Rect(b.Min.X-h, b.Min.Y-h/3, page.Max.X-h, b.Max.Y+3*h).Intersect(page)
		if crop.Empty() {
			continue
		}
		t, err := c.ocr.RecogniseAs(ctx, prep.Gray.SubImage(crop).(*image.Gray), prep.OCRDPI, 6)
		if err != nil {
			return err
		}
		t.Offset(crop.Min)
		again := ExtractFields(k, t, c.labels)
		v, ok := again.Values[f.Name]
		if !ok {
			// Fields that share the label (the mother's and father's "Năm
			// sinh"): the piece holds one, taken by the first of them.
			for _, g := range k.Fields {
				if g.Name != f.Name && g.Label == f.Label && g.Type == f.Type {
					if v, ok = again.Values[g.Name]; ok {
						break
					}
				}
			}
		}
		if ok {
			ex.Values[f.Name] = v
			delete(ex.Missing, f.Name)
			delete(ex.Labels, f.Name)
		}
	}
	return nil
}
