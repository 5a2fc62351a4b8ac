package uplink

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"xephang/kiosk/outbox"
	"xephang/queue-server/apiv1"
)

func pathEscape(s string) string { return url.PathEscape(s) }

// documentMeta is the meta part of POST /api/v1/tickets/{id}/documents.
type documentMeta struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Kind    string            `json:"kind"`
	Pages   int               `json:"pages"`
	Status  string            `json:"status,omitempty"`
	Reasons []string          `json:"reasons,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
	SHA256  string            `json:"sha256"`
}

// postDocument sends one document as multipart/form-data: part meta
// (JSON), part pdf.
func postDocument(ctx context.Context, c *apiv1.Client, ticketID string, d outbox.Document, pdf []byte) error {
	meta, err := json.Marshal(documentMeta{ID: d.ID, Name: d.Name, Kind: d.Kind, Pages: d.Pages, Status: d.Status,
		Reasons: d.Reasons, Fields: d.Fields, SHA256: d.SHA256})
	if err != nil {
		return err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="meta"`)
	h.Set("Content-Type", "application/json")
	pw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	pw.Write(meta)
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="pdf"; filename="`+d.ID+`.pdf"`)
	h.Set("Content-Type", "application/pdf")
	if pw, err = mw.CreatePart(h); err != nil {
		return err
	}
	pw.Write(pdf)
	if err := mw.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.Base+"/api/v1/tickets/"+pathEscape(ticketID)+"/documents", &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 400 {
		var eb apiv1.ErrorBody
		if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
			return &apiv1.APIError{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(raw))}
		}
		return &apiv1.APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	return nil
}
