// Package chipsim is a software CCCD chip: an ICAO Doc 9303 eMRTD
// application answering APDUs, for tests and for the kiosk's simulator. Its
// Card implements vpcd.Card, so Debian's pcscd sees it in a virtual reader
// exactly as it sees a card on a contactless reader.
//
// The card side is written from Doc 9303 Part 11 and pinned by its worked
// examples (Appendix D for BAC and secure messaging, Appendix G.1 for PACE):
// SELECT (MF, the application A0000002471001, EFs by FID), GET CHALLENGE,
// EXTERNAL AUTHENTICATE (BAC: a wrong MRZ gives 6300, uses up the
// challenge, never locks the card), MSE:Set AT and GENERAL AUTHENTICATE
// (PACE, generic mapping, ECDH on brainpoolP256r1, AES-128, with the MRZ or
// the CAN), secure messaging on every command after (an unprotected command
// or a wrong MAC gives 6988 and ends the session, as real chips do), READ
// BINARY (short, extended, odd INS; EF.CardAccess unsecured), INTERNAL
// AUTHENTICATE (Active Authentication, ECDSA or RSA ISO/IEC 9796-2), and
// Chip Authentication inside a session (MSE:Set KAT, or MSE:Set AT and
// GENERAL AUTHENTICATE; new session keys from the agreed point; a clone
// option holding another key than DG14 names).
//
// The files are built with package lds from a Holder: DG1 from the MRZ, DG2
// from the face, DG13 from the Vietnamese fields, DG15 (and DG14 for ECDSA)
// with Active Authentication, EF.SOD signed by the document signer of
// Options.PKI. testdata/epass.py serves a card we did not write, vicc's
// ePass, for the same tests.
package chipsim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"

	"xephang/drivers/emrtd/lds"
)

// Holder is who the card belongs to.
type Holder struct {
	MRZ  string   // TD1, three lines of 30 joined by "\n" (or TD3, two of 44)
	DG13 lds.DG13 // Vietnamese data, with diacritics
	Face lds.Face // DG2's portrait
}

// Options shape the card.
type Options struct {
	PKI        *lds.PKI      // signs EF.SOD; nil: a fresh test PKI nobody trusts
	PACE       bool          // offer PACE in EF.CardAccess (BAC stays available)
	CAN        string        // PACE's card access number (6 digits); "" for MRZ only
	ActiveAuth bool          // DG15 and INTERNAL AUTHENTICATE
	AAKey      crypto.Signer // the Active Authentication key: *ecdsa.PrivateKey or *rsa.PrivateKey; nil: a new P-256 key
	Alter      bool          // DG13 changed after EF.SOD was signed, as a forger would

	// ChipAuth gives the card Chip Authentication (version 1): its public
	// key and protocol in DG14, MSE and GENERAL AUTHENTICATE in a session.
	ChipAuth bool
	CACipher string // "3DES", "AES-128" (""), "AES-192" or "AES-256"
	CACurve  string // "brainpoolP256r1" ("", explicit parameters in DG14), "P-256" (named) or "DH-2048" (RFC 5114's 2048-bit group, X9.42 parameters)
	CAKey    []byte // the private key, a big-endian scalar; nil: a new one
	CAClone  bool   // a clone: DG14 names the key above, the card holds another
}

// Card is a simulated chip; it implements vpcd.Card and is safe for
// concurrent use.
type Card struct {
	c *card
}

// ATR returns the answer to reset of a contactless card with extended length.
func (c *Card) ATR() []byte { return append([]byte(nil), c.c.atr...) }

// Transmit answers one command APDU: response data and status word.
func (c *Card) Transmit(apdu []byte) []byte { return c.c.transmit(apdu) }

// Reset ends any session and selection, as a power cycle does.
func (c *Card) Reset() { c.c.reset() }

// Files returns a copy of the card's files by FID (EF.CardAccess 011C when
// PACE is offered), as the chip holds them.
func (c *Card) Files() map[uint16][]byte {
	out := map[uint16][]byte{}
	for fid, f := range c.c.lds {
		out[fid] = append([]byte(nil), f...)
	}
	for fid, f := range c.c.mf {
		out[fid] = append([]byte(nil), f...)
	}
	return out
}

// ErrHolder is returned by New for a holder it cannot make a card of.
var ErrHolder = errors.New("chipsim: holder incomplete")

// PACEOID is the PACE protocol the card offers: id-PACE-ECDH-GM-AES-CBC-CMAC-128
// on brainpoolP256r1 (parameter ID 13).
const PACEOID = "0.4.0.127.0.7.2.2.4.2.2"

// New makes a card for h.
func New(h Holder, o Options) (*Card, error) {
	info, err := mrzInformation(h.MRZ)
	if err != nil {
		return nil, err
	}
	if len(h.Face.Data) == 0 {
		return nil, fmt.Errorf("%w: no face", ErrHolder)
	}
	pki := o.PKI
	if pki == nil {
		if pki, err = lds.NewPKI("VN", "chipsim"); err != nil {
			return nil, fmt.Errorf("chipsim: %w", err)
		}
	}
	dgs := map[int][]byte{
		1:  lds.BuildDG1(h.MRZ),
		2:  lds.BuildDG2(h.Face),
		13: lds.BuildDG13(h.DG13),
	}
	var aaKey crypto.Signer
	if o.ActiveAuth {
		aaKey = o.AAKey
		if aaKey == nil {
			if aaKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
				return nil, fmt.Errorf("chipsim: %w", err)
			}
		}
		if dgs[15], err = lds.BuildDG15(aaKey.Public()); err != nil {
			return nil, fmt.Errorf("chipsim: %w", err)
		}
	}
	var infos []asn1.RawValue
	if _, ok := aaKey.(*ecdsa.PrivateKey); ok {
		infos = append(infos, activeAuthInfo())
	}
	var ca *caKey
	if o.ChipAuth {
		var caInfos []asn1.RawValue
		if ca, caInfos, err = caSetup(o, rand.Reader); err != nil {
			return nil, err
		}
		infos = append(infos, caInfos...)
	}
	if len(infos) > 0 {
		set, err := asn1.MarshalWithParams(infos, "set")
		if err != nil {
			return nil, fmt.Errorf("chipsim: DG14: %w", err)
		}
		dgs[14] = tlv(nil, 0x6E, set)
	}
	sod, err := lds.BuildSOD(dgs, crypto.SHA256, pki.DS, pki.DSKey)
	if err != nil {
		return nil, fmt.Errorf("chipsim: %w", err)
	}
	if o.Alter {
		d := h.DG13
		d.Residence = "Số 10 Lý Thái Tổ, phường Hoàn Kiếm, Hà Nội"
		if d.Residence == h.DG13.Residence {
			d.Residence += "."
		}
		dgs[13] = lds.BuildDG13(d)
	}
	nums := make([]int, 0, len(dgs))
	for _, n := range []int{1, 2, 13, 14, 15} {
		if dgs[n] != nil {
			nums = append(nums, n)
		}
	}
	files := map[uint16][]byte{0x011E: lds.BuildCOM(nums), 0x011D: sod}
	for n, b := range dgs {
		files[0x0100|uint16(n)] = b
	}
	var cardAccess []byte
	if o.PACE {
		cardAccess = lds.BuildCardAccess([]lds.PACEInfo{{OID: paceOID, Version: 2, ParameterID: paceParameterID}})
	}
	can := ""
	if o.PACE {
		can = o.CAN
	}
	c := newChip(info, files, cardAccess, can, aaKey, nil)
	c.caKey = ca
	return &Card{c: c}, nil
}

// mrzInformation is the document number, birth date and expiry date with
// their check digits, which BAC and PACE derive their keys from.
func mrzInformation(mrz string) (string, error) {
	lines := strings.Split(strings.TrimSpace(mrz), "\n")
	switch {
	case len(lines) == 3 && len(lines[0]) == 30 && len(lines[1]) == 30:
		return lines[0][5:15] + lines[1][0:7] + lines[1][8:15], nil
	case len(lines) == 2 && len(lines[0]) == 44 && len(lines[1]) == 44:
		return lines[1][0:10] + lines[1][13:20] + lines[1][21:28], nil
	}
	return "", fmt.Errorf("%w: MRZ must be 3 lines of 30 or 2 of 44 characters", ErrHolder)
}

// activeAuthInfo is DG14's ActiveAuthenticationInfo (Doc 9303 Part 11,
// 9.2.6) naming ecdsa-plain-SHA256, which ECDSA Active Authentication
// needs: the reader learns the hash from it.
func activeAuthInfo() asn1.RawValue {
	type aaInfo struct {
		Protocol asn1.ObjectIdentifier
		Version  int
		SigAlg   asn1.ObjectIdentifier
	}
	b, err := asn1.Marshal(aaInfo{
		Protocol: asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5},
		Version:  1,
		SigAlg:   asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3},
	})
	if err != nil {
		panic(err) // fixed values
	}
	return asn1.RawValue{FullBytes: b}
}
