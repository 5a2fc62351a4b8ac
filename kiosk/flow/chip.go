package flow

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"xephang/drivers/idcard"
)

// The card's chip: after an optical read (the QR or the MRZ), the chip of
// the same card is read with the key that read gives, checked, and its
// card (the name with diacritics, the residence) used instead.

// ChipReader reads the chip of a card just read optically: the daemon's
// is a chip reader of kiosk/devices (PC/SC or the simulator) with
// drivers/idcard/chip.
type ChipReader interface {
	// ReadChip waits a short while for the card on the chip reader,
	// calling progress with ChipWaiting when it has to wait and
	// ChipReading once the card is there, then reads it with the key
	// optical gives. Its errors wrap ErrChipAbsent, ErrChipKey,
	// ErrChipAccess or ErrChipRemoved when they are those.
	ReadChip(ctx context.Context, optical *idcard.Card, progress func(state string)) (*ChipRead, error)
}

// States of a chip read (ChipProgress.State).
const (
	ChipWaiting = "waiting"
	ChipReading = "reading"
	ChipDone    = "done"
	ChipFailed  = "failed"
)

// Why a chip read failed, for the message the citizen sees.
var (
	ErrChipAbsent  = errors.New("flow: no card on the chip reader")
	ErrChipKey     = errors.New("flow: the optical read does not give the chip's key")
	ErrChipAccess  = errors.New("flow: the chip refused the key of the optical read")
	ErrChipRemoved = errors.New("flow: the card left the chip reader during the read")
)

// ChipRead is what a chip read gave.
type ChipRead struct {
	// Card is the chip's card (Source "chip").
	Card *idcard.Card
	// Authenticity: genuine, data_altered, unknown_issuer or not_checked;
	// Problems say why (English, no personal data).
	Authenticity string
	Problems     []string
	// ChipAuth is chip authentication's passed, failed or not_supported
	// ("" unknown). Failed: the chip did not prove the key of its signed
	// DG14, a cloned chip whatever Authenticity says.
	ChipAuth string
	// Mismatches are the fields the chip and the optical read differ in.
	Mismatches []string
	// Output is the chip's card as `kioskd idcard chip` prints it,
	// without the face (chip.Output).
	Output json.RawMessage
	// FaceJPEG is the face for staff, nil when the chip gave none that
	// decodes. It never goes to the touchscreen, the log or a file (but
	// the outbox, until sent).
	FaceJPEG []byte
}

// Usable reports whether the flows may take the chip's card instead of
// the optical one: it reads as valid, its data was not altered and its
// chip is not a clone.
func (r *ChipRead) Usable() bool {
	return r != nil && r.Card != nil && r.Card.Valid && r.Authenticity != "data_altered" && !r.Cloned()
}

// Cloned reports whether chip authentication failed: the chip may be a copy.
func (r *ChipRead) Cloned() bool { return r != nil && r.ChipAuth == "failed" }

// ChipProgress is a chip read's progress for the touchscreen: never a
// field of the card, never the face.
type ChipProgress struct {
	State        string `json:"state"` // waiting, reading, done, failed
	Message      string `json:"message"`
	EN           string `json:"message_en"`
	Authenticity string `json:"authenticity,omitempty"`
	ChipAuth     string `json:"chip_auth,omitempty"`
}

// identity is the body of PUT /api/v1/tickets/{id}/identity.
type identity struct {
	Authenticity string          `json:"authenticity"`
	Problems     []string        `json:"problems"`
	Mismatches   []string        `json:"mismatches"`
	Card         json.RawMessage `json:"card"`
	Face         []byte          `json:"face,omitempty"` // base64 JPEG
}

// maxFace is the largest face the server takes (256 KB); a larger one is
// left out rather than refused with the rest.
const maxFace = 256 << 10

// Identity is the body of PUT /api/v1/tickets/{id}/identity for this read
// (the face left out when larger than the server takes).
func (r *ChipRead) Identity() json.RawMessage {
	id := identity{Authenticity: r.Authenticity, Problems: r.Problems, Mismatches: r.Mismatches, Card: r.Output}
	if id.Problems == nil {
		id.Problems = []string{}
	}
	if id.Mismatches == nil {
		id.Mismatches = []string{}
	}
	if len(id.Card) == 0 {
		id.Card = json.RawMessage("{}")
	}
	if len(r.FaceJPEG) <= maxFace {
		id.Face = r.FaceJPEG
	}
	raw, err := json.Marshal(id)
	if err != nil {
		return nil
	}
	return raw
}

// usesCard reports whether a card read at st is used by its flow (a chip
// read is worth it).
func usesCard(st State) bool {
	switch st.Flow {
	case TakeNumber, CheckIn, Home, Precheck, Form:
		return !busy(st.Step)
	}
	return false
}

// chipCard reads the chip of the card just read optically and returns the
// card the flows use: the chip's when it is usable, else the optical one
// (with a message saying so). The chip read's identity stays with the
// session, for the ticket.
func (k *Kiosk) chipCard(ctx context.Context, optical *idcard.Card) *idcard.Card {
	k.chipBusy.Add(1)
	defer k.chipBusy.Add(-1)
	k.mu.Lock()
	k.opticalAt = time.Now()
	k.chipID = nil
	k.mu.Unlock()
	r, err := k.cfg.Chip.ReadChip(ctx, optical, func(state string) {
		p := &ChipProgress{State: state}
		switch state {
		case ChipWaiting:
			p.Message, p.EN = "Giữ thẻ trên đầu đọc chip…", "Hold the card on the chip reader…"
		default:
			p.State = ChipReading
			p.Message, p.EN = "Đang đọc chip của thẻ, xin giữ yên thẻ…", "Reading the card's chip, keep the card still…"
		}
		k.emit(Event{Type: "chip", Chip: p})
	})
	if err != nil {
		p := &ChipProgress{State: ChipFailed}
		switch {
		case errors.Is(err, ErrChipAbsent):
			p.Message, p.EN = "Không thấy thẻ trên đầu đọc chip: dùng thông tin đã đọc từ mã trên thẻ.",
				"No card on the chip reader: the code read from the card is used."
		case errors.Is(err, ErrChipKey):
			p.Message, p.EN = "Mã QR không đủ để mở chip (cần mặt sau thẻ có dòng MRZ): dùng thông tin đã đọc từ mã QR.",
				"The QR code is not enough to open the chip (the back of the card, with its MRZ, is): the QR's data is used."
		case errors.Is(err, ErrChipAccess):
			p.Message, p.EN = "Chip không mở được bằng thông tin đã đọc: dùng thông tin đã đọc từ mã trên thẻ.",
				"The chip did not open with the data read: the code read from the card is used."
		case errors.Is(err, ErrChipRemoved):
			p.Message, p.EN = "Thẻ đã rời đầu đọc chip khi đang đọc: dùng thông tin đã đọc từ mã trên thẻ.",
				"The card left the chip reader during the read: the code read from the card is used."
		default:
			p.Message, p.EN = "Không đọc được chip của thẻ: dùng thông tin đã đọc từ mã trên thẻ.",
				"The card's chip could not be read: the code read from the card is used."
		}
		k.cfg.Log.Warn("chip read failed; using the optical read", "err", err)
		k.emit(Event{Type: "chip", Chip: p})
		return optical
	}
	k.mu.Lock()
	k.chipID = r.Identity()
	k.mu.Unlock()
	k.cfg.Log.Info("chip read", "authenticity", r.Authenticity, "chip_auth", r.ChipAuth, "mismatches", len(r.Mismatches))
	p := &ChipProgress{State: ChipDone, Authenticity: r.Authenticity, ChipAuth: r.ChipAuth}
	switch {
	case r.Cloned():
		p.Message, p.EN = "Chip có thể bị sao chép: nhân viên sẽ kiểm tra thẻ tại quầy. Dùng thông tin đã đọc từ mã trên thẻ.",
			"The chip may be a copy: staff will check the card at the counter. The code read from the card is used."
	case !r.Usable():
		p.Message, p.EN = "Đã đọc chip; nhân viên sẽ kiểm tra thẻ tại quầy. Dùng thông tin đã đọc từ mã trên thẻ.",
			"Chip read; staff will check the card at the counter. The code read from the card is used."
	case r.Authenticity == "genuine" && len(r.Mismatches) == 0:
		p.Message, p.EN = "Đã đọc chip: dữ liệu do cơ quan cấp thẻ ký.", "Chip read: the data is signed by the issuer."
	default:
		p.Message, p.EN = "Đã đọc chip; nhân viên sẽ kiểm tra thẻ tại quầy.", "Chip read; staff will check the card at the counter."
	}
	k.emit(Event{Type: "chip", Chip: p})
	if !r.Usable() {
		return optical
	}
	return r.Card
}

// ChipWithoutOptical is what the chip reader's watcher calls when a card
// lies on it and no optical read came: the citizen is told what is
// needed. It says nothing while a chip read runs or just after an optical
// read (within grace).
func (k *Kiosk) ChipWithoutOptical(grace time.Duration) {
	if k.chipBusy.Load() > 0 {
		return
	}
	k.mu.Lock()
	recent := time.Since(k.opticalAt) < grace
	k.mu.Unlock()
	if recent {
		return
	}
	k.emit(Event{Type: "chip", Chip: &ChipProgress{State: ChipFailed,
		Message: "Thẻ đang ở trên đầu đọc chip. Xin đưa mã QR ở mặt trước (hoặc mặt sau có dòng MRZ) vào đầu đọc mã trước, rồi giữ thẻ trên đầu đọc chip.",
		EN:      "The card is on the chip reader. Please show its front QR code (or the back, with the MRZ) to the code reader first, then hold the card on the chip reader."}})
}

// sessionIdentity is the identity of the chip read of this session's
// card, nil when none was read.
func (k *Kiosk) sessionIdentity() json.RawMessage {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.chipID
}
