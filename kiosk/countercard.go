package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"xephang/drivers/idcard"
	"xephang/drivers/port"
	"xephang/kiosk/flow"
	"xephang/kiosk/outbox"
)

// A counter's card reader and chip reader: the clerk shows the citizen's
// card to the code reader (its QR or MRZ) and lays it on the chip
// reader; what the chip gives goes to the ticket served at the counter
// (PUT /api/v1/tickets/{id}/identity, through the outbox), where the
// counter console shows it with the face.

// cardResult is what one card read at the counter became.
type cardResult struct {
	Ticket       string // the ticket's number
	Authenticity string
	Mismatches   int
	Cloned       bool // chip authentication failed
	Sent         bool // the server has it (else the outbox keeps it for the day)
}

// identify reads the chip of the card read optically and sends it to the
// counter's current ticket.
func (a *counterAgent) identify(ctx context.Context, optical *idcard.Card) (cardResult, error) {
	cur, _, err := a.current(ctx)
	if err != nil {
		return cardResult{}, err
	}
	r, err := a.chip.ReadChip(ctx, optical, nil)
	if err != nil {
		return cardResult{Ticket: cur.Number}, err
	}
	res := cardResult{Ticket: cur.Number, Authenticity: r.Authenticity, Mismatches: len(r.Mismatches), Cloned: r.Cloned()}
	key := "identity-" + strings.TrimPrefix(outbox.NewDocumentID(), "doc-")
	_, err = a.store.Deliver(outbox.Ticket{Key: key, Centre: a.centre,
		Service: cur.Service, Number: cur.Number, ServerID: cur.ID, IssuedAt: time.Now(), Identity: r.Identity()}, time.Now())
	if err != nil {
		return res, err
	}
	if _, err = a.link.Replay(ctx); err != nil {
		a.log.Warn("card identity kept to send when the server answers", "ticket", cur.Number, "err", err)
		return res, nil
	}
	ts, err := a.store.Tickets(outbox.Sent)
	for _, t := range ts {
		if t.Key == key && t.IdentityError != "" {
			return res, fmt.Errorf("the server refused the identity: %s", t.IdentityError)
		}
	}
	res.Sent = err == nil
	return res, nil
}

// runCards reads the counter's card reader until ctx is done: each valid
// card read is identified to the counter's current ticket.
func (a *counterAgent) runCards(ctx context.Context, cards io.Reader) {
	events := make(chan idcard.Event)
	go func() {
		idcard.NewReader(cards).Run(ctx, events)
		close(events)
	}()
	for {
		var ev idcard.Event
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			ev = e
		}
		if ev.Card == nil || !ev.Card.Valid {
			fmt.Fprintln(a.out, "LỖI   Không đọc được mã trên thẻ: đưa lại mã QR hoặc dòng MRZ vào đầu đọc.")
			continue
		}
		fmt.Fprintf(a.out, "Thẻ đã đọc: giữ thẻ trên đầu đọc chip %s … (reading the chip)\n", a.chipName)
		r, err := a.identify(ctx, ev.Card)
		switch {
		case errors.Is(err, errNoTicket):
			fmt.Fprintf(a.out, "LỖI   Quầy %d không có số nào đang được phục vụ: gọi số rồi đọc thẻ lại.\n", a.counter)
		case err != nil:
			fmt.Fprintf(a.out, "LỖI   Số %s: không đọc được chip (%v)\n", r.Ticket, err)
		default:
			state := "đã gửi (sent)"
			if !r.Sent {
				state = "chờ gửi khi có mạng (kept to send)"
			}
			cloned := ""
			if r.Cloned {
				cloned = ", CHIP CÓ THỂ BỊ SAO CHÉP (chip authentication failed)"
			}
			fmt.Fprintf(a.out, "OK    Số %s: chip %s%s, %d trường khác mã trên thẻ, %s\n", r.Ticket, r.Authenticity, cloned, r.Mismatches, state)
		}
	}
}

// openCardReader opens the counter's card reader port, reopened when it
// goes away.
func openCardReader(spec string, a *counterAgent) io.ReadCloser {
	return port.NewReconnecting(func(ctx context.Context) (io.ReadWriteCloser, error) { return port.Open(ctx, spec) },
		port.Backoff{}, func(s port.State, err error) { a.log.Info("card reader port", "state", s.String(), "err", err) })
}

var _ flow.ChipReader = chipFlow{}
