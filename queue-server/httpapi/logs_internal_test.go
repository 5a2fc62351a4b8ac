package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A client going away is not the server's error: logged at debug and
// counted; our own time limit is a warning; anything else stays an error.
func TestLogLevelOfFailedRequests(t *testing.T) {
	cases := []struct {
		name      string
		cancelled bool
		err       error
		level     string
		status    int
		gone      float64
	}{
		{"client closed the connection", true, context.Canceled, "DEBUG", 503, 1},
		{"client gone, wrapped", true, fmt.Errorf("engine: %w", context.Canceled), "DEBUG", 503, 1},
		{"server's own time limit", false, context.DeadlineExceeded, "WARN", 503, 0},
		{"a real failure", false, errors.New("disk on fire"), "ERROR", 500, 0},
		{"cancelled request, unrelated failure", true, errors.New("disk on fire"), "ERROR", 500, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := New(Config{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Metrics: NewMetrics()})
			ctx, cancel := context.WithCancel(context.Background())
			if c.cancelled {
				cancel()
			} else {
				defer cancel()
			}
			r := httptest.NewRequest("POST", "/api/v1/centres/x/tickets", nil).WithContext(ctx)
			w := httptest.NewRecorder()
			s.writeError(w, r, c.err)
			if w.Code != c.status {
				t.Errorf("status %d, want %d", w.Code, c.status)
			}
			if !strings.Contains(logs.String(), "level="+c.level) {
				t.Errorf("log %q, want level %s", logs.String(), c.level)
			}
			for _, other := range []string{"DEBUG", "WARN", "ERROR"} {
				if other != c.level && strings.Contains(logs.String(), "level="+other) {
					t.Errorf("log %q also at %s", logs.String(), other)
				}
			}
			if got := testutil.ToFloat64(s.metrics.clientGone); got != c.gone {
				t.Errorf("client-gone count %v, want %v", got, c.gone)
			}
		})
	}
}
