package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/engine"
	"xephang/queue-server/queue"
)

// send makes a request with a raw body and a token; it returns the
// status and the decoded error (if any).
func send(t *testing.T, e *env, c *apiv1.Client, method, path, body, lang string) (int, apiv1.ErrorBody, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c != nil {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("Accept-Language", lang)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var eb apiv1.ErrorBody
	json.Unmarshal(raw, &eb)
	return resp.StatusCode, eb, string(raw)
}

// TestCitizenNameRule: every way a booking is made (online, staff,
// kiosk) takes the name by one rule: control characters, bidirectional
// overrides, zero-width and invisible-only names, digits are refused with
// the field named; a name in combining form is stored composed (NFC).
func TestCitizenNameRule(t *testing.T) {
	e, _ := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	kiosk, _ := enrollKiosk(t, e, "Ki-ốt sảnh")
	ctx := context.Background()
	book := func(c *apiv1.Client, i int, name string) (apiv1.BookingView, error) {
		var out apiv1.BookingView
		_, err := c.Do(ctx, "POST", "/api/v1/centres/"+centreID+"/bookings", apiv1.BookRequest{Service: "A", Start: "2026-11-24T09:00:00+07:00",
			Citizen: apiv1.CitizenRequest{IDNumber: cccd(i), Name: name, Phone: "0912345678"}}, &out)
		return out, err
	}
	for i, bad := range []string{"Nguyễn\rVăn An", "Nguyễn\nATTENDEE:x", "Nguyễn Văn\u202e nA", "\u2066Nguyễn\u2069", "\u200b\u200b\u200b", "\u3164\u3164\u3164",
		"Ng\u200duyễn", "Nguyễn Văn 7", "<img src=x>", "=HYPERLINK(1)", " ", "a\u0301\u0302\u0303\u0304"} {
		for _, c := range []*apiv1.Client{e.clerk, kiosk} {
			_, err := book(c, 100+i, bad)
			var ae *apiv1.APIError
			if apiCode(err) != "422 invalid" || !asAPIError(err, &ae) || ae.Field != "citizen.name" || !strings.HasPrefix(ae.Message, "Họ và tên: ") {
				t.Errorf("name %q: %v", bad, err)
			}
		}
	}
	b, err := book(e.clerk, 1, "  Nguye\u0302\u0303n   Thi\u0323 Ánh-Tuyết ")
	if err != nil || b.Citizen == nil || b.Citizen.Name != "Nguyễn Thị Ánh-Tuyết" {
		t.Fatalf("a name in combining form: %+v %v", b.Citizen, err)
	}
	// Staff display names and kiosk names: no control or invisible characters either.
	if err := e.admin.PutUser(ctx, "canbo2", apiv1.PutUserRequest{Role: queue.RoleClerk, Centre: centreID, Name: "Cán bộ\u202e 2", Password: "clerk-secret"}); apiCode(err) != "422 invalid" {
		t.Errorf("a display name with a right-to-left override: %v", err)
	}
	tok, _ := e.admin.CreateEnrollmentToken(ctx, centreID)
	if _, err := apiv1.NewClient(e.srv.URL).Enroll(ctx, tok.Token, "Ki-ốt\r\n2"); apiCode(err) != "422 invalid" {
		t.Errorf("a kiosk name with a line break: %v", err)
	}
}

func asAPIError(err error, ae **apiv1.APIError) bool {
	a, ok := err.(*apiv1.APIError)
	*ae = a
	return ok
}

// TestCentreTextAndTimezone: a centre's names and address refuse control
// and invisible characters (they reach calendar files, PDFs and CSV), and
// its time zone is a named one, never the server's "Local".
func TestCentreTextAndTimezone(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for field, change := range map[string]func(c *queue.Centre){
		"name":                  func(c *queue.Centre) { c.Name = "Trung tâm\r\nATTENDEE:mailto:x@evil.example" },
		"address":               func(c *queue.Centre) { c.Address = "Số 1\u202e" },
		"services[0].name":      func(c *queue.Centre) { c.Services[0].Name = "Hộ\ttịch" },
		"counters[0].name":      func(c *queue.Centre) { c.Counters[0].Name = "\u200b\u200b" },
		"services[0].papers[0]": func(c *queue.Centre) { c.Services[0].Papers = []string{"Giấy\x00"} },
		"timezone":              func(c *queue.Centre) { c.Timezone = "Local" },
	} {
		c, err := e.admin.Centre(ctx, centreID)
		must(t, err)
		change(&c)
		_, err = e.admin.PutCentre(ctx, c)
		var ae *apiv1.APIError
		if apiCode(err) != "422 invalid" || !asAPIError(err, &ae) || ae.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	c, _ := e.admin.Centre(ctx, centreID)
	c.Timezone = ""
	if got, err := e.admin.PutCentre(ctx, c); err != nil || got.Timezone != queue.DefaultTimezone {
		t.Errorf("no time zone: %+v %v, want the default", got.Timezone, err)
	}
}

// TestHeartbeatIsChecked: a kiosk's heartbeat status is one of a closed
// list, device names and kinds are plain words, counts are not negative,
// texts have no control characters.
func TestHeartbeatIsChecked(t *testing.T) {
	e := newEnv(t)
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	ctx := context.Background()
	ok := queue.DeviceStatus{Name: "printer", Kind: "printer", Status: "ok", Detail: "Sẵn sàng"}
	for what, req := range map[string]apiv1.HeartbeatRequest{
		"html status":     {Devices: []queue.DeviceStatus{{Name: "printer", Kind: "printer", Status: "<img src=x onerror=alert(1)>"}}},
		"unknown status":  {Devices: []queue.DeviceStatus{{Name: "printer", Kind: "printer", Status: "on fire"}}},
		"empty name":      {Devices: []queue.DeviceStatus{{Name: "", Kind: "printer", Status: "ok"}}},
		"html kind":       {Devices: []queue.DeviceStatus{{Name: "printer", Kind: "<b>p</b>", Status: "ok"}}},
		"negative outbox": {Devices: []queue.DeviceStatus{ok}, Outbox: -1},
		"version":         {Version: "1.0<script>", Devices: []queue.DeviceStatus{ok}},
		"long detail":     {Devices: []queue.DeviceStatus{{Name: "printer", Kind: "printer", Status: "ok", Detail: strings.Repeat("x", 301)}}},
	} {
		if _, err := k.Heartbeat(ctx, req); apiCode(err) != "422 invalid" {
			t.Errorf("%s: %v", what, err)
		}
	}
	for _, v := range []string{"1.2.3", "0123456789ab", "(devel)", "v0.0.0-20261204165100-0123456789ab"} {
		if _, err := k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: v, Devices: []queue.DeviceStatus{ok, {Name: "card-reader", Kind: "card-reader", Status: "disconnected"}}, Outbox: 3}); err != nil {
			t.Errorf("a good heartbeat, version %s: %v", v, err)
		}
	}
	// Texts in the device's own words are kept, as one line of plain text.
	_, err := k.Heartbeat(ctx, apiv1.HeartbeatRequest{Version: "1", Devices: []queue.DeviceStatus{{Name: "printer", Kind: "printer", Status: "error", Detail: "lỗi\r\nX\x1b[2J\u202e"}}, LastError: "502:\n<html>"})
	must(t, err)
	ks, err := e.admin.Kiosks(ctx)
	must(t, err)
	if len(ks) != 1 || ks[0].LastError != "502: <html>" || ks[0].Devices[0].Detail != "lỗi  X [2J " {
		t.Errorf("stored %q %q", ks[0].LastError, ks[0].Devices[0].Detail)
	}
}

// TestStrictJSONServer: every handler decodes strictly: a key twice, a
// key in another case, an unknown key at any depth, a second value are
// refused (400, the field named) and nothing is done.
func TestStrictJSONServer(t *testing.T) {
	e := newEnv(t)
	k, _ := enrollKiosk(t, e, "Ki-ốt 1")
	ctx := context.Background()
	tickets := "/api/v1/centres/" + centreID + "/tickets"
	tk, err := e.clerk.Issue(ctx, centreID, apiv1.IssueRequest{Service: "A"})
	must(t, err)
	precheck := "/api/v1/tickets/" + tk.ID + "/precheck"
	cases := []struct {
		c            *apiv1.Client
		method, path string
		body, field  string
		vi           string
	}{
		{e.clerk, "POST", tickets, `{"service":"A","service":"B"}`, "service", `Trường "service" xuất hiện hai lần`},
		{e.clerk, "POST", tickets, `{"service":"B","priority":"normal","priority":"elderly"}`, "priority", "xuất hiện hai lần"},
		{e.clerk, "POST", tickets, `{"SERVICE":"A"}`, "SERVICE", `phân biệt chữ hoa, chữ thường; có phải là "service"?`},
		{e.clerk, "POST", tickets, `{"Service":"A"}`, "Service", "phân biệt chữ hoa"},
		{e.clerk, "POST", tickets, `{"service":"A"} {"service":"B"}`, "", "nhiều hơn một giá trị"},
		{e.clerk, "POST", "/api/v1/centres/" + centreID + "/bookings", `{"service":"A","citizen":{"nme":"x"}}`, "citizen.nme", `Trường không được hỗ trợ "citizen.nme"`},
		{e.admin, "PUT", "/api/v1/users/canbo9", `{"role":"clerk","centre":"` + centreID + `","password":"clerk-secret","Role":"admin"}`, "Role", "phân biệt chữ hoa"},
		{k, "PUT", precheck, `{"procedure":"khai-sinh","ok":true,"documents":[],"fields":{},"colour":"red"}`, "colour", "không được hỗ trợ"},
		{k, "PUT", precheck, `{"procedure":"khai-sinh","ok":true,"documents":[{"name":"a","status":"present","pages":[],"reasons":[],"secret":1}],"fields":{}}`, "documents[0].secret", "không được hỗ trợ"},
		{k, "PUT", precheck, `{"procedure":"khai-sinh","procedure":"x","ok":true,"documents":[],"fields":{}}`, "procedure", "hai lần"},
		{k, "POST", "/api/v1/kiosks/heartbeat", `{"version":"1","devices":[],"outbox":1.5}`, "outbox", `Trường "outbox": giá trị 1.5 không hợp lệ (cần một số nguyên trong khoảng cho phép)`},
	}
	for _, c := range cases {
		status, eb, raw := send(t, e, c.c, c.method, c.path, c.body, "vi")
		if status != 400 || eb.Error.Code != "bad_request" || eb.Error.Field != c.field || !strings.Contains(eb.Error.Message, c.vi) {
			t.Errorf("%s: %d %s, want 400 field %q with %q", c.body, status, raw, c.field, c.vi)
		}
		if strings.Contains(eb.Error.Message, "phải là số, không phải số") {
			t.Errorf("%s: %q", c.body, eb.Error.Message)
		}
	}
	// Nothing was done: one ticket, no pre-check, no canbo9.
	if list, _ := e.clerk.Tickets(ctx, centreID, false); len(list) != 1 || list[0].Precheck != nil {
		t.Errorf("refused requests changed the tickets: %+v", list)
	}
	if status, _, _ := send(t, e, e.admin, "GET", "/api/v1/users", "", "vi"); status != 200 {
		t.Fatal(status)
	}
	// What kioskd sends (kiosk/precheck's Result, every field) is accepted.
	full := `{"procedure":"khai-sinh","ok":false,"documents":[{"name":"Giấy chứng sinh","status":"missing","pages":[],"reasons":["Không thấy"],"reasons_en":["Not found"],"confidence":0.2,"required":true}],` +
		`"fields":{"ho_ten":"Nguyễn Văn An"},"pages":[{"page":1,"kind":"to-khai","score":0.9,"ocr_confidence":88,"dpi":300,"skew":0.5,"problems":[],"problems_en":[]}],"catalogue":"2026.1","checked":"2026-11-24T02:00:00Z"}`
	if status, _, raw := send(t, e, k, "PUT", precheck, full, "vi"); status != 200 {
		t.Errorf("kioskd's pre-check: %d %s", status, raw)
	}
	// A counter that is not a number: a sentence in Vietnamese.
	status, eb, _ := send(t, e, e.clerk, "POST", "/api/v1/centres/"+centreID+"/counters/0/next", "", "vi")
	if status != 404 || !strings.Contains(eb.Error.Message, `Không có quầy "0"`) {
		t.Errorf("counter 0: %d %+v", status, eb)
	}
}

// TestReportWithoutDate: a report without date is today's, as the API
// description says.
func TestReportWithoutDate(t *testing.T) {
	e := newEnv(t)
	e.clerk.Issue(context.Background(), centreID, apiv1.IssueRequest{Service: "A"})
	for _, q := range []string{"", "?period=day", "?period=week", "?format=csv"} {
		status, _, raw := send(t, e, e.admin, "GET", "/api/v1/centres/"+centreID+"/reports"+q, "", "vi")
		if status != 200 {
			t.Errorf("%q: %d %s", q, status, raw)
			continue
		}
		if q == "" {
			var rep struct {
				Period struct{ From, To string }
				Total  struct{ Tickets int }
			}
			json.Unmarshal([]byte(raw), &rep)
			today := time.Now().In(hcm).Format(time.DateOnly)
			if rep.Period.From != today || rep.Total.Tickets != 1 {
				t.Errorf("report without date: %s", raw)
			}
		}
	}
}

// TestICSEscapesText: text in a calendar file is escaped as RFC 5545
// says (backslash, semicolon, comma, and every line break, a lone CR
// included), so a centre's or service's name cannot end a line and add
// properties of its own. The centre is written past validation, as one
// saved by an older version could be.
func TestICSEscapesText(t *testing.T) {
	e, _ := bookingEnv(t, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	c, err := e.admin.Centre(ctx, centreID)
	must(t, err)
	c.Name = "Trung tâm\rATTENDEE:mailto:a@evil.example\nURL:http://evil.example\r\nX-A:1; b, c\\d"
	c.Services[0].Name = "Hộ tịch\rBEGIN:VEVENT"
	_, err = e.eng.Write(ctx, func(tx *engine.Tx) (any, error) { tx.PutCentre(c, "test"); return nil, nil })
	must(t, err)
	b, err := bookAs(e.clerk, "2026-11-24T09:00:00+07:00", 5, nil)
	must(t, err)
	status, raw, _ := publicGet(t, e.srv.URL, b.ICSURL)
	if status != 200 {
		t.Fatalf("ICS %d %s", status, raw)
	}
	unfolded := strings.ReplaceAll(raw, "\r\n ", "")
	lines := strings.Split(strings.TrimSuffix(unfolded, "\r\n"), "\r\n")
	events := 0
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("a bare CR or LF in line %q", l)
		}
		name, _, _ := strings.Cut(l, ":")
		switch name {
		case "ATTENDEE", "URL", "X-A":
			t.Errorf("the centre's name made a property: %q", l)
		case "BEGIN":
			if strings.HasSuffix(l, "VEVENT") {
				events++
			}
		}
	}
	if events != 1 {
		t.Errorf("%d events", events)
	}
	if !strings.Contains(unfolded, `Trung tâm\nATTENDEE:mailto:a@evil.example\nURL:http://evil.example\nX-A:1\; b\, c\\d`) {
		t.Errorf("the centre's name is not escaped as RFC 5545 says:\n%s", unfolded)
	}
	cal, err := ical.NewDecoder(strings.NewReader(raw)).Decode()
	if err != nil || len(cal.Events()) != 1 {
		t.Fatalf("ICS does not parse as one event: %v", err)
	}
	if loc, _ := cal.Events()[0].Props.Text(ical.PropLocation); !strings.HasPrefix(loc, "Trung tâm\nATTENDEE:mailto:a@evil.example\nURL") {
		t.Errorf("location read back as %q", loc)
	}
}
