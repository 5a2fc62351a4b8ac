package pgstore

// Loading a centre's live state, reading its events and tickets.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"xephang/queue-server/queue"
)

// LoadCentres loads every centre's snapshot, in order of id.
func (s *Store) LoadCentres() ([]queue.Snapshot, error) {
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, "SELECT id FROM centres ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	out := make([]queue.Snapshot, 0, len(ids))
	for _, id := range ids {
		snap, err := s.LoadCentre(id)
		if err != nil {
			return nil, err
		}
		out = append(out, snap)
	}
	return out, nil
}

// LoadCentre loads, from one snapshot of the database, what a centre's
// live state needs, as the bbolt store does: configuration, meta and
// revision, counters, the tickets of the current day, the bookings of the
// current day on, the number blocks from the day before, the no-shows,
// numbering, stats and the webhooks not deleted.
func (s *Store) LoadCentre(id string) (queue.Snapshot, error) {
	var snap queue.Snapshot
	ctx := context.Background()
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var cfg, meta []byte
		var rev int64
		err := tx.QueryRow(ctx, "SELECT config, meta, rev FROM centres WHERE id = $1", id).Scan(&cfg, &meta, &rev)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("centre", id)
		}
		if err != nil {
			return err
		}
		snap.Rev = uint64(rev)
		if err := json.Unmarshal(cfg, &snap.Config); err != nil {
			return fmt.Errorf("centre %s config: %w", id, err)
		}
		if meta != nil {
			if err := json.Unmarshal(meta, &snap.Meta); err != nil {
				return fmt.Errorf("centre %s meta: %w", id, err)
			}
		}
		day := snap.Meta.Day
		pb := &pgx.Batch{}
		queueDocs(pb, &snap.Counters, "SELECT doc FROM counters WHERE centre = $1 ORDER BY number", id)
		if day != "" {
			// The current day's tickets, open ones among them: a ticket
			// still open when its day ended was expired in the commit
			// that started the next day.
			queueDocs(pb, &snap.Tickets, "SELECT doc FROM tickets WHERE centre = $1 AND day = $2 ORDER BY id", id, day)
			queueDocs(pb, &snap.Bookings, "SELECT doc FROM bookings WHERE centre = $1 AND day >= $2 ORDER BY day, code", id, day)
			d, _ := time.Parse(time.DateOnly, day)
			from := d.AddDate(0, 0, -1).Format(time.DateOnly)
			queueDocs(pb, &snap.Blocks, "SELECT doc FROM blocks WHERE centre = $1 AND day >= $2 ORDER BY day, id", id, from)
		}
		queueDocs(pb, &snap.NoShows, "SELECT doc FROM noshows WHERE centre = $1 ORDER BY id", id)
		queueDocs(pb, &snap.Stats, "SELECT doc FROM stats WHERE centre = $1 ORDER BY service", id)
		queueDocs(pb, &snap.Webhooks, sqlWebhooksOf, id)
		snap.Numbers = map[string]int{}
		pb.Queue("SELECT key, last FROM numbers WHERE centre = $1", id).Query(func(rows pgx.Rows) error {
			var k string
			var n int32
			_, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error {
				snap.Numbers[k] = int(n)
				return nil
			})
			return err
		})
		return tx.SendBatch(ctx, pb).Close()
	})
	if err != nil {
		if queue.ErrorCode(err) == queue.ENotFound {
			return queue.Snapshot{}, err
		}
		return queue.Snapshot{}, fmt.Errorf("pgstore: load centre %s: %w", id, err)
	}
	return snap, nil
}

// queueDocs queues a query of documents, appended to out decoded.
func queueDocs[T any](pb *pgx.Batch, out *[]T, sql string, args ...any) {
	pb.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		return appendDocs(rows, out)
	})
}

// appendDocs appends the documents of the rows' only column, decoded.
func appendDocs[T any](rows pgx.Rows, out *[]T) error {
	var raw []byte
	_, err := pgx.ForEachRow(rows, []any{&raw}, func() error {
		var x T
		if err := json.Unmarshal(raw, &x); err != nil {
			return err
		}
		*out = append(*out, x)
		return nil
	})
	return err
}

// docs runs a query of documents; none is a nil slice.
func docs[T any](ctx context.Context, q querier, sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	var out []T
	err = appendDocs(rows, &out)
	return out, err
}

// one reads one document; none is a not-found error of what, id.
func one[T any](ctx context.Context, q querier, what, id, sql string, args ...any) (T, error) {
	var x T
	var raw []byte
	err := q.QueryRow(ctx, sql, args...).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, notFound(what, id)
	}
	if err != nil {
		return x, fmt.Errorf("pgstore: %s %q: %w", what, id, err)
	}
	if err := json.Unmarshal(raw, &x); err != nil {
		return x, fmt.Errorf("pgstore: %s %q: %w", what, id, err)
	}
	return x, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// centreDocs reads documents of a centre: none is a nil slice, or a
// not-found error when the centre does not exist.
func centreDocs[T any](s *Store, centre, sql string, args ...any) ([]T, error) {
	ctx := context.Background()
	out, err := docs[T](ctx, s.pool, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: centre %s: %w", centre, err)
	}
	if len(out) == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM centres WHERE id = $1)", centre).Scan(&exists); err != nil {
			return nil, fmt.Errorf("pgstore: centre %s: %w", centre, err)
		}
		if !exists {
			return nil, notFound("centre", centre)
		}
	}
	return out, nil
}

// Events returns up to limit events of a centre with seq > since, in order.
func (s *Store) Events(centre string, since uint64, limit int) ([]queue.Event, error) {
	if since > math.MaxInt64 {
		since = math.MaxInt64
	}
	limit = max(limit, 0)
	return centreDocs[queue.Event](s, centre, "SELECT doc FROM events WHERE centre = $1 AND seq > $2 ORDER BY seq LIMIT $3",
		centre, int64(since), limit)
}

// Ticket finds a ticket by id in any centre.
func (s *Store) Ticket(id string) (queue.Ticket, error) {
	return one[queue.Ticket](context.Background(), s.pool, "ticket", id, "SELECT doc FROM tickets WHERE id = $1", id)
}

// TicketByKey finds the ticket issued with an idempotency key.
func (s *Store) TicketByKey(centre, key string) (queue.Ticket, error) {
	ts, err := centreDocs[queue.Ticket](s, centre, "SELECT doc FROM tickets WHERE centre = $1 AND key = $2 AND key <> ''", centre, key)
	if err != nil {
		return queue.Ticket{}, err
	}
	if len(ts) == 0 {
		return queue.Ticket{}, notFound("idempotency key", key)
	}
	return ts[0], nil
}

// Tickets returns a centre's tickets of one local day, in order of id.
func (s *Store) Tickets(centre, day string) ([]queue.Ticket, error) {
	return centreDocs[queue.Ticket](s, centre, "SELECT doc FROM tickets WHERE centre = $1 AND day = $2 ORDER BY id", centre, day)
}
