package chipsim

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/pcsc/vpcd"
)

// mrzKey is the access key of a holder's MRZ, as a reader gets it.
func mrzKey(t testing.TB, h Holder) *emrtd.MRZInfo {
	info, err := mrzInformation(h.MRZ)
	if err != nil {
		t.Fatal(err)
	}
	return &emrtd.MRZInfo{DocumentNumber: info[0:9], BirthDate: info[10:16], ExpiryDate: info[17:23]}
}

// TestReaderPrimitives runs the reader of drivers/emrtd, an implementation
// written apart from this card, piece by piece against chipsim cards in
// pcscd's virtual reader: BAC and PACE (MRZ and CAN), every file in short
// and extended reads, Active Authentication with ECDSA and RSA, a wrong key.
func TestReaderPrimitives(t *testing.T) {
	d := emptyReader(t)
	pki, err := lds.NewPKI("VN", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	h := DemoHolder("tones")
	for _, tc := range []struct {
		name   string
		o      Options
		access string // "BAC", "PACE-MRZ", "PACE-CAN"
		ext    bool
	}{
		{"BAC short", Options{PKI: pki}, "BAC", false},
		{"BAC extended, AA ECDSA", Options{PKI: pki, ActiveAuth: true}, "BAC", true},
		{"PACE MRZ, AA RSA", Options{PKI: pki, PACE: true, ActiveAuth: true, AAKey: rsaKey}, "PACE-MRZ", true},
		{"PACE CAN short", Options{PKI: pki, PACE: true, CAN: "246810"}, "PACE-CAN", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emptyReader(t)
			c, err := New(h, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			slot := vpcd.NewSlot(d.VPCD)
			if err := slot.Insert(c); err != nil {
				t.Fatal(err)
			}
			pc, k := connect(t, d)
			defer func() {
				k.Close()
				slot.Close()
				waitGone(t, pc, d)
			}()
			var s *emrtd.Session
			switch tc.access {
			case "BAC":
				if err := emrtd.SelectApplet(k); err != nil {
					t.Fatal(err)
				}
				wrong := *mrzKey(t, h)
				wrong.BirthDate = "920721"
				if _, err := emrtd.BAC(k, wrong); !errors.Is(err, emrtd.ErrAccessDenied) {
					t.Fatalf("BAC with a wrong MRZ: %v", err)
				}
				if s, err = emrtd.BAC(k, *mrzKey(t, h)); err != nil {
					t.Fatal(err)
				}
			default:
				ca, err := emrtd.ReadFile(k, 0x011C, false)
				if err != nil {
					t.Fatal(err)
				}
				infos, err := lds.ParseCardAccess(ca)
				if err != nil || len(infos) != 1 {
					t.Fatalf("EF.CardAccess %v %v", infos, err)
				}
				p := infos[0]
				key := emrtd.AccessKey{MRZ: mrzKey(t, h)}
				if tc.access == "PACE-CAN" {
					if _, err := emrtd.PACE(k, p, emrtd.AccessKey{CAN: "000000"}); !errors.Is(err, emrtd.ErrAccessDenied) {
						t.Fatalf("PACE with a wrong CAN: %v", err)
					}
					key = emrtd.AccessKey{CAN: tc.o.CAN}
				}
				if s, err = emrtd.PACE(k, p, key); err != nil {
					t.Fatal(err)
				}
				if err := emrtd.SelectApplet(s); err != nil {
					t.Fatal(err)
				}
			}
			files := c.Files()
			dgs := map[int][]byte{}
			for _, n := range []int{1, 2, 13, 14, 15} {
				b, err := emrtd.ReadFile(s, emrtd.FIDOfDG(n), tc.ext)
				if _, ok := files[emrtd.FIDOfDG(n)]; !ok {
					continue
				}
				if err != nil {
					t.Fatalf("DG%d: %v", n, err)
				}
				if string(b) != string(files[emrtd.FIDOfDG(n)]) {
					t.Fatalf("DG%d differs", n)
				}
				dgs[n] = b
			}
			sod, err := emrtd.ReadFile(s, 0x011D, tc.ext)
			if err != nil {
				t.Fatal(err)
			}
			v := lds.Verify(sod, dgs, lds.NewCSCAs(pki.CSCA), demoNow)
			if v.Result != lds.Genuine {
				t.Fatalf("%s %v", v.Result, v.Problems)
			}
			d13, err := lds.ParseDG13(dgs[13])
			if err != nil {
				t.Fatal(err)
			}
			if d13.Name != h.DG13.Name || !norm.NFC.IsNormalString(d13.Name) {
				t.Fatalf("name %q", d13.Name)
			}
			if tc.o.ActiveAuth {
				pub, err := lds.ParseDG15(dgs[15])
				if err != nil {
					t.Fatal(err)
				}
				if err := emrtd.ActiveAuth(s, pub, rand.Reader); err != nil {
					t.Fatalf("active authentication: %v", err)
				}
			}
		})
	}
}
