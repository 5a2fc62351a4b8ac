package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
	"xephang/ui"
)

// newBrowser starts headless Chromium for one test, bounded by ctx, and
// the log its tabs' console problems go to, checked when the test ends.
func newBrowser(t *testing.T, ctx context.Context) (context.Context, *consoleLog) {
	t.Helper()
	needChromium(t)
	allocCtx, cancelAlloc := chromiumAllocator(ctx, t, 1366, 768, true)
	t.Cleanup(cancelAlloc)
	first, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// Start the browser now, so every tab opened later shares it.
	must(t, "start Chromium", chromedp.Do(first, chromedp.Navigate("about:blank")))
	logs := new(consoleLog)
	t.Cleanup(func() { logs.check(t) })
	return first, logs
}

// tab opens a new tab of the browser, watched for console problems.
func tab(t *testing.T, browser context.Context, logs *consoleLog, name string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	logs.watch(ctx, name)
	return ctx
}

func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("XEPHANG_SCREENSHOTS") != "1" {
		return
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	must(t, "screenshot "+name, err)
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func signInAt(user string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
	}
}

// atCounter opens the counter console in a 1366×768 window, signs user in
// and chooses counter n among the centre's counters (options of them).
func atCounter(base, user string, counters, n int) []chromedp.Action[chromedp.Void] {
	return append(append([]chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base + "/counter/"),
	}, signInAt(user)...),
		chromedp.WaitVisible(chromedp.ID("setup-submit")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#counter option').length === %d`, counters)),
		chromedp.SetValue(chromedp.ID("counter"), strconv.Itoa(n)),
		chromedp.Click(chromedp.ID("setup-submit")),
		chromedp.WaitVisible(chromedp.ID("btn-next")),
	)
}

// TestAdminInChromium: an administrator adds a service and a counter to a
// centre, creates a clerk who then signs in at the counter console, and
// creates a kiosk enrolment token that a kiosk then uses; the kiosk shows
// in the list and is revoked; the audit log shows the configuration.
func TestAdminInChromium(t *testing.T) {
	base, centre := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	browser, logs := newBrowser(t, ctx)

	page := tab(t, browser, logs, "admin")
	// The administrator's computer is in another zone than the centre:
	// the centre's times must still read in the centre's zone.
	must(t, "open admin", chromedp.Do(page,
		inZone("Asia/Kathmandu"),
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(chromedp.ID("username")),
	))
	assertAccessible(t, page, "admin, sign-in form")
	must(t, "sign in to admin", chromedp.Do(page, append(signInAt(admin),
		chromedp.WaitVisible(chromedp.CSS(`#centre-list tr[data-centre="hoan-kiem"]`)),
	)...))
	assertAccessible(t, page, "admin, centres")

	// The navigation links to the reports page.
	href, err := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById('nav-reports').getAttribute('href')`))
	must(t, "read the reports link", err)
	if href != "/admin/reports.html" {
		t.Errorf("reports link = %q", href)
	}

	// Edit the centre: add service G and counter 6 serving it.
	must(t, "add a service and a counter", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(`#centre-list tr[data-centre="hoan-kiem"] button`)),
		chromedp.WaitVisible(chromedp.ID("centre-form")),
		chromedp.Poll[chromedp.Void](`document.getElementById('c-name').value.includes('Hoàn Kiếm')`),
		chromedp.Click(chromedp.ID("add-service")),
		chromedp.SendKeys(chromedp.CSS(`#c-services .svc:last-child input[name="name"]`), "Tư pháp – Hộ tịch lưu động"),
		chromedp.SendKeys(chromedp.CSS(`#c-services .svc:last-child input[name="name_en"]`), "Mobile civil status"),
		chromedp.Click(chromedp.ID("add-counter")),
		chromedp.WaitVisible(chromedp.CSS(`#c-counters .ctr:last-child input[name="svc-G"]`)),
		chromedp.Click(chromedp.CSS(`#c-counters .ctr:last-child input[name="svc-G"]`)),
	))
	must(t, "scroll to the top", chromedp.Do(page, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)))
	saveScreenshot(t, page, "admin-centre.png")
	assertAccessible(t, page, "admin, editing a centre")

	// A counter without services is refused by the API; the message shows
	// beside the counters.
	logs.expectRefusal("/api/v1/centres/hoan-kiem")
	must(t, "see a validation error", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(`#c-counters .ctr:last-child input[name="svc-G"]`)), // uncheck
		chromedp.Click(chromedp.ID("centre-save")),
		chromedp.WaitVisible(chromedp.CSS(`fieldset[data-part="counters"] .part-error`)),
	))
	msg, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`fieldset[data-part="counters"] .part-error`)))
	must(t, "read the error", err)
	if !strings.Contains(msg, "6 chưa phục vụ lĩnh vực nào") {
		t.Errorf("counter error = %q, want the API's Vietnamese message about quầy 6", msg)
	}
	assertAccessible(t, page, "admin, a counter refused")
	// A duplicate service code: the API names the field, the form marks and
	// focuses that very input.
	setCode := func(code string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.querySelector('#c-services .svc:last-child input[name="code"]'); el.value = %q; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); })()`, code))
	}
	must(t, "see the field of an error marked", chromedp.Do(page,
		setCode("A"),
		chromedp.Click(chromedp.ID("centre-save")),
		chromedp.Poll[chromedp.Void](`(() => { const el = document.querySelector('#c-services .svc:last-child input[name="code"]'); return el.getAttribute('aria-invalid') === 'true' && document.activeElement === el && document.querySelector('fieldset[data-part="services"]').classList.contains('invalid'); })()`, chromedp.WithPollingTimeout(5*time.Second)),
	))
	assertAccessible(t, page, "admin, a field marked invalid")
	must(t, "correct the code", chromedp.Do(page, setCode("G")))
	must(t, "save the centre", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(`#c-counters .ctr:last-child input[name="svc-G"]`)),
		chromedp.Click(chromedp.ID("centre-save")),
		chromedp.Poll[chromedp.Void](`(document.body.dataset.saved || '').startsWith('hoan-kiem:') && document.getElementById('centre-error').hidden`),
	))
	assertAccessible(t, page, "admin, centre saved")
	client := apiv1.NewClient(base)
	must(t, "sign in the client", client.Login(ctx, admin, password))
	got, err := client.Centre(ctx, centre.ID)
	must(t, "read the centre", err)
	svc, ok := got.Service("G")
	if !ok || svc.Name != "Tư pháp – Hộ tịch lưu động" || svc.NameEn != "Mobile civil status" || svc.Minutes != 10 {
		t.Errorf("service G = %+v, %v", svc, ok)
	}
	k, ok := got.Counter(6)
	if !ok || k.Name != "Quầy 6" || len(k.Services) != 1 || k.Services[0] != "G" {
		t.Errorf("counter 6 = %+v, %v", k, ok)
	}
	if len(got.Services) != len(centre.Services)+1 || len(got.Counters) != len(centre.Counters)+1 {
		t.Errorf("centre has %d services and %d counters, want one more of each", len(got.Services), len(got.Counters))
	}

	// Staff: create a clerk.
	must(t, "create a clerk", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(`#nav a[data-section="staff"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#user-list tr[data-username="canbo1"]`)),
	))
	assertAccessible(t, page, "admin, staff")
	must(t, "fill the clerk's form", chromedp.Do(page,
		chromedp.Click(chromedp.ID("user-new")),
		chromedp.WaitVisible(chromedp.ID("user-form")),
	))
	assertAccessible(t, page, "admin, new staff form")
	must(t, "save the clerk", chromedp.Do(page,
		chromedp.SendKeys(chromedp.ID("u-username"), "canbo7"),
		chromedp.SendKeys(chromedp.ID("u-name"), "Lê Thị Hoa"),
		chromedp.SendKeys(chromedp.ID("u-password"), password),
		chromedp.Click(chromedp.ID("user-save")),
		chromedp.WaitVisible(chromedp.CSS(`#user-list tr[data-username="canbo7"]`)),
	))
	row, err := chromedp.Run(page, chromedp.Text(chromedp.CSS(`#user-list tr[data-username="canbo7"]`)))
	must(t, "read the clerk's row", err)
	if !strings.Contains(row, "Lê Thị Hoa") || !strings.Contains(row, "Cán bộ một cửa") || !strings.Contains(row, "Hoàn Kiếm") {
		t.Errorf("clerk row = %q", row)
	}
	assertAccessible(t, page, "admin, clerk created")

	// The new clerk signs in at the counter console and works at counter 6.
	console := tab(t, browser, logs, "counter")
	must(t, "the new clerk signs in", chromedp.Do(console, append(atCounter(base, "canbo7", 6, 6),
		chromedp.Poll[chromedp.Void](`document.getElementById('who').textContent.includes('Lê Thị Hoa') && document.getElementById('where').textContent.includes('Quầy 6')`),
	)...))
	assertAccessible(t, console, "counter, the new clerk at counter 6")

	// Kiosks: an enrolment token, shown once with the command line.
	must(t, "create an enrolment token", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(`#nav a[data-section="kiosks"]`)),
		chromedp.WaitVisible(chromedp.ID("enroll-create")),
		chromedp.Poll[chromedp.Void](`document.getElementById('enroll-centre').value === 'hoan-kiem'`),
		chromedp.Click(chromedp.ID("enroll-create")),
		chromedp.WaitVisible(chromedp.ID("enroll-result")),
	))
	command, err := chromedp.Run(page, chromedp.Value(chromedp.ID("enroll-command")))
	must(t, "read the command", err)
	token, err := chromedp.Run(page, chromedp.Text(chromedp.ID("enroll-token")))
	must(t, "read the token", err)
	if want := "kioskd enroll -server " + base + " -token " + token; command != want || len(token) < 16 {
		t.Fatalf("command = %q, want %q", command, want)
	}
	assertAccessible(t, page, "admin, enrolment token shown")
	kiosk := apiv1.NewClient(base)
	enrolled, err := kiosk.Enroll(ctx, token, "Ki-ốt sảnh chính")
	must(t, "enrol with the token from the page", err)
	_, err = kiosk.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1.2.3", Outbox: 2, LastError: "máy in hết giấy",
		Devices: []queue.DeviceStatus{{Name: "Máy in", Kind: "printer", Status: "error", Detail: "hết giấy"}, {Name: "Đầu đọc CCCD", Kind: "card-reader", Status: "ok"}}})
	must(t, "heartbeat", err)
	kioskRow := fmt.Sprintf(`#kiosk-list tr[data-kiosk=%q]`, enrolled.Kiosk)
	must(t, "see the kiosk", chromedp.Do(page,
		chromedp.Click(chromedp.ID("kiosk-refresh")),
		chromedp.WaitVisible(chromedp.CSS(kioskRow)),
		chromedp.WaitVisible(chromedp.CSS(kioskRow+` .dot.online`)),
	))
	row, err = chromedp.Run(page, chromedp.Text(chromedp.CSS(kioskRow)))
	must(t, "read the kiosk row", err)
	for _, want := range []string{"Ki-ốt sảnh chính", "1.2.3", "Máy in: lỗi", "hết giấy", "Đầu đọc CCCD: bình thường"} {
		if !strings.Contains(row, want) {
			t.Errorf("kiosk row %q lacks %q", row, want)
		}
	}
	must(t, "hide the toast", chromedp.Do(page, chromedp.Evaluate[chromedp.Void](`(() => { const el = document.getElementById('toast'); el.style.transition = 'none'; el.classList.remove('show'); })()`)))
	saveScreenshot(t, page, "admin-kiosks.png")
	assertAccessible(t, page, "admin, kiosks")
	must(t, "revoke the kiosk", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(kioskRow+` button.danger`)),
		chromedp.WaitVisible(chromedp.ID("dlg-revoke")),
	))
	assertAccessible(t, page, "admin, revoke dialog")
	must(t, "confirm", chromedp.Do(page,
		chromedp.Click(chromedp.ID("revoke-confirm")),
		chromedp.WaitVisible(chromedp.CSS(kioskRow+` .dot.revoked`)),
	))
	ks, err := client.Kiosks(ctx)
	must(t, "list kiosks", err)
	if len(ks) != 1 || !ks[0].Revoked {
		t.Errorf("kiosks after revoking: %+v", ks)
	}

	// Tokens: the used one is listed with its kiosk; a second one, which
	// went astray, is cancelled from the list and enrols nothing.
	// The list is redrawn as it reloads: look at it in one expression, not
	// wait for a row and then read it (it may have been replaced between).
	usedRow := fmt.Sprintf(`[...document.querySelectorAll('#token-list tr[data-status="used"]')].some((tr) => tr.textContent.includes(%q) && tr.textContent.includes(%q))`, "Đã dùng cho "+enrolled.Kiosk, admin)
	if err := chromedp.Do(page,
		chromedp.Click(chromedp.ID("kiosk-refresh")),
		chromedp.Poll[chromedp.Void](usedRow, chromedp.WithPollingTimeout(10*time.Second)),
	); err != nil {
		rows, _ := chromedp.Run(page, chromedp.TextContent(chromedp.ID("token-list")))
		t.Errorf("no used token row naming %s and %s: %q (%v)", enrolled.Kiosk, admin, rows, err)
	}
	must(t, "create a second token", chromedp.Do(page,
		chromedp.Click(chromedp.ID("enroll-create")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#token-list tr[data-status="active"]').length === 1`),
	))
	astray, err := chromedp.Run(page, chromedp.Text(chromedp.ID("enroll-token")))
	must(t, "read the second token", err)
	must(t, "cancel it", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(`#token-list tr[data-status="active"] button`)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#token-list tr[data-status="active"]').length === 0 && [...document.querySelectorAll('#token-list tr[data-status="cancelled"]')].some((tr) => tr.textContent.includes('Đã huỷ'))`),
	))
	if _, err := apiv1.NewClient(base).Enroll(ctx, astray, "Ki-ốt lạc"); err == nil {
		t.Error("a kiosk enrolled with the token cancelled on the page")
	}
	assertAccessible(t, page, "admin, tokens")

	// Audit: the configuration change, by whom, at the centre's time.
	must(t, "read the audit log", chromedp.Do(page,
		chromedp.Click(chromedp.CSS(`#nav a[data-section="audit"]`)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#audit-list tr')].some((tr) => tr.textContent.includes('Sửa cấu hình trung tâm') && tr.textContent.includes('quantri'))`),
	))
	loc, err := time.LoadLocation(centre.Timezone)
	must(t, "load the centre's zone", err)
	edited, err := chromedp.Run(page, chromedp.Evaluate[string](`[...document.querySelectorAll('#audit-list tr')].find((tr) => tr.textContent.includes('Sửa cấu hình trung tâm')).cells[0].textContent`))
	must(t, "read the audit time", err)
	now := time.Now().In(loc)
	if !strings.Contains(edited, now.Format("15:04")) && !strings.Contains(edited, now.Add(-time.Minute).Format("15:04")) {
		t.Errorf("audit time %q in a Kathmandu browser, want the centre's time (about %s, %s)", edited, now.Format("15:04"), centre.Timezone)
	}
	assertAccessible(t, page, "admin, audit log")

	// Reports: the form, then a day's figures.
	must(t, "open the reports", chromedp.Do(page,
		chromedp.Navigate(base+"/admin/reports.html"),
		chromedp.WaitVisible(chromedp.ID("reports")),
		chromedp.Poll[chromedp.Void](`document.getElementById('centre').value !== ''`),
	))
	assertAccessible(t, page, "reports, form")
	must(t, "show the report", chromedp.Do(page,
		chromedp.Click(chromedp.ID("show")),
		chromedp.Poll[chromedp.Void](`document.getElementById('result').children.length > 0`),
	))
	assertAccessible(t, page, "reports, shown")
}

// inZone makes a tab run in another time zone than the machine's, as on a
// computer or kiosk installed in UTC or abroad.
func inZone(tz string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tz})
		return err
	})
}

// precheckResult is what `kioskd precheck` prints for a birth registration
// with one paper missing and one that does not match the card.
const precheckResult = `{"procedure": "khai-sinh", "ok": false,
 "documents": [
  {"name": "Tờ khai đăng ký khai sinh", "status": "present", "pages": [1], "reasons": []},
  {"name": "Giấy chứng sinh (hoặc văn bản của người làm chứng, giấy cam đoan về việc sinh)", "status": "missing", "pages": [], "reasons": ["Không tìm thấy giấy chứng sinh trong các trang đã quét"]},
  {"name": "Giấy tờ tùy thân của người yêu cầu", "status": "inconsistent", "pages": [2], "reasons": ["Họ tên trên tờ khai (NGUYỄN VĂN AN) khác họ tên trên CCCD (NGUYỄN VĂN ANH)"]}
 ],
 "fields": {"applicant_name": "NGUYỄN VĂN AN", "child_name": "NGUYỄN MINH KHÔI", "child_birth_date": "2025-06-02"}}`

// TestCounterPrecheckAndRating: a kiosk issues a ticket and attaches its
// dossier pre-check; the clerk calls it and sees the result; after Finish
// the counter's rating tablet asks the citizen, who rates it.
func TestCounterPrecheckAndRating(t *testing.T) {
	base, centre := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	adminClient, kiosk := enrolKiosk(t, ctx, base, centre.ID)
	tk, err := kiosk.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "A"})
	must(t, "issue a ticket at the kiosk", err)
	must(t, "attach the pre-check", kiosk.AttachPrecheck(ctx, tk.ID, json.RawMessage(precheckResult)))

	browser, logs := newBrowser(t, ctx)

	console := tab(t, browser, logs, "counter")
	must(t, "sign in to the console", chromedp.Do(console, append(atCounter(base, clerk, 5, 1),
		chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`),
	)...))

	// The counter's rating tablet: paired once by the clerk signing in on
	// it (ticket ids are public; ratings are not), then idle.
	tablet := tab(t, browser, logs, "rate")
	must(t, "open the rating tablet", chromedp.Do(tablet,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(fmt.Sprintf("%s/counter/rate.html?centre=%s&counter=1", base, centre.ID)),
		chromedp.Poll[chromedp.Void](`document.body.dataset.stream === 'live' && document.body.dataset.state === 'pair'`),
	))
	assertAccessible(t, tablet, "rating tablet, pairing")
	must(t, "pair the rating tablet", chromedp.Do(tablet,
		chromedp.SendKeys(chromedp.ID("pair-user"), clerk),
		chromedp.SendKeys(chromedp.ID("pair-pass"), password),
		chromedp.Click(chromedp.ID("pair-submit")),
		chromedp.Poll[chromedp.Void](`document.body.dataset.state === 'idle'`),
	))
	stored, err := chromedp.Run(tablet, chromedp.Evaluate[string](`JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })`))
	must(t, "read the tablet's storage", err)
	if !strings.Contains(stored, "xephang.rating.") || strings.Contains(stored, password) {
		t.Errorf("tablet storage %s: want its own token and never the password", stored)
	}
	assertAccessible(t, tablet, "rating tablet, idle")

	must(t, "call the ticket", chromedp.Do(console,
		chromedp.Click(chromedp.ID("btn-next")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, tk.Number)),
		chromedp.WaitVisible(chromedp.ID("precheck")),
	))
	statuses, err := chromedp.Run(console, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#precheck-docs > li')].map((li) => li.dataset.status + ':' + li.querySelector('.status').textContent)`))
	must(t, "read the documents", err)
	if want := []string{"present:Có đủ", "missing:Thiếu", "inconsistent:Không khớp"}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("pre-check documents = %q, want %q", statuses, want)
	}
	text, err := chromedp.Run(console, chromedp.TextContent(chromedp.ID("precheck")))
	must(t, "read the pre-check", err)
	for _, want := range []string{"Đăng ký khai sinh", "Cần xem lại 2 giấy tờ", "khác họ tên trên CCCD", "Họ tên trẻ", "NGUYỄN MINH KHÔI"} {
		if !strings.Contains(text, want) {
			t.Errorf("pre-check panel lacks %q: %q", want, text)
		}
	}
	assertAccessible(t, console, "counter, a ticket's pre-check")
	must(t, "open the read fields", chromedp.Do(console,
		chromedp.Click(chromedp.CSS(`#precheck-fields-box summary`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#waiting li')`),
		chromedp.Evaluate[chromedp.Void](`(() => { const el = document.getElementById('toast'); el.style.transition = 'none'; el.classList.remove('show'); })()`),
	))
	saveScreenshot(t, console, "counter-precheck.png")
	assertAccessible(t, console, "counter, pre-check fields open")

	// Finish: the tablet asks the citizen; the console offers the same.
	must(t, "finish", chromedp.Do(console,
		chromedp.Click(chromedp.ID("btn-finish")),
		chromedp.WaitVisible(chromedp.ID("rate-prompt")),
		chromedp.Poll[chromedp.Void](`document.querySelector('#today-counter td[data-k="served"]').textContent === '1' && document.querySelector('#today-centre td[data-k="served"]').textContent === '1'`),
	))
	assertAccessible(t, console, "counter, finished, rating asked")
	must(t, "the tablet asks", chromedp.Do(tablet,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.body.dataset.state === 'ask' && document.body.dataset.ticket === %q`, tk.ID)),
	))
	question, err := chromedp.Run(tablet, chromedp.Text(chromedp.ID("ask-title")))
	must(t, "read the question", err)
	if !strings.Contains(question, tk.Number) {
		t.Errorf("tablet question = %q, want the number %s", question, tk.Number)
	}
	saveScreenshot(t, tablet, "rating-tablet.png")
	assertAccessible(t, tablet, "rating tablet, asking")
	must(t, "rate: very satisfied", chromedp.Do(tablet,
		chromedp.Click(chromedp.CSS(`#ask button[data-score="4"]`)),
		chromedp.Poll[chromedp.Void](`document.body.dataset.state === 'thanks'`),
	))
	assertAccessible(t, tablet, "rating tablet, thanks")
	rated, err := adminClient.Ticket(ctx, tk.ID)
	must(t, "read the ticket", err)
	if rated.Rating != 4 {
		t.Errorf("rating = %d, want 4", rated.Rating)
	}
	// The console's prompt goes away once the tablet has the answer.
	must(t, "the console's prompt closes", chromedp.Do(console,
		chromedp.Poll[chromedp.Void](`document.getElementById('rate-prompt').hidden && document.getElementById('today-rating').textContent.includes('4/4')`),
	))
}

// TestDisplaySpeaksCalls: with the clips generated by ui/audio/generate.sh,
// the hall display loads the manifest and, for two calls made together,
// says one after the other, each with its counter.
func TestDisplaySpeaksCalls(t *testing.T) {
	base, centre := startServer(t)
	if !ui.HasSpeech() {
		// Not generated before the build: generate now and serve the clips
		// from disk beside the server (the test binary embedded none).
		if _, err := exec.LookPath("espeak-ng"); err != nil {
			t.Fatal("espeak-ng is needed to generate the spoken calls (Debian package espeak-ng; run provisioning/dev-deps.sh test)")
		}
		out, err := exec.Command("bash", filepath.Join("audio", "generate.sh")).CombinedOutput()
		if err != nil {
			t.Fatalf("ui/audio/generate.sh: %v\n%s", err, out)
		}
		target, _ := url.Parse(base)
		proxy := httputil.NewSingleHostReverseProxy(target)
		clips := http.StripPrefix("/display/audio/", http.FileServer(http.Dir(filepath.Join("static", "display", "audio"))))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/display/audio/") {
				clips.ServeHTTP(w, r)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		base = srv.URL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := apiv1.NewClient(base)
	must(t, "sign in", client.Login(ctx, clerk, password))

	browser, logs := newBrowser(t, ctx)
	display := tab(t, browser, logs, "display")
	must(t, "open the display", chromedp.Do(display,
		chromedp.EmulateViewport(1920, 1080),
		chromedp.Navigate(base+"/display/?centre="+centre.ID),
		chromedp.Poll[chromedp.Void](`document.body.dataset.stream === 'live' && document.body.dataset.speech === 'on'`),
	))
	state, err := chromedp.Run(display, chromedp.Evaluate[string](`(() => { const c = window.xephangAnnouncer && document.body.dataset.speech; return c ? 'ok' : 'none'; })()`))
	must(t, "find the announcer", err)
	if state != "ok" {
		t.Fatal("window.xephangAnnouncer is missing")
	}

	a, err := client.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "A"})
	must(t, "issue A", err)
	c, err := client.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "C"})
	must(t, "issue C", err)
	if _, _, err := client.Next(ctx, centre.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Next(ctx, centre.ID, 3); err != nil {
		t.Fatal(err)
	}
	// The second call waits while the first is said.
	must(t, "see the second call queued", chromedp.Do(display,
		chromedp.Poll[chromedp.Void](`window.xephangAnnouncer.current !== null && window.xephangAnnouncer.queue.length === 1`, chromedp.WithPollingTimeout(5*time.Second)),
	))
	type played struct {
		Number  string   `json:"number"`
		Counter int      `json:"counter"`
		Spoken  []string `json:"spoken"`
		At      float64  `json:"at"`
	}
	must(t, "let both calls be said", chromedp.Do(display,
		chromedp.Poll[chromedp.Void](`window.xephangAnnouncer.played.length >= 2 && window.xephangAnnouncer.queue.length === 0`, chromedp.WithPollingTimeout(30*time.Second)),
	))
	list, err := chromedp.Run(display, chromedp.Evaluate[[]played](`window.xephangAnnouncer.played`))
	must(t, "read what was said", err)
	if len(list) != 2 {
		t.Fatalf("said %d calls, want 2: %+v", len(list), list)
	}
	for i, want := range []struct {
		number  string
		counter int
	}{{a.Number, 1}, {c.Number, 3}} {
		p := list[i]
		if p.Number != want.number || p.Counter != want.counter {
			t.Errorf("call %d = %s at %d, want %s at %d", i, p.Number, p.Counter, want.number, want.counter)
		}
		spoken := strings.Join(p.Spoken, " ")
		wantSpoken := "call letter." + want.number[:1]
		for _, d := range want.number[1:] {
			wantSpoken += " digit." + string(d)
		}
		wantSpoken += fmt.Sprintf(" to_counter number.%d", want.counter)
		if spoken != wantSpoken {
			t.Errorf("call %d spoke %q, want %q", i, spoken, wantSpoken)
		}
	}
	if gap := list[1].At - list[0].At; gap < 2000 {
		t.Errorf("the second call ended %.0f ms after the first: it cut in", gap)
	}
}
