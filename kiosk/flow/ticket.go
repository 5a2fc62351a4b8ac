package flow

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"xephang/drivers/escpos"
	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// The printed ticket: what a number looks like on paper.

// printServerTicket prints a ticket the server issued.
func (k *Kiosk) printServerTicket(ctx context.Context, centre queue.Centre, svc queue.Service, tv apiv1.TicketView, booked bool) (Printed, error) {
	issued, _ := time.Parse(time.RFC3339, tv.IssuedAt)
	p := Printed{Number: tv.Number, Service: svc.Code, ServiceName: svc.Name, ServiceEN: svc.NameEn, Priority: tv.Priority,
		PriorityPending: tv.PriorityPending, Booked: booked, Ahead: tv.Position - 1, WaitSeconds: tv.EstimatedWaitSeconds, IssuedAt: issued, TicketID: tv.ID,
		Counters: counters(centre, svc.Code)}
	if tv.Position <= 0 {
		p.Ahead = -1
	}
	track := ""
	if tv.ID != "" && k.cfg.PublicURL != "" {
		track = strings.TrimRight(k.cfg.PublicURL, "/") + "/track/" + url.PathEscape(tv.ID)
	}
	if err := k.cfg.Printer.PrintTicket(ctx, k.ticket(centre, p, track)); err != nil {
		var se *escpos.StatusError
		if errors.As(err, &se) {
			return Printed{}, printerError(se.Status)
		}
		return Printed{}, printFailed(tv.Number)
	}
	k.cfg.Log.Info("ticket printed", "number", tv.Number, "booked", booked)
	return p, nil
}

// ticket is what the printer prints for p.
func (k *Kiosk) ticket(centre queue.Centre, p Printed, track string) escpos.Ticket {
	t := escpos.Ticket{
		Centre: "Trung tâm Phục vụ hành chính công", Subtitle: centre.Name,
		Number: p.Number, Service: p.ServiceName, Counter: p.Counters,
		Issued: p.IssuedAt.In(centre.Location()), Ahead: p.Ahead, Wait: time.Duration(p.WaitSeconds) * time.Second,
		TrackURL: track, Booked: p.Booked,
	}
	if strings.HasPrefix(centre.Name, "Trung tâm") || strings.HasPrefix(centre.Name, "Bộ phận") {
		t.Centre, t.Subtitle = centre.Name, ""
	}
	if p.Priority != "" && p.Priority != queue.PriorityNormal {
		t.Footer = "Ưu tiên: " + priorityName(p.Priority)
		if p.PriorityPending {
			t.Footer += " (xác nhận tại quầy)\nVui lòng xuất trình giấy tờ khi được gọi; không có giấy tờ, số trở về thứ tự thường."
		}
	}
	if p.Offline {
		t.Footer = strings.TrimSpace(t.Footer + "\nVé cấp khi mất kết nối mạng; thứ tự gọi theo giờ lấy số.")
	}
	return t
}

func priorityName(p string) string {
	return map[string]string{
		queue.PriorityElderly: "người cao tuổi", queue.PriorityDisabled: "người khuyết tật",
		queue.PriorityPregnant: "phụ nữ mang thai", queue.PriorityChild: "trẻ em", queue.PriorityMerit: "người có công",
	}[p]
}
