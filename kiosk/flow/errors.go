package flow

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"xephang/drivers/escpos"
	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// Error is a refusal the screen shows: a stable code, words in
// Vietnamese and English, and the local API's HTTP status.
type Error struct {
	Code   string `json:"code"`
	VI     string `json:"message"`
	EN     string `json:"message_en"`
	Status int    `json:"-"`
}

func (e *Error) Error() string { return "flow: " + e.Code + ": " + e.EN }

func errorf(status int, code, vi, en string) *Error {
	return &Error{Code: code, VI: vi, EN: en, Status: status}
}

var (
	errNotReady = errorf(http.StatusServiceUnavailable, "not_ready",
		"Ki-ốt chưa nhận được danh mục dịch vụ từ máy chủ. Vui lòng chờ hoặc liên hệ cán bộ.",
		"The kiosk has not received the list of services yet. Please wait or ask a staff member.")
	errNoNumbers = errorf(http.StatusServiceUnavailable, "no_numbers",
		"Mất kết nối với máy chủ và ki-ốt đã hết số dự phòng cho lĩnh vực này. Vui lòng đến quầy để được hỗ trợ.",
		"The server cannot be reached and this kiosk has no spare numbers left for this service. Please ask at a counter.")
	errBusy = errorf(http.StatusConflict, "busy",
		"Ki-ốt đang in, vui lòng chờ.", "The kiosk is printing, please wait.")
	errNeedsCard = errorf(http.StatusForbidden, "priority_needs_card",
		"Để được ưu tiên người cao tuổi, vui lòng chạm hoặc quét thẻ căn cước.",
		"To get elderly priority, please tap or scan your ID card.")
	errCheckInOffline = errorf(http.StatusServiceUnavailable, "check_in_offline",
		"Mất kết nối với máy chủ nên chưa xác nhận được lịch hẹn. Vui lòng lấy số thường hoặc đến quầy.",
		"The server cannot be reached, so the booking cannot be checked. Please take a normal number or ask at a counter.")
)

// outOfService is the refusal of a kiosk the server does not serve.
func outOfService(why string) *Error {
	if why == uplink.SuspendedPending {
		return errorf(http.StatusServiceUnavailable, "kiosk_pending",
			"Ki-ốt đang chờ quản trị viên phê duyệt, chưa cấp số được. Vui lòng đến quầy.",
			"This kiosk is waiting for the administrator's approval and cannot issue numbers yet. Please go to a counter.")
	}
	return errorf(http.StatusServiceUnavailable, "out_of_service",
		"Ki-ốt tạm ngừng phục vụ. Vui lòng đến quầy để được hỗ trợ.",
		"This kiosk is out of service. Please go to a counter for help.")
}

func printerError(st escpos.Status) *Error {
	return errorf(http.StatusServiceUnavailable, "printer",
		"Máy in chưa in được: "+st.Reason()+". Vui lòng báo cán bộ hoặc thử lại sau.",
		"The printer cannot print: "+st.ReasonEN()+". Please tell a staff member or try again later.")
}

// apiError turns the server's refusal into words for the screen.
func apiError(err error) error {
	var ae *apiv1.APIError
	if errors.As(err, &ae) {
		status := ae.Status
		if status < 400 || status > 499 {
			status = http.StatusBadGateway
		}
		return errorf(status, ae.Code, ae.Message, ae.Message)
	}
	return errorf(http.StatusBadGateway, "server", "Máy chủ không trả lời, vui lòng thử lại.", "The server did not answer, please try again.")
}

// outsideHours is the refusal of a number outside the centre's window.
func outsideHours(next time.Time, loc *time.Location) *Error {
	if next.IsZero() {
		return errorf(http.StatusConflict, "outside_hours", "Hiện ki-ốt không cấp số: trung tâm chưa có giờ làm việc.", "The kiosk issues no numbers now: the centre has no opening hours.")
	}
	lt := next.In(loc)
	return errorf(http.StatusConflict, "outside_hours",
		fmt.Sprintf("Chưa đến giờ cấp số. Ki-ốt cấp số từ %s, %s ngày %s.", lt.Format("15:04"), queue.WeekdayVI(lt.Weekday()), lt.Format("02/01/2006")),
		fmt.Sprintf("Numbers are not issued yet. The kiosk issues numbers from %s on %s %s.", lt.Format("15:04"), lt.Weekday(), lt.Format("02/01/2006")))
}
