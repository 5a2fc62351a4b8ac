package ipp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// sample is a request with every kind of value: strings, integers,
// booleans, ranges, text with language, out-of-band values, raw values
// and nested collections.
func sample() *Message {
	op := Group{Tag: TagOperation}
	op.Add("attributes-charset", Charset("utf-8"))
	op.Add("attributes-natural-language", Language("vi"))
	op.Add("printer-uri", URI("ipp://127.0.0.1:631/ipp/print"))
	op.Add("job-name", Name("Tờ khai đăng ký khai sinh"))
	op.Add("requested-attributes", Keyword("printer-state"), Keyword("printer-state-reasons"))
	job := Group{Tag: TagJob}
	job.Add("copies", Integer(2))
	job.Add("page-ranges", Value{Tag: TagRange, Int: 1, Upper: 3})
	job.Add("job-hold", Value{Tag: TagBoolean, Bool: true})
	job.Add("job-message", Value{Tag: TagTextLang, Lang: "vi", Text: "Xin chào"})
	job.Add("job-sheets", Value{Tag: TagNoValue})
	job.Add("printer-resolution", Value{Tag: TagResolution, Raw: []byte{0, 0, 1, 44, 0, 0, 1, 44, 3}})
	job.Add("media-col", Value{Tag: TagBeginCollection, Members: []Attribute{
		{Name: "media-size", Values: []Value{{Tag: TagBeginCollection, Members: []Attribute{
			{Name: "x-dimension", Values: []Value{Integer(21000)}},
			{Name: "y-dimension", Values: []Value{Integer(29700)}},
		}}}},
		{Name: "media-source", Values: []Value{Keyword("main"), Keyword("tray-1")}},
	}}, Value{Tag: TagBeginCollection, Members: []Attribute{{Name: "media-type", Values: []Value{Keyword("stationery")}}}})
	return &Message{Major: 1, Minor: 1, Code: OpPrintJob, RequestID: 7, Groups: []Group{op, job, {Tag: TagPrinter}}}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	m := sample()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte("%PDF-1.4 the document")
	got, rest, err := Decode(append(b, doc...))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rest, doc) {
		t.Errorf("document after the message: %q", rest)
	}
	b2, err := got.Encode()
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("re-encoded differs: %v\n%x\n%x", err, b, b2)
	}
	at, _ := got.Group(TagJob).Attr("media-col")
	if len(at.Values) != 2 || at.Values[0].String() != "{media-size={x-dimension=21000 y-dimension=29700} media-source=main,tray-1}" {
		t.Errorf("media-col %v", at.Values)
	}
	at, _ = got.Group(TagOperation).Attr("job-name")
	if at.Text() != "Tờ khai đăng ký khai sinh" {
		t.Errorf("job-name %q", at.Text())
	}
}

// TestEncodingBytes pins the wire format of RFC 8010 §3 on a small
// request: version, operation, request id, the group, each attribute as
// tag, name length, name, value length, value, an additional value with
// an empty name, then end-of-attributes.
func TestEncodingBytes(t *testing.T) {
	g := Group{Tag: TagOperation}
	g.Add("attributes-charset", Charset("utf-8"))
	g.Add("requested-attributes", Keyword("a"), Keyword("bc"))
	g.Add("job-id", Integer(258))
	m := &Message{Major: 1, Minor: 1, Code: OpGetJobAttributes, RequestID: 1, Groups: []Group{g}}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := "0101" + "0009" + "00000001" + "01" +
		"47" + "0012" + hex.EncodeToString([]byte("attributes-charset")) + "0005" + hex.EncodeToString([]byte("utf-8")) +
		"44" + "0014" + hex.EncodeToString([]byte("requested-attributes")) + "0001" + "61" +
		"44" + "0000" + "0002" + "6263" +
		"21" + "0006" + hex.EncodeToString([]byte("job-id")) + "0004" + "00000102" +
		"03"
	if hex.EncodeToString(b) != want {
		t.Fatalf("encoded\n%x\nwant\n%s", b, want)
	}
}

func TestDecodeRefuses(t *testing.T) {
	head := []byte{1, 1, 0, 0, 0, 0, 0, 1}
	attr := func(tag byte, name string, value []byte) []byte {
		b := []byte{tag, byte(len(name) >> 8), byte(len(name))}
		b = append(b, name...)
		b = append(b, byte(len(value)>>8), byte(len(value)))
		return append(b, value...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	deep := cat(head, []byte{1}, attr(0x34, "c", nil))
	for range maxDepth + 1 {
		deep = cat(deep, attr(0x4a, "", []byte("m")), attr(0x34, "", nil))
	}
	for name, data := range map[string][]byte{
		"empty":                  nil,
		"short header":           head[:5],
		"no end tag":             cat(head, []byte{1}),
		"attribute before group": cat(head, attr(0x21, "x", []byte{0, 0, 0, 1}), []byte{3}),
		"additional value first": cat(head, []byte{1}, attr(0x21, "", []byte{0, 0, 0, 1}), []byte{3}),
		"integer of 3 bytes":     cat(head, []byte{1}, attr(0x21, "x", []byte{0, 0, 1}), []byte{3}),
		"boolean 2":              cat(head, []byte{1}, attr(0x22, "x", []byte{2}), []byte{3}),
		"value overruns":         cat(head, []byte{1}, []byte{0x44, 0, 1, 'x', 0, 9, 'a'}),
		"unterminated collection": cat(head, []byte{1}, attr(0x34, "c", nil), attr(0x4a, "", []byte("m")),
			attr(0x21, "", []byte{0, 0, 0, 1}), []byte{3}),
		"member without value": cat(head, []byte{1}, attr(0x34, "c", nil), attr(0x4a, "", []byte("m")), attr(0x37, "", nil), []byte{3}),
		"end collection alone": cat(head, []byte{1}, attr(0x37, "x", nil), []byte{3}),
		"nested too deep":      deep,
		"text-lang overrun":    cat(head, []byte{1}, attr(0x35, "x", []byte{0, 5, 'v', 'i'}), []byte{3}),
		"version 0":            cat([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte{3}),
	} {
		if _, _, err := Decode(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
	}
}

// FuzzDecode: whatever the bytes, Decode returns or refuses without
// panicking, and what it accepts encodes back to a message that decodes
// to the same.
func FuzzDecode(f *testing.F) {
	b, _ := sample().Encode()
	f.Add(b)
	ans := &Message{Major: 2, Minor: 0, Code: 0x040b, RequestID: 3, Groups: []Group{
		{Tag: TagOperation, Attrs: []Attribute{{Name: "status-message", Values: []Value{{Tag: TagText, Text: "Unsupported"}}}}},
		{Tag: TagUnsupported, Attrs: []Attribute{{Name: "document-format", Values: []Value{MimeType("x/y")}}}},
	}}
	b, _ = ans.Encode()
	f.Add(b)
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 1, 3})
	if real, err := os.ReadFile("testdata/ippeveprinter-attributes.ipp"); err == nil {
		f.Add(real)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := Decode(data)
		if err != nil {
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		m2, rest, err := Decode(enc)
		if err != nil || len(rest) != 0 {
			t.Fatalf("re-encoded message does not decode: %v (%d bytes left)", err, len(rest))
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip differs:\n%+v\n%+v", m, m2)
		}
	})
}

// TestDecodeIppeveprinter decodes a real answer: Get-Printer-Attributes
// (all, media-col-database) from CUPS 2.4.2's ippeveprinter, collections
// nested two deep among them.
func TestDecodeIppeveprinter(t *testing.T) {
	data, err := os.ReadFile("testdata/ippeveprinter-attributes.ipp")
	if err != nil {
		t.Fatal(err)
	}
	m, rest, err := Decode(data)
	if err != nil || len(rest) != 0 {
		t.Fatalf("%v (%d bytes left)", err, len(rest))
	}
	if m.Code != StatusOK || m.Major != 1 {
		t.Fatalf("status %#x version %d.%d", m.Code, m.Major, m.Minor)
	}
	g := m.Group(TagPrinter)
	at, _ := g.Attr("printer-state")
	if st, _ := at.Int(); PrinterState(st) != PrinterIdle {
		t.Errorf("printer-state %v", at.Values)
	}
	at, _ = g.Attr("document-format-supported")
	if f := at.Strings(); !reflect.DeepEqual(f, []string{"application/octet-stream", "application/pdf", "image/pwg-raster"}) {
		t.Errorf("document-format-supported %q", f)
	}
	at, _ = g.Attr("media-col-database")
	found := false
	for _, v := range at.Values {
		if strings.Contains(v.String(), "media-size={x-dimension=21000 y-dimension=29700}") {
			found = true
		}
	}
	if !found {
		t.Errorf("no A4 in media-col-database: %v", at.Values)
	}
	enc, err := m.Encode()
	if err != nil || !bytes.Equal(enc, data) {
		t.Errorf("re-encoding differs from the printer's bytes (%v)", err)
	}
}
