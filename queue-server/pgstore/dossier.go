package pgstore

// Dossiers: forms, digitised documents with their PDFs, confirmations
// (queue.Dossiers, migration 0005), and their purge by expiry.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"xephang/queue-server/queue"
)

var _ queue.Dossiers = (*Store)(nil)

// PutForm keeps an owner's form (queue.Dossiers).
func (s *Store) PutForm(f queue.DossierForm) error {
	return s.putOwned("dossier_forms", "dossier form", f.Owner, f.Centre, f.Expires, f)
}

// putOwned writes v as the one row of its owner in table (dossier_forms,
// dossier_confirms), replacing the row kept before.
func (s *Store) putOwned(table, what, owner, centre string, expires time.Time, v any) error {
	d, err := doc(v)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(context.Background(), `INSERT INTO `+table+` (owner, centre, expires, doc) VALUES ($1, $2, $3, $4::jsonb)
		ON CONFLICT (owner) DO UPDATE SET centre = EXCLUDED.centre, expires = EXCLUDED.expires, doc = EXCLUDED.doc`,
		owner, centre, expires, d)
	if err != nil {
		return fmt.Errorf("pgstore: %s %s: %w", what, owner, err)
	}
	return nil
}

// Form returns an owner's form (queue.Dossiers).
func (s *Store) Form(owner string) (queue.DossierForm, error) {
	return one[queue.DossierForm](context.Background(), s.pool, "dossier form", owner, "SELECT doc FROM dossier_forms WHERE owner = $1", owner)
}

// PutDocument keeps a document and its PDF (queue.Dossiers). The owner's
// lock (an advisory one, for the transaction) makes the check of the
// limits and the insert one step among servers.
func (s *Store) PutDocument(d queue.DossierDocument, pdf []byte) error {
	ctx := context.Background()
	raw, err := doc(d)
	if err != nil {
		return err
	}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('dossier:' || $1, 0))", d.Owner); err != nil {
			return err
		}
		have, err := docs[queue.DossierDocument](ctx, tx, "SELECT doc FROM dossier_documents WHERE owner = $1 ORDER BY seq", d.Owner)
		if err != nil {
			return err
		}
		for _, h := range have {
			if h.ID == d.ID {
				return nil // sent again
			}
		}
		if err := queue.CheckDossierLimits(have, len(pdf)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO dossier_documents (owner, id, centre, size, expires, doc) VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
			d.Owner, d.ID, d.Centre, len(pdf), d.Expires, raw); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO dossier_pdfs (owner, id, pdf) VALUES ($1, $2, $3)", d.Owner, d.ID, pdf)
		return err
	})
	if err != nil {
		if queue.ErrorCode(err) != queue.EInternal {
			return err
		}
		return fmt.Errorf("pgstore: dossier document %s: %w", d.ID, err)
	}
	return nil
}

// Documents returns an owner's documents in the order they came
// (queue.Dossiers).
func (s *Store) Documents(owner string) ([]queue.DossierDocument, error) {
	out, err := docs[queue.DossierDocument](context.Background(), s.pool, "SELECT doc FROM dossier_documents WHERE owner = $1 ORDER BY seq", owner)
	if err != nil {
		return nil, fmt.Errorf("pgstore: dossier documents %s: %w", owner, err)
	}
	return out, nil
}

// DocumentPDF returns a document's PDF (queue.Dossiers).
func (s *Store) DocumentPDF(owner, id string) ([]byte, error) {
	var pdf []byte
	err := s.pool.QueryRow(context.Background(), "SELECT pdf FROM dossier_pdfs WHERE owner = $1 AND id = $2", owner, id).Scan(&pdf)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("dossier document", id)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: dossier document %s: %w", id, err)
	}
	return pdf, nil
}

// UpdateDocument replaces a document's description (queue.Dossiers).
func (s *Store) UpdateDocument(d queue.DossierDocument) error {
	raw, err := doc(d)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(context.Background(), "UPDATE dossier_documents SET expires = $3, doc = $4::jsonb WHERE owner = $1 AND id = $2",
		d.Owner, d.ID, d.Expires, raw)
	if err != nil {
		return fmt.Errorf("pgstore: dossier document %s: %w", d.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("dossier document", d.ID)
	}
	return nil
}

// Confirm records a confirmation of an owner's dossier (queue.Dossiers).
func (s *Store) Confirm(c queue.DossierConfirm) error {
	return s.putOwned("dossier_confirms", "dossier confirmation", c.Owner, c.Centre, c.Expires, c)
}

// Confirmed returns the confirmation of an owner's dossier
// (queue.Dossiers).
func (s *Store) Confirmed(owner string) (queue.DossierConfirm, error) {
	return one[queue.DossierConfirm](context.Background(), s.pool, "dossier confirmation", owner, "SELECT doc FROM dossier_confirms WHERE owner = $1", owner)
}

// PurgeDossiers erases what expired at now: forms, documents with their
// PDFs, confirmations (queue.Dossiers).
func (s *Store) PurgeDossiers(now time.Time) (int, error) {
	ctx := context.Background()
	n := 0
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		n = 0
		for _, table := range []string{"dossier_forms", "dossier_documents"} {
			tag, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE expires <= $1", now)
			if err != nil {
				return err
			}
			n += int(tag.RowsAffected())
		}
		_, err := tx.Exec(ctx, "DELETE FROM dossier_confirms WHERE expires <= $1", now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pgstore: purge dossiers: %w", err)
	}
	return n, nil
}

// ForEachDossierForm calls fn with every form of a centre's dossiers, by
// owner.
func (s *Store) ForEachDossierForm(centre string, fn func(queue.DossierForm) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM dossier_forms WHERE centre = $1 ORDER BY owner", centre)
}

// ForEachDossierDocument calls fn with every document of a centre's
// dossiers and its PDF, by owner and in the order they came.
func (s *Store) ForEachDossierDocument(centre string, fn func(queue.DossierDocument, []byte) error) error {
	rows, err := s.pool.Query(context.Background(), `SELECT d.doc, p.pdf FROM dossier_documents d JOIN dossier_pdfs p USING (owner, id)
		WHERE d.centre = $1 ORDER BY d.owner, d.seq`, centre)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	var raw, pdf []byte
	_, err = pgx.ForEachRow(rows, []any{&raw, &pdf}, func() error {
		var d queue.DossierDocument
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("pgstore: %w", err)
		}
		return fn(d, pdf)
	})
	return err
}

// ForEachDossierConfirm calls fn with every confirmation of a centre's
// dossiers, by owner.
func (s *Store) ForEachDossierConfirm(centre string, fn func(queue.DossierConfirm) error) error {
	return forEachDoc(s, fn, "SELECT doc FROM dossier_confirms WHERE centre = $1 ORDER BY owner", centre)
}
