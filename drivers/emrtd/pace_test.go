package emrtd

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"math/big"
	"testing"

	"xephang/drivers/emrtd/lds"
)

// Appendix G.1: PACE ECDH generic mapping, brainpoolP256r1, AES-128, the MRZ
// T22000129 / 640812 / 101031 as password.
var (
	exampleMRZG = MRZInfo{DocumentNumber: "T22000129", BirthDate: "640812", ExpiryDate: "101031"}
	exampleG1   = lds.PACEInfo{OID: "0.4.0.127.0.7.2.2.4.2.2", Version: 2, ParameterID: 13}
)

const (
	g1SKMapIFD = "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"
	g1SKIFD    = "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"
	g1PKMapIFD = "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
	g1PKMapIC  = "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
	g1PKIFD    = "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
	g1PKIC     = "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
)

func TestAppendixG1Values(t *testing.T) {
	wantHex(t, "K = f(π)", exampleMRZG.paceSecret(), "7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
	kPI := DeriveKey(exampleMRZG.paceSecret(), 3, CipherAES128)
	wantHex(t, "K_π", kPI, "89DED1B26624EC1E634C1989302849DD")
	s, err := Decrypt(CipherAES128, kPI, nil, unhex(t, "95A3A016522EE98D01E76CB6B98B42C3"))
	if err != nil {
		t.Fatal(err)
	}
	wantHex(t, "nonce s", s, "3F00C4D39D153F2B2A214A078D899B22")

	c := brainpoolP256r1
	skMap := new(big.Int).SetBytes(unhex(t, g1SKMapIFD))
	x, y := c.ScalarBaseMult(skMap)
	wantHex(t, "PK_Map,IFD", c.Marshal(x, y), g1PKMapIFD)
	icX, icY := c.Unmarshal(unhex(t, g1PKMapIC))
	if icX == nil {
		t.Fatal("PK_Map,IC not on the curve")
	}
	// The chip's side of the mapping gives its public key from its private one.
	chipX, chipY := c.ScalarBaseMult(new(big.Int).SetBytes(unhex(t, "498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560")))
	wantHex(t, "PK_Map,IC", c.Marshal(chipX, chipY), g1PKMapIC)
	hX, hY := c.ScalarMult(icX, icY, skMap)
	wantHex(t, "H", c.Marshal(hX, hY), "0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD50840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181")
	sgX, sgY := c.ScalarBaseMult(new(big.Int).SetBytes(s))
	gX, gY := c.Add(sgX, sgY, hX, hY)
	wantHex(t, "G~", c.Marshal(gX, gY), "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522")
	pX, pY := c.ScalarMult(gX, gY, new(big.Int).SetBytes(unhex(t, g1SKIFD)))
	wantHex(t, "PK_IFD", c.Marshal(pX, pY), g1PKIFD)
	cX, cY := c.ScalarMult(gX, gY, new(big.Int).SetBytes(unhex(t, "107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A")))
	wantHex(t, "PK_IC", c.Marshal(cX, cY), g1PKIC)
	kX, _ := c.ScalarMult(cX, cY, new(big.Int).SetBytes(unhex(t, g1SKIFD)))
	wantHex(t, "K", kX.Bytes(), "28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
	ksMac := DeriveKey(kX.Bytes(), 2, CipherAES128)
	wantHex(t, "KS_enc", DeriveKey(kX.Bytes(), 1, CipherAES128), "F5F0E35C0D7161EE6724EE513A0D9A7F")
	wantHex(t, "KS_mac", ksMac, "FE251C7858B356B24514B3BD5F4297D1")
	wantHex(t, "T_IFD", AuthToken(CipherAES128, ksMac, exampleG1.OID, unhex(t, g1PKIC)), "C2B0BD78D94BA866")
	wantHex(t, "T_IC", AuthToken(CipherAES128, ksMac, exampleG1.OID, unhex(t, g1PKIFD)), "3ABB9674BCE93C08")
}

// The whole exchange of G.1 through PACE, with the terminal's keys of the
// example. The document's MSE:Set AT has no 84; ours names the domain
// parameters (Doc 9303 Part 11 §4.4.4.1 allows it, and it is required when a
// chip offers several).
func TestAppendixG1Exchange(t *testing.T) {
	card := &script{t: t, steps: [][2]string{
		{"0022C1A412800A04007F0007020204020283010184010D", "9000"},
		{"10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C39000"},
		{"1086000045 7C438141" + g1PKMapIFD + "00", "7C438241" + g1PKMapIC + "9000"},
		{"1086000045 7C438341" + g1PKIFD + "00", "7C438441" + g1PKIC + "9000"},
		{"008600000C7C0A8508C2B0BD78D94BA86600", "7C0A86083ABB9674BCE93C089000"},
	}}
	rnd := bytes.NewReader(unhex(t, g1SKMapIFD+g1SKIFD))
	s, err := pace(card, exampleG1, AccessKey{MRZ: &exampleMRZG}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	card.done()
	if s.Access() != "PACE" || s.Cipher() != CipherAES128 {
		t.Errorf("session %s %s", s.Access(), s.Cipher())
	}
	wantHex(t, "SSC", s.sm.SSC(), "00000000000000000000000000000000")
}

func TestPACEWrongPassword(t *testing.T) {
	card := &script{t: t, steps: [][2]string{
		{"0022C1A412800A04007F0007020204020283010184010D", "9000"},
		{"10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C39000"},
		{"1086000045 7C438141" + g1PKMapIFD + "00", "7C438241" + g1PKMapIC + "9000"},
		{"1086000045 7C438341" + g1PKIFD + "00", "7C438441" + g1PKIC + "9000"},
		{"008600000C7C0A8508C2B0BD78D94BA86600", "6300"},
	}}
	rnd := bytes.NewReader(unhex(t, g1SKMapIFD+g1SKIFD))
	if _, err := pace(card, exampleG1, AccessKey{MRZ: &exampleMRZG}, rnd); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
}

// Every curve: G is on it, n·G is the point at infinity, and (for the NIST
// curves) k·G agrees with crypto/ecdh.
func TestCurves(t *testing.T) {
	for _, id := range []int{12, 13, 15, 16, 17, 18} {
		c, err := CurveByParameterID(id)
		if err != nil {
			t.Fatal(err)
		}
		if !c.IsOnCurve(c.Gx, c.Gy) {
			t.Errorf("%s: G not on the curve", c.Name)
		}
		if x, _ := c.ScalarBaseMult(c.N); x != nil {
			t.Errorf("%s: n·G is not infinity", c.Name)
		}
		k := new(big.Int).Sub(c.N, big.NewInt(1))
		x, y := c.ScalarBaseMult(k) // (n−1)·G = −G
		if x.Cmp(c.Gx) != 0 || new(big.Int).Add(y, c.Gy).Cmp(c.P) != 0 {
			t.Errorf("%s: (n−1)·G is not −G", c.Name)
		}
		// 2G + 3G = 5G and G + G = 2G.
		x2, y2 := c.ScalarBaseMult(big.NewInt(2))
		x3, y3 := c.ScalarBaseMult(big.NewInt(3))
		x5, y5 := c.ScalarBaseMult(big.NewInt(5))
		if sx, sy := c.Add(x2, y2, x3, y3); sx.Cmp(x5) != 0 || sy.Cmp(y5) != 0 {
			t.Errorf("%s: 2G+3G ≠ 5G", c.Name)
		}
		if dx, dy := c.Add(c.Gx, c.Gy, c.Gx, c.Gy); dx.Cmp(x2) != 0 || dy.Cmp(y2) != 0 {
			t.Errorf("%s: G+G ≠ 2G", c.Name)
		}
		if !c.IsOnCurve(x5, y5) {
			t.Errorf("%s: 5G not on the curve", c.Name)
		}
	}
	for _, n := range []struct {
		id int
		c  ecdh.Curve
	}{{12, ecdh.P256()}, {15, ecdh.P384()}, {18, ecdh.P521()}} {
		c, _ := CurveByParameterID(n.id)
		priv, err := n.c.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		x, y := c.ScalarBaseMult(new(big.Int).SetBytes(priv.Bytes()))
		if !bytes.Equal(c.Marshal(x, y), priv.PublicKey().Bytes()) {
			t.Errorf("%s: k·G differs from crypto/ecdh", c.Name)
		}
	}
}

// Appendix G.2: PACE DH generic mapping, the 1024-bit group with a 160-bit
// subgroup (parameter ID 0), AES-128, the same MRZ as G.1.
const (
	g2SKMapIFD = "5265030F751F4AD18B08AC565FC7AC952E41618D"
	g2SKIFD    = "89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA"
	g2PKMapIFD = "23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C"
	g2PKMapIC  = "78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FACE7B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F2449400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6"
	g2PKIFD    = "907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86FBC6747CC7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4"
	g2PKIC     = "075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1"
)

var exampleG2 = lds.PACEInfo{OID: "0.4.0.127.0.7.2.2.4.1.2", Version: 2, ParameterID: 0}

func TestAppendixG2Values(t *testing.T) {
	kPI := DeriveKey(exampleMRZG.paceSecret(), 3, CipherAES128)
	s, err := Decrypt(CipherAES128, kPI, nil, unhex(t, "854D8DF5827FA6852D1A4FA701CDDDCA"))
	if err != nil {
		t.Fatal(err)
	}
	wantHex(t, "nonce s", s, "FA5B7E3E49753A0DB9178B7B9BD898C8")
	g, _ := dhGroupByParameterID(0)
	_, pk, _ := g.keyPair(bytes.NewReader(unhex(t, g2SKMapIFD)))
	wantHex(t, "PK_Map,IFD", pk, g2PKMapIFD)
	chip, _ := dhGroupByParameterID(0)
	_, pkIC, _ := chip.keyPair(bytes.NewReader(unhex(t, "66DDAFEAC1609CB5B963BB0CB3FF8B3E047F336C")))
	wantHex(t, "PK_Map,IC", pkIC, g2PKMapIC)
	if err := g.mapGenerator(new(big.Int).SetBytes(s), new(big.Int).SetBytes(unhex(t, g2SKMapIFD)), unhex(t, g2PKMapIC)); err != nil {
		t.Fatal(err)
	}
	wantHex(t, "g~", g.g.FillBytes(make([]byte, 128)), "7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A12370249684D64EE37AF44B8DBD9D45BF6023919CBAA027AB97ACC771666C8E98FF483301BFA4872DEDE9034EDFACB70814166B7F360676829B826BEA57291B5AD69FBC84EF1E779032A305803F74341793E869742D401325B37EE8565FFCDEE618342DC5")
	sk, pkIFD, _ := g.keyPair(bytes.NewReader(unhex(t, g2SKIFD)))
	wantHex(t, "PK_IFD", pkIFD, g2PKIFD)
	k, err := g.agree(sk, unhex(t, g2PKIC))
	if err != nil {
		t.Fatal(err)
	}
	wantHex(t, "K", k, "6BABC7B3A72BCD7EA385E4C62DB2625BD8613B24149E146A629311C4CA6698E38B834B6A9E9CD7184BA8834AFF5043D436950C4C1E7832367C10CB8C314D40E5990B0DF7013E64B4549E2270923D06F08CFF6BD3E977DDE6ABE4C31D55C0FA2E465E553E77BDF75E3193D3834FC26E8EB1EE2FA1E4FC97C18C3F6CFFFE2607FD")
	ksMac := DeriveKey(k, 2, CipherAES128)
	wantHex(t, "T_IFD", authToken(CipherAES128, ksMac, exampleG2.OID, 0x84, unhex(t, g2PKIC)), "B46DD9BD4D98381F")
	wantHex(t, "T_IC", authToken(CipherAES128, ksMac, exampleG2.OID, 0x84, unhex(t, g2PKIFD)), "917F37B5C0E6D8D1")
}

// The whole exchange of G.2 (the document's MSE:Set AT has no 84; ours
// names parameter set 0). The chip's last answer also carries its CAR (87).
func TestAppendixG2Exchange(t *testing.T) {
	card := &script{t: t, steps: [][2]string{
		{"0022C1A412800A04007F00070202040102830101840100", "9000"},
		{"10860000027C0000", "7C128010854D8DF5827FA6852D1A4FA701CDDDCA9000"},
		{"1086000086 7C8183818180" + g2PKMapIFD + "00", "7C8183828180" + g2PKMapIC + "9000"},
		{"1086000086 7C8183838180" + g2PKIFD + "00", "7C8183848180" + g2PKIC + "9000"},
		{"008600000C7C0A8508B46DD9BD4D98381F00", "7C1B8608917F37B5C0E6D8D1870F4445544553544356434130303030339000"},
	}}
	rnd := bytes.NewReader(unhex(t, g2SKMapIFD+g2SKIFD))
	s, err := pace(card, exampleG2, AccessKey{MRZ: &exampleMRZG}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	card.done()
	if s.Cipher() != CipherAES128 {
		t.Errorf("cipher %s", s.Cipher())
	}
}

// The DH groups are what RFC 5114 says: p and q prime, g of order q.
func TestDHGroups(t *testing.T) {
	for id := range 3 {
		g, err := dhGroupByParameterID(id)
		if err != nil {
			t.Fatal(err)
		}
		if !g.p.ProbablyPrime(20) || !g.q.ProbablyPrime(20) {
			t.Errorf("group %d: p or q not prime", id)
		}
		if new(big.Int).Exp(g.g, g.q, g.p).Cmp(big.NewInt(1)) != 0 {
			t.Errorf("group %d: g^q ≠ 1", id)
		}
		if new(big.Int).Mod(new(big.Int).Sub(g.p, big.NewInt(1)), g.q).Sign() != 0 {
			t.Errorf("group %d: q does not divide p−1", id)
		}
	}
}
