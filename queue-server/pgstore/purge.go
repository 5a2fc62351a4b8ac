package pgstore

// Purge (personal data, old events and the change log past retention),
// spent anti-bot challenges and the fingerprints of keys kept outside.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"xephang/queue-server/queue"
)

// purgeEventsMax bounds the events one Purge deletes (as the bbolt
// store): a long backlog drains over a few runs.
const purgeEventsMax = 20_000

// Purge erases personal data past retention, in one transaction: the
// personal data of bookings of days before bookingsBefore, the events of
// local days before it (never one after the meta's DaySeq), no-shows
// before noShowsBefore, the centre's contacts expired at now and its
// messages older than queue.MessageKeepDays, expired sessions, and the
// centre's change log older than Options.ChangeLogKeep before now. It takes no centre lock: it touches past days only, and a server
// may call it while a round of its own holds the centre.
func (s *Store) Purge(centre, bookingsBefore string, noShowsBefore, now time.Time) (int, error) {
	ctx := context.Background()
	n := 0
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		var cfgRaw, metaRaw []byte
		err := tx.QueryRow(ctx, "SELECT config, meta FROM centres WHERE id = $1", centre).Scan(&cfgRaw, &metaRaw)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("centre", centre)
		}
		if err != nil {
			return err
		}
		var cfg queue.Centre
		var meta queue.Meta
		if err := json.Unmarshal(cfgRaw, &cfg); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if metaRaw != nil {
			if err := json.Unmarshal(metaRaw, &meta); err != nil {
				return fmt.Errorf("meta: %w", err)
			}
		}
		if n, err = purgeBookings(ctx, tx, centre, bookingsBefore); err != nil {
			return err
		}
		cutoff, err := time.ParseInLocation(time.DateOnly, bookingsBefore, cfg.Location())
		if err != nil {
			return fmt.Errorf("purge day %q: %w", bookingsBefore, err)
		}
		// The events before the first of the cutoff's day, up to the
		// current day's first (a ticket's events stay while it lives).
		_, err = tx.Exec(ctx, `DELETE FROM events WHERE centre = $1 AND seq IN (
			SELECT seq FROM events WHERE centre = $1 AND seq <= $2
				AND seq < coalesce((SELECT min(seq) FROM events WHERE centre = $1 AND at >= $3), 9223372036854775807)
			ORDER BY seq LIMIT $4)`, centre, int64(meta.DaySeq), cutoff, purgeEventsMax)
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM noshows WHERE centre = $1 AND at < $2", centre, noShowsBefore); err != nil {
			return fmt.Errorf("no-shows: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM contacts WHERE centre = $1 AND expires < $2", centre, now); err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		keepFrom := now.Add(-queue.MessageKeepDays * 24 * time.Hour)
		if _, err := tx.Exec(ctx, "DELETE FROM messages WHERE centre = $1 AND created_at < $2", centre, keepFrom); err != nil {
			return fmt.Errorf("messages: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires <= $1", now); err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM changes WHERE centre = $1 AND at < $2", centre, now.Add(-s.keep)); err != nil {
			return fmt.Errorf("change log: %w", err)
		}
		return nil
	})
	if err != nil {
		if queue.ErrorCode(err) == queue.ENotFound {
			return 0, err
		}
		return 0, fmt.Errorf("pgstore: purge %s: %w", centre, err)
	}
	return n, nil
}

// purgeBookings erases the citizen of the bookings of days before before
// not purged yet and returns how many.
func purgeBookings(ctx context.Context, tx pgx.Tx, centre, before string) (int, error) {
	bs, err := docs[queue.Booking](ctx, tx, "SELECT doc FROM bookings WHERE centre = $1 AND day < $2 AND NOT purged ORDER BY day, code", centre, before)
	if err != nil {
		return 0, fmt.Errorf("bookings: %w", err)
	}
	var codes, ds []string
	for _, b := range bs {
		if b.Purged {
			continue
		}
		b.Citizen = queue.Citizen{}
		b.Purged = true
		d, err := doc(b)
		if err != nil {
			return 0, err
		}
		codes, ds = append(codes, b.Code), append(ds, d)
	}
	if len(codes) == 0 {
		return 0, nil
	}
	_, err = tx.Exec(ctx, `UPDATE bookings b SET purged = true, doc = x.d::jsonb
		FROM unnest($1::text[], $2::text[]) AS x(code, d) WHERE b.code = x.code`, codes, ds)
	if err != nil {
		return 0, fmt.Errorf("bookings: %w", err)
	}
	return len(codes), nil
}

// spentPurgeMax bounds the expired challenges one SpendChallenge deletes.
const spentPurgeMax = 64

// SpendChallenge records an anti-bot challenge as spent until it expires
// (to the second) and reports whether it was fresh, whichever server
// spent it first; it deletes a few expired ones.
func (s *Store) SpendChallenge(challenge string, expires, now time.Time) (bool, error) {
	ctx := context.Background()
	exp := time.Unix(expires.Unix(), 0)
	pb := &pgx.Batch{} // one implicit transaction
	fresh := false
	pb.Queue("INSERT INTO spent_challenges (challenge, expires) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
		challenge, exp).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			fresh = true
		}
		return rows.Err()
	})
	pb.Queue(`DELETE FROM spent_challenges WHERE (challenge, expires) IN (
		SELECT challenge, expires FROM spent_challenges WHERE expires < $1 AND NOT (challenge = $2 AND expires = $3) LIMIT $4)`,
		time.Unix(now.Unix(), 0), challenge, exp, spentPurgeMax)
	if err := s.pool.SendBatch(ctx, pb).Close(); err != nil {
		return false, fmt.Errorf("pgstore: spend challenge: %w", err)
	}
	return fresh, nil
}

// KeyID returns the fingerprint of the named key the store's hashes were
// made with, "" when none was recorded yet.
func (s *Store) KeyID(name string) (string, error) {
	var id string
	err := s.pool.QueryRow(context.Background(), "SELECT id FROM key_ids WHERE name = $1", name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("pgstore: key id %s: %w", name, err)
	}
	return id, nil
}

// SetKeyID records the fingerprint of the named key.
func (s *Store) SetKeyID(name, id string) error {
	_, err := s.pool.Exec(context.Background(),
		"INSERT INTO key_ids (name, id) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET id = EXCLUDED.id", name, id)
	if err != nil {
		return fmt.Errorf("pgstore: key id %s: %w", name, err)
	}
	return nil
}
