package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/ui"
)

// powBenchPage times the booking page's solver (/assets/pow.js) in the
// browser on challenges whose number is maxnumber (the worst case).
const powBenchPage = `<!doctype html><script type="module">
import { solve } from '/assets/pow.js';
async function challenge(salt, n) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(salt + n));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
window.bench = async (maxnumber, runs) => {
  let ms = 0, tries = 0;
  for (let r = 0; r < runs; r++) {
    const salt = 'abcdefabcdefabcdefabcdef?expires=17650000' + r;
    const ch = await challenge(salt, maxnumber - r);
    const t0 = performance.now();
    const got = await solve({ salt, challenge: ch, maxnumber });
    ms += performance.now() - t0;
    tries += maxnumber - r + 1;
    if (got !== maxnumber - r) throw new Error('wrong number ' + got);
  }
  return ms * 1000 / tries;
};
window.ready = true;
</script>`

// BenchmarkPowSolverChromium is what the booking page's proof of work
// costs a browser: µs per hash in headless Chromium, on the page's thread
// (the worker runs the same code). docs/benchmarks.md, "Proof of work".
func BenchmarkPowSolverChromium(b *testing.B) {
	static := ui.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bench" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, powBenchPage)
			return
		}
		static.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromium), chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(b.TempDir()))
	defer cancelAlloc()
	page, cancelPage := chromedp.NewContext(alloc)
	defer cancelPage()
	if _, err := chromedp.Run(page, chromedp.Navigate(srv.URL+"/bench")); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Run(page, chromedp.Poll[chromedp.Void](`window.ready === true`)); err != nil {
		b.Fatal(err)
	}
	var us float64
	for b.Loop() {
		v, err := chromedp.Run(page, chromedp.Evaluate[float64](`bench(500000, 1)`, chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		us = v
	}
	b.ReportMetric(us, "µs/hash")
	b.ReportMetric(us*250_000/1000, "ms/booking-at-base")
}
