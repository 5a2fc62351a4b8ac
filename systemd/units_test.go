package systemd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxExposure is the highest "Overall exposure level" systemd-analyze
// security may give each unit (0 best, 10 worst). Scores are in the README.
var maxExposure = map[string]float64{
	"queue-server.service":          1.5,
	"kioskd.service":                1.6,
	"kiosk-browser.service":         2.8,
	"kiosk-browser-restart.service": 1.0,
}

// binaries maps installed paths named in ExecStart to packages to build.
var binaries = map[string]string{
	"/usr/local/bin/queue-server": "xephang/queue-server",
	"/usr/local/bin/kioskd":       "xephang/kiosk",
}

// programs are other executables named in ExecStart that a development
// machine may lack (the kiosk's screen): verify then sees /bin/true there.
var programs = []string{"/usr/bin/cage"}

var exposureRe = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

func TestUnits(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze not found: run provisioning/dev-deps.sh test (package systemd)")
	}
	units, _ := filepath.Glob("*.service")
	paths, _ := filepath.Glob("*.path")
	units = append(units, paths...)
	if len(units) == 0 {
		t.Fatal("no unit files")
	}
	tmp := t.TempDir()
	built := map[string]string{}
	for path, pkg := range binaries {
		bin := filepath.Join(tmp, filepath.Base(path))
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
		built[path] = bin
	}
	for _, p := range programs {
		if _, err := os.Stat(p); err != nil {
			built[p] = "/bin/true"
		}
	}
	for _, u := range units {
		t.Run(u, func(t *testing.T) {
			raw, err := os.ReadFile(u)
			if err != nil {
				t.Fatal(err)
			}
			text := string(raw)
			for path, bin := range built {
				text = strings.ReplaceAll(text, path, bin)
			}
			// Every directive is explained by a comment line above it.
			lines := strings.Split(string(raw), "\n")
			for i, l := range lines {
				if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "[") {
					continue
				}
				if i == 0 || !(strings.HasPrefix(lines[i-1], "#") || strings.Contains(lines[i-1], "=") && !strings.HasPrefix(lines[i-1], "[")) {
					t.Errorf("line %d %q has no comment above it (or above its group)", i+1, l)
				}
			}
			unit := filepath.Join(t.TempDir(), u)
			if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			// verify exits 0 on some real mistakes: any output fails the test.
			var stderr bytes.Buffer
			cmd := exec.Command("systemd-analyze", "verify", unit)
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil || stderr.Len() > 0 || len(out) > 0 {
				t.Fatalf("systemd-analyze verify %s: %v\n%s%s", u, err, out, stderr.String())
			}
			if !strings.HasSuffix(u, ".service") {
				return // security analyses services only
			}
			sec, err := exec.Command("systemd-analyze", "security", "--offline=yes", unit).CombinedOutput()
			m := exposureRe.FindSubmatch(sec)
			if m == nil {
				t.Fatalf("systemd-analyze security: %v\n%s", err, sec)
			}
			score, _ := strconv.ParseFloat(string(m[1]), 64)
			limit, ok := maxExposure[u]
			if !ok {
				t.Fatalf("no exposure threshold for %s", u)
			}
			if score > limit {
				t.Fatalf("%s exposure %.1f over its threshold %.1f", u, score, limit)
			}
			t.Logf("%s: exposure %.1f (threshold %.1f)", u, score, limit)
		})
	}
}
