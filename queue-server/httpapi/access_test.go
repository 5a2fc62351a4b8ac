package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/httpapi"
	"xephang/queue-server/queue"
)

// The README's role table is the access table, cell for cell.
func TestReadmeAccessTableIsTheCode(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	must(t, err)
	const open, end = "<!-- access-table -->\n", "<!-- /access-table -->"
	_, rest, ok := strings.Cut(string(raw), open)
	table, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("README.md has no table between %q and %q", strings.TrimSpace(open), end)
	}
	want := httpapi.AccessMarkdown()
	if strings.TrimSpace(table) != strings.TrimSpace(want) {
		got := strings.Split(strings.TrimSpace(table), "\n")
		exp := strings.Split(strings.TrimSpace(want), "\n")
		for i := range max(len(got), len(exp)) {
			var g, e string
			if i < len(got) {
				g = got[i]
			}
			if i < len(exp) {
				e = exp[i]
			}
			if g != e {
				t.Errorf("README line %d:\n have %s\n want %s", i+1, g, e)
			}
		}
		t.Fatal("README.md's access table and httpapi's differ: paste httpapi.AccessMarkdown()")
	}
	for _, a := range httpapi.AccessTable() {
		for _, role := range httpapi.AccessRoles {
			switch a.Cell(role) {
			case httpapi.Allowed, httpapi.Refused, httpapi.WithIDNumber, httpapi.PublicView, httpapi.OwnCounter, httpapi.SignedLink:
			default:
				t.Errorf("%s, %s: unknown cell %q", a.Route, role, a.Cell(role))
			}
		}
	}
}

// The citizen of the fixture's bookings: what only admin and clerk may see.
const (
	secretName  = "Nguyễn Văn Thành"
	secretPhone = "0912345678"
	maskedB1    = "••••••••••07" // the masked CCCD numbers of B1 and B2
	maskedB2    = "••••••••••08"
	fullB1      = "001090000007" // and B1's whole number
)

// accessFixture is a centre in service on a Tuesday morning: two bookings
// (B1 to check in, B2 to cancel or move), a ticket served and finished at
// counter 1 with a pre-check naming the citizen, one served at counter 2,
// a kiosk and a rating tablet of counter 1, a second kiosk and two
// enrolment tokens for the admin's routes.
type accessFixture struct {
	e                 *env
	clients           map[string]*apiv1.Client // by role of AccessRoles
	b1, b2            string                   // booking codes
	b1Links           map[string]string        // B1's signed links by document: pdf, ics
	t1, t2            string                   // tickets served at counters 1 and 2
	t3                string                   // a ticket waiting
	b3                string                   // B2's citizen's booking of the next day
	hook              string                   // a webhook of the centre
	kiosk2, tokenID   string
	enrolToken, csr   string
	centre            []byte // the centre's configuration, JSON
	idNumber, otherID string // B2's citizen, and someone else
}

func newAccessFixture(t *testing.T) *accessFixture {
	t.Helper()
	e, ck := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)) // Monday 08:00 local
	ctx := context.Background()
	f := &accessFixture{e: e, idNumber: cccd(8), otherID: cccd(9)}
	b1, err := bookAs(e.clerk, "2026-11-24T09:30:00+07:00", 7, nil)
	must(t, err)
	b2, err := bookAs(e.clerk, "2026-11-24T10:00:00+07:00", 8, nil)
	must(t, err)
	f.b1, f.b2 = b1.Code, b2.Code
	f.b1Links = map[string]string{"pdf": b1.PDFURL, "ics": b1.ICSURL, "form": b1.FormURL, "form.pdf": strings.Replace(b1.FormURL, "/form?", "/form.pdf?", 1)}
	ck.Set(time.Date(2026, 11, 24, 2, 10, 0, 0, time.UTC)) // Tuesday 09:10 local
	must(t, e.admin.Login(ctx, "admin", "admin-secret"))
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret"))
	kiosk, _ := enrollKiosk(t, e, "Ki-ốt 1")
	_, en2 := enrollKiosk(t, e, "Ki-ốt 2")
	f.kiosk2 = en2.Kiosk
	p, err := e.clerk.PairRatingTablet(ctx, centreID, 1)
	must(t, err)
	tablet := apiv1.NewClient(e.srv.URL)
	tablet.Token = p.Token
	f.clients = map[string]*apiv1.Client{
		queue.RoleAdmin: e.admin, queue.RoleClerk: e.clerk, queue.RoleKiosk: kiosk, queue.RoleRating: tablet,
		httpapi.Anonymous: apiv1.NewClient(e.srv.URL),
	}
	t1, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	must(t, e.clerk.AttachPrecheck(ctx, t1.ID, map[string]any{"procedure": "khai-sinh", "ok": true, "documents": []any{},
		"fields": map[string]string{"ho_ten": secretName, "so_dien_thoai": secretPhone}}))
	// Its dossier: a form and a document naming the citizen.
	form := khaiSinh()
	form.Values["applicant_name"], form.Values["applicant_phone"] = secretName, secretPhone
	_, err = e.clerk.PutTicketForm(ctx, t1.ID, form)
	must(t, err)
	pdf := pdfOf("giấy tờ")
	_, err = e.clerk.AddDocument(ctx, t1.ID, metaOf("doc-a", "giay-chung-sinh", pdf, map[string]string{"ho_ten": secretName}), pdf)
	must(t, err)
	// Its identity, read from the citizen's chip at the counter.
	must(t, e.clerk.PutIdentity(ctx, t1.ID, accessIdentity(t)))
	_, _, err = e.clerk.Next(ctx, centreID, 1)
	must(t, err)
	_, err = e.clerk.Counter(ctx, centreID, 1, "finish", nil)
	must(t, err)
	t2, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	_, _, err = e.clerk.Next(ctx, centreID, 2)
	must(t, err)
	_, err = e.clerk.Counter(ctx, centreID, 2, "finish", nil)
	must(t, err)
	f.t1, f.t2 = t1.ID, t2.ID
	t3, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	f.t3 = t3.ID
	b3, err := bookAs(e.clerk, "2026-11-25T10:00:00+07:00", 8, nil)
	must(t, err)
	f.b3 = b3.Code
	h, err := e.admin.AddWebhook(ctx, apiv1.WebhookRequest{Centre: centreID, URL: "https://hooks.example.vn/xephang", Secret: "integrator-secret-0123456789"})
	must(t, err)
	f.hook = h.ID
	tok, err := e.admin.CreateEnrollmentToken(ctx, centreID)
	must(t, err)
	f.tokenID = tok.ID
	tok, err = e.admin.CreateEnrollmentToken(ctx, centreID)
	must(t, err)
	f.enrolToken = tok.Token
	_, csr, err := apiv1.NewKey("kiosk")
	must(t, err)
	f.csr = string(csr)
	c, err := e.admin.Centre(ctx, centreID)
	must(t, err)
	f.centre, _ = json.Marshal(c)
	return f
}

// request is what the walk sends for a route: the path with its values,
// and the body.
func (f *accessFixture) request(route string) (method, path string, body any) {
	method, pattern, _ := strings.Cut(route, " ")
	id, code := f.t1, f.b1
	switch {
	case strings.HasPrefix(pattern, "/api/v1/kiosks/{id}"):
		id = f.kiosk2
	case strings.HasPrefix(pattern, "/api/v1/enrollment-tokens/{id}"):
		id = f.tokenID
	case strings.HasSuffix(pattern, "/cancel"), strings.HasSuffix(pattern, "/reschedule"):
		code = f.b2
	case strings.HasPrefix(pattern, "/api/v1/tickets/{id}/notify"):
		id = f.t3
	case strings.HasPrefix(pattern, "/api/v1/bookings/{code}/notify"):
		code = f.b3
	case strings.Contains(pattern, "/webhooks/{id}"):
		id = f.hook
	case strings.HasPrefix(pattern, "/api/v1/procedures/{id}"):
		id = "dat-dai-lan-dau"
	}
	path = strings.NewReplacer("{centre}", centreID, "{n}", "1", "{id}", id, "{code}", code, "{username}", "canbo9",
		"{doc}", "doc-a", "{procedure}", "khai-sinh").Replace(pattern)
	switch route {
	case "POST /api/v1/login":
		body = apiv1.LoginRequest{Username: "canbo1", Password: "clerk-secret"}
	case "PUT /api/v1/users/{username}":
		body = apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centreID, Password: "canbo9-secret"}
	case "PUT /api/v1/centres/{centre}":
		body = json.RawMessage(f.centre)
	case "POST /api/v1/centres/{centre}/tickets":
		body = apiv1.IssueRequest{Service: "A"}
	case "GET /api/v1/centres/{centre}/reports":
		path += "?date=2026-11-24"
	case "PUT /api/v1/tickets/{id}/precheck":
		body = map[string]any{"procedure": "khai-sinh", "ok": true, "documents": []any{}, "fields": map[string]string{}}
	case "PUT /api/v1/tickets/{id}/form", "PUT /api/v1/bookings/{code}/form":
		body = khaiSinh() // the caller's own values: nothing of the fixture's citizen
	case "POST /api/v1/tickets/{id}/documents":
		pdf := pdfOf("walk")
		body = multipartDocument(metaOf("doc-walk", "khac", pdf, nil), pdf)
	case "PUT /api/v1/tickets/{id}/identity":
		body = accessIdentity(nil)
	case "PATCH /api/v1/tickets/{id}/documents/{doc}":
		body = apiv1.DocumentPatch{Fields: map[string]string{"ghi_chu": "đã đối chiếu"}}
	case "POST /api/v1/tickets/{id}/rating":
		body = apiv1.RatingRequest{Score: 4}
	case "GET /api/v1/centres/{centre}/slots":
		path += "?service=A&date=2026-11-24"
	case "POST /api/v1/centres/{centre}/bookings":
		body = apiv1.BookRequest{Service: "A", Start: "2026-11-24T11:00:00+07:00",
			Citizen: apiv1.CitizenRequest{IDNumber: cccd(50), Name: "Trần Thị Hoa", Phone: "0987654321"}}
	case "POST /api/v1/centres/{centre}/check-in":
		body = apiv1.CheckInCardRequest{IDNumber: cccd(7)}
	case "POST /api/v1/bookings/{code}/cancel":
		body = apiv1.CancelRequest{IDNumber: f.idNumber}
	case "POST /api/v1/bookings/{code}/reschedule":
		body = apiv1.RescheduleRequest{IDNumber: f.idNumber, Start: "2026-11-24T10:30:00+07:00"}
	case "POST /api/v1/enrollment-tokens":
		body = apiv1.EnrollmentTokenRequest{Centre: centreID}
	case "POST /api/v1/kiosks/enroll":
		body = apiv1.EnrollRequest{Token: f.enrolToken, Name: "Ki-ốt 3"}
	case "POST /api/v1/kiosks/heartbeat":
		body = apiv1.HeartbeatRequest{Version: "1"}
	case "POST /api/v1/kiosks/renew":
		body = apiv1.RenewRequest{CSR: f.csr}
	case "POST /api/v1/centres/{centre}/number-blocks":
		body = apiv1.BlockRequest{Service: "A", Size: 5}
	case "POST /api/v1/centres/{centre}/tickets/void":
		body = apiv1.VoidRequest{IdempotencyKey: "never-issued"}
	case "POST /api/v1/centres/{centre}/online-tickets":
		body = apiv1.OnlineTicketRequest{Service: "A", Citizen: apiv1.IdentifiedCitizen{IDNumber: cccd(60), Phone: secretPhone}, Notify: &apiv1.NotifyRequest{Consent: true}}
	case "PUT /api/v1/tickets/{id}/notify":
		body = apiv1.NotifyRequest{Consent: true, Phone: secretPhone}
	case "PUT /api/v1/bookings/{code}/notify":
		body = apiv1.BookingNotifyRequest{IDNumber: f.idNumber, NotifyRequest: apiv1.NotifyRequest{Consent: true, Phone: secretPhone}}
	case "DELETE /api/v1/bookings/{code}/notify":
		body = apiv1.CancelRequest{IDNumber: f.idNumber}
	case "POST /api/v1/webhooks":
		body = apiv1.WebhookRequest{Centre: centreID, URL: "https://hooks.example.vn/other", Secret: "another-secret-0123456789"}
	case "POST /api/v1/centres/{centre}/procedure-questions":
		body = apiv1.AskedProcedureRequest{Q: "làm sổ đỏ lần đầu", Chosen: "dat-dai-lan-dau", Understood: true}
	case "POST /api/v1/centres/{centre}/close-day":
		body = apiv1.CloseDayRequest{Date: "2026-11-26", Message: "Trung tâm mất điện."}
	}
	return method, path, body
}

// accessIdentity is an identity naming the fixture's citizen, with a face.
func accessIdentity(t testing.TB) queue.IdentityIn {
	card, _ := json.Marshal(map[string]string{"id_number": fullB1, "name": secretName, "residence": "Số 1 Tràng Tiền"})
	return queue.IdentityIn{Authenticity: queue.AuthGenuine, Card: card, Face: accessFace}
}

// accessFace is a small real JPEG.
var accessFace = func() []byte {
	var b bytes.Buffer
	jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 24, 32)), nil)
	return b.Bytes()
}()

type answer struct {
	status int
	code   string // the error's code, if any
	ctype  string
	body   []byte
}

func (a answer) refused() bool {
	return a.code == queue.EUnauthorized || a.code == queue.EForbidden
}

func (f *accessFixture) send(t *testing.T, role, method, path string, body any) answer {
	t.Helper()
	var rd io.Reader
	ctype := "application/json"
	if mp, ok := body.(multipartBody); ok {
		rd, ctype = bytes.NewReader(mp.data), mp.ctype
	} else if body != nil {
		raw, err := json.Marshal(body)
		must(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.e.srv.URL+path, rd)
	must(t, err)
	req.Header.Set("Content-Type", ctype)
	if tok := f.clients[role].Token; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: raw}
	var eb struct {
		Error struct{ Code string } `json:"error"`
	}
	if resp.StatusCode >= 400 && json.Unmarshal(raw, &eb) == nil {
		a.code = eb.Error.Code
	}
	return a
}

func (f *accessFixture) bookingStatus(t *testing.T, code string) string {
	t.Helper()
	var v apiv1.BookingView
	_, err := f.e.admin.Do(context.Background(), "GET", "/api/v1/bookings/"+code, nil, &v)
	must(t, err)
	return v.Status
}

// The access table, walked route by route for every role, on a fresh
// centre per role: each cell holds, and no answer to a kiosk, a tablet or
// an anonymous caller carries a name, a phone or ID digits.
func TestAccessTableRouteByRoute(t *testing.T) {
	rows := httpapi.AccessTable()
	// Signing out ends the walk: it ends the caller's token.
	slices.SortStableFunc(rows, func(a, b httpapi.Access) int {
		return boolInt(a.Route == "POST /api/v1/logout") - boolInt(b.Route == "POST /api/v1/logout")
	})
	for _, role := range httpapi.AccessRoles {
		t.Run(role, func(t *testing.T) {
			f := newAccessFixture(t)
			for _, row := range rows {
				if row.Route == "GET /metrics" {
					continue // served only with metrics configured; public when it is
				}
				cell := row.Cell(role)
				method, path, body := f.request(row.Route)
				switch cell {
				case httpapi.WithIDNumber:
					// Without the number, or with another citizen's, nothing
					// happens; with it, the caller acts as the citizen.
					before := f.bookingStatus(t, f.b2)
					for _, bad := range []string{"", f.otherID} {
						b := map[string]string{"id_number": bad}
						if strings.HasSuffix(row.Route, "/reschedule") {
							b["start"] = "2026-11-24T10:30:00+07:00"
						}
						if a := f.send(t, role, method, path, b); a.status < 400 {
							t.Errorf("%s as %s with id_number %q: %d, want a refusal", row.Route, role, bad, a.status)
						}
						if got := f.bookingStatus(t, f.b2); got != before {
							t.Errorf("%s as %s with id_number %q changed the booking: %s → %s", row.Route, role, bad, before, got)
						}
					}
				case httpapi.SignedLink:
					// The code alone is refused; the citizen's link is served.
					if a := f.send(t, role, method, path, body); a.status != http.StatusForbidden {
						t.Errorf("%s as %s by code alone: %d %s, want 403", row.Route, role, a.status, a.code)
					}
					link := f.b1Links[path[strings.LastIndex(path, "/")+1:]]
					u, err := url.Parse(link)
					if err != nil || u.RawQuery == "" {
						t.Fatalf("B1's signed link %q", link)
					}
					path = u.Path + "?" + u.RawQuery
				case httpapi.OwnCounter:
					other := strings.Replace(path, f.t1, f.t2, 1)
					if a := f.send(t, role, method, other, body); a.code != queue.EForbidden {
						t.Errorf("%s as %s for another counter's ticket: %d %s, want 403 forbidden", row.Route, role, a.status, a.code)
					}
				}
				a := f.send(t, role, method, path, body)
				switch cell {
				case httpapi.Refused:
					want := queue.EForbidden
					if role == httpapi.Anonymous {
						want = queue.EUnauthorized
					}
					if a.code != want {
						t.Errorf("%s as %s: %d %s, want %s", row.Route, role, a.status, a.code, want)
					}
				case httpapi.PublicView:
					if a.status >= 300 {
						t.Errorf("%s as %s: %d %s, want the public view", row.Route, role, a.status, a.code)
					}
				default:
					if a.refused() {
						t.Errorf("%s as %s: refused (%d %s), the table says %q", row.Route, role, a.status, a.code, cell)
					} else if a.status >= 300 && !slices.Contains(domainAnswers[row.Route], a.code) {
						t.Errorf("%s as %s: %d %s, want it served", row.Route, role, a.status, a.code)
					}
				}
				if role != queue.RoleAdmin && role != queue.RoleClerk && !strings.HasPrefix(a.ctype, "application/pdf") {
					for _, secret := range []string{secretName, secretPhone, maskedB1, maskedB2, fullB1} {
						if bytes.Contains(a.body, []byte(secret)) {
							t.Errorf("%s as %s: the answer shows %q: %.300s", row.Route, role, secret, a.body)
						}
					}
				}
			}
		})
	}
}

// domainAnswers are the refusals of the domain, not of access, that the
// walk's requests meet on an allowed route: the event stream wants a
// WebSocket, B2 was cancelled before it is moved, B1 was checked in by
// card before by code, counter 1 serves nobody after next and finish, the
// test server has no CA to renew with, the void names no ticket,
// anonymous bookings and online numbers need the proof of work, and the
// test server has no Web Push key.
var domainAnswers = map[string][]string{
	"GET /api/v1/centres/{centre}/events":                 {queue.EBadRequest},
	"POST /api/v1/bookings/{code}/reschedule":             {queue.EConflict},
	"POST /api/v1/bookings/{code}/check-in":               {queue.EConflict},
	"POST /api/v1/centres/{centre}/counters/{n}/call":     {queue.EInvalid},
	"POST /api/v1/centres/{centre}/counters/{n}/recall":   {queue.ERecallTooSoon},
	"POST /api/v1/centres/{centre}/counters/{n}/no-show":  {queue.ENoCurrent},
	"POST /api/v1/centres/{centre}/counters/{n}/transfer": {queue.ENoCurrent},
	// Counter 1 serves nobody when the priority is decided.
	"POST /api/v1/centres/{centre}/counters/{n}/confirm-priority":   {queue.ENoCurrent},
	"POST /api/v1/centres/{centre}/counters/{n}/downgrade-priority": {queue.ENoCurrent},
	"POST /api/v1/kiosks/renew":                                     {queue.EInvalid},
	"POST /api/v1/centres/{centre}/tickets/void":                    {queue.ENotFound},
	"POST /api/v1/centres/{centre}/bookings":                        {queue.EChallenge},
	"POST /api/v1/centres/{centre}/online-tickets":                  {queue.EChallenge},
	// The test server sends no Web Push.
	"GET /api/v1/push/key": {queue.ENotFound},
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// multipartBody is a request body the walk sends as it is.
type multipartBody struct {
	ctype string
	data  []byte
}

// multipartDocument is the body of POST …/documents, as apiv1 sends it.
func multipartDocument(meta apiv1.DocumentMeta, pdf []byte) multipartBody {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="meta"`)
	h.Set("Content-Type", "application/json")
	w, _ := mw.CreatePart(h)
	json.NewEncoder(w).Encode(meta)
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="pdf"; filename="d.pdf"`)
	h.Set("Content-Type", "application/pdf")
	w, _ = mw.CreatePart(h)
	w.Write(pdf)
	mw.Close()
	return multipartBody{ctype: mw.FormDataContentType(), data: b.Bytes()}
}
