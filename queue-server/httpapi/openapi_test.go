package httpapi_test

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"xephang/queue-server/httpapi"
)

var (
	pathRe   = regexp.MustCompile(`^  (/\S*):\s*$`)
	methodRe = regexp.MustCompile(`^    (get|put|post|delete|patch):\s*$`)
)

// describedRoutes reads "METHOD /path" pairs from the paths section of an
// OpenAPI file (by its indentation: paths at two spaces, methods at four).
func describedRoutes(t *testing.T, file string) map[string]bool {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	inPaths, path := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, " ") && line != "" {
			inPaths = line == "paths:"
			continue
		}
		if !inPaths {
			continue
		}
		if m := pathRe.FindStringSubmatch(line); m != nil {
			path = m[1]
		} else if m := methodRe.FindStringSubmatch(line); m != nil && path != "" {
			out[strings.ToUpper(m[1])+" "+path] = true
		}
	}
	return out
}

// TestOpenAPIDescribesEveryRoute keeps docs/openapi.yaml true: every route
// the server registers is described, and nothing described is missing.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := describedRoutes(t, "../../docs/openapi.yaml")
	raw, _ := os.ReadFile("../../docs/openapi.yaml")
	if !strings.HasPrefix(string(raw), "openapi: 3.1") {
		t.Fatal("docs/openapi.yaml is not OpenAPI 3.1")
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
