// The import directions of docs/architecture.md, checked on the real
// package graph (`go list`), so that a change which crosses them fails here
// instead of in a review.
package xephang_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "xephang/"

// pkg is what `go list -json` says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func goList(t *testing.T, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(path, module) }

func under(path string, dirs ...string) bool {
	for _, d := range dirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// rule is one direction the packages keep: a package matched by from may
// not import a package matched by forbidden.
type rule struct {
	name      string
	from      func(p string) bool
	forbidden func(imp string) bool
}

// pending are the crossings known today, each with the change that removes
// it. The test fails on any crossing not listed here, and on a listed one
// that no longer exists (so the list only shrinks).
var pending = map[string]string{
	"kiosk/localapi → drivers/idcard/idcardsim": "issue 16: simulators chosen by one -simulate spec, out of production import paths",
	"kiosk → drivers/escpos/escpossim":          "issue 16: simulators chosen by one -simulate spec, out of production import paths",
	"kiosk → drivers/scanner/scannersim":        "issue 16: simulators chosen by one -simulate spec, out of production import paths",
}

func TestImportDirections(t *testing.T) {
	isStd := func(imp string) bool {
		return !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && !strings.HasPrefix(imp, module)
	}
	ours := func(prefixes ...string) func(string) bool {
		return func(imp string) bool { return strings.HasPrefix(imp, module) && under(rel(imp), prefixes...) }
	}
	rules := []rule{
		{"the domain is pure: standard library (no I/O) and x/text only",
			func(p string) bool { return p == "queue-server/queue" },
			func(imp string) bool {
				if strings.HasPrefix(imp, "golang.org/x/text/") {
					return false
				}
				if !isStd(imp) {
					return true
				}
				return slices.Contains([]string{"os", "os/exec", "net", "net/http", "io/fs", "syscall", "database/sql", "log", "log/slog"}, imp)
			}},
		{"drivers speak protocols and know nothing of the server, the kiosk or the pages",
			func(p string) bool { return under(p, "drivers") },
			ours("queue-server", "kiosk", "ui")},
		{"simulators are not imported by production packages other than kiosk/devices",
			func(p string) bool { return !under(p, "kiosk/devices") && !strings.HasSuffix(p, "sim") },
			func(imp string) bool {
				return strings.HasPrefix(imp, module+"drivers/") && strings.HasSuffix(imp, "sim")
			}},
		{"stores and the engine depend on the domain alone",
			func(p string) bool {
				return under(p, "queue-server/bolt", "queue-server/engine", "queue-server/report", "queue-server/waitsim")
			},
			ours("queue-server/httpapi", "kiosk", "drivers", "ui", "queue-server/bolt", "queue-server/engine", "queue-server/ca")},
		{"the kiosk's packages do not import the server's engine, stores, reports or CA",
			func(p string) bool { return under(p, "kiosk") },
			ours("queue-server/engine", "queue-server/bolt", "queue-server/report", "queue-server/loadtest", "queue-server/waitsim")},
		{"the pages are static files",
			func(p string) bool { return p == "ui" },
			ours("")},
		{"tools and load generators are imported by nobody",
			func(p string) bool { return true },
			ours("queue-server/loadtest", "kiosk/precheck/gen")},
	}
	seen := map[string]bool{}
	for _, p := range goList(t, "./...") {
		from := rel(p.ImportPath)
		for _, imp := range p.Imports {
			for _, r := range rules {
				if !r.from(from) || !r.forbidden(imp) {
					continue
				}
				crossing := fmt.Sprintf("%s → %s", from, rel(imp))
				if _, ok := pending[crossing]; ok {
					seen[crossing] = true
					continue
				}
				t.Errorf("%s: %s", r.name, crossing)
			}
		}
	}
	for c, why := range pending {
		if !seen[c] {
			t.Errorf("%q is listed as pending (%s) but no longer happens: remove it from the list", c, why)
		}
	}
}

// kioskd links none of the server's internals (measured by the whole
// dependency set of the binary, not only direct imports).
func TestKioskdDoesNotLinkTheServer(t *testing.T) {
	forbidden := []string{"queue-server/engine", "queue-server/bolt", "queue-server/report", "queue-server/loadtest", "queue-server/waitsim"}
	// Through queue-server/httpapi, which holds the Go client beside the
	// handlers today.
	pendingLinks := map[string]string{
		"queue-server/engine": "issue 16: the API contract in its own light package",
		"queue-server/report": "issue 16: the API contract in its own light package",
	}
	p := goList(t, "./kiosk")
	if len(p) != 1 {
		t.Fatalf("go list ./kiosk: %d packages", len(p))
	}
	linked := map[string]bool{}
	for _, d := range p[0].Deps {
		for _, f := range forbidden {
			if strings.HasPrefix(d, module) && under(rel(d), f) {
				linked[f] = true
				if _, ok := pendingLinks[f]; !ok {
					t.Errorf("kioskd links %s", d)
				}
			}
		}
	}
	for f, why := range pendingLinks {
		if !linked[f] {
			t.Errorf("kioskd no longer links %s (listed as pending: %s): remove it from the list", f, why)
		}
	}
}
