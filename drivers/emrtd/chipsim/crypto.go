package chipsim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
)

// The card's own symmetric cryptography (Doc 9303 Part 11, 9.7 and 9.8):
// the key derivation function, 3DES-CBC with the ISO 9797-1 MAC algorithm 3
// (retail MAC) for BAC, AES-CBC with AES-CMAC for PACE. It is the card side,
// written from the specification, so a reader bug is not mirrored by the card.

const (
	kdfEnc = 1
	kdfMac = 2
	kdfPi  = 3
)

// kdf derives a key from a shared secret and a counter: SHA-1 for 3DES and
// AES-128, SHA-256 for longer AES keys; 3DES keys get their parity bits set.
func kdf(secret []byte, counter uint32, aesKeyLen int) []byte {
	in := make([]byte, len(secret)+4)
	copy(in, secret)
	binary.BigEndian.PutUint32(in[len(secret):], counter)
	if aesKeyLen == 0 { // 3DES
		h := sha1.Sum(in)
		k := append([]byte(nil), h[:16]...)
		setParity(k)
		return k
	}
	if aesKeyLen == 16 {
		h := sha1.Sum(in)
		return append([]byte(nil), h[:16]...)
	}
	h := sha256.Sum256(in)
	return append([]byte(nil), h[:aesKeyLen]...)
}

func setParity(k []byte) {
	for i, b := range k {
		b &^= 1
		ones := 0
		for x := b; x != 0; x >>= 1 {
			ones += int(x & 1)
		}
		if ones%2 == 0 {
			b |= 1
		}
		k[i] = b
	}
}

// des3 returns the two-key 3DES block cipher K1 K2 K1.
func des3(k []byte) cipher.Block {
	key := make([]byte, 24)
	copy(key, k[:16])
	copy(key[16:], k[:8])
	b, err := des.NewTripleDESCipher(key)
	if err != nil {
		panic(err) // the key length is fixed above
	}
	return b
}

func newAES(k []byte) cipher.Block {
	b, err := aes.NewCipher(k)
	if err != nil {
		panic(err) // keys come from kdf with a valid length
	}
	return b
}

// pad applies ISO/IEC 9797-1 padding method 2 to a multiple of size.
func pad(b []byte, size int) []byte {
	out := append(append([]byte(nil), b...), 0x80)
	for len(out)%size != 0 {
		out = append(out, 0)
	}
	return out
}

// unpad removes padding method 2; ok is false when it is malformed.
func unpad(b []byte) ([]byte, bool) {
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case 0:
			continue
		case 0x80:
			return b[:i], true
		}
		return nil, false
	}
	return nil, false
}

func cbcEncrypt(b cipher.Block, iv, data []byte) []byte {
	out := make([]byte, len(data))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
	return out
}

func cbcDecrypt(b cipher.Block, iv, data []byte) []byte {
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	return out
}

// retailMAC is ISO 9797-1 MAC algorithm 3 with DES over data already padded:
// single-DES CBC with K1, then decrypt with K2 and encrypt with K1.
func retailMAC(k, padded []byte) []byte {
	k1, err := des.NewCipher(k[:8])
	if err != nil {
		panic(err)
	}
	k2, err := des.NewCipher(k[8:16])
	if err != nil {
		panic(err)
	}
	h := make([]byte, 8)
	for i := 0; i < len(padded); i += 8 {
		subtle.XORBytes(h, h, padded[i:i+8])
		k1.Encrypt(h, h)
	}
	k2.Decrypt(h, h)
	k1.Encrypt(h, h)
	return h
}

// cmac is AES-CMAC (NIST SP 800-38B) truncated to 8 bytes, as secure
// messaging and PACE authentication tokens use it.
func cmac(k, msg []byte) []byte {
	b := newAES(k)
	l := make([]byte, 16)
	b.Encrypt(l, l)
	k1 := dbl(l)
	k2 := dbl(k1)
	n := (len(msg) + 15) / 16
	last := make([]byte, 16)
	if n == 0 || len(msg)%16 != 0 {
		if n == 0 {
			n = 1
		}
		copy(last, pad(msg[(n-1)*16:], 16))
		subtle.XORBytes(last, last, k2)
	} else {
		copy(last, msg[(n-1)*16:])
		subtle.XORBytes(last, last, k1)
	}
	x := make([]byte, 16)
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x, x, msg[i*16:i*16+16])
		b.Encrypt(x, x)
	}
	subtle.XORBytes(x, x, last)
	b.Encrypt(x, x)
	return x[:8]
}

func dbl(in []byte) []byte {
	out := make([]byte, 16)
	carry := byte(0)
	for i := 15; i >= 0; i-- {
		out[i] = in[i]<<1 | carry
		carry = in[i] >> 7
	}
	if in[0]&0x80 != 0 {
		out[15] ^= 0x87
	}
	return out
}
