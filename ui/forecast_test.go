package ui_test

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/unicode/norm"

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

	// How far to trust it: last week's forecast against what came.
	acc, err := chromedp.Run(page, chromedp.Text(chromedp.ID("accuracy")))
	must(t, "read the accuracy line", err)
	if !strings.HasPrefix(acc, "Độ tin cậy: trong 7 ngày qua") || !strings.Contains(acc, "%") || !strings.Contains(acc, "(WAPE, ") {
		t.Errorf("accuracy line %q", acc)
	}
	// The roster against the plan: the hours short named, or enough.
	checkRoster(t, page)

	// "In kế hoạch (PDF)": the button's address, fetched with the
	// page's session, is the plan of the day shown.
	planDay, err := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById('plan-day').value`))
	must(t, "read the plan's day", err)
	text := fetchPDF(t, page)
	day, _ := time.Parse(time.DateOnly, planDay)
	for _, want := range []string{"Kế hoạch bố trí quầy", day.Format("02/01/2006"), "Q1", "Q" + strconv.Itoa(len(centre.Counters)), "Số giờ-quầy theo kế hoạch", "tiết kiệm"} {
		if !strings.Contains(text, want) {
			t.Errorf("the plan's PDF lacks %q:\n%s", want, text)
		}
	}

	// One service: the day chart and the table follow it.
	allDays, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`.days tbody tr:first-child td`)))
	must(t, "read the first day", err)
	chartOf := `[...document.querySelectorAll('#result svg polyline')].map((p) => p.getAttribute('points')).join(' | ')`
	allChart, err := chromedp.Run(page, chromedp.Evaluate[string](chartOf))
	must(t, "read the charts", err)
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
	cChart, err := chromedp.Run(page, chromedp.Evaluate[string](chartOf))
	must(t, "read the charts of C", err)
	if cChart == allChart || strings.Count(cChart, " | ") != 1 {
		t.Errorf("filtering by service C left the charts as they were: %q", cChart)
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

	// One counter left: the plan says which hours the roster cannot cover.
	putErr, err := chromedp.Run(page, chromedp.Evaluate[string](`import('/assets/api.js').then(async ({ api }) => {
			const c = await api('GET', '/api/v1/centres/hoan-kiem');
			c.counters = [{ ...c.counters[0], services: c.services.map((s) => s.code) }];
			await api('PUT', '/api/v1/centres/hoan-kiem', c);
		}).then(() => '', (e) => String(e.message || e))`, chromedp.EvalAwaitPromise))
	if err != nil || putErr != "" {
		t.Fatalf("one counter for every service: %v %s", err, putErr)
	}
	must(t, "plan with one counter", chromedp.Do(page,
		chromedp.Click(chromedp.ID("show")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#plan thead th').length === 6 && document.querySelectorAll('#plan tr.short').length > 0`, chromedp.WithPollingTimeout(60*time.Second)),
	))
	roster := checkRoster(t, page)
	if !strings.HasPrefix(roster, "Thiếu quầy ở ") {
		t.Errorf("one counter for the demo centre: %q", roster)
	}
	assertAccessible(t, page, "forecast, roster short")
	if text := fetchPDF(t, page); !strings.Contains(text, "Thiếu quầy ở ") || !strings.Contains(text, "THIẾU QUẦY") {
		t.Errorf("the PDF of a short roster:\n%s", text)
	}
}

// checkRoster reads the plan's roster line: "Thiếu quầy ở N giờ: …" naming
// each hour marked short (N of them), or that the counters are enough
// when none is.
func checkRoster(t *testing.T, page context.Context) string {
	t.Helper()
	line, err := chromedp.Run(page, chromedp.Text(chromedp.ID("plan-roster")))
	must(t, "read the roster line", err)
	short, err := chromedp.Run(page, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#plan tr.short th')].map((th) => th.textContent)`))
	must(t, "read the short hours", err)
	if len(short) == 0 {
		if line != "Số quầy hiện có đủ để đạt mục tiêu chờ ở mọi giờ." {
			t.Errorf("no hour short, roster line %q", line)
		}
		return line
	}
	if !strings.HasPrefix(line, "Thiếu quầy ở "+strconv.Itoa(len(short))+" giờ: ") {
		t.Errorf("%d hours short, roster line %q", len(short), line)
	}
	for _, hr := range short {
		if !strings.Contains(line, hr+" (cần ") {
			t.Errorf("roster line %q does not name %s", line, hr)
		}
	}
	return line
}

// fetchPDF fetches the address of the page's "In kế hoạch (PDF)" button
// with the page's session, as the button does, and returns its text
// (pdftotext).
func fetchPDF(t *testing.T, page context.Context) string {
	t.Helper()
	got, err := chromedp.Run(page, chromedp.Evaluate[[]string](`import('/assets/api.js').then(async ({ token }) => {
		const r = await fetch(document.getElementById('dl-pdf').dataset.href, { headers: { Authorization: 'Bearer ' + token() } });
		const b = new Uint8Array(await r.arrayBuffer());
		let s = '';
		for (const x of b) s += String.fromCharCode(x);
		return [String(r.status), r.headers.get('Content-Type'), btoa(s)];
	})`, chromedp.EvalAwaitPromise))
	must(t, "fetch the plan's PDF", err)
	if len(got) != 3 || got[0] != "200" || got[1] != "application/pdf" {
		t.Fatalf("the plan's PDF: %.200q", got)
	}
	pdf, err := base64.StdEncoding.DecodeString(got[2])
	must(t, "decode the PDF", err)
	file := filepath.Join(t.TempDir(), "plan.pdf")
	must(t, "write the PDF", os.WriteFile(file, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", file, "-").Output()
	must(t, "pdftotext the plan", err)
	return norm.NFC.String(string(out))
}

// TestForecastPageTooLittleHistoryInChromium: a centre with under two
// weeks of history: the page says so in Vietnamese, draws no chart and no
// plan, and stays accessible.
func TestForecastPageTooLittleHistoryInChromium(t *testing.T) {
	centre, err := demo.Centre()
	if err != nil {
		t.Fatal(err)
	}
	base := serveWith(t, serveOptions{history: 6}, centre).base
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "forecast")
	must(t, "sign in and see the forecast", chromedp.Do(page, append([]chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(base + "/admin/forecast.html"),
	}, append(signInAt(admin),
		chromedp.Poll[chromedp.Void](`!!document.getElementById('notes')`, chromedp.WithPollingTimeout(30*time.Second)),
	)...)...))
	note, err := chromedp.Run(page, chromedp.Text(chromedp.ID("notes")))
	must(t, "read the notes", err)
	if !strings.Contains(note, "Chưa đủ lịch sử để dự báo: cần ít nhất 2 tuần có khách") {
		t.Errorf("notes %q", note)
	}
	empty, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`#result .alert.info`)))
	must(t, "read the empty state", err)
	if empty != "Chưa có dự báo cho trung tâm này." {
		t.Errorf("empty state %q", empty)
	}
	drawn, err := chromedp.Run(page, chromedp.Evaluate[int](`document.querySelectorAll('#result svg, #plan, #accuracy, #dl-pdf, #result table').length`))
	must(t, "look for charts", err)
	if drawn != 0 {
		t.Errorf("%d charts, plans or tables drawn without a forecast", drawn)
	}
	assertAccessible(t, page, "forecast, too little history")
}
