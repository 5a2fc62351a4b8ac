// Package precheck is the kiosk's dossier pre-check: a citizen picks a
// procedure, scans the papers, and within seconds learns which documents
// of the procedure's list (kiosk/catalogue) are present, missing,
// unreadable or inconsistent, with the fields read from them, before
// queueing for the counter. Nothing is refused automatically: staff decide.
//
// Pipeline, per page: Prepare (grey, resolution check and enlargement to
// 300 dpi, deskew by projection profiles; Sauvola binarisation optional)
// → OCR (Tesseract through gosseract, Vietnamese, one client per
// worker) → Classify (printed titles, tone marks ignored, a few letters
// may differ) → Extract (labels matched by meaning: the wordings of
// labels.json, tone marks and punctuation ignored, a few letters may
// differ; values on the label's line, to its right or below it, by the
// hOCR line boxes) → normalise (NFC, one tone placement, dates in digits
// and in words). A page is "unreadable" only when OCR says so (confidence
// and share of words read); a readable page whose fields were not all
// found lists them for staff (missing_fields). Then the dossier:
// pages matched to the procedure's documents, cross-checks across pages
// and with the chip card read at the kiosk, and a Result that marshals to
// the JSON `kioskd precheck` prints and queue-server's
// PUT /api/v1/tickets/{id}/precheck takes. Checklist renders it for the
// ticket printer.
//
// Personal data: a Result holds names, birth dates and personal numbers
// (Decree 13/2023/ND-CP); it goes to the counter with the ticket and is
// never logged. Pass the scanned page bytes in; delete the files after.
//
// See README.md for the method, the catalogue format, the limits and the
// measured accuracy and speed.
package precheck
