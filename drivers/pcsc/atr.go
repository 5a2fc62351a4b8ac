package pcsc

import "encoding/binary"

// PC/SC part 10 (reader.h): the feature giving the reader's TLV
// properties, and the property of the largest APDU data field.
const (
	featureGetTLVProperties = 0x12
	propertyMaxAPDUDataSize = 10
)

// featureIoctl finds a feature's control code in the answer to
// CM_IOCTL_GET_FEATURE_REQUEST: a run of tag, length 4, big-endian code.
func featureIoctl(b []byte, feature byte) (uint32, bool) {
	for len(b) >= 2 {
		tag, n := b[0], int(b[1])
		if len(b) < 2+n {
			return 0, false
		}
		if tag == feature && n == 4 {
			return binary.BigEndian.Uint32(b[2:6]), true
		}
		b = b[2+n:]
	}
	return 0, false
}

// tlvProperty reads one numeric property of FEATURE_GET_TLV_PROPERTIES's
// answer: tag, length, little-endian value; ok false when absent.
func tlvProperty(b []byte, tag byte) (v int, ok bool) {
	for len(b) >= 2 {
		t, n := b[0], int(b[1])
		if len(b) < 2+n {
			return 0, false
		}
		if t == tag && n <= 4 {
			for i := n - 1; i >= 0; i-- {
				v = v<<8 | int(b[2+i])
			}
			return v, true
		}
		b = b[2+n:]
	}
	return 0, false
}

// historicalBytes returns the ATR's historical bytes (ISO 7816-3 §8.2: T0's
// low nibble counts them; they follow the interface bytes, which TD bytes
// chain), nil when the ATR is too short for what it announces.
func historicalBytes(atr []byte) []byte {
	if len(atr) < 2 {
		return nil
	}
	k := int(atr[1] & 0x0F)
	y := atr[1] >> 4
	i := 2
	for {
		for _, bit := range []byte{1, 2, 4} { // TA, TB, TC
			if y&bit != 0 {
				i++
			}
		}
		if y&8 == 0 { // no TD: the interface bytes end here
			break
		}
		if i >= len(atr) {
			return nil
		}
		y = atr[i] >> 4
		i++
	}
	if i+k > len(atr) {
		return nil
	}
	return atr[i : i+k]
}

// atrExtendedLength says whether the ATR's historical bytes carry card
// capabilities (compact-TLV tag 7, ISO 7816-4 §12.1.1) whose third byte
// has "extended Lc and Le fields" (0x40).
func atrExtendedLength(atr []byte) bool {
	h := historicalBytes(atr)
	if len(h) == 0 {
		return false
	}
	var objs []byte
	switch h[0] {
	case 0x80: // compact-TLV objects, a status indicator possibly among them
		objs = h[1:]
	case 0x00: // compact-TLV objects, then a 3-byte status indicator
		if len(h) < 4 {
			return false
		}
		objs = h[1 : len(h)-3]
	default:
		return false
	}
	for len(objs) > 0 {
		tag, n := objs[0]>>4, int(objs[0]&0x0F)
		if 1+n > len(objs) {
			return false
		}
		if tag == 7 && n >= 3 {
			return objs[3]&0x40 != 0
		}
		objs = objs[1+n:]
	}
	return false
}
