package escpos

import (
	"fmt"
	"strings"
)

// StatusRequests are the four real-time status requests, DLE EOT 1–4, in the
// order Printer.Status sends them.
var StatusRequests = [4][3]byte{{0x10, 0x04, 1}, {0x10, 0x04, 2}, {0x10, 0x04, 3}, {0x10, 0x04, 4}}

// IsStatusByte reports whether b has the fixed bits of a DLE EOT reply
// (0xx1xx10); anything else is not a status reply.
func IsStatusByte(b byte) bool { return b&0x93 == 0x12 }

// Status is what the printer said about itself.
type Status struct {
	Offline       bool `json:"offline"`        // n=1 bit 3
	CoverOpen     bool `json:"cover_open"`     // n=2 bit 2
	FeedButton    bool `json:"feed_button"`    // n=2 bit 3: paper being fed by the FEED button
	PaperOut      bool `json:"paper_out"`      // n=2 bit 5 (printing stopped at paper end) or n=4 bits 5,6
	Error         bool `json:"error"`          // n=2 bit 6
	CutterError   bool `json:"cutter_error"`   // n=3 bit 3
	Unrecoverable bool `json:"unrecoverable"`  // n=3 bit 5
	AutoRecover   bool `json:"auto_recover"`   // n=3 bit 6: e.g. head too hot, clears by itself
	PaperNearEnd  bool `json:"paper_near_end"` // n=4 bits 2,3
	NoReply       bool `json:"no_reply"`       // the printer did not answer at all
}

// ParseStatus decodes the four replies to DLE EOT 1, 2, 3 and 4.
func ParseStatus(replies [4]byte) (Status, error) {
	for i, b := range replies {
		if !IsStatusByte(b) {
			return Status{}, fmt.Errorf("escpos: status reply %d is %#02x, not 0xx1xx10", i+1, b)
		}
	}
	r1, r2, r3, r4 := replies[0], replies[1], replies[2], replies[3]
	return Status{
		Offline:       r1&0x08 != 0,
		CoverOpen:     r2&0x04 != 0,
		FeedButton:    r2&0x08 != 0,
		PaperOut:      r2&0x20 != 0 || r4&0x60 == 0x60,
		Error:         r2&0x40 != 0,
		CutterError:   r3&0x08 != 0,
		Unrecoverable: r3&0x20 != 0,
		AutoRecover:   r3&0x40 != 0,
		PaperNearEnd:  r4&0x0C == 0x0C,
	}, nil
}

// Replies returns the DLE EOT 1–4 reply bytes a printer in status s sends;
// the simulator answers with it.
func (s Status) Replies() [4]byte {
	r := [4]byte{0x12, 0x12, 0x12, 0x12}
	if s.Offline || s.CoverOpen || s.PaperOut || s.Error || s.CutterError || s.Unrecoverable {
		r[0] |= 0x08
	}
	if s.CoverOpen {
		r[1] |= 0x04
	}
	if s.FeedButton {
		r[1] |= 0x08
	}
	if s.PaperOut {
		r[1] |= 0x20
		r[3] |= 0x60
	}
	if s.Error || s.CutterError || s.Unrecoverable || s.AutoRecover {
		r[1] |= 0x40
	}
	if s.CutterError {
		r[2] |= 0x08
	}
	if s.Unrecoverable {
		r[2] |= 0x20
	}
	if s.AutoRecover {
		r[2] |= 0x40
	}
	if s.PaperNearEnd || s.PaperOut {
		r[3] |= 0x0C
	}
	return r
}

// CanPrint reports whether a ticket printed now would come out; paper near
// its end still prints.
func (s Status) CanPrint() bool {
	return !(s.NoReply || s.Offline || s.CoverOpen || s.PaperOut || s.Error || s.CutterError || s.Unrecoverable || s.AutoRecover)
}

// Reason says in plain Vietnamese what is wrong, for the kiosk screen and
// the technician; "" when nothing is.
func (s Status) Reason() string {
	return s.reason(false)
}

// ReasonEN is Reason in English.
func (s Status) ReasonEN() string {
	return s.reason(true)
}

func (s Status) reason(en bool) string {
	pick := func(vi, e string) string {
		if en {
			return e
		}
		return vi
	}
	var parts []string
	switch {
	case s.NoReply:
		parts = append(parts, pick("Máy in không phản hồi (mất điện, tuột cáp hoặc hỏng)", "The printer does not answer (no power, cable loose or broken)"))
	case s.PaperOut:
		parts = append(parts, pick("Máy in hết giấy", "The printer is out of paper"))
	}
	if s.CoverOpen {
		parts = append(parts, pick("Nắp máy in đang mở", "The printer cover is open"))
	}
	if s.CutterError {
		parts = append(parts, pick("Dao cắt giấy bị kẹt", "The paper cutter is jammed"))
	}
	if s.Unrecoverable {
		parts = append(parts, pick("Máy in bị lỗi không tự khắc phục được, cần kỹ thuật viên", "The printer has an unrecoverable error; call a technician"))
	}
	if s.AutoRecover {
		parts = append(parts, pick("Đầu in quá nóng, máy in sẽ tự hoạt động lại", "The print head is too hot; the printer will resume by itself"))
	}
	if len(parts) == 0 && s.Error {
		parts = append(parts, pick("Máy in báo lỗi", "The printer reports an error"))
	}
	if len(parts) == 0 && s.Offline && !s.NoReply {
		parts = append(parts, pick("Máy in đang tạm dừng (offline)", "The printer is offline"))
	}
	if len(parts) == 0 && s.PaperNearEnd {
		parts = append(parts, pick("Giấy in sắp hết, cần thay cuộn giấy mới", "Paper is nearly out; load a new roll soon"))
	}
	return strings.Join(parts, "; ")
}

// StatusError is the error of a ticket refused because of the printer's
// status; it wraps ErrCannotPrint.
type StatusError struct {
	Status Status
}

// Error returns the English reason.
func (e *StatusError) Error() string {
	return "escpos: printer cannot print: " + e.Status.ReasonEN()
}

// Unwrap returns ErrCannotPrint.
func (e *StatusError) Unwrap() error { return ErrCannotPrint }
