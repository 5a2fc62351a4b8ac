package pcsc

import (
	"bytes"
	"errors"
	"testing"
)

func TestHistoricalBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		atr  []byte
		hist []byte
		ext  bool
	}{
		// PC/SC part 3 ATR of a contactless ISO 14443-4 card: no card capabilities.
		{"contactless type B", []byte{0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x77, 0x81, 0x81, 0x00, 0x79},
			[]byte{0x00, 0x00, 0x00, 0x00, 0x77, 0x81, 0x81, 0x00}, false},
		{"card capabilities, extended", []byte{0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x40, 0x00},
			[]byte{0x80, 0x73, 0x00, 0x00, 0x40}, true},
		{"card capabilities, short only", []byte{0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x80, 0x00},
			[]byte{0x80, 0x73, 0x00, 0x00, 0x80}, false},
		{"category 00, status at the end", []byte{0x3B, 0x0A, 0x00, 0x31, 0xC0, 0x73, 0xC8, 0x40, 0x00, 0x00, 0x90, 0x00},
			[]byte{0x00, 0x31, 0xC0, 0x73, 0xC8, 0x40, 0x00, 0x00, 0x90, 0x00}, false},
		{"category 00, capabilities", []byte{0x3B, 0x0A, 0x00, 0x31, 0xC0, 0x73, 0xC8, 0x40, 0x40, 0x00, 0x90, 0x00},
			[]byte{0x00, 0x31, 0xC0, 0x73, 0xC8, 0x40, 0x40, 0x00, 0x90, 0x00}, true},
		// TA1 TB1 TC1 TD1, then TD2 etc.
		{"interface bytes", []byte{0x3B, 0xF2, 0x18, 0x00, 0x02, 0xC1, 0x0A, 0x31, 0xFE, 0x58, 0xC8, 0x08, 0x74},
			[]byte{0xC8, 0x08}, false},
		{"truncated", []byte{0x3B, 0x8F, 0x80, 0x01, 0x80}, nil, false},
		{"too short", []byte{0x3B}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := historicalBytes(tc.atr); !bytes.Equal(got, tc.hist) {
				t.Errorf("historicalBytes = % X, want % X", got, tc.hist)
			}
			if got := atrExtendedLength(tc.atr); got != tc.ext {
				t.Errorf("atrExtendedLength = %v, want %v", got, tc.ext)
			}
		})
	}
}

func TestReaderProperties(t *testing.T) {
	// What libccid answers: the TLV-properties feature, then the properties.
	features := []byte{0x06, 0x04, 0x42, 0x33, 0x00, 0x06, 0x12, 0x04, 0x42, 0x33, 0x00, 0x12}
	code, ok := featureIoctl(features, featureGetTLVProperties)
	if !ok || code != 0x42330012 {
		t.Fatalf("featureIoctl = %08X %v", code, ok)
	}
	if _, ok := featureIoctl(features[:8], featureGetTLVProperties); ok {
		t.Error("a feature found in a truncated list")
	}
	props := []byte{0x01, 0x02, 0x00, 0x00, 0x0A, 0x04, 0x00, 0x00, 0x01, 0x00, 0x0B, 0x02, 0x00, 0x00}
	if v, ok := tlvProperty(props, propertyMaxAPDUDataSize); !ok || v != 0x10000 {
		t.Errorf("dwMaxAPDUDataSize = %d %v, want 65536", v, ok)
	}
	if _, ok := tlvProperty(props[:6], propertyMaxAPDUDataSize); ok {
		t.Error("a property read from a truncated answer")
	}
}

func TestSplitMulti(t *testing.T) {
	got := splitMulti([]byte("A 00 00\x00B 01 00\x00\x00"))
	if len(got) != 2 || got[0] != "A 00 00" || got[1] != "B 01 00" {
		t.Fatalf("splitMulti = %q", got)
	}
	if got := splitMulti([]byte{0}); got != nil {
		t.Fatalf("empty list = %q", got)
	}
}

func TestErrorClasses(t *testing.T) {
	for code, class := range map[uint32]error{
		codeNoService: ErrNoService, codeServiceStopped: ErrNoService, codeNoReaders: ErrNoReaders,
		codeUnknownReader: ErrReaderGone, codeReaderUnavailable: ErrReaderGone,
		codeNoSmartcard: ErrNoCard, codeRemovedCard: ErrRemoved,
	} {
		err := error(&Error{Op: "SCardX", Code: code})
		if !errors.Is(err, class) {
			t.Errorf("%v is not %v", err, class)
		}
	}
	err := &Error{Op: "SCardTransmit", Code: codeNotTransacted}
	if errors.Unwrap(err) != nil {
		t.Errorf("%v has a class", err)
	}
	if got := err.Error(); got != "pcsc: SCardTransmit: Transaction failed. (0x80100016)" {
		t.Errorf("Error() = %q", got)
	}
}

func FuzzATR(f *testing.F) {
	f.Add([]byte{0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x40, 0x00})
	f.Add([]byte{0x3B, 0xF2, 0x18, 0x00, 0x02, 0xC1, 0x0A, 0x31, 0xFE, 0x58, 0xC8, 0x08, 0x74})
	f.Fuzz(func(t *testing.T, atr []byte) {
		h := historicalBytes(atr)
		if len(h) > 15 || len(h) > len(atr) {
			t.Fatalf("%d historical bytes from %d", len(h), len(atr))
		}
		_ = atrExtendedLength(atr)
		_, _ = featureIoctl(atr, featureGetTLVProperties)
		_, _ = tlvProperty(atr, propertyMaxAPDUDataSize)
	})
}
