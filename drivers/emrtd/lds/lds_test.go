package lds

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

const testMRZ = "IDVNM0790123458079012345678<<<\n7901017F3901018VNM<<<<<<<<<<<8\nDOAN<<NGUYEN<THI<MY<HAO<<<<<<<"

// every vowel of Vietnamese with every tone, and đ, precomposed (NFC)
const allTones = "àáảãạ ằắẳẵặ ầấẩẫậ èéẻẽẹ ềếểễệ ìíỉĩị òóỏõọ ồốổỗộ ờớởỡợ ùúủũụ ừứửữự ỳýỷỹỵ " +
	"ÀÁẢÃẠ ẰẮẲẴẶ ẦẤẨẪẬ ÈÉẺẼẸ ỀẾỂỄỆ ÌÍỈĨỊ ÒÓỎÕỌ ỒỐỔỖỘ ỜỚỞỠỢ ÙÚỦŨỤ ỪỨỬỮỰ ỲÝỶỸỴ ăâđêôơư ĂÂĐÊÔƠƯ"

func testDG13() DG13 {
	return DG13{
		IDNumber: "079012345678", Name: "Đoàn Nguyễn Thị Mỹ Hảo Ánh Ngọc", BirthDate: "01/01/1979", Sex: "Nữ",
		Nationality: "Việt Nam", Ethnicity: "Kinh", Religion: "Không", Origin: "Xã Tân Hội, Huyện Đức Trọng, Lâm Đồng",
		Residence: "Số 12 đường Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh", Marks: allTones,
		IssueDate: "10/05/2021", ExpiryDate: "01/01/2039", Father: "Đoàn Văn Hưởng", Mother: "Nguyễn Thị Ửng",
		OldIDNumber: "025123456",
	}
}

// testJPEG is a real JPEG of w×h pixels.
func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCOMRoundTrip(t *testing.T) {
	version, dgs, err := ParseCOM(BuildCOM([]int{1, 2, 13, 14, 15}))
	if err != nil {
		t.Fatal(err)
	}
	if version != "1.7" || !slices.Equal(dgs, []int{1, 2, 13, 14, 15}) {
		t.Errorf("got %q %v", version, dgs)
	}
	if _, _, err := ParseCOM(BuildDG1(testMRZ)); err == nil {
		t.Error("DG1 read as EF.COM")
	}
}

func TestDG1(t *testing.T) {
	mrz, err := ParseDG1(BuildDG1(testMRZ))
	if err != nil || mrz != testMRZ {
		t.Fatalf("got %q, %v", mrz, err)
	}
	td3 := strings.Repeat("P", 44) + "\n" + strings.Repeat("1", 44)
	if mrz, err := ParseDG1(BuildDG1(td3)); err != nil || mrz != td3 {
		t.Errorf("TD3: %q, %v", mrz, err)
	}
	for name, b := range map[string][]byte{
		"short":     BuildDG1("IDVNM"),
		"lowercase": BuildDG1(strings.ToLower(testMRZ)),
		"truncated": BuildDG1(testMRZ)[:20],
		"no 5F1F":   tlvBytes(tagDG1, tlvBytes(0x5F20, []byte("x"))),
	} {
		if _, err := ParseDG1(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDG2JPEG(t *testing.T) {
	img := testJPEG(t, 120, 160)
	f, err := ParseDG2(BuildDG2(Face{Format: "jpeg", Data: img}))
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != "jpeg" || f.Width != 120 || f.Height != 160 || !bytes.Equal(f.Data, img) {
		t.Errorf("got %s %dx%d, %d bytes", f.Format, f.Width, f.Height, len(f.Data))
	}
	if _, err := jpeg.Decode(bytes.NewReader(f.Data)); err != nil {
		t.Errorf("the face does not decode: %v", err)
	}
	// the header's size wins over the image's
	f, err = ParseDG2(BuildDG2(Face{Format: "jpeg", Data: img, Width: 240, Height: 320}))
	if err != nil || f.Width != 240 || f.Height != 320 {
		t.Errorf("header size: %dx%d, %v", f.Width, f.Height, err)
	}
}

// JPEG 2000 faces made by OpenJPEG's opj_compress (a tool we did not write),
// as a JP2 file and as a raw codestream, inside a 7F2E block too.
func TestDG2JPEG2000(t *testing.T) {
	dir := t.TempDir()
	var ppm bytes.Buffer
	ppm.WriteString("P6\n90 110\n255\n")
	for y := 0; y < 110; y++ {
		for x := 0; x < 90; x++ {
			ppm.Write([]byte{uint8(2 * x), uint8(y), 50})
		}
	}
	src := filepath.Join(dir, "face.ppm")
	if err := os.WriteFile(src, ppm.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"jp2", "j2k"} {
		out := filepath.Join(dir, "face."+ext)
		if b, err := exec.Command("opj_compress", "-i", src, "-o", out, "-r", "20").CombinedOutput(); err != nil {
			t.Fatalf("opj_compress: %v\n%s", err, b)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseDG2(BuildDG2(Face{Format: "jp2", Data: data}))
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if f.Format != "jp2" || f.Width != 90 || f.Height != 110 || !bytes.Equal(f.Data, data) {
			t.Errorf("%s: got %s %dx%d", ext, f.Format, f.Width, f.Height)
		}
		// a 7F2E block in another layout: the image is found by its magic
		dg2 := tlvBytes(tagDG2, tlvBytes(0x7F61, tlvBytes(0x02, []byte{1}),
			tlvBytes(0x7F60, tlvBytes(0xA1, tlvBytes(0x81, []byte{2})), tlvBytes(0x7F2E, tlvBytes(0xA1, data)))))
		f, err = ParseDG2(dg2)
		if err != nil || f.Format != "jp2" || f.Width != 90 || f.Height != 110 {
			t.Errorf("%s in 7F2E: %s %dx%d, %v", ext, f.Format, f.Width, f.Height, err)
		}
	}
}

func TestDG2Errors(t *testing.T) {
	good := BuildDG2(Face{Format: "jpeg", Data: testJPEG(t, 8, 8)})
	for name, b := range map[string][]byte{
		"not an image": BuildDG2(Face{Format: "jpeg", Data: []byte("GIF89a....")}),
		"truncated":    good[:len(good)/2],
		"no template":  tlvBytes(tagDG2, tlvBytes(0x7F61, tlvBytes(0x02, []byte{1}))),
		"DG1":          BuildDG1(testMRZ),
	} {
		if _, err := ParseDG2(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDG13RoundTrip(t *testing.T) {
	want := testDG13()
	want.Fields = []Field{{Number: 16, Values: []string{"X123"}}, {Number: 21, Values: []string{"một", "hai"}}}
	got, err := ParseDG13(BuildDG13(want))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != want.Name || got.Marks != allTones || !norm.NFC.IsNormalString(got.Name) {
		t.Errorf("name %q, marks %q", got.Name, got.Marks)
	}
	gotNamed, wantNamed := *got, want
	gotNamed.Fields, wantNamed.Fields = nil, nil
	if !reflect.DeepEqual(gotNamed, wantNamed) {
		t.Errorf("got  %+v\nwant %+v", gotNamed, wantNamed)
	}
	var numbers []int
	for _, f := range got.Fields {
		numbers = append(numbers, f.Number)
	}
	if !slices.Equal(numbers, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 21}) {
		t.Errorf("fields %v", numbers)
	}
	if f := got.Fields[len(got.Fields)-1]; !slices.Equal(f.Values, []string{"một", "hai"}) {
		t.Errorf("unknown field kept as %v", f.Values)
	}
	if f := got.Fields[12]; !slices.Equal(f.Values, []string{want.Father, want.Mother}) {
		t.Errorf("parents %v", f.Values)
	}
	// a build of what was read gives the same bytes
	if !bytes.Equal(BuildDG13(*got), BuildDG13(want)) {
		t.Error("BuildDG13(ParseDG13(b)) differs")
	}
}

// The bytes of the layout the open-source readers describe, written out by
// hand (not by BuildDG13): a decomposed (NFD) name comes back NFC.
func TestDG13Layout(t *testing.T) {
	field := func(n byte, tag byte, v string) string {
		return hex.EncodeToString(tlvBytes(0x30, []byte{0x02, 0x01, n}, tlvBytes(uint32(tag), []byte(v))))
	}
	nfd := norm.NFD.String("Trần Thị Ửng")
	body := field(1, 0x0C, "001099012345") + field(2, 0x0C, nfd) + field(4, 0x0C, "Nữ") +
		hex.EncodeToString(tlvBytes(0x30, []byte{0x02, 0x01, 0x0D},
			tlvBytes(0x30, tlvBytes(0x0C, []byte("Trần Văn Ba"))), tlvBytes(0x30, tlvBytes(0x0C, []byte("Lê Thị Tư"))))) +
		field(15, 0x13, "012345678") + field(42, 0x0C, "?")
	raw, _ := hex.DecodeString(body)
	// a wrapper SEQUENCE around the fields, as some chips may have
	d, err := ParseDG13(tlvBytes(tagDG13, tlvBytes(0x30, raw)))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Trần Thị Ửng" || d.IDNumber != "001099012345" || d.Sex != "Nữ" || d.Father != "Trần Văn Ba" ||
		d.Mother != "Lê Thị Tư" || d.OldIDNumber != "012345678" || len(d.Fields) != 6 || d.Fields[5].Number != 42 {
		t.Errorf("got %+v", d)
	}
	for name, b := range map[string][]byte{
		"no field":   tlvBytes(tagDG13, tlvBytes(0x30, tlvBytes(0x0C, []byte("x")))),
		"not UTF-8":  tlvBytes(tagDG13, tlvBytes(0x30, []byte{0x02, 0x01, 0x02}, tlvBytes(0x0C, []byte{0xff, 0xfe}))),
		"truncated":  tlvBytes(tagDG13, raw[:len(raw)-3]),
		"other file": BuildDG1(testMRZ),
	} {
		if _, err := ParseDG13(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCardAccessRoundTrip(t *testing.T) {
	in := []PACEInfo{
		{OID: "0.4.0.127.0.7.2.2.4.2.2", Version: 2, ParameterID: 13},
		{OID: "0.4.0.127.0.7.2.2.4.1.2", Version: 2, ParameterID: 0},
		{OID: "0.4.0.127.0.7.2.2.4.2.4", Version: 2, ParameterID: -1},
	}
	got, err := ParseCardAccess(BuildCardAccess(in))
	if err != nil {
		t.Fatal(err)
	}
	// DER sorts the SET: compare as sets
	slices.SortFunc(got, func(a, b PACEInfo) int { return strings.Compare(a.OID, b.OID) })
	want := slices.Clone(in)
	slices.SortFunc(want, func(a, b PACEInfo) int { return strings.Compare(a.OID, b.OID) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	// openssl reads it as the SET of SEQUENCEs it is
	out := opensslASN1Parse(t, BuildCardAccess(in))
	if !strings.Contains(out, "SET") || strings.Count(out, "OBJECT") != 3 {
		t.Errorf("openssl asn1parse:\n%s", out)
	}
}

func TestDG14(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dg15, err := BuildDG15(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	spki, _ := outer(dg15, tagDG15, "")
	oid := func(s string) []byte { o, _ := parseOID(s); return mustMarshal(o) }
	infos := sortedSetBody(slices.Concat(
		tlvBytes(0x30, oid("0.4.0.127.0.7.2.2.3.2.2"), mustMarshal(1), mustMarshal(7)),
		tlvBytes(0x30, oid("0.4.0.127.0.7.2.2.1.2"), spki, mustMarshal(7)),
		tlvBytes(0x30, oid("0.4.0.127.0.7.2.2.4.2.2"), mustMarshal(2), mustMarshal(13)),
		tlvBytes(0x30, oid("2.23.136.1.1.5"), mustMarshal(1), oid("0.4.0.127.0.7.1.1.4.1.3")),
		tlvBytes(0x30, oid("1.2.3.4"), mustMarshal(9))))
	got, err := ParseDG14(tlvBytes(tagDG14, tlvBytes(0x31, infos)))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]SecurityInfo{}
	for _, s := range got {
		kinds[s.Kind] = s
	}
	ca, pk, pace, aa := kinds["ChipAuthentication"], kinds["ChipAuthenticationPublicKey"], kinds["PACE"], kinds["ActiveAuthentication"]
	if len(got) != 5 || ca.Version != 1 || ca.KeyID != 7 || pk.KeyID != 7 || pk.KeyOID != "1.2.840.10045.2.1" ||
		!bytes.Equal(pk.PublicKey, spki) || !key.PublicKey.Equal(pk.Key) || pace.ParameterID != 13 ||
		aa.SigOID != "0.4.0.127.0.7.1.1.4.1.3" || kinds[""].OID != "1.2.3.4" {
		t.Errorf("got %+v", got)
	}
}

func TestDG15RoundTrip(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, pub := range []crypto.PublicKey{ec.Public(), rk.Public()} {
		b, err := BuildDG15(pub)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseDG15(b)
		if err != nil {
			t.Fatal(err)
		}
		if !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
			t.Errorf("%T differs", pub)
		}
	}
	if _, err := ParseDG15(tlvBytes(tagDG15, []byte{0x30, 0x00})); err == nil {
		t.Error("empty key: no error")
	}
}

func opensslASN1Parse(t *testing.T, der []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.der")
	if err := os.WriteFile(f, der, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "asn1parse", "-inform", "DER", "-in", f).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl asn1parse: %v\n%s", err, out)
	}
	return string(out)
}
