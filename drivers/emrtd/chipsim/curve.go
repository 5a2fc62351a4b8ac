package chipsim

import (
	"io"
	"math/big"
)

// curve is a short Weierstrass curve y² = x³ + ax + b over GF(p) in affine
// coordinates with math/big: slow and not constant time, which a simulated
// card can afford. The standard library has no brainpool curves.
type curve struct {
	p, a, b, n, gx, gy *big.Int
	size               int // bytes of a coordinate
}

type point struct{ x, y *big.Int } // x == nil is the point at infinity

func hexInt(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("chipsim: bad constant " + s)
	}
	return v
}

// brainpoolP256r1 (RFC 5639, 3.4), PACE standardized domain parameters 13.
var brainpoolP256r1 = &curve{
	p:    hexInt("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377"),
	a:    hexInt("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9"),
	b:    hexInt("26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"),
	gx:   hexInt("8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262"),
	gy:   hexInt("547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997"),
	n:    hexInt("A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
	size: 32,
}

func (c *curve) g() point { return point{c.gx, c.gy} }

func (c *curve) onCurve(q point) bool {
	if q.x == nil || q.x.Sign() < 0 || q.y.Sign() < 0 || q.x.Cmp(c.p) >= 0 || q.y.Cmp(c.p) >= 0 {
		return false
	}
	l := new(big.Int).Mul(q.y, q.y)
	r := new(big.Int).Mul(q.x, q.x)
	r.Add(r, c.a).Mul(r, q.x).Add(r, c.b)
	return l.Sub(l, r).Mod(l, c.p).Sign() == 0
}

func (c *curve) add(q, r point) point {
	if q.x == nil {
		return r
	}
	if r.x == nil {
		return q
	}
	var lambda *big.Int
	if q.x.Cmp(r.x) == 0 {
		sum := new(big.Int).Add(q.y, r.y)
		if sum.Mod(sum, c.p).Sign() == 0 {
			return point{}
		}
		num := new(big.Int).Mul(q.x, q.x)
		num.Mul(num, big.NewInt(3)).Add(num, c.a)
		den := new(big.Int).Lsh(q.y, 1)
		den.Mod(den, c.p)
		lambda = num.Mul(num, new(big.Int).ModInverse(den, c.p))
	} else {
		num := new(big.Int).Sub(r.y, q.y)
		den := new(big.Int).Sub(r.x, q.x)
		den.Mod(den, c.p)
		lambda = num.Mul(num, new(big.Int).ModInverse(den, c.p))
	}
	lambda.Mod(lambda, c.p)
	x := new(big.Int).Mul(lambda, lambda)
	x.Sub(x, q.x).Sub(x, r.x).Mod(x, c.p)
	y := new(big.Int).Sub(q.x, x)
	y.Mul(y, lambda).Sub(y, q.y).Mod(y, c.p)
	return point{x, y}
}

func (c *curve) mul(q point, k *big.Int) point {
	var r point
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = c.add(r, r)
		if k.Bit(i) == 1 {
			r = c.add(r, q)
		}
	}
	return r
}

// scalar draws a private key in [1, n-1] by rejection sampling.
func (c *curve) scalar(rnd io.Reader) (*big.Int, error) {
	b := make([]byte, c.size)
	for {
		if _, err := io.ReadFull(rnd, b); err != nil {
			return nil, err
		}
		k := new(big.Int).SetBytes(b)
		if k.Sign() > 0 && k.Cmp(c.n) < 0 {
			return k, nil
		}
	}
}

// encode gives the uncompressed encoding 04 || X || Y.
func (c *curve) encode(q point) []byte {
	out := make([]byte, 1+2*c.size)
	out[0] = 4
	q.x.FillBytes(out[1 : 1+c.size])
	q.y.FillBytes(out[1+c.size:])
	return out
}

// decode reads an uncompressed point and checks it lies on the curve.
func (c *curve) decode(b []byte) (point, bool) {
	if len(b) != 1+2*c.size || b[0] != 4 {
		return point{}, false
	}
	q := point{new(big.Int).SetBytes(b[1 : 1+c.size]), new(big.Int).SetBytes(b[1+c.size:])}
	return q, c.onCurve(q)
}
