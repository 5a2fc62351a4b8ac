package emrtd

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"xephang/drivers/emrtd/chipsim"
	"xephang/drivers/emrtd/lds"
)

// simCard serves chipsim's card in process: a chip whose cryptography is its
// own, not this package's (no pcscd here; chipsim's tests run that path).
type simCard struct{ c *chipsim.Card }

func (s simCard) Transmit(apdu []byte) ([]byte, error) { return s.c.Transmit(apdu), nil }

// mrzOf reads the access key fields of a TD1 MRZ.
func mrzOf(mrz string) MRZInfo {
	l := strings.Split(mrz, "\n")
	return MRZInfo{DocumentNumber: l[0][5:14], BirthDate: l[1][0:6], ExpiryDate: l[1][8:14]}
}

// Read against chipsim, an independently written chip: BAC, PACE with the
// MRZ and with the CAN, active authentication, and the files passive
// authentication accepts.
func TestReadChipsim(t *testing.T) {
	pki, err := lds.NewPKI("VNM", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		holder string
		pace   bool
		can    bool
	}{{"adult", false, false}, {"adult", true, false}, {"elderly", true, true}, {"tones", true, false}} {
		t.Run(v.holder, func(t *testing.T) {
			h := chipsim.DemoHolder(v.holder)
			card, err := chipsim.New(h, chipsim.Options{PKI: pki, PACE: v.pace, CAN: "123456", ActiveAuth: true})
			if err != nil {
				t.Fatal(err)
			}
			key := AccessKey{MRZ: new(MRZInfo)}
			*key.MRZ = mrzOf(h.MRZ)
			if v.can {
				key = AccessKey{CAN: "123456"}
			}
			chip, err := Read(context.Background(), simCard{card}, key, v.holder == "tones")
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{false: "BAC", true: "PACE"}[v.pace]
			if chip.Stats.Access != want || chip.ActiveAuth != "passed" {
				t.Errorf("access %s, AA %s", chip.Stats.Access, chip.ActiveAuth)
			}
			files := card.Files()
			for n, b := range chip.DGs {
				if !bytes.Equal(b, files[FIDOfDG(n)]) {
					t.Errorf("DG%d differs", n)
				}
			}
			if _, ok := chip.DGs[13]; !ok {
				t.Error("no DG13")
			}
			if r := lds.Verify(chip.SOD, chip.DGs, lds.NewCSCAs(pki.CSCA), time.Now()); r.Result != lds.Genuine {
				t.Errorf("passive authentication: %s %v", r.Result, r.Problems)
			}
		})
	}
	// A wrong MRZ: refused, and the card reads at once after.
	h := chipsim.DemoHolder("adult")
	card, err := chipsim.New(h, chipsim.Options{PKI: pki})
	if err != nil {
		t.Fatal(err)
	}
	wrong := mrzOf(h.MRZ)
	wrong.BirthDate = "010101"
	if _, err := Read(context.Background(), simCard{card}, AccessKey{MRZ: &wrong}, false); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("wrong MRZ: %v", err)
	}
	right := mrzOf(h.MRZ)
	if _, err := Read(context.Background(), simCard{card}, AccessKey{MRZ: &right}, false); err != nil {
		t.Fatalf("after a wrong MRZ: %v", err)
	}
}
