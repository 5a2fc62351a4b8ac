package localapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xephang/kiosk/flow"
	"xephang/queue-server/apiv1"
)

// Each refusal gets the HTTP status the flows used to carry themselves
// (outside_hours is 409, as TestTakeNumberOutsideWindow checked in flow).
func TestStatusOfEachRefusal(t *testing.T) {
	want := map[string]int{
		"not_ready": 503, "no_numbers": 503, "check_in_offline": 503, "kiosk_pending": 503, "out_of_service": 503,
		"printer": 503, "print_failed": 503, "checklist_print_failed": 503, "scanner": 503, "precheck_unavailable": 503,
		"busy": 409, "outside_hours": 409, "no_precheck": 409, "choose_service": 409, "flow": 409,
		"priority_needs_card": 403, "forbidden_host": 403, "forbidden_origin": 403,
		"unknown_service": 404, "unknown_procedure": 404, "not_found": 404,
		"invalid_priority": 400, "invalid_code": 400, "invalid_json": 400, "invalid": 400, "something_new": 400,
		"no_pages": 422, "unsupported_media_type": 415,
		"internal": 500, "precheck": 500, "server": 502,
		"forms_unavailable": 503, "a4_print_failed": 503, "no_a4_printer": 409, "unknown_form": 404, "invalid_form": 422, "form_render": 500,
	}
	for code, st := range want {
		if got := status(&flow.Error{Code: code}); got != st {
			t.Errorf("%s: %d, want %d", code, got, st)
		}
	}
	for code := range statuses {
		if _, ok := want[code]; !ok {
			t.Errorf("%s: in the table, not in this test", code)
		}
	}
	// A refusal of the server passed on by a flow: the server's status
	// when the client's fault, else a bad gateway; wrapped or not.
	for ae, st := range map[*apiv1.APIError]int{
		{Status: 409, Code: "too_early"}: 409, {Status: 404, Code: "not_found"}: 404, {Status: 422, Code: "busy"}: 422,
		{Status: 500, Code: "internal"}: 502, {Status: 302, Code: "moved"}: 502,
	} {
		err := &flow.Error{Code: ae.Code, VI: ae.Message, EN: ae.Message, Err: ae}
		if got := status(err); got != st {
			t.Errorf("server %d %s: %d, want %d", ae.Status, ae.Code, got, st)
		}
		if got := status(fmt.Errorf("printing: %w", err)); got != st {
			t.Errorf("wrapped server %d %s: %d, want %d", ae.Status, ae.Code, got, st)
		}
	}
	if got := status(errors.New("disk full")); got != 500 {
		t.Errorf("not a refusal: %d", got)
	}
	w := httptest.NewRecorder()
	writeError(w, httptest.NewRequest("GET", "/", nil), errors.New("disk full"))
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), `"code":"internal"`) || strings.Contains(w.Body.String(), "disk") {
		t.Errorf("not a refusal: %d %s", w.Code, w.Body)
	}
}
