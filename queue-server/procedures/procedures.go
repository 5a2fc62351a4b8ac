// Package procedures is the catalogue of commune procedures (thủ tục hành
// chính) and the answer to a question typed in everyday Vietnamese: which
// procedure it is, the papers, the fee, the time and the counter. It is
// shared by the server and kioskd, imports nothing of ours, and answers
// offline: no outside service, no model.
package procedures

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Catalogue is every field's procedures and the synonym groups used to
// understand questions.
type Catalogue struct {
	Fields   []Field
	Synonyms [][]string

	byID  map[string]*Procedure
	all   []*Procedure
	index *index
}

// Field is one lĩnh vực (one data file).
type Field struct {
	Field      string      `json:"field"`
	Name       string      `json:"name"`
	NameEN     string      `json:"name_en"`
	Sources    []string    `json:"sources"`
	Checked    string      `json:"checked"`
	Procedures []Procedure `json:"procedures"`
}

// Procedure is one thủ tục: what to bring, who may ask, fee, time, where.
type Procedure struct {
	ID         string   `json:"id"`
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	NameEN     string   `json:"name_en"`
	Aliases    []string `json:"aliases"`
	Papers     []Paper  `json:"papers"`
	Applicants string   `json:"applicants"`
	Fee        string   `json:"fee"`
	FeeEN      string   `json:"fee_en"`
	Time       string   `json:"time"`
	TimeEN     string   `json:"time_en"`
	Service    string   `json:"service"`
	Where      string   `json:"where"`
	Form       string   `json:"form"`
	FormName   string   `json:"form_name"`
	LegalBasis []Legal  `json:"legal_basis"`
	Verify     string   `json:"verify,omitempty"`
	// Field is the id of the field the procedure belongs to, set on load.
	Field string `json:"-"`
}

// Paper is one paper to bring.
type Paper struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	Kind  string `json:"kind"` // original, copy or shown
	Note  string `json:"note,omitempty"`
}

// Legal is one legal text the procedure rests on.
type Legal struct {
	Text string `json:"text"`
	Date string `json:"date"`
}

// Services are the service codes of the demo centre a procedure may name
// ("" when it is done elsewhere, then Where says where).
var Services = []string{"A", "B", "C", "D", "E", "F"}

// PaperKinds are the kinds a paper may be.
var PaperKinds = []string{"original", "copy", "shown"}

//go:embed all:data
var data embed.FS

// Default is the embedded catalogue. It panics on invalid data: the data
// test catches that first.
func Default() *Catalogue { return defaultCatalogue() }

var defaultCatalogue = sync.OnceValue(func() *Catalogue {
	files := map[string][]byte{}
	err := fs.WalkDir(data, "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".json" {
			return err
		}
		b, err := data.ReadFile(p)
		files[path.Base(p)] = b
		return err
	})
	if err != nil {
		panic(err)
	}
	c, err := Parse(files)
	if err != nil {
		panic(err)
	}
	return c
})

var (
	idRe   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

func validDate(s string) bool {
	if !dateRe.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func strict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// Parse reads a catalogue from its files by name: synonyms*.json are
// synonym groups, every other *.json is one field. It checks the data:
// required fields, unique ids, dates, service codes, NFC text.
func Parse(files map[string][]byte) (*Catalogue, error) {
	c := &Catalogue{byID: map[string]*Procedure{}}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		b := files[name]
		if !norm.NFC.IsNormal(b) {
			return nil, fmt.Errorf("procedures: %s: text is not NFC", name)
		}
		if strings.HasPrefix(name, "synonyms") {
			var s struct {
				Synonyms []struct {
					Terms []string `json:"terms"`
					Note  string   `json:"note"`
				} `json:"synonyms"`
			}
			if err := strict(b, &s); err != nil {
				return nil, fmt.Errorf("procedures: %s: %w", name, err)
			}
			for i, g := range s.Synonyms {
				var terms []string
				for _, t := range g.Terms {
					if t = strings.TrimSpace(t); t != "" {
						terms = append(terms, t)
					}
				}
				if len(terms) < 2 {
					return nil, fmt.Errorf("procedures: %s: group %d: at least two terms", name, i+1)
				}
				c.Synonyms = append(c.Synonyms, terms)
			}
			continue
		}
		var f Field
		if err := strict(b, &f); err != nil {
			return nil, fmt.Errorf("procedures: %s: %w", name, err)
		}
		if err := checkField(&f, strings.TrimSuffix(name, ".json")); err != nil {
			return nil, fmt.Errorf("procedures: %s: %w", name, err)
		}
		c.Fields = append(c.Fields, f)
	}
	for fi := range c.Fields {
		f := &c.Fields[fi]
		for pi := range f.Procedures {
			p := &f.Procedures[pi]
			p.Field = f.Field
			if _, dup := c.byID[p.ID]; dup {
				return nil, fmt.Errorf("procedures: %s: id %q used twice", f.Field, p.ID)
			}
			c.byID[p.ID] = p
			c.all = append(c.all, p)
		}
	}
	c.index = build(c)
	return c, nil
}

func checkField(f *Field, file string) error {
	switch {
	case f.Field != file:
		return fmt.Errorf("field %q does not match the file name", f.Field)
	case f.Name == "" || f.NameEN == "":
		return fmt.Errorf("field %q: name and name_en required", f.Field)
	case len(f.Sources) == 0:
		return fmt.Errorf("field %q: no sources", f.Field)
	case !validDate(f.Checked):
		return fmt.Errorf("field %q: checked %q: a date YYYY-MM-DD", f.Field, f.Checked)
	case len(f.Procedures) == 0:
		return fmt.Errorf("field %q: no procedures", f.Field)
	}
	for i := range f.Procedures {
		if err := checkProcedure(&f.Procedures[i]); err != nil {
			return fmt.Errorf("procedure %d (%s): %w", i+1, f.Procedures[i].ID, err)
		}
	}
	return nil
}

func checkProcedure(p *Procedure) error {
	switch {
	case !idRe.MatchString(p.ID):
		return fmt.Errorf("id %q: lower-case letters, digits and -", p.ID)
	case p.Name == "" || p.NameEN == "":
		return fmt.Errorf("name and name_en required")
	case len(p.Papers) == 0:
		return fmt.Errorf("no papers")
	case p.Applicants == "":
		return fmt.Errorf("applicants required")
	case p.Fee == "":
		return fmt.Errorf("fee required")
	case p.Time == "" && p.Verify == "":
		return fmt.Errorf("time required (or verify saying why it is missing)")
	case p.Service != "" && !slices.Contains(Services, p.Service):
		return fmt.Errorf("service %q: one of %v or \"\"", p.Service, Services)
	case p.Service == "" && p.Where == "":
		return fmt.Errorf("service \"\" needs where")
	case p.Form != "" && !idRe.MatchString(p.Form):
		return fmt.Errorf("form %q: not a form id", p.Form)
	case len(p.LegalBasis) == 0:
		return fmt.Errorf("no legal basis")
	}
	for i, pa := range p.Papers {
		if pa.Name == "" || pa.Count < 1 || !slices.Contains(PaperKinds, pa.Kind) {
			return fmt.Errorf("paper %d %q: name, count ≥ 1 and kind one of %v", i+1, pa.Name, PaperKinds)
		}
	}
	for i, l := range p.LegalBasis {
		if l.Text == "" || (l.Date != "" && !validDate(l.Date)) {
			return fmt.Errorf("legal basis %d %q: text and date YYYY-MM-DD", i+1, l.Text)
		}
	}
	for i, a := range p.Aliases {
		if strings.TrimSpace(a) == "" {
			return fmt.Errorf("alias %d empty", i+1)
		}
	}
	return nil
}

// Procedure finds a procedure by id.
func (c *Catalogue) Procedure(id string) (*Procedure, bool) {
	p, ok := c.byID[id]
	return p, ok
}

// All is every procedure, in field file order.
func (c *Catalogue) All() []*Procedure { return slices.Clone(c.all) }
