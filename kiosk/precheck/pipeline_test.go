package precheck_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	for _, d := range res["documents"].([]any) {
		if _, ok := d.(map[string]any)["missing_fields"].([]any); !ok {
			t.Errorf("document without a missing_fields list: %v", d)
		}
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

// Forms worded and laid out otherwise than the catalogue (other label
// wordings, no colons, bold labels, two-line labels in a column, values
// below, sections reordered, extra print), clean at 300 dpi: every document
// is present, none "unreadable", and the fields are read; one field per
// dossier may be lost to OCR (a short word between dotted leaders, "……
// Cha ……", comes out as "cá... CA"), and must then be the only one.
func TestLayoutVariantsRead(t *testing.T) {
	for i, v := range testset.Variants()[len(testset.Variants())-2:] {
		t.Run(v.Name, func(t *testing.T) {
			paths, pages, _ := writeDossier(t, t.TempDir(), "khai-sinh", uint64(20+i), testset.Options{DPI: 300, Layout: v.Layout})
			res, err := sharedChecker(t).Check(context.Background(), "khai-sinh", load(t, paths), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var wrong []string
			for _, pg := range pages {
				for k, want := range pg.Fields {
					k = strings.TrimSuffix(k, "_words")
					if res.Fields[k] != want {
						wrong = append(wrong, fmt.Sprintf("%s: %s = %q, want %q", pg.Kind, k, res.Fields[k], want))
					}
				}
			}
			if len(wrong) > 1 {
				t.Errorf("%d fields wrong:\n%s", len(wrong), strings.Join(wrong, "\n"))
			}
			for _, d := range res.Documents {
				if d.Required && d.Status != precheck.Present {
					t.Errorf("%s: %s %q", d.Name, d.Status, d.Reasons)
				}
			}
		})
	}
}
