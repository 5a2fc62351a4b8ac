package emrtd

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"xephang/drivers/emrtd/lds"
)

// Chip is what one read gives, raw: the files as the chip holds them, for
// drivers/emrtd/lds to parse and verify.
type Chip struct {
	CardAccess []byte         // nil when the chip has none (BAC only)
	COM        []byte         // EF.COM
	DGs        map[int][]byte // data groups 1, 2, 13, 14, 15, those present
	SOD        []byte         // EF.SOD
	ActiveAuth string         // "passed", "failed" or "not_supported"
	ChipAuth   string         // "passed", "failed" or "not_supported" (chip authentication, DG14)
	Stats      Stats
}

// The data groups Read reads when EF.COM lists them, in this order: DG14
// first, for chip authentication to run before the others are read.
var readDGs = []int{14, 1, 2, 13, 15}

// Read reads one card: EF.CardAccess (unsecured); PACE when the chip offers
// a variant this package runs, else (or when PACE fails for any reason but a
// refused key, and the MRZ is known) BAC; the eMRTD application; EF.COM and
// the data groups it lists of 14, 1, 2, 13 and 15; EF.SOD. When DG14 offers
// chip authentication (ChipAuthKeyOf), it runs right after DG14 is read and
// the other files are read under its new keys: the first answer under them
// decides Chip.ChipAuth (a chip that refuses chip authentication or cannot
// answer under the new keys, as a copied chip cannot, is "failed", and the
// rest is read in a new BAC/PACE session so staff still see the data).
// Active authentication runs when DG15 is present, also after chip
// authentication passed (Doc 9303 lets a reader skip it; both are reported). ext asks for extended-length READ
// BINARY (the reader and card must take it; a chip that refuses it is read
// in short chunks). ctx is checked before every APDU. Errors: ErrAccessDenied
// (wrong MRZ/CAN), ErrSecureMessaging, ErrNotEMRTD, ctx's error, or the
// transport's (errors.Is pcsc.ErrRemoved).
func Read(ctx context.Context, t Transmitter, key AccessKey, ext bool) (*Chip, error) {
	if key.MRZ == nil && key.CAN == "" {
		return nil, errors.New("emrtd: no access key: the MRZ (number, birth date, expiry) or the CAN is needed")
	}
	chip := &Chip{DGs: map[int][]byte{}}
	ct := &counter{t: t, ctx: ctx, stats: &chip.Stats}

	ca, err := readCardAccess(ct)
	switch {
	case err == nil:
		chip.CardAccess = ca
	case !isChipAnswer(err):
		return nil, err
	}
	sess, err := openSession(ct, chip.CardAccess, key)
	if err != nil {
		return nil, err
	}
	chip.Stats.Access = sess.Access()

	fr := &fileReader{t: sess, ext: ext}
	dgs := readDGs
	com, err := fr.read(FIDCOM)
	switch {
	case err == nil:
		chip.COM = com
		if _, listed, err := lds.ParseCOM(com); err == nil {
			dgs = nil
			for _, n := range readDGs {
				for _, l := range listed {
					if l == n {
						dgs = append(dgs, n)
					}
				}
			}
		}
	case !isNotFound(err):
		return nil, err
	}
	chip.ChipAuth = "not_supported"
	caPending := false // chip authentication ran; the next answer tells whether the chip holds the key
	reopen := func() error {
		// The old session may be dead on the chip's side (a wrong MAC ends
		// it): the first attempt may only end it.
		s, err := openSession(ct, chip.CardAccess, key)
		if err != nil && isChipAnswerOrSM(err) {
			s, err = openSession(ct, chip.CardAccess, key)
		}
		if err != nil {
			return err
		}
		sess, fr.t = s, s
		return nil
	}
	read := func(fid uint16) ([]byte, error) {
		b, err := fr.read(fid)
		if !caPending {
			return b, err
		}
		switch {
		case err == nil: // a file whose every answer verified under the new keys
			caPending = false
			chip.ChipAuth = "passed"
		case errors.Is(err, ErrSecureMessaging):
			caPending = false
			chip.ChipAuth = "failed"
			if err := reopen(); err != nil {
				return nil, err
			}
			return fr.read(fid)
		}
		// A bare error status word (6A82) carries no MAC: it proves
		// nothing, and the next file decides.
		return b, err
	}
	for _, n := range dgs {
		b, err := read(FIDOfDG(n))
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("emrtd: DG%d: %w", n, err)
		}
		chip.DGs[n] = b
		if n != 14 {
			continue
		}
		infos, err := lds.ParseDG14(b)
		if err != nil {
			continue
		}
		k, ok := ChipAuthKeyOf(infos)
		if !ok {
			continue
		}
		s, err := ChipAuth(sess, k)
		switch {
		case err == nil:
			sess, fr.t, caPending = s, s, true
			chip.Stats.ChipAuth = true
		case errors.Is(err, ErrChipAuth) || errors.Is(err, ErrSecureMessaging):
			chip.ChipAuth, chip.Stats.ChipAuth = "failed", true
			if err := reopen(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("emrtd: chip authentication: %w", err)
		}
	}
	if chip.SOD, err = read(FIDSOD); err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("emrtd: EF.SOD: %w", err)
	}
	if caPending {
		// Not one answer under the new keys carried a MAC.
		chip.ChipAuth = "failed"
	}
	chip.Stats.Extended = ext && !fr.fellBack

	chip.ActiveAuth = "not_supported"
	if dg15, ok := chip.DGs[15]; ok {
		pub, err := lds.ParseDG15(dg15)
		if err == nil {
			err = ActiveAuth(sess, pub, rand.Reader)
			switch {
			case err == nil:
				chip.ActiveAuth = "passed"
			case errors.Is(err, ErrActiveAuth):
				chip.ActiveAuth = "failed"
			case errors.Is(err, errAANotSupported):
			default:
				return nil, fmt.Errorf("emrtd: active authentication: %w", err)
			}
		}
	}
	return chip, nil
}

// isChipAnswerOrSM is isChipAnswer or a secure-messaging failure.
func isChipAnswerOrSM(err error) bool {
	return isChipAnswer(err) || errors.Is(err, ErrSecureMessaging)
}

// openSession picks PACE or BAC and leaves the eMRTD application selected
// under secure messaging.
func openSession(t Transmitter, cardAccess []byte, key AccessKey) (*Session, error) {
	var params *lds.PACEInfo
	if cardAccess != nil {
		if infos, err := lds.ParseCardAccess(cardAccess); err == nil {
			for _, in := range infos {
				if PACESupported(in) {
					params = &in
					break
				}
			}
		}
	}
	var paceErr error
	if params != nil {
		sess, err := PACE(t, *params, key)
		if err == nil {
			if err := SelectApplet(sess); err != nil {
				return nil, err
			}
			return sess, nil
		}
		if errors.Is(err, ErrAccessDenied) || !isChipAnswer(err) {
			return nil, err
		}
		paceErr = err
	}
	if key.MRZ == nil {
		if paceErr != nil {
			return nil, paceErr
		}
		return nil, errors.New("emrtd: the chip offers no PACE this reader runs, and a CAN opens nothing else: the MRZ is needed")
	}
	if err := SelectApplet(t); err != nil {
		return nil, err
	}
	return BAC(t, *key.MRZ)
}

// isChipAnswer reports whether err is the chip's refusal or a protocol
// mismatch (as opposed to the transport failing, a card removed, or ctx).
func isChipAnswer(err error) bool {
	var se *StatusError
	return errors.As(err, &se) || errors.Is(err, ErrNotEMRTD) || errors.Is(err, errPACEUnsupported)
}

// fileReader reads files, falling back from extended to short length once
// the chip refuses an extended READ BINARY.
type fileReader struct {
	t        Transmitter
	ext      bool
	fellBack bool
}

func (r *fileReader) read(fid uint16) ([]byte, error) {
	b, err := readFile(r.t, fid, r.ext && !r.fellBack, firstRead)
	var se *StatusError
	if err != nil && r.ext && !r.fellBack && errors.As(err, &se) && se.Op == "READ BINARY" && (se.SW == 0x6700 || se.SW>>8 == 0x6C || se.SW == 0x6F00) {
		r.fellBack = true
		return readFile(r.t, fid, false, firstRead)
	}
	return b, err
}
