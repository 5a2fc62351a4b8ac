package devices

import (
	"bytes"
	"fmt"
	"time"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/jung-kurt/gofpdf"
)

// A4TestLines are the lines of Vietnamese a test page carries: every
// vowel with every tone mark and đ, so a technician sees at a glance
// whether the printer prints the forms' letters right (and a test finds
// them with pdftotext).
var A4TestLines = []string{
	"TRANG IN THỬ MÁY IN A4",
	"Cộng hòa xã hội chủ nghĩa Việt Nam — Độc lập - Tự do - Hạnh phúc",
	"a à á ả ã ạ ă ằ ắ ẳ ẵ ặ â ầ ấ ẩ ẫ ậ e è é ẻ ẽ ẹ ê ề ế ể ễ ệ",
	"i ì í ỉ ĩ ị o ò ó ỏ õ ọ ô ồ ố ổ ỗ ộ ơ ờ ớ ở ỡ ợ",
	"u ù ú ủ ũ ụ ư ừ ứ ử ữ ự y ỳ ý ỷ ỹ ỵ đ Đ",
	"Ầ Ấ Ẩ Ẫ Ậ Ề Ế Ể Ễ Ệ Ồ Ố Ổ Ỗ Ộ Ờ Ớ Ở Ỡ Ợ Ừ Ứ Ử Ữ Ự Ỳ Ý Ỷ Ỹ Ỵ",
}

// A4TestPage renders the A4 test page `kioskd printer test -a4` prints:
// a title, the Vietnamese lines, a frame 10 mm inside the page's edges
// (the margins the printer keeps show as a cut frame), the printer's
// address and the time.
func A4TestPage(now time.Time, printer string) ([]byte, error) {
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Trang in thử máy in A4", true)
	pdf.SetCreator("Xếp Hàng kioskd", true)
	pdf.AddUTF8FontFromBytes("DejaVu", "", dejavusans.TTF)
	pdf.AddUTF8FontFromBytes("DejaVu", "B", dejavusansbold.TTF)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	w, h := pdf.GetPageSize()
	pdf.SetLineWidth(0.4)
	pdf.Rect(10, 10, w-20, h-20, "D")
	text := w - 40
	pdf.SetFont("DejaVu", "B", 18)
	pdf.CellFormat(text, 12, A4TestLines[0], "", 1, "C", false, 0, "")
	pdf.SetFont("DejaVu", "", 11)
	pdf.CellFormat(text, 7, A4TestLines[1], "", 1, "C", false, 0, "")
	pdf.Ln(6)
	pdf.SetFont("DejaVu", "", 12)
	for _, l := range A4TestLines[2:] {
		pdf.MultiCell(text, 8, l, "", "L", false)
	}
	pdf.Ln(6)
	pdf.SetFont("DejaVu", "", 10)
	pdf.MultiCell(text, 6, "Máy in: "+printer, "", "L", false)
	pdf.MultiCell(text, 6, "Thời gian in: "+now.Format("02/01/2006 15:04:05"), "", "L", false)
	pdf.MultiCell(text, 6, "Kiểm tra: chữ có dấu rõ ràng, khung viền in đủ bốn cạnh, chữ không bị mờ hay lệch.", "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("devices: A4 test page: %w", err)
	}
	return buf.Bytes(), nil
}
