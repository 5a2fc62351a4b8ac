package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"xephang/queue-server/queue"
)

// The citizen of the identity tests, as the chip tells.
const (
	chipName      = "Nguyễn Thị Ánh Tuyết"
	chipResidence = "Số 12 ngõ 34 phố Đội Cấn, phường Ba Đình, Hà Nội"
	chipID        = "001190012345"
)

// faceJPEG is a real JPEG of w×h pixels (a chip's face is about 480×640).
func faceJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	must(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}))
	return b.Bytes()
}

// chipCard is the chip's fields as `kioskd idcard chip` prints them.
func chipCard(withFace bool) json.RawMessage {
	c := map[string]any{"id_number": chipID, "name": chipName, "birth_date": "1990-03-15", "sex": "F", "expiry_date": "2030-03-15",
		"issue_date": "2021-04-01", "nationality": "Việt Nam", "ethnicity": "Kinh", "religion": "Không", "origin": "Nam Định",
		"residence": chipResidence, "father": "Nguyễn Văn Bình", "mother": "Trần Thị Cúc", "old_id_number": "163123456",
		"valid": true, "expired": false, "errors": []string{}, "authenticity": "genuine"}
	if withFace {
		c["face"] = "/9j/AAAA"
	}
	raw, _ := json.Marshal(c)
	return raw
}

func identityOf(t testing.TB, auth string, face []byte) queue.IdentityIn {
	return queue.IdentityIn{Authenticity: auth, Card: chipCard(false), Face: face}
}

// send sends a request with a token as it is, through the spec-checking
// test server, and returns the answer.
func (e *env) send(t *testing.T, token, method, path string, body []byte) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	must(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, raw
}

// A kiosk sends the identity read from the chip with its ticket; staff of
// the centre read it and its face, never cached; the kiosk, a tablet,
// anyone without a token and another centre's clerk read nothing; the
// same identity sent again changes nothing; the public stream tells
// ticket.identity with the ticket's id alone; the audit names who sent
// it and who looked at the face, never a value.
func TestIdentity(t *testing.T) {
	d := newDossierEnv(t)
	e, ctx := d.e, context.Background()
	face := faceJPEG(t, 120, 160)
	in := identityOf(t, queue.AuthGenuine, face)
	in.Card = chipCard(true) // the face in the card is dropped: it travels in face
	in.Problems = []string{"DS certificate near expiry"}
	must(t, d.kiosk.PutIdentity(ctx, d.ticket.ID, in))
	must(t, d.kiosk.PutIdentity(ctx, d.ticket.ID, in)) // the outbox again

	got, err := e.clerk.Identity(ctx, d.ticket.ID)
	must(t, err)
	var card map[string]any
	must(t, json.Unmarshal(got.Card, &card))
	if got.TicketID != d.ticket.ID || got.Centre != centreID || got.Source != "chip" || got.Authenticity != "genuine" ||
		!slices.Equal(got.Problems, in.Problems) || len(got.Mismatches) != 0 || card["name"] != chipName || card["residence"] != chipResidence || card["face"] != nil {
		t.Errorf("identity: %+v card %v", got, card)
	}
	// The end of the ticket's day (Monday 23/11), Hà Nội time.
	if want := time.Date(2026, 11, 24, 0, 0, 0, 0, hcm); !got.Expires.Equal(want) {
		t.Errorf("expires %v, want %v", got.Expires, want)
	}
	resp, raw := e.send(t, e.clerk.Token, "GET", "/api/v1/tickets/"+d.ticket.ID+"/identity", nil)
	var view struct {
		FaceURL string `json:"face_url"`
	}
	must(t, json.Unmarshal(raw, &view))
	if resp.Header.Get("Cache-Control") != "no-store" || view.FaceURL != "/api/v1/tickets/"+d.ticket.ID+"/identity/face" {
		t.Errorf("GET identity: %s, face_url %q", resp.Header.Get("Cache-Control"), view.FaceURL)
	}
	resp, raw = e.send(t, e.admin.Token, "GET", view.FaceURL, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("Cache-Control") != "no-store" || !bytes.Equal(raw, face) {
		t.Errorf("face: %d %s %s, %d bytes (want %d)", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), len(raw), len(face))
	}
	if b, err := e.clerk.IdentityFace(ctx, d.ticket.ID); err != nil || !bytes.Equal(b, face) {
		t.Errorf("IdentityFace: %d bytes %v", len(b), err)
	}

	// Staff's view of the ticket carries the mark; the public one does not.
	if tv, err := e.clerk.Ticket(ctx, d.ticket.ID); err != nil || !tv.Identity {
		t.Errorf("staff's view of the ticket: %+v %v, want the identity mark", tv, err)
	}
	if _, raw := e.send(t, "", "GET", "/api/v1/tickets/"+d.ticket.ID, nil); bytes.Contains(raw, []byte(`"identity"`)) {
		t.Errorf("the public view of the ticket tells of the identity: %s", raw)
	}

	// Nobody else reads it.
	tablet, err := e.clerk.PairRatingTablet(ctx, centreID, 1)
	must(t, err)
	for who, token := range map[string]string{"the kiosk": d.kiosk.Token, "another centre's clerk": d.other.Token, "a rating tablet": tablet.Token, "anyone": ""} {
		for _, path := range []string{"/identity", "/identity/face"} {
			resp, raw := e.send(t, token, "GET", "/api/v1/tickets/"+d.ticket.ID+path, nil)
			if resp.StatusCode != 401 && resp.StatusCode != 403 || bytes.Contains(raw, []byte(chipName)) || bytes.Equal(raw, face) {
				t.Errorf("%s reading %s: %d %.200s", who, path, resp.StatusCode, raw)
			}
		}
	}
	// Nor writes it: another centre's clerk, an admin, a tablet.
	if err := d.other.PutIdentity(ctx, d.ticket.ID, in); apiCode(err) != "403 forbidden" {
		t.Errorf("another centre's clerk writing: %v", err)
	}
	if err := e.admin.PutIdentity(ctx, d.ticket.ID, in); apiCode(err) != "403 forbidden" {
		t.Errorf("an admin writing: %v", err)
	}
	// The counter's scanner reads the card again: a new identity.
	again := identityOf(t, queue.AuthDataAltered, nil)
	again.Mismatches = []string{"name", "birth_date"}
	must(t, e.clerk.PutIdentity(ctx, d.ticket.ID, again))
	got, err = e.clerk.Identity(ctx, d.ticket.ID)
	must(t, err)
	if got.Authenticity != "data_altered" || !slices.Equal(got.Mismatches, again.Mismatches) || len(got.Problems) != 0 {
		t.Errorf("read again: %+v", got)
	}
	if _, err := e.clerk.IdentityFace(ctx, d.ticket.ID); apiCode(err) != "404 not_found" {
		t.Errorf("the face after a read without one: %v", err)
	}

	// The public stream: two ticket.identity events (the repeat made
	// none), the ticket's id alone.
	stream := publicStream(t, e, `"ticket.identity"`)
	if n := strings.Count(stream, `"ticket.identity"`); n != 2 {
		t.Errorf("%d ticket.identity events, want 2", n)
	}
	for _, line := range strings.Split(stream, "\n") {
		if strings.Contains(line, `"ticket.identity"`) && !strings.Contains(line, `"ticket":{"id":"`+d.ticket.ID+`"}`) {
			t.Errorf("ticket.identity event tells more than the id: %s", line)
		}
	}
	for _, secret := range []string{chipName, chipID, "genuine", "data_altered", "Đội Cấn"} {
		if strings.Contains(stream, secret) {
			t.Errorf("the public stream shows %q", secret)
		}
	}
	audit, err := e.store.Audit(centreID, 50)
	must(t, err)
	var actions []string
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "identity.") {
			actor := a.Actor
			if strings.HasPrefix(actor, "kiosk-") {
				actor = "kiosk"
			}
			actions = append(actions, a.Action+" "+actor+" "+a.Ticket+" "+a.Reason)
		}
	}
	slices.Sort(actions)
	want := []string{"identity.face admin " + d.ticket.ID + " ", "identity.face canbo1 " + d.ticket.ID + " ",
		"identity.put kiosk " + d.ticket.ID + " ", "identity.put canbo1 " + d.ticket.ID + " "}
	slices.Sort(want)
	raw, _ = json.Marshal(audit)
	if !slices.Equal(actions, want) || bytes.Contains(raw, []byte(chipName)) || bytes.Contains(raw, []byte("data_altered")) {
		t.Errorf("audit: %q, want %q", actions, want)
	}
}

// A body that is not an identity is refused, saying what is wrong, and
// nothing is kept.
func TestIdentityRefused(t *testing.T) {
	d := newDossierEnv(t)
	e, ctx := d.e, context.Background()
	good := faceJPEG(t, 48, 64)
	big := faceJPEG(t, 700, 700)
	for len(big) <= queue.MaxIdentityFace {
		big = append(big, big...)
	}
	wide := faceJPEG(t, 2100, 8)
	path := "/api/v1/tickets/" + d.ticket.ID + "/identity"
	b64 := base64.StdEncoding.EncodeToString
	for _, c := range []struct {
		name, body, want, field string
	}{
		{"no authenticity", `{"card":{}}`, "422 invalid", "authenticity"},
		{"an authenticity of its own", `{"authenticity":"probably","card":{}}`, "422 invalid", "authenticity"},
		{"no card", `{"authenticity":"genuine"}`, "422 invalid", "card"},
		{"a card that is a list", `{"authenticity":"genuine","card":["Nguyễn"]}`, "422 invalid", "card"},
		{"a card with a control character", `{"authenticity":"genuine","card":{"name":"A\u0007B"}}`, "422 invalid", "card"},
		{"a card too deep", `{"authenticity":"genuine","card":{"a":{"b":{"c":{"d":1}}}}}`, "422 invalid", "card"},
		{"a card field of an odd name", `{"authenticity":"genuine","card":{"Tên":"x"}}`, "422 invalid", "card"},
		{"a mismatch that is not a field", `{"authenticity":"genuine","card":{},"mismatches":["tên khác"]}`, "422 invalid", "mismatches"},
		{"an empty problem", `{"authenticity":"genuine","card":{},"problems":[""]}`, "422 invalid", "problems"},
		{"an unknown field", `{"authenticity":"genuine","card":{},"photo":""}`, "400 bad_request", "photo"},
		{"a field in another case", `{"Authenticity":"genuine","card":{}}`, "400 bad_request", "Authenticity"},
		{"a face not base64", `{"authenticity":"genuine","card":{},"face":"không phải ảnh"}`, "400 bad_request", ""},
		{"a face of a JPEG's magic alone", `{"authenticity":"genuine","card":{},"face":"/9j/"}`, "422 invalid", "face"},
		{"a face that is a PNG", `{"authenticity":"genuine","card":{},"face":"` + b64([]byte("\x89PNG\r\n\x1a\n0000")) + `"}`, "422 invalid", "face"},
		{"a face with a JPEG's magic and no header", `{"authenticity":"genuine","card":{},"face":"` + b64([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F'}) + `"}`, "422 invalid", "face"},
		{"a face too wide", `{"authenticity":"genuine","card":{},"face":"` + b64(wide) + `"}`, "422 invalid", "face"},
		{"a face over 256 KB", `{"authenticity":"genuine","card":{},"face":"` + b64(big[:queue.MaxIdentityFace+1]) + `"}`, "413 too_large", "face"},
		{"a body over 400 KB", `{"authenticity":"genuine","card":{},"face":"` + b64(append(big, big...)) + `"}`, "413 too_large", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, raw := e.send(t, d.kiosk.Token, "PUT", path, []byte(c.body))
			var answer struct {
				Error struct{ Code, Field string }
			}
			json.Unmarshal(raw, &answer)
			ae := answer.Error
			if got := strings.Join([]string{itoa(resp.StatusCode), ae.Code}, " "); got != c.want || (c.field != "" && ae.Field != c.field) {
				t.Errorf("%s: %.300s, want %s (field %q)", got, raw, c.want, c.field)
			}
		})
	}
	if _, err := e.clerk.Identity(ctx, d.ticket.ID); apiCode(err) != "404 not_found" {
		t.Errorf("after the refusals: %v, want nothing kept", err)
	}
	// A face of a real chip's size goes; no face at all goes too.
	must(t, d.kiosk.PutIdentity(ctx, d.ticket.ID, identityOf(t, queue.AuthNotChecked, good)))
	must(t, d.kiosk.PutIdentity(ctx, d.ticket.ID, identityOf(t, queue.AuthUnknownIssuer, nil)))
	if err := d.kiosk.PutIdentity(ctx, "no-such-ticket", identityOf(t, queue.AuthGenuine, nil)); apiCode(err) != "404 not_found" {
		t.Errorf("an unknown ticket: %v", err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// An identity lasts the ticket's day: after midnight, the centre's time,
// staff read nothing (before the purge erases it), a kiosk's late replay
// is refused, and the hourly purge erases it.
func TestIdentityEndsWithTheDay(t *testing.T) {
	d := newDossierEnv(t)
	e, ctx := d.e, context.Background()
	must(t, d.kiosk.PutIdentity(ctx, d.ticket.ID, identityOf(t, queue.AuthGenuine, faceJPEG(t, 30, 40))))
	d.ck.Set(time.Date(2026, 11, 23, 16, 59, 0, 0, time.UTC)) // 23:59 in Hà Nội
	must(t, e.clerk.Login(ctx, "canbo1", "clerk-secret"))     // a new day's sign-in
	if _, err := e.clerk.Identity(ctx, d.ticket.ID); err != nil {
		t.Errorf("at 23:59: %v", err)
	}
	d.ck.Set(time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)) // midnight
	if _, err := e.clerk.Identity(ctx, d.ticket.ID); apiCode(err) != "404 not_found" {
		t.Errorf("at midnight: %v, want 404", err)
	}
	if _, err := e.clerk.IdentityFace(ctx, d.ticket.ID); apiCode(err) != "404 not_found" {
		t.Errorf("the face at midnight: %v, want 404", err)
	}
	if err := d.kiosk.PutIdentity(ctx, d.ticket.ID, identityOf(t, queue.AuthGenuine, nil)); apiCode(err) != "409 conflict" {
		t.Errorf("a replay after midnight: %v, want 409", err)
	}
	n, err := e.store.PurgeIdentities(d.ck.Now())
	if err != nil || n != 1 {
		t.Errorf("purge: %d %v", n, err)
	}
}

// A clerk's counter scanner sends the identity of the ticket it serves;
// apiv1's client decodes the answer as queue.TicketIdentity.
func TestIdentityFromTheCounter(t *testing.T) {
	d := newDossierEnv(t)
	e, ctx := d.e, context.Background()
	_, _, err := e.clerk.Next(ctx, centreID, 1)
	must(t, err)
	in := identityOf(t, queue.AuthGenuine, faceJPEG(t, 60, 80))
	must(t, e.clerk.PutIdentity(ctx, d.ticket.ID, in))
	got, err := e.admin.Identity(ctx, d.ticket.ID)
	must(t, err)
	if got.Authenticity != "genuine" || got.ReadAt.IsZero() || len(got.FaceJPEG) != 0 {
		t.Errorf("identity: %+v", got)
	}
}
