package ui_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"xephang/queue-server/apiv1"

	"github.com/chromedp/chromedp"
)

// TestCounterConfirmsKioskPriority: a kiosk issues a pregnant woman's and
// a disabled person's priority, which it cannot check; the console marks
// them in the waiting list and at the counter, and the clerk confirms the
// first and downgrades the second, which goes back to the list as normal.
func TestCounterConfirmsKioskPriority(t *testing.T) {
	base, centre := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	adminClient, kiosk := enrolKiosk(t, ctx, base, centre.ID)
	pregnant, err := kiosk.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "A", Priority: "pregnant"})
	must(t, "issue a pregnant woman's ticket", err)
	disabled, err := kiosk.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "A", Priority: "disabled"})
	must(t, "issue a disabled person's ticket", err)
	if !pregnant.PriorityPending || !disabled.PriorityPending {
		t.Fatalf("kiosk priorities not pending: %+v %+v", pregnant, disabled)
	}

	browser, logs := newBrowser(t, ctx)
	console := tab(t, browser, logs, "counter")
	must(t, "sign in to the console", chromedp.Do(console, append(atCounter(base, clerk, 5, 1),
		chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#waiting .badge.pending').length === 2`),
	)...))
	badge, err := chromedp.Run(console, chromedp.Evaluate[string](`document.querySelector('#waiting .badge.pending').textContent`))
	must(t, "read the waiting list", err)
	if badge != "Ưu tiên (chờ xác nhận)" {
		t.Errorf("waiting badge %q", badge)
	}

	// Called first, as priority; the clerk sees the group and confirms.
	must(t, "call the pregnant woman's ticket", chromedp.Do(console,
		chromedp.Click(chromedp.ID("btn-next")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, pregnant.Number)),
		chromedp.WaitVisible(chromedp.ID("priority-check")),
	))
	text, err := chromedp.Run(console, chromedp.TextContent(chromedp.ID("priority-check")))
	must(t, "read the priority check", err)
	if !strings.Contains(text, "Ưu tiên chờ xác nhận: Phụ nữ mang thai") {
		t.Errorf("priority check %q", text)
	}
	saveScreenshot(t, console, "counter-priority-check.png")
	must(t, "confirm", chromedp.Do(console,
		chromedp.Click(chromedp.ID("btn-priority-confirm")),
		chromedp.Poll[chromedp.Void](`document.getElementById('priority-check').hidden && !document.querySelector('#current-meta .badge.pending') && !!document.querySelector('#current-meta .badge.priority')`),
	))

	// The next claim has no proof: downgraded, it waits again as normal.
	must(t, "call and downgrade the next", chromedp.Do(console,
		chromedp.Click(chromedp.ID("btn-next")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, disabled.Number)),
		chromedp.WaitVisible(chromedp.ID("priority-check")),
		chromedp.Click(chromedp.ID("btn-priority-downgrade")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === '' && !!document.querySelector('#waiting li[data-number=%q]') && !document.querySelector('#waiting .badge')`, disabled.Number)),
	))
	got, err := adminClient.Ticket(ctx, disabled.ID)
	must(t, "read the downgraded ticket", err)
	if got.Priority != "normal" || got.PriorityPending || got.Status != "waiting" {
		t.Errorf("downgraded ticket %+v", got)
	}
	got, err = adminClient.Ticket(ctx, pregnant.ID)
	must(t, "read the confirmed ticket", err)
	if got.Priority != "pregnant" || got.PriorityPending {
		t.Errorf("confirmed ticket %+v", got)
	}
}

// TestKioskPriorityGroupInChromium: at a real kioskd, a citizen chooses a
// service and a priority group the kiosk cannot check; the ticket prints,
// the screen says it is to be confirmed at the counter, and the server
// holds it as a pending priority.
func TestKioskPriorityGroupInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ks := startKioskScreen(t, ctx)
	base, centre, kiosk := ks.base, ks.centre, ks.tab
	must(t, "choose a service, then the pregnant group", chromedp.Do(kiosk,
		chromedp.Click(chromedp.ID("tile-take")),
		chromedp.WaitVisible(chromedp.CSS(`#services button.service`)),
		chromedp.Click(chromedp.CSS(`#services button.service`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-priority="pregnant"]`)),
	))
	checkTargets(t, kiosk, "kiosk take-number card step")
	if os.Getenv("XEPHANG_SCREENSHOTS") == "1" {
		saveScreenshot(t, kiosk, "kiosk-priority-groups.png")
	}
	must(t, "print", chromedp.Do(kiosk,
		chromedp.Click(chromedp.CSS(`[data-priority="pregnant"]`)),
		chromedp.WaitVisible(chromedp.ID("s-printed")),
		chromedp.Poll[chromedp.Void](`document.getElementById('number').textContent !== ''`),
	))
	badges, err := chromedp.Run(kiosk, chromedp.TextContent(chromedp.ID("printed-badges")))
	must(t, "read the badges", err)
	if !strings.Contains(badges, "xác nhận tại quầy") {
		t.Errorf("printed badges %q: the pending priority is not shown", badges)
	}
	number, err := chromedp.Run(kiosk, chromedp.Text(chromedp.ID("number")))
	must(t, "read the number", err)

	clerkClient := apiv1.NewClient(base)
	must(t, "clerk signs in", clerkClient.Login(ctx, clerk, password))
	waiting, err := clerkClient.Tickets(ctx, centre.ID, true)
	must(t, "list the waiting tickets", err)
	found := false
	for _, tv := range waiting {
		if tv.Number == number {
			found = true
			if tv.Priority != "pregnant" || !tv.PriorityPending || tv.Source != "kiosk" {
				t.Errorf("server's ticket %+v", tv)
			}
		}
	}
	if !found {
		t.Errorf("%s is not waiting at the server: %+v", number, waiting)
	}
}
