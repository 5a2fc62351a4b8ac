package flow

import (
	"context"
	"fmt"

	"xephang/drivers/idcard"
	"xephang/queue-server/queue"
)

// Card reads: what a card tapped means in each flow.

// Card handles a card read: in take-number it offers the priority the
// holder's age entitles to; in check-in (or at home) it checks in the
// holder's booking. The number and name never leave this function except
// to the server, for the check-in.
func (k *Kiosk) Card(ctx context.Context, ev idcard.Event) {
	if ev.Card == nil || !ev.Card.Valid {
		k.emit(Event{Type: "card", Card: &CardRead{OK: false,
			Message: "Không đọc được thẻ. Vui lòng đặt lại thẻ, mặt có mã QR hướng vào đầu đọc.",
			EN:      "The card could not be read. Please place it again, QR side to the reader."}})
		return
	}
	card := ev.Card
	st := k.Machine.State()
	if k.cfg.Chip != nil && usesCard(st) {
		card = k.chipCard(ctx, card)
		st = k.Machine.State() // the read took a moment
	}
	switch st.Flow {
	case TakeNumber:
		if busy(st.Step) {
			return
		}
		centre, _ := k.cfg.Link.Centre()
		age := card.Age(k.cfg.Link.Now().In(centre.Location()))
		cr := &CardRead{OK: true}
		// The number goes with the ticket: the server counts the
		// citizen's numbers of the day (walk-in, online and booked).
		k.mu.Lock()
		k.cardID = card.IDNumber
		k.mu.Unlock()
		if age >= k.cfg.ElderlyAge {
			k.mu.Lock()
			k.elderly = true
			k.mu.Unlock()
			cr.Priority, cr.Age = queue.PriorityElderly, k.cfg.ElderlyAge
			cr.Message = fmt.Sprintf("Bạn được ưu tiên người cao tuổi (từ %d tuổi).", k.cfg.ElderlyAge)
			cr.EN = fmt.Sprintf("You are entitled to elderly priority (aged %d or over).", k.cfg.ElderlyAge)
		} else {
			cr.Message = "Đã đọc thẻ. Bạn lấy số thường."
			cr.EN = "Card read. You get a normal number."
		}
		k.Machine.Touch()
		k.emit(Event{Type: "card", Card: cr})
	case CheckIn, Home:
		if busy(st.Step) {
			return
		}
		k.emit(Event{Type: "card", Card: &CardRead{OK: true, Message: "Đã đọc thẻ, đang tìm lịch hẹn…", EN: "Card read, looking for your booking…"}})
		id, ident := card.IDNumber, k.sessionIdentity()
		go k.checkInCard(ctx, id, ident)
	case Precheck:
		if busy(st.Step) {
			return
		}
		k.precheckCard(card)
		k.Machine.Touch()
		k.emit(Event{Type: "card", Card: &CardRead{OK: true, Message: "Đã đọc thẻ; thông tin trên thẻ sẽ được đối chiếu với giấy tờ.",
			EN: "Card read; it will be compared with your papers."}})
	case Form:
		if busy(st.Step) {
			return
		}
		cr := k.formCardRead(card)
		if st.Step == StepCard {
			k.Machine.Go(Form, StepFill, st.Data) // the form opens, filled
		} else {
			k.Machine.Touch()
		}
		k.emit(Event{Type: "card", Card: cr})
	default:
		k.emit(Event{Type: "card", Card: &CardRead{OK: true, Message: "Đã đọc thẻ.", EN: "Card read."}})
	}
}
