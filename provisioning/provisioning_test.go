package provisioning_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestShellcheck runs shellcheck on every shell script of the repository and
// fails on any finding, style notes included.
func TestShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Fatal("shellcheck not found: run provisioning/dev-deps.sh test")
	}
	var scripts []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".sh") {
			scripts = append(scripts, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no shell scripts found")
	}
	for _, s := range scripts {
		t.Run(strings.TrimPrefix(s, "../"), func(t *testing.T) {
			out, err := exec.Command("shellcheck", "--external-sources", "--format=gcc", s).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("shellcheck %s: %v\n%s", s, err, out)
			}
		})
	}
}

// udevKey is one `KEY{attr}OP"value"` term of a udev rule.
var udevKey = regexp.MustCompile(`^[A-Z_]+(\{[A-Za-z_]+\})?(==|!=|\+=|-=|:=|=)"[^"]*"$`)

// TestUdevRules checks the syntax of the udev rules (udevadm verify is not in
// Debian 12's systemd) and that both stable names are given.
func TestUdevRules(t *testing.T) {
	raw, err := os.ReadFile("udev/99-xephang.rules")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for n, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		match := false
		for _, term := range strings.Split(line, ", ") {
			if !udevKey.MatchString(term) {
				t.Errorf("line %d: bad term %q", n+1, term)
			}
			if strings.Contains(term, "==") {
				match = true
			}
			if v, ok := strings.CutPrefix(term, `SYMLINK+="`); ok {
				names[strings.TrimSuffix(v, `"`)] = true
			}
		}
		if !match {
			t.Errorf("line %d: a rule without a match applies to every device", n+1)
		}
	}
	for _, want := range []string{"xephang-printer", "xephang-idreader"} {
		if !names[want] {
			t.Errorf("no rule makes /dev/%s", want)
		}
	}
}
