package ui_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/demo"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// grantNotifications grants the page's origin the notification permission,
// as a citizen's "Allow" does.
func grantNotifications(origin string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted, Origin: origin,
		})
		return err
	})
}

// fakeSubscription replaces PushManager's subscribe (and getSubscription)
// in the page: headless Chromium has no push service to register with, so
// the page's own code runs to this point and gets a subscription with
// real keys of a P-256 point and a 16-byte secret. The applicationServerKey
// the page passed is kept in window.pushAsked (base64url).
func fakeSubscription(p256dh, auth string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
	  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
	  PushManager.prototype.getSubscription = async function () { return null; };
	  PushManager.prototype.subscribe = async function (opts) {
	    window.pushAsked = { key: b64(opts.applicationServerKey), userVisibleOnly: opts.userVisibleOnly };
	    const json = { endpoint: 'https://push.example.vn/send/abc123', expirationTime: null, keys: { p256dh: %q, auth: %q } };
	    return { endpoint: json.endpoint, options: { applicationServerKey: opts.applicationServerKey }, toJSON: () => json, unsubscribe: async () => true };
	  };
	})()`, p256dh, auth))
}

// TestTrackPagePushInChromium subscribes the tracking page to Web Push:
// the service worker registers for real (scope /track/), the page fetches
// the server's VAPID key and calls PushManager.subscribe with it; the real
// subscribe is tried and its outcome logged (headless Chromium reaches no
// push service here), then the same code path runs with a subscription
// injected, the PUT reaches the server, the page shows the channels, the
// server keeps the push address (its audit says so, and the call of the
// ticket queues a push message), a push delivered to the service worker is shown as a
// notification with the url it carries, and "stop" removes it all.
func TestTrackPagePushInChromium(t *testing.T) {
	needChromium(t)
	vapid, err := ecdh.P256().GenerateKey(rand.Reader)
	must(t, "make a VAPID key", err)
	key := base64.RawURLEncoding.EncodeToString(vapid.PublicKey().Bytes())
	citizen, err := ecdh.P256().GenerateKey(rand.Reader)
	must(t, "make a subscription key", err)
	p256dh := base64.RawURLEncoding.EncodeToString(citizen.PublicKey().Bytes())
	auth := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef"))

	centre, err := demo.Centre()
	must(t, "load the demo centre", err)
	storetest.AlwaysOpen(&centre)
	base := serveWith(t, serveOptions{pushKey: key}, centre).base
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	staff := apiv1.NewClient(base)
	must(t, "sign in the clerk", staff.Login(ctx, clerk, password))
	var tk apiv1.TicketView
	_, err = staff.Do(ctx, "POST", "/api/v1/centres/"+centre.ID+"/tickets", map[string]any{"service": "A"}, &tk)
	must(t, "issue a ticket", err)

	allocCtx, cancelAlloc := chromiumAllocator(ctx, t, 360, 740, false)
	defer cancelAlloc()
	var logs consoleLog
	defer logs.check(t)
	var mu sync.Mutex
	var regs []*serviceworker.Registration
	page, cancelPage := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			mu.Lock()
			regs = append(regs, e.Registrations...)
			mu.Unlock()
		}
		if e, ok := ev.(*serviceworker.EventWorkerErrorReported); ok {
			t.Logf("service worker error: %+v", e.ErrorMessage)
		}
	}))
	defer cancelPage()
	logs.watch(page, "track")
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(page, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			state, _ := chromedp.Run(page, chromedp.Evaluate[string](`JSON.stringify({url: location.href,
				state: document.getElementById('notify-state').textContent, error: document.getElementById('notify-error').textContent,
				fields: [...document.querySelectorAll('.field-error:not([hidden])')].map((e) => e.id + ': ' + e.textContent)})`))
			t.Fatalf("%s: %v\npage: %s", what, err, state)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(page, chromedp.TextContent(chromedp.CSS(sel)))
		must(t, "read "+sel, err)
		return s
	}

	do("open the tracking page",
		chromedp.Navigate(base+"/"),
		grantNotifications(base),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, serviceworker.Enable, cdp.Empty{})
			return err
		}),
		chromedp.Navigate(base+"/track/"+tk.ID),
		chromedp.WaitVisible(chromedp.ID("notify")),
		chromedp.Poll[chromedp.Void](`document.getElementById('notify-state').textContent !== ''`),
	)
	if got := text("#notify-state"); !strings.Contains(got, "chưa đăng ký") {
		t.Errorf("before subscribing the panel says %q", got)
	}
	assertAccessible(t, page, "tracking page, notifications panel")

	// 1. For real: the service worker registers and PushManager.subscribe
	// is called with the server's key; what the browser answers is logged.
	real, err := chromedp.Run(page, chromedp.Evaluate[string](`(async () => {
	  const { activeRegistration, b64urlBytes } = await import('/assets/push.js');
	  const late = (what) => new Promise((resolve) => setTimeout(() => resolve(what + ": no answer within 5 s"), 5000));
	  const said = [];
	  try {
	    said.push('permission ' + await Notification.requestPermission());
	    const reg = await activeRegistration();
	    said.push('service worker ' + reg.active.state);
	    const key = (await (await fetch('/api/v1/push/key')).json()).public_key;
	    said.push(await Promise.race([reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlBytes(key) })
	      .then((s) => 'subscribed at ' + s.endpoint, (e) => 'subscribe refused: ' + e.name + ': ' + e.message), late('subscribe')]));
	  } catch (e) {
	    said.push('failed: ' + e.message);
	  }
	  return said.join('; ');
	})()`, chromedp.EvalAwaitPromise))
	t.Logf("headless Chromium's own PushManager.subscribe: %s", real)
	scope, err := chromedp.Run(page, chromedp.Evaluate[string](`navigator.serviceWorker.getRegistration('/track/').then((r) => r && r.active ? r.scope + ' ' + r.active.scriptURL : 'none')`, chromedp.EvalAwaitPromise))
	must(t, "read the service worker", err)
	if scope != base+"/track/ "+base+"/track/sw.js" {
		t.Fatalf("service worker: %q, want /track/sw.js active at /track/", scope)
	}
	if perm, _ := chromedp.Run(page, chromedp.Evaluate[string](`Notification.permission`)); perm != "granted" {
		t.Fatalf("notification permission %q", perm)
	}

	// 2. The same path with the subscription injected: consent is asked first.
	do("ask without consent",
		fakeSubscription(p256dh, auth),
		chromedp.Click(chromedp.ID("n-push")),
		chromedp.Click(chromedp.ID("notify-save")),
		chromedp.WaitVisible(chromedp.ID("n-consent-err")),
	)
	assertAccessible(t, page, "tracking page, consent missing")
	do("subscribe",
		chromedp.Click(chromedp.ID("n-consent")),
		chromedp.Click(chromedp.ID("notify-save")),
		chromedp.Poll[chromedp.Void](`document.getElementById('notify-state').dataset.channels === 'push'`),
	)
	asked, err := chromedp.Run(page, chromedp.Evaluate[string](`window.pushAsked.key + ' ' + window.pushAsked.userVisibleOnly`))
	must(t, "read what the page asked", err)
	if asked != key+" true" {
		t.Errorf("PushManager.subscribe got %q, want the server's key %s, userVisibleOnly", asked, key)
	}
	if got := text("#notify-state"); !strings.Contains(got, "thông báo trình duyệt") {
		t.Errorf("after subscribing the panel says %q", got)
	}
	if !strings.Contains(text("#notify-stop"), "Tắt") {
		t.Errorf("no stop button")
	}
	assertAccessible(t, page, "tracking page, subscribed")

	// The server kept the push address: its audit says who set which channel.
	adminClient := apiv1.NewClient(base)
	must(t, "admin signs in", adminClient.Login(ctx, admin, password))
	audited := func(action string) bool {
		t.Helper()
		var log []queue.Audit
		_, err := adminClient.Do(ctx, "GET", "/api/v1/centres/"+centre.ID+"/audit", nil, &log)
		must(t, "read the audit log", err)
		for _, a := range log {
			if a.Action == action && a.Ticket == tk.ID && a.Actor == "public" && (action != "notify.set" || a.Reason == "push") {
				return true
			}
		}
		t.Logf("audit: %+v", log)
		return false
	}
	if !audited("notify.set") {
		t.Errorf("the server did not record the push subscription of %s", tk.ID)
	}
	if called, ok, err := staff.Next(ctx, centre.ID, 1); err != nil || !ok || called.ID != tk.ID {
		t.Fatalf("call the ticket: %v %v %+v", err, ok, called)
	}
	// The call is told by push: the outbox holds the message for this browser.
	msgs, err := adminClient.Messages(ctx, centre.ID, "push", "", 50)
	must(t, "read the push messages", err)
	told := false
	for _, m := range msgs.Messages {
		told = told || m.Topic == "called" && m.Ref == "ticket" && m.Number == tk.Number
	}
	if !told {
		t.Errorf("no push message for the call of %s: %+v", tk.Number, msgs.Messages)
	}
	do("see the call", chromedp.Poll[chromedp.Void](`!document.getElementById('callout').hidden`))

	// 3. A push delivered to the service worker is shown, with its url.
	mu.Lock()
	var reg serviceworker.RegistrationID
	for _, r := range regs {
		if r.ScopeURL == base+"/track/" && !r.IsDeleted {
			reg = r.RegistrationID
		}
	}
	mu.Unlock()
	if reg == "" {
		t.Fatalf("DevTools reported no registration at %s/track/", base)
	}
	payload := fmt.Sprintf(`{"title":"Mời số %s đến Quầy 1","body":"Số %s: mời bạn đến Quầy 1.","url":"%s/track/%s","tag":"%s"}`, tk.Number, tk.Number, base, tk.ID, tk.ID)
	// push delivers a message to the service worker and waits until a
	// notification of its tag is shown.
	push := func(payload, tag string) {
		t.Helper()
		deliver := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{Origin: base, RegistrationID: reg, Data: payload})
			return err
		})
		// DevTools' deliverPushMessage now and then drops a message before the
		// worker sees it (about one run in three here; a second one then
		// arrives): a push not shown within 3 s is delivered again, up to 5
		// times. Messages of one tag replace each other, so one is shown.
		for attempt := 1; ; attempt++ {
			do("deliver a push to the service worker", deliver)
			step, cancel := context.WithTimeout(page, 3*time.Second)
			err := chromedp.Do(step, chromedp.Poll[chromedp.Void](fmt.Sprintf(`navigator.serviceWorker.getRegistration('/track/').then((r) => r.getNotifications({tag: %q})).then((n) => n.length > 0)`, tag)))
			cancel()
			if err == nil {
				t.Logf("shown after %d deliveries", attempt)
				return
			}
			if attempt == 5 {
				t.Fatalf("no notification after %d pushes", attempt)
			}
		}
	}
	push(payload, tk.ID)
	shown, err := chromedp.Run(page, chromedp.Evaluate[string](`navigator.serviceWorker.getRegistration('/track/').then((r) => r.getNotifications())
		.then((n) => n.map((x) => [x.title, x.body, x.tag, x.data && x.data.url].join(' | ')).join('\n'))`, chromedp.EvalAwaitPromise))
	must(t, "read the notifications", err)
	want := fmt.Sprintf("Mời số %s đến Quầy 1 | Số %s: mời bạn đến Quầy 1. | %s | %s/track/%s", tk.Number, tk.Number, tk.ID, base, tk.ID)
	if shown != want {
		t.Errorf("notification shown:\n%s\nwant\n%s", shown, want)
	}
	// A url that is not http(s) is not opened: the click goes to the tracking pages.
	push(`{"title":"Xếp Hàng","body":"Thử","url":"javascript:alert(1)","tag":"bad-url"}`, "bad-url")
	bad, err := chromedp.Run(page, chromedp.Evaluate[string](`navigator.serviceWorker.getRegistration('/track/').then((r) => r.getNotifications({tag: 'bad-url'})).then((n) => n[0].data.url)`, chromedp.EvalAwaitPromise))
	must(t, "read the notification", err)
	if bad != base+"/track/" {
		t.Errorf("a javascript: url became %q, want the tracking scope", bad)
	}

	// 4. Stop: the server forgets, the panel says so.
	do("stop notifications",
		chromedp.Click(chromedp.ID("notify-stop")),
		chromedp.Poll[chromedp.Void](`document.getElementById('notify-state').dataset.channels === '' && document.getElementById('notify-stop').hidden`),
	)
	if got := text("#notify-state"); !strings.Contains(got, "Đã tắt thông báo") {
		t.Errorf("after stopping the panel says %q", got)
	}
	assertAccessible(t, page, "tracking page, notifications stopped")
	if !audited("notify.remove") {
		t.Errorf("the server did not record the removal")
	}
}
