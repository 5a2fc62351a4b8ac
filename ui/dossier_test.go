package ui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/forms"
)

// birthForm is a birth registration's form as a citizen fills it.
var birthForm = map[string]string{
	"applicant_name": "NGUYỄN THỊ THUỲ DƯƠNG", "applicant_id_number": "001190012345", "applicant_address": "Số 5 phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
	"applicant_relation": "mẹ", "child_name": "Nguyễn Minh Khôi", "child_birth_date": "2025-06-02", "child_sex": "M",
	"child_ethnicity": "Kinh", "child_nationality": "Việt Nam", "child_birth_place": "Bệnh viện Phụ sản Hà Nội", "copies_wanted": "yes", "copies": "2",
}

// samplePDF renders a form as a PDF standing for a digitised paper.
func samplePDF(t *testing.T, values map[string]string) ([]byte, string) {
	t.Helper()
	def, err := forms.Default().Form("khai-sinh")
	must(t, "the birth form", err)
	pdf, err := def.PDF(&forms.Filled{Procedure: "khai-sinh", Version: def.Version, Values: values}, forms.RenderOptions{Now: time.Now()})
	must(t, "render a PDF", err)
	sum := sha256.Sum256(pdf)
	return pdf, hex.EncodeToString(sum[:])
}

// TestCounterDossierInChromium: a kiosk sends a ticket's form and a
// digitised document; the clerk calls the ticket and the console's "Hồ
// sơ" panel shows the form's values (those from the card marked), the
// document with its status, findings and fields; the clerk corrects a
// field (what the OCR read stays beside it), opens the PDFs, exports the
// form as JSON, downloads the package and confirms; a document the
// counter scanner adds meanwhile appears by the ticket.dossier event.
// axe checks each state.
func TestCounterDossierInChromium(t *testing.T) {
	base, centre := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adminClient, kiosk := enrolKiosk(t, ctx, base, centre.ID)
	tk, err := kiosk.Issue(ctx, centre.ID, apiv1.IssueRequest{Service: "A"})
	must(t, "issue a ticket at the kiosk", err)
	_, err = kiosk.PutTicketForm(ctx, tk.ID, apiv1.FilledForm{Procedure: "khai-sinh", Values: birthForm,
		Sources: map[string]string{"applicant_name": "card", "applicant_id_number": "card", "applicant_address": "card"}})
	must(t, "send the form", err)
	pdf, sum := samplePDF(t, map[string]string{"child_name": "NGUYỄN MINH KHỎI"})
	doc, err := kiosk.AddDocument(ctx, tk.ID, apiv1.DocumentMeta{ID: "doc-giay-chung-sinh-1", Name: "Giấy chứng sinh", Kind: "giay-chung-sinh", Pages: 1,
		Status: "inconsistent", Reasons: []string{"Họ tên trẻ trên giấy chứng sinh (NGUYỄN MINH KHỎI) khác tờ khai (NGUYỄN MINH KHÔI)"},
		Fields: map[string]string{"child_name": "NGUYỄN MINH KHỎI", "child_birth_date": "2025-06-02"}, SHA256: sum}, pdf)
	must(t, "send a digitised document", err)
	if doc.SHA256 != sum || doc.Size != len(pdf) {
		t.Fatalf("the server keeps the document as %s, %d bytes", doc.SHA256, doc.Size)
	}

	browser, logs := newBrowser(t, ctx)
	console := tab(t, browser, logs, "counter")
	must(t, "call the ticket", chromedp.Do(console, append(atCounter(base, clerk, 5, 1),
		chromedp.Poll[chromedp.Void](`document.getElementById('conn').dataset.state === 'live'`),
		chromedp.Click(chromedp.ID("btn-next")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('current-number').dataset.number === %q`, tk.Number)),
		chromedp.WaitVisible(chromedp.ID("dossier")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#dossier-form-values tr').length > 5 && document.querySelectorAll('#dossier-docs > li').length === 1`),
	)...))
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(console, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).textContent`, sel)))
		must(t, "read "+sel, err)
		return s
	}
	if s := text(`#dossier-form-values tr[data-field="applicant_name"]`); !strings.Contains(s, "Họ, chữ đệm, tên người yêu cầu") || !strings.Contains(s, "NGUYỄN THỊ THUỲ DƯƠNG") || !strings.Contains(s, "từ thẻ CCCD") {
		t.Errorf("the applicant's row: %q", s)
	}
	if s := text(`#dossier-form-values tr[data-field="child_birth_date"]`); !strings.Contains(s, "02/06/2025") {
		t.Errorf("the birth date's row: %q", s)
	}
	if s := text(`#dossier-form-values tr[data-field="child_sex"]`); !strings.Contains(s, "Nam") {
		t.Errorf("the sex's row: %q", s)
	}
	if s := text(`#dossier-docs > li`); !strings.Contains(s, "Giấy chứng sinh") || !strings.Contains(s, "Không khớp") || !strings.Contains(s, "khác tờ khai") || !strings.Contains(s, "NGUYỄN MINH KHỎI") {
		t.Errorf("the document: %q", s)
	}
	if s := text(`#dossier-citizen`); !strings.Contains(s, "NGUYỄN THỊ THUỲ DƯƠNG") {
		t.Errorf("the citizen: %q", s)
	}
	noStray(t, console, "#dossier", "counter, a ticket's dossier")
	assertAccessible(t, console, "counter, a ticket's dossier")

	// Correct the child's name the OCR misread.
	row := `#dossier-docs li[data-doc="doc-giay-chung-sinh-1"] tr[data-field="child_name"]`
	must(t, "correct a field", chromedp.Do(console,
		chromedp.Poll[chromedp.Void](`window.xephangDossier.idle()`),
		chromedp.Click(chromedp.CSS(row+" button")),
		chromedp.WaitVisible(chromedp.CSS(row+" input")),
	))
	assertAccessible(t, console, "counter, correcting a field")
	must(t, "save the correction", chromedp.Do(console,
		chromedp.Evaluate[chromedp.Void](`(() => { const i = document.querySelector('`+row+` input'); i.value = ''; i.dispatchEvent(new Event('input')); })()`),
		chromedp.SendKeys(chromedp.CSS(row+" input"), "NGUYỄN MINH KHÔI"),
		chromedp.Click(chromedp.CSS(row+` button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(row+" input")),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+row+` .value').textContent === 'NGUYỄN MINH KHÔI'`),
	))
	if s := text(row); !strings.Contains(s, "máy đọc: “NGUYỄN MINH KHỎI”") || !strings.Contains(s, clerk) {
		t.Errorf("the corrected row: %q", s)
	}
	view, err := adminClient.Dossier(ctx, tk.ID)
	must(t, "read the dossier", err)
	if f := view.Documents[0].Fields["child_name"]; f.Value != "NGUYỄN MINH KHÔI" || f.Read != "NGUYỄN MINH KHỎI" || f.CorrectedBy != clerk {
		t.Errorf("the corrected field on the server: %+v", f)
	}

	// The files: each fetched with the clerk's token.
	// A PDF would open in a tab of its own, which a headless test does not
	// look at: the page records what it would open.
	must(t, "record the tabs opened", chromedp.Do(console, chromedp.Evaluate[chromedp.Void](`window.xephangDossier.opened = []; window.xephangDossier.open = (url) => window.xephangDossier.opened.push(url)`)))
	type file struct {
		Name string `json:"name"`
		Type string `json:"type"`
		Size int    `json:"size"`
		Head string `json:"head"`
	}
	fetched := func(what, button string) file {
		t.Helper()
		must(t, what, chromedp.Do(console,
			chromedp.Evaluate[chromedp.Void](`window.xephangDossier.last = null`),
			chromedp.Click(chromedp.CSS(button)),
			chromedp.Poll[chromedp.Void](`!!window.xephangDossier.last`),
		))
		f, err := chromedp.Run(console, chromedp.Evaluate[file](`window.xephangDossier.last.blob.slice(0, 200).text().then((head) => ({...window.xephangDossier.last, head}))`, chromedp.EvalAwaitPromise))
		must(t, "read "+what, err)
		return f
	}
	if f := fetched("open the document", `#dossier-docs li[data-doc="doc-giay-chung-sinh-1"] .doc-head button`); f.Size != len(pdf) || !strings.HasPrefix(f.Head, "%PDF-") {
		t.Errorf("the document's PDF: %s %d bytes (sent %d) %q", f.Name, f.Size, len(pdf), f.Head[:min(8, len(f.Head))])
	}
	if f := fetched("open the form", "#dossier-form-pdf"); !strings.HasPrefix(f.Head, "%PDF-") || f.Name != "to-khai-"+tk.Number+".pdf" {
		t.Errorf("the form's PDF: %s %q", f.Name, f.Head[:min(8, len(f.Head))])
	}
	if f := fetched("export the form", "#dossier-form-json"); !strings.Contains(f.Head, `"procedure": "khai-sinh"`) || f.Type != "application/json" {
		t.Errorf("the form's JSON: %s %s %q", f.Name, f.Type, f.Head)
	}
	raw, err := chromedp.Run(console, chromedp.Evaluate[string](`window.xephangDossier.last.blob.text()`, chromedp.EvalAwaitPromise))
	must(t, "read the JSON", err)
	var exported apiv1.FormView
	must(t, "decode the JSON", json.Unmarshal([]byte(raw), &exported))
	if exported.Values["child_name"] != "Nguyễn Minh Khôi" || exported.Version == "" {
		t.Errorf("exported form %+v", exported)
	}
	if n, _ := chromedp.Run(console, chromedp.Evaluate[int](`window.xephangDossier.opened.filter((u) => u.startsWith('blob:')).length`)); n != 2 {
		t.Errorf("%d PDFs opened, want the document's and the form's", n)
	}
	if f := fetched("download the package", "#dossier-zip"); !strings.HasPrefix(f.Head, "PK") || f.Name != "ho-so-"+tk.Number+".zip" || f.Size < len(pdf) {
		t.Errorf("the package: %s %d bytes %q", f.Name, f.Size, f.Head[:min(4, len(f.Head))])
	}

	// A document the counter's scanner sends now shows at once.
	pdf2, sum2 := samplePDF(t, map[string]string{"applicant_name": "NGUYỄN THỊ THUỲ DƯƠNG"})
	_, err = kiosk.AddDocument(ctx, tk.ID, apiv1.DocumentMeta{ID: "doc-cccd-2", Name: "Giấy tờ tùy thân của người yêu cầu", Kind: "giay-to-tuy-than", Pages: 1,
		Status: "present", Fields: map[string]string{"holder_name": "NGUYỄN THỊ THUỲ DƯƠNG"}, SHA256: sum2}, pdf2)
	must(t, "send another document", err)
	must(t, "see it", chromedp.Do(console,
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#dossier-docs > li').length === 2`, chromedp.WithPollingTimeout(10*time.Second)),
	))

	// Confirm.
	must(t, "confirm", chromedp.Do(console,
		chromedp.Click(chromedp.ID("dossier-confirm")),
		chromedp.WaitVisible(chromedp.ID("dossier-confirmed")),
	))
	if s := text("#dossier-confirmed"); !strings.Contains(s, "Đã xác nhận bởi "+clerk) {
		t.Errorf("confirmation %q", s)
	}
	view, err = adminClient.Dossier(ctx, tk.ID)
	must(t, "read the dossier", err)
	if view.ConfirmedBy != clerk {
		t.Errorf("confirmed by %q on the server", view.ConfirmedBy)
	}
	must(t, "let the toast go", chromedp.Do(console,
		chromedp.Evaluate[chromedp.Void](`(() => { const el = document.getElementById('toast'); el.style.transition = 'none'; el.classList.remove('show'); })()`),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('dossier').scrollIntoView()`),
	))
	assertAccessible(t, console, "counter, the dossier confirmed")
	// The whole panel in one picture: the console on a taller screen.
	must(t, "a taller screen", chromedp.Do(console, chromedp.EmulateViewport(1366, 1700), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`), chromedp.Sleep(200*time.Millisecond)))
	saveScreenshot(t, console, "counter-dossier.png")
	must(t, "back to the console's screen", chromedp.Do(console, chromedp.EmulateViewport(1366, 768)))
	must(t, "in English", chromedp.Do(console,
		chromedp.Click(chromedp.ID("lang")),
		chromedp.Poll[chromedp.Void](`document.getElementById('dossier-title').textContent === 'Dossier' && document.getElementById('dossier-confirmed').textContent.startsWith('Confirmed by')`),
	))
	assertAccessible(t, console, "counter, the dossier in English")
}
