package chipsim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
)

// FuzzTransmit sends the card what a reader might: a sequence of APDUs
// (each prefixed by its length byte) to a card with every feature on, first
// with no session, then inside the worked example's BAC session. The card
// must answer every one with at least a status word and never panic.
func FuzzTransmit(f *testing.F) {
	for _, s := range []string{
		"0C00A4040C07A0000002471001",
		"050084000008",
		"1700A4020C158709016375432908C044F68E08BF8B92D635FF24F800",
		"130CB000000D9701048E08ED6705417E96BA5500",
		"170022C1A412800A04007F0007020204020283010184010D" + "0810860000027C0000",
		"0700B0000000FFFF" + "0800B1000003540100" + "0D00880000080102030405060708",
		"06008600000000",
		"14002241A40F800A04007F00070202030202840101" + "0A0086000005" + "7C03800104" + "00",
		"0A002241A605910304" + "0102",
	} {
		f.Add(unhex(f, s))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	ca, _, err := caSetup(Options{ChipAuth: true}, rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		files := map[uint16][]byte{0x011E: {0x60, 0x03, 0x5C, 0x01, 0x61}, 0x0101: bytes.Repeat([]byte{0x61}, 300)}
		for _, session := range []bool{false, true} {
			rnd := bytes.NewReader(append(unhex(t, "4608F91988702212"+"0B4F80323EB3191CB04970CB4052790B"), make([]byte, 4096)...))
			c := newChip("L898902C<369080619406236", files, []byte{0x31, 0}, "123456", key, rnd)
			c.caKey = ca
			if session {
				c.transmit(unhex(t, "0084000008"))
				r := c.transmit(unhex(t, "008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728"))
				if c.st.sm == nil {
					t.Fatalf("no session: %X", r)
				}
			}
			for rest := in; len(rest) > 0; {
				n := min(int(rest[0]), len(rest)-1)
				apdu := rest[1 : 1+n]
				rest = rest[1+n:]
				if r := c.transmit(apdu); len(r) < 2 {
					t.Fatalf("answer %X to %X", r, apdu)
				}
			}
		}
	})
}
