package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

type citizen struct {
	IDNumber string `json:"id_number"`
	Name     string `json:"name"`
}

type inner struct {
	Extra string `json:"extra,omitempty"`
}

type request struct {
	inner
	Service string            `json:"service"`
	Citizen citizen           `json:"citizen"`
	List    []citizen         `json:"list,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	Any     any               `json:"any,omitempty"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	At      *time.Time        `json:"at,omitempty"`
	Ptr     *citizen          `json:"ptr,omitempty"`
	Skip    string            `json:"-"`
	Plain   int
}

func TestUnmarshal(t *testing.T) {
	for body, want := range map[string]string{
		`{"service":"A","citizen":{"id_number":"1","name":"An"}}`:                   "",
		`{"service":"A","extra":"x","Plain":3}`:                                     "",
		`{"list":[{"name":"a"},{"name":"b"}],"tags":{"k":"v","K":"w"}}`:             "",
		`{"any":{"a":1,"A":2},"raw":{"x":[1,{"y":2}]},"at":"2026-01-01T00:00:00Z"}`: "",
		` {"service":"A"} ` + "\n":                                                  "",
		`{"service":"A","service":"B"}`:                                             Duplicate + " service",
		`{"citizen":{"name":"a","name":"b"}}`:                                       Duplicate + " citizen.name",
		`{"list":[{"name":"a"},{"name":"a","name":"b"}]}`:                           Duplicate + " list[1].name",
		`{"tags":{"k":"v","k":"w"}}`:                                                Duplicate + " tags.k",
		`{"any":{"a":1,"a":2}}`:                                                     Duplicate + " any.a",
		`{"raw":{"a":1,"a":2}}`:                                                     Duplicate + " raw.a",
		`{"SERVICE":"A"}`:                                                           Case + " SERVICE",
		`{"citizen":{"ID_Number":"1"}}`:                                             Case + " citizen.ID_Number",
		`{"ptr":{"Name":"x"}}`:                                                      Case + " ptr.Name",
		`{"plain":1}`:                                                               Case + " plain",
		`{"Skip":"x"}`:                                                              Unknown + " Skip",
		`{"service":"A"}{"service":"B"}`:                                            Trailing + " ",
		`{"service":"A"} x`:                                                         Trailing + " ",
		`{"nope":1}`:                                                                Unknown + " nope",
		`{"service":`:                                                               "json",
		``:                                                                          "json",
	} {
		var v request
		err := Unmarshal([]byte(body), &v)
		var e *Error
		got := ""
		switch {
		case errors.As(err, &e):
			got = e.Problem + " " + e.Path
		case err != nil:
			got = "json"
		}
		if got != want {
			t.Errorf("%s: %q (%v), want %q", body, got, err, want)
		}
	}
}

// FuzzUnmarshal: whatever Unmarshal accepts, encoding/json decodes to the
// same value, and holds no duplicate key at any depth (checked by a
// decoder of its own: a map[string]any per object counts the keys).
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{`{"service":"A","citizen":{"id_number":"1","name":"An"}}`, `{"service":"A","service":"B"}`,
		`{"SERVICE":"A"}`, `{"list":[{"name":"a"}],"tags":{"k":"v"}}`, `{"any":{"a":[1,2,{"b":null}]}}`, `{}`, `[]`, `{"service":"A"} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var strict request
		if err := Unmarshal(data, &strict); err != nil {
			return
		}
		var loose request
		if err := json.Unmarshal(data, &loose); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		if !reflect.DeepEqual(strict, loose) {
			t.Fatalf("strict %+v, loose %+v", strict, loose)
		}
		if dupKeys(t, json.NewDecoder(bytesReader(data))) {
			t.Fatalf("accepted a duplicate key: %s", data)
		}
	})
}
