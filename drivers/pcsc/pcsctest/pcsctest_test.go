package pcsctest_test

import (
	"os"
	"slices"
	"testing"

	"xephang/drivers/pcsc"
	"xephang/drivers/pcsc/pcsctest"
)

func TestMain(m *testing.M) { pcsctest.Main(m) }

func TestStartOnce(t *testing.T) {
	d := pcsctest.Start(t)
	if again := pcsctest.Start(t); again != d {
		t.Fatal("a second Start gave another daemon")
	}
	if got := os.Getenv("PCSCLITE_CSOCK_NAME"); got != d.Socket {
		t.Fatalf("PCSCLITE_CSOCK_NAME = %q, want %q", got, d.Socket)
	}
	if _, err := os.Stat(d.Socket); err != nil {
		t.Fatal(err)
	}
	c, err := pcsc.Establish()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	names, err := c.Readers()
	if err != nil {
		t.Fatal(err)
	}
	// vpcd has two slots: the Daemon's reader and the second one.
	if !slices.Contains(names, d.Reader) || len(names) != 2 {
		t.Fatalf("readers %q, want %q and the second slot", names, d.Reader)
	}
}
