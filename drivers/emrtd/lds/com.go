package lds

import (
	"fmt"
	"slices"
	"strconv"
)

// Tags of the elementary files (Doc 9303 Part 10, table 34).
const (
	tagCOM  = 0x60
	tagDG1  = 0x61
	tagDG2  = 0x75
	tagDG13 = 0x6D
	tagDG14 = 0x6E
	tagDG15 = 0x6F
	tagSOD  = 0x77
)

// dgTags maps a data group number to its tag.
var dgTags = map[int]byte{
	1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68,
	9: 0x69, 10: 0x6A, 11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E, 15: 0x6F, 16: 0x70,
}

// DGNumber says which data group a file's tag belongs to (0 when none).
func DGNumber(tag byte) int {
	for n, t := range dgTags {
		if t == tag {
			return n
		}
	}
	return 0
}

// ParseCOM reads EF.COM: the LDS version ("1.7") and the data groups the
// chip lists, in order.
func ParseCOM(b []byte) (version string, dgs []int, err error) {
	v, err := outer(b, tagCOM, "EF.COM")
	if err != nil {
		return "", nil, err
	}
	elems, err := readAll(v)
	if err != nil {
		return "", nil, fmt.Errorf("lds: EF.COM: %w", err)
	}
	if raw, ok := find(elems, 0x5F01); ok && len(raw) == 4 {
		major, err1 := strconv.Atoi(string(raw[:2]))
		minor, err2 := strconv.Atoi(string(raw[2:]))
		if err1 == nil && err2 == nil && major >= 0 && minor >= 0 {
			version = fmt.Sprintf("%d.%d", major, minor)
		}
	}
	list, ok := find(elems, 0x5C)
	if !ok {
		return "", nil, fmt.Errorf("lds: EF.COM: no tag list (5C)")
	}
	for _, t := range list {
		if n := DGNumber(t); n != 0 && !slices.Contains(dgs, n) {
			dgs = append(dgs, n)
		}
	}
	return version, dgs, nil
}

// BuildCOM makes an EF.COM of LDS 1.7 (Unicode 4.0.0) listing dgs.
func BuildCOM(dgs []int) []byte {
	var list []byte
	for _, n := range dgs {
		if t, ok := dgTags[n]; ok {
			list = append(list, t)
		}
	}
	return tlvBytes(tagCOM,
		tlvBytes(0x5F01, []byte("0107")),
		tlvBytes(0x5F36, []byte("040000")),
		tlvBytes(0x5C, list))
}
