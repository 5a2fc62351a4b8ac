package precheck

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/otiai10/gosseract/v2"
	"golang.org/x/text/unicode/norm"
)

// ErrClosed means the OCR pool was closed.
var ErrClosed = errors.New("precheck: OCR pool closed")

// DefaultRecycle is how many pages a Tesseract client reads before it is
// replaced: gosseract v2.4.1 leaks the C string of every Text/HOCRText
// result (tens of MB over a few hundred pages), and closing the client is
// the only way to get that memory back.
const DefaultRecycle = 100

// initMu makes Tesseract clients initialise one at a time: TessBaseAPI::Init
// redirects the process's stderr while it runs and is not safe to run
// concurrently.
var initMu sync.Mutex

// Line is one line of recognised text with Tesseract's mean word confidence.
type Line struct {
	Text  string
	Conf  float64         // 0–100
	Box   image.Rectangle // where on the page, in pixels; empty when not known
	Words []Word          // the words of Text, in order
}

// Word is one word Tesseract read, where it read it: what a searchable PDF
// of the page lays over the image.
type Word struct {
	Text string          // NFC
	Conf float64         // 0–100
	Box  image.Rectangle // in pixels; empty when not known
	// Baseline is the y of the line's baseline under the word and Size the
	// height of the line's letters, ascenders to descenders (hOCR x_size),
	// both in pixels; 0 when hOCR did not say.
	Baseline, Size int
}

// Text is what OCR read on a page.
type Text struct {
	Lines []Line
	Conf  float64 // mean word confidence, 0–100
	Words int
	Good  int // words read with confidence of GoodWordConf or more
}

// Offset moves every box and baseline by d: from a piece of a page to the
// page.
func (t *Text) Offset(d image.Point) {
	for i := range t.Lines {
		l := &t.Lines[i]
		l.Box = l.Box.Add(d)
		for j := range l.Words {
			w := &l.Words[j]
			w.Box = w.Box.Add(d)
			if w.Size > 0 {
				w.Baseline += d.Y
			}
		}
	}
}

// Readability: what says a page could not be read, whatever its labels.
// On the generated pages (docs/benchmarks-precheck.md) pages OCR reads
// well score 91–96 and 0.95–1.00, pages it loses most of (150 dpi, skewed,
// noisy) 65–76 and 0.67–0.77; the limits sit between. Check them against
// real scans.
const (
	GoodWordConf    = 60   // a word read at least this sure counts as read
	MinReadableConf = 80   // a page's mean word confidence below this: unreadable
	MinGoodShare    = 0.85 // a page with a smaller share of words read: unreadable
)

// Readable reports whether OCR could read the page: mean word confidence
// and the share of words read with confidence (the density of real text
// among the specks and smudges Tesseract also reports as words). Whether
// the fields were found does not enter: a clean page of a form printed
// otherwise is readable.
func Readable(t *Text) bool {
	if t == nil || t.Words == 0 {
		return false
	}
	return t.Conf >= MinReadableConf && float64(t.Good) >= MinGoodShare*float64(t.Words)
}

// String returns the lines joined by newlines.
func (t *Text) String() string {
	var b strings.Builder
	for _, l := range t.Lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// OCROptions configure the pool.
type OCROptions struct {
	Workers  int    // Tesseract clients, one per worker goroutine; 2 when zero
	Language string // "vie" when empty
	PSM      int    // page segmentation mode; 3 (automatic) when zero
	Recycle  int    // pages per client before it is replaced; DefaultRecycle when zero
}

// OCR is a pool of Tesseract clients (gosseract), one per worker goroutine.
// Tesseract should run single-threaded (OMP_THREAD_LIMIT=1, see
// SingleThreaded): with its OpenMP threads a page takes about four times
// longer on a 2-core kiosk.
type OCR struct {
	opt  OCROptions
	jobs chan ocrJob
	wg   sync.WaitGroup
	once sync.Once
	quit chan struct{}
}

type ocrJob struct {
	ctx   context.Context
	img   *image.Gray
	dpi   int
	psm   int
	reply chan ocrReply
}

type ocrReply struct {
	text *Text
	err  error
}

// NewOCR starts the pool; clients are created and initialised one at a
// time, so an error (no "vie" traineddata) shows here rather than on the
// first page.
func NewOCR(opt OCROptions) (*OCR, error) {
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.Language == "" {
		opt.Language = "vie"
	}
	if opt.PSM == 0 {
		opt.PSM = 3
	}
	if opt.Recycle <= 0 {
		opt.Recycle = DefaultRecycle
	}
	o := &OCR{opt: opt, jobs: make(chan ocrJob), quit: make(chan struct{})}
	clients := make([]*gosseract.Client, 0, opt.Workers)
	for range opt.Workers {
		c, err := o.newClient()
		if err != nil {
			for _, c := range clients {
				c.Close()
			}
			return nil, err
		}
		clients = append(clients, c)
	}
	for _, c := range clients {
		o.wg.Add(1)
		go o.worker(c)
	}
	return o, nil
}

// warmPage is a tiny white image read once to force TessBaseAPI::Init,
// which gosseract otherwise runs lazily inside the first Text call.
var warmPage = func() []byte {
	g := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	return PNM(g)
}()

func (o *OCR) newClient() (*gosseract.Client, error) {
	initMu.Lock()
	defer initMu.Unlock()
	c := gosseract.NewClient()
	if err := c.SetLanguage(o.opt.Language); err != nil {
		c.Close()
		return nil, fmt.Errorf("precheck: tesseract: %w", err)
	}
	// SetPageSegMode is lost when gosseract initialises the API (v2.4.1);
	// a variable survives because it is applied after Init.
	c.SetVariable("tessedit_pageseg_mode", strconv.Itoa(o.opt.PSM))
	c.SetVariable("debug_file", os.DevNull) // keep "Invalid resolution" chatter off the kiosk's stderr
	if err := c.SetImageFromBytes(warmPage); err != nil {
		c.Close()
		return nil, fmt.Errorf("precheck: tesseract: %w", err)
	}
	if _, err := c.Text(); err != nil {
		c.Close()
		return nil, fmt.Errorf("precheck: tesseract init (is tesseract-ocr-%s installed?): %w", o.opt.Language, err)
	}
	return c, nil
}

func (o *OCR) worker(c *gosseract.Client) {
	defer o.wg.Done()
	pages := 0
	defer func() { c.Close() }()
	for {
		select {
		case <-o.quit:
			return
		case j := <-o.jobs:
			if err := j.ctx.Err(); err != nil {
				j.reply <- ocrReply{err: err}
				continue
			}
			if pages >= o.opt.Recycle {
				nc, err := o.newClient()
				if err == nil {
					c.Close()
					c, pages = nc, 0
				}
			}
			pages++
			t, err := recognise(c, j.img, j.dpi, j.psm)
			j.reply <- ocrReply{t, err}
		}
	}
}

func recognise(c *gosseract.Client, g *image.Gray, dpi, psm int) (*Text, error) {
	c.SetVariable("user_defined_dpi", strconv.Itoa(dpi))
	c.SetVariable("tessedit_pageseg_mode", strconv.Itoa(psm))
	if err := c.SetImageFromBytes(PNM(g)); err != nil {
		return nil, fmt.Errorf("precheck: tesseract: %w", err)
	}
	h, err := c.HOCRText()
	if err != nil {
		return nil, fmt.Errorf("precheck: tesseract: %w", err)
	}
	return ParseHOCR(strings.NewReader(h))
}

// Recognise reads one prepared page. It waits for a free worker; ctx
// cancels the wait, not a page Tesseract has started.
func (o *OCR) Recognise(ctx context.Context, g *image.Gray, dpi int) (*Text, error) {
	return o.RecogniseAs(ctx, g, dpi, o.opt.PSM)
}

// RecogniseAs reads an image with page segmentation mode psm (6: one
// block of text, for a piece of a page).
func (o *OCR) RecogniseAs(ctx context.Context, g *image.Gray, dpi, psm int) (*Text, error) {
	reply := make(chan ocrReply, 1)
	select {
	case o.jobs <- ocrJob{ctx, g, dpi, psm, reply}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-o.quit:
		return nil, ErrClosed
	}
	r := <-reply
	return r.text, r.err
}

// Close stops the workers after the pages they are reading and frees the
// clients.
func (o *OCR) Close() error {
	o.once.Do(func() { close(o.quit) })
	o.wg.Wait()
	return nil
}

// ParseHOCR reads Tesseract's hOCR output: the ocr_line spans and the
// x_wconf of their ocrx_word spans.
func ParseHOCR(r io.Reader) (*Text, error) {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	t := &Text{}
	var (
		stack   []string // class of each open element
		words   []Word
		texts   []string
		word    strings.Builder
		conf    float64
		wbox    image.Rectangle
		sum     float64
		box     image.Rectangle
		base    baseline
		rowSize int
	)
	endLine := func() {
		if len(words) > 0 {
			var c float64
			texts = texts[:0]
			for _, w := range words {
				c += w.Conf
				texts = append(texts, w.Text)
			}
			t.Lines = append(t.Lines, Line{Text: norm.NFC.String(strings.Join(texts, " ")), Conf: c / float64(len(words)), Box: box, Words: words})
		}
		words = nil
	}
	inWord := func() bool {
		for _, c := range stack {
			if c == "ocrx_word" {
				return true
			}
		}
		return false
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("precheck: hocr: %w", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			class, title := "", ""
			for _, a := range e.Attr {
				switch a.Name.Local {
				case "class":
					class = a.Value
				case "title":
					title = a.Value
				}
			}
			switch class {
			case "ocr_line", "ocr_caption", "ocr_header", "ocr_textfloat":
				endLine()
				box = bbox(title)
				base, rowSize = lineBaseline(title), intAttr(title, "x_size")
			case "ocrx_word":
				word.Reset()
				conf = wconf(title)
				wbox = bbox(title)
			}
			stack = append(stack, class)
			if len(stack) > 64 {
				return nil, fmt.Errorf("precheck: hocr: nested too deep")
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			class := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch class {
			case "ocrx_word":
				if w := strings.TrimSpace(word.String()); w != "" {
					wd := Word{Text: norm.NFC.String(w), Conf: conf, Box: wbox}
					if !box.Empty() && base.known && rowSize > 0 {
						x := float64(wbox.Min.X+wbox.Max.X) / 2
						if wbox.Empty() {
							x = float64(box.Min.X)
						}
						wd.Baseline = int(math.Round(float64(box.Max.Y) + base.offset + base.slope*(x-float64(box.Min.X))))
						wd.Size = rowSize
					}
					words = append(words, wd)
					sum += conf
					t.Words++
					if conf >= GoodWordConf {
						t.Good++
					}
				}
			case "ocr_line", "ocr_caption", "ocr_header", "ocr_textfloat":
				endLine()
			}
		case xml.CharData:
			if inWord() {
				word.Write(e)
			}
		}
	}
	endLine()
	if t.Words > 0 {
		t.Conf = sum / float64(t.Words)
	}
	return t, nil
}

// bbox reads "bbox x0 y0 x1 y1" from an hOCR title; empty when absent or
// malformed.
func bbox(title string) image.Rectangle {
	for _, part := range strings.Split(title, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "bbox "); ok {
			var c [4]int
			f := strings.Fields(v)
			if len(f) != 4 {
				return image.Rectangle{}
			}
			for i := range c {
				n, err := strconv.Atoi(f[i])
				if err != nil || n < 0 || n > 1<<20 {
					return image.Rectangle{}
				}
				c[i] = n
			}
			return image.Rect(c[0], c[1], c[2], c[3])
		}
	}
	return image.Rectangle{}
}

// baseline is hOCR's "baseline slope offset" of a line: its baseline is
// y = bottom of the line's box + offset + slope·(x − left of the box).
type baseline struct {
	slope, offset float64
	known         bool
}

func lineBaseline(title string) baseline {
	for _, part := range strings.Split(title, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "baseline "); ok {
			f := strings.Fields(v)
			if len(f) != 2 {
				return baseline{}
			}
			s, err1 := strconv.ParseFloat(f[0], 64)
			o, err2 := strconv.ParseFloat(f[1], 64)
			if err1 != nil || err2 != nil || math.Abs(s) > 1 || math.Abs(o) > 1<<20 {
				return baseline{}
			}
			return baseline{s, o, true}
		}
	}
	return baseline{}
}

// intAttr reads "name N" from an hOCR title; 0 when absent or malformed.
func intAttr(title, name string) int {
	for _, part := range strings.Split(title, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f <= 0 || f > 1<<20 {
				return 0
			}
			return int(math.Round(f))
		}
	}
	return 0
}

func wconf(title string) float64 {
	for _, part := range strings.Split(title, ";") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "x_wconf "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// SingleThreaded reports whether Tesseract's OpenMP threads are limited to
// one (OMP_THREAD_LIMIT=1). libgomp reads it once when the process starts,
// so it must be in the environment of kioskd (systemd Environment=), not
// set from Go.
func SingleThreaded() bool { return os.Getenv("OMP_THREAD_LIMIT") == "1" }
