package precheck_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xephang/kiosk/catalogue"
	"xephang/kiosk/precheck"
	"xephang/kiosk/precheck/internal/testset"
)

// writeDossier renders a complete dossier of procedure id and writes its
// pages as PNG files, returning the paths and the truth of each page.
func writeDossier(t testing.TB, dir, id string, seed uint64, opt testset.Options) ([]string, []*testset.Page, *testset.Dossier) {
	t.Helper()
	cat := catalogue.Default()
	p, err := cat.Procedure(id)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	d := testset.NewDossier(rng)
	var paths []string
	var pages []*testset.Page
	for i, kid := range testset.PagesFor(p) {
		pg, err := testset.Render(cat.Kind(kid), d, rng, opt)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := precheck.EncodePNG(&buf, pg.Image, opt.DPI); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.Base(id)+"-"+kid+".png")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		_ = i
		paths = append(paths, path)
		pages = append(pages, pg)
	}
	return paths, pages, d
}

func TestCommandKhaiSinh(t *testing.T) {
	paths, pages, _ := writeDossier(t, t.TempDir(), "khai-sinh", 1, testset.Options{DPI: 300})
	var out, errb bytes.Buffer
	code := precheck.Command(append([]string{"-procedure", "khai-sinh"}, paths...), nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	fields := res["fields"].(map[string]any)
	for _, pg := range pages {
		for k, v := range pg.Fields {
			k = strings.TrimSuffix(k, "_words")
			if fields[k] != v {
				t.Errorf("%s: %s = %v, want %q", pg.Kind, k, fields[k], v)
			}
		}
	}
}
