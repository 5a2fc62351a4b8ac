package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"xephang/kiosk/catalogue"
	"xephang/kiosk/precheck"
	"xephang/kiosk/precheck/internal/testset"
)

type condition struct {
	name    string
	opt     testset.Options
	variant bool // of the variant set: layouts and wordings other than the catalogue's
}

type dossierCase struct {
	proc  string
	files []string
	data  [][]byte
	truth []*testset.Page
}

// evaluate generates dossiers for each condition, runs the pre-check on
// them and writes markdown tables: classification accuracy, field
// exact-match rates, seconds per page against bare tesseract, pages per
// minute with 2 workers, and memory after memPages pages. set chooses the
// conditions: "plain" (the catalogue's layout, as before), "variants"
// (other wordings and layouts of the same forms) or "all"; speed false
// skips the seconds-per-page table.
func evaluate(w io.Writer, dir string, n, memPages int, seed uint64, set string, speed bool) error {
	if os.Getenv("OMP_THREAD_LIMIT") != "1" {
		return fmt.Errorf("run with OMP_THREAD_LIMIT=1")
	}
	cat := catalogue.Default()
	conds := []condition{
		{"300 dpi, straight, clean", testset.Options{DPI: 300}, false},
		{"300 dpi, skew ±2.5°, noise 0.08", testset.Options{DPI: 300, Skew: 2.5, Noise: 0.08}, false},
		{"150 dpi, straight, clean", testset.Options{DPI: 150}, false},
		{"150 dpi, skew ±2.5°, noise 0.08", testset.Options{DPI: 150, Skew: 2.5, Noise: 0.08}, false},
	}
	for _, v := range testset.Variants() {
		conds = append(conds, condition{"300 dpi, " + v.Name, testset.Options{DPI: 300, Layout: v.Layout}, true})
	}
	all := testset.Variants()[len(testset.Variants())-2].Layout
	conds = append(conds, condition{"300 dpi, skew ±2.5°, noise 0.08, all variants together", testset.Options{DPI: 300, Skew: 2.5, Noise: 0.08, Layout: all}, true},
		condition{"150 dpi, straight, clean, all variants together", testset.Options{DPI: 150, Layout: all}, true})
	switch set {
	case "all":
	case "plain", "variants":
		var keep []condition
		for _, c := range conds {
			if c.variant == (set == "variants") {
				keep = append(keep, c)
			}
		}
		conds = keep
	default:
		return fmt.Errorf("-set: %q is not plain, variants or all", set)
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	cases := map[string][]dossierCase{}
	for ci, c := range conds {
		rng := rng
		if c.variant {
			// Each variant condition has its own stream, so that the plain
			// set stays the pages it always was, with or without variants.
			rng = rand.New(rand.NewPCG(seed, uint64(100+ci)))
		}
		for _, id := range cat.IDs() {
			p, _ := cat.Procedure(id)
			for i := 0; i < n; i++ {
				d := testset.NewDossier(rng)
				dc := dossierCase{proc: id}
				for _, kid := range testset.PagesFor(p) {
					opt := c.opt
					opt.Skew *= float64(1 - 2*rng.IntN(2))
					pg, err := testset.Render(cat.Kind(kid), d, rng, opt)
					if err != nil {
						return err
					}
					var buf bytes.Buffer
					if err := precheck.EncodePNG(&buf, pg.Image, opt.DPI); err != nil {
						return err
					}
					f := filepath.Join(dir, fmt.Sprintf("c%d-%s-%d-%s.png", ci, id, i, kid))
					if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
						return err
					}
					pg.Image = nil
					dc.files, dc.data, dc.truth = append(dc.files, f), append(dc.data, buf.Bytes()), append(dc.truth, pg)
				}
				cases[c.name] = append(cases[c.name], dc)
			}
		}
	}
	ctx := context.Background()
	ch, err := precheck.NewChecker(precheck.Config{OCR: precheck.OCROptions{Workers: 2}})
	if err != nil {
		return err
	}
	defer ch.Close()

	fmt.Fprintf(w, "### Accuracy (%d dossiers per procedure and condition, %d procedures)\n\n", n, len(cat.IDs()))
	fmt.Fprintln(w, "| condition | pages | classified right | fields exact | dossiers judged right | documents present / unreadable / missing / inconsistent | mean OCR conf. | pages/min (2 workers) |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	perField := map[string][2]int{}
	var misses []string
	for _, c := range conds {
		var pages, right, fOK, fAll, dOK int
		var conf float64
		status := map[precheck.Status]int{}
		var mu sync.Mutex
		start := time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 2)
		for _, dc := range cases[c.name] {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				var in []precheck.Page
				for _, b := range dc.data {
					in = append(in, precheck.Page{Data: b})
				}
				res, err := ch.Check(ctx, dc.proc, in, nil, nil)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					misses = append(misses, err.Error())
					return
				}
				pages += len(dc.data)
				for i, pr := range res.Pages {
					conf += pr.OCRConf
					if pr.Kind == dc.truth[i].Kind {
						right++
					} else {
						misses = append(misses, fmt.Sprintf("%s: page %s read as %q (score %.2f)", c.name, filepath.Base(dc.files[i]), pr.Kind, pr.Score))
					}
					for k, v := range dc.truth[i].Fields {
						k = strings.TrimSuffix(k, "_words")
						fAll++
						pf := perField[k]
						pf[1]++
						if res.Fields[k] == v {
							fOK++
							pf[0]++
						} else {
							misses = append(misses, fmt.Sprintf("%s: %s %s = %q, want %q", c.name, filepath.Base(dc.files[i]), k, res.Fields[k], v))
						}
						perField[k] = pf
					}
				}
				// Judged right: every required document present, or flagged
				// only for the resolution (150 dpi pages must be rescanned).
				good := true
				for _, d := range res.Documents {
					if len(d.Pages) > 0 || d.Required {
						status[d.Status]++
					}
					if d.Required && d.Status != precheck.Present {
						good = false
					}
				}
				if good {
					dOK++
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		fmt.Fprintf(w, "| %s | %d | %.1f%% | %.1f%% (%d/%d) | %.0f%% | %d / %d / %d / %d | %.1f | %.1f |\n", c.name, pages, pct(right, pages), pct(fOK, fAll), fOK, fAll,
			pct(dOK, len(cases[c.name])), status[precheck.Present], status[precheck.Unreadable], status[precheck.Missing], status[precheck.Inconsistent],
			conf/float64(max(pages, 1)), float64(pages)/el.Minutes())
	}
	fmt.Fprintln(w, "\n### Field exact-match rate, all conditions\n\n| field | exact | of |\n| --- | --- | --- |")
	var names []string
	for k := range perField {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "| %s | %.1f%% | %d |\n", k, pct(perField[k][0], perField[k][1]), perField[k][1])
	}

	// Seconds per page, one at a time: bare tesseract on the file against
	// our OCR of the same image (no preprocessing) and the preprocessing.
	if speed {
		if err := speedTable(ctx, w, conds, cases); err != nil {
			return err
		}
	}
	if memPages > 0 {
		var all []precheck.Page
		for _, c := range conds[:2] {
			for _, dc := range cases[c.name] {
				for _, b := range dc.data {
					all = append(all, precheck.Page{Data: b})
				}
			}
		}
		fmt.Fprintln(w, "\n### Memory over many pages (2 workers)\n\n| recycle every | pages | RSS before | RSS after | Go heap after | seconds |\n| --- | --- | --- | --- | --- | --- |")
		for _, rec := range []int{precheck.DefaultRecycle, 1 << 30} {
			mc, err := precheck.NewChecker(precheck.Config{OCR: precheck.OCROptions{Workers: 2, Recycle: rec}})
			if err != nil {
				return err
			}
			runtime.GC()
			before := rssMB()
			start := time.Now()
			var wg sync.WaitGroup
			next := make(chan int)
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						mc.Check(ctx, "khai-sinh", []precheck.Page{all[i%len(all)]}, nil, nil)
					}
				}()
			}
			for i := 0; i < memPages; i++ {
				next <- i
			}
			close(next)
			wg.Wait()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			label := fmt.Sprint(rec)
			if rec == 1<<30 {
				label = "never"
			}
			fmt.Fprintf(w, "| %s | %d | %.0f MB | %.0f MB | %.0f MB | %.0f |\n", label, memPages, before, rssMB(), float64(ms.HeapInuse)/1e6, time.Since(start).Seconds())
			mc.Close()
		}
	}
	if len(misses) > 0 {
		fmt.Fprintf(w, "\n### Misses (%d)\n\n", len(misses))
		sort.Strings(misses)
		for i, m := range misses {
			if i == 120 {
				fmt.Fprintf(w, "- … %d more\n", len(misses)-120)
				break
			}
			fmt.Fprintf(w, "- %s\n", m)
		}
	}
	return nil
}

// speedTable writes the seconds per page, one page at a time, of up to 12
// pages of each plain condition.
func speedTable(ctx context.Context, w io.Writer, conds []condition, cases map[string][]dossierCase) error {
	fmt.Fprint(w, "\n### Seconds per page, one page at a time (same images, same run)\n\n")
	fmt.Fprintln(w, "| condition | pages | bare `tesseract` | our OCR, same image, no preprocessing | overhead | preprocessing | our OCR after preprocessing | whole pipeline |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	one, err := precheck.NewChecker(precheck.Config{OCR: precheck.OCROptions{Workers: 1}, Prepare: precheck.PrepareOptions{NoDeskew: true, NoUpscale: true}})
	if err != nil {
		return err
	}
	full, err := precheck.NewChecker(precheck.Config{OCR: precheck.OCROptions{Workers: 1}})
	if err != nil {
		return err
	}
	for _, c := range conds {
		if c.variant {
			continue // the same forms' speed: measured on the plain set
		}
		var bare, raw, prep, ocr time.Duration
		k := 0
		for _, dc := range cases[c.name] {
			for i, f := range dc.files {
				if k >= 12 {
					break
				}
				k++
				t0 := time.Now()
				cmd := exec.Command("tesseract", f, "-", "-l", "vie")
				cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
				if err := cmd.Run(); err != nil {
					return fmt.Errorf("tesseract: %w", err)
				}
				bare += time.Since(t0)
				r, err := one.Read(ctx, precheck.Page{Data: dc.data[i]})
				if err != nil {
					return err
				}
				raw += r.OCRTime
				r, err = full.Read(ctx, precheck.Page{Data: dc.data[i]})
				if err != nil {
					return err
				}
				prep += r.PrepareTime
				ocr += r.OCRTime
			}
		}
		s := func(d time.Duration) float64 { return d.Seconds() / float64(k) }
		fmt.Fprintf(w, "| %s | %d | %.2f | %.2f | %+.0f%% | %.2f | %.2f | %.2f |\n", c.name, k, s(bare), s(raw), 100*(s(raw)-s(bare))/s(bare), s(prep), s(ocr), s(prep)+s(ocr))
	}
	one.Close()
	full.Close()
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// rssMB reads the resident set size from /proc/self/status.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb / 1024
		}
	}
	return 0
}
