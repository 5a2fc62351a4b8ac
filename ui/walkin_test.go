package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
	"xephang/queue-server/queue/storetest"
)

// Outside the centre's walk-in window the kiosk's screen says when numbers
// are issued again and disables the services, while look-up, check-in and
// the pre-check stay open; when the window opens, numbers come back.
func TestKioskWalkInWindowInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ks := startKioskScreen(t, ctx)
	base, centre, k, kiosk := ks.base, ks.centre, ks.k, ks.tab

	// The centre now opens only on a weekday three days from today.
	adm := apiv1.NewClient(base)
	must(t, "sign the administrator in", adm.Login(ctx, admin, password))
	closed := centre
	wd := (int(time.Now().In(closed.Location()).Weekday()) + 3) % 7
	closed.Hours = []queue.Hours{{Weekday: wd, Open: "07:30", Close: "17:00"}}
	_, err := adm.PutCentre(ctx, closed)
	must(t, "close the centre for today", err)
	// kioskd learns the new hours from the server's event stream.
	walkInOpen := func() bool {
		var st struct {
			WalkIn struct{ Open bool } `json:"walk_in"`
		}
		resp, err := http.Get(k.base + "/api/status")
		must(t, "read kioskd's status", err)
		defer resp.Body.Close()
		must(t, "decode kioskd's status", json.NewDecoder(resp.Body).Decode(&st))
		return st.WalkIn.Open
	}
	for deadline := time.Now().Add(60 * time.Second); walkInOpen(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("kioskd still issues numbers a minute after the centre closed")
		}
	}
	must(t, "see the closed window", chromedp.Do(kiosk,
		chromedp.Poll[chromedp.Void](`!document.getElementById('walk-in').hidden`),
		chromedp.Click(chromedp.ID("tile-take")),
		chromedp.WaitVisible(chromedp.CSS(`#services button.service`)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#services button.service')].every((b) => b.disabled)`),
	))
	banner, err := chromedp.Run(kiosk, chromedp.TextContent(chromedp.ID("walk-in")))
	must(t, "read the banner", err)
	day := map[int]string{0: "Chủ nhật", 1: "Thứ Hai", 2: "Thứ Ba", 3: "Thứ Tư", 4: "Thứ Năm", 5: "Thứ Sáu", 6: "Thứ Bảy"}[wd]
	if !strings.Contains(banner, "Chưa đến giờ cấp số") || !strings.Contains(banner, "07:00") || !strings.Contains(banner, day) {
		t.Errorf("banner %q: want when numbers start (07:00, %s)", banner, day)
	}
	assertAccessible(t, kiosk, "kiosk services outside the walk-in window")
	// A number asked for anyway (a stale page) is refused and nothing prints.
	var refused struct {
		Error struct{ Code string } `json:"error"`
	}
	resp, err := http.Post(k.base+"/api/tickets", "application/json", strings.NewReader(`{"service":"`+centre.Services[0].Code+`"}`))
	must(t, "ask kioskd for a number", err)
	json.NewDecoder(resp.Body).Decode(&refused)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || refused.Error.Code != "outside_hours" {
		t.Errorf("a ticket outside the window: %d %q, want 409 outside_hours", resp.StatusCode, refused.Error.Code)
	}

	open := centre
	storetest.AlwaysOpen(&open)
	_, err = adm.PutCentre(ctx, open)
	must(t, "open the centre again", err)
	must(t, "numbers come back", chromedp.Do(kiosk,
		chromedp.Poll[chromedp.Void](`document.getElementById('walk-in').hidden`),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#services button.service')].every((b) => !b.disabled)`),
	))
}
