package chipsim

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exchange sends an APDU and checks the whole answer.
func exchange(t *testing.T, c *card, apdu, want string) {
	t.Helper()
	got := c.transmit(unhex(t, apdu))
	if !bytes.Equal(got, unhex(t, want)) {
		t.Fatalf("%s:\n got %X\nwant %s", apdu, got, want)
	}
}

// appendixD is the card of Doc 9303 Part 11, Appendix D: its MRZ
// information, and a random source giving RND.IC then K.IC.
func appendixD(t *testing.T) *card {
	rnd := bytes.NewReader(unhex(t, "4608F91988702212"+"0B4F80323EB3191CB04970CB4052790B"))
	files := map[uint16][]byte{0x011E: unhex(t, "60145F0104303130365F36063034303030305C026175")}
	return newChip("L898902C<369080619406236", files, nil, "", nil, rnd)
}

// TestAppendixD runs the worked example of Doc 9303 Part 11, Appendix D
// (D.3 mutual authentication, D.4 protected SELECT and READ BINARY of
// EF.COM) against the card side byte for byte.
func TestAppendixD(t *testing.T) {
	c := appendixD(t)
	exchange(t, c, "00A4040C07A0000002471001", "9000")
	exchange(t, c, "0084000008", "4608F91988702212 9000")
	exchange(t, c,
		"0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28",
		"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449 9000")
	if got := hex.EncodeToString(c.st.sm.kenc); got != "979ec13b1cbfe9dcd01ab0fed307eae5" {
		t.Errorf("KSenc %s", got)
	}
	if got := hex.EncodeToString(c.st.sm.kmac); got != "f1cb1f1fb5adf208806b89dc579dc1f8" {
		t.Errorf("KSmac %s", got)
	}
	exchange(t, c, "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000")
	exchange(t, c, "0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")
	exchange(t, c, "0CB000040D9701128E082EA28A70F3C7B53500",
		"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")
}

func TestKDFAndMACAppendixD(t *testing.T) {
	seed := unhex(t, "239AB9CB282DAF66231DC5A4DF6BFBAE")
	if got := kdf(seed, kdfEnc, 0); !bytes.Equal(got, unhex(t, "AB94FDECF2674FDFB9B391F85D7F76F2")) {
		t.Errorf("K_enc %X", got)
	}
	kmac := kdf(seed, kdfMac, 0)
	if !bytes.Equal(kmac, unhex(t, "7962D9ECE03D1ACD4C76089DCE131543")) {
		t.Errorf("K_mac %X", kmac)
	}
	e := unhex(t, "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
	if got := retailMAC(kmac, pad(e, 8)); !bytes.Equal(got, unhex(t, "5F1448EEA8AD90A7")) {
		t.Errorf("M_IFD %X", got)
	}
}

// TestCMAC checks AES-CMAC against RFC 4493's examples (truncated to the
// 8 bytes secure messaging uses).
func TestCMAC(t *testing.T) {
	k := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	for _, tc := range []struct{ msg, mac string }{
		{"", "bb1d6929e9593728"},
		{"6bc1bee22e409f96e93d7e117393172a", "070a16b46b4d4144"},
		{"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411", "dfa66747de9ae630"},
	} {
		if got := hex.EncodeToString(cmac(k, unhex(t, tc.msg))); got != tc.mac {
			t.Errorf("CMAC(%s) = %s, want %s", tc.msg, got, tc.mac)
		}
	}
}

func TestWrongMRZ(t *testing.T) {
	c := appendixD(t)
	exchange(t, c, "00A4040C07A0000002471001", "9000")
	exchange(t, c, "0084000008", "4608F91988702212 9000")
	// The worked example's answer with one bit of the MAC flipped: what a
	// reader with another MRZ sends, as far as the card can tell.
	exchange(t, c,
		"0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A6 28", "6300")
	if c.st.sm != nil {
		t.Fatal("a session after a wrong MAC")
	}
	// The challenge is used up; a new one and the right answer still work.
	exchange(t, c,
		"0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28", "6985")
	c.rand = bytes.NewReader(unhex(t, "4608F91988702212"+"0B4F80323EB3191CB04970CB4052790B"))
	exchange(t, c, "0084000008", "4608F91988702212 9000")
	exchange(t, c,
		"0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28",
		"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449 9000")
}

func TestSessionDroppedOnPlainOrBadMAC(t *testing.T) {
	for _, apdu := range []string{
		"00A4020C02011E", // unprotected
		"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F900", // MAC changed
	} {
		c := appendixD(t)
		exchange(t, c, "00A4040C07A0000002471001", "9000")
		exchange(t, c, "0084000008", "4608F91988702212 9000")
		exchange(t, c,
			"0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28",
			"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449 9000")
		exchange(t, c, apdu, "6988")
		if c.st.sm != nil {
			t.Fatalf("%s: session kept", apdu)
		}
		// Without a session the LDS is closed.
		exchange(t, c, "00A4040C07A0000002471001", "9000")
		exchange(t, c, "00A4020C02011E", "6982")
	}
}

func TestBrainpoolP256r1(t *testing.T) {
	ec := brainpoolP256r1
	if !ec.onCurve(ec.g()) {
		t.Fatal("G is not on the curve")
	}
	if q := ec.mul(ec.g(), ec.n); q.x != nil {
		t.Fatal("n·G is not the point at infinity")
	}
	a, b := ec.mul(ec.g(), hexInt("1234")), ec.mul(ec.g(), hexInt("5678"))
	if !ec.onCurve(a) || !ec.onCurve(ec.add(a, b)) {
		t.Fatal("sum off the curve")
	}
	if sum := ec.add(a, b); ec.mul(ec.g(), hexInt("68AC")).x.Cmp(sum.x) != 0 {
		t.Fatal("1234·G + 5678·G != 68AC·G")
	}
}

func TestAPDUParsing(t *testing.T) {
	for _, tc := range []struct {
		apdu     string
		ok       bool
		data     int
		le       int
		extended bool
	}{
		{"00A4040C", true, 0, 0, false},
		{"00B0000000", true, 0, 256, false},
		{"00B0000000FFFF", true, 0, 0xFFFF, true},
		{"00B00000000000", true, 0, 65536, true},
		{"00A4020C02011E", true, 2, 0, false},
		{"00A4020C02011E00", true, 2, 256, false},
		{"0CB00000000004AABBCCDD0000", true, 4, 65536, true},
		{"00A4020C03011E", false, 0, 0, false},
		{"00A4", false, 0, 0, false},
	} {
		c, ok := parseCommand(unhex(t, tc.apdu))
		if ok != tc.ok || (ok && (len(c.data) != tc.data || c.le != tc.le || c.extended != tc.extended)) {
			t.Errorf("%s: %+v %v", tc.apdu, c, ok)
		}
	}
}
