package devices

import (
	"context"

	"xephang/queue-server/queue"
)

// DocumentPrinter is the kiosk's A4 printer: whole documents (a filled
// form) as PDF. The kiosk flow prints through it; nil on Devices when no
// A4 printer is configured.
type DocumentPrinter interface {
	// PrintPDF prints pdf as a job named name and returns once the
	// printer accepted it (not when the paper is out). Its errors read
	// well on the screen through DescribeA4.
	PrintPDF(ctx context.Context, name string, pdf []byte) error
	// Status is the printer's last known state, device "a4printer" of
	// GET /api/devices; it does not block.
	Status() queue.DeviceStatus
}

// DescribeA4 says in Vietnamese, for the screen, why an A4 print failed.
func DescribeA4(err error) string {
	if err == nil {
		return ""
	}
	return "Máy in A4 không in được tờ khai. Vui lòng báo cán bộ hướng dẫn."
}
