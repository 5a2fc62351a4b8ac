package apiv1

import (
	"context"
	"net/url"

	"xephang/queue-server/queue"
)

// ---- Identities read from CCCD chips (issue 21) ----

// PutIdentity sends the identity read from the chip of a ticket's
// citizen (a kiosk or a clerk of the ticket's centre); sending the same
// again changes nothing.
func (c *Client) PutIdentity(ctx context.Context, ticketID string, in queue.IdentityIn) error {
	_, err := c.Do(ctx, "PUT", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/identity", in, nil)
	return err
}

// Identity returns the identity read for a ticket, without its face
// (staff of its centre; IdentityFace returns the face).
func (c *Client) Identity(ctx context.Context, ticketID string) (queue.TicketIdentity, error) {
	var out queue.TicketIdentity
	_, err := c.Do(ctx, "GET", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/identity", nil, &out)
	return out, err
}

// IdentityFace returns the face (JPEG) of a ticket's identity (staff of
// its centre).
func (c *Client) IdentityFace(ctx context.Context, ticketID string) ([]byte, error) {
	return c.Get(ctx, "/api/v1/tickets/"+url.PathEscape(ticketID)+"/identity/face")
}
