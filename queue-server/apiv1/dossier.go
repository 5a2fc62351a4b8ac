package apiv1

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// ---- Forms and dossiers (issue 19) ----

// DossierMark is what a ticket's dossier holds, shown to staff with the
// ticket.
type DossierMark struct {
	Form      bool `json:"form,omitempty"`
	Documents int  `json:"documents,omitempty"`
	Confirmed bool `json:"confirmed,omitempty"`
}

// FormSummary is one form of GET /api/v1/forms.
type FormSummary struct {
	Procedure string `json:"procedure"`
	Version   string `json:"version"`
	Title     string `json:"title"`
}

// FilledForm is a form with values, as forms.Filled (the same fields:
// convert one to the other with FilledForm(f) and forms.Filled(v)).
type FilledForm struct {
	Procedure string            `json:"procedure"`
	Version   string            `json:"version"`
	Values    map[string]string `json:"values"`
	Sources   map[string]string `json:"sources,omitempty"`
}

// FormView is a filled form kept with a ticket or a booking.
type FormView struct {
	Procedure string            `json:"procedure"`
	Version   string            `json:"version"`
	Values    map[string]string `json:"values"`
	Sources   map[string]string `json:"sources,omitempty"`
	UpdatedAt string            `json:"updated_at"`
}

// FieldError says what is wrong with one field of a form (the 422
// answer's "fields").
type FieldError struct {
	Field     string `json:"field"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en,omitempty"`
}

// DocumentMeta describes a digitised document sent with its PDF (the
// "meta" part of POST /api/v1/tickets/{id}/documents). ID is made once
// by the sender: the same document sent again is recognised.
type DocumentMeta struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Kind    string            `json:"kind"`
	Pages   int               `json:"pages"`
	Status  string            `json:"status,omitempty"`
	Reasons []string          `json:"reasons,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
	SHA256  string            `json:"sha256"`
}

// DocumentField is a field read from a document; Read is what the OCR
// read when a clerk corrected the value.
type DocumentField struct {
	Value       string `json:"value"`
	Read        string `json:"read,omitempty"`
	CorrectedBy string `json:"corrected_by,omitempty"`
	CorrectedAt string `json:"corrected_at,omitempty"`
}

// DocumentView is a digitised document of a dossier.
type DocumentView struct {
	ID        string                   `json:"id"`
	Name      string                   `json:"name"`
	Kind      string                   `json:"kind"`
	Pages     int                      `json:"pages"`
	SHA256    string                   `json:"sha256"`
	Size      int                      `json:"size"`
	Status    string                   `json:"status,omitempty"`
	Reasons   []string                 `json:"reasons,omitempty"`
	Fields    map[string]DocumentField `json:"fields"`
	CreatedAt string                   `json:"created_at"`
}

// DocumentPatch corrects fields of a document (PATCH …/documents/{doc}).
type DocumentPatch struct {
	Fields map[string]string `json:"fields"`
}

// DossierTicket is the ticket a dossier view is of.
type DossierTicket struct {
	ID      string `json:"id"`
	Number  string `json:"number"`
	Service string `json:"service"`
}

// DossierView is everything kept for a ticket: its form (or its
// booking's), its documents, its pre-check and the clerk's confirmation.
type DossierView struct {
	Ticket    DossierTicket `json:"ticket"`
	Booking   string        `json:"booking,omitempty"`
	Procedure string        `json:"procedure,omitempty"`
	// Citizen are the form's values that a card or a booking fills
	// (id_number, name, birth_date, sex, address…), by what they are.
	Citizen     map[string]string `json:"citizen"`
	Form        *FormView         `json:"form"`
	Documents   []DocumentView    `json:"documents"`
	Precheck    json.RawMessage   `json:"precheck"`
	ConfirmedBy string            `json:"confirmed_by,omitempty"`
	ConfirmedAt string            `json:"confirmed_at,omitempty"`
}

// Forms lists the forms the server knows (public).
func (c *Client) Forms(ctx context.Context) ([]FormSummary, error) {
	var out []FormSummary
	_, err := c.Do(ctx, "GET", "/api/v1/forms", nil, &out)
	return out, err
}

// FormDefinition returns a procedure's form definition, as its data file
// (public).
func (c *Client) FormDefinition(ctx context.Context, procedure string) (json.RawMessage, error) {
	var out json.RawMessage
	_, err := c.Do(ctx, "GET", "/api/v1/forms/"+url.PathEscape(procedure), nil, &out)
	return out, err
}

// PutTicketForm keeps a filled form with a ticket (kiosk or staff of its
// centre). A form the server finds wrong is an *APIError whose Fields say
// what is wrong with each field.
func (c *Client) PutTicketForm(ctx context.Context, id string, f FilledForm) (FormView, error) {
	var out FormView
	_, err := c.Do(ctx, "PUT", "/api/v1/tickets/"+url.PathEscape(id)+"/form", f, &out)
	return out, err
}

// PutBookingForm keeps a filled form with a booking: query is the signed
// link's ("exp=…&sig=…", from the booking's form_url), empty for staff.
func (c *Client) PutBookingForm(ctx context.Context, code, query string, f FilledForm) (FormView, error) {
	var out FormView
	_, err := c.Do(ctx, "PUT", "/api/v1/bookings/"+url.PathEscape(code)+"/form"+withQuery(query), f, &out)
	return out, err
}

// TicketForm returns the form kept with a ticket, or with its booking
// (staff of its centre).
func (c *Client) TicketForm(ctx context.Context, id string) (FormView, error) {
	var out FormView
	_, err := c.Do(ctx, "GET", "/api/v1/tickets/"+url.PathEscape(id)+"/form", nil, &out)
	return out, err
}

// TicketFormPDF returns a ticket's form printed in the official layout
// (staff of its centre).
func (c *Client) TicketFormPDF(ctx context.Context, id string) ([]byte, error) {
	return c.Get(ctx, "/api/v1/tickets/"+url.PathEscape(id)+"/form.pdf")
}

// BookingForm returns the form kept with a booking (staff, or query: the
// signed link's).
func (c *Client) BookingForm(ctx context.Context, code, query string) (FormView, error) {
	var out FormView
	_, err := c.Do(ctx, "GET", "/api/v1/bookings/"+url.PathEscape(code)+"/form"+withQuery(query), nil, &out)
	return out, err
}

// AddDocument sends a digitised document and its PDF to a ticket's
// dossier (kiosk or staff of its centre); the same meta.ID again answers
// the document kept the first time.
func (c *Client) AddDocument(ctx context.Context, ticketID string, meta DocumentMeta, pdf []byte) (DocumentView, error) {
	var out DocumentView
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mj, err := json.Marshal(meta)
	if err != nil {
		return out, err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="meta"`)
	h.Set("Content-Type", "application/json")
	pw, _ := mw.CreatePart(h)
	pw.Write(mj)
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="pdf"; filename="document.pdf"`)
	h.Set("Content-Type", "application/pdf")
	pw, _ = mw.CreatePart(h)
	pw.Write(pdf)
	if err := mw.Close(); err != nil {
		return out, err
	}
	_, err = c.send(ctx, "POST", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/documents", mw.FormDataContentType(), &body, func(r io.Reader) error {
		return json.NewDecoder(r).Decode(&out)
	})
	return out, err
}

// Dossier returns a ticket's dossier (staff of its centre).
func (c *Client) Dossier(ctx context.Context, ticketID string) (DossierView, error) {
	var out DossierView
	_, err := c.Do(ctx, "GET", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/dossier", nil, &out)
	return out, err
}

// DocumentPDF returns a document's PDF (staff of its centre).
func (c *Client) DocumentPDF(ctx context.Context, ticketID, doc string) ([]byte, error) {
	return c.Get(ctx, "/api/v1/tickets/"+url.PathEscape(ticketID)+"/documents/"+url.PathEscape(doc))
}

// CorrectDocument corrects fields of a document (clerk or admin of its
// centre).
func (c *Client) CorrectDocument(ctx context.Context, ticketID, doc string, fields map[string]string) (DocumentView, error) {
	var out DocumentView
	_, err := c.Do(ctx, "PATCH", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/documents/"+url.PathEscape(doc), DocumentPatch{Fields: fields}, &out)
	return out, err
}

// ConfirmDossier records that the clerk checked a ticket's dossier.
func (c *Client) ConfirmDossier(ctx context.Context, ticketID string) (DossierView, error) {
	var out DossierView
	_, err := c.Do(ctx, "POST", "/api/v1/tickets/"+url.PathEscape(ticketID)+"/dossier/confirm", nil, &out)
	return out, err
}

// DossierZIP returns a ticket's dossier package: manifest.json, form.pdf
// and the documents' PDFs (staff of its centre).
func (c *Client) DossierZIP(ctx context.Context, ticketID string) ([]byte, error) {
	return c.Get(ctx, "/api/v1/tickets/"+url.PathEscape(ticketID)+"/dossier.zip")
}

// Get returns the body of a GET of path that answers other than JSON (a
// PDF, a ZIP), or the API's error.
func (c *Client) Get(ctx context.Context, path string) ([]byte, error) {
	var out []byte
	_, err := c.send(ctx, "GET", path, "", nil, func(r io.Reader) error {
		var err error
		out, err = io.ReadAll(r)
		return err
	})
	return out, err
}

func withQuery(q string) string {
	if q = strings.TrimPrefix(q, "?"); q == "" {
		return ""
	}
	return "?" + q
}

// send sends a request with a body of the content type given and reads
// a successful answer with read.
func (c *Client) send(ctx context.Context, method, path, ctype string, body io.Reader, read func(io.Reader) error) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return 0, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Language != "" {
		req.Header.Set("Accept-Language", c.Language)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return resp.StatusCode, apiError(resp)
	}
	if err := read(resp.Body); err != nil {
		return resp.StatusCode, fmt.Errorf("xephang api: read %s %s: %w", method, path, err)
	}
	return resp.StatusCode, nil
}
