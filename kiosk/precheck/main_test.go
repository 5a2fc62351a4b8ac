package precheck_test

import (
	"testing"

	"xephang/kiosk/precheck/omptest"
)

// TestMain runs the tests with OMP_THREAD_LIMIT=1, as the kiosk runs Tesseract.
func TestMain(m *testing.M) { omptest.Main(m) }
