package emrtd

import (
	"context"
	"crypto/rand"
	"testing"

	"xephang/drivers/emrtd/lds"
)

// benchCard is an in-memory chip holding a 20 KB DG2, the size of a CCCD's
// face image.
func benchCard(b *testing.B, pace bool) *testCard {
	c := &testCard{t: b, mrz: holderMRZ, files: map[uint16][]byte{FIDOfDG(2): file(0x75, 20000)}}
	if pace {
		c.pace = lds.PACEInfo{OID: "0.4.0.127.0.7.2.2.4.2.2", Version: 2, ParameterID: 13}
	}
	return c
}

// BenchmarkAccessAndDG2 opens the chip (BAC, or PACE with brainpoolP256r1
// and AES-128) and reads DG2 of 20 KB under secure messaging; it reports
// the APDUs and bytes of one run.
func BenchmarkAccessAndDG2(b *testing.B) {
	for _, v := range []struct {
		name      string
		pace, ext bool
	}{{"BAC/short", false, false}, {"BAC/extended", false, true}, {"PACE/short", true, false}, {"PACE/extended", true, true}} {
		b.Run(v.name, func(b *testing.B) {
			var st Stats
			for b.Loop() {
				c := benchCard(b, v.pace)
				st = Stats{}
				ct := &counter{t: c, ctx: context.Background(), stats: &st}
				var s *Session
				var err error
				if v.pace {
					s, err = pace(ct, c.pace, AccessKey{MRZ: &holderMRZ}, rand.Reader)
					if err == nil {
						err = SelectApplet(s)
					}
				} else {
					if err = SelectApplet(ct); err == nil {
						s, err = BAC(ct, holderMRZ)
					}
				}
				if err != nil {
					b.Fatal(err)
				}
				d, err := ReadFile(s, FIDOfDG(2), v.ext)
				if err != nil || len(d) != 20004 {
					b.Fatalf("DG2 of %d bytes, %v", len(d), err)
				}
			}
			b.ReportMetric(float64(st.APDUs), "APDUs/op")
			b.ReportMetric(float64(st.BytesOut), "bytes-out/op")
			b.ReportMetric(float64(st.BytesIn), "bytes-in/op")
		})
	}
}

// BenchmarkRead is one whole Read of a CCCD-like chip (EF.COM, DG1, DG2 of
// 20 KB, DG13, DG14, DG15 with an RSA-1024 key for active authentication,
// EF.SOD of 1.5 KB) through an in-memory chip; the time includes the chip's
// own cryptography.
func BenchmarkRead(b *testing.B) {
	key := rsaKey(b)
	for _, v := range []struct {
		name      string
		pace, ext bool
	}{{"BAC/short", false, false}, {"BAC/extended", false, true}, {"PACE/short", true, false}, {"PACE/extended", true, true}} {
		b.Run(v.name, func(b *testing.B) {
			var st Stats
			for b.Loop() {
				c := newCard(b, key, 1, 2, 13, 14, 15)
				if v.pace {
					withPACE(c, "0.4.0.127.0.7.2.2.4.2.2", 13)
				}
				chip, err := Read(context.Background(), c, AccessKey{MRZ: &holderMRZ}, v.ext)
				if err != nil || chip.ActiveAuth != "passed" {
					b.Fatal(err)
				}
				st = chip.Stats
			}
			b.ReportMetric(float64(st.APDUs), "APDUs/op")
			b.ReportMetric(float64(st.BytesOut), "bytes-out/op")
			b.ReportMetric(float64(st.BytesIn), "bytes-in/op")
		})
	}
}
