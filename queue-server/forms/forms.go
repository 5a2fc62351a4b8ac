// Package forms is the tờ khai (declaration form) of each procedure as data:
// its fields, which of them the ID card or the booking fills, how each is
// checked, and the official layout it is printed in. One data file per
// procedure (defs/<procedure>.json, embedded); adding a form is adding a
// file. Shared by queue-server and kioskd as a light contract: it imports
// nothing of ours but the domain (for the one CCCD number rule and the one
// person-name rule).
package forms

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrUnknown is returned for a procedure that has no form.
var ErrUnknown = errors.New("forms: no form for this procedure")

//go:embed defs/*.json
var defs embed.FS

// Field types.
const (
	TypeText      = "text"       // free text, one line
	TypeName      = "name"       // a person's name (package personname's rule)
	TypeIDNumber  = "id_number"  // a 12-digit personal number (queue.CheckCCCD)
	TypeDate      = "date"       // YYYY-MM-DD, printed dd/mm/yyyy
	TypeDateWords = "date_words" // the date of field From in words; computed, never typed
	TypeYear      = "year"       // four digits
	TypeSex       = "sex"        // M or F, printed Nam or Nữ
	TypeChoice    = "choice"     // one of Options
	TypePhone     = "phone"      // a Vietnamese mobile or landline number
	TypeAddress   = "address"    // an address, one line
	TypeNumber    = "number"     // digits, with an optional decimal part
)

var types = []string{TypeText, TypeName, TypeIDNumber, TypeDate, TypeDateWords, TypeYear, TypeSex, TypeChoice, TypePhone, TypeAddress, TypeNumber}

// Sources a field may be prefilled from: the card read at the kiosk, the
// booking's details, or the date of the form.
var sources = []string{"card.id_number", "card.old_id_number", "card.name", "card.birth_date", "card.sex", "card.address",
	"card.issue_date", "card.expiry_date", "booking.name", "booking.id_number", "booking.phone", "today"}

// Form is one procedure's tờ khai: what it asks and how it is printed.
type Form struct {
	Procedure   string     `json:"procedure"`
	Version     string     `json:"version"`                // YYYY-MM-DD of the definition; kept with every filled form
	Title       string     `json:"title"`                  // printed as the form's heading
	Template    string     `json:"template"`               // the official template's name
	LegalBasis  string     `json:"legal_basis"`            // where the template is published
	Verify      string     `json:"verify,omitempty"`       // what a lawyer must still confirm
	Addressee   string     `json:"addressee,omitempty"`    // "Kính gửi: …"; {commune} is the centre's commune
	Sections    []Section  `json:"sections"`               // in the order printed
	Declaration string     `json:"declaration,omitempty"`  // the applicant's undertaking, above the signature
	PlacePrefix string     `json:"place_prefix,omitempty"` // before the place and date ("Làm tại: " on civil status forms)
	Signature   Signature  `json:"signature"`              // the signer, on the right
	Cosign      *Signature `json:"cosign,omitempty"`       // a second signer on the left (the two sides of a marriage)
}

// Section is a titled group of fields (a title may be empty).
type Section struct {
	Title  string  `json:"title,omitempty"`
	Fields []Field `json:"fields"`
}

// Field is one value of a form.
type Field struct {
	Name           string   `json:"name"`  // [a-z][a-z0-9_]*, unique in the form
	Label          string   `json:"label"` // as printed on the official template
	Type           string   `json:"type"`
	Required       bool     `json:"required,omitempty"`
	Source         string   `json:"source,omitempty"`     // where a prefill takes it from (see sources)
	SourceSex      string   `json:"source_sex,omitempty"` // M or F: prefilled only from a person of this sex
	Width          string   `json:"width,omitempty"`      // full (default) or half: two half fields share a line
	Hint           string   `json:"hint,omitempty"`       // help shown beside the field, not printed
	Max            int      `json:"max,omitempty"`        // most characters; 0: the type's default
	Options        []Option `json:"options,omitempty"`    // the values of a choice
	Pattern        string   `json:"pattern,omitempty"`    // RE2 the whole value must match
	PatternMessage string   `json:"pattern_message,omitempty"`
	From           string   `json:"from,omitempty"` // the date field a date_words field writes in words

	re *regexp.Regexp // Pattern, anchored, compiled by Parse
}

// Option is one value of a choice and its printed label.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Signature is a signing block: its label, the hint under it, and the field
// whose value is printed as the signer's name.
type Signature struct {
	Label     string `json:"label"`
	Hint      string `json:"hint,omitempty"`
	NameField string `json:"name_field,omitempty"`
}

// Set is the forms of every procedure that has one.
type Set struct {
	forms map[string]*Form
}

// Default returns the embedded forms, parsed once and shared (read them,
// do not change them). It panics when a data file is invalid: the tests
// load it, so a bad file never ships.
func Default() *Set { return defaultSet() }

var defaultSet = sync.OnceValue(func() *Set {
	entries, err := defs.ReadDir("defs")
	if err != nil {
		panic(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := defs.ReadFile("defs/" + e.Name())
		if err != nil {
			panic(err)
		}
		files[e.Name()] = b
	}
	s, err := Parse(files)
	if err != nil {
		panic(err)
	}
	return s
})

// Parse reads form definitions, one per file (named <procedure>.json, the
// directory ignored), and checks each: known types and sources, unique
// field names, options of choices, patterns that compile, text in NFC.
func Parse(files map[string][]byte) (*Set, error) {
	s := &Set{forms: map[string]*Form{}}
	for name, b := range files {
		f, err := parseForm(b)
		if err != nil {
			return nil, fmt.Errorf("forms: %s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); f.Procedure != want {
			return nil, fmt.Errorf("forms: %s: procedure %q does not match the file name", name, f.Procedure)
		}
		s.forms[f.Procedure] = f
	}
	return s, nil
}

var (
	nameRE      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	procedureRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
)

func parseForm(b []byte) (*Form, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("not UTF-8")
	}
	if !norm.NFC.IsNormal(b) {
		return nil, errors.New("text not in Unicode NFC")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f Form
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	if !procedureRE.MatchString(f.Procedure) {
		return nil, fmt.Errorf("procedure %q: lower-case letters, digits and -", f.Procedure)
	}
	if _, err := time.Parse(time.DateOnly, f.Version); err != nil {
		return nil, fmt.Errorf("version %q: a date YYYY-MM-DD", f.Version)
	}
	if f.Title == "" || f.Template == "" || f.LegalBasis == "" {
		return nil, errors.New("title, template and legal_basis are required")
	}
	if strings.Count(f.Addressee, "{") != strings.Count(f.Addressee, "{commune}") || strings.Count(f.Addressee, "}") != strings.Count(f.Addressee, "{commune}") {
		return nil, errors.New("addressee: the only placeholder is {commune}")
	}
	if len(f.Sections) == 0 {
		return nil, errors.New("no sections")
	}
	seen := map[string]*Field{}
	for si := range f.Sections {
		sec := &f.Sections[si]
		if len(sec.Fields) == 0 {
			return nil, fmt.Errorf("section %d %q: no fields", si+1, sec.Title)
		}
		for fi := range sec.Fields {
			fd := &sec.Fields[fi]
			if err := checkField(fd); err != nil {
				return nil, fmt.Errorf("field %q: %w", fd.Name, err)
			}
			if seen[fd.Name] != nil {
				return nil, fmt.Errorf("field %q: twice", fd.Name)
			}
			seen[fd.Name] = fd
		}
	}
	for _, fd := range seen {
		if fd.Type == TypeDateWords {
			if from := seen[fd.From]; from == nil || from.Type != TypeDate {
				return nil, fmt.Errorf("field %q: from %q is not a date field of the form", fd.Name, fd.From)
			}
		}
	}
	for _, sig := range []*Signature{&f.Signature, f.Cosign} {
		if sig == nil {
			continue
		}
		if sig.Label == "" {
			return nil, errors.New("signature: no label")
		}
		if sig.NameField != "" && seen[sig.NameField] == nil {
			return nil, fmt.Errorf("signature: name_field %q is not a field", sig.NameField)
		}
	}
	return &f, nil
}

func checkField(fd *Field) error {
	if !nameRE.MatchString(fd.Name) {
		return errors.New("name: [a-z][a-z0-9_]*")
	}
	if fd.Label == "" {
		return errors.New("no label")
	}
	if !slices.Contains(types, fd.Type) {
		return fmt.Errorf("type %q: one of %s", fd.Type, strings.Join(types, ", "))
	}
	if fd.Source != "" && !slices.Contains(sources, fd.Source) {
		return fmt.Errorf("source %q: one of %s", fd.Source, strings.Join(sources, ", "))
	}
	if fd.SourceSex != "" && (fd.SourceSex != "M" && fd.SourceSex != "F" || fd.Source == "") {
		return errors.New("source_sex: M or F, with a source")
	}
	if fd.Width != "" && fd.Width != "full" && fd.Width != "half" {
		return fmt.Errorf("width %q: full or half", fd.Width)
	}
	if fd.Max < 0 || fd.Max > 2000 {
		return errors.New("max: 0 to 2000")
	}
	if (fd.Type == TypeChoice) != (len(fd.Options) > 0) {
		return errors.New("options: a choice has them, no other type does")
	}
	values := map[string]bool{}
	for _, o := range fd.Options {
		if o.Value == "" || o.Label == "" || values[o.Value] {
			return fmt.Errorf("option %q: a value (unique) and a label", o.Value)
		}
		values[o.Value] = true
	}
	if fd.Pattern != "" {
		re, err := regexp.Compile(`^(?:` + fd.Pattern + `)$`)
		if err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		fd.re = re
		if fd.PatternMessage == "" {
			return errors.New("pattern: no pattern_message")
		}
	}
	if (fd.Type == TypeDateWords) != (fd.From != "") {
		return errors.New("from: a date_words field has it, no other type does")
	}
	if fd.Type == TypeDateWords && (fd.Required || fd.Source != "") {
		return errors.New("a date_words field is computed: neither required nor sourced")
	}
	return nil
}

// Form returns the form of a procedure, or ErrUnknown.
func (s *Set) Form(procedure string) (*Form, error) {
	f, ok := s.forms[procedure]
	if !ok {
		return nil, ErrUnknown
	}
	return f, nil
}

// Forms returns every form, sorted by procedure.
func (s *Set) Forms() []*Form {
	out := make([]*Form, 0, len(s.forms))
	for _, f := range s.forms {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Procedure < out[j].Procedure })
	return out
}

// Field returns the field of that name.
func (f *Form) Field(name string) (*Field, bool) {
	for si := range f.Sections {
		for fi := range f.Sections[si].Fields {
			if fd := &f.Sections[si].Fields[fi]; fd.Name == name {
				return fd, true
			}
		}
	}
	return nil, false
}

// fields returns every field in printed order.
func (f *Form) fields() []*Field {
	var out []*Field
	for si := range f.Sections {
		for fi := range f.Sections[si].Fields {
			out = append(out, &f.Sections[si].Fields[fi])
		}
	}
	return out
}
