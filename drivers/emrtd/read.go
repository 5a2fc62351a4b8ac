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
	Stats      Stats
}

// The data groups Read reads when EF.COM lists them.
var readDGs = []int{1, 2, 13, 14, 15}

// Read reads one card: EF.CardAccess (unsecured); PACE when the chip offers
// a variant this package runs, else (or when PACE fails for any reason but a
// refused key, and the MRZ is known) BAC; the eMRTD application; EF.COM and
// the data groups it lists of 1, 2, 13, 14 and 15; EF.SOD; active
// authentication when DG15 is present. ext asks for extended-length READ
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
	for _, n := range dgs {
		b, err := fr.read(FIDOfDG(n))
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("emrtd: DG%d: %w", n, err)
		}
		chip.DGs[n] = b
	}
	if chip.SOD, err = fr.read(FIDSOD); err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("emrtd: EF.SOD: %w", err)
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
