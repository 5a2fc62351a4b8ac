package lds

import (
	"crypto"
	"testing"
	"time"
)

// The parsers read what a chip (or something posing as one) sends: none may
// panic or hang, whatever the bytes.

func FuzzParseCOM(f *testing.F) {
	f.Add(BuildCOM([]int{1, 2, 13, 14, 15}))
	f.Add([]byte{0x60, 0x03, 0x5C, 0x01, 0x61})
	f.Fuzz(func(t *testing.T, b []byte) { ParseCOM(b) })
}

func FuzzParseDG1(f *testing.F) {
	f.Add(BuildDG1(testMRZ))
	f.Add([]byte{0x61, 0x82, 0x00, 0x05, 0x5F, 0x1F, 0x02, 'I', 'D'})
	f.Fuzz(func(t *testing.T, b []byte) { ParseDG1(b) })
}

func FuzzParseDG2(f *testing.F) {
	f.Add(BuildDG2(Face{Format: "jpeg", Data: testJPEG(f, 16, 16)}))
	f.Add(BuildDG2(Face{Format: "jp2", Data: append(append([]byte{}, magicJ2K...), make([]byte, 40)...)}))
	f.Add(BuildDG2(Face{Format: "jp2", Data: append(append([]byte{}, magicJP2...), []byte("....ihdr\x00\x00\x00\x10\x00\x00\x00\x20")...)}))
	f.Fuzz(func(t *testing.T, b []byte) {
		face, err := ParseDG2(b)
		if err == nil && face.Format == "" {
			t.Error("a face without a format")
		}
	})
}

func FuzzParseDG13(f *testing.F) {
	f.Add(BuildDG13(testDG13()))
	f.Add(BuildDG13(DG13{Fields: []Field{{Number: 99, Values: []string{"x", "y"}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDG13(b)
		if err != nil {
			return
		}
		// what was read builds and reads back the same named fields
		again, err := ParseDG13(BuildDG13(*d))
		if err != nil {
			t.Fatalf("rebuilt DG13 does not parse: %v", err)
		}
		if again.Name != d.Name || again.IDNumber != d.IDNumber || again.Father != d.Father || again.Mother != d.Mother {
			t.Errorf("rebuilt DG13 differs: %+v / %+v", again, d)
		}
	})
}

func FuzzParseCardAccess(f *testing.F) {
	f.Add(BuildCardAccess([]PACEInfo{{OID: "0.4.0.127.0.7.2.2.4.2.2", Version: 2, ParameterID: 13}}))
	f.Fuzz(func(t *testing.T, b []byte) { ParseCardAccess(b) })
}

func FuzzParseDG14(f *testing.F) {
	pub, _ := BuildDG15(ecPKI().DSKey.Public())
	spki, _ := outer(pub, tagDG15, "")
	oid := func(s string) []byte { o, _ := parseOID(s); return mustMarshal(o) }
	f.Add(tlvBytes(tagDG14, tlvBytes(0x31, sortedSetBody(append(
		tlvBytes(0x30, oid("0.4.0.127.0.7.2.2.3.2.2"), mustMarshal(1), mustMarshal(7)),
		tlvBytes(0x30, oid("0.4.0.127.0.7.2.2.1.2"), spki, mustMarshal(7))...)))))
	f.Fuzz(func(t *testing.T, b []byte) { ParseDG14(b) })
}

func FuzzParseDG15(f *testing.F) {
	b, _ := BuildDG15(ecPKI().DSKey.Public())
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) { ParseDG15(b) })
}

func FuzzParseSOD(f *testing.F) {
	dgs := map[int][]byte{1: BuildDG1(testMRZ), 13: BuildDG13(testDG13())}
	p := ecPKI()
	sod, err := BuildSOD(dgs, crypto.SHA256, p.DS, p.DSKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sod)
	cscas := NewCSCAs(p.CSCA)
	now := time.Now()
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseSOD(b)
		// Verify on any bytes gives one of the four outcomes
		switch v := Verify(b, dgs, cscas, now); v.Result {
		case Genuine, DataAltered, UnknownIssuer, NotChecked:
		default:
			t.Errorf("outcome %q", v.Result)
		}
	})
}

func FuzzParseMasterList(f *testing.F) {
	f.Add(ecPKI().CSCA.Raw)
	f.Fuzz(func(t *testing.T, b []byte) { ParseMasterList(b) })
}
