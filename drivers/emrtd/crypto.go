package emrtd

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"errors"
	"fmt"
)

// The ciphers of secure messaging and of the KDF, by the names DeriveKey takes.
const (
	Cipher3DES   = "3DES"
	CipherAES128 = "AES-128"
	CipherAES192 = "AES-192"
	CipherAES256 = "AES-256"
)

// blockSize is the cipher's block size (8 for 3DES, 16 for AES); 0 when unknown.
func blockSize(name string) int {
	switch name {
	case Cipher3DES:
		return 8
	case CipherAES128, CipherAES192, CipherAES256:
		return 16
	}
	return 0
}

// keySize is the length of a key DeriveKey gives for the cipher.
func keySize(name string) int {
	switch name {
	case Cipher3DES, CipherAES128:
		return 16
	case CipherAES192:
		return 24
	case CipherAES256:
		return 32
	}
	return 0
}

// newBlock makes the block cipher of a key: two-key 3DES (16 bytes, K_a K_b
// K_a) or AES.
func newBlock(name string, key []byte) (cipher.Block, error) {
	if len(key) != keySize(name) {
		return nil, fmt.Errorf("emrtd: %s key of %d bytes", name, len(key))
	}
	if name == Cipher3DES {
		k := make([]byte, 0, 24)
		k = append(append(k, key...), key[:8]...)
		return des.NewTripleDESCipher(k)
	}
	return aes.NewCipher(key)
}

// pad is ISO/IEC 9797-1 padding method 2 (ISO 7816-4): 0x80 then zeros up to
// a multiple of the block size.
func pad(b []byte, bs int) []byte {
	out := make([]byte, len(b), len(b)+bs)
	copy(out, b)
	out = append(out, 0x80)
	for len(out)%bs != 0 {
		out = append(out, 0)
	}
	return out
}

// unpad removes padding method 2.
func unpad(b []byte) ([]byte, error) {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == 0 {
			continue
		}
		if b[i] == 0x80 {
			return b[:i], nil
		}
		break
	}
	return nil, errors.New("bad padding")
}

// Encrypt is CBC encryption without padding: data must be whole blocks. iv nil
// means zeros.
func Encrypt(name string, key, iv, data []byte) ([]byte, error) {
	return cbc(name, key, iv, data, true)
}

// Decrypt is CBC decryption without padding: data must be whole blocks. iv nil
// means zeros.
func Decrypt(name string, key, iv, data []byte) ([]byte, error) {
	return cbc(name, key, iv, data, false)
}

func cbc(name string, key, iv, data []byte, encrypt bool) ([]byte, error) {
	b, err := newBlock(name, key)
	if err != nil {
		return nil, err
	}
	return cbcBlock(b, iv, data, encrypt)
}

func cbcBlock(b cipher.Block, iv, data []byte, encrypt bool) ([]byte, error) {
	bs := b.BlockSize()
	if len(data)%bs != 0 {
		return nil, fmt.Errorf("emrtd: %d bytes are not whole blocks", len(data))
	}
	if iv == nil {
		iv = make([]byte, bs)
	}
	if len(iv) != bs {
		return nil, fmt.Errorf("emrtd: IV of %d bytes", len(iv))
	}
	out := make([]byte, len(data))
	if encrypt {
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
	} else {
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	}
	return out, nil
}

// MAC is the 8-byte message authentication code of secure messaging and of
// BAC/PACE: the message is padded (method 2) to the cipher's block size, then
// ISO/IEC 9797-1 MAC algorithm 3 with single DES (the "retail MAC") for
// "3DES", or CMAC truncated to 8 bytes for AES. An unusable key gives nil.
func MAC(name string, key, msg []byte) []byte {
	m, err := newMACer(name, key)
	if err != nil {
		return nil
	}
	return m.mac(pad(msg, blockSize(name)))
}

// macer computes the MAC of already padded messages with a key set up once.
type macer struct {
	ka, kb cipher.Block // retail MAC: single-DES K_a, K_b
	aes    cipher.Block // CMAC
	k1, k2 []byte       // CMAC subkeys
}

func newMACer(name string, key []byte) (*macer, error) {
	if len(key) != keySize(name) {
		return nil, fmt.Errorf("emrtd: %s MAC key of %d bytes", name, len(key))
	}
	if name == Cipher3DES {
		ka, err := des.NewCipher(key[:8])
		if err != nil {
			return nil, err
		}
		kb, err := des.NewCipher(key[8:16])
		if err != nil {
			return nil, err
		}
		return &macer{ka: ka, kb: kb}, nil
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	k1, k2 := cmacSubkeys(b)
	return &macer{aes: b, k1: k1, k2: k2}, nil
}

// mac of a message already padded to whole blocks.
func (m *macer) mac(msg []byte) []byte {
	if m.aes != nil {
		return cmac(m.aes, m.k1, m.k2, msg)[:8]
	}
	h := make([]byte, 8)
	for i := 0; i+8 <= len(msg); i += 8 {
		for j := 0; j < 8; j++ {
			h[j] ^= msg[i+j]
		}
		m.ka.Encrypt(h, h)
	}
	m.kb.Decrypt(h, h)
	m.ka.Encrypt(h, h)
	return h
}

// cmacSubkeys derives K1 and K2 of NIST SP 800-38B §6.1.
func cmacSubkeys(b cipher.Block) (k1, k2 []byte) {
	l := make([]byte, 16)
	b.Encrypt(l, l)
	k1 = shiftLeft(l)
	k2 = shiftLeft(k1)
	return k1, k2
}

func shiftLeft(in []byte) []byte {
	out := make([]byte, len(in))
	for i := range in {
		out[i] = in[i] << 1
		if i+1 < len(in) {
			out[i] |= in[i+1] >> 7
		}
	}
	if in[0]&0x80 != 0 {
		out[len(out)-1] ^= 0x87
	}
	return out
}

// cmac is AES-CMAC (NIST SP 800-38B, RFC 4493), the full 16 bytes.
func cmac(b cipher.Block, k1, k2, msg []byte) []byte {
	n := (len(msg) + 15) / 16
	last := make([]byte, 16)
	if n == 0 || len(msg)%16 != 0 {
		if n == 0 {
			n = 1
		}
		rest := msg[(n-1)*16:]
		copy(last, rest)
		last[len(rest)] = 0x80
		for i := range last {
			last[i] ^= k2[i]
		}
	} else {
		copy(last, msg[(n-1)*16:])
		for i := range last {
			last[i] ^= k1[i]
		}
	}
	x := make([]byte, 16)
	for i := 0; i < n-1; i++ {
		for j := 0; j < 16; j++ {
			x[j] ^= msg[i*16+j]
		}
		b.Encrypt(x, x)
	}
	for j := 0; j < 16; j++ {
		x[j] ^= last[j]
	}
	b.Encrypt(x, x)
	return x
}
