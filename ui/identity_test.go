package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// The chip's citizen: a name with every Vietnamese tone mark.
const (
	chipHolder    = "Nguyễn Thị Hoà Bình Kiều Lữ"
	chipResidence = "Số 8 ngõ 15 phố Đội Cấn, phường Ngọc Hà, Hà Nội"
)

// chipFace is a JPEG standing for the chip's DG2 face.
func chipFace(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 96, 128))
	for y := range 128 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{uint8(120 + x), uint8(90 + y/2), 80, 255})
		}
	}
	var b bytes.Buffer
	must(t, "encode the face", jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

func chipIdentity(t *testing.T, auth, chipAuth string, mismatches ...string) queue.IdentityIn {
	card, err := json.Marshal(map[string]any{"chip_auth": chipAuth, "id_number": "001190012345", "name": chipHolder, "birth_date": "1990-03-15", "sex": "F",
		"nationality": "Việt Nam", "ethnicity": "Kinh", "religion": "Không", "origin": "Xã Hải Anh, huyện Hải Hậu, Nam Định",
		"residence": chipResidence, "issue_date": "2021-04-01", "expiry_date": "2030-03-15", "father": "Nguyễn Văn Bảo",
		"mother": "Lê Thị Ngọc", "old_id_number": "163123456", "valid": true, "expired": false, "errors": []string{}})
	must(t, "the card", err)
	return queue.IdentityIn{Authenticity: auth, Mismatches: mismatches, Card: card, Face: chipFace(t)}
}

// TestCounterIdentityInChromium: a kiosk sends the identity its chip
// reader read with the ticket; the clerk calls the ticket and the "Căn
// cước" panel shows the face (fetched with the clerk's token, a blob),
// the authenticity badge and the chip's fields; the counter's scanner
// reads the card again and finds the data altered: the panel follows the
// ticket.identity event, badge and mismatches; in English too; when the
// ticket is done, nothing of the identity is left in the page (the face's
// URL revoked). axe checks each state.
func TestCounterIdentityInChromium(t *testing.T) {
	base, centre := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, kiosk := enrolKiosk(t, ctx, base, centre.ID)
	tk, err := kiosk.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "A"})
	must(t, "issue a ticket at the kiosk", err)
	must(t, "send the identity", kiosk.PutIdentity(ctx, tk.ID, chipIdentity(t, queue.AuthGenuine, "failed")))

	browser, logs := newBrowser(t, ctx)
	console := tab(t, browser, logs, "counter")
	must(t, "call the ticket", chromedp.Do(console, append(atCounter(base, clerk, 5, 1),
		chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`),
		chromedp.Click(chromedp.ID("btn-next")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, tk.Number)),
		chromedp.WaitVisible(chromedp.ID("identity")),
		chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector('#identity-face img'); return !!i && i.complete && i.naturalWidth === 96; })()`),
	)...))
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(console, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel)))
		must(t, "read "+sel, err)
		return s
	}
	// Signed and intact, but chip authentication failed: a copied chip,
	// which the second badge says (the server kept the card's chip_auth).
	if s := text("#identity-badge"); !strings.Contains(s, "Thật — dữ liệu do cơ quan cấp ký") || !strings.Contains(s, "Chip có thể bị sao chép") {
		t.Errorf("the badge: %q", s)
	}
	fields := text("#identity-fields")
	for _, want := range []string{chipHolder, chipResidence, "15/03/1990", "Nữ", "Kinh", "Nguyễn Văn Bảo", "Lê Thị Ngọc", "163123456", "01/04/2021", "15/03/2030", "Quê quán", "Nơi thường trú"} {
		if !strings.Contains(fields, want) {
			t.Errorf("the chip's fields lack %q: %q", want, fields)
		}
	}
	src, err := chromedp.Run(console, chromedp.Evaluate[string](`document.querySelector('#identity-face img').src`))
	must(t, "the face's address", err)
	if !strings.HasPrefix(src, "blob:") {
		t.Errorf("the face is shown from %q, want a blob fetched with the token", src)
	}
	if !text2Bool(t, console, `document.getElementById('identity-mismatches').hidden`) {
		t.Errorf("mismatches shown for a read that has none")
	}
	noStray(t, console, "#identity", "counter, a genuine identity")
	assertAccessible(t, console, "counter, a genuine identity")

	// The counter's scanner reads the card again: the chip's data was
	// altered, and differs from the printed card.
	must(t, "send the altered identity", kiosk.PutIdentity(ctx, tk.ID, chipIdentity(t, queue.AuthDataAltered, "passed", "name", "birth_date")))
	must(t, "see it", chromedp.Do(console,
		chromedp.Poll[chromedp.Void](`document.getElementById('identity').dataset.authenticity === 'data_altered'`, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Poll[chromedp.Void](`window.xephangIdentity.idle() && !!document.querySelector('#identity-face img')`),
	))
	if s := text("#identity-badge"); !strings.Contains(s, "Dữ liệu trên chip bị sửa đổi") {
		t.Errorf("the badge: %q", s)
	}
	if s := text("#identity-mismatches"); !strings.Contains(s, "Khác với mã QR/MRZ in trên thẻ") || !strings.Contains(s, "Họ và tên") || !strings.Contains(s, "Ngày sinh") {
		t.Errorf("the mismatches: %q", s)
	}
	if n, _ := chromedp.Run(console, chromedp.Evaluate[int](`document.querySelectorAll('#identity-fields .differs').length`)); n != 2 {
		t.Errorf("%d fields marked as differing, want 2", n)
	}
	must(t, "see the panel", chromedp.Do(console, chromedp.Evaluate[chromedp.Void](`document.getElementById('identity').scrollIntoView()`)))
	assertAccessible(t, console, "counter, an altered identity")
	saveScreenshot(t, console, "counter-identity.png")
	must(t, "in English", chromedp.Do(console,
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.getElementById('identity-title').textContent === 'Identity card' && document.getElementById('identity-badge').textContent.includes("The chip's data was altered") && document.getElementById('identity-badge').textContent.includes('Chip authenticated — not a copy')`),
	))
	if s := text("#identity-mismatches"); !strings.Contains(s, "Full name") || !strings.Contains(s, "Date of birth") {
		t.Errorf("the mismatches in English: %q", s)
	}
	assertAccessible(t, console, "counter, an altered identity in English")
	must(t, "back in Vietnamese", chromedp.Do(console, chromedp.Click(chromedp.ID("lang"))))

	// Done: nothing of the identity stays in the page.
	face, err := chromedp.Run(console, chromedp.Evaluate[string](`document.querySelector('#identity-face img').src`))
	must(t, "the face's address", err)
	must(t, "finish", chromedp.Do(console,
		// Record the object URLs revoked.
		chromedp.Evaluate[chromedp.Void](`window.revoked = []; { const r = URL.revokeObjectURL.bind(URL); URL.revokeObjectURL = (u) => { window.revoked.push(u); r(u); }; }`),
		chromedp.Click(chromedp.ID("btn-finish")),
		chromedp.Poll[chromedp.Void](`document.getElementById('current-number').dataset.number === ''`),
		chromedp.Poll[chromedp.Void](`document.getElementById('identity').hidden`),
	))
	left, err := chromedp.Run(console, chromedp.Evaluate[string](`document.getElementById('identity').innerHTML + '|' + document.querySelectorAll('img[src^="blob:"]').length + '|' + window.xephangIdentity.state.face + '|' + JSON.stringify(window.xephangIdentity.state.view)`))
	must(t, "read what is left", err)
	if strings.Contains(left, chipHolder) || strings.Contains(left, "blob:") || !strings.HasSuffix(left, "|0||null") {
		t.Errorf("after the ticket is done the page keeps: %q", left)
	}
	revoked, err := chromedp.Run(console, chromedp.Evaluate[bool](fmt.Sprintf(`window.revoked.includes(%q)`, face)))
	must(t, "the URLs revoked", err)
	if !revoked {
		t.Errorf("the face's object URL %s still answers after the ticket is done", face)
	}
	if body := text("body"); strings.Contains(body, chipHolder) || strings.Contains(body, chipResidence) {
		t.Errorf("the page still shows the chip's data")
	}
}

func text2Bool(t *testing.T, page context.Context, js string) bool {
	t.Helper()
	b, err := chromedp.Run(page, chromedp.Evaluate[bool](js))
	must(t, js, err)
	return b
}
