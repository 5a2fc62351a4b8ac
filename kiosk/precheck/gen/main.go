// Command gen writes a test set of dossier pages for the pre-check: for each
// procedure of the catalogue, dossiers whose pages are the catalogue's forms
// filled with made-up people, typed with DejaVu Sans, at each resolution,
// skew and noise level asked for, as PNG files (with their dpi) plus
// truth.json saying what each page is and what is written on it.
//
//	go run ./kiosk/precheck/gen -out /tmp/testset -dossiers 2 -dpi 300,150 -skew 0,2.5 -noise 0,0.08
//
// With -eval it runs the whole evaluation instead (provisioning/bench-precheck.sh):
//
//	OMP_THREAD_LIMIT=1 go run ./kiosk/precheck/gen -eval -out /tmp/eval -dossiers 3 -mem-pages 500
//
// Only the accuracy on the variant set (other wordings and layouts of the
// same forms), a few minutes on 2 cores:
//
//	OMP_THREAD_LIMIT=1 go run ./kiosk/precheck/gen -eval -set variants -speed=false -mem-pages 0 -out /tmp/eval
//
// -variant NAME writes pages of one layout of testset.Variants ("all" cycles through them).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"xephang/kiosk/catalogue"
	"xephang/kiosk/precheck"
	"xephang/kiosk/precheck/internal/testset"
)

// Entry is one page of truth.json.
type Entry struct {
	File      string            `json:"file"`
	Procedure string            `json:"procedure"`
	Dossier   int               `json:"dossier"`
	Kind      string            `json:"kind"`
	DPI       int               `json:"dpi"`
	Skew      float64           `json:"skew"`
	Noise     float64           `json:"noise"`
	Layout    string            `json:"layout"`
	Fields    map[string]string `json:"fields"`
	// Words are the words typed on the page with the box of their ink
	// [x0, y0, x1, y1] in pixels, on pages not turned (skew 0).
	Words []Word `json:"words,omitempty"`
}

// Word is a word typed on a page.
type Word struct {
	Text string `json:"text"`
	Box  [4]int `json:"box"`
}

func main() {
	out := flag.String("out", "testset", "directory to write into")
	n := flag.Int("dossiers", 1, "dossiers per procedure and condition")
	dpis := flag.String("dpi", "300,150", "resolutions, comma-separated")
	skews := flag.String("skew", "0,2.5", "skew angles in degrees, comma-separated")
	noises := flag.String("noise", "0,0.08", "noise levels 0–1, comma-separated")
	procs := flag.String("procedures", "", "procedure ids, comma-separated; all when empty")
	seed := flag.Uint64("seed", 1, "random seed")
	variant := flag.String("variant", "", "layout of the pages: a name of testset.Variants (\"all\" cycles through them); the catalogue's plain layout when empty")
	eval := flag.Bool("eval", false, "run the pre-check on a fresh test set and print markdown tables (needs OMP_THREAD_LIMIT=1)")
	memPages := flag.Int("mem-pages", 500, "with -eval: pages for the memory measurement (0 skips it)")
	set := flag.String("set", "all", "with -eval: the conditions: plain (the catalogue's layout), variants (other wordings and layouts) or all")
	speed := flag.Bool("speed", true, "with -eval: measure seconds per page (one page at a time, plain set)")
	flag.Parse()
	if *eval {
		if err := evaluate(os.Stdout, *out, *n, *memPages, *seed, *set, *speed); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*out, *n, *dpis, *skews, *noises, *procs, *variant, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func floats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func run(out string, n int, dpis, skews, noises, procs, variant string, seed uint64) error {
	var layouts []testset.Variant
	for _, v := range testset.Variants() {
		if variant == "all" || v.Name == variant {
			layouts = append(layouts, v)
		}
	}
	if variant == "" {
		layouts = []testset.Variant{{Name: "plain"}}
	}
	if len(layouts) == 0 {
		return fmt.Errorf("unknown variant %q", variant)
	}
	ds, err := floats(dpis)
	if err != nil {
		return err
	}
	ss, err := floats(skews)
	if err != nil {
		return err
	}
	ns, err := floats(noises)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	cat := catalogue.Default()
	ids := cat.IDs()
	if procs != "" {
		ids = strings.Split(procs, ",")
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var entries []Entry
	dossier := 0
	for _, id := range ids {
		p, err := cat.Procedure(id)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			for _, dpi := range ds {
				for _, sk := range ss {
					for _, no := range ns {
						dossier++
						d := testset.NewDossier(rng)
						for _, kid := range testset.PagesFor(p) {
							k := cat.Kind(kid)
							lay := layouts[(dossier-1)%len(layouts)]
							opt := testset.Options{DPI: int(dpi), Skew: sk * float64(1-2*rng.IntN(2)), Noise: no, Layout: lay.Layout}
							pg, err := testset.Render(k, d, rng, opt)
							if err != nil {
								return err
							}
							name := fmt.Sprintf("%04d-%s-%s-%d.png", len(entries)+1, id, kid, int(dpi))
							f, err := os.Create(filepath.Join(out, name))
							if err != nil {
								return err
							}
							err = precheck.EncodePNG(f, pg.Image, int(dpi))
							if cerr := f.Close(); err == nil {
								err = cerr
							}
							if err != nil {
								return err
							}
							var words []Word
							for _, w := range pg.Words {
								words = append(words, Word{w.Text, [4]int{w.Box.Min.X, w.Box.Min.Y, w.Box.Max.X, w.Box.Max.Y}})
							}
							entries = append(entries, Entry{File: name, Procedure: id, Dossier: dossier, Kind: kid, DPI: int(dpi), Skew: opt.Skew, Noise: no, Layout: lay.Name, Fields: pg.Fields, Words: words})
						}
					}
				}
			}
		}
	}
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	fmt.Printf("%d pages in %s\n", len(entries), out)
	return os.WriteFile(filepath.Join(out, "truth.json"), b, 0o644)
}
