package httpapi

import (
	"slices"
	"testing"

	"xephang/queue-server/httpapi/openapitest"
)

// The spec lists exactly the error codes the server can answer.
func TestSpecListsEveryErrorCode(t *testing.T) {
	spec := openapitest.Load(t)
	schema := spec.Doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value
	var listed []string
	for _, v := range schema.Enum {
		listed = append(listed, v.(string))
	}
	for code := range statusOf {
		if !slices.Contains(listed, code) {
			t.Errorf("error code %q is not in docs/openapi.yaml's Error schema", code)
		}
	}
	for _, code := range listed {
		if _, ok := statusOf[code]; !ok {
			t.Errorf("docs/openapi.yaml lists error code %q, which the server never answers", code)
		}
	}
}
