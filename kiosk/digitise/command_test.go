package digitise_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xephang/kiosk/digitise"
)

// TestCommand runs `kioskd digitise` in-process on the generated pages.
func TestCommand(t *testing.T) {
	set := testSet(t)
	dir := t.TempDir()
	var paths []string
	for _, p := range set[:2] {
		path := filepath.Join(dir, p.File)
		if err := os.WriteFile(path, p.data, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	out := filepath.Join(dir, "dossier.pdf")
	var stdout, stderr bytes.Buffer
	if code := digitise.Command(append([]string{"-out", out}, paths...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "2 pages") {
		t.Errorf("stdout %q", stdout.String())
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, w := range strings.Fields(pdfText(t, pdf)) {
		in[w] = true
	}
	for i, p := range set[:2] {
		n := 0
		for _, w := range p.Words {
			if in[w.Text] {
				n++
			}
		}
		if n < len(p.Words)*98/100 {
			t.Errorf("page %d: %d of %d words in the PDF's text", i+1, n, len(p.Words))
		}
	}
	for _, args := range [][]string{{}, {"-out", out}, {paths[0]}, {"-workers", "0", "-out", out, paths[0]}} {
		stderr.Reset()
		if code := digitise.Command(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code := digitise.Command([]string{"-out", out, filepath.Join(dir, "none.png")}, &stdout, &stderr); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}
