package digitise_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"xephang/kiosk/digitise"
	"xephang/kiosk/precheck"
	"xephang/kiosk/precheck/omptest"
)

// TestMain runs the tests with OMP_THREAD_LIMIT=1, as the kiosk runs Tesseract.
func TestMain(m *testing.M) { omptest.Main(m) }

// truthPage is one page of the generated test set (kiosk/precheck/gen's
// truth.json).
type truthPage struct {
	File   string            `json:"file"`
	Kind   string            `json:"kind"`
	DPI    int               `json:"dpi"`
	Fields map[string]string `json:"fields"`
	Words  []struct {
		Text string `json:"text"`
		Box  [4]int `json:"box"`
	} `json:"words"`
	data []byte
}

var (
	setOnce sync.Once
	set     []truthPage
	setErr  error
)

// testSet generates, once per run, a khai-sinh dossier of clean 300 dpi
// pages typed in DejaVu Sans, with every word typed and its box.
func testSet(t testing.TB) []truthPage {
	t.Helper()
	setOnce.Do(func() {
		dir, err := os.MkdirTemp("", "digitise-set")
		if err != nil {
			setErr = err
			return
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "run", "../precheck/gen", "-out", dir, "-dossiers", "1", "-dpi", "300", "-skew", "0", "-noise", "0", "-procedures", "khai-sinh").CombinedOutput()
		if err != nil {
			setErr = &genError{err, string(out)}
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
		if err == nil {
			err = json.Unmarshal(b, &set)
		}
		for i := range set {
			if err == nil {
				set[i].data, err = os.ReadFile(filepath.Join(dir, set[i].File))
			}
		}
		setErr = err
	})
	if setErr != nil {
		t.Fatal(setErr)
	}
	if len(set) != 3 || len(set[0].Words) == 0 {
		t.Fatalf("test set: %d pages", len(set))
	}
	return set
}

type genError struct {
	err error
	out string
}

func (e *genError) Error() string { return "gen: " + e.err.Error() + ": " + e.out }

var (
	checkerOnce sync.Once
	checker     *precheck.Checker
	checkerErr  error
)

func sharedChecker(t testing.TB) *precheck.Checker {
	t.Helper()
	checkerOnce.Do(func() {
		checker, checkerErr = precheck.NewChecker(precheck.Config{Now: func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) }})
	})
	if checkerErr != nil {
		t.Fatal(checkerErr)
	}
	return checker
}

func pagesOf(set []truthPage) []precheck.Page {
	var ps []precheck.Page
	for _, p := range set {
		ps = append(ps, precheck.Page{Data: p.data})
	}
	return ps
}

// pdfWord is a word as pdftotext -bbox-layout gives it, in points.
type pdfWord struct {
	XMin float64 `xml:"xMin,attr"`
	YMin float64 `xml:"yMin,attr"`
	XMax float64 `xml:"xMax,attr"`
	YMax float64 `xml:"yMax,attr"`
	Text string  `xml:",chardata"`
}

// bboxWords runs pdftotext -bbox-layout on page n of a PDF.
func bboxWords(t *testing.T, pdf []byte, n int) []pdfWord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "p.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, "pdftotext", "-bbox-layout", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox-layout: %v", err)
	}
	var words []pdfWord
	d := xml.NewDecoder(bytes.NewReader(out))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "word" {
			var w pdfWord
			if err := d.DecodeElement(&w, &se); err != nil {
				t.Fatal(err)
			}
			w.Text = norm.NFC.String(strings.TrimSpace(w.Text))
			words = append(words, w)
		}
	}
	return words
}

// pdfText runs pdftotext on a PDF.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return norm.NFC.String(string(out))
}

// TestSearchablePDF reads a dossier once with the pre-check, makes its
// pages one searchable PDF, and measures what pdftotext finds there of the
// words typed on the pages, and where.
func TestSearchablePDF(t *testing.T) {
	set := testSet(t)
	_, texts, err := sharedChecker(t).CheckPages(context.Background(), "khai-sinh", pagesOf(set), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pages []digitise.Page
	for i, pt := range texts {
		p, ok := digitise.PageOf(pt)
		if !ok || pt.DPI != 300 || len(p.Words) == 0 {
			t.Fatalf("page %d: image %v, %d dpi, %d words", i+1, ok, pt.DPI, len(p.Words))
		}
		pages = append(pages, p)
	}
	pdf, err := digitise.PDF(pages)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(16, len(pdf))])
	}
	t.Logf("%d pages, %d kB", len(pages), len(pdf)/1024)

	// Every word typed, found by pdftotext (each found word counted once).
	found := map[string]int{}
	for _, w := range strings.Fields(pdfText(t, pdf)) {
		found[w]++
	}
	total, hit := 0, 0
	var lost []string
	for _, p := range set {
		for _, w := range p.Words {
			total++
			if found[w.Text] > 0 {
				found[w.Text]--
				hit++
			} else {
				lost = append(lost, w.Text)
			}
		}
	}
	share := float64(hit) / float64(total)
	t.Logf("pdftotext finds %d of the %d words typed: %.4f (lost: %q)", hit, total, share, lost)
	if share < 0.98 {
		t.Errorf("pdftotext finds %.4f of the words typed, want ≥ 0.98", share)
	}

	// Each word where the image has it: pdftotext's box of the word holds
	// the middle of the word's ink, and its left and right edges are within
	// tol of the ink's.
	const tol = 2.0 // points, 0.7 mm
	for n, p := range set {
		words := bboxWords(t, pdf, n+1)
		pt := 72 / float64(p.DPI)
		matched, placed, worst := 0, 0, 0.0
		for _, w := range p.Words {
			x0, y0, x1, y1 := float64(w.Box[0])*pt, float64(w.Box[1])*pt, float64(w.Box[2])*pt, float64(w.Box[3])*pt
			best, bestD := -1, math.Inf(1)
			for i, pw := range words {
				if pw.Text != w.Text {
					continue
				}
				if d := math.Abs(pw.XMin-x0) + math.Abs((pw.YMin+pw.YMax)/2-(y0+y1)/2); d < bestD {
					best, bestD = i, d
				}
			}
			if best < 0 {
				continue
			}
			matched++
			pw := words[best]
			off := max(math.Abs(pw.XMin-x0), math.Abs(pw.XMax-x1))
			cy := (y0 + y1) / 2
			if cy < pw.YMin || cy > pw.YMax {
				off = max(off, tol+1)
			}
			worst = max(worst, off)
			if off <= tol {
				placed++
			} else {
				t.Logf("page %d: %q at %.1f,%.1f–%.1f,%.1f, ink at %.1f,%.1f–%.1f,%.1f", n+1, w.Text, pw.XMin, pw.YMin, pw.XMax, pw.YMax, x0, y0, x1, y1)
			}
		}
		t.Logf("page %d: %d of %d words found placed within %.1f pt (worst %.1f pt)", n+1, placed, matched, tol, worst)
		if matched == 0 || float64(placed) < 0.98*float64(matched) {
			t.Errorf("page %d: %d of %d words where the image has them", n+1, placed, matched)
		}
	}

	// Rendered, the page is its scan: the text is invisible (the same
	// page without its words renders the same pixels).
	bare, err := digitise.PDF([]digitise.Page{{Image: pages[0].Image, DPI: pages[0].DPI}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "d.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var renders [2]image.Image
	for i, b := range [][]byte{pdf, bare} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.CommandContext(ctx, "pdftoppm", "-png", "-gray", "-r", "100", "-f", "1", "-l", "1", "-singlefile", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v: %s", err, out)
		}
		renders[i] = readPNG(t, filepath.Join(dir, "page.png"))
	}
	if renders[0].Bounds() != renders[1].Bounds() || renders[0].Bounds().Dx() != 827 {
		t.Errorf("rendered at 100 dpi: %v and %v, want an A4 page 827 wide", renders[0].Bounds(), renders[1].Bounds())
	} else if d := meanDiff(renders[0], renders[1]); d != 0 {
		t.Errorf("the words show: page 1 rendered with and without them differs by %.3f grey levels on average", d)
	}
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("XEPHANG_SCREENSHOTS") == "1" {
		shot := filepath.Join("..", "..", "docs", "screenshots", "digitised-page.png")
		if out, err := exec.CommandContext(ctx, "pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", path, strings.TrimSuffix(shot, ".png")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v: %s", err, out)
		}
		t.Logf("wrote %s", shot)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// meanDiff compares two images of the same size, pixel by pixel.
func meanDiff(a, b image.Image) float64 {
	r := a.Bounds()
	var sum float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			av, _, _, _ := a.At(x, y).RGBA()
			bv, _, _, _ := b.At(x, y).RGBA()
			sum += math.Abs(float64(av>>8) - float64(bv>>8))
		}
	}
	return sum / float64(r.Dx()*r.Dy())
}

// TestDocuments: one PDF per document of the pre-check's result, with the
// fields read on it; a blank page goes to the "other" document.
func TestDocuments(t *testing.T) {
	set := testSet(t)
	blank := image.NewGray(image.Rect(0, 0, 2481, 3507))
	for i := range blank.Pix {
		blank.Pix[i] = 250
	}
	var b bytes.Buffer
	if err := precheck.EncodePNG(&b, blank, 300); err != nil {
		t.Fatal(err)
	}
	pages := append(pagesOf(set), precheck.Page{Data: b.Bytes()})
	res, texts, err := sharedChecker(t).CheckPages(context.Background(), "khai-sinh", pages, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := digitise.Documents(res, texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 4 {
		t.Fatalf("%d documents, want 3 and the other", len(docs))
	}
	for i, d := range docs[:3] {
		sum := sha256.Sum256(d.PDF)
		if d.Pages != 1 || d.SHA256 != hex.EncodeToString(sum[:]) || d.Kind != set[i].Kind || d.Status != string(precheck.Present) {
			t.Errorf("document %d: %s %s %d pages %s", i, d.Name, d.Kind, d.Pages, d.Status)
		}
		if d.Name != res.Documents[i].Name {
			t.Errorf("document %d named %q, want %q", i, d.Name, res.Documents[i].Name)
		}
		text := pdfText(t, d.PDF)
		for f, want := range set[i].Fields {
			f = strings.TrimSuffix(f, "_words")
			if d.Fields[f] != want {
				t.Errorf("%s: field %s = %q, want %q", d.Kind, f, d.Fields[f], want)
			}
		}
		// The page's words are there to search for.
		in := map[string]bool{}
		for _, w := range strings.Fields(text) {
			in[w] = true
		}
		n := 0
		for _, w := range set[i].Words {
			if in[w.Text] {
				n++
			}
		}
		if n < len(set[i].Words)*95/100 {
			t.Errorf("%s: %d of the %d words of the page in the PDF's text", d.Kind, n, len(set[i].Words))
		}
	}
	o := docs[3]
	if o.Name != digitise.OtherName || o.Kind != digitise.OtherKind || o.Pages != 1 || o.Status != string(precheck.Unreadable) || len(o.Reasons) == 0 || len(o.Fields) != 0 {
		t.Errorf("other: %+v", o)
	}
	// A paper of another procedure's dossier: recognised, in "other".
	res2, texts2, err := sharedChecker(t).CheckPages(context.Background(), "ket-hon", pagesOf(set[1:2]), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs, err = digitise.Documents(res2, texts2)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Kind != digitise.OtherKind || docs[0].Status != string(precheck.Present) || len(docs[0].Reasons) != 1 || !strings.Contains(docs[0].Reasons[0], "không thuộc hồ sơ") || docs[0].Fields["mother_name"] != set[1].Fields["mother_name"] {
		t.Errorf("a birth certificate checked for a marriage: %+v", docs)
	}
	if _, err := digitise.Documents(res, texts[:1]); err == nil {
		t.Error("pages not of the result taken")
	}
}

// TestPDFPageSize: each page is its image's size at its resolution, and
// a word with no line metrics is placed on its box alone.
func TestPDFPageSize(t *testing.T) {
	a4 := image.NewGray(image.Rect(0, 0, 1240, 1754)) // A4 at 150 dpi
	for i := range a4.Pix {
		a4.Pix[i] = 255
	}
	wide := image.NewRGBA(image.Rect(0, 0, 600, 300)) // 2 × 1 inch at 300 dpi, colour
	pdf, err := digitise.PDF([]digitise.Page{
		{Image: a4, DPI: 150, Words: []precheck.Word{{Text: "Hà Nội", Box: image.Rect(100, 100, 400, 140)}}},
		{Image: wide, DPI: 300},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pdfinfo", "-f", "1", "-l", "2", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	info := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Page 1 size: 595.2 x 841.92 pts", "Page 2 size: 144 x 72 pts"} {
		if !strings.Contains(info, want) {
			t.Errorf("pdfinfo: no %q in\n%s", want, out)
		}
	}
	words := bboxWords(t, pdf, 1)
	if len(words) != 2 || words[0].Text != "Hà" || words[1].Text != "Nội" || math.Abs(words[0].XMin-48) > 0.5 || math.Abs(words[1].XMax-192) > 0.5 {
		t.Errorf("words %+v, want Hà Nội from 48 to 192 pt", words)
	}
}

func TestPDFRefuses(t *testing.T) {
	if _, err := digitise.PDF(nil); err != digitise.ErrNoPages {
		t.Errorf("no pages: %v", err)
	}
	if _, err := digitise.PDF([]digitise.Page{{Image: image.NewGray(image.Rect(0, 0, 10, 10))}}); err == nil {
		t.Error("page without a resolution taken")
	}
}
