package strictjson

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// dupKeys reports whether the next JSON value of dec holds a key twice in
// one object, at any depth: an independent check for the fuzz target.
func dupKeys(t *testing.T, dec *json.Decoder) bool {
	tok, err := dec.Token()
	if err != nil {
		t.Fatal(err)
	}
	switch tok {
	case json.Delim('{'):
		keys := map[string]int{}
		dup := false
		for dec.More() {
			k, _ := dec.Token()
			keys[k.(string)]++
			if keys[k.(string)] > 1 {
				dup = true
			}
			if dupKeys(t, dec) {
				dup = true
			}
		}
		dec.Token()
		return dup
	case json.Delim('['):
		dup := false
		for dec.More() {
			if dupKeys(t, dec) {
				dup = true
			}
		}
		dec.Token()
		return dup
	}
	return false
}
