package chipsim

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// debianPython is the interpreter Debian's python3-virtualsmartcard and
// python3-pycryptodome are installed for (a python3 earlier in PATH, such
// as a pyenv one, would not see them).
const debianPython = "/usr/bin/python3"

// TestVICCAppendixD runs vicc's ePass card (python3-virtualsmartcard, with
// the shims of testdata/epass.py) in process through the worked example of
// Doc 9303 Part 11, Appendix D: BAC, then the protected SELECT and READ
// BINARY of EF.COM. Its answers must be the example's byte for byte, which
// pins the mended secure messaging of the third-party card.
func TestVICCAppendixD(t *testing.T) {
	dir := t.TempDir()
	com := filepath.Join(dir, "com")
	if err := os.WriteFile(com, unhex(t, "60145F0104303130365F36063034303030305C026175"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianPython, "-B", "testdata/epass.py", "--selftest", "--com", com, "--dg1", com,
		"--mrz", "IDUTOL898902C<3<<<<<<<<<<<<<<<\n6908061F9406236UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<")
	steps := []struct{ apdu, answer string }{
		{"00A4040C07A0000002471001", "9000"},
		{"0084000008", "4608F919887022129000"},
		{"008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728",
			"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000"},
		{"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
		{"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
		{"0CB000040D9701128E082EA28A70F3C7B53500",
			"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
	}
	in := "rand 4608F91988702212 0B4F80323EB3191CB04970CB4052790B\n"
	for _, s := range steps {
		in += s.apdu + "\n"
	}
	cmd.Stdin = strings.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("epass.py: %v\n%s", err, stderr.String())
	}
	got := strings.Fields(string(out))
	if len(got) != len(steps) {
		t.Fatalf("%d answers, want %d:\n%s\n%s", len(got), len(steps), out, stderr.String())
	}
	for i, s := range steps {
		if got[i] != s.answer {
			t.Errorf("%s:\n got %s\nwant %s", s.apdu, got[i], s.answer)
		}
	}
}
