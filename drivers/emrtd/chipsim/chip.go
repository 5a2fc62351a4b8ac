package chipsim

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"io"
)

// atr is the answer to reset of a contactless ISO/IEC 14443-4 card as PC/SC
// readers build it (PC/SC Part 3, 3.1.3.2.3.1): 3B 8n 80 01, the
// historical bytes, TCK. The historical bytes carry the card capabilities
// (compact-TLV tag 7) with extended Lc/Le announced.
func atr(extended bool) []byte {
	caps := byte(0x00)
	if extended {
		caps = 0x40
	}
	hist := []byte{0x80, 0x73, 0x80, 0x21, caps}
	a := []byte{0x3B, 0x80 | byte(len(hist)), 0x80, 0x01}
	a = append(a, hist...)
	tck := byte(0)
	for _, b := range a[1:] {
		tck ^= b
	}
	return append(a, tck)
}

// newChip builds a card from its files. mrzInfo is the document number,
// birth date and expiry date with their check digits, as BAC's key seed
// hashes them; cardAccess is nil when the card offers no PACE.
func newChip(mrzInfo string, files map[uint16][]byte, cardAccess []byte, can string, aaKey crypto.Signer, rnd io.Reader) *card {
	if rnd == nil {
		rnd = rand.Reader
	}
	h := sha1.Sum([]byte(mrzInfo))
	c := &card{chip: chip{
		atr:      atr(true),
		mf:       map[uint16][]byte{},
		lds:      files,
		bacSeed:  append([]byte(nil), h[:16]...),
		mrzHash:  append([]byte(nil), h[:]...),
		can:      can,
		aaKey:    aaKey,
		rand:     rnd,
		maxRead:  maxRead,
		extended: true,
	}}
	if cardAccess != nil {
		c.pace = true
		c.mf[fidCardAccess] = cardAccess
	}
	return c
}
