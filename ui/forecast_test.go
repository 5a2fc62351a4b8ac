package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/demo"
)

// TestForecastPageInChromium: with half a year of the demo centre's
// history, the admin's "Dự báo" page draws the forecast with its interval,
// filters it by service, shows the plan by hour and counter and switches
// to English, all accessible; the counter console names the next open
// day's busiest hours.
func TestForecastPageInChromium(t *testing.T) {
	centre, err := demo.Centre()
	if err != nil {
		t.Fatal(err)
	}
	base := serveWith(t, serveOptions{history: 182}, centre).base
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser, logs := newBrowser(t, ctx)

	page := tab(t, browser, logs, "forecast")
	must(t, "open the forecast page", chromedp.Do(page,
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(base+"/admin/forecast.html"),
		chromedp.WaitVisible(chromedp.ID("username")),
	))
	assertAccessible(t, page, "forecast, sign-in")
	must(t, "sign in and see the forecast", chromedp.Do(page, append(signInAt(admin),
		chromedp.WaitVisible(chromedp.ID("forecast")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#result svg polygon').length === 2 && document.querySelectorAll('#plan tbody tr').length > 0`, chromedp.WithPollingTimeout(60*time.Second)),
	)...))
	assertAccessible(t, page, "forecast, shown")
	saveScreenshot(t, page, "admin-forecast.png")

	// The plan: a row per open hour, a column per counter, the summary.
	rows, err := chromedp.Run(page, chromedp.Evaluate[int](`document.querySelectorAll('#plan tbody tr').length`))
	must(t, "count the plan's hours", err)
	cols, err := chromedp.Run(page, chromedp.Evaluate[int](`document.querySelectorAll('#plan thead th').length`))
	must(t, "count the plan's columns", err)
	if rows < 4 || cols != 2+len(centre.Counters)+3 {
		t.Errorf("plan of %d hours × %d columns", rows, cols)
	}
	summary, err := chromedp.Run(page, chromedp.Text(chromedp.ID("plan-summary")))
	must(t, "read the plan's summary", err)
	if !strings.Contains(summary, "giờ-quầy") || !strings.Contains(summary, "p90") {
		t.Errorf("plan summary %q", summary)
	}
	pdf, err := chromedp.Run(page, chromedp.Text(chromedp.ID("dl-pdf")))
	must(t, "read the PDF button", err)
	if pdf != "In kế hoạch (PDF)" {
		t.Errorf("PDF button %q", pdf)
	}

	// One service: the day chart and the table follow it.
	allDays, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`.days tbody tr:first-child td`)))
	must(t, "read the first day", err)
	must(t, "filter by service C", chromedp.Do(page,
		chromedp.SetValue(chromedp.ID("service"), "C"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('service').dispatchEvent(new Event('change'))`),
		chromedp.Poll[chromedp.Void](`document.getElementById('service').value === 'C' && document.querySelectorAll('#result svg polygon').length === 2`),
	))
	cDays, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`.days tbody tr:first-child td`)))
	must(t, "read the first day of C", err)
	if cDays == allDays {
		t.Errorf("filtering by service C left the day's forecast %q", cDays)
	}
	assertAccessible(t, page, "forecast, one service")

	must(t, "switch to English", chromedp.Do(page,
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.querySelector('.days h2').textContent === 'Forecast per day' && document.getElementById('dl-pdf').textContent === 'Print plan (PDF)'`),
	))
	assertAccessible(t, page, "forecast, English")
	must(t, "switch back to Vietnamese", chromedp.Do(page,
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.querySelector('.days h2').textContent === 'Dự báo theo ngày'`),
	))

	// Admin links to the page.
	href, err := chromedp.Run(page, chromedp.Evaluate[string](`fetch('/admin/').then((r) => r.text()).then((t) => new DOMParser().parseFromString(t, 'text/html').getElementById('nav-forecast').getAttribute('href'))`, chromedp.EvalAwaitPromise))
	must(t, "read admin's link", err)
	if href != "/admin/forecast.html" {
		t.Errorf("admin's forecast link = %q", href)
	}

	// The counter console: the next open day's busiest hours.
	console := tab(t, browser, logs, "counter")
	must(t, "open the console", chromedp.Do(console, atCounter(base, clerk, len(centre.Counters), 1)...))
	must(t, "see the busiest hours", chromedp.Do(console,
		chromedp.Poll[chromedp.Void](`!document.getElementById('busiest').hidden`, chromedp.WithPollingTimeout(60*time.Second)),
	))
	line, err := chromedp.Run(console, chromedp.Text(chromedp.ID("busiest")))
	must(t, "read the busiest hours", err)
	if !strings.Contains(line, "đông nhất:") || !strings.Contains(line, " giờ (~") || !strings.Contains(line, " người)") {
		t.Errorf("busiest line %q", line)
	}
	assertAccessible(t, console, "counter, busiest hours")
}
