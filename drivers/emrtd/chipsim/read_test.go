package chipsim

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/jp2"
	"xephang/drivers/pcsc/vpcd"
)

// TestReadCards reads chipsim cards with the kiosk's reader (emrtd.Read)
// through Debian's pcscd and checks them with passive authentication, as
// the kiosk does: genuine cards read back every field exactly (NFC), an
// altered DG13 is data_altered, a SOD signed under another CSCA is
// unknown_issuer, a wrong MRZ is refused with a clear error and the right
// one works next on the same card, PACE with the CAN, Active Authentication.
func TestReadCards(t *testing.T) {
	d := emptyReader(t)
	pki, err := lds.NewPKI("VN", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := lds.NewPKI("VN", "Another CSCA")
	if err != nil {
		t.Fatal(err)
	}
	cscas := lds.NewCSCAs(pki.CSCA)
	for _, tc := range []struct {
		name     string
		kind     string
		o        Options
		can      bool // read with the CAN rather than the MRZ
		wrongMRZ bool // first try a wrong MRZ
		want     lds.Authenticity
		access   string
		aa       string
	}{
		{"adult genuine", "adult", Options{PKI: pki}, false, false, lds.Genuine, "BAC", "not_supported"},
		{"tones genuine", "tones", Options{PKI: pki}, false, false, lds.Genuine, "BAC", "not_supported"},
		{"elderly genuine, JPEG 2000 face", "elderly", Options{PKI: pki}, false, false, lds.Genuine, "BAC", "not_supported"},
		{"altered", "adult", Options{PKI: pki, Alter: true}, false, false, lds.DataAltered, "BAC", "not_supported"},
		{"other CSCA", "adult", Options{PKI: other}, false, false, lds.UnknownIssuer, "BAC", "not_supported"},
		{"wrong MRZ, then the right one", "tones", Options{PKI: pki}, false, true, lds.Genuine, "BAC", "not_supported"},
		{"PACE with the CAN", "tones", Options{PKI: pki, PACE: true, CAN: "135790"}, true, false, lds.Genuine, "PACE", "not_supported"},
		{"PACE with the MRZ, Active Authentication", "adult", Options{PKI: pki, PACE: true, ActiveAuth: true}, false, true, lds.Genuine, "PACE", "passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emptyReader(t) // the card of the last case gone
			h := DemoHolder(tc.kind)
			c, err := New(h, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			slot := vpcd.NewSlot(d.VPCD)
			if err := slot.Insert(c); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { slot.Close() })
			_, k := connect(t, d)
			ext := k.ExtendedLength()
			key := emrtd.AccessKey{MRZ: mrzKey(t, h)}
			if tc.can {
				key = emrtd.AccessKey{CAN: tc.o.CAN}
			}
			if tc.wrongMRZ {
				wrong := *key.MRZ
				wrong.ExpiryDate = "301231"
				_, err := emrtd.Read(context.Background(), k, emrtd.AccessKey{MRZ: &wrong}, ext)
				if !errors.Is(err, emrtd.ErrAccessDenied) || !strings.Contains(err.Error(), "wrong MRZ") {
					t.Fatalf("read with a wrong MRZ: %v", err)
				}
			}
			chip, err := emrtd.Read(context.Background(), k, key, ext)
			if err != nil {
				t.Fatal(err)
			}
			if chip.Stats.Access != tc.access || chip.ActiveAuth != tc.aa {
				t.Errorf("access %s, active authentication %s; want %s, %s", chip.Stats.Access, chip.ActiveAuth, tc.access, tc.aa)
			}
			if v := lds.Verify(chip.SOD, chip.DGs, cscas, demoNow); v.Result != tc.want {
				t.Fatalf("%s %v, want %s", v.Result, v.Problems, tc.want)
			}
			checkFields(t, h, chip, tc.o.Alter)
		})
	}
}

// checkFields compares what the chip gave with the holder it was made for.
func checkFields(t *testing.T, h Holder, chip *emrtd.Chip, altered bool) {
	t.Helper()
	mrz, err := lds.ParseDG1(chip.DGs[1])
	if err != nil || mrz != h.MRZ {
		t.Errorf("DG1 %q, %v", mrz, err)
	}
	d, err := lds.ParseDG13(chip.DGs[13])
	if err != nil {
		t.Fatal(err)
	}
	w := h.DG13
	for _, f := range []struct{ name, got, want string }{
		{"id_number", d.IDNumber, w.IDNumber}, {"name", d.Name, w.Name}, {"birth_date", d.BirthDate, w.BirthDate},
		{"sex", d.Sex, w.Sex}, {"nationality", d.Nationality, w.Nationality}, {"ethnicity", d.Ethnicity, w.Ethnicity},
		{"religion", d.Religion, w.Religion}, {"origin", d.Origin, w.Origin}, {"marks", d.Marks, w.Marks},
		{"issue_date", d.IssueDate, w.IssueDate}, {"expiry_date", d.ExpiryDate, w.ExpiryDate},
		{"father", d.Father, w.Father}, {"mother", d.Mother, w.Mother}, {"old_id_number", d.OldIDNumber, w.OldIDNumber},
		{"residence", d.Residence, w.Residence},
	} {
		if f.name == "residence" && altered {
			if f.got == f.want {
				t.Error("the altered card kept its residence")
			}
			continue
		}
		if f.got != f.want || !norm.NFC.IsNormalString(f.got) {
			t.Errorf("%s: %q, want %q (NFC)", f.name, f.got, f.want)
		}
	}
	face, err := lds.ParseDG2(chip.DGs[2])
	if err != nil || face.Format != h.Face.Format || string(face.Data) != string(h.Face.Data) {
		t.Fatalf("face %s %d bytes, %v", face.Format, len(face.Data), err)
	}
	if face.Format == "jp2" {
		img, err := jp2.Decode(face.Data)
		if err != nil {
			t.Fatal(err)
		}
		if r := img.Bounds(); r.Dx() != faceWidth || r.Dy() != faceHeight {
			t.Errorf("JPEG 2000 face %v", r)
		}
	}
}

// TestReadChipAuthCards reads chip-authentication cards through Debian's
// pcscd: a genuine one passes, a clone (DG14 and every file copied, another
// private key) fails and its files are still read and verify (passive
// authentication cannot see a clone: that is what chip authentication is
// for).
func TestReadChipAuthCards(t *testing.T) {
	d := emptyReader(t)
	pki, err := lds.NewPKI("VN", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	cscas := lds.NewCSCAs(pki.CSCA)
	for _, tc := range []struct {
		name   string
		o      Options
		access string
		ca, aa string
	}{
		{"genuine, PACE, AES-128 on brainpoolP256r1", Options{PKI: pki, PACE: true, ActiveAuth: true, ChipAuth: true}, "PACE", "passed", "passed"},
		{"genuine, BAC, 3DES on P-256", Options{PKI: pki, ChipAuth: true, CACipher: "3DES", CACurve: "P-256"}, "BAC", "passed", "not_supported"},
		{"genuine, PACE, AES-256 on DH 2048", Options{PKI: pki, PACE: true, ChipAuth: true, CACipher: "AES-256", CACurve: "DH-2048"}, "PACE", "passed", "not_supported"},
		{"clone, PACE, AES-128", Options{PKI: pki, PACE: true, ChipAuth: true, CAClone: true}, "PACE", "failed", "not_supported"},
		{"clone, BAC, 3DES", Options{PKI: pki, ChipAuth: true, CACipher: "3DES", CAClone: true}, "BAC", "failed", "not_supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emptyReader(t)
			h := DemoHolder("tones")
			c, err := New(h, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			slot := vpcd.NewSlot(d.VPCD)
			if err := slot.Insert(c); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { slot.Close() })
			_, k := connect(t, d)
			chip, err := emrtd.Read(context.Background(), k, emrtd.AccessKey{MRZ: mrzKey(t, h)}, k.ExtendedLength())
			if err != nil {
				t.Fatal(err)
			}
			if chip.Stats.Access != tc.access || chip.ChipAuth != tc.ca || chip.ActiveAuth != tc.aa || !chip.Stats.ChipAuth {
				t.Errorf("access %s, chip authentication %s, active authentication %s; want %s, %s, %s", chip.Stats.Access, chip.ChipAuth, chip.ActiveAuth, tc.access, tc.ca, tc.aa)
			}
			if v := lds.Verify(chip.SOD, chip.DGs, cscas, demoNow); v.Result != lds.Genuine {
				t.Fatalf("%s %v", v.Result, v.Problems)
			}
			checkFields(t, h, chip, false)
		})
	}
}
