package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// FuzzIssueBody sends arbitrary bodies to POST …/tickets: the answer is a
// ticket (201) or a JSON error with a code, and an error changes nothing.
func FuzzIssueBody(f *testing.F) {
	e := newEnv(f)
	for _, s := range []string{`{"service":"A"}`, `{"service":"B","priority":"elderly","idempotency_key":"k"}`, `{"service":`, `[]`, `{"service":"A","x":1}`, "\xff",
		`{"service":5}`, `{"service":"A","offline":"yes"}`, `{"service" "A"}`, ``, `null`, `{"service":-1.5e9}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		q0, err := e.clerk.Queue(context.Background(), centreID)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "/api/v1/centres/"+centreID+"/tickets", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code == http.StatusCreated {
			return
		}
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" || rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("body %q: status %d, answer %q", body, rec.Code, rec.Body.String())
		}
		// In the API's words: no format slip, no Go type of the server.
		if strings.Contains(eb.Error.Message, "%!") || strings.Contains(eb.Error.Message, "Go struct") || strings.Contains(eb.Error.Message, "httpapi.") {
			t.Fatalf("body %q: message %q", body, eb.Error.Message)
		}
		q1, _ := e.clerk.Queue(context.Background(), centreID)
		if q1.LastSeq != q0.LastSeq {
			t.Fatalf("refused body %q changed the centre", body)
		}
	})
}

// FuzzTicketNotifyBody sends arbitrary bodies to PUT /tickets/{id}/notify:
// the answer is the channels kept and nothing else (no address comes
// back), or a JSON error with a code that changes nothing.
func FuzzTicketNotifyBody(f *testing.F) {
	e := newEnv(f)
	e.alwaysOpen(f)
	tk, err := e.clerk.Issue(context.Background(), centreID, apiv1.IssueRequest{Service: "A"})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{`{"consent":true,"phone":"0912345678"}`, `{"consent":true,"email":"a@b.vn"}`, `{"consent":false,"email":"a@b.vn"}`, `{}`,
		`{"consent":true,"push":{"endpoint":"https://push.example/x","expirationTime":null,"keys":{"p256dh":"BAAA","auth":"AAAA"}}}`,
		`{"consent":true,"push":null}`, `{"consent":"yes"}`, `{"consent":true,"phone":"0912345678","phone":"0912345679"}`, `{"Consent":true}`, `[]`, ``, "\xff"} {
		f.Add(s)
	}
	audit := func() int {
		var log []json.RawMessage
		if _, err := e.admin.Do(context.Background(), "GET", "/api/v1/centres/"+centreID+"/audit", nil, &log); err != nil {
			f.Fatal(err)
		}
		return len(log)
	}
	f.Fuzz(func(t *testing.T, body string) {
		n0 := audit()
		req := httptest.NewRequest("PUT", "/api/v1/tickets/"+tk.ID+"/notify", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token) // no per-address limit
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			var nv apiv1.NotifyView
			if err := json.Unmarshal(rec.Body.Bytes(), &nv); err != nil {
				t.Fatalf("body %q: answer %q", body, rec.Body.String())
			}
			again, _ := json.Marshal(nv)
			if strings.TrimSpace(rec.Body.String()) != string(again) {
				t.Fatalf("body %q: the answer holds more than the channels: %s", body, rec.Body.String())
			}
			for _, c := range nv.Channels {
				if c != queue.ChannelPhone && c != queue.ChannelEmail && c != queue.ChannelPush {
					t.Fatalf("body %q: channel %q", body, c)
				}
			}
			return
		}
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" || rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("body %q: status %d, answer %q", body, rec.Code, rec.Body.String())
		}
		if audit() != n0 {
			t.Fatalf("refused body %q changed the notifications", body)
		}
	})
}

// FuzzDocumentUpload sends arbitrary metas and files to POST
// …/documents: the answer is the document kept (its SHA-256 the file's,
// the file a PDF) or a JSON error with a code, never a server error.
func FuzzDocumentUpload(f *testing.F) {
	e := newEnv(f)
	e.alwaysOpen(f)
	tk, err := e.clerk.Issue(context.Background(), centreID, apiv1.IssueRequest{Service: "A"})
	if err != nil {
		f.Fatal(err)
	}
	pdf := pdfOf("x")
	good, _ := json.Marshal(metaOf("d1", "khac", pdf, map[string]string{"ho_ten": "Nguyễn Văn A"}))
	for _, s := range []struct {
		meta string
		pdf  []byte
	}{{string(good), pdf}, {`{"id":"d2"}`, pdf}, {`{`, nil}, {`null`, []byte("%PDF-")}, {string(good), []byte("<html>")},
		{strings.Replace(string(good), `"pages":1`, `"pages":1e9`, 1), pdf}, {`{"id":"d1","id":"d3"}`, pdf}} {
		f.Add(s.meta, s.pdf)
	}
	f.Fuzz(func(t *testing.T, meta string, file []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		w, _ := mw.CreateFormField("meta")
		w.Write([]byte(meta))
		w, _ = mw.CreateFormFile("pdf", "d.pdf")
		w.Write(file)
		mw.Close()
		req := httptest.NewRequest("POST", "/api/v1/tickets/"+tk.ID+"/documents", &b)
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code == http.StatusCreated || rec.Code == http.StatusOK {
			var v apiv1.DocumentView
			sum := sha256.Sum256(file)
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.SHA256 != hex.EncodeToString(sum[:]) || !bytes.HasPrefix(file, []byte("%PDF-")) {
				t.Fatalf("meta %q: kept %+v for a file of %d bytes", meta, v, len(file))
			}
			return
		}
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" || rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("meta %q: status %d, answer %q", meta, rec.Code, rec.Body.String())
		}
	})
}

// FuzzProcedureQuestion sends arbitrary questions to the guidance:
// GET /api/v1/procedures?q= answers a list of at most three or a JSON
// error; POST …/procedure-questions with an arbitrary body counts it (204)
// only as the domain keeps it, nothing personal, or answers a JSON error.
func FuzzProcedureQuestion(f *testing.F) {
	e := newEnv(f)
	for _, s := range []string{"làm sổ đỏ lần đầu", "dk ket hon", "sinhf con", "", "0912345678", "an@b.vn", "\xff", "a\x00b", `"`} {
		f.Add(s, `{"q":"`+s+`","understood":true}`)
	}
	f.Add("khai sinh", `{"q":"khai sinh","chosen":"khai-sinh","understood":false}`)
	f.Add("x", `{"q":1}`)
	f.Fuzz(func(t *testing.T, q, body string) {
		jsonError := func(rec *httptest.ResponseRecorder, what string) {
			var eb struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" || rec.Code < 400 || rec.Code >= 500 {
				t.Fatalf("%s: status %d, answer %q", what, rec.Code, rec.Body.String())
			}
		}
		req := httptest.NewRequest("GET", "/api/v1/procedures?q="+url.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			var got []apiv1.ProcedureView
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || (q != "" && len(got) > 3) {
				t.Fatalf("q %q: %d answers (%v)", q, len(got), err)
			}
		} else {
			jsonError(rec, "q "+strconv.Quote(q))
		}

		req = httptest.NewRequest("POST", "/api/v1/centres/"+centreID+"/procedure-questions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		rec = httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			jsonError(rec, "body "+strconv.Quote(body))
			return
		}
		var sent apiv1.AskedProcedureRequest
		if err := json.Unmarshal([]byte(body), &sent); err != nil {
			t.Fatalf("body %q counted, not JSON: %v", body, err)
		}
		kept, err := queue.CheckProcedureQuestion(sent.Q)
		if err != nil {
			t.Fatalf("body %q counted, though the domain refuses it: %v", body, err)
		}
		days, err := e.store.ProcedureQuestionDays(centreID, "")
		if err != nil || !slices.ContainsFunc(days, func(d queue.ProcedureQuestionDay) bool { return d.Q == kept }) {
			t.Fatalf("body %q: %q not among the counts (%v)", body, kept, err)
		}
	})
}

// FuzzIdentityBody sends arbitrary bodies to PUT …/identity: the answer
// is 204 or a JSON error with a code, and what is kept is a card object
// without a face field, and a face that is a JPEG.
func FuzzIdentityBody(f *testing.F) {
	e := newEnv(f)
	e.store.DB().NoSync = true // kept inputs are many writes: the disk's speed is not what is fuzzed
	tk, err := e.clerk.Issue(context.Background(), centreID, apiv1.IssueRequest{Service: "A"})
	if err != nil {
		f.Fatal(err)
	}
	face := base64.StdEncoding.EncodeToString(accessFace)
	for _, s := range []string{`{"authenticity":"genuine","card":{"name":"Nguyễn Văn A","face":"x"}}`,
		`{"authenticity":"data_altered","card":{"errors":["a"],"valid":true,"n":1.5},"face":"` + face + `","mismatches":["name"],"problems":["DG13 hash"]}`,
		`{"authenticity":"genuine","card":{},"face":"/9j/4AAQ"}`, `{"authenticity":"x"}`, `{"card":[]}`, `[]`, ``, `null`, "\xff",
		`{"authenticity":"genuine","card":{"a":{"b":{"c":1}}}}`, `{"authenticity":"genuine","card":{},"face":"===="}`} {
		f.Add(s)
	}
	path := "/api/v1/tickets/" + tk.ID + "/identity"
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("PUT", path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.clerk.Token)
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			var ae struct {
				Error struct{ Code string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &ae); err != nil || ae.Error.Code == "" || rec.Code < 400 || rec.Code >= 500 {
				t.Fatalf("%d %q for %q", rec.Code, rec.Body, body)
			}
			return
		}
		id, err := e.store.Identity(tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var card map[string]any
		if err := json.Unmarshal(id.Card, &card); err != nil || card == nil || card["face"] != nil {
			t.Fatalf("kept card %s for %q", id.Card, body)
		}
		if len(id.FaceJPEG) > 0 && !bytes.HasPrefix(id.FaceJPEG, []byte{0xFF, 0xD8, 0xFF}) {
			t.Fatalf("kept a face that is not a JPEG for %q", body)
		}
	})
}
