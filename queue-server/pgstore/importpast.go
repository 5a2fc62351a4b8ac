package pgstore

import (
	"context"
	"fmt"

	"xephang/queue-server/queue"
)

// ImportPast writes tickets of days before the day before (a
// history brought in from elsewhere, or the demo's generated past) into
// the centre's ticket table, in one transaction. Unlike Commit it neither
// raises the centre's revision nor logs the tickets in the change log:
// past days are not live state, the servers never absorb them, and they
// read them back only through Tickets (reports, the forecast). A ticket
// of the day before or later, of another centre, with a key (the live
// day's idempotency) or without an id fails the whole import; a ticket
// already stored is replaced.
func (s *Store) ImportPast(centre, before string, tickets []queue.Ticket) error {
	var rows rows
	for i := range tickets {
		t := &tickets[i]
		if t.ID == "" || t.Day == "" || t.Centre != centre || t.Key != "" || t.Day >= before {
			return fmt.Errorf("pgstore: import of %s: ticket %q of %q (centre %q) is not a ticket without a key of a day before %s", centre, t.ID, t.Day, t.Centre, before)
		}
		d, err := doc(t)
		if err != nil {
			return err
		}
		rows.add(t.ID, t.ID, centre, t.Day, t.Number, "", t.Status, d)
	}
	if len(rows.cols) == 0 {
		return nil
	}
	args := make([]any, len(rows.cols))
	for c, col := range rows.cols {
		args[c] = typed(col)
	}
	if _, err := s.pool.Exec(context.Background(), sqlTickets, args...); err != nil {
		return fmt.Errorf("pgstore: import of %s: %w", centre, err)
	}
	return nil
}
