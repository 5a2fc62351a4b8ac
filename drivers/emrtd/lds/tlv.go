package lds

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// The data groups are BER-TLV (ISO/IEC 7816-4 tags, possibly several bytes)
// rather than plain DER, so they are walked by hand; the security objects
// inside them are DER and go through encoding/asn1.

// maxDepth bounds the nesting a walker follows, so a hostile file cannot make
// the parser recurse without end.
const maxDepth = 16

var errTruncated = errors.New("truncated TLV")

// tlv is one element: its tag (the tag bytes as a big-endian number), its
// value and whether the tag says the value holds more elements.
type tlv struct {
	tag         uint32
	constructed bool
	value       []byte
}

// readTLV reads the element at the start of b and returns it with what
// follows it.
func readTLV(b []byte) (tlv, []byte, error) {
	if len(b) < 2 {
		return tlv{}, nil, errTruncated
	}
	first := b[0]
	tag := uint32(first)
	i := 1
	if first&0x1f == 0x1f {
		for {
			if i >= len(b) || i > 3 {
				return tlv{}, nil, fmt.Errorf("tag too long")
			}
			c := b[i]
			tag = tag<<8 | uint32(c)
			i++
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return tlv{}, nil, errTruncated
	}
	l := int(b[i])
	i++
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 3 {
			return tlv{}, nil, fmt.Errorf("unsupported length form 0x%02x", l)
		}
		if i+n > len(b) {
			return tlv{}, nil, errTruncated
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if l > len(b)-i {
		return tlv{}, nil, errTruncated
	}
	return tlv{tag: tag, constructed: first&0x20 != 0, value: b[i : i+l]}, b[i+l:], nil
}

// readAll splits b into its elements.
func readAll(b []byte) ([]tlv, error) {
	var out []tlv
	for len(b) > 0 {
		t, rest, err := readTLV(b)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		b = rest
	}
	return out, nil
}

// outer reads the single element b must be, with the given tag; trailing
// bytes after it are tolerated (some chips pad files).
func outer(b []byte, tag uint32, what string) ([]byte, error) {
	t, _, err := readTLV(b)
	if err != nil {
		return nil, fmt.Errorf("lds: %s: %w", what, err)
	}
	if t.tag != tag {
		return nil, fmt.Errorf("lds: %s: tag %X, want %X", what, t.tag, tag)
	}
	return t.value, nil
}

// find returns the value of the first element with the tag among elems.
func find(elems []tlv, tag uint32) ([]byte, bool) {
	for _, e := range elems {
		if e.tag == tag {
			return e.value, true
		}
	}
	return nil, false
}

// appendTLV appends tag, length and value.
func appendTLV(dst []byte, tag uint32, value []byte) []byte {
	switch {
	case tag > 0xffffff:
		dst = append(dst, byte(tag>>24), byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xffff:
		dst = append(dst, byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xff:
		dst = append(dst, byte(tag>>8), byte(tag))
	default:
		dst = append(dst, byte(tag))
	}
	n := len(value)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	case n < 0x10000:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, value...)
}

// tlvBytes is appendTLV into a new slice.
func tlvBytes(tag uint32, parts ...[]byte) []byte {
	var v []byte
	for _, p := range parts {
		v = append(v, p...)
	}
	return appendTLV(nil, tag, v)
}

// sortedSetBody sorts the encoded elements of a SET OF as DER wants them.
func sortedSetBody(body []byte) []byte {
	var elems [][]byte
	for rest := body; len(rest) > 0; {
		_, next, err := readTLV(rest)
		if err != nil {
			return body
		}
		elems = append(elems, rest[:len(rest)-len(next)])
		rest = next
	}
	slices.SortFunc(elems, bytes.Compare)
	return slices.Concat(elems...)
}
