// Package ui holds Xếp Hàng's web front ends as static files embedded in
// the binaries: plain HTML, CSS and JavaScript modules, no build step.
// queue-server serves the booking page at /, ticket tracking at
// /track/{id}, the counter console at /counter/, the hall display at
// /display/ and admin at /admin/; kioskd serves the touchscreen (kiosk/).
// The tracking pages' service worker is /track/sw.js: its default scope,
// /track/, covers every /track/{id}. assets/forms.js draws the procedures'
// forms (queue-server/forms) for the kiosk, the booking page and the
// counter console.
package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed all:static
var files embed.FS

// Static returns the embedded files rooted at static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

// pages maps URL prefixes of queue-server to their HTML page; each page
// lives in its own folder with its script, style and texts. The public
// URLs stay / (booking/) and /track/{id} (track/).
var pages = []struct{ prefix, file string }{
	{"/track/", "track/index.html"},
	{"/counter/", "counter/index.html"},
	{"/display/", "display/index.html"},
	{"/admin/", "admin/index.html"},
}

// AudioManifest lists the hall display's spoken-call clips, which
// ui/audio/generate.sh makes with espeak-ng before the build; they are
// embedded when present.
const AudioManifest = "display/audio/manifest.json"

// noAudio is the manifest served when the clips were not generated.
const noAudio = `{"version":1,"clips":{}}`

// HasSpeech reports whether the spoken-call clips were embedded.
func HasSpeech() bool {
	_, err := fs.Stat(Static(), AudioManifest)
	return err == nil
}

// Handler serves queue-server's pages and their assets, with ETags.
func Handler() http.Handler { return newServer(Static(), "booking/index.html", pages) }

// KioskHandler serves kioskd's touchscreen.
func KioskHandler() http.Handler { return newServer(Static(), "kiosk/index.html", nil) }

type server struct {
	fsys  fs.FS
	home  string
	pages []struct{ prefix, file string }
	mu    sync.Mutex
	etags map[string]string
}

func newServer(fsys fs.FS, home string, pages []struct{ prefix, file string }) *server {
	return &server{fsys: fsys, home: home, pages: pages, etags: map[string]string{}}
}

func (s *server) etag(name string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.etags[name]; ok {
		return e
	}
	h := sha256.Sum256(data)
	e := `"` + hex.EncodeToString(h[:8]) + `"`
	s.etags[name] = e
	return e
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := s.resolve(r.URL.Path)
	data, err := fs.ReadFile(s.fsys, name)
	if err != nil && name == AudioManifest {
		// Clips not generated (ui/audio/generate.sh): the display chimes only.
		data, err = []byte(noAudio), nil
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	tag := s.etag(name, data)
	w.Header().Set("ETag", tag)
	// Pages revalidate every time (cheap with the ETag); assets for an hour.
	// A service worker too: a new one reaches browsers at their next visit.
	if strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".json") || path.Base(name) == "sw.js" {
		w.Header().Set("Cache-Control", "no-cache")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	w.Write(data)
}

// resolve maps a URL path to an embedded file: assets by their path, pages
// by their prefix, anything else to the home page's folder.
func (s *server) resolve(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return s.home
	}
	for _, pg := range s.pages {
		if p+"/" == pg.prefix || strings.HasPrefix(p, pg.prefix) && !strings.Contains(path.Base(p), ".") {
			return pg.file
		}
	}
	return strings.TrimPrefix(p, "/")
}
