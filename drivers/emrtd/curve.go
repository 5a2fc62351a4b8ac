package emrtd

import (
	"crypto/elliptic"
	"fmt"
	"math/big"
)

// Curve is an elliptic curve y² = x³ + ax + b over GF(p) with a base point of
// prime order n, in the arithmetic PACE's generic mapping needs: adding two
// points and multiplying any point, which crypto/ecdh does not offer (and it
// has no Brainpool curves). Jacobian coordinates over math/big; not constant
// time, which the ephemeral keys of one PACE run tolerate (see docs/security.md).
type Curve struct {
	Name       string
	P, A, B, N *big.Int
	Gx, Gy     *big.Int
	byteLen    int
}

func hexInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("emrtd: bad curve constant " + s)
	}
	return n
}

// RFC 5639 §3.4, 3.6, 3.7.
var (
	brainpoolP256r1 = &Curve{Name: "brainpoolP256r1",
		P:  hexInt("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377"),
		A:  hexInt("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9"),
		B:  hexInt("26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"),
		Gx: hexInt("8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262"),
		Gy: hexInt("547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997"),
		N:  hexInt("A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
	}
	brainpoolP384r1 = &Curve{Name: "brainpoolP384r1",
		P:  hexInt("8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53"),
		A:  hexInt("7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826"),
		B:  hexInt("04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11"),
		Gx: hexInt("1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E"),
		Gy: hexInt("8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315"),
		N:  hexInt("8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565"),
	}
	brainpoolP512r1 = &Curve{Name: "brainpoolP512r1",
		P:  hexInt("AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3"),
		A:  hexInt("7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA"),
		B:  hexInt("3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723"),
		Gx: hexInt("81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822"),
		Gy: hexInt("7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892"),
		N:  hexInt("AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069"),
	}
	nistP256 = nist("P-256", elliptic.P256())
	nistP384 = nist("P-384", elliptic.P384())
	nistP521 = nist("P-521", elliptic.P521())
)

// nist takes FIPS 186's parameters from crypto/elliptic (a = -3).
func nist(name string, c elliptic.Curve) *Curve {
	p := c.Params()
	return &Curve{Name: name, P: p.P, A: new(big.Int).Sub(p.P, big.NewInt(3)), B: p.B, N: p.N, Gx: p.Gx, Gy: p.Gy}
}

func init() {
	for _, c := range []*Curve{brainpoolP256r1, brainpoolP384r1, brainpoolP512r1, nistP256, nistP384, nistP521} {
		c.byteLen = (c.P.BitLen() + 7) / 8
	}
}

// CurveByParameterID gives the curve of a standardised domain parameter
// identifier of PACE (BSI TR-03110 Part 3 / Doc 9303 Part 11 §9.5.1): 12
// NIST P-256, 13 brainpoolP256r1, 15 NIST P-384, 16 brainpoolP384r1, 17
// brainpoolP512r1, 18 NIST P-521.
func CurveByParameterID(id int) (*Curve, error) {
	switch id {
	case 12:
		return nistP256, nil
	case 13:
		return brainpoolP256r1, nil
	case 15:
		return nistP384, nil
	case 16:
		return brainpoolP384r1, nil
	case 17:
		return brainpoolP512r1, nil
	case 18:
		return nistP521, nil
	}
	return nil, fmt.Errorf("emrtd: PACE domain parameters %d are not supported", id)
}

// ByteLen is the length of one coordinate.
func (c *Curve) ByteLen() int { return c.byteLen }

// IsOnCurve reports whether (x, y) is a point of the curve (not the point at infinity).
func (c *Curve) IsOnCurve(x, y *big.Int) bool {
	if x == nil || y == nil || x.Sign() < 0 || y.Sign() < 0 || x.Cmp(c.P) >= 0 || y.Cmp(c.P) >= 0 {
		return false
	}
	l := new(big.Int).Mul(y, y)
	l.Mod(l, c.P)
	r := new(big.Int).Mul(x, x)
	r.Add(r, c.A)
	r.Mul(r, x)
	r.Add(r, c.B)
	r.Mod(r, c.P)
	return l.Cmp(r) == 0
}

// jacobian is (X, Y, Z) for the affine point (X/Z², Y/Z³); Z = 0 is infinity.
type jacobian struct{ x, y, z *big.Int }

func (c *Curve) toJacobian(x, y *big.Int) jacobian {
	if x == nil {
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	return jacobian{new(big.Int).Set(x), new(big.Int).Set(y), big.NewInt(1)}
}

func (c *Curve) toAffine(p jacobian) (x, y *big.Int) {
	if p.z.Sign() == 0 {
		return nil, nil
	}
	zi := new(big.Int).ModInverse(p.z, c.P)
	zi2 := new(big.Int).Mul(zi, zi)
	x = new(big.Int).Mul(p.x, zi2)
	x.Mod(x, c.P)
	y = new(big.Int).Mul(p.y, zi2.Mul(zi2, zi))
	y.Mod(y, c.P)
	return x, y
}

func (c *Curve) double(p jacobian) jacobian {
	if p.z.Sign() == 0 || p.y.Sign() == 0 {
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	m := c.P
	yy := new(big.Int).Mul(p.y, p.y)
	yy.Mod(yy, m)
	s := new(big.Int).Mul(p.x, yy) // S = 4·X·Y²
	s.Lsh(s, 2).Mod(s, m)
	z2 := new(big.Int).Mul(p.z, p.z)
	z4 := z2.Mul(z2, z2)
	z4.Mod(z4, m)
	mm := new(big.Int).Mul(p.x, p.x) // M = 3·X² + a·Z⁴
	mm.Mul(mm, big.NewInt(3))
	mm.Add(mm, z4.Mul(z4, c.A))
	mm.Mod(mm, m)
	x3 := new(big.Int).Mul(mm, mm) // X3 = M² − 2S
	x3.Sub(x3, new(big.Int).Lsh(s, 1))
	x3.Mod(x3, m)
	y4 := yy.Mul(yy, yy) // Y3 = M·(S − X3) − 8·Y⁴
	y4.Lsh(y4, 3)
	y3 := new(big.Int).Sub(s, x3)
	y3.Mul(y3, mm)
	y3.Sub(y3, y4)
	y3.Mod(y3, m)
	z3 := new(big.Int).Mul(p.y, p.z) // Z3 = 2·Y·Z
	z3.Lsh(z3, 1).Mod(z3, m)
	return jacobian{x3, y3, z3}
}

func (c *Curve) add(p, q jacobian) jacobian {
	if p.z.Sign() == 0 {
		return q
	}
	if q.z.Sign() == 0 {
		return p
	}
	m := c.P
	z1z1 := new(big.Int).Mul(p.z, p.z)
	z1z1.Mod(z1z1, m)
	z2z2 := new(big.Int).Mul(q.z, q.z)
	z2z2.Mod(z2z2, m)
	u1 := new(big.Int).Mul(p.x, z2z2)
	u1.Mod(u1, m)
	u2 := new(big.Int).Mul(q.x, z1z1)
	u2.Mod(u2, m)
	s1 := new(big.Int).Mul(p.y, z2z2)
	s1.Mul(s1, q.z).Mod(s1, m)
	s2 := new(big.Int).Mul(q.y, z1z1)
	s2.Mul(s2, p.z).Mod(s2, m)
	h := new(big.Int).Sub(u2, u1)
	h.Mod(h, m)
	r := new(big.Int).Sub(s2, s1)
	r.Mod(r, m)
	if h.Sign() == 0 {
		if r.Sign() == 0 {
			return c.double(p)
		}
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	hh := new(big.Int).Mul(h, h)
	hh.Mod(hh, m)
	hhh := new(big.Int).Mul(hh, h)
	hhh.Mod(hhh, m)
	v := new(big.Int).Mul(u1, hh)
	v.Mod(v, m)
	x3 := new(big.Int).Mul(r, r) // X3 = R² − H³ − 2·U1·H²
	x3.Sub(x3, hhh)
	x3.Sub(x3, new(big.Int).Lsh(v, 1))
	x3.Mod(x3, m)
	y3 := new(big.Int).Sub(v, x3) // Y3 = R·(U1·H² − X3) − S1·H³
	y3.Mul(y3, r)
	y3.Sub(y3, s1.Mul(s1, hhh))
	y3.Mod(y3, m)
	z3 := new(big.Int).Mul(p.z, q.z) // Z3 = H·Z1·Z2
	z3.Mul(z3, h).Mod(z3, m)
	return jacobian{x3, y3, z3}
}

// Add is the sum of two points; nil, nil is the point at infinity.
func (c *Curve) Add(x1, y1, x2, y2 *big.Int) (x, y *big.Int) {
	return c.toAffine(c.add(c.toJacobian(x1, y1), c.toJacobian(x2, y2)))
}

// ScalarMult is k·(x, y); nil, nil is the point at infinity.
func (c *Curve) ScalarMult(x, y, k *big.Int) (*big.Int, *big.Int) {
	p := c.toJacobian(x, y)
	acc := c.toJacobian(nil, nil)
	for i := k.BitLen() - 1; i >= 0; i-- {
		acc = c.double(acc)
		if k.Bit(i) == 1 {
			acc = c.add(acc, p)
		}
	}
	return c.toAffine(acc)
}

// ScalarBaseMult is k·G.
func (c *Curve) ScalarBaseMult(k *big.Int) (*big.Int, *big.Int) {
	return c.ScalarMult(c.Gx, c.Gy, k)
}

// Marshal encodes a point uncompressed: 04 || X || Y.
func (c *Curve) Marshal(x, y *big.Int) []byte {
	out := make([]byte, 1+2*c.byteLen)
	out[0] = 4
	x.FillBytes(out[1 : 1+c.byteLen])
	y.FillBytes(out[1+c.byteLen:])
	return out
}

// Unmarshal decodes an uncompressed point; nil, nil when b is not one or the
// point is not on the curve.
func (c *Curve) Unmarshal(b []byte) (x, y *big.Int) {
	if len(b) != 1+2*c.byteLen || b[0] != 4 {
		return nil, nil
	}
	x = new(big.Int).SetBytes(b[1 : 1+c.byteLen])
	y = new(big.Int).SetBytes(b[1+c.byteLen:])
	if !c.IsOnCurve(x, y) {
		return nil, nil
	}
	return x, y
}
