package emrtd

import (
	"bytes"
	"testing"
)

// The seven cases of ISO 7816-4 §5.1 read and written back.
func TestCommandCases(t *testing.T) {
	for _, c := range []struct {
		apdu    string
		dataLen int
		le      int
		ext     bool
	}{
		{"00A40000", 0, -1, false},                       // 1
		{"00B0000004", 0, 4, false},                      // 2S
		{"00B0000000", 0, 256, false},                    // 2S, Le 256
		{"00A4020C02011E", 2, -1, false},                 // 3S
		{"00880000081122334455667788 00", 8, 256, false}, // 4S
		{"00B00000 000F00", 0, 3840, true},               // 2E
		{"00B00000 000000", 0, 65536, true},              // 2E, Le 65536
		{"00DA0000 000003 010203", 3, -1, true},          // 3E
		{"00CB0000 000002 5C00 0100", 2, 256, true},      // 4E
	} {
		b := unhex(t, c.apdu)
		cmd, err := parseCommand(b)
		if err != nil {
			t.Fatalf("%s: %v", c.apdu, err)
		}
		if len(cmd.data) != c.dataLen || cmd.le != c.le || cmd.ext != c.ext {
			t.Errorf("%s: data %d le %d ext %v", c.apdu, len(cmd.data), cmd.le, cmd.ext)
		}
		if !bytes.Equal(cmd.bytes(), b) {
			t.Errorf("%s written back as %X", c.apdu, cmd.bytes())
		}
	}
	for _, bad := range []string{"00", "00A4020C03011E", "00A4020C0201", "00B0000000000000", "00DA000000000501"} {
		if _, err := parseCommand(unhex(t, bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

// T=0's 61xx (GET RESPONSE) and 6Cxx (send again with the right Le).
func TestExchangeT0(t *testing.T) {
	card := &script{t: t, steps: [][2]string{
		{"0084000008", "6108"},
		{"00C0000008", "0102030405060708 9000"},
		{"00B0000004", "6C02"},
		{"00B0000002", "6014 9000"},
	}}
	r, err := exchange(card, unhex(t, "0084000008"))
	if err != nil || !bytes.Equal(r, unhex(t, "01020304050607089000")) {
		t.Errorf("GET CHALLENGE = %X, %v", r, err)
	}
	r, err = exchange(card, unhex(t, "00B0000004"))
	if err != nil || !bytes.Equal(r, unhex(t, "60149000")) {
		t.Errorf("READ BINARY = %X, %v", r, err)
	}
	card.done()
}
