package chip

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"strings"
	"time"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/idcard"
	"xephang/drivers/jp2"
)

// Result is one chip read: the card as the chip gives it, its other
// Vietnamese fields, the face, and whether the data is the issuer's.
type Result struct {
	// Card is the chip's card (Source "chip"): the name from DG13 (NFC,
	// with diacritics), else DG1's; Address is the place of residence;
	// the MRZ's document fields from DG1. Valid, Expired and Errors as an
	// optical read's, with DG1 and DG13 cross-checked.
	Card *idcard.Card
	// Nationality is DG13's (e.g. "Việt Nam"); the Card's is the MRZ's code.
	Nationality                                        string
	Ethnicity, Religion, Origin, Marks, Father, Mother string
	Spouse                                             string
	// Face is DG2's first face as stored; FaceJPEG the same as JPEG (a
	// JPEG 2000 face converted), nil when there is none or it does not
	// decode.
	Face     lds.Face
	FaceJPEG []byte
	// Authenticity is passive authentication's verdict; Problems say why
	// (English, no personal data), face decoding problems too.
	Authenticity lds.Authenticity
	Problems     []string
	Signer       string
	// ActiveAuth is "passed", "failed" or "not_supported".
	ActiveAuth string
	// ChipAuth is chip authentication's "passed", "failed" or
	// "not_supported". Failed means the chip could not prove it holds the
	// key its signed DG14 names: a cloned chip, whatever passive
	// authentication says (Cloned).
	ChipAuth string
	Stats    emrtd.Stats
}

// extended is a channel that knows whether it takes extended-length
// APDUs (*pcsc.Card).
type extended interface{ ExtendedLength() bool }

// Read reads the chip on t with key (KeyFromCard), parses what it holds
// and checks it against the SOD and cscas (none: not_checked). An error is
// a read that gave nothing usable (no access, the card removed, not an
// eMRTD, neither DG1 nor DG13); a read that gave data always returns a
// Result, its Card's Errors saying what did not hold.
func Read(ctx context.Context, t emrtd.Transmitter, key emrtd.AccessKey, cscas *lds.CSCAs, now time.Time) (*Result, error) {
	ext := false
	if e, ok := t.(extended); ok {
		ext = e.ExtendedLength()
	}
	c, err := emrtd.Read(ctx, t, key, ext)
	if err != nil {
		return nil, fmt.Errorf("chip: %w", err)
	}
	return FromChip(c, cscas, now)
}

// FromChip makes the Result of what emrtd.Read gave.
func FromChip(c *emrtd.Chip, cscas *lds.CSCAs, now time.Time) (*Result, error) {
	r := &Result{ActiveAuth: c.ActiveAuth, ChipAuth: c.ChipAuth, Stats: c.Stats}
	var mrz string
	var d13 *lds.DG13
	var errs []string
	if b, ok := c.DGs[1]; ok {
		m, err := lds.ParseDG1(b)
		if err != nil {
			errs = append(errs, "DG1 does not parse: "+err.Error())
		}
		mrz = m
	}
	if b, ok := c.DGs[13]; ok {
		d, err := lds.ParseDG13(b)
		if err != nil {
			errs = append(errs, "DG13 does not parse: "+err.Error())
		}
		d13 = d
	}
	if mrz == "" && d13 == nil {
		return nil, fmt.Errorf("chip: the chip gave neither DG1 nor DG13 (%s)", strings.Join(errs, "; "))
	}
	r.Card = cardOf(d13, mrz, now)
	r.Card.Errors = append(errs, r.Card.Errors...)
	r.Card.Valid = len(r.Card.Errors) == 0
	if d13 != nil {
		r.Nationality, r.Ethnicity, r.Religion, r.Origin = clean(d13.Nationality), clean(d13.Ethnicity), clean(d13.Religion), clean(d13.Origin)
		r.Marks, r.Father, r.Mother, r.Spouse = clean(d13.Marks), clean(d13.Father), clean(d13.Mother), clean(d13.Spouse)
	}
	if r.Nationality == "" {
		r.Nationality = r.Card.Nationality
	}
	v := lds.Verify(c.SOD, c.DGs, cscas, now)
	r.Authenticity, r.Problems, r.Signer = v.Result, v.Problems, v.Signer
	if b, ok := c.DGs[2]; ok {
		f, err := lds.ParseDG2(b)
		if err != nil {
			r.Problems = append(r.Problems, "DG2 does not parse: "+err.Error())
		} else {
			r.Face = f
			if r.FaceJPEG, err = faceJPEG(f); err != nil {
				r.Problems = append(r.Problems, "the face image does not decode: "+err.Error())
			}
		}
	}
	if r.Cloned() {
		r.Problems = append(r.Problems, "chip authentication failed: the chip did not prove it holds the key of its signed DG14 (a cloned chip)")
	}
	if r.Problems == nil {
		r.Problems = []string{}
	}
	return r, nil
}

// Cloned reports whether chip authentication failed: the files may be the
// issuer's, signed and intact, but the chip is not the one they were
// written to.
func (r *Result) Cloned() bool { return r.ChipAuth == "failed" }

// faceJPEG is the face as JPEG for screens: a JPEG as it is (once it
// decodes), JPEG 2000 converted.
func faceJPEG(f lds.Face) ([]byte, error) {
	switch f.Format {
	case "jpeg":
		if _, err := jpeg.DecodeConfig(bytes.NewReader(f.Data)); err != nil {
			return nil, err
		}
		return f.Data, nil
	case "jp2":
		img, err := jp2.Decode(f.Data)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	return nil, fmt.Errorf("face format %q", f.Format)
}

// cardOf makes the chip's card of DG13 and DG1's MRZ (either may be
// missing). DG13's fields go through the QR's parser, which holds the
// same fields and checks them as an optical read is checked (the personal
// number against the birth date and sex, plausible names, dates in the
// past); DG1 through the MRZ's.
func cardOf(d *lds.DG13, mrz string, now time.Time) *idcard.Card {
	var m *idcard.Card
	if mrz != "" {
		m, _ = idcard.ParseMRZ(mrz, now)
	}
	if d == nil {
		c := *m
		c.Source = idcard.SourceChip
		return &c
	}
	var errs []string
	field := func(name, s string) string {
		s = clean(s)
		if strings.Contains(s, "|") {
			errs = append(errs, "DG13 "+name+" holds a '|'")
			s = strings.ReplaceAll(s, "|", " ")
		}
		return s
	}
	payload := strings.Join([]string{field("number", d.IDNumber), field("old number", d.OldIDNumber), field("name", d.Name),
		dateDigits(field("birth date", d.BirthDate)), field("sex", d.Sex), field("residence", d.Residence),
		dateDigits(field("issue date", d.IssueDate))}, "|")
	c, _ := idcard.ParseQR(payload, now)
	c.Source, c.ExpiryDate, c.ExpiryDerived, c.Expired = idcard.SourceChip, idcard.Date{}, false, false
	c.Errors = append(errs, c.Errors...)
	switch exp := clean(d.ExpiryDate); {
	case exp == "" || noExpiry(exp):
	default:
		if t, err := time.Parse("02012006", dateDigits(exp)); err == nil {
			c.ExpiryDate = idcard.DateOf(t)
		} else {
			c.Errors = append(c.Errors, "expiry date is not a date in DD/MM/YYYY")
		}
	}
	if !c.ExpiryDate.IsZero() && c.ExpiryDate.Before(idcard.DateOf(now)) {
		c.Expired = true
	}
	if m != nil {
		c.DocumentCode, c.DocumentNumber, c.IssuingState, c.Nationality = m.DocumentCode, m.DocumentNumber, m.IssuingState, m.Nationality
		for _, e := range m.Errors {
			c.Errors = append(c.Errors, "DG1: "+e)
		}
		for _, f := range mismatches(c, m) {
			c.Errors = append(c.Errors, "DG13 and DG1 differ in "+f)
		}
		if c.Name == "" {
			c.Name = m.Name
		}
	}
	c.Valid = len(c.Errors) == 0
	return c
}

// noExpiry: DG13 writes "Không thời hạn" (no time limit) for a card that
// does not expire.
func noExpiry(s string) bool {
	f := Fold(s)
	return f == "KHONG THOI HAN" || f == "KHONG" || f == "NONE"
}

// dateDigits turns DD/MM/YYYY (DG13) into DDMMYYYY (the QR's).
func dateDigits(s string) string {
	return strings.NewReplacer("/", "", "-", "", ".", "", " ", "").Replace(s)
}

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// KeyFromCard is the chip's access key from an optical read of the same
// card: an MRZ read gives its document number and dates; a QR read its
// personal number's last nine digits, the birth date and the expiry
// derived from the issue date ("<<<<<<", as the MRZ prints it, for a card
// issued from 58 on, which does not expire). The error (wrapping ErrNoKey)
// says what is missing, e.g. the expiry of a QR without an issue date.
func KeyFromCard(c *idcard.Card) (emrtd.AccessKey, error) {
	number, birth, expiry, err := mrzKey(c)
	if err != nil {
		return emrtd.AccessKey{}, err
	}
	return emrtd.AccessKey{MRZ: &emrtd.MRZInfo{DocumentNumber: number, BirthDate: birth, ExpiryDate: expiry}}, nil
}

// CrossCheck returns the fields (id_number, name, birth_date, sex,
// expiry_date) in which the chip and an optical read of the same card
// differ; names are compared folded (an MRZ has no diacritics). Empty when
// they agree.
func CrossCheck(r *Result, optical *idcard.Card) []string {
	if r == nil {
		return []string{}
	}
	return mismatches(r.Card, optical)
}

// Output is the JSON of `kioskd idcard chip`: the fields of `kioskd idcard
// parse` and the chip's own.
type Output struct {
	Source         idcard.Source `json:"source"`
	IDNumber       string        `json:"id_number"`
	OldIDNumber    string        `json:"old_id_number"`
	Name           string        `json:"name"`
	BirthDate      idcard.Date   `json:"birth_date"`
	Sex            idcard.Sex    `json:"sex"`
	ExpiryDate     idcard.Date   `json:"expiry_date"`
	IssueDate      idcard.Date   `json:"issue_date"`
	Nationality    string        `json:"nationality"`
	Ethnicity      string        `json:"ethnicity"`
	Religion       string        `json:"religion"`
	Origin         string        `json:"origin"`
	Residence      string        `json:"residence"`
	Marks          string        `json:"marks,omitempty"`
	Father         string        `json:"father"`
	Mother         string        `json:"mother"`
	Spouse         string        `json:"spouse,omitempty"`
	DocumentCode   string        `json:"document_code,omitempty"`
	DocumentNumber string        `json:"document_number,omitempty"`
	IssuingState   string        `json:"issuing_state,omitempty"`
	Province       string        `json:"province,omitempty"`
	// Face is the image as the chip stores it (JSON: base64; null when
	// the chip has none, or left out: staff get it apart), FaceFormat
	// "jpeg" or "jp2".
	Face         []byte           `json:"face"`
	FaceFormat   string           `json:"face_format,omitempty"`
	Authenticity lds.Authenticity `json:"authenticity"`
	Problems     []string         `json:"problems"`
	ActiveAuth   string           `json:"active_auth,omitempty"`
	ChipAuth     string           `json:"chip_auth,omitempty"`
	Stats        *emrtd.Stats     `json:"stats,omitempty"`
	Valid        bool             `json:"valid"`
	Expired      bool             `json:"expired"`
	Errors       []string         `json:"errors"`
	Mismatches   []string         `json:"mismatches,omitempty"`
}

// Output is the contract JSON of the read, face included.
func (r *Result) Output() Output {
	c := r.Card
	if c == nil {
		c = &idcard.Card{Source: idcard.SourceChip}
	}
	o := Output{Source: idcard.SourceChip, IDNumber: c.IDNumber, OldIDNumber: c.OldIDNumber, Name: c.Name, BirthDate: c.BirthDate,
		Sex: c.Sex, ExpiryDate: c.ExpiryDate, IssueDate: c.IssueDate, Nationality: r.Nationality, Ethnicity: r.Ethnicity,
		Religion: r.Religion, Origin: r.Origin, Residence: c.Address, Marks: r.Marks, Father: r.Father, Mother: r.Mother,
		Spouse: r.Spouse, DocumentCode: c.DocumentCode, DocumentNumber: c.DocumentNumber, IssuingState: c.IssuingState,
		Province: c.Province, Face: r.Face.Data, FaceFormat: r.Face.Format, Authenticity: r.Authenticity,
		Problems: r.Problems, ActiveAuth: r.ActiveAuth, ChipAuth: r.ChipAuth, Valid: c.Valid, Expired: c.Expired, Errors: c.Errors}
	if o.Authenticity == "" {
		o.Authenticity = lds.NotChecked
	}
	if o.Problems == nil {
		o.Problems = []string{}
	}
	if o.Errors == nil {
		o.Errors = []string{}
	}
	if len(o.Face) == 0 {
		o.FaceFormat = ""
	}
	return o
}
