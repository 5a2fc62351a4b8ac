package ipp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Tag is a delimiter tag (a group's start, 0x00–0x0f) or a value tag
// (0x10–0xff), RFC 8010 §3.5.
type Tag byte

// Delimiter tags: the attribute groups.
const (
	TagOperation   Tag = 0x01
	TagJob         Tag = 0x02
	TagEnd         Tag = 0x03
	TagPrinter     Tag = 0x04
	TagUnsupported Tag = 0x05
)

// Value tags.
const (
	TagUnsupportedValue Tag = 0x10 // out-of-band values carry no bytes
	TagUnknown          Tag = 0x12
	TagNoValue          Tag = 0x13
	TagInteger          Tag = 0x21
	TagBoolean          Tag = 0x22
	TagEnum             Tag = 0x23
	TagOctetString      Tag = 0x30
	TagDateTime         Tag = 0x31
	TagResolution       Tag = 0x32
	TagRange            Tag = 0x33
	TagBeginCollection  Tag = 0x34
	TagTextLang         Tag = 0x35
	TagNameLang         Tag = 0x36
	TagEndCollection    Tag = 0x37
	TagText             Tag = 0x41
	TagName             Tag = 0x42
	TagKeyword          Tag = 0x44
	TagURI              Tag = 0x45
	TagURIScheme        Tag = 0x46
	TagCharset          Tag = 0x47
	TagLanguage         Tag = 0x48
	TagMimeType         Tag = 0x49
	TagMemberName       Tag = 0x4a
	TagExtension        Tag = 0x7f
)

// Operations this client sends (RFC 8011 §5.4).
const (
	OpPrintJob             uint16 = 0x0002
	OpGetJobAttributes     uint16 = 0x0009
	OpGetPrinterAttributes uint16 = 0x000b
)

// Message is an IPP request or response. Code is the operation-id of a
// request or the status-code of a response; the document data, if any,
// follows the encoded message and is not part of it.
type Message struct {
	Major, Minor byte
	Code         uint16
	RequestID    uint32
	Groups       []Group
}

// Group is one attribute group.
type Group struct {
	Tag   Tag
	Attrs []Attribute
}

// Attribute is a named attribute with one or more values.
type Attribute struct {
	Name   string
	Values []Value
}

// Value is one value of an attribute. Which field holds it depends on
// Tag: Int for integer and enum (and a range's lower bound, Upper its
// upper), Bool for boolean, Text for every string type (the text of
// textWithLanguage, Lang its language), Members for a collection, Raw
// for dateTime, resolution and tags this client does not interpret.
type Value struct {
	Tag     Tag
	Int     int32
	Upper   int32
	Bool    bool
	Text    string
	Lang    string
	Members []Attribute
	Raw     []byte
}

// Limits of the decoder: a message is at most what the HTTP answer's
// reader allows (the client reads at most maxResponse); nesting of
// collections is bounded so a hostile answer cannot recurse deeply.
const (
	maxDepth    = 16
	maxResponse = 4 << 20
)

// ErrMalformed is what Decode returns for bytes that are not an IPP message.
var ErrMalformed = errors.New("ipp: malformed message")

// Group returns the first group of the tag, nil if there is none.
func (m *Message) Group(tag Tag) *Group {
	for i := range m.Groups {
		if m.Groups[i].Tag == tag {
			return &m.Groups[i]
		}
	}
	return nil
}

// Attr returns the group's attribute of the name.
func (g *Group) Attr(name string) (Attribute, bool) {
	if g == nil {
		return Attribute{}, false
	}
	for _, a := range g.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}

// Add appends an attribute of one or more values.
func (g *Group) Add(name string, vs ...Value) {
	g.Attrs = append(g.Attrs, Attribute{Name: name, Values: vs})
}

// Strings are the attribute's string values.
func (a Attribute) Strings() []string {
	var out []string
	for _, v := range a.Values {
		if isString(v.Tag) {
			out = append(out, v.Text)
		}
	}
	return out
}

// Text is the attribute's first string value, "" when none.
func (a Attribute) Text() string {
	if s := a.Strings(); len(s) > 0 {
		return s[0]
	}
	return ""
}

// Int is the attribute's first integer or enum value.
func (a Attribute) Int() (int, bool) {
	for _, v := range a.Values {
		if v.Tag == TagInteger || v.Tag == TagEnum {
			return int(v.Int), true
		}
	}
	return 0, false
}

// Bool is the attribute's first boolean value.
func (a Attribute) Bool() (bool, bool) {
	for _, v := range a.Values {
		if v.Tag == TagBoolean {
			return v.Bool, true
		}
	}
	return false, false
}

// Value constructors for requests.
func Keyword(s string) Value  { return Value{Tag: TagKeyword, Text: s} }
func Integer(n int) Value     { return Value{Tag: TagInteger, Int: int32(n)} }
func Name(s string) Value     { return Value{Tag: TagName, Text: s} }
func URI(s string) Value      { return Value{Tag: TagURI, Text: s} }
func Charset(s string) Value  { return Value{Tag: TagCharset, Text: s} }
func Language(s string) Value { return Value{Tag: TagLanguage, Text: s} }
func MimeType(s string) Value { return Value{Tag: TagMimeType, Text: s} }

// isString reports whether values of the tag are strings on the wire:
// octetString and 0x40–0x5f (character strings), except memberAttrName
// which is structure, not a value.
func isString(t Tag) bool {
	return t == TagOctetString || (t >= 0x40 && t <= 0x5f && t != TagMemberName)
}

// Encode returns the message's bytes (without document data).
func (m *Message) Encode() ([]byte, error) {
	b := []byte{m.Major, m.Minor, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], m.Code)
	binary.BigEndian.PutUint32(b[4:], m.RequestID)
	var err error
	for _, g := range m.Groups {
		if g.Tag == 0 || g.Tag > 0x0f || g.Tag == TagEnd {
			return nil, fmt.Errorf("ipp: encode: group tag %#x", byte(g.Tag))
		}
		b = append(b, byte(g.Tag))
		for _, a := range g.Attrs {
			if b, err = appendAttr(b, a, 0); err != nil {
				return nil, err
			}
		}
	}
	return append(b, byte(TagEnd)), nil
}

func appendAttr(b []byte, a Attribute, depth int) ([]byte, error) {
	if a.Name == "" || len(a.Values) == 0 {
		return nil, fmt.Errorf("ipp: encode: attribute %q has no name or no value", a.Name)
	}
	var err error
	for i, v := range a.Values {
		name := a.Name
		if i > 0 {
			name = "" // additional value (RFC 8010 §3.1.5)
		}
		if b, err = appendValue(b, name, v, depth); err != nil {
			return nil, fmt.Errorf("ipp: encode %s: %w", a.Name, err)
		}
	}
	return b, nil
}

func appendTLV(b []byte, tag Tag, name string, value []byte) ([]byte, error) {
	if len(name) > 0xffff || len(value) > 0xffff {
		return nil, errors.New("name or value longer than 65535 bytes")
	}
	b = append(b, byte(tag))
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	b = append(b, name...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(value)))
	return append(b, value...), nil
}

func appendValue(b []byte, name string, v Value, depth int) ([]byte, error) {
	switch {
	case v.Tag < 0x10:
		return nil, fmt.Errorf("value tag %#x is a delimiter", byte(v.Tag))
	case v.Tag == TagBeginCollection:
		if depth >= maxDepth {
			return nil, errors.New("collections nested too deep")
		}
		var err error
		if b, err = appendTLV(b, TagBeginCollection, name, nil); err != nil {
			return nil, err
		}
		for _, m := range v.Members {
			if m.Name == "" || len(m.Values) == 0 {
				return nil, fmt.Errorf("member %q has no name or no value", m.Name)
			}
			if b, err = appendTLV(b, TagMemberName, "", []byte(m.Name)); err != nil {
				return nil, err
			}
			for _, mv := range m.Values {
				if b, err = appendValue(b, "", mv, depth+1); err != nil {
					return nil, err
				}
			}
		}
		return appendTLV(b, TagEndCollection, "", nil)
	case v.Tag == TagEndCollection || v.Tag == TagMemberName:
		return nil, fmt.Errorf("value tag %#x is collection structure", byte(v.Tag))
	case v.Tag == TagUnsupportedValue || v.Tag == TagUnknown || v.Tag == TagNoValue:
		return appendTLV(b, v.Tag, name, nil)
	case v.Tag == TagInteger || v.Tag == TagEnum:
		return appendTLV(b, v.Tag, name, binary.BigEndian.AppendUint32(nil, uint32(v.Int)))
	case v.Tag == TagBoolean:
		x := []byte{0}
		if v.Bool {
			x[0] = 1
		}
		return appendTLV(b, v.Tag, name, x)
	case v.Tag == TagRange:
		x := binary.BigEndian.AppendUint32(nil, uint32(v.Int))
		return appendTLV(b, v.Tag, name, binary.BigEndian.AppendUint32(x, uint32(v.Upper)))
	case v.Tag == TagTextLang || v.Tag == TagNameLang:
		if len(v.Lang) > 0xffff || len(v.Text) > 0xffff {
			return nil, errors.New("text or language longer than 65535 bytes")
		}
		x := binary.BigEndian.AppendUint16(nil, uint16(len(v.Lang)))
		x = append(x, v.Lang...)
		x = binary.BigEndian.AppendUint16(x, uint16(len(v.Text)))
		return appendTLV(b, v.Tag, name, append(x, v.Text...))
	case isString(v.Tag):
		return appendTLV(b, v.Tag, name, []byte(v.Text))
	}
	return appendTLV(b, v.Tag, name, v.Raw)
}

// Decode parses an IPP message from the start of data and returns it
// with the bytes after it (the document data of a request). Errors wrap
// ErrMalformed.
func Decode(data []byte) (*Message, []byte, error) {
	d := decoder{b: data}
	m, err := d.message()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v (at byte %d)", ErrMalformed, err, d.off)
	}
	return m, d.b[d.off:], nil
}

type decoder struct {
	b   []byte
	off int
}

func (d *decoder) take(n int) ([]byte, error) {
	if n < 0 || len(d.b)-d.off < n {
		return nil, errors.New("truncated")
	}
	x := d.b[d.off : d.off+n]
	d.off += n
	return x, nil
}

func (d *decoder) u16() (int, error) {
	x, err := d.take(2)
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(x)), nil
}

func (d *decoder) message() (*Message, error) {
	h, err := d.take(8)
	if err != nil {
		return nil, err
	}
	m := &Message{Major: h[0], Minor: h[1], Code: binary.BigEndian.Uint16(h[2:]), RequestID: binary.BigEndian.Uint32(h[4:])}
	if m.Major == 0 {
		return nil, errors.New("version 0")
	}
	var g *Group
	for {
		t, err := d.take(1)
		if err != nil {
			return nil, err
		}
		tag := Tag(t[0])
		switch {
		case tag == TagEnd:
			return m, nil
		case tag < 0x10:
			if tag == 0 {
				return nil, errors.New("reserved delimiter tag 0")
			}
			m.Groups = append(m.Groups, Group{Tag: tag})
			g = &m.Groups[len(m.Groups)-1]
			continue
		case g == nil:
			return nil, errors.New("attribute before any group")
		}
		name, v, err := d.tlv(tag)
		if err != nil {
			return nil, err
		}
		if tag == TagEndCollection || tag == TagMemberName {
			return nil, fmt.Errorf("collection tag %#x outside a collection", byte(tag))
		}
		if tag == TagBeginCollection {
			if v.Members, err = d.collection(1); err != nil {
				return nil, err
			}
		}
		if name == "" {
			if len(g.Attrs) == 0 {
				return nil, errors.New("additional value without an attribute")
			}
			a := &g.Attrs[len(g.Attrs)-1]
			a.Values = append(a.Values, v)
			continue
		}
		g.Attrs = append(g.Attrs, Attribute{Name: name, Values: []Value{v}})
	}
}

// tlv reads one name–value pair after its tag (already read) and
// interprets the value's bytes.
func (d *decoder) tlv(tag Tag) (string, Value, error) {
	n, err := d.u16()
	if err != nil {
		return "", Value{}, err
	}
	name, err := d.take(n)
	if err != nil {
		return "", Value{}, err
	}
	if n, err = d.u16(); err != nil {
		return "", Value{}, err
	}
	raw, err := d.take(n)
	if err != nil {
		return "", Value{}, err
	}
	v, err := value(tag, raw)
	return string(name), v, err
}

func value(tag Tag, raw []byte) (Value, error) {
	v := Value{Tag: tag}
	size := func(n int) error {
		if len(raw) != n {
			return fmt.Errorf("value of tag %#x has %d bytes, want %d", byte(tag), len(raw), n)
		}
		return nil
	}
	switch {
	case tag == TagInteger || tag == TagEnum:
		if err := size(4); err != nil {
			return v, err
		}
		v.Int = int32(binary.BigEndian.Uint32(raw))
	case tag == TagBoolean:
		if err := size(1); err != nil {
			return v, err
		}
		if raw[0] > 1 {
			return v, fmt.Errorf("boolean %d", raw[0])
		}
		v.Bool = raw[0] == 1
	case tag == TagRange:
		if err := size(8); err != nil {
			return v, err
		}
		v.Int, v.Upper = int32(binary.BigEndian.Uint32(raw)), int32(binary.BigEndian.Uint32(raw[4:]))
	case tag == TagDateTime:
		if err := size(11); err != nil {
			return v, err
		}
		v.Raw = raw
	case tag == TagResolution:
		if err := size(9); err != nil {
			return v, err
		}
		v.Raw = raw
	case tag == TagTextLang || tag == TagNameLang:
		sub := decoder{b: raw}
		ln, err := sub.u16()
		if err != nil {
			return v, err
		}
		lang, err := sub.take(ln)
		if err != nil {
			return v, err
		}
		tn, err := sub.u16()
		if err != nil {
			return v, err
		}
		text, err := sub.take(tn)
		if err != nil {
			return v, err
		}
		if sub.off != len(raw) {
			return v, errors.New("bytes after a text with language")
		}
		v.Lang, v.Text = string(lang), string(text)
	case tag == TagBeginCollection, tag == TagEndCollection,
		tag == TagUnsupportedValue, tag == TagUnknown, tag == TagNoValue:
		if tag != TagBeginCollection && len(raw) != 0 {
			// RFC 8010 §3.8: out-of-band values have no bytes; tolerate
			// none else either.
			return v, fmt.Errorf("out-of-band value of tag %#x has bytes", byte(tag))
		}
	case tag == TagMemberName:
		v.Text = string(raw)
	case isString(tag):
		v.Text = string(raw)
	default:
		v.Raw = raw
	}
	return v, nil
}

// collection reads the members of a collection up to its endCollection.
func (d *decoder) collection(depth int) ([]Attribute, error) {
	if depth > maxDepth {
		return nil, errors.New("collections nested too deep")
	}
	var members []Attribute
	for {
		t, err := d.take(1)
		if err != nil {
			return nil, err
		}
		tag := Tag(t[0])
		if tag < 0x10 {
			return nil, errors.New("group ends inside a collection")
		}
		name, v, err := d.tlv(tag)
		if err != nil {
			return nil, err
		}
		if name != "" {
			return nil, fmt.Errorf("named attribute %q inside a collection", name)
		}
		if (tag == TagEndCollection || tag == TagMemberName) && len(members) > 0 && len(members[len(members)-1].Values) == 0 {
			return nil, fmt.Errorf("member %q has no value", members[len(members)-1].Name)
		}
		switch tag {
		case TagEndCollection:
			return members, nil
		case TagMemberName:
			if v.Text == "" {
				return nil, errors.New("empty member name")
			}
			members = append(members, Attribute{Name: v.Text})
			continue
		case TagBeginCollection:
			if v.Members, err = d.collection(depth + 1); err != nil {
				return nil, err
			}
		}
		if len(members) == 0 {
			return nil, errors.New("member value before its name")
		}
		m := &members[len(members)-1]
		m.Values = append(m.Values, v)
	}
}

// String renders a value for messages and tests.
func (v Value) String() string {
	switch {
	case v.Tag == TagInteger || v.Tag == TagEnum:
		return fmt.Sprint(v.Int)
	case v.Tag == TagBoolean:
		return fmt.Sprint(v.Bool)
	case v.Tag == TagRange:
		return fmt.Sprintf("%d-%d", v.Int, v.Upper)
	case v.Tag == TagBeginCollection:
		var parts []string
		for _, m := range v.Members {
			var vs []string
			for _, mv := range m.Values {
				vs = append(vs, mv.String())
			}
			parts = append(parts, m.Name+"="+strings.Join(vs, ","))
		}
		return "{" + strings.Join(parts, " ") + "}"
	case isString(v.Tag) || v.Tag == TagTextLang || v.Tag == TagNameLang:
		return v.Text
	}
	return fmt.Sprintf("%x", v.Raw)
}
