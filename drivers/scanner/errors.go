package scanner

import "errors"

// Sentinel errors of the package; test with errors.Is. Describe turns them
// into words for the kiosk screen.
var (
	ErrJammed      = errors.New("paper jammed in the feeder")           // SANE_STATUS_JAMMED, eSCL ScannerAdfJam
	ErrFeederEmpty = errors.New("document feeder is empty")             // SANE_STATUS_NO_DOCS, eSCL ScannerAdfEmpty
	ErrCoverOpen   = errors.New("scanner cover is open")                // SANE_STATUS_COVER_OPEN, eSCL ScannerAdfHatchOpen
	ErrBusy        = errors.New("scanner is busy")                      // SANE_STATUS_DEVICE_BUSY, eSCL 503 on a new job
	ErrNoDevice    = errors.New("scanner not found")                    // the device cannot be opened or reached
	ErrIO          = errors.New("scanner input/output error")           // SANE_STATUS_IO_ERROR and other failures
	ErrNoPages     = errors.New("no page was scanned")                  // the scan ended without a page
	ErrBadOptions  = errors.New("bad scan options")                     // e.g. no output directory
	ErrNoScanimage = errors.New("scanimage not installed (sane-utils)") // the SANE front end is missing
)

// Describe says in plain Vietnamese what a scan error means for the person at
// the kiosk; "" for nil.
func Describe(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrJammed):
		return "Giấy bị kẹt trong khay nạp. Mở nắp, gỡ tờ giấy bị kẹt rồi thử lại."
	case errors.Is(err, ErrFeederEmpty):
		return "Khay nạp giấy đang trống. Đặt giấy tờ vào khay (mặt cần quét úp xuống) rồi thử lại."
	case errors.Is(err, ErrCoverOpen):
		return "Nắp máy quét đang mở. Đóng nắp rồi thử lại."
	case errors.Is(err, ErrBusy):
		return "Máy quét đang bận. Vui lòng chờ một lát rồi thử lại."
	case errors.Is(err, ErrNoDevice), errors.Is(err, ErrNoScanimage):
		return "Không tìm thấy máy quét. Vui lòng báo cán bộ hỗ trợ."
	case errors.Is(err, ErrNoPages):
		return "Chưa quét được trang nào. Kiểm tra giấy tờ rồi thử lại."
	}
	return "Máy quét gặp lỗi. Vui lòng thử lại hoặc báo cán bộ hỗ trợ."
}

// DescribeEN is Describe in English.
func DescribeEN(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrJammed):
		return "Paper is jammed in the feeder. Open the cover, remove the stuck sheet and try again."
	case errors.Is(err, ErrFeederEmpty):
		return "The document feeder is empty. Put the papers in the feeder and try again."
	case errors.Is(err, ErrCoverOpen):
		return "The scanner cover is open. Close it and try again."
	case errors.Is(err, ErrBusy):
		return "The scanner is busy. Please wait a moment and try again."
	case errors.Is(err, ErrNoDevice), errors.Is(err, ErrNoScanimage):
		return "The scanner cannot be found. Please ask the staff for help."
	case errors.Is(err, ErrNoPages):
		return "No page was scanned. Check the papers and try again."
	}
	return "The scanner has a problem. Please try again or ask the staff for help."
}
