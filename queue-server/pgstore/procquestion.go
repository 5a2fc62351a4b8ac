package pgstore

// The counts of questions asked of the procedure guidance
// (queue.ProcedureQuestions, migration 0006).

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"xephang/queue-server/queue"
)

var _ queue.ProcedureQuestions = (*Store)(nil)

// CountProcedureQuestion adds one asking to its day's counts
// (queue.ProcedureQuestions): the row is locked while it is counted, so
// that servers sharing the database add up.
func (s *Store) CountProcedureQuestion(q queue.ProcedureQuestion) error {
	ctx := context.Background()
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO procedure_questions (day, centre, q, doc) VALUES ($1, $2, $3, '{}'::jsonb) ON CONFLICT DO NOTHING`,
			q.Day, q.Centre, q.Q); err != nil {
			return err
		}
		var raw []byte
		if err := tx.QueryRow(ctx, `SELECT doc FROM procedure_questions WHERE centre = $1 AND day = $2 AND q = $3 FOR UPDATE`,
			q.Centre, q.Day, q.Q).Scan(&raw); err != nil {
			return err
		}
		var d queue.ProcedureQuestionDay
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		d.Add(q)
		v, err := doc(d)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE procedure_questions SET doc = $4::jsonb WHERE centre = $1 AND day = $2 AND q = $3`, q.Centre, q.Day, q.Q, v)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: count procedure question: %w", err)
	}
	return nil
}

// PutProcedureQuestionDay keeps a day's counts as they are
// (queue.ProcedureQuestions).
func (s *Store) PutProcedureQuestionDay(d queue.ProcedureQuestionDay) error {
	v, err := doc(d)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(context.Background(), `INSERT INTO procedure_questions (day, centre, q, doc) VALUES ($1, $2, $3, $4::jsonb)
		ON CONFLICT (centre, day, q) DO UPDATE SET doc = EXCLUDED.doc`, d.Day, d.Centre, d.Q, v)
	if err != nil {
		return fmt.Errorf("pgstore: procedure question: %w", err)
	}
	return nil
}

// ProcedureQuestionDays returns a centre's counts from the day since on
// (queue.ProcedureQuestions).
func (s *Store) ProcedureQuestionDays(centre, since string) ([]queue.ProcedureQuestionDay, error) {
	out, err := docs[queue.ProcedureQuestionDay](context.Background(), s.pool,
		`SELECT doc FROM procedure_questions WHERE centre = $1 AND day >= $2`, centre, since)
	if err != nil {
		return nil, fmt.Errorf("pgstore: procedure questions of %s: %w", centre, err)
	}
	return out, nil
}

// PurgeProcedureQuestions erases the counts of the days before before
// (queue.ProcedureQuestions).
func (s *Store) PurgeProcedureQuestions(before string) (int, error) {
	tag, err := s.pool.Exec(context.Background(), `DELETE FROM procedure_questions WHERE day < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("pgstore: purge procedure questions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
