package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// inLocale makes the tab's browser locale loc (navigator.language, ICU's
// default), as an administrator's English-language Chromium would be.
func inLocale(loc string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: loc})
		return err
	})
}

// A Vietnamese page shows and takes dates as dd/mm/yyyy even in a browser
// set to American English (the reports page showed 11/24/2026).
func TestDatesFollowThePageLanguage(t *testing.T) {
	base, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "dates")
	must(t, "open the reports in an en-US browser", chromedp.Do(page, append(append([]chromedp.Action[chromedp.Void]{
		inLocale("en_US"),
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(base + "/admin/reports.html?period=day&date=2026-11-24"),
	}, signInAt(admin)...),
		chromedp.WaitVisible(chromedp.ID("reports")),
		chromedp.Poll[chromedp.Void](`document.getElementById('result').children.length > 0`),
	)...))
	if lang, err := chromedp.Run(page, chromedp.Evaluate[string](`navigator.language`)); err != nil || lang != "en-US" {
		t.Fatalf("the browser's locale is %q (%v), want en-US", lang, err)
	}
	field := func() string {
		v, err := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById('date').value`))
		must(t, "read the date field", err)
		return v
	}
	if got := field(); got != "24/11/2026" {
		t.Errorf("date field shows %q, want 24/11/2026", got)
	}
	heading, err := chromedp.Run(page, chromedp.Evaluate[string](`document.querySelector('#result h2').textContent`))
	must(t, "read the report heading", err)
	if !strings.Contains(heading, "24/11/2026") {
		t.Errorf("report heading %q does not read 24/11/2026", heading)
	}

	// Typed as people type it: d/m/yyyy goes to the API as YYYY-MM-DD.
	must(t, "type a date", chromedp.Do(page,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('date').value = ''`),
		chromedp.SendKeys(chromedp.ID("date"), "3/11/2026"),
		chromedp.Click(chromedp.ID("show")),
		chromedp.Poll[chromedp.Void](`location.search.includes('date=2026-11-03')`),
	))
	loc, err := chromedp.Run(page, chromedp.Evaluate[string](`location.search`))
	must(t, "read the address", err)
	if q, _ := url.ParseQuery(loc[1:]); q.Get("date") != "2026-11-03" {
		t.Errorf("the page asked for date %q, want 2026-11-03", q.Get("date"))
	}

	// Not a date: said next to the field, no request.
	must(t, "type a wrong date", chromedp.Do(page,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('date').value = ''`),
		chromedp.SendKeys(chromedp.ID("date"), "31/02/2026"),
		chromedp.Click(chromedp.ID("show")),
		chromedp.Poll[chromedp.Void](`!document.getElementById('error').hidden`),
	))
	state, err := chromedp.Run(page, chromedp.Evaluate[[]string](`[document.getElementById('error').textContent,
		document.getElementById('date').getAttribute('aria-invalid') || '', location.search]`))
	must(t, "read the error", err)
	if !strings.Contains(state[0], "24/11/2026") || state[1] != "true" || !strings.Contains(state[2], "date=2026-11-03") {
		t.Errorf("wrong date: error %q, aria-invalid %q, address %q", state[0], state[1], state[2])
	}

	// The parser itself, in the page's own module.
	got, err := chromedp.Run(page, chromedp.Evaluate[[]string](`import('/assets/dates.js').then((d) =>
		['24/11/2026', '1/2/2026', '01.02.2026', '29/02/2028', '29/02/2026', '2026-11-24', '24/11/26', '32/01/2026', ''].map(d.parseDate)
		.concat([d.formatDate('2026-01-05'), d.formatDate('05/01/2026')]))`, chromedp.EvalAwaitPromise))
	must(t, "run the date parser", err)
	want := []string{"2026-11-24", "2026-02-01", "2026-02-01", "2028-02-29", "", "", "", "", "", "05/01/2026", ""}
	if len(got) != len(want) {
		t.Fatalf("parser results %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("case %d: %q, want %q", i, got[i], want[i])
		}
	}
}
