// Package jp2 decodes JPEG 2000 images (ISO/IEC 15444-1): JP2 files and
// raw J2K codestreams, as ICAO 9303 eMRTD chips store faces in DG2, through
// OpenJPEG (cgo, libopenjp2, Debian's libopenjp2-7).
//
// Decoding reads from memory (an OpenJPEG stream over the Go bytes, copied
// once to C memory). Before OpenJPEG sees the data, the codestream's SIZ
// marker is read here and held to limits (MaxBytes, MaxPixels, MaxSide,
// MaxTiles, at most 4 components of at most 16 bits), so that a hostile
// header cannot make the library allocate for a huge image or millions of
// tiles; what OpenJPEG then refuses is an error, never a crash of ours.
//
// The result is an *image.Gray (one component) or an *image.NRGBA (gray
// with alpha, RGB, RGBA; sYCC converted to RGB), 8 bits a sample: deeper
// samples are scaled down, subsampled components are spread over the
// full grid.
package jp2

/*
#cgo pkg-config: libopenjp2
#include <stdlib.h>
#include <string.h>
#include <openjpeg.h>

typedef struct {
	const OPJ_BYTE *data;
	OPJ_SIZE_T len, pos;
	char err[256];
} xh_mem;

static OPJ_SIZE_T xh_read(void *buf, OPJ_SIZE_T n, void *u) {
	xh_mem *m = u;
	if (m->pos >= m->len) return (OPJ_SIZE_T)-1;
	if (n > m->len - m->pos) n = m->len - m->pos;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return n;
}

static OPJ_OFF_T xh_skip(OPJ_OFF_T n, void *u) {
	xh_mem *m = u;
	if (n < 0) {
		if ((OPJ_SIZE_T)(-n) > m->pos) return -1;
	} else if ((OPJ_SIZE_T)n > m->len - m->pos) {
		n = (OPJ_OFF_T)(m->len - m->pos);
	}
	m->pos += n;
	return n;
}

static OPJ_BOOL xh_seek(OPJ_OFF_T n, void *u) {
	xh_mem *m = u;
	if (n < 0 || (OPJ_SIZE_T)n > m->len) return OPJ_FALSE;
	m->pos = (OPJ_SIZE_T)n;
	return OPJ_TRUE;
}

static void xh_error(const char *msg, void *u) {
	xh_mem *m = u;
	if (m->err[0] == 0) {
		strncpy(m->err, msg, sizeof m->err - 1);
		size_t l = strlen(m->err);
		while (l > 0 && (m->err[l-1] == '\n' || m->err[l-1] == ' ')) m->err[--l] = 0;
	}
}

static void xh_quiet(const char *msg, void *u) { (void)msg; (void)u; }

// xh_decode decodes a whole image: 0 and *out set, or 1 (the header
// failed) or 2 (the decoding failed) with m->err saying why.
static int xh_decode(xh_mem *m, int jp2, opj_image_t **out) {
	int rc = 1;
	opj_image_t *img = NULL;
	opj_dparameters_t params;
	opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	opj_stream_t *s = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
	if (!codec || !s) {
		strcpy(m->err, "out of memory");
		goto done;
	}
	opj_set_error_handler(codec, xh_error, m);
	opj_set_warning_handler(codec, xh_quiet, m);
	opj_set_info_handler(codec, xh_quiet, m);
	opj_set_default_decoder_parameters(&params);
	if (!opj_setup_decoder(codec, &params)) goto done;
	opj_stream_set_user_data(s, m, NULL);
	opj_stream_set_user_data_length(s, m->len);
	opj_stream_set_read_function(s, xh_read);
	opj_stream_set_skip_function(s, xh_skip);
	opj_stream_set_seek_function(s, xh_seek);
	if (!opj_read_header(s, codec, &img)) goto done;
	rc = 2;
	if (!opj_decode(codec, s, img) || !opj_end_decompress(codec, s)) goto done;
	*out = img;
	img = NULL;
	rc = 0;
done:
	if (img) opj_image_destroy(img);
	if (s) opj_stream_destroy(s);
	if (codec) opj_destroy_codec(codec);
	return rc;
}
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"unsafe"
)

// Limits on what Decode accepts.
const (
	MaxBytes  = 8 << 20 // the encoded image
	MaxPixels = 8 << 20 // width × height
	MaxSide   = 8192    // width or height
	MaxTiles  = 4096    // tiles of the codestream
)

// Errors of Decode; errors.Is tells them apart.
var (
	// ErrFormat: neither a JP2 file nor a J2K codestream.
	ErrFormat = errors.New("jp2: not JPEG 2000")
	// ErrTooLarge: over one of the limits.
	ErrTooLarge = errors.New("jp2: image too large")
	// ErrUnsupported: valid JPEG 2000 this package does not render
	// (more than 4 components, deeper than 16 bits, CMYK, e-YCC).
	ErrUnsupported = errors.New("jp2: unsupported image")
	// ErrCorrupt: OpenJPEG could not decode it.
	ErrCorrupt = errors.New("jp2: corrupt image")
)

var (
	jp2Signature = []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}
	j2kStart     = []byte{0xFF, 0x4F, 0xFF, 0x51} // SOC, then SIZ
)

// Decode decodes a JP2 file or a J2K codestream.
func Decode(b []byte) (image.Image, error) {
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, len(b), MaxBytes)
	}
	var codestream []byte
	isJP2 := false
	switch {
	case hasPrefix(b, jp2Signature):
		isJP2 = true
		cs, err := jp2Codestream(b)
		if err != nil {
			return nil, err
		}
		codestream = cs
	case hasPrefix(b, j2kStart):
		codestream = b
	default:
		return nil, ErrFormat
	}
	if err := checkSIZ(codestream); err != nil {
		return nil, err
	}

	data := C.CBytes(b)
	defer C.free(data)
	m := (*C.xh_mem)(C.calloc(1, C.sizeof_xh_mem))
	if m == nil {
		return nil, errors.New("jp2: out of memory")
	}
	defer C.free(unsafe.Pointer(m))
	m.data = (*C.OPJ_BYTE)(data)
	m.len = C.OPJ_SIZE_T(len(b))
	jp2 := C.int(0)
	if isJP2 {
		jp2 = 1
	}
	var img *C.opj_image_t
	if rc := C.xh_decode(m, jp2, &img); rc != 0 {
		msg := C.GoString(&m.err[0])
		if msg == "" {
			msg = "the decoder gave up"
		}
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, msg)
	}
	defer C.opj_image_destroy(img)
	return toImage(img)
}

func hasPrefix(b, p []byte) bool { return len(b) >= len(p) && string(b[:len(p)]) == string(p) }

// jp2Codestream finds the contiguous codestream box (jp2c) among the JP2
// file's top-level boxes (ISO/IEC 15444-1 Annex I).
func jp2Codestream(b []byte) ([]byte, error) {
	for p := 0; p < len(b); {
		if len(b)-p < 8 {
			break
		}
		size := uint64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		head := uint64(8)
		switch size {
		case 0: // to the end of the file
			size = uint64(len(b) - p)
		case 1: // a 64-bit length follows
			if len(b)-p < 16 {
				return nil, fmt.Errorf("%w: truncated box %q", ErrCorrupt, typ)
			}
			size, head = binary.BigEndian.Uint64(b[p+8:]), 16
		}
		if size < head || size > uint64(len(b)-p) {
			return nil, fmt.Errorf("%w: box %q of %d bytes in %d", ErrCorrupt, typ, size, len(b)-p)
		}
		if typ == "jp2c" {
			return b[p+int(head) : p+int(size)], nil
		}
		p += int(size)
	}
	return nil, fmt.Errorf("%w: no codestream box", ErrCorrupt)
}

// checkSIZ holds the codestream's image and tile size marker (SIZ, ISO/IEC
// 15444-1 §A.5.1) to the limits.
func checkSIZ(cs []byte) error {
	if !hasPrefix(cs, j2kStart) {
		return fmt.Errorf("%w: the codestream does not start with SOC, SIZ", ErrCorrupt)
	}
	s := cs[4:]
	if len(s) < 38 {
		return fmt.Errorf("%w: truncated SIZ", ErrCorrupt)
	}
	lsiz := int(binary.BigEndian.Uint16(s))
	u32 := func(i int) uint64 { return uint64(binary.BigEndian.Uint32(s[i:])) }
	xsiz, ysiz, xo, yo := u32(4), u32(8), u32(12), u32(16)
	xt, yt, xto, yto := u32(20), u32(24), u32(28), u32(32)
	csiz := int(binary.BigEndian.Uint16(s[36:]))
	if xo >= xsiz || yo >= ysiz || xt == 0 || yt == 0 || xto > xo || yto > yo || lsiz != 38+3*csiz || len(s) < lsiz {
		return fmt.Errorf("%w: inconsistent SIZ", ErrCorrupt)
	}
	w, h := xsiz-xo, ysiz-yo
	if w > MaxSide || h > MaxSide || w*h > MaxPixels {
		return fmt.Errorf("%w: %d × %d pixels (at most %d a side, %d in all)", ErrTooLarge, w, h, MaxSide, MaxPixels)
	}
	tiles := ((xsiz - xto + xt - 1) / xt) * ((ysiz - yto + yt - 1) / yt)
	if tiles > MaxTiles {
		return fmt.Errorf("%w: %d tiles (at most %d)", ErrTooLarge, tiles, MaxTiles)
	}
	if csiz < 1 || csiz > 4 {
		return fmt.Errorf("%w: %d components", ErrUnsupported, csiz)
	}
	for i := range csiz {
		ssiz, dx, dy := s[38+3*i], s[39+3*i], s[40+3*i]
		if ssiz&0x7F+1 > 16 {
			return fmt.Errorf("%w: %d-bit samples", ErrUnsupported, ssiz&0x7F+1)
		}
		if dx == 0 || dy == 0 {
			return fmt.Errorf("%w: component %d subsampled by 0", ErrCorrupt, i)
		}
	}
	return nil
}

// plane is one decoded component, read as 8-bit samples over the image grid.
type plane struct {
	data         []C.OPJ_INT32
	w, h         int
	shift, scale int // 8-bit value = (v + offset) >> shift, or << scale
	offset       int
	x0, y0       int // the image's origin in the component's grid
	dx, dy       int
}

func (p *plane) at(x, y int) uint8 {
	cx := (x+p.x0)/p.dx - p.x0/p.dx
	cy := (y+p.y0)/p.dy - p.y0/p.dy
	cx, cy = min(max(cx, 0), p.w-1), min(max(cy, 0), p.h-1)
	v := int(p.data[cy*p.w+cx]) + p.offset
	if p.shift > 0 {
		v >>= p.shift
	} else if p.scale > 0 {
		v = v * 255 / (1<<(8-p.scale) - 1)
	}
	return uint8(min(max(v, 0), 255))
}

func toImage(img *C.opj_image_t) (image.Image, error) {
	w, h := int(img.x1-img.x0), int(img.y1-img.y0)
	n := int(img.numcomps)
	if w <= 0 || h <= 0 || n < 1 || n > 4 || w > MaxSide || h > MaxSide {
		return nil, fmt.Errorf("%w: %d × %d, %d components", ErrCorrupt, w, h, n)
	}
	switch img.color_space {
	case C.OPJ_CLRSPC_CMYK, C.OPJ_CLRSPC_EYCC:
		return nil, fmt.Errorf("%w: colour space %d", ErrUnsupported, int(img.color_space))
	}
	comps := unsafe.Slice(img.comps, n)
	planes := make([]plane, n)
	for i, c := range comps {
		cw, ch, prec := int(c.w), int(c.h), int(c.prec)
		if c.data == nil || cw <= 0 || ch <= 0 || prec < 1 || prec > 16 || c.dx == 0 || c.dy == 0 || cw*ch > MaxPixels {
			return nil, fmt.Errorf("%w: component %d not decoded", ErrCorrupt, i)
		}
		p := plane{data: unsafe.Slice(c.data, cw*ch), w: cw, h: ch,
			x0: int(img.x0), y0: int(img.y0), dx: int(c.dx), dy: int(c.dy)}
		if c.sgnd != 0 {
			p.offset = 1 << (prec - 1)
		}
		if prec > 8 {
			p.shift = prec - 8
		} else if prec < 8 {
			p.scale = 8 - prec
		}
		planes[i] = p
	}
	ycc := img.color_space == C.OPJ_CLRSPC_SYCC && n >= 3
	if n == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				g.Pix[y*g.Stride+x] = planes[0].at(x, y)
			}
		}
		return g, nil
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var c color.NRGBA
			switch n {
			case 2:
				v := planes[0].at(x, y)
				c = color.NRGBA{v, v, v, planes[1].at(x, y)}
			default:
				r, g, b := planes[0].at(x, y), planes[1].at(x, y), planes[2].at(x, y)
				if ycc {
					r, g, b = color.YCbCrToRGB(r, g, b)
				}
				c = color.NRGBA{r, g, b, 255}
				if n == 4 {
					c.A = planes[3].at(x, y)
				}
			}
			i := y*out.Stride + 4*x
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = c.R, c.G, c.B, c.A
		}
	}
	return out, nil
}
