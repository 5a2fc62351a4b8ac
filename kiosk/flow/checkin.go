package flow

import (
	"context"
	"encoding/json"

	"xephang/kiosk/uplink"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// The check-in flow: a booking's code or its holder's card, then print.

// CheckIn checks in a booking by its code and prints its ticket.
func (k *Kiosk) CheckIn(ctx context.Context, code string) (Printed, error) {
	code = queue.NormBookingCode(code)
	if !queue.ValidBookingCode(code) {
		return Printed{}, errInvalidCode
	}
	return k.checkIn(ctx, func(c context.Context) (apiv1.CheckInResponse, error) { return k.cfg.Client.CheckIn(c, code) })
}

// CheckInCard checks in the booking of the card's holder.
func (k *Kiosk) CheckInCard(ctx context.Context, idNumber string) (Printed, error) {
	return k.checkInCard(ctx, idNumber, nil)
}

// checkInCard checks in the booking of the card's holder and sends the
// card's chip identity (nil: none was read) with the ticket.
func (k *Kiosk) checkInCard(ctx context.Context, idNumber string, ident json.RawMessage) (Printed, error) {
	p, err := k.checkIn(ctx, func(c context.Context) (apiv1.CheckInResponse, error) {
		return k.cfg.Client.CheckInCard(c, k.cfg.Centre, idNumber)
	})
	if err == nil && ident != nil && p.TicketID != "" {
		k.sendIdentity(ctx, p, ident)
	}
	return p, err
}

// checkIn asks the server to check a booking in (by the request call
// makes) and prints the ticket it answers.
func (k *Kiosk) checkIn(ctx context.Context, call func(context.Context) (apiv1.CheckInResponse, error)) (Printed, error) {
	centre, release, err := k.begin()
	if err != nil {
		return Printed{}, err
	}
	defer release()
	if err := k.Machine.Enter(CheckIn, StepCheckingIn, nil); err != nil {
		return Printed{}, errBusy
	}
	p, err := func() (Printed, error) {
		if !k.cfg.Link.Online() {
			return Printed{}, errCheckInOffline
		}
		if err := k.printerReady(ctx); err != nil {
			return Printed{}, err
		}
		c, cancel := context.WithTimeout(ctx, 2*k.cfg.IssueTimeout)
		resp, err := call(c)
		cancel()
		if err != nil {
			if uplink.Unreachable(err) {
				k.cfg.Link.Failed(err)
				return Printed{}, errCheckInOffline
			}
			return Printed{}, apiError(err)
		}
		k.cfg.Link.Reached()
		svc, _ := centre.Service(resp.Service)
		if svc.Code == "" {
			svc = queue.Service{Code: resp.Service, Name: resp.ServiceName, NameEn: resp.ServiceNameEn}
		}
		k.Machine.Go(CheckIn, StepPrinting, nil)
		return k.printServerTicket(ctx, centre, svc, resp.TicketView, !resp.Late)
	}()
	k.finish(CheckIn, p, err)
	return p, err
}

// Code handles a booking code read by the QR scanner: it checks it in.
func (k *Kiosk) Code(ctx context.Context, code string) {
	st := k.Machine.State()
	if busy(st.Step) || (st.Flow != Home && st.Flow != CheckIn) {
		return
	}
	go k.CheckIn(ctx, code)
}
