package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/httpapi"
)

// publicGet reads a route without any credential.
func publicGet(t *testing.T, base, path string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(base + path)
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// TestPublicIdentifiersRevealNothingPersonal follows a booking from its
// booking to its ticket and reads every route a stranger can reach with
// the public identifiers (the ticket id from the event stream, the booking
// code): none shows the name, the phone or digits of the CCCD number; the
// public ticket view does not show the booking code; the PDF and ICS open
// only with the signed links given to whoever booked (or to staff); the
// ticket's dossier (the form filled at home, a scanned paper) opens to
// nobody without a staff token, the booking's form only by its own link.
func TestPublicIdentifiersRevealNothingPersonal(t *testing.T) {
	e, ck := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	pub := apiv1.NewClient(e.srv.URL)
	var ch httpapi.Challenge
	_, err := pub.Do(ctx, "GET", "/api/v1/challenge", nil, &ch)
	must(t, err)
	sol, _ := httpapi.SolveChallenge(ch)
	const name, phone, id = "Trần Thị Bích Ngọc", "0987654321", "079195123457"
	var b apiv1.BookingView
	_, err = pub.Do(ctx, "POST", "/api/v1/centres/"+centreID+"/bookings", apiv1.BookRequest{Service: "A", Start: "2026-11-24T09:00:00+07:00",
		Citizen: apiv1.CitizenRequest{IDNumber: id, Name: name, Phone: phone}, Altcha: sol}, &b)
	must(t, err)
	if b.Citizen == nil || b.Citizen.Name != name || b.PDFURL == "" || b.ICSURL == "" || !strings.Contains(b.PDFURL, "sig=") {
		t.Fatalf("the 201 gives the one who booked the citizen and the signed links: %+v", b)
	}
	// At home, the citizen fills the form through the booking's form link.
	form := khaiSinh()
	form.Values["applicant_name"], form.Values["applicant_id_number"], form.Values["applicant_phone"] = name, id, phone
	fu, err := url.Parse(b.FormURL)
	must(t, err)
	_, err = pub.PutBookingForm(ctx, b.Code, fu.RawQuery, form)
	must(t, err)
	// The day: the citizen checks in at the counter; the ticket's id goes on the public stream.
	ck.Set(time.Date(2026, 11, 24, 2, 10, 0, 0, time.UTC))
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret"))
	var tk apiv1.CheckInResponse
	_, err = e.clerk.Do(ctx, "POST", "/api/v1/bookings/"+b.Code+"/check-in", nil, &tk)
	must(t, err)
	// The counter scans a paper naming the citizen into the ticket's dossier.
	pdf := pdfOf(name)
	_, err = e.clerk.AddDocument(ctx, tk.ID, metaOf("scan-1", "cccd", pdf, map[string]string{"ho_ten": name, "so_cccd": id}), pdf)
	must(t, err)
	stream := publicStream(t, e, tk.ID)
	if !strings.Contains(stream, tk.ID) {
		t.Fatalf("the ticket %s is not on the public stream: %s", tk.ID, stream)
	}

	personal := []string{name, "Ngọc", phone, "987654321", id, id[8:], id[6:], "••"}
	check := func(what, body string, codeToo bool) {
		t.Helper()
		for _, p := range personal {
			if strings.Contains(body, p) {
				t.Errorf("%s shows %q: %s", what, p, body)
			}
		}
		if codeToo && strings.Contains(body, b.Code) {
			t.Errorf("%s shows the booking code: %s", what, body)
		}
	}
	check("the event stream", stream, true)
	status, body, _ := publicGet(t, e.srv.URL, "/api/v1/tickets/"+tk.ID)
	if status != 200 || !strings.Contains(body, `"booked":true`) {
		t.Fatalf("public ticket %d %s", status, body)
	}
	check("the public ticket", body, true)
	for _, path := range []string{"/api/v1/centres/" + centreID + "/queue", "/api/v1/centres/" + centreID + "/slots?service=A&date=2026-11-24",
		"/api/v1/centres", "/api/v1/centres/" + centreID} {
		_, body, _ := publicGet(t, e.srv.URL, path)
		check(path, body, true)
	}
	// The ticket's dossier: nothing without a staff token of the centre.
	for _, path := range []string{"/dossier", "/dossier.zip", "/form", "/form.pdf", "/documents/scan-1"} {
		status, body, _ := publicGet(t, e.srv.URL, "/api/v1/tickets/"+tk.ID+path)
		if status != http.StatusUnauthorized {
			t.Errorf("the ticket's %s by its id: %d, want 401", path, status)
		}
		check("the ticket's "+path, body, true)
	}
	// The booking's form: only through its own link.
	for _, path := range []string{"/form", "/form.pdf"} {
		for _, q := range []string{"", "?exp=9999999999&sig=x", "?" + strings.SplitN(b.PDFURL, "?", 2)[1]} {
			status, body, _ := publicGet(t, e.srv.URL, "/api/v1/bookings/"+b.Code+path+q)
			if status != http.StatusForbidden {
				t.Errorf("the booking's %s by code%s: %d, want 403", path, q, status)
			}
			check("the booking's "+path+" refused", body, false)
		}
	}
	// The code alone (as anyone who saw it has it): the booking's facts, nobody's data.
	status, body, _ = publicGet(t, e.srv.URL, "/api/v1/bookings/"+b.Code)
	if status != 200 {
		t.Fatalf("public look-up %d", status)
	}
	check("the public look-up", body, false)
	for _, doc := range []string{"pdf", "ics"} {
		for _, q := range []string{"", "?exp=9999999999&sig=x", "?sig=" + url.QueryEscape(sigOf(b.PDFURL))} {
			status, body, _ := publicGet(t, e.srv.URL, "/api/v1/bookings/"+b.Code+"/"+doc+q)
			if status != http.StatusForbidden {
				t.Errorf("%s by code%s: %d, want 403", doc, q, status)
			}
			check(doc+" refused", body, false)
		}
	}
	// A signed link is for its code only.
	other, err := bookAs(e.clerk, "2026-11-25T09:00:00+07:00", 3, nil)
	must(t, err)
	if status, _, _ := publicGet(t, e.srv.URL, strings.Replace(b.PDFURL, b.Code, other.Code, 1)); status != http.StatusForbidden {
		t.Errorf("a link signed for %s opened %s: %d", b.Code, other.Code, status)
	}
	// The links given at booking open the documents, and so does staff's token.
	for _, u := range []string{b.PDFURL, b.ICSURL} {
		status, body, h := publicGet(t, e.srv.URL, u)
		if status != 200 || (!strings.HasPrefix(body, "%PDF") && !strings.HasPrefix(body, "BEGIN:VCALENDAR")) || h.Get("Cache-Control") != "no-store" {
			t.Errorf("signed link %s: %d %.40q", u, status, body)
		}
	}
	if _, err := e.clerk.Do(ctx, "GET", "/api/v1/bookings/"+b.Code+"/pdf", nil, nil); err != nil {
		t.Errorf("staff by code: %v", err)
	}
	// Public cancel needs the number, answers without the citizen, with fresh links.
	var cancelled apiv1.BookingView
	_, err = pub.Do(ctx, "POST", "/api/v1/bookings/"+other.Code+"/cancel", apiv1.CancelRequest{IDNumber: cccd(3)}, &cancelled)
	must(t, err)
	if cancelled.Citizen != nil || cancelled.ICSURL == "" {
		t.Errorf("public cancel answers %+v", cancelled)
	}
	// Links expire a week after the slot.
	ck.Set(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	if status, body, _ := publicGet(t, e.srv.URL, b.ICSURL); status != http.StatusForbidden || !strings.Contains(body, "hết hạn") {
		t.Errorf("an expired link: %d %s", status, body)
	}
	if status, body, _ := publicGet(t, e.srv.URL, b.FormURL); status != http.StatusForbidden || !strings.Contains(body, "hết hạn") {
		t.Errorf("an expired form link: %d %s", status, body)
	}
	// Everything the stream said meanwhile: still nothing personal.
	check("the event stream after the dossier", publicStream(t, e, `"ticket.dossier"`), true)
}

func sigOf(link string) string {
	u, _ := url.Parse(link)
	return u.Query().Get("sig")
}

// TestOnlineNumberRevealsNothingPersonal takes a same-day number from the
// phone with notifications by phone, e-mail and push, and reads every
// public route a stranger reaches with the ticket id (the event stream,
// tracking, the notification routes) and the number's own answers: none
// shows the phone, the e-mail, the push endpoint or the CCCD number.
func TestOnlineNumberRevealsNothingPersonal(t *testing.T) {
	e, _ := bookingEnv(t, mondayNine)
	ctx := context.Background()
	pub := apiv1.NewClient(e.srv.URL)
	const phone, email, id = "0987654321", "ngoc.tran@example.vn", "079195123457"
	push := pushSubscription(t)
	endpoint := push["endpoint"].(string)
	raw, err := rawDo(t, pub, "POST", onlinePath(), map[string]any{"service": "A", "altcha": solved(t, e),
		"citizen": map[string]string{"id_number": id, "phone": phone},
		"notify":  map[string]any{"consent": true, "email": email, "push": push}})
	must(t, err)
	var tk apiv1.TicketView
	must(t, json.Unmarshal(raw, &tk))
	personal := []string{phone, "987654321", email, "ngoc.tran", endpoint, "fcm.googleapis", id, id[6:], "••"}
	check := func(what, body string) {
		t.Helper()
		for _, p := range personal {
			if strings.Contains(body, p) {
				t.Errorf("%s shows %q: %s", what, p, body)
			}
		}
	}
	check("the online number's answer", string(raw))
	raw, err = rawDo(t, pub, "PUT", "/api/v1/tickets/"+tk.ID+"/notify", map[string]any{"consent": true, "phone": phone, "email": email, "push": push})
	must(t, err)
	check("the notify answer", string(raw))
	if !strings.Contains(string(raw), `"phone","email","push"`) {
		t.Errorf("the notify answer names the channels: %s", raw)
	}
	for _, path := range []string{"/api/v1/tickets/" + tk.ID, "/api/v1/centres/" + centreID + "/queue", "/api/v1/centres/" + centreID} {
		status, body, _ := publicGet(t, e.srv.URL, path)
		if status != 200 {
			t.Fatalf("%s: %d", path, status)
		}
		check(path, body)
	}
	stream := publicStream(t, e, tk.ID)
	if !strings.Contains(stream, tk.ID) {
		t.Fatalf("the number is not on the stream: %s", stream)
	}
	check("the event stream", stream)
	must(t, pub.RemoveTicketNotify(ctx, tk.ID))
}

// publicStream reads the centre's public event stream from the start, as
// anyone may, until the replay has shown until (a ticket id) and gone
// quiet, and returns what it carried.
func publicStream(t *testing.T, e *env, until string) string {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(e.srv.URL, "http", "ws", 1)+"/api/v1/centres/"+centreID+"/events?since=0", nil)
	must(t, err)
	defer ws.Close()
	var stream strings.Builder
	for wait := 10 * time.Second; ; {
		ws.SetReadDeadline(time.Now().Add(wait))
		_, msg, err := ws.ReadMessage()
		if err != nil {
			break
		}
		stream.Write(msg)
		if strings.Contains(stream.String(), until) {
			wait = 300 * time.Millisecond // the rest of the replay, then quiet
		}
	}
	return stream.String()
}
