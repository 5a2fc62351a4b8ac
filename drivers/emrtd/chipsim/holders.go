package chipsim

import (
	_ "embed"
	"strings"

	"xephang/drivers/emrtd/lds"
)

// elderlyJP2 is the elderly holder's face as JPEG 2000, made by OpenJPEG's
// encoder from the drawn face (TestElderlyFaceJP2 with CHIPSIM_REGENERATE=1
// writes it again: opj_compress -r 60 on a PNG of drawFace). Real chips hold
// either format; one demo card of each keeps both paths exercised.
//
//go:embed elderly.jp2
var elderlyJP2 []byte

// DemoKinds are the holders DemoHolder knows.
var DemoKinds = []string{"adult", "elderly", "tones"}

// DemoHolder returns a made-up holder for the demo and tests: "adult" and
// "elderly" are the people of the kiosk's demo cards (drivers/idcard/idcardsim:
// same ID number, name, birth date, sex, expiry, residence); "tones" has a
// name carrying all five Vietnamese tone marks. An unknown kind gives the
// zero Holder, which New refuses.
func DemoHolder(kind string) Holder {
	switch kind {
	case "adult":
		return Holder{
			MRZ: TD1("001095012345", "950312", 'M', "350312", "NGUYEN", "VAN AN"),
			DG13: lds.DG13{
				IDNumber: "001095012345", Name: "Nguyễn Văn An", BirthDate: "12/03/1995", Sex: "Nam",
				Nationality: "Việt Nam", Ethnicity: "Kinh", Religion: "Không",
				Origin:    "Xã Phù Đổng, huyện Gia Lâm, Hà Nội",
				Residence: "Số 1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội",
				Marks:     "Nốt ruồi cách 2 cm trên đuôi mắt phải",
				IssueDate: "01/06/2021", ExpiryDate: "12/03/2035",
				Father: "Nguyễn Văn Bình", Mother: "Lê Thị Hoa", OldIDNumber: "012345678",
			},
			Face: jpegFace(looks["adult"]),
		}
	case "elderly":
		return Holder{
			MRZ: TD1("036148001122", "480505", 'F', "<<<<<<", "PHAM", "THI LAN"),
			DG13: lds.DG13{
				IDNumber: "036148001122", Name: "Phạm Thị Lan", BirthDate: "05/05/1948", Sex: "Nữ",
				Nationality: "Việt Nam", Ethnicity: "Kinh", Religion: "Công giáo",
				Origin:    "Xã Hải Châu, huyện Hải Hậu, Nam Định",
				Residence: "Xóm 3, xã Hải Hậu, Nam Định",
				Marks:     "Sẹo chấm cách 1 cm dưới cằm",
				IssueDate: "10/10/2021", ExpiryDate: "Không thời hạn",
				Father: "Phạm Văn Hùng", Mother: "Đỗ Thị Mận",
			},
			Face: lds.Face{Format: "jp2", Data: elderlyJP2, Width: faceWidth, Height: faceHeight},
		}
	case "tones":
		return Holder{
			MRZ: TD1("079192004321", "920720", 'F', "320720", "DANG", "LU HOAI THAO ANH"),
			DG13: lds.DG13{
				IDNumber: "079192004321", Name: "Đặng Lữ Hoài Thảo Ánh", BirthDate: "20/07/1992", Sex: "Nữ",
				Nationality: "Việt Nam", Ethnicity: "Kinh", Religion: "Phật giáo",
				Origin:    "Phường Vĩnh Ninh, thành phố Huế, Thừa Thiên Huế",
				Residence: "Số 12 Nguyễn Thị Minh Khai, phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
				Marks:     "Nốt ruồi cách 1 cm trên mép trái",
				IssueDate: "15/04/2021", ExpiryDate: "20/07/2032",
				Father: "Đặng Văn Lợi", Mother: "Lữ Thị Hường", OldIDNumber: "025123456",
			},
			Face: jpegFace(looks["tones"]),
		}
	}
	return Holder{}
}

func jpegFace(l look) lds.Face {
	return lds.Face{Format: "jpeg", Data: faceJPEG(l), Width: faceWidth, Height: faceHeight}
}

// TD1 writes the three lines of a CCCD's machine-readable zone ("\n"
// between them): document code ID, state VNM, the document number (the last
// nine digits of the personal number) and the personal number in the
// optional data, birth and expiry dates as YYMMDD ("<<<<<<" for a card that
// does not expire), sex 'M' or 'F', and the name in capitals without
// diacritics; check digits computed (Doc 9303 Part 5).
func TD1(idNumber, birth string, sex byte, expiry, surname, given string) string {
	doc := idNumber[3:]
	l1 := "IDVNM" + doc + checkDigit(doc) + idNumber + "<<" + checkDigit(idNumber)
	l2 := birth + checkDigit(birth) + string(sex) + expiry + checkDigit(expiry) + "VNM" + strings.Repeat("<", 11)
	l2 += checkDigit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
	name := strings.ReplaceAll(surname, " ", "<") + "<<" + strings.ReplaceAll(given, " ", "<")
	l3 := (name + strings.Repeat("<", 30))[:30]
	return l1 + "\n" + l2 + "\n" + l3
}

// checkDigit is the 7-3-1 check digit of an MRZ field.
func checkDigit(s string) string {
	sum := 0
	for i := 0; i < len(s); i++ {
		v := 0
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		}
		sum += v * []int{7, 3, 1}[i%3]
	}
	return string(rune('0' + sum%10))
}
