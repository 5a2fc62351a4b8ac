// Package openapitest holds the API's tests to docs/openapi.yaml: it loads
// the spec with a real OpenAPI library (getkin/kin-openapi, which
// validates OpenAPI 3.1 documents with JSON Schema 2020-12) and wraps a
// test server's handler so that every request and every answer of the
// HTTP tests is checked against it.
//
// The rule it enforces is the one an integrator relies on:
//   - every request the tests send reaches a route the spec describes;
//   - a request the spec calls valid gets an answer whose status, headers
//     and body the spec lists for that operation;
//   - a request the spec calls invalid (tests of bad input send many) must
//     be refused with a 4xx answer the spec lists, never accepted.
//
// Violations are collected while the test runs and reported when it ends,
// so a handler goroutine never calls t.Errorf after its test returned.
package openapitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is docs/openapi.yaml, loaded and validated once.
type Spec struct {
	Doc    *openapi3.T
	router routers.Router
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load returns the repository's spec, failing the test when it does not
// parse or does not validate as OpenAPI.
func Load(tb testing.TB) *Spec {
	tb.Helper()
	loadOnce.Do(func() { loaded, loadErr = load() })
	if loadErr != nil {
		tb.Fatalf("docs/openapi.yaml: %v", loadErr)
	}
	return loaded
}

// File is the path of docs/openapi.yaml, found from the working directory
// up to the module's root.
func File() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "docs", "openapi.yaml"), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}

func load() (*Spec, error) {
	file, err := File()
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		return nil, fmt.Errorf("does not load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("is not a valid OpenAPI document: %w", err)
	}
	// The spec names the demo's address; tests listen on other ports, so
	// routes are matched by path alone.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routes: %w", err)
	}
	return &Spec{Doc: doc, router: router}, nil
}

// Checked reports whether a request path is one the spec must describe:
// the API and the operational endpoints. Pages and static assets are not
// part of the HTTP contract.
func Checked(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// Recorder collects the violations of one test.
type Recorder struct {
	spec *Spec
	mu   sync.Mutex
	errs []string
	seen int
	// kioskListener: the handler is the kiosks' mutual-TLS listener, which
	// serves the operations marked x-kiosk-listener and answers 404 to
	// everything else.
	kioskListener bool
}

// Wrap returns h checked against the spec for the rest of tb; violations
// fail tb when it ends.
func Wrap(tb testing.TB, h http.Handler) http.Handler {
	tb.Helper()
	rec := NewRecorder(Load(tb))
	tb.Cleanup(func() {
		for _, e := range rec.Errors() {
			tb.Errorf("openapi: %s", e)
		}
	})
	return rec.Handler(h)
}

// WrapKioskListener is Wrap for the kiosks' mutual-TLS listener: the
// operations marked x-kiosk-listener are checked as everywhere (the
// certificate, the only credential there, may also be refused with 401 or
// 403), and every other request must be answered 404 with an API error.
func WrapKioskListener(tb testing.TB, h http.Handler) http.Handler {
	tb.Helper()
	rec := NewRecorder(Load(tb))
	rec.kioskListener = true
	tb.Cleanup(func() {
		for _, e := range rec.Errors() {
			tb.Errorf("openapi (kiosk listener): %s", e)
		}
	})
	return rec.Handler(h)
}

// onKioskListener reports whether the spec marks op as served on the
// kiosks' listener.
func onKioskListener(op *openapi3.Operation) bool {
	if op == nil {
		return false
	}
	v, _ := op.Extensions["x-kiosk-listener"].(bool)
	return v
}

// NewRecorder checks requests against spec.
func NewRecorder(spec *Spec) *Recorder { return &Recorder{spec: spec} }

// Errors returns the violations seen so far.
func (rec *Recorder) Errors() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.errs...)
}

// Checks is how many requests the recorder validated.
func (rec *Recorder) Checks() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.seen
}

func (rec *Recorder) fail(r *http.Request, format string, args ...any) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.errs = append(rec.errs, r.Method+" "+r.URL.RequestURI()+": "+fmt.Sprintf(format, args...))
}

// Handler validates every request to h and its answer.
func (rec *Recorder) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Checked(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		rec.mu.Lock()
		rec.seen++
		rec.mu.Unlock()
		// The request as the server will read it: the body is read once
		// here and given back.
		// 32 MiB: over the largest body the API takes (a dossier
		// document's PDF, 20 MB), so the handler sees a body too large whole.
		body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			rec.fail(r, "reading the request body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		clone := r.Clone(r.Context())
		clone.Body = io.NopCloser(bytes.NewReader(body))
		// The router matches on the URL's host; tests' hosts vary.
		clone.URL.Scheme, clone.URL.Host = "", ""
		route, params, err := rec.spec.router.FindRoute(clone)
		if rec.kioskListener && (err != nil || !onKioskListener(route.Operation)) {
			cw := &capture{ResponseWriter: w}
			h.ServeHTTP(cw, r)
			if cw.status != http.StatusNotFound || errorCode(cw.buf.Bytes()) != "not_found" {
				rec.fail(r, "not an operation of the kiosk listener, answered %d %.200s instead of 404 not_found", cw.status, cw.buf.String())
			}
			return
		}
		if err != nil {
			rec.fail(r, "the spec describes no such route (%v)", err)
			h.ServeHTTP(w, r)
			return
		}
		in := &openapi3filter.RequestValidationInput{
			Request: clone, PathParams: params, Route: route,
			Options: &openapi3filter.Options{
				AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
				RejectWhenRequestBodyNotSpecified: true,
				SkipSettingDefaults:               true,
				MultiError:                        true,
			},
		}
		reqErr := openapi3filter.ValidateRequest(r.Context(), in)
		clone.Body = io.NopCloser(bytes.NewReader(body))

		if isUpgrade(r) {
			// A WebSocket upgrade hands the connection over: only the
			// request is the spec's, and the refusal answers if any.
			cw := &capture{ResponseWriter: w}
			h.ServeHTTP(cw, r)
			if cw.hijacked {
				if reqErr != nil {
					rec.fail(r, "the spec refuses this request, the server upgraded it: %v", reqErr)
				}
				return
			}
			rec.check(r, in, reqErr, cw)
			return
		}
		cw := &capture{ResponseWriter: w}
		h.ServeHTTP(cw, r)
		rec.check(r, in, reqErr, cw)
	})
}

func (rec *Recorder) check(r *http.Request, in *openapi3filter.RequestValidationInput, reqErr error, cw *capture) {
	if r.Context().Err() != nil {
		// The client went away (a kiosk shutting down mid-poll): the
		// server's answer ("request cancelled") reaches no one.
		return
	}
	status := cw.status
	if status == 0 {
		status = http.StatusOK
	}
	if rec.kioskListener && (status == http.StatusUnauthorized || status == http.StatusForbidden) {
		if code := errorCode(cw.buf.Bytes()); code == "unauthorized" || code == "kiosk_revoked" || code == "kiosk_pending" {
			return // the listener's own credential check, described in the spec's info
		}
	}
	if reqErr != nil && (status < 400 || status >= 500) {
		rec.fail(r, "the spec refuses this request, the server answered %d: %v", status, reqErr)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	ct, _, _ := mime.ParseMediaType(cw.Header().Get("Content-Type"))
	if ct != "application/json" && !strings.HasSuffix(ct, "+json") {
		// PDF, ICS, CSV, metrics: the status and the content type are
		// checked against the spec; the bytes by the tests that read them.
		opts.ExcludeResponseBody = true
		if status != http.StatusNoContent && cw.buf.Len() > 0 && !declaresContent(in.Route.Operation, status, ct) {
			rec.fail(r, "answer %d of content type %q, which the spec does not list for it", status, ct)
		}
	}
	err := openapi3filter.ValidateResponse(r.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 cw.Header(),
		Body:                   io.NopCloser(bytes.NewReader(cw.buf.Bytes())),
		Options:                opts,
	})
	if err != nil {
		rec.fail(r, "answer %d does not match the spec: %v\nbody: %.400s", status, err, cw.buf.String())
	}
}

// declaresContent reports whether the operation lists ct for status (or
// its default answer).
func declaresContent(op *openapi3.Operation, status int, ct string) bool {
	if op == nil || op.Responses == nil {
		return false
	}
	resp := op.Responses.Status(status)
	if resp == nil {
		resp = op.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		return false
	}
	return resp.Value.Content.Get(ct) != nil
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// capture keeps a copy of the answer while it goes to the client.
type capture struct {
	http.ResponseWriter
	status   int
	buf      bytes.Buffer
	hijacked bool
}

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.buf.Len() < 8<<20 {
		c.buf.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (c *capture) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands a WebSocket upgrade's connection to the handler.
func (c *capture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := c.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("openapitest: the writer cannot be hijacked")
	}
	c.hijacked = true
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the real writer.
func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// errorCode is the code of an API error answer, "" for any other body.
func errorCode(body []byte) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(body, &e)
	return e.Error.Code
}
