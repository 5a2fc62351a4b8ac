package emrtd

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// BAC runs Basic Access Control (Doc 9303 Part 11 §4.3) with the MRZ's key on
// a chip whose eMRTD application is selected: GET CHALLENGE, then EXTERNAL
// (MUTUAL) AUTHENTICATE with 3DES and the retail MAC, then the session keys
// and SSC. A refused key is ErrAccessDenied.
func BAC(t Transmitter, m MRZInfo) (*Session, error) {
	return bac(t, m, rand.Reader)
}

func bac(t Transmitter, m MRZInfo, rnd io.Reader) (*Session, error) {
	seed := m.KeySeed()
	kEnc := DeriveKey(seed, counterEnc, Cipher3DES)
	kMac := DeriveKey(seed, counterMAC, Cipher3DES)

	rndIC, err := transmitOK(t, "GET CHALLENGE", []byte{0x00, 0x84, 0x00, 0x00, 0x08})
	if err != nil {
		return nil, fmt.Errorf("emrtd: BAC: %w", err)
	}
	if len(rndIC) != 8 {
		return nil, fmt.Errorf("emrtd: BAC: challenge of %d bytes: %w", len(rndIC), ErrNotEMRTD)
	}
	s := make([]byte, 32) // RND.IFD || RND.IC || K.IFD
	if _, err := io.ReadFull(rnd, s[:8]); err != nil {
		return nil, err
	}
	copy(s[8:16], rndIC)
	if _, err := io.ReadFull(rnd, s[16:]); err != nil {
		return nil, err
	}
	eIFD, err := Encrypt(Cipher3DES, kEnc, nil, s)
	if err != nil {
		return nil, err
	}
	cmd := append([]byte{0x00, 0x82, 0x00, 0x00, 0x28}, eIFD...)
	cmd = append(cmd, MAC(Cipher3DES, kMac, eIFD)...)
	cmd = append(cmd, 0x28)
	resp, err := transmitOK(t, "EXTERNAL AUTHENTICATE", cmd)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && isAuthFailure(se.SW) {
			return nil, ErrAccessDenied
		}
		return nil, fmt.Errorf("emrtd: BAC: %w", err)
	}
	if len(resp) != 40 {
		return nil, fmt.Errorf("emrtd: BAC: answer of %d bytes: %w", len(resp), ErrNotEMRTD)
	}
	if subtle.ConstantTimeCompare(MAC(Cipher3DES, kMac, resp[:32]), resp[32:]) != 1 {
		return nil, fmt.Errorf("emrtd: BAC: the chip's MAC does not verify: %w", ErrAccessDenied)
	}
	r, err := Decrypt(Cipher3DES, kEnc, nil, resp[:32]) // RND.IC || RND.IFD || K.IC
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(r[:8], rndIC) || !bytes.Equal(r[8:16], s[:8]) {
		return nil, fmt.Errorf("emrtd: BAC: the chip's answer does not hold our challenges: %w", ErrAccessDenied)
	}
	kSeed := make([]byte, 16)
	subtle.XORBytes(kSeed, s[16:], r[16:])
	ssc := append(append([]byte(nil), rndIC[4:]...), s[4:8]...)
	sm, err := NewSM(Cipher3DES, DeriveKey(kSeed, counterEnc, Cipher3DES), DeriveKey(kSeed, counterMAC, Cipher3DES), ssc)
	if err != nil {
		return nil, err
	}
	return NewSession(t, sm, "BAC"), nil
}

// isAuthFailure is a status word by which a chip refuses an authentication:
// 6300 / 63Cx (verification failed), 6982 (security status not satisfied),
// 6A80 (wrong data).
func isAuthFailure(sw uint16) bool {
	return sw>>8 == 0x63 || sw == 0x6982 || sw == 0x6A80 || sw == 0x6984
}
