package ui_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xephang/ui"
)

// TestPublicURLs pins the URLs citizens and staff use (the booking page at
// /, tracking at /track/{id}, the staff pages by folder) to the page each
// serves, wherever the page's files live in static/.
func TestPublicURLs(t *testing.T) {
	tests := []struct {
		handler http.Handler
		path    string
		status  int
		has     string // a piece of the answer naming the page
	}{
		{ui.Handler(), "/", 200, `src="/booking/booking.js"`},
		{ui.Handler(), "/?lookup=1", 200, `src="/booking/booking.js"`},
		{ui.Handler(), "/track/HCM-Q1-20261124-A001", 200, `src="/track/track.js"`},
		{ui.Handler(), "/track/", 200, `src="/track/track.js"`},
		{ui.Handler(), "/track", 200, `src="/track/track.js"`},
		{ui.Handler(), "/track/track.js", 200, "Ticket tracking"},
		{ui.Handler(), "/track/sw.js", 200, "notificationclick"},
		{ui.Handler(), "/booking/booking.js", 200, "pow-worker.js"},
		{ui.Handler(), "/counter/", 200, `src="/counter/counter.js"`},
		{ui.Handler(), "/counter/rate.html", 200, `src="/counter/rate.js"`},
		{ui.Handler(), "/display/", 200, `src="/display/display.js"`},
		{ui.Handler(), "/admin/", 200, `src="/admin/admin.js"`},
		{ui.Handler(), "/admin/reports.html", 200, `src="/admin/reports.js"`},
		{ui.Handler(), "/admin/forecast.html", 200, `src="/admin/forecast.js"`},
		{ui.Handler(), "/assets/i18n.js", 200, "export function t("},
		{ui.Handler(), "/nothing.js", 404, ""},
		{ui.KioskHandler(), "/", 200, `src="/kiosk/kiosk.js"`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			tc.handler.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("GET %s: status %d, want %d", tc.path, w.Code, tc.status)
			}
			if !strings.Contains(w.Body.String(), tc.has) {
				t.Errorf("GET %s: the answer does not contain %q", tc.path, tc.has)
			}
			if strings.HasSuffix(tc.path, "sw.js") {
				// A service worker must reach browsers at their next visit, and as script.
				if cc := w.Header().Get("Cache-Control"); cc != "no-cache" {
					t.Errorf("GET %s: Cache-Control %q, want no-cache", tc.path, cc)
				}
				if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
					t.Errorf("GET %s: Content-Type %q", tc.path, ct)
				}
			}
		})
	}
}
