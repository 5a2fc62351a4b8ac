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

	"xephang/drivers/idcard"
	"xephang/queue-server/queue"
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
var pending = map[string]string{}

func TestImportDirections(t *testing.T) {
	isStd := func(imp string) bool {
		return !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && !strings.HasPrefix(imp, module)
	}
	ours := func(prefixes ...string) func(string) bool {
		return func(imp string) bool { return strings.HasPrefix(imp, module) && under(rel(imp), prefixes...) }
	}
	rules := []rule{
		{"the domain is pure: standard library (no I/O), x/text and its own leaf packages only",
			func(p string) bool { return under(p, "queue-server/queue") && p != "queue-server/queue/storetest" },
			func(imp string) bool {
				if strings.HasPrefix(imp, "golang.org/x/text/") || strings.HasPrefix(imp, module+"queue-server/queue/") {
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
		{"the PC/SC driver, its virtual card and its test daemon import nothing of ours outside drivers/pcsc",
			func(p string) bool { return under(p, "drivers/pcsc") },
			func(imp string) bool { return strings.HasPrefix(imp, module) && !under(rel(imp), "drivers/pcsc") }},
		{"the chip read (drivers/idcard/chip) takes any Transmitter: of ours the card, the eMRTD reader, its LDS and JPEG 2000 alone",
			func(p string) bool { return p == "drivers/idcard/chip" },
			func(imp string) bool {
				return strings.HasPrefix(imp, module) && !slices.Contains([]string{"drivers/idcard", "drivers/emrtd", "drivers/emrtd/lds", "drivers/jp2"}, rel(imp))
			}},
		{"the eMRTD reader takes any Transmitter: of ours it imports the LDS parsers alone (never pcsc, never a simulator)",
			func(p string) bool { return p == "drivers/emrtd" },
			func(imp string) bool { return strings.HasPrefix(imp, module) && rel(imp) != "drivers/emrtd/lds" }},
		{"the JPEG 2000 decoder imports nothing of ours",
			func(p string) bool { return under(p, "drivers/jp2") },
			ours("")},
		{"simulators are not imported by production packages other than kiosk/devices",
			func(p string) bool { return !under(p, "kiosk/devices") && !strings.HasSuffix(p, "sim") },
			func(imp string) bool {
				return strings.HasPrefix(imp, module+"drivers/") && strings.HasSuffix(imp, "sim")
			}},
		{"stores, the engine, reports and booking documents depend on the domain alone",
			func(p string) bool {
				return under(p, "queue-server/bolt", "queue-server/pgstore", "queue-server/storecopy", "queue-server/engine", "queue-server/report", "queue-server/waitsim", "queue-server/bookingdoc")
			},
			ours("queue-server/httpapi", "kiosk", "drivers", "ui", "queue-server/bolt", "queue-server/pgstore", "queue-server/pglimits", "queue-server/engine", "queue-server/ca")},
		{"the kiosk's packages reach the server through the contract (apiv1) only",
			func(p string) bool { return under(p, "kiosk") },
			ours("queue-server/engine", "queue-server/bolt", "queue-server/pgstore", "queue-server/pglimits", "queue-server/storecopy", "queue-server/report", "queue-server/httpapi", "queue-server/ca", "queue-server/loadtest", "queue-server/waitsim")},
		{"the contract imports only the domain",
			func(p string) bool { return p == "queue-server/apiv1" },
			func(imp string) bool { return strings.HasPrefix(imp, module) && !under(rel(imp), "queue-server/queue") }},
		{"the printed plan reads the API's answer: of ours, the contract and the domain only",
			func(p string) bool { return p == "queue-server/planpdf" },
			func(imp string) bool {
				return strings.HasPrefix(imp, module) && !under(rel(imp), "queue-server/queue", "queue-server/apiv1")
			}},
		{"the forms (shared by the server and the kiosk) import nothing of ours but the domain",
			func(p string) bool { return p == "queue-server/forms" },
			func(imp string) bool { return strings.HasPrefix(imp, module) && !under(rel(imp), "queue-server/queue") }},
		{"the procedure catalogue (shared by the server and the kiosk) imports nothing of ours",
			func(p string) bool { return p == "queue-server/procedures" },
			func(imp string) bool { return strings.HasPrefix(imp, module) }},
		{"the procedure catalogue imports the standard library and x/text alone",
			func(p string) bool { return p == "queue-server/procedures" },
			func(imp string) bool { return !isStd(imp) && !strings.HasPrefix(imp, "golang.org/x/text/") }},
		{"the simulated chip (drivers/emrtd/chipsim) builds its files with lds and imports nothing else of ours",
			func(p string) bool { return p == "drivers/emrtd/chipsim" },
			func(imp string) bool { return strings.HasPrefix(imp, module) && rel(imp) != "drivers/emrtd/lds" }},
		{"the chip's data structures and passive authentication (drivers/emrtd/lds) import nothing of ours",
			func(p string) bool { return under(p, "drivers/emrtd/lds") },
			func(imp string) bool { return strings.HasPrefix(imp, module) }},
		{"the server's packages speak to no device: nothing of drivers/",
			func(p string) bool { return under(p, "queue-server") },
			ours("drivers")},
		{"the rules of accounts and credentials know nothing of HTTP: the domain, the engine and the CA only",
			func(p string) bool { return under(p, "queue-server/accounts") },
			func(imp string) bool {
				return strings.HasPrefix(imp, module) && !under(rel(imp), "queue-server/queue", "queue-server/engine", "queue-server/ca")
			}},
		{"digitising makes files of what the pre-check read: of ours, kiosk/precheck alone",
			func(p string) bool { return under(p, "kiosk/digitise") },
			func(imp string) bool { return strings.HasPrefix(imp, module) && !under(rel(imp), "kiosk/precheck") }},
		{"the forecast imports the standard library, the domain and waitsim only",
			func(p string) bool { return p == "queue-server/forecast" },
			func(imp string) bool {
				return !isStd(imp) && imp != module+"queue-server/queue" && imp != module+"queue-server/waitsim"
			}},
		{"the pages are static files",
			func(p string) bool { return p == "ui" },
			ours("")},
		{"tools, load generators and the test servers are imported by nobody (tests aside)",
			func(p string) bool { return true },
			ours("queue-server/loadtest", "kiosk/precheck/gen", "queue-server/testsrv", "queue-server/forms/formstest", "drivers/ipp/ipptest", "drivers/pcsc/pcsctest")},
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
// dependency set of the binary, not only direct imports): it talks to the
// server through the contract package, apiv1, alone.
func TestKioskdDoesNotLinkTheServer(t *testing.T) {
	forbidden := []string{
		module + "queue-server/engine", module + "queue-server/bolt", module + "queue-server/report",
		module + "queue-server/httpapi", module + "queue-server/ca", module + "queue-server/loadtest",
		module + "queue-server/waitsim", module + "queue-server/pgstore", module + "queue-server/pglimits", module + "queue-server/storecopy",
		"golang.org/x/crypto/bcrypt", "github.com/prometheus/", "github.com/jackc/",
	}
	p := goList(t, "./kiosk")
	if len(p) != 1 {
		t.Fatalf("go list ./kiosk: %d packages", len(p))
	}
	for _, d := range p[0].Deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") {
				t.Errorf("kioskd links %s", d)
			}
		}
	}
}

// The contract package is light: the standard library, the WebSocket
// library and the domain's types, nothing of the server.
func TestContractIsLight(t *testing.T) {
	for _, p := range goList(t, "./queue-server/apiv1") {
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module) && !under(rel(d), "queue-server/queue") {
				t.Errorf("apiv1 depends on %s", d)
			}
			if !strings.HasPrefix(d, module) && strings.Contains(strings.SplitN(d, "/", 2)[0], ".") &&
				!strings.HasPrefix(d, "github.com/gorilla/websocket") && !strings.HasPrefix(d, "golang.org/x/text/") {
				t.Errorf("apiv1 depends on %s", d)
			}
		}
	}
}

// The forms are a light contract too, linked by the server and kioskd: the
// domain, the PDF library and its fonts, nothing else of anyone's.
func TestFormsAreLight(t *testing.T) {
	allowed := []string{"golang.org/x/text/", "github.com/jung-kurt/gofpdf", "github.com/go-fonts/dejavu/"}
	for _, p := range goList(t, "./queue-server/forms") {
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module) && !under(rel(d), "queue-server/queue") {
				t.Errorf("forms depends on %s", d)
			}
			if !strings.HasPrefix(d, module) && strings.Contains(strings.SplitN(d, "/", 2)[0], ".") &&
				!slices.ContainsFunc(allowed, func(a string) bool { return strings.HasPrefix(d, a) }) {
				t.Errorf("forms depends on %s", d)
			}
		}
	}
}

// The province codes of a CCCD number are the domain's (queue.CCCDProvince,
// what the server checks); the card reader, which may not import the
// server, keeps its own copy for the cards it reads. The two are the same
// table: a code added or renamed in one place fails here until it is in
// the other.
func TestProvinceTablesAgree(t *testing.T) {
	for i := 0; i < 1000; i++ {
		code := fmt.Sprintf("%03d", i)
		dn, dok := queue.CCCDProvince(code)
		cn, cok := idcard.ProvinceName(code)
		if dn != cn || dok != cok {
			t.Errorf("province %s: domain %q %v, card reader %q %v", code, dn, dok, cn, cok)
		}
	}
}
