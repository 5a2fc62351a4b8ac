package precheck_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// TestMain restarts the test binary with OMP_THREAD_LIMIT=1: libgomp reads
// it only when the process starts, and the tests should measure and run
// Tesseract the way the kiosk does.
func TestMain(m *testing.M) {
	if os.Getenv("OMP_THREAD_LIMIT") != "1" {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				os.Exit(ee.ExitCode())
			}
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
