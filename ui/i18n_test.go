package ui_test

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"xephang/queue-server/queue"
	"xephang/ui"
)

// catalogueKey is one message line of a catalogue: '    'key': 'text','.
var catalogueKey = regexp.MustCompile(`(?m)^    '([^']+)': `)

// languageBlock returns the keys of the "  lang: {" block of a catalogue.
func languageBlock(t *testing.T, name, src, lang string) []string {
	t.Helper()
	start := strings.Index(src, "\n  "+lang+": {\n")
	if start < 0 {
		t.Fatalf("%s: no %s block", name, lang)
	}
	rest := src[start+1:]
	end := strings.Index(rest, "\n  },\n")
	if end < 0 {
		t.Fatalf("%s: the %s block does not end", name, lang)
	}
	var keys []string
	for _, m := range catalogueKey.FindAllStringSubmatch(rest[:end], -1) {
		keys = append(keys, m[1])
	}
	return keys
}

// TestCataloguesSpeakBothLanguages checks the shared words
// (assets/i18n.js) and every page's catalogue (*.i18n.js): each key is
// in Vietnamese and English, and is defined once across all of them, so
// a page never shows a key or the other language's text.
func TestCataloguesSpeakBothLanguages(t *testing.T) {
	files := []string{"assets/i18n.js"}
	err := fs.WalkDir(ui.Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".i18n.js") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found catalogues %v: want the shared one and one per page", files)
	}
	owner := map[string]string{} // key → the catalogue defining it
	total := 0
	for _, name := range files {
		src, err := fs.ReadFile(ui.Static(), name)
		if err != nil {
			t.Fatal(err)
		}
		vi := languageBlock(t, name, string(src), "vi")
		en := languageBlock(t, name, string(src), "en")
		inEN := map[string]bool{}
		for _, k := range en {
			if inEN[k] {
				t.Errorf("%s: %q twice in English", name, k)
			}
			inEN[k] = true
		}
		for _, k := range vi {
			if prev, ok := owner[k]; ok {
				t.Errorf("%s: %q is already defined in %s", name, k, prev)
			}
			owner[k] = name
			if !inEN[k] {
				t.Errorf("%s: %q has no English text", name, k)
			}
			delete(inEN, k)
		}
		for k := range inEN {
			t.Errorf("%s: %q has no Vietnamese text", name, k)
		}
		total += len(vi)
	}
	if total < 600 {
		t.Errorf("%d keys in all catalogues: the parser missed some", total)
	}
}

// TestAdminOffersEveryEventType checks that the admin's webhook form offers
// every event type the server knows (queue.EventTypes), in its order, each
// with a label in both languages: a new event is not left out of the
// choice by forgetting the page.
func TestAdminOffersEveryEventType(t *testing.T) {
	src, err := fs.ReadFile(ui.Static(), "admin/admin.js")
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`(?s)const eventTypes = \[(.*?)\];`).FindSubmatch(src)
	if list == nil {
		t.Fatal("admin.js: no eventTypes list")
	}
	var offered []string
	for _, m := range regexp.MustCompile(`'([a-z_.]+)'`).FindAllSubmatch(list[1], -1) {
		offered = append(offered, string(m[1]))
	}
	if !slices.Equal(offered, queue.EventTypes) {
		t.Fatalf("admin.js offers %v\nthe server knows %v", offered, queue.EventTypes)
	}
	cat, err := fs.ReadFile(ui.Static(), "admin/admin.i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"vi", "en"} {
		keys := languageBlock(t, "admin.i18n.js", string(cat), lang)
		for _, e := range queue.EventTypes {
			if !slices.Contains(keys, "admin.event."+e) {
				t.Errorf("%s: no label admin.event.%s", lang, e)
			}
		}
	}
}
