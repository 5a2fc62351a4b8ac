// Package omptest runs a package's tests single-threaded in OpenMP, as
// kioskd's unit does (OMP_THREAD_LIMIT=1): libgomp reads the variable only
// when the process starts, so the test binary restarts itself with it.
package omptest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Main is a TestMain: it runs m with OMP_THREAD_LIMIT=1, restarting the test
// binary first when the variable is not set so.
func Main(m *testing.M) {
	if os.Getenv("OMP_THREAD_LIMIT") == "1" {
		os.Exit(m.Run())
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}
