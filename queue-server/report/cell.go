package report

import (
	"encoding/csv"
	"io"
	"regexp"
)

// plainNumber is a cell a spreadsheet reads as a number and nothing else:
// an optional minus, digits, an optional decimal part.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// SafeCell neutralises a CSV cell a spreadsheet would run as a formula
// (OWASP "CSV injection"): a cell beginning with = + - @, a tab, a carriage
// return or a line feed gets a leading apostrophe, which Excel and
// LibreOffice read as "text" and do not show. A cell that is a plain number
// (like -3 or 12.5) is left alone: no formula is only digits, and a
// negative figure must stay a number in the sheet. "-2+3" is not a plain
// number, so it is neutralised.
func SafeCell(s string) string {
	if s == "" || plainNumber.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	return s
}

// SafeCSV is a csv.Writer whose every cell goes through SafeCell: every
// CSV the project writes is made with it.
type SafeCSV struct{ w *csv.Writer }

// NewSafeCSV returns a SafeCSV writing to w with CRLF line ends (what
// Excel writes and expects).
func NewSafeCSV(w io.Writer) *SafeCSV {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &SafeCSV{w: cw}
}

// Write writes one row, each cell neutralised.
func (s *SafeCSV) Write(row []string) error {
	safe := make([]string, len(row))
	for i, c := range row {
		safe[i] = SafeCell(c)
	}
	return s.w.Write(safe)
}

// Flush writes what is buffered; Error reports the first error.
func (s *SafeCSV) Flush() { s.w.Flush() }

// Error reports an error of an earlier Write or Flush.
func (s *SafeCSV) Error() error { return s.w.Error() }
