// Package catalogue is the kiosk's list of administrative procedures and the
// papers each one needs, kept as versioned data (procedures.json, embedded)
// with the legal basis of every procedure and the date it was last checked.
//
// The dossier pre-check (kiosk/precheck) reads it to know which documents a
// procedure requires, which page titles identify each kind of document, and
// which labelled fields to read from it. Changing the law means changing the
// JSON, bumping "version" and running the tests of this package, which check
// that every reference holds together.
package catalogue

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"

	"golang.org/x/text/unicode/norm"
)

//go:embed procedures.json
var embedded []byte

// ErrUnknownProcedure means no procedure of the catalogue has the id asked for.
var ErrUnknownProcedure = errors.New("unknown procedure")

// ErrInvalid means the catalogue data does not hold together.
var ErrInvalid = errors.New("invalid catalogue")

// Field types a kind of document can declare.
const (
	TypeName      = "name"       // a person's full name, read in capitals
	TypeIDNumber  = "id_number"  // 12-digit personal number
	TypeDate      = "date"       // dd/mm/yyyy
	TypeDateWords = "date_words" // "ngày … tháng … năm …" in words
	TypeYear      = "year"       // four digits
	TypeSex       = "sex"        // Nam / Nữ → M / F
	TypeText      = "text"       // anything, kept as read
)

// Catalogue is the whole data file.
type Catalogue struct {
	Version    string      `json:"version"` // YYYY-MM-DD of the last change
	Checked    string      `json:"checked"` // YYYY-MM-DD the legal references were last checked
	Note       string      `json:"note,omitempty"`
	Kinds      []Kind      `json:"kinds"`
	Procedures []Procedure `json:"procedures"`
}

// Kind is a kind of paper the pre-check can recognise on a page.
type Kind struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"` // Vietnamese, as shown to the citizen
	NameEN  string   `json:"name_en"`
	Form    string   `json:"form,omitempty"`     // the official form and where it is defined
	Titles  []string `json:"titles"`             // phrases printed as the page's title
	AnyText bool     `json:"any_text,omitempty"` // any readable page of text counts (originals to certify)
	Fields  []Field  `json:"fields"`
}

// Field is a labelled value printed on a kind of paper. Fields are listed in
// the order they appear on the page; the same label may appear twice (the
// mother's and the father's "Năm sinh") and is told apart by that order.
type Field struct {
	Name  string `json:"name"`  // key in the result, e.g. "child_birth_date"
	Label string `json:"label"` // the printed label, Vietnamese
	Type  string `json:"type"`
}

// Procedure is one administrative procedure and the papers it needs.
type Procedure struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	NameEN           string         `json:"name_en"`
	LegalBasis       []string       `json:"legal_basis"`
	Fee              string         `json:"fee"`
	FeeEN            string         `json:"fee_en"`
	ProcessingTime   string         `json:"processing_time"`
	ProcessingTimeEN string         `json:"processing_time_en"`
	Verify           string         `json:"verify,omitempty"`  // what a lawyer still has to confirm
	CardMatches      [][]string     `json:"card_matches"`      // groups of person prefixes; the card must match one of each group that was read
	MinAge           map[string]int `json:"min_age,omitempty"` // person prefix → minimum age at registration
	Documents        []Document     `json:"documents"`
}

// Document is one entry of a procedure's dossier.
type Document struct {
	Name     string   `json:"name"`  // Vietnamese, as printed on the checklist and in the result
	Kinds    []string `json:"kinds"` // any one of these kinds satisfies it
	Required bool     `json:"required"`
	Shown    bool     `json:"shown,omitempty"` // shown at the counter rather than handed in
	Card     bool     `json:"card,omitempty"`  // the chip card read at the kiosk satisfies it
	Note     string   `json:"note,omitempty"`
}

// Default returns the catalogue built into the binary.
func Default() *Catalogue {
	c, err := Parse(embedded)
	if err != nil {
		panic("catalogue: embedded procedures.json: " + err.Error()) // caught by the tests
	}
	return c
}

// Load reads a catalogue file, e.g. one a centre keeps beside the binary.
func Load(path string) (*Catalogue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	return Parse(b)
}

// Parse reads a catalogue from JSON, puts its texts in NFC and checks it.
func Parse(b []byte) (*Catalogue, error) {
	var c Catalogue
	if err := json.Unmarshal(norm.NFC.Bytes(b), &c); err != nil {
		return nil, fmt.Errorf("catalogue: %w: %v", ErrInvalid, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	namePattern = regexp.MustCompile(`^[a-z]+(_[a-z0-9]+)*$`)
)

// Validate checks that ids are unique and well formed, that every reference
// resolves and that every procedure states its legal basis.
func (c *Catalogue) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("catalogue: %w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if !datePattern.MatchString(c.Version) || !datePattern.MatchString(c.Checked) {
		return bad("version and checked must be YYYY-MM-DD")
	}
	kinds := map[string]bool{}
	for _, k := range c.Kinds {
		if !idPattern.MatchString(k.ID) || kinds[k.ID] {
			return bad("kind id %q is malformed or repeated", k.ID)
		}
		kinds[k.ID] = true
		if k.Name == "" || (len(k.Titles) == 0 && !k.AnyText) {
			return bad("kind %s needs a name and titles", k.ID)
		}
		for _, f := range k.Fields {
			if !namePattern.MatchString(f.Name) || f.Label == "" {
				return bad("kind %s: field %q", k.ID, f.Name)
			}
			switch f.Type {
			case TypeName, TypeIDNumber, TypeDate, TypeDateWords, TypeYear, TypeSex, TypeText:
			default:
				return bad("kind %s: field %s: unknown type %q", k.ID, f.Name, f.Type)
			}
		}
	}
	procs := map[string]bool{}
	for _, p := range c.Procedures {
		if !idPattern.MatchString(p.ID) || procs[p.ID] {
			return bad("procedure id %q is malformed or repeated", p.ID)
		}
		procs[p.ID] = true
		if p.Name == "" || len(p.LegalBasis) == 0 || len(p.Documents) == 0 {
			return bad("procedure %s needs a name, a legal basis and documents", p.ID)
		}
		names := map[string]bool{}
		for _, d := range p.Documents {
			if d.Name == "" || names[d.Name] {
				return bad("procedure %s: document name %q is empty or repeated", p.ID, d.Name)
			}
			names[d.Name] = true
			if d.Required && len(d.Kinds) == 0 && !d.Card {
				return bad("procedure %s: required document %q has no kind", p.ID, d.Name)
			}
			for _, k := range d.Kinds {
				if !kinds[k] {
					return bad("procedure %s: document %q: unknown kind %q", p.ID, d.Name, k)
				}
			}
		}
	}
	return nil
}

// Procedure returns the procedure with that id.
func (c *Catalogue) Procedure(id string) (*Procedure, error) {
	for i := range c.Procedures {
		if c.Procedures[i].ID == id {
			return &c.Procedures[i], nil
		}
	}
	return nil, fmt.Errorf("catalogue: %q: %w", id, ErrUnknownProcedure)
}

// Kind returns the kind with that id, or nil.
func (c *Catalogue) Kind(id string) *Kind {
	for i := range c.Kinds {
		if c.Kinds[i].ID == id {
			return &c.Kinds[i]
		}
	}
	return nil
}

// IDs returns the procedure ids in catalogue order.
func (c *Catalogue) IDs() []string {
	ids := make([]string, 0, len(c.Procedures))
	for _, p := range c.Procedures {
		ids = append(ids, p.ID)
	}
	return ids
}

// KindsOf returns the ids of every kind a procedure's documents name, in
// order, without repeats.
func (p *Procedure) KindsOf() []string {
	var out []string
	for _, d := range p.Documents {
		for _, k := range d.Kinds {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}
