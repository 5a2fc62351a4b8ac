package chipsim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"math/big"
	"testing"
)

func testFiles() map[uint16][]byte {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	return map[uint16][]byte{0x011E: {0x60, 0x03, 0x5C, 0x01, 0x61}, 0x0102: big}
}

func TestPACE(t *testing.T) {
	const mrz = "L898902C<369080619406236"
	cardAccess := []byte{0x31, 0x00} // content does not matter to the card
	for _, tc := range []struct {
		name   string
		ref    byte
		secret []byte
		sw     int
	}{
		{"MRZ", 1, func() []byte { h := sha1.Sum([]byte(mrz)); return h[:] }(), swOK},
		{"CAN", 2, []byte("123456"), swOK},
		{"wrong CAN", 2, []byte("123457"), swAuthFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChip(mrz, testFiles(), cardAccess, "123456", nil, nil)
			tm := &terminal{t: t, c: c}
			// EF.CardAccess is readable without a session.
			if _, sw := tm.raw([]byte{0, 0xA4, 2, 0x0C, 2, 0x01, 0x1C}); sw != swOK {
				t.Fatalf("SELECT EF.CardAccess %04X", sw)
			}
			if d, sw := tm.raw([]byte{0, 0xB0, 0, 0, 0}); sw != 0x6282 || !bytes.Equal(d, cardAccess) {
				t.Fatalf("READ EF.CardAccess %X %04X", d, sw)
			}
			if sw := tm.pace(tc.ref, tc.secret); sw != tc.sw {
				t.Fatalf("PACE %04X, want %04X", sw, tc.sw)
			}
			if tc.sw != swOK {
				if c.st.sm != nil || c.st.paceStep != 0 {
					t.Fatal("state left after a wrong password")
				}
				return
			}
			if _, sw := tm.send(0, 0xA4, 4, 0x0C, appletAID, 0); sw != swOK {
				t.Fatalf("SELECT applet %04X", sw)
			}
			if _, sw := tm.send(0, 0xA4, 2, 0x0C, []byte{1, 2}, 0); sw != swOK {
				t.Fatalf("SELECT DG2 %04X", sw)
			}
			want := testFiles()[0x0102]
			var got []byte
			for len(got) < len(want) {
				n := min(len(want)-len(got), 0xDF)
				if tc.ref == 2 {
					n = min(len(want)-len(got), 7000) // extended length
				}
				d, sw := tm.send(0, 0xB0, byte(len(got)>>8), byte(len(got)), nil, n)
				if sw != swOK {
					t.Fatalf("READ BINARY at %d: %04X", len(got), sw)
				}
				got = append(got, d...)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("DG2 differs")
			}
		})
	}
}

func TestActiveAuthentication(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, key := range []any{ecKey, rsaKey} {
		var c *card
		switch k := key.(type) {
		case *ecdsa.PrivateKey:
			c = newChip("L898902C<369080619406236", testFiles(), []byte{0x31, 0}, "", k, nil)
		case *rsa.PrivateKey:
			c = newChip("L898902C<369080619406236", testFiles(), []byte{0x31, 0}, "", k, nil)
		}
		tm := &terminal{t: t, c: c}
		h := sha1.Sum([]byte("L898902C<369080619406236"))
		if sw := tm.pace(1, h[:]); sw != swOK {
			t.Fatalf("PACE %04X", sw)
		}
		rnd := []byte{1, 2, 3, 4, 5, 6, 7, 8}
		sig, sw := tm.send(0, 0x88, 0, 0, rnd, 256)
		if sw != swOK {
			t.Fatalf("INTERNAL AUTHENTICATE %04X", sw)
		}
		switch k := key.(type) {
		case *ecdsa.PrivateKey:
			d := sha256.Sum256(rnd)
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if !ecdsa.Verify(&k.PublicKey, d[:], r, s) {
				t.Fatal("ECDSA signature does not verify")
			}
		case *rsa.PrivateKey:
			f := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(k.E)), k.N).FillBytes(make([]byte, k.Size()))
			if f[0] != 0x6A || f[len(f)-1] != 0xBC {
				t.Fatalf("ISO 9796-2 frame %X", f)
			}
			m1 := f[1 : len(f)-21]
			h := sha1.Sum(append(append([]byte(nil), m1...), rnd...))
			if !bytes.Equal(h[:], f[len(f)-21:len(f)-1]) {
				t.Fatal("ISO 9796-2 hash differs")
			}
		}
	}
}

// TestPACEAppendixG runs the worked example of Doc 9303 Part 11, Appendix
// G.1 (PACE, ECDH generic mapping on brainpoolP256r1, AES-128) against the
// card side: the card's nonce and private keys are the example's, the
// terminal's commands are the example's, the answers must be too.
func TestPACEAppendixG(t *testing.T) {
	rnd := bytes.NewReader(unhex(t, "3F00C4D39D153F2B2A214A078D899B22"+
		"498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560"+
		"107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A"))
	c := newChip("T22000129364081251010318", testFiles(), unhex(t, "31143012060A04007F0007020204020202010202010D"), "", nil, rnd)
	exchange(t, c, "0022C1A412800A04007F0007020204020283010184010D", "9000")
	exchange(t, c, "10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C39000")
	exchange(t, c, "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896F"+
		"C70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00",
		"7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"+
			"30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000")
	exchange(t, c, "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122"+
		"F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200",
		"7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"+
			"7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000")
	exchange(t, c, "008600000C7C0A8508C2B0BD78D94BA86600", "7C0A86083ABB9674BCE93C089000")
	if c.st.sm == nil || !c.st.sm.aes || !bytes.Equal(c.st.sm.ssc, make([]byte, 16)) {
		t.Fatal("no AES session with SSC 0 after PACE")
	}
}
