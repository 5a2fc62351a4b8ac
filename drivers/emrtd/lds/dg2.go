package lds

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Face is the holder's portrait from DG2.
type Face struct {
	Format        string // "jpeg" or "jp2" (a JP2 file or a raw JPEG 2000 codestream)
	Data          []byte // the image file as stored
	Width, Height int    // pixels, from the record's header (else the image's own)
}

var (
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicJP2  = []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}
	magicJ2K  = []byte{0xFF, 0x4F, 0xFF, 0x51}
)

// imageFormat names the format of an image by its first bytes.
func imageFormat(b []byte) string {
	switch {
	case bytes.HasPrefix(b, magicJPEG):
		return "jpeg"
	case bytes.HasPrefix(b, magicJP2), bytes.HasPrefix(b, magicJ2K):
		return "jp2"
	}
	return ""
}

// ParseDG2 reads the first face of DG2's biometric information template
// (7F61 → 7F60 → 5F2E or 7F2E) holding an ISO/IEC 19794-5 facial record.
func ParseDG2(b []byte) (Face, error) {
	v, err := outer(b, tagDG2, "DG2")
	if err != nil {
		return Face{}, err
	}
	group, err := outer(v, 0x7F61, "DG2 biometric information group")
	if err != nil {
		return Face{}, err
	}
	elems, err := readAll(group)
	if err != nil {
		return Face{}, fmt.Errorf("lds: DG2: %w", err)
	}
	bit, ok := find(elems, 0x7F60)
	if !ok {
		return Face{}, fmt.Errorf("lds: DG2: no biometric information template (7F60)")
	}
	inner, err := readAll(bit)
	if err != nil {
		return Face{}, fmt.Errorf("lds: DG2: %w", err)
	}
	block, ok := find(inner, 0x5F2E)
	if !ok {
		if block, ok = find(inner, 0x7F2E); !ok {
			return Face{}, fmt.Errorf("lds: DG2: no biometric data block (5F2E or 7F2E)")
		}
	}
	return parseFacialRecord(block)
}

// parseFacialRecord reads an ISO/IEC 19794-5:2005 record: a 14-byte general
// header, a 20-byte facial record header, 8 bytes per feature point, 12 bytes
// of image information, then the image. A block in another layout (ISO/IEC
// 39794-5's ASN.1) is searched for the image's magic bytes instead.
func parseFacialRecord(b []byte) (Face, error) {
	if !bytes.HasPrefix(b, []byte("FAC\x00")) {
		return faceByMagic(b)
	}
	if len(b) < 14+20 {
		return Face{}, fmt.Errorf("lds: DG2: facial record too short")
	}
	if binary.BigEndian.Uint16(b[12:14]) == 0 {
		return Face{}, fmt.Errorf("lds: DG2: facial record holds no face")
	}
	rec := b[14:]
	points := int(binary.BigEndian.Uint16(rec[4:6]))
	off := 20 + 8*points
	if len(rec) < off+12 {
		return Face{}, fmt.Errorf("lds: DG2: facial record too short for its feature points")
	}
	info := rec[off : off+12]
	end := len(rec)
	if l := int(binary.BigEndian.Uint32(rec[0:4])); l >= off+12 && l <= len(rec) {
		end = l
	}
	img := rec[off+12 : end]
	f := Face{Format: imageFormat(img), Data: img,
		Width: int(binary.BigEndian.Uint16(info[2:4])), Height: int(binary.BigEndian.Uint16(info[4:6]))}
	if f.Format == "" {
		return Face{}, fmt.Errorf("lds: DG2: image is neither JPEG nor JPEG 2000")
	}
	if f.Width == 0 || f.Height == 0 {
		f.Width, f.Height = imageSize(img)
	}
	return f, nil
}

// faceByMagic finds the first JPEG or JPEG 2000 image in b.
func faceByMagic(b []byte) (Face, error) {
	for i := range b {
		if f := imageFormat(b[i:]); f != "" {
			img := b[i:]
			w, h := imageSize(img)
			return Face{Format: f, Data: img, Width: w, Height: h}, nil
		}
	}
	return Face{}, fmt.Errorf("lds: DG2: no JPEG or JPEG 2000 image in the biometric data block")
}

// imageSize reads the width and height from a JPEG's frame header, a JP2's
// image header box or a codestream's SIZ marker (0, 0 when not found).
func imageSize(b []byte) (w, h int) {
	switch {
	case bytes.HasPrefix(b, magicJPEG):
		for i := 2; i+9 < len(b); {
			if b[i] != 0xFF {
				return 0, 0
			}
			m := b[i+1]
			if m == 0xFF {
				i++
				continue
			}
			l := int(binary.BigEndian.Uint16(b[i+2 : i+4]))
			if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
				return int(binary.BigEndian.Uint16(b[i+7 : i+9])), int(binary.BigEndian.Uint16(b[i+5 : i+7]))
			}
			if m == 0xDA || l < 2 {
				return 0, 0
			}
			i += 2 + l
		}
	case bytes.HasPrefix(b, magicJP2):
		if i := bytes.Index(b, []byte("ihdr")); i >= 0 && i+12 <= len(b) {
			return int(binary.BigEndian.Uint32(b[i+8 : i+12])), int(binary.BigEndian.Uint32(b[i+4 : i+8]))
		}
	case bytes.HasPrefix(b, magicJ2K):
		if len(b) >= 4+2+2+16 {
			s := b[8:]
			x, y := binary.BigEndian.Uint32(s[0:4]), binary.BigEndian.Uint32(s[4:8])
			xo, yo := binary.BigEndian.Uint32(s[8:12]), binary.BigEndian.Uint32(s[12:16])
			if x >= xo && y >= yo && x-xo < 1<<16 && y-yo < 1<<16 {
				return int(x - xo), int(y - yo)
			}
		}
	}
	return 0, 0
}

// BuildDG2 makes DG2 holding one face: the template of Doc 9303 Part 10
// with its biometric header (ICAO header version 1.1, facial features,
// format owner ISO/IEC JTC 1/SC 37, format type face image) and an
// ISO/IEC 19794-5:2005 record with the face's format, width and height.
func BuildDG2(f Face) []byte {
	w, h := f.Width, f.Height
	if w == 0 || h == 0 {
		w, h = imageSize(f.Data)
	}
	dataType := byte(0) // JPEG
	if f.Format == "jp2" || imageFormat(f.Data) == "jp2" {
		dataType = 1
	}
	var rec []byte
	recHeader := make([]byte, 20)
	binary.BigEndian.PutUint32(recHeader[0:4], uint32(20+12+len(f.Data)))
	// no feature points, gender/eyes/hair unspecified, no properties,
	// expression unspecified, pose angles and uncertainties zero
	rec = append(rec, recHeader...)
	info := make([]byte, 12)
	info[0] = 1 // full frontal
	info[1] = dataType
	binary.BigEndian.PutUint16(info[2:4], uint16(w))
	binary.BigEndian.PutUint16(info[4:6], uint16(h))
	info[6] = 1 // 24-bit RGB
	info[7] = 2 // digital still camera
	rec = append(rec, info...)
	rec = append(rec, f.Data...)

	head := []byte("FAC\x00010\x00")
	head = binary.BigEndian.AppendUint32(head, uint32(14+len(rec)))
	head = binary.BigEndian.AppendUint16(head, 1)
	block := append(head, rec...)

	bht := tlvBytes(0xA1,
		tlvBytes(0x80, []byte{0x01, 0x01}),
		tlvBytes(0x81, []byte{0x02}),
		tlvBytes(0x87, []byte{0x01, 0x01}),
		tlvBytes(0x88, []byte{0x00, 0x08}))
	return tlvBytes(tagDG2, tlvBytes(0x7F61,
		tlvBytes(0x02, []byte{0x01}),
		tlvBytes(0x7F60, bht, tlvBytes(0x5F2E, block))))
}
