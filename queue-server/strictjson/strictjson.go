// Package strictjson decodes JSON request bodies strictly, for the server's
// API and kioskd's local API alike. On top of encoding/json with
// DisallowUnknownFields it refuses what encoding/json lets through:
//
//   - a key given twice in one object (encoding/json keeps the last value,
//     so two readers of the same body may see two different requests);
//   - a key that names a field only when case is ignored ("ID_NUMBER" for
//     "id_number": encoding/json matches it, a proxy or a log filter that
//     looks for the exact key does not);
//   - anything after the one JSON value.
//
// It is a pre-scan of the tokens guided by the target's Go type rather
// than github.com/go-json-experiment/json (which does all of this itself):
// that package is experimental (a v0 pseudo-version whose API still
// changes before it lands in the standard library as encoding/json/v2),
// changes other decoding rules the handlers rely on (omitempty, nil slices,
// errors), and its errors would have to be mapped again to the API's
// bilingual messages. The scan costs a second pass over a body of at most
// 64 KiB.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
)

// Problems a body may have beyond what encoding/json reports.
const (
	Duplicate = "duplicate" // a key twice in one object
	Case      = "case"      // a key that matches a field only ignoring case
	Unknown   = "unknown"   // a key that matches no field
	Trailing  = "trailing"  // more after the JSON value
)

// Error is a body's problem: which, the key at fault and where (a path of
// JSON names such as "citizen.name" or "documents[1].status").
type Error struct {
	Problem string
	Key     string
	Path    string // the key's path, "" for the body itself
	Want    string // Case: the field's exact name
}

func (e *Error) Error() string {
	switch e.Problem {
	case Duplicate:
		return fmt.Sprintf("strictjson: key %q given twice", e.Path)
	case Case:
		return fmt.Sprintf("strictjson: key %q: keys are case-sensitive, the field is %q", e.Path, e.Want)
	case Unknown:
		return fmt.Sprintf("strictjson: unknown field %q", e.Path)
	}
	return "strictjson: more than one JSON value"
}

// Unmarshal decodes data into v (a pointer) as encoding/json does with
// DisallowUnknownFields, then refuses duplicate keys, keys of the wrong
// case and trailing data. Errors of encoding/json are returned as they are
// (*json.SyntaxError, *json.UnmarshalTypeError, io.EOF for an empty body…);
// the others are *Error.
func Unmarshal(data []byte, v any) error {
	// The scan first, on a body that is one valid value: an unknown key
	// deep down is then named by its whole path.
	if json.Valid(data) {
		if err := Check(data, reflect.TypeOf(v)); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Problem: Trailing}
	}
	return nil
}

// Check scans one JSON value (valid JSON: Unmarshal checks that first)
// for the problems of Error, against the Go type it is decoded into.
func Check(data []byte, t reflect.Type) error {
	s := scanner{dec: json.NewDecoder(bytes.NewReader(data))}
	s.dec.UseNumber()
	return s.value(t, "")
}

type scanner struct{ dec *json.Decoder }

var (
	unmarshaler     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// opaque reports whether values of t decode by their own rules (or take
// anything), so that only duplicate keys are checked inside them.
func opaque(t reflect.Type) bool {
	if t == nil || t.Kind() == reflect.Interface {
		return true
	}
	return t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) ||
		t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func (s *scanner) value(t reflect.Type, path string) error {
	t = deref(t)
	if opaque(t) {
		t = nil
	}
	tok, err := s.dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		return s.object(t, path)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; s.dec.More(); i++ {
			if err := s.value(elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := s.dec.Token() // ]
		return err
	}
	return nil
}

func (s *scanner) object(t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = fieldsOf(t)
	case t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		at := key
		if path != "" {
			at = path + "." + key
		}
		if seen[key] {
			return &Error{Problem: Duplicate, Key: key, Path: at}
		}
		seen[key] = true
		ft := elem
		if fields != nil {
			f, ok := fields[key]
			if !ok {
				for name := range fields {
					if strings.EqualFold(name, key) {
						return &Error{Problem: Case, Key: key, Path: at, Want: name}
					}
				}
				return &Error{Problem: Unknown, Key: key, Path: at}
			}
			ft = f
		}
		if err := s.value(ft, at); err != nil {
			return err
		}
	}
	_, err := s.dec.Token() // }
	return err
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf returns the JSON names of a struct's fields, those of embedded
// structs included, with their types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				if ft := deref(f.Type); ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := m[name]; !dup {
				m[name] = f.Type
			}
		}
	}
	walk(t)
	fieldCache.Store(t, m)
	return m
}

// IsProblem reports whether err is one of this package's problems.
func IsProblem(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
