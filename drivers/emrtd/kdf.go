package emrtd

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"strings"
)

// KDF counters of Doc 9303 Part 11 §9.7.1.
const (
	counterEnc = 1 // K_enc, KS_enc
	counterMAC = 2 // K_mac, KS_mac
	counterPI  = 3 // PACE's password key K_π
)

// MRZInfo is what the access key is derived from: three fields of the MRZ.
type MRZInfo struct {
	DocumentNumber string // as in the MRZ; "<"-padded to nine characters when shorter
	BirthDate      string // YYMMDD
	ExpiryDate     string // YYMMDD
}

// information is the MRZ information of Doc 9303 Part 11 §9.7.2: number,
// birth and expiry, each followed by its check digit.
func (m MRZInfo) information() []byte {
	num := strings.ToUpper(strings.TrimSpace(m.DocumentNumber))
	for len(num) < 9 {
		num += "<"
	}
	var b strings.Builder
	for _, f := range []string{num, m.BirthDate, m.ExpiryDate} {
		b.WriteString(f)
		b.WriteByte(checkDigit(f))
	}
	return []byte(b.String())
}

// KeySeed is BAC's K_seed: the first 16 bytes of SHA-1 of the MRZ information.
func (m MRZInfo) KeySeed() []byte {
	h := sha1.Sum(m.information())
	return h[:16]
}

// paceSecret is f(π) of PACE with the MRZ: the whole SHA-1 of the MRZ information.
func (m MRZInfo) paceSecret() []byte {
	h := sha1.Sum(m.information())
	return h[:]
}

// checkDigit is Doc 9303 Part 3 §4.9: weights 7, 3, 1; digits as themselves,
// A–Z as 10–35, "<" (and anything else) as 0.
func checkDigit(s string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		v := 0
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10)
}

// DeriveKey is the key derivation function of Doc 9303 Part 11 §9.7.1:
// hash(seed || counter), SHA-1 for "3DES" and "AES-128", SHA-256 for
// "AES-192" and "AES-256". A 3DES key is 16 bytes (K_a || K_b) with the DES
// parity bits set. Counter 1 gives the encryption key, 2 the MAC key, 3
// PACE's password key. An unknown cipher gives nil.
func DeriveKey(seed []byte, counter uint32, cipher string) []byte {
	d := make([]byte, 0, len(seed)+4)
	d = append(d, seed...)
	d = binary.BigEndian.AppendUint32(d, counter)
	switch cipher {
	case Cipher3DES:
		h := sha1.Sum(d)
		k := append([]byte(nil), h[:16]...)
		setDESParity(k)
		return k
	case CipherAES128:
		h := sha1.Sum(d)
		return append([]byte(nil), h[:16]...)
	case CipherAES192:
		h := sha256.Sum256(d)
		return append([]byte(nil), h[:24]...)
	case CipherAES256:
		h := sha256.Sum256(d)
		return append([]byte(nil), h[:]...)
	}
	return nil
}

// setDESParity makes every byte's bit count odd (the lowest bit is DES's parity bit).
func setDESParity(k []byte) {
	for i, b := range k {
		b &^= 1
		ones := 0
		for x := b; x != 0; x &= x - 1 {
			ones++
		}
		if ones%2 == 0 {
			b |= 1
		}
		k[i] = b
	}
}
