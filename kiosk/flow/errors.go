package flow

import (
	"errors"
	"time"

	"xephang/drivers/escpos"
	"xephang/drivers/scanner"
	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// Error is a refusal the screen shows: a stable code and words in
// Vietnamese and English. The local API gives each code its HTTP status
// (kiosk/localapi, one table); a refusal of the server keeps the
// server's answer as its cause (Err, an *apiv1.APIError).
type Error struct {
	Code string `json:"code"`
	VI   string `json:"message"`
	EN   string `json:"message_en"`
	Err  error  `json:"-"`
}

func (e *Error) Error() string { return "flow: " + e.Code + ": " + e.EN }

// Unwrap is the cause: the server's answer, for a refusal of the server.
func (e *Error) Unwrap() error { return e.Err }

func errorf(code, vi, en string) *Error {
	return &Error{Code: code, VI: vi, EN: en}
}

// The refusals of the flows, with their words.
var (
	errNotReady = errorf("not_ready",
		"Ki-ốt chưa nhận được danh mục dịch vụ từ máy chủ. Vui lòng chờ hoặc liên hệ cán bộ.",
		"The kiosk has not received the list of services yet. Please wait or ask a staff member.")
	errNoNumbers = errorf("no_numbers",
		"Mất kết nối với máy chủ và ki-ốt đã hết số dự phòng cho lĩnh vực này. Vui lòng đến quầy để được hỗ trợ.",
		"The server cannot be reached and this kiosk has no spare numbers left for this service. Please ask at a counter.")
	errBusy = errorf("busy",
		"Ki-ốt đang in, vui lòng chờ.", "The kiosk is printing, please wait.")
	errNeedsCard = errorf("priority_needs_card",
		"Để được ưu tiên người cao tuổi, vui lòng chạm hoặc quét thẻ căn cước.",
		"To get elderly priority, please tap or scan your ID card.")
	errInvalidPriority = errorf("invalid_priority", "Đối tượng ưu tiên không hợp lệ.", "Unknown priority group.")
	errCheckInOffline  = errorf("check_in_offline",
		"Mất kết nối với máy chủ nên chưa xác nhận được lịch hẹn. Vui lòng lấy số thường hoặc đến quầy.",
		"The server cannot be reached, so the booking cannot be checked. Please take a normal number or ask at a counter.")
	errInvalidCode = errorf("invalid_code", "Mã lịch hẹn gồm 8 ký tự, ví dụ 7KQ2-M9XD.", "A booking code has 8 characters, e.g. 7KQ2-M9XD.")
	errInternal    = errorf("internal", "Có lỗi xảy ra, vui lòng thử lại.", "Something went wrong, please try again.")
	errServer      = errorf("server", "Máy chủ không trả lời, vui lòng thử lại.", "The server did not answer, please try again.")

	errPrecheckUnavailable = errorf("precheck_unavailable",
		"Ki-ốt này chưa kiểm tra hồ sơ tự động được. Vui lòng lấy số và nộp hồ sơ tại quầy.",
		"This kiosk cannot check dossiers automatically. Please take a number and hand in your papers at a counter.")
	errPrecheckFailed = errorf("precheck", "Kiểm tra hồ sơ bị lỗi. Vui lòng thử lại hoặc nộp hồ sơ tại quầy.",
		"The dossier check failed. Please try again or hand in your papers at a counter.")
	errNoPages = errorf("no_pages",
		"Máy quét không nhận được trang nào. Vui lòng đặt giấy tờ vào khay, mặt chữ úp xuống, rồi thử lại.",
		"The scanner got no pages. Please put your papers in the tray, face down, and try again.")
	errNoPrecheck = errorf("no_precheck",
		"Chưa có kết quả kiểm tra hồ sơ. Vui lòng quét giấy tờ trước.", "No dossier check yet. Please scan your papers first.")
	errChooseService = errorf("choose_service",
		"Vui lòng chọn lĩnh vực để lấy số.", "Please choose the service to take a number for.")
	errChecklistPrint = errorf("checklist_print_failed",
		"Đã in số nhưng chưa in được phiếu kiểm tra hồ sơ; kết quả vẫn được gửi tới quầy.",
		"The number was printed but the checklist was not; the counter still gets the result.")
)

// outOfService is the refusal of a kiosk the server does not serve.
func outOfService(why string) *Error {
	if why == uplink.SuspendedPending {
		return errorf("kiosk_pending",
			"Ki-ốt đang chờ quản trị viên phê duyệt, chưa cấp số được. Vui lòng đến quầy.",
			"This kiosk is waiting for the administrator's approval and cannot issue numbers yet. Please go to a counter.")
	}
	return errorf("out_of_service",
		"Ki-ốt tạm ngừng phục vụ. Vui lòng đến quầy để được hỗ trợ.",
		"This kiosk is out of service. Please go to a counter for help.")
}

func unknownService(service string) *Error {
	return errorf("unknown_service", "Không có lĩnh vực "+service+".", "No service "+service+".")
}

func unknownProcedure(id string) *Error {
	return errorf("unknown_procedure", "Không có thủ tục "+id+".", "No procedure "+id+".")
}

func printerError(st escpos.Status) *Error {
	return errorf("printer",
		"Máy in chưa in được: "+st.Reason()+". Vui lòng báo cán bộ hoặc thử lại sau.",
		"The printer cannot print: "+st.ReasonEN()+". Please tell a staff member or try again later.")
}

// printFailed is a print that failed part way: the number may be on paper.
func printFailed(number string) *Error {
	return errorf("print_failed",
		"In vé bị lỗi. Nếu vé không ra, vui lòng báo cán bộ. Số của bạn: "+number+".",
		"Printing failed. If no ticket came out, please tell a staff member. Your number: "+number+".")
}

func scannerError(err error) *Error {
	return errorf("scanner", scanner.Describe(err), scanner.DescribeEN(err))
}

// apiError turns the server's refusal into words for the screen, its
// answer kept as the cause.
func apiError(err error) error {
	var ae *apiv1.APIError
	if errors.As(err, &ae) {
		return &Error{Code: ae.Code, VI: ae.Message, EN: ae.Message, Err: ae}
	}
	return errServer
}

// outsideHours is the refusal of a number outside the centre's window:
// the domain's words, as the server would answer.
func outsideHours(next time.Time, loc *time.Location) *Error {
	qe := queue.OutsideHours(next, loc)
	return errorf(qe.Code, queue.Sentence(qe.VI)+".", queue.Sentence(qe.EN)+".")
}
