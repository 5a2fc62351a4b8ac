package chip

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
)

var today = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func mustCard(t *testing.T, text string) *idcard.Card {
	t.Helper()
	c, err := idcard.Parse(text, today)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	return c
}

func TestMRZKey(t *testing.T) {
	qr := mustCard(t, idcardsim.SampleQR)
	mrz := mustCard(t, strings.Join(idcardsim.SampleMRZ, "\n"))
	for _, c := range []*idcard.Card{qr, mrz} {
		n, b, e, err := mrzKey(c)
		if err != nil {
			t.Fatalf("%s: %v", c.Source, err)
		}
		// The MRZ line 1 is IDVNM095012345 5 …: the number's last nine digits.
		if n != "095012345" || b != "950312" || e != "350312" {
			t.Errorf("%s: key %q %q %q, want the MRZ's 095012345 950312 350312", c.Source, n, b, e)
		}
	}
	// An MRZ read: its document number as printed, whatever the number.
	mrz.IDNumber = ""
	if n, _, _, _ := mrzKey(mrz); n != "095012345" {
		t.Errorf("MRZ document number: %q", n)
	}
	// A card that does not expire, read by its MRZ: "<<<<<<" as printed.
	noExp := *mrz
	noExp.ExpiryDate = idcard.Date{}
	if _, _, e, err := mrzKey(&noExp); err != nil || e != "<<<<<<" {
		t.Errorf("MRZ without expiry: %q %v", e, err)
	}
	// A QR of a card issued at 73: it does not expire, its MRZ has fillers.
	if _, b, e, err := mrzKey(mustCard(t, idcardsim.SampleElderlyQR)); err != nil || b != "480505" || e != "<<<<<<" {
		t.Errorf("elderly QR: %q %q %v", b, e, err)
	}
	// A short document number is padded to nine with fillers.
	short := *mrz
	short.DocumentNumber = "AB12"
	if n, _, _, _ := mrzKey(&short); n != "AB12<<<<<" {
		t.Errorf("padding: %q", n)
	}
}

func TestMRZKeyMissing(t *testing.T) {
	noIssue := mustCard(t, idcardsim.SampleQR)
	noIssue.IssueDate, noIssue.ExpiryDate = idcard.Date{}, idcard.Date{}
	cases := []struct {
		name string
		card *idcard.Card
		want string
	}{
		{"none", nil, "no card was read"},
		{"QR without an issue date", noIssue, "the expiry date (the QR carries no issue date"},
		{"no number", &idcard.Card{Source: idcard.SourceQR, BirthDate: idcard.Date{Year: 1990, Month: 1, Day: 2}, ExpiryDate: idcard.Date{Year: 2030, Month: 1, Day: 2}}, "the document number"},
		{"no birth", &idcard.Card{Source: idcard.SourceMRZ, DocumentNumber: "123456789", ExpiryDate: idcard.Date{Year: 2030, Month: 1, Day: 2}}, "the birth date"},
		{"invalid MRZ without expiry", &idcard.Card{Source: idcard.SourceMRZ, DocumentNumber: "123456789", BirthDate: idcard.Date{Year: 1990, Month: 1, Day: 2}}, "the expiry date"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, err := mrzKey(c.card)
			if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want ErrNoKey saying %q", err, c.want)
			}
			if c.card != nil && c.card.IDNumber != "" && strings.Contains(err.Error(), c.card.IDNumber) {
				t.Errorf("the error repeats the number: %v", err)
			}
		})
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Nguyễn Văn An":           "NGUYEN VAN AN",
		"  Đặng  thị   Ngọc Ánh ": "DANG THI NGOC ANH",
		"NGUYEN VAN AN":           "NGUYEN VAN AN",
		"Trần Ỷ Ỹ Ẫ Ậ Ợ Ừ":        "TRAN Y Y A A O U",
		"Nguye\u0302\u0303n":      "NGUYEN", // combining marks, not NFC
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMismatches(t *testing.T) {
	qr := mustCard(t, idcardsim.SampleQR)
	mrz := mustCard(t, strings.Join(idcardsim.SampleMRZ, "\n"))
	chip := *qr
	chip.Source, chip.ExpiryDerived = idcard.SourceChip, false
	for _, optical := range []*idcard.Card{qr, mrz} {
		if m := mismatches(&chip, optical); len(m) != 0 {
			t.Errorf("%s: the same card differs in %v", optical.Source, m)
		}
	}
	other := chip
	other.IDNumber = "001095012346"
	other.Name = "Nguyễn Văn Ân"
	other.BirthDate.Day = 13
	other.Sex = idcard.Female
	other.ExpiryDate = idcard.Date{}
	for _, optical := range []*idcard.Card{qr, mrz} {
		m := mismatches(&other, optical)
		want := []string{"id_number", "birth_date", "sex", "expiry_date"} // Ân and An fold alike
		if !slices.Equal(m, want) {
			t.Errorf("%s: mismatches %v, want %v", optical.Source, m, want)
		}
	}
	// A folded name differs from the MRZ's in letters, not in marks.
	other.Name = "Nguyễn Văn Anh"
	if m := mismatches(&other, mrz); !slices.Contains(m, "name") {
		t.Errorf("a different name agrees: %v", m)
	}
	// A name too long for the MRZ's line is cut there: a prefix agrees.
	long := chip
	long.Name = "Tôn Nữ Hoàng Thị Ngọc Bích Phương Thảo"
	cut := *mrz
	cut.Name = "TON NU HOANG THI NGOC BICH PH" // NU<HOANG… filled the 30 characters
	if m := mismatches(&long, &cut); slices.Contains(m, "name") {
		t.Errorf("a cut MRZ name does not agree: %v", m)
	}
	cut.Name = "TON NU"
	if m := mismatches(&long, &cut); !slices.Contains(m, "name") {
		t.Errorf("a short MRZ name agrees with a longer chip name: %v", m)
	}
	// A QR without an expiry says nothing of the chip's.
	elderly := mustCard(t, idcardsim.SampleElderlyQR)
	ec := *elderly
	ec.Source, ec.ExpiryDate = idcard.SourceChip, idcard.Date{Year: 2040, Month: 1, Day: 1}
	if m := mismatches(&ec, elderly); len(m) != 0 {
		t.Errorf("elderly: %v", m)
	}
	if m := mismatches(nil, qr); m == nil || len(m) != 0 {
		t.Errorf("nil chip: %v", m)
	}
}
