package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
)

// TestKioskAskInChromium: at a real kioskd, a citizen chooses "Tra cứu
// thủ tục" and types "lam giay khai sinh cho con" on the on-screen
// keyboard: the answer is Đăng ký khai sinh, its papers as a checklist,
// the centre's service; "Lấy số cho thủ tục này" prints a number of that
// service on the simulated printer. A question about nothing says where
// to ask. axe and the 15 mm targets on each screen.
func TestKioskAskInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	ks := startKioskScreen(t, ctx)
	kiosk := ks.tab
	do := ks.stepper(t, `search: document.getElementById('proc-search').value, answer: document.getElementById('ask-answer').textContent`)
	typeQuestion := func(want string, keys ...string) {
		t.Helper()
		do("type "+want, append(append([]chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.ID("proc-search")),
			chromedp.WaitVisible(chromedp.CSS(`#s-lookup-list .osk:not([hidden])`)),
		}, tapKeys(`#s-lookup-list .osk:not([hidden])`, keys...)...),
			chromedp.Poll[chromedp.Void](`document.getElementById('proc-search').value === `+jsString(want), chromedp.WithPollingTimeout(3*time.Second)))...)
	}
	do("open Tra cứu thủ tục",
		chromedp.WaitVisible(chromedp.CSS(`[data-start="lookup"]`)),
		chromedp.Click(chromedp.CSS(`[data-start="lookup"]`)),
		chromedp.WaitVisible(chromedp.ID("proc-search")),
	)
	typeQuestion("lam giay khai sinh cho con", strings.Split("l a m space g i a y space k h a i space s i n h space c h o space c o n", " ")...)
	do("see the answer", chromedp.Poll[chromedp.Void](`document.getElementById('ask-best')?.textContent === 'Đăng ký khai sinh'`, chromedp.WithPollingTimeout(5*time.Second)))
	papers, err := chromedp.Run(kiosk, chromedp.Evaluate[int](`document.querySelectorAll('#ask-papers input[type=checkbox]').length`))
	must(t, "count the papers", err)
	if papers == 0 {
		t.Error("the answer lists no papers to tick")
	}
	answer, _ := chromedp.Run(kiosk, chromedp.TextContent(chromedp.ID("ask-answer")))
	for _, want := range []string{"Lệ phí", "Thời gian giải quyết", "Nơi nộp", "Hộ tịch", "Lấy số cho thủ tục này", "Kiểm tra giấy tờ", "Đọc to"} {
		if !strings.Contains(answer, want) {
			t.Errorf("the answer lacks %q: %s", want, answer)
		}
	}
	checkTargets(t, kiosk, "kiosk, an answer")
	assertAccessible(t, kiosk, "kiosk, an answer")
	do("hide the keyboard", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#s-lookup-list .osk').forEach((k) => { k.hidden = true; })`))
	saveScreenshot(t, kiosk, "kiosk-ask-answer.png")
	do("read it aloud", chromedp.Click(chromedp.ID("ask-read")))

	do("take a number for it",
		chromedp.Click(chromedp.ID("ask-take")),
		chromedp.WaitVisible(chromedp.ID("s-printed")),
		chromedp.Poll[chromedp.Void](`document.getElementById('number').textContent !== ''`),
	)
	number, err := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("number")))
	must(t, "read the number", err)
	if !strings.HasPrefix(number, "A") {
		t.Errorf("printed number %q, want one of Hộ tịch (A)", number)
	}
	var pngs []string
	for end := time.Now().Add(10 * time.Second); len(pngs) == 0 && time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		pngs, _ = filepath.Glob(filepath.Join(ks.k.data, "sim", "printer", "*.png"))
	}
	if len(pngs) != 1 {
		t.Fatalf("the simulated printer has %d tickets, want 1", len(pngs))
	}
	if fi, err := os.Stat(pngs[0]); err != nil || fi.Size() < 1000 {
		t.Errorf("ticket image %s: %v", pngs[0], err)
	}

	// The question reached the server (through kioskd, in the background),
	// with the procedure chosen.
	adm := apiv1.NewClient(ks.base)
	must(t, "sign in the administrator", adm.Login(ctx, admin, password))
	var asked []apiv1.ProcedureQuestionView
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		asked, err = adm.ProcedureQuestions(ctx, ks.centre.ID, false, 0)
		must(t, "list the questions", err)
		if len(asked) > 0 {
			break
		}
	}
	if len(asked) != 1 || asked[0].Q != "lam giay khai sinh cho con" || asked[0].Chosen["khai-sinh"] != 1 || asked[0].Unanswered != 0 {
		t.Errorf("the server has the questions %+v", asked)
	}

	// The next citizen asks about nothing the kiosk knows.
	do("go home",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('home-btn').hidden || document.getElementById('home-btn').click()`),
		chromedp.WaitVisible(chromedp.ID("s-home")),
		chromedp.Click(chromedp.CSS(`[data-start="lookup"]`)),
		chromedp.WaitVisible(chromedp.ID("proc-search")),
	)
	if v, _ := chromedp.Run(kiosk, chromedp.Evaluate[string](`document.getElementById('proc-search').value + document.getElementById('ask-answer').textContent`)); v != "" {
		t.Errorf("the last citizen's question stays: %q", v)
	}
	typeQuestion("thoi tiet hom nay", strings.Split("t h o i space t i e t space h o m space n a y", " ")...)
	do("see where to ask", chromedp.Poll[chromedp.Void](`!!document.getElementById('ask-unknown')`, chromedp.WithPollingTimeout(5*time.Second)))
	msg, _ := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("ask-unknown")))
	if !strings.HasPrefix(msg, "Chưa hiểu câu hỏi: vui lòng hỏi tại quầy 1") {
		t.Errorf("not understood says %q", msg)
	}
	assertAccessible(t, kiosk, "kiosk, a question not understood")
	do("hide the keyboard", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#s-lookup-list .osk').forEach((k) => { k.hidden = true; })`))
	saveScreenshot(t, kiosk, "kiosk-ask-not-understood.png")
	do("go home", chromedp.Click(chromedp.ID("home-btn")), chromedp.WaitVisible(chromedp.ID("s-home")))
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		asked, err = adm.ProcedureQuestions(ctx, ks.centre.ID, true, 0)
		must(t, "list the questions not understood", err)
		if len(asked) > 0 {
			break
		}
	}
	if len(asked) != 1 || asked[0].Q != "thoi tiet hom nay" {
		t.Errorf("the questions not understood: %+v", asked)
	}

	// A question two procedures answer nearly as well shows the next best,
	// and a touch on one shows it.
	do("ask again",
		chromedp.Click(chromedp.CSS(`[data-start="lookup"]`)),
		chromedp.WaitVisible(chromedp.ID("proc-search")),
	)
	typeQuestion("khai sinh", strings.Split("k h a i space s i n h", " ")...)
	do("see the next best", chromedp.Poll[chromedp.Void](`document.querySelectorAll('#ask-answer .ask-others button').length === 2`, chromedp.WithPollingTimeout(5*time.Second)))
	other, _ := chromedp.Run(kiosk, chromedp.Text(chromedp.CSS(`#ask-answer .ask-others button`)))
	assertAccessible(t, kiosk, "kiosk, an answer with the next best")
	do("choose the next best",
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#s-lookup-list .osk').forEach((k) => { k.hidden = true; })`),
		chromedp.Click(chromedp.CSS(`#ask-answer .ask-others button`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('ask-best').textContent === `+jsString(other)),
	)

	// The administrator sees it among the questions not understood.
	browser, logs := newBrowser(t, ctx)
	page := tab(t, browser, logs, "admin")
	pdo := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(page, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	pdo("open the admin's questions", append(append([]chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(ks.base + "/admin/#questions"),
	}, signInAt(admin)...),
		chromedp.WaitVisible(chromedp.ID("sec-questions")),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#questions-list td')].some((td) => td.textContent === 'thoi tiet hom nay')`, chromedp.WithPollingTimeout(5*time.Second)),
	)...)
	assertAccessible(t, page, "admin, questions not understood")
	saveScreenshot(t, page, "admin-questions.png")

	// The booking page finds the procedure and books for its service.
	pdo("open the booking page",
		chromedp.Navigate(ks.base+"/?centre=hoan-kiem"), // the page starts at its services
		chromedp.WaitVisible(chromedp.CSS(`#services button[data-service="D"]`)),
		chromedp.Click(chromedp.CSS(`#procs-book summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#procs-book .procs-q`)),
		chromedp.SendKeys(chromedp.CSS(`#procs-book .procs-q`), "xin giấy phép xây dựng nhà ở"),
		chromedp.WaitVisible(chromedp.CSS(`#procs-book .procs-item .procs-choose`)),
	)
	found, _ := chromedp.Run(page, chromedp.TextContent(chromedp.CSS(`#procs-book .procs-results`)))
	if !strings.Contains(found, "Giấy phép xây dựng") && !strings.Contains(found, "giấy phép xây dựng") {
		t.Errorf("the booking page's search found %q", found)
	}
	assertAccessible(t, page, "booking, a procedure found")
	saveScreenshot(t, page, "booking-procedure-search.png")
	pdo("book for it",
		chromedp.Click(chromedp.CSS(`#procs-book .procs-item .procs-choose`)),
		chromedp.WaitVisible(chromedp.ID("step-date")),
		chromedp.Poll[chromedp.Void](`!!document.querySelector('#services button[data-service="D"][aria-pressed="true"]')`),
	)

	// The counter console answers what a citizen asks at the counter.
	console := tab(t, browser, logs, "console")
	if err := chromedp.Do(console, append(atCounter(ks.base, clerk, len(ks.centre.Counters), 1),
		chromedp.SendKeys(chromedp.CSS(`#procs-box .procs-q`), "dang ky ket hon"),
		chromedp.Poll[chromedp.Void](`!!document.querySelector('#procs-box .procs-item[data-procedure="ket-hon"]')`, chromedp.WithPollingTimeout(5*time.Second)),
	)...); err != nil {
		got, _ := chromedp.Run(console, chromedp.TextContent(chromedp.CSS(`#procs-box`)))
		t.Fatalf("the console's search: %v: %q", err, got)
	}
	where, _ := chromedp.Run(console, chromedp.TextContent(chromedp.CSS(`#procs-box .procs-item[data-procedure="ket-hon"] .procs-facts`)))
	if !strings.Contains(where, "Hộ tịch") || !strings.Contains(where, "Quầy ") {
		t.Errorf("the console says of ket-hon %q: want the centre's service and counters", where)
	}
	assertAccessible(t, console, "counter console, a procedure found")
	must(t, "scroll to the answer", chromedp.Do(console, chromedp.Evaluate[chromedp.Void](`document.getElementById('procs-box').scrollIntoView()`)))
	saveScreenshot(t, console, "counter-procedure-search.png")
}
