package precheck

import (
	"fmt"
	"time"

	"xephang/drivers/escpos"
	"xephang/kiosk/catalogue"
)

// Checklist is the printed summary a citizen takes from the kiosk: one
// line per document of the procedure, with a mark and the reason.
type Checklist struct {
	Title   string // "KIỂM TRA HỒ SƠ"
	Name    string // the procedure
	Ticket  string // queue number, when one was issued
	Lines   []ChecklistLine
	Footer  string
	Printed time.Time
}

// ChecklistLine is one document.
type ChecklistLine struct {
	Mark   string // "[x]" present, "[ ]" missing, "[?]" unreadable, "[!]" inconsistent
	Name   string
	Reason string // first reason, if any
}

var marks = map[Status]string{Present: "[x]", Missing: "[ ]", Unreadable: "[?]", Inconsistent: "[!]"}

// NewChecklist builds the checklist of a result.
func NewChecklist(r *Result, proc *catalogue.Procedure, ticket string, now time.Time) Checklist {
	c := Checklist{Title: "KIỂM TRA HỒ SƠ", Name: proc.Name, Ticket: ticket, Printed: now,
		Footer: "Kết quả kiểm tra tự động, chỉ để tham khảo. Cán bộ tại quầy sẽ kiểm tra lại."}
	for _, d := range r.Documents {
		l := ChecklistLine{Mark: marks[d.Status], Name: d.Name}
		if len(d.Reasons) > 0 {
			l.Reason = d.Reasons[0]
		}
		c.Lines = append(c.Lines, l)
	}
	return c
}

// Text returns the checklist as plain lines (NFC), for the screen or a log
// without personal data.
func (c Checklist) Text() []string {
	out := []string{c.Title, c.Name}
	if c.Ticket != "" {
		out = append(out, "Số thứ tự: "+c.Ticket)
	}
	for _, l := range c.Lines {
		out = append(out, l.Mark+" "+l.Name)
		if l.Reason != "" {
			out = append(out, "    "+l.Reason)
		}
	}
	return append(out, c.Footer, "In lúc: "+c.Printed.Format("02/01/2006 - 15:04:05"))
}

// ESCPOS encodes the checklist for printer profile p with
// escpos.EncodeLines: lines with diacritics as CP1258 or TCVN-3 text on
// those profiles, as raster images on raster ones, folded to ASCII on
// ascii ones. Send it with escpos.Printer.Write.
func (c Checklist) ESCPOS(p escpos.Profile) ([]byte, error) {
	lines := []escpos.Line{{Text: c.Title, Bold: true, Centre: true}, {Text: c.Name, Bold: true, Centre: true}}
	if c.Ticket != "" {
		lines = append(lines, escpos.Line{Text: "Số thứ tự: " + c.Ticket, Centre: true})
	}
	lines = append(lines, escpos.Line{})
	for _, l := range c.Lines {
		lines = append(lines, escpos.Line{Text: l.Mark + " " + l.Name})
		if l.Reason != "" {
			lines = append(lines, escpos.Line{Text: "  - " + l.Reason, Small: true})
		}
	}
	lines = append(lines, escpos.Line{},
		escpos.Line{Text: c.Footer, Small: true},
		escpos.Line{Text: "In lúc: " + c.Printed.Format("02/01/2006 - 15:04:05"), Small: true})
	b, err := escpos.EncodeLines(lines, p)
	if err != nil {
		return nil, fmt.Errorf("precheck: checklist: %w", err)
	}
	return b, nil
}
