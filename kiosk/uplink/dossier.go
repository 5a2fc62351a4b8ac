package uplink

import (
	"context"
	"encoding/json"
	"time"

	"xephang/kiosk/outbox"
	"xephang/queue-server/apiv1"
)

// Dossiers sends what a ticket's dossier holds to the server: its form
// (PUT /api/v1/tickets/{id}/form) and its documents (POST
// /api/v1/tickets/{id}/documents, the same document id again being no
// change). ClientDossiers is the one over the API client.
type Dossiers interface {
	PutForm(ctx context.Context, ticketID string, form json.RawMessage) error
	AddDocument(ctx context.Context, ticketID string, d outbox.Document, pdf []byte) error
}

// replayForms puts the forms kept with tickets the server now has (an
// offline ticket replayed, or an online one whose put failed).
func (l *Link) replayForms(ctx context.Context) (int, error) {
	ts, err := l.cfg.Store.FormsToSend()
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	settled := 0
	for _, t := range ts {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := l.dossiers().PutForm(c, t.ServerID, t.Form)
		cancel()
		failure, err := l.settle(err)
		if err != nil {
			return settled, err
		}
		if failure != "" {
			l.cfg.Log.Error("server refused a form; dropped", "number", t.Number, "err", failure)
		} else {
			l.cfg.Log.Info("form sent", "number", t.Number, "ticket", t.ServerID)
		}
		if err := l.cfg.Store.FormSent(t.Key, failure); err != nil {
			return settled, err
		}
		settled++
	}
	return settled, nil
}

// replayDocuments posts the documents kept with tickets the server now
// has, each ticket's in order, each with its id (a document the server
// had already, its answer lost, is no change).
func (l *Link) replayDocuments(ctx context.Context) (int, error) {
	ts, err := l.cfg.Store.DocumentsToSend()
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	settled := 0
	for _, t := range ts {
		for _, d := range t.Documents {
			if d.Sent {
				continue
			}
			pdf, err := l.cfg.Store.DocumentPDF(d)
			failure := ""
			if err != nil {
				// The file is gone (a disk problem): nothing to send, ever.
				failure = "file lost: " + err.Error()
			} else {
				c, cancel := context.WithTimeout(ctx, 60*time.Second)
				err = l.dossiers().AddDocument(c, t.ServerID, d, pdf)
				cancel()
				if failure, err = l.settle(err); err != nil {
					return settled, err
				}
			}
			if failure != "" {
				l.cfg.Log.Error("a document will not reach the server; dropped", "number", t.Number, "document", d.ID, "err", failure)
			} else {
				l.cfg.Log.Info("document sent", "number", t.Number, "ticket", t.ServerID, "document", d.ID, "pages", d.Pages, "bytes", d.Size)
			}
			if err := l.cfg.Store.DocumentSent(t.Key, d.ID, failure); err != nil {
				return settled, err
			}
			settled++
		}
	}
	return settled, nil
}

// settle reads the answer to a request of the replay: nil is done;
// unreachable or a refusal that may change (401, 403, 429) stops the
// replay with err; any other refusal is final: failure says why and the
// thing is dropped.
func (l *Link) settle(err error) (failure string, _ error) {
	switch {
	case err == nil:
		l.Reached()
		return "", nil
	case Unreachable(err):
		l.Failed(err)
		return "", err
	case final(err):
		l.Reached()
		return err.Error(), nil
	default:
		l.Failed(err)
		return "", err
	}
}

func (l *Link) dossiers() Dossiers {
	if l.cfg.Dossiers != nil {
		return l.cfg.Dossiers
	}
	return ClientDossiers{Client: l.cfg.Client}
}

// ClientDossiers sends dossiers through the API client.
type ClientDossiers struct{ Client *apiv1.Client }

// PutForm puts a ticket's form.
func (c ClientDossiers) PutForm(ctx context.Context, ticketID string, form json.RawMessage) error {
	var f apiv1.FilledForm
	if err := json.Unmarshal(form, &f); err != nil {
		// Nothing the server could take, ever: a final refusal.
		return &apiv1.APIError{Status: 422, Code: "invalid", Message: "the kept form is not a filled form: " + err.Error()}
	}
	_, err := c.Client.PutTicketForm(ctx, ticketID, f)
	return err
}

// AddDocument posts a document with its PDF.
func (c ClientDossiers) AddDocument(ctx context.Context, ticketID string, d outbox.Document, pdf []byte) error {
	_, err := c.Client.AddDocument(ctx, ticketID, apiv1.DocumentMeta{ID: d.ID, Name: d.Name, Kind: d.Kind, Pages: d.Pages,
		Status: d.Status, Reasons: d.Reasons, Fields: d.Fields, SHA256: d.SHA256}, pdf)
	return err
}
