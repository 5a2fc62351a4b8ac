package httpapi_test

import (
	"strings"
	"testing"

	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/openapitest"
)

// TestOpenAPIDescribesEveryRoute keeps docs/openapi.yaml true: it parses
// and validates as OpenAPI 3.1 with a real library, every route the server
// registers is described, and nothing described is missing. (Every request
// and answer of the HTTP tests is checked against it by openapitest.)
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	spec := openapitest.Load(t)
	if !strings.HasPrefix(spec.Doc.OpenAPI, "3.1") {
		t.Fatalf("docs/openapi.yaml is OpenAPI %s, not 3.1", spec.Doc.OpenAPI)
	}
	doc := map[string]bool{}
	for path, item := range spec.Doc.Paths.Map() {
		for method := range item.Operations() {
			doc[method+" "+path] = true
		}
	}
	s := httpapi.New(httpapi.Config{Metrics: httpapi.NewMetrics()})
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		registered[r] = true
		if !doc[r] {
			t.Errorf("route %q is not described in docs/openapi.yaml", r)
		}
	}
	for r := range doc {
		if !registered[r] {
			t.Errorf("docs/openapi.yaml describes %q, which the server does not register", r)
		}
	}
	if len(registered) < 20 {
		t.Fatalf("only %d routes registered", len(registered))
	}
}

// The spec marks exactly the operations the kiosks' listener serves.
func TestOpenAPIMarksTheKioskListener(t *testing.T) {
	spec := openapitest.Load(t)
	for _, a := range httpapi.AccessTable() {
		method, path, _ := strings.Cut(a.Route, " ")
		item := spec.Doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is not described", a.Route)
			continue
		}
		marked, _ := item.GetOperation(method).Extensions["x-kiosk-listener"].(bool)
		if marked != a.KioskTLS {
			t.Errorf("%s: x-kiosk-listener %v in docs/openapi.yaml, served on the kiosk listener: %v", a.Route, marked, a.KioskTLS)
		}
	}
}
