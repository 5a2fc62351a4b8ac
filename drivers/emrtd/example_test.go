package emrtd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// The expected values of this file are those of ICAO Doc 9303 Part 11, 8th
// edition, Appendix D (BAC and secure messaging worked example) and Appendix
// G.1 (PACE ECDH generic mapping worked example), never outputs of this code.

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func wantHex(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if !strings.EqualFold(hex.EncodeToString(got), strings.ReplaceAll(want, " ", "")) {
		t.Errorf("%s = %X, want %s", what, got, want)
	}
}

// script is a card that expects exactly these commands and gives these answers.
type script struct {
	t     *testing.T
	steps [][2]string // command, answer (hex)
	i     int
}

func (s *script) Transmit(apdu []byte) ([]byte, error) {
	s.t.Helper()
	if s.i >= len(s.steps) {
		s.t.Fatalf("unexpected command %X", apdu)
	}
	st := s.steps[s.i]
	s.i++
	if want := strings.ReplaceAll(st[0], " ", ""); !strings.EqualFold(hex.EncodeToString(apdu), want) {
		s.t.Errorf("command %d = %X, want %s", s.i, apdu, want)
	}
	return unhex(s.t, st[1]), nil
}

func (s *script) done() {
	s.t.Helper()
	if s.i != len(s.steps) {
		s.t.Errorf("%d of %d commands sent", s.i, len(s.steps))
	}
}

// Appendix D.2: MRZ information "L898902C<369080619406236".
var exampleMRZ = MRZInfo{DocumentNumber: "L898902C", BirthDate: "690806", ExpiryDate: "940623"}

func TestAppendixDKeys(t *testing.T) {
	if got := string(exampleMRZ.information()); got != "L898902C<369080619406236" {
		t.Errorf("MRZ information = %q", got)
	}
	seed := exampleMRZ.KeySeed()
	wantHex(t, "K_seed", seed, "239AB9CB282DAF66231DC5A4DF6BFBAE")
	wantHex(t, "K_enc", DeriveKey(seed, 1, Cipher3DES), "AB94FDECF2674FDFB9B391F85D7F76F2")
	wantHex(t, "K_mac", DeriveKey(seed, 2, Cipher3DES), "7962D9ECE03D1ACD4C76089DCE131543")
}

// Appendix D.3: the mutual authentication with RND.IFD and K.IFD of the example.
func TestAppendixDBAC(t *testing.T) {
	card := &script{t: t, steps: [][2]string{
		{"0084000008", "4608F91988702212 9000"},
		{"0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28",
			"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449 9000"},
		// Appendix D.4: SELECT EF.COM and two READ BINARY under secure messaging.
		{"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
		{"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
		{"0CB000040D9701128E082EA28A70F3C7B53500",
			"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
	}}
	rnd := bytes.NewReader(unhex(t, "781723860C06C226 0B795240CB7049B01C19B33E32804F0B"))
	s, err := bac(card, exampleMRZ, rnd)
	if err != nil {
		t.Fatal(err)
	}
	wantHex(t, "SSC", s.sm.SSC(), "887022120C06C226")
	r, err := s.Transmit(unhex(t, "00A4020C02011E"))
	if err != nil || !bytes.Equal(r, []byte{0x90, 0x00}) {
		t.Fatalf("SELECT EF.COM = %X, %v", r, err)
	}
	r, err = s.Transmit(unhex(t, "00B0000004"))
	if err != nil {
		t.Fatal(err)
	}
	wantHex(t, "READ BINARY 4", r, "60145F01 9000")
	r, err = s.Transmit(unhex(t, "00B0000412"))
	if err != nil {
		t.Fatal(err)
	}
	wantHex(t, "READ BINARY 18", r, "04303130365F36063034303030305C026175 9000")
	wantHex(t, "SSC at the end", s.sm.SSC(), "887022120C06C22C")
	card.done()
}

// D.4 again from the published session keys, through ReadFile: SELECT, then
// the first READ BINARY of four bytes gives the header, then the rest.
func TestAppendixDReadFile(t *testing.T) {
	card := &script{t: t, steps: [][2]string{
		{"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
		{"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
		{"0CB000040D9701128E082EA28A70F3C7B53500",
			"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
	}}
	sm, err := NewSM(Cipher3DES, unhex(t, "979EC13B1CBFE9DCD01AB0FED307EAE5"), unhex(t, "F1CB1F1FB5ADF208806B89DC579DC1F8"), unhex(t, "887022120C06C226"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := readFile(NewSession(card, sm, "BAC"), 0x011E, false, 4)
	if err != nil {
		t.Fatal(err)
	}
	wantHex(t, "EF.COM", b, "60145F0104303130365F36063034303030305C026175")
	card.done()
}

// The chip's side of D.4: the same SM state unwraps the reader's protected
// commands and wraps the published answers byte for byte.
func TestAppendixDCardSide(t *testing.T) {
	sm, err := NewSM(Cipher3DES, unhex(t, "979EC13B1CBFE9DCD01AB0FED307EAE5"), unhex(t, "F1CB1F1FB5ADF208806B89DC579DC1F8"), unhex(t, "887022120C06C226"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ protected, plain, answer, protectedAnswer string }{
		{"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "00A4020C02011E", "9000", "990290008E08FA855A5D4C50A8ED9000"},
		{"0CB000000D9701048E08ED6705417E96BA5500", "00B0000004", "60145F019000", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
		{"0CB000040D9701128E082EA28A70F3C7B53500", "00B0000412", "04303130365F36063034303030305C0261759000",
			"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
	} {
		plain, err := sm.UnwrapCommand(unhex(t, c.protected))
		if err != nil {
			t.Fatal(err)
		}
		wantHex(t, "plain command", plain, c.plain)
		got, err := sm.WrapResponse(unhex(t, c.answer))
		if err != nil {
			t.Fatal(err)
		}
		wantHex(t, "protected answer", got, c.protectedAnswer)
	}
}

func TestBACWrongMRZ(t *testing.T) {
	card := &script{t: t, steps: [][2]string{
		{"0084000008", "4608F91988702212 9000"},
		{"0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28", "6300"},
	}}
	rnd := bytes.NewReader(unhex(t, "781723860C06C226 0B795240CB7049B01C19B33E32804F0B"))
	if _, err := bac(card, exampleMRZ, rnd); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
	card.done()
}

// A tampered answer (one bit of the MAC, of the cryptogram, of DO99) is ErrSecureMessaging.
func TestSecureMessagingTamper(t *testing.T) {
	answer := unhex(t, "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")
	for _, i := range []int{4, 13, 20, len(answer) - 3} {
		sm, _ := NewSM(Cipher3DES, unhex(t, "979EC13B1CBFE9DCD01AB0FED307EAE5"), unhex(t, "F1CB1F1FB5ADF208806B89DC579DC1F8"), unhex(t, "887022120C06C228"))
		if _, err := sm.WrapCommand(unhex(t, "00B0000004")); err != nil {
			t.Fatal(err)
		}
		bad := append([]byte(nil), answer...)
		bad[i] ^= 0x01
		if _, err := sm.UnwrapResponse(bad); !errors.Is(err, ErrSecureMessaging) {
			t.Errorf("byte %d flipped: err = %v, want ErrSecureMessaging", i, err)
		}
	}
	sm, _ := NewSM(Cipher3DES, unhex(t, "979EC13B1CBFE9DCD01AB0FED307EAE5"), unhex(t, "F1CB1F1FB5ADF208806B89DC579DC1F8"), unhex(t, "887022120C06C228"))
	if _, err := sm.UnwrapResponse(unhex(t, "9000")); !errors.Is(err, ErrSecureMessaging) {
		t.Errorf("9000 without MAC: err = %v", err)
	}
	if r, err := sm.UnwrapResponse(unhex(t, "6A82")); err != nil || !bytes.Equal(r, []byte{0x6A, 0x82}) {
		t.Errorf("bare 6A82 = %X, %v", r, err)
	}
}

// RFC 4493 §4 (AES-CMAC test vectors).
func TestCMAC(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	m, err := newMACer(CipherAES128, key)
	if err != nil {
		t.Fatal(err)
	}
	msg := unhex(t, "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710")
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "bb1d6929e95937287fa37d129b756746"},
		{16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"},
		{64, "51f0bebf7e3b9d92fc49741779363cfe"},
	} {
		wantHex(t, "CMAC", cmac(m.aes, m.k1, m.k2, msg[:c.n]), c.want)
	}
}
