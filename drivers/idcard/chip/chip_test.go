package chip

import (
	"bytes"
	"crypto"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"xephang/drivers/emrtd"
	"xephang/drivers/emrtd/lds"
	"xephang/drivers/idcard"
	"xephang/drivers/idcard/idcardsim"
)

// tones is a name carrying every Vietnamese tone mark (ngang, huyền, sắc,
// hỏi, ngã, nặng) and the letters ă â đ ê ô ơ ư.
const tones = "Đặng Thị Hồng Ngọc Ưởng Ẵm Ễ Ớ Âu Ngà"

// tonesMRZ is the sample's MRZ with the name of tones, cut at the line's
// end as an MRZ cuts a long name (line 3 is outside the check digits).
var tonesMRZ = []string{idcardsim.SampleMRZ[0], idcardsim.SampleMRZ[1], "DANG<<THI<HONG<NGOC<UONG<AM<E<"}

func sampleDG13() lds.DG13 {
	return lds.DG13{IDNumber: "001095012345", Name: tones, BirthDate: "12/03/1995", Sex: "Nam",
		Nationality: "Việt Nam", Ethnicity: "Kinh", Religion: "Không", Origin: "Xã Hải Hậu, Nam Định",
		Residence: "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội", Marks: "Nốt ruồi cách 2cm trên đầu mày phải",
		IssueDate: "01/06/2021", ExpiryDate: "12/03/2035", Father: "Đặng Văn Bình", Mother: "Lê Thị Cúc", OldIDNumber: "012345678"}
}

func faceJPEGBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 24, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(3, 3, color.Gray{Y: 9})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// chipOf builds what emrtd.Read gives of a card holding d, signed by pki;
// alter changes DG13 after signing.
func chipOf(t testing.TB, pki *lds.PKI, d lds.DG13, alter bool) *emrtd.Chip {
	t.Helper()
	dgs := map[int][]byte{
		1:  lds.BuildDG1(strings.Join(tonesMRZ, "")),
		2:  lds.BuildDG2(lds.Face{Format: "jpeg", Data: faceJPEGBytes(t), Width: 24, Height: 32}),
		13: lds.BuildDG13(d),
	}
	sod, err := lds.BuildSOD(dgs, crypto.SHA256, pki.DS, pki.DSKey)
	if err != nil {
		t.Fatal(err)
	}
	if alter {
		d.Residence = "Số 2 Tràng Tiền, phường Hoàn Kiếm, Hà Nội"
		dgs[13] = lds.BuildDG13(d)
	}
	return &emrtd.Chip{DGs: dgs, SOD: sod, ActiveAuth: "not_supported", Stats: emrtd.Stats{APDUs: 40, Access: "BAC"}}
}

func TestFromChip(t *testing.T) {
	pki, err := lds.NewPKI("VNM", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := lds.NewPKI("VNM", "Another CSCA")
	trusted := lds.NewCSCAs(pki.CSCA)
	cases := []struct {
		name  string
		alter bool
		cscas *lds.CSCAs
		want  lds.Authenticity
	}{
		{"genuine", false, trusted, lds.Genuine},
		{"altered", true, trusted, lds.DataAltered},
		{"unknown issuer", false, lds.NewCSCAs(other.CSCA), lds.UnknownIssuer},
		{"not checked", false, nil, lds.NotChecked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := FromChip(chipOf(t, pki, sampleDG13(), c.alter), c.cscas, today)
			if err != nil {
				t.Fatal(err)
			}
			if r.Authenticity != c.want {
				t.Fatalf("authenticity %s (%v), want %s", r.Authenticity, r.Problems, c.want)
			}
			card := r.Card
			if card.Name != tones || !norm.NFC.IsNormalString(card.Name) || card.Source != idcard.SourceChip {
				t.Errorf("name %q source %s", card.Name, card.Source)
			}
			if !card.Valid || card.Expired || card.BirthDate.String() != "1995-03-12" || card.ExpiryDate.String() != "2035-03-12" ||
				card.IssueDate.String() != "2021-06-01" || card.Sex != idcard.Male || card.DocumentNumber != "095012345" || card.Province != "Hà Nội" {
				t.Errorf("card %+v", card)
			}
			if !strings.HasPrefix(card.Address, "Số ") || r.Father != "Đặng Văn Bình" || r.Ethnicity != "Kinh" || r.Nationality != "Việt Nam" {
				t.Errorf("fields %q %+v", card.Address, r)
			}
			if r.Face.Format != "jpeg" || !bytes.Equal(r.FaceJPEG, r.Face.Data) {
				t.Errorf("face %s %d bytes, JPEG %d", r.Face.Format, len(r.Face.Data), len(r.FaceJPEG))
			}
			// The contract's JSON.
			raw, _ := json.Marshal(r.Output())
			var out map[string]any
			json.Unmarshal(raw, &out)
			for _, k := range []string{"id_number", "name", "birth_date", "sex", "expiry_date", "valid", "expired", "errors", "issue_date",
				"nationality", "ethnicity", "religion", "origin", "residence", "father", "mother", "old_id_number", "face", "authenticity"} {
				if _, ok := out[k]; !ok {
					t.Errorf("output lacks %q: %s", k, raw)
				}
			}
			if out["name"] != tones || out["birth_date"] != "1995-03-12" || out["sex"] != "M" || out["authenticity"] != string(c.want) || out["source"] != "chip" {
				t.Errorf("output %s", raw)
			}
		})
	}
}

func TestFromChipCrossChecksItsGroups(t *testing.T) {
	pki, _ := lds.NewPKI("VNM", "Test CSCA")
	d := sampleDG13()
	d.IDNumber = "001095012346" // DG1 says …345
	d.ExpiryDate = "Không thời hạn"
	r, err := FromChip(chipOf(t, pki, d, false), nil, today)
	if err != nil {
		t.Fatal(err)
	}
	if r.Card.Valid || !slices.Contains(r.Card.Errors, "DG13 and DG1 differ in id_number") || !slices.Contains(r.Card.Errors, "DG13 and DG1 differ in expiry_date") {
		t.Errorf("errors %v", r.Card.Errors)
	}
	if !r.Card.ExpiryDate.IsZero() {
		t.Errorf("a card that does not expire: %v", r.Card.ExpiryDate)
	}
	for _, e := range r.Card.Errors {
		if strings.Contains(e, "001095") {
			t.Errorf("an error repeats the number: %q", e)
		}
	}
	// Neither DG1 nor DG13: nothing to make a card of.
	if _, err := FromChip(&emrtd.Chip{DGs: map[int][]byte{2: {1}}}, nil, today); err == nil {
		t.Error("a chip without DG1 and DG13 gave a card")
	}
}

func TestCrossCheckWithTheOpticalRead(t *testing.T) {
	pki, _ := lds.NewPKI("VNM", "Test CSCA")
	r, err := FromChip(chipOf(t, pki, sampleDG13(), false), nil, today)
	if err != nil {
		t.Fatal(err)
	}
	mrz := mustCard(t, strings.Join(idcardsim.SampleMRZ, "\n"))
	// The sample MRZ's holder is NGUYEN VAN AN: the chip's name differs.
	if m := CrossCheck(r, mrz); !slices.Equal(m, []string{"name"}) {
		t.Errorf("mismatches %v", m)
	}
	key, err := KeyFromCard(mrz)
	if err != nil || *key.MRZ != (emrtd.MRZInfo{DocumentNumber: "095012345", BirthDate: "950312", ExpiryDate: "350312"}) {
		t.Errorf("key %+v %v", key.MRZ, err)
	}
}

// FuzzFromChip: whatever a chip answers in DG1, DG13 and EF.SOD, the read
// gives a card or an error, never a panic, and the card's errors never
// repeat its number.
func FuzzFromChip(f *testing.F) {
	pki, err := lds.NewPKI("VN", "Fuzz CSCA")
	if err != nil {
		f.Fatal(err)
	}
	c := chipOf(f, pki, sampleDG13(), false)
	f.Add(c.DGs[1], c.DGs[13], c.SOD)
	d := sampleDG13()
	d.BirthDate, d.ExpiryDate, d.Name = "31/02/1995", "Không thời hạn", "A|B"
	f.Add(c.DGs[1], lds.BuildDG13(d), []byte{0x77, 0})
	f.Fuzz(func(t *testing.T, dg1, dg13, sod []byte) {
		r, err := FromChip(&emrtd.Chip{DGs: map[int][]byte{1: dg1, 13: dg13}, SOD: sod}, nil, today)
		if err != nil {
			return
		}
		if r.Card == nil || r.Card.Source != idcard.SourceChip {
			t.Fatalf("card %+v", r.Card)
		}
		if n := r.Card.IDNumber; len(n) >= 6 {
			for _, e := range r.Card.Errors {
				if strings.Contains(e, n) {
					t.Fatalf("error %q repeats the number", e)
				}
			}
		}
		json.Marshal(r.Output())
	})
}

// A chip whose chip authentication failed keeps passive authentication's
// verdict (its files are the issuer's) but is Cloned, says so in Problems,
// and the contract's JSON carries chip_auth.
func TestFromChipChipAuth(t *testing.T) {
	pki, err := lds.NewPKI("VNM", "Test CSCA")
	if err != nil {
		t.Fatal(err)
	}
	for _, ca := range []string{"passed", "failed", "not_supported"} {
		c := chipOf(t, pki, sampleDG13(), false)
		c.ChipAuth = ca
		r, err := FromChip(c, lds.NewCSCAs(pki.CSCA), today)
		if err != nil {
			t.Fatal(err)
		}
		if r.Authenticity != lds.Genuine || r.ChipAuth != ca || r.Cloned() != (ca == "failed") {
			t.Errorf("%s: authenticity %s, chip auth %s, cloned %v", ca, r.Authenticity, r.ChipAuth, r.Cloned())
		}
		if said := strings.Contains(strings.Join(r.Problems, "\n"), "cloned chip"); said != (ca == "failed") {
			t.Errorf("%s: problems %q", ca, r.Problems)
		}
		raw, _ := json.Marshal(r.Output())
		var out map[string]any
		json.Unmarshal(raw, &out)
		if out["chip_auth"] != ca {
			t.Errorf("%s: output %s", ca, raw)
		}
	}
}
