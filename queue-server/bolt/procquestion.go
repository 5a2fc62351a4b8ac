package bolt

// The counts of questions asked of the procedure guidance
// (queue.ProcedureQuestions): bucket procquestions, key day + NUL + centre
// + NUL + question → ProcedureQuestionDay. The day first: the purge erases
// a range from the start, and a centre's recent days are one range.

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"xephang/queue-server/queue"
)

var _ queue.ProcedureQuestions = (*Store)(nil)

func procQuestionKey(day, centre, q string) []byte {
	return []byte(day + "\x00" + centre + "\x00" + q)
}

// CountProcedureQuestion adds one asking to its day's counts
// (queue.ProcedureQuestions).
func (s *Store) CountProcedureQuestion(q queue.ProcedureQuestion) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bProcQuestions)
		k := procQuestionKey(q.Day, q.Centre, q.Q)
		var d queue.ProcedureQuestionDay
		if raw := b.Get(k); raw != nil {
			if err := json.Unmarshal(raw, &d); err != nil {
				return fmt.Errorf("bolt: procedure question %q: %w", k, err)
			}
		}
		d.Add(q)
		return put(b, k, d)
	})
}

// PutProcedureQuestionDay keeps a day's counts as they are
// (queue.ProcedureQuestions).
func (s *Store) PutProcedureQuestionDay(d queue.ProcedureQuestionDay) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return put(tx.Bucket(bProcQuestions), procQuestionKey(d.Day, d.Centre, d.Q), d)
	})
}

// ProcedureQuestionDays returns a centre's counts from the day since on
// (queue.ProcedureQuestions).
func (s *Store) ProcedureQuestionDays(centre, since string) ([]queue.ProcedureQuestionDay, error) {
	var out []queue.ProcedureQuestionDay
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bProcQuestions)
		if b == nil { // a file opened read-only from before them
			return nil
		}
		c := b.Cursor()
		mid := []byte("\x00" + centre + "\x00")
		for k, v := c.Seek([]byte(since)); k != nil; k, v = c.Next() {
			if !bytes.Contains(k, mid) {
				continue
			}
			var d queue.ProcedureQuestionDay
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("bolt: procedure question %q: %w", k, err)
			}
			if d.Centre == centre {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// PurgeProcedureQuestions erases the counts of the days before before
// (queue.ProcedureQuestions).
func (s *Store) PurgeProcedureQuestions(before string) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bProcQuestions)
		var stale [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil && string(k) < before; k, _ = c.Next() {
			stale = append(stale, bytes.Clone(k))
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	return n, err
}
