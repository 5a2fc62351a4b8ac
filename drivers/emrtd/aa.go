package emrtd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/big"

	_ "crypto/sha1"   // hashes of ISO/IEC 9796-2 and ECDSA signatures
	_ "crypto/sha256" //
	_ "crypto/sha512" //
)

// ErrActiveAuth means the chip's signature of our challenge did not verify
// with the public key of DG15: the chip does not hold the key the issuer
// signed (a copied chip).
var ErrActiveAuth = errors.New("emrtd: active authentication failed: the chip did not prove its key")

// errAANotSupported means active authentication could not be run: the chip
// refuses INTERNAL AUTHENTICATE or its key is of a kind we do not check.
var errAANotSupported = errors.New("emrtd: active authentication not supported")

// ActiveAuth runs active authentication (Doc 9303 Part 11 §6.1): INTERNAL
// AUTHENTICATE with an 8-byte challenge from rnd, and the chip's signature
// checked with pub, DG15's key: RSA with ISO/IEC 9796-2 digital signature
// scheme 1 (partial message recovery; SHA-1 by trailer BC, or the hash the
// trailer xxCC names), or ECDSA (NIST curves) with a plain r||s signature
// over a SHA-1/224/256/384/512 hash of the challenge. A signature that does
// not verify is ErrActiveAuth.
func ActiveAuth(t Transmitter, pub crypto.PublicKey, rnd io.Reader) error {
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return fmt.Errorf("%w: key %T", errAANotSupported, pub)
	}
	challenge := make([]byte, 8)
	if _, err := io.ReadFull(rnd, challenge); err != nil {
		return err
	}
	apdu := append([]byte{0x00, 0x88, 0x00, 0x00, 0x08}, challenge...)
	apdu = append(apdu, 0x00)
	sig, err := transmitOK(t, "INTERNAL AUTHENTICATE", apdu)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && (se.SW == 0x6D00 || se.SW == 0x6E00 || se.SW == 0x6A81) {
			return fmt.Errorf("%w: %v", errAANotSupported, err)
		}
		return err
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return verifyISO9796(k, challenge, sig)
	case *ecdsa.PublicKey:
		return verifyPlainECDSA(k, challenge, sig)
	}
	return nil
}

// hashOfTrailer maps ISO/IEC 10118-3 hash identifiers of a two-byte trailer
// (xx CC) to Go's hashes.
var hashOfTrailer = map[byte]crypto.Hash{
	0x33: crypto.SHA1, 0x34: crypto.SHA256, 0x35: crypto.SHA512, 0x36: crypto.SHA384, 0x38: crypto.SHA224,
}

// verifyISO9796 checks an ISO/IEC 9796-2 scheme 1 signature with partial
// message recovery: the representative F = 6A || M1 || H(M1 || M2) || trailer,
// M2 the challenge.
func verifyISO9796(k *rsa.PublicKey, m2, sig []byte) error {
	n := k.N
	size := (n.BitLen() + 7) / 8
	s := new(big.Int).SetBytes(sig)
	if len(sig) == 0 || len(sig) > size || s.Cmp(n) >= 0 {
		return fmt.Errorf("%w: signature of %d bytes", ErrActiveAuth, len(sig))
	}
	j := new(big.Int).Exp(s, big.NewInt(int64(k.E)), n)
	if j.Bit(0) != 0 || j.Bit(1) != 0 || j.Bit(2) != 1 || j.Bit(3) != 1 { // J ≡ 12 (mod 16), else n − J
		j.Sub(n, j)
	}
	f := j.FillBytes(make([]byte, size))
	if n.BitLen()%8 == 1 { // a modulus of 8k+1 bits gives a representative one byte shorter
		f = f[1:]
	}
	var h crypto.Hash
	trailer := 1
	switch f[len(f)-1] {
	case 0xBC:
		h = crypto.SHA1
	case 0xCC:
		trailer = 2
		var ok bool
		if h, ok = hashOfTrailer[f[len(f)-2]]; !ok {
			return fmt.Errorf("%w: unknown hash %02X in the trailer", ErrActiveAuth, f[len(f)-2])
		}
	default:
		return fmt.Errorf("%w: the signature does not open to an ISO/IEC 9796-2 representative", ErrActiveAuth)
	}
	if f[0] != 0x6A {
		return fmt.Errorf("%w: the signature's header is not 6A", ErrActiveAuth)
	}
	end := len(f) - trailer - h.Size()
	if end < 1 {
		return fmt.Errorf("%w: representative too short", ErrActiveAuth)
	}
	d := h.New()
	d.Write(f[1:end])
	d.Write(m2)
	if subtle.ConstantTimeCompare(d.Sum(nil), f[end:len(f)-trailer]) != 1 {
		return fmt.Errorf("%w: the recovered hash does not match", ErrActiveAuth)
	}
	return nil
}

// verifyPlainECDSA checks r||s (BSI TR-03111 plain format) over a hash of the
// challenge; which hash DG14 names is not known here, so any of the usual
// ones that verifies is accepted.
func verifyPlainECDSA(k *ecdsa.PublicKey, challenge, sig []byte) error {
	size := (k.Curve.Params().N.BitLen() + 7) / 8
	if len(sig) != 2*size {
		return fmt.Errorf("%w: signature of %d bytes for a %d-bit key", ErrActiveAuth, len(sig), k.Curve.Params().BitSize)
	}
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA1, crypto.SHA224, crypto.SHA384, crypto.SHA512} {
		d := h.New()
		d.Write(challenge)
		if ecdsa.Verify(k, d.Sum(nil), r, s) {
			return nil
		}
	}
	return fmt.Errorf("%w: the ECDSA signature does not verify", ErrActiveAuth)
}
