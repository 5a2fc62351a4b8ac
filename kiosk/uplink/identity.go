package uplink

import (
	"context"
	"encoding/json"
	"time"

	"xephang/queue-server/apiv1"
	"xephang/queue-server/queue"
)

// Identities sends what a card's chip gave to the ticket it came with
// (PUT /api/v1/tickets/{id}/identity: {"authenticity", "problems",
// "mismatches", "card", "face"}; putting it again is no change).
// ClientIdentities is the one over the API client.
type Identities interface {
	PutIdentity(ctx context.Context, ticketID string, identity json.RawMessage) error
}

// ClientIdentities sends identities through the API client.
type ClientIdentities struct{ Client *apiv1.Client }

// PutIdentity puts a ticket's identity, as kept (the request's JSON).
func (c ClientIdentities) PutIdentity(ctx context.Context, ticketID string, identity json.RawMessage) error {
	var in queue.IdentityIn
	if err := json.Unmarshal(identity, &in); err != nil {
		// Nothing the server could take, ever: a final refusal.
		return &apiv1.APIError{Status: 422, Code: "invalid", Message: "the kept identity is not an identity: " + err.Error()}
	}
	return c.Client.PutIdentity(ctx, ticketID, in)
}

func (l *Link) identities() Identities {
	if l.cfg.Identities != nil {
		return l.cfg.Identities
	}
	return ClientIdentities{Client: l.cfg.Client}
}

// replayIdentities drops the identities whose ticket's day is over, then
// puts those kept with tickets the server now has (an offline ticket
// replayed, or an online one whose put failed). Each is deleted from the
// outbox once the server has it.
func (l *Link) replayIdentities(ctx context.Context) (int, error) {
	if c, ok := l.Centre(); ok {
		now := l.Now().In(c.Location())
		midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
		if n, err := l.cfg.Store.DropIdentities(midnight); err != nil {
			return 0, err
		} else if n > 0 {
			l.cfg.Log.Warn("card identities of past days dropped unsent", "n", n)
		}
	}
	ts, err := l.cfg.Store.IdentitiesToSend()
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	settled := 0
	for _, t := range ts {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := l.identities().PutIdentity(c, t.ServerID, t.Identity)
		cancel()
		failure, err := l.settle(err)
		if err != nil {
			return settled, err
		}
		if failure != "" {
			l.cfg.Log.Error("server refused a card identity; dropped", "number", t.Number, "err", failure)
		} else {
			l.cfg.Log.Info("card identity sent", "number", t.Number, "ticket", t.ServerID)
		}
		if err := l.cfg.Store.IdentitySent(t.Key, failure); err != nil {
			return settled, err
		}
		settled++
	}
	return settled, nil
}
