package httpapi_test

import (
	"testing"

	"xephang/queue-server/httpapi"
	"xephang/queue-server/httpapi/limitstest"
)

// The in-memory limits keep the behaviour table every Limits keeps.
func TestMemoryLimits(t *testing.T) {
	limitstest.Run(t, httpapi.NewMemoryLimits(), "memory")
}

// One in-memory Limits counts each of many racing callers once.
func TestMemoryLimitsRace(t *testing.T) {
	l := httpapi.NewMemoryLimits()
	limitstest.Concurrent(t, []httpapi.Limits{l}, "memory")
}
