package pcsc

/*
#cgo pkg-config: libpcsclite
#include <stdlib.h>
#include <string.h>
#include <winscard.h>
#include <reader.h>

static LONG xh_establish(SCARDCONTEXT *ctx) {
	return SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);
}

static LONG xh_list(SCARDCONTEXT ctx, char *buf, DWORD *n) {
	return SCardListReaders(ctx, NULL, buf, n);
}

// xh_wait is SCardGetStatusChange on one reader.
static LONG xh_wait(SCARDCONTEXT ctx, const char *reader, DWORD timeout, DWORD current, DWORD *event) {
	SCARD_READERSTATE rs;
	memset(&rs, 0, sizeof rs);
	rs.szReader = reader;
	rs.dwCurrentState = current;
	LONG r = SCardGetStatusChange(ctx, timeout, &rs, 1);
	*event = rs.dwEventState;
	return r;
}

static LONG xh_connect(SCARDCONTEXT ctx, const char *reader, SCARDHANDLE *h, DWORD *proto) {
	return SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, h, proto);
}

static LONG xh_transmit(SCARDHANDLE h, DWORD proto, const unsigned char *in, DWORD inlen, unsigned char *out, DWORD *outlen) {
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	return SCardTransmit(h, pci, in, inlen, NULL, out, outlen);
}

static LONG xh_status(SCARDHANDLE h, unsigned char *atr, DWORD *atrlen) {
	char name[MAX_READERNAME];
	DWORD namelen = sizeof name, state, proto;
	return SCardStatus(h, name, &namelen, &state, &proto, atr, atrlen);
}

static LONG xh_control(SCARDHANDLE h, DWORD code, unsigned char *out, DWORD outcap, DWORD *outlen) {
	return SCardControl(h, code, NULL, 0, out, outcap, outlen);
}

static DWORD xh_feature_request(void) { return CM_IOCTL_GET_FEATURE_REQUEST; }
*/
import "C"

import (
	"context"
	"sync"
	"time"
	"unsafe"
)

// slice is how long one SCardGetStatusChange waits before the loop looks at
// its context again (SCardCancel usually ends the wait sooner).
const slice = 500 * time.Millisecond

// Context is one PC/SC context (SCARDCONTEXT). Use it from one goroutine at
// a time; Cancel may be called from any.
type Context struct {
	mu       sync.Mutex // guards released against Cancel
	h        C.SCARDCONTEXT
	released bool
}

// Establish opens a context with pcscd (SCARD_SCOPE_SYSTEM); ErrNoService
// when pcscd does not answer.
func Establish() (*Context, error) {
	var h C.SCARDCONTEXT
	if r := C.xh_establish(&h); r != C.SCARD_S_SUCCESS {
		return nil, fail("SCardEstablishContext", r)
	}
	return &Context{h: h}, nil
}

// Release closes the context; its cards must be closed before.
func (c *Context) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return nil
	}
	c.released = true
	if r := C.SCardReleaseContext(c.h); r != C.SCARD_S_SUCCESS {
		return fail("SCardReleaseContext", r)
	}
	return nil
}

// Cancel ends a WaitForCard or WaitForRemoval running in another goroutine
// (it then returns an *Error with the code SCARD_E_CANCELLED).
func (c *Context) Cancel() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return nil
	}
	if r := C.SCardCancel(c.h); r != C.SCARD_S_SUCCESS {
		return fail("SCardCancel", r)
	}
	return nil
}

// Readers lists the readers pcscd knows; ErrNoReaders when there is none.
func (c *Context) Readers() ([]string, error) {
	for range 3 { // the list may grow between the two calls
		var n C.DWORD
		if r := C.xh_list(c.h, nil, &n); r != C.SCARD_S_SUCCESS {
			return nil, fail("SCardListReaders", r)
		}
		buf := make([]byte, n)
		r := C.xh_list(c.h, (*C.char)(unsafe.Pointer(&buf[0])), &n)
		if uint32(r) == codeInsufficientBuffer {
			continue
		}
		if r != C.SCARD_S_SUCCESS {
			return nil, fail("SCardListReaders", r)
		}
		return splitMulti(buf[:n]), nil
	}
	return nil, &Error{Op: "SCardListReaders", Code: codeInsufficientBuffer}
}

// splitMulti splits a PC/SC multi-string (names ended by NUL, the list by a
// second NUL).
func splitMulti(b []byte) []string {
	var names []string
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if i == 0 {
			break
		}
		names = append(names, string(b[:i]))
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return names
}

// readerState is what SCardGetStatusChange says of one reader.
type readerState uint32

func (s readerState) present() bool {
	return s&C.SCARD_STATE_PRESENT != 0 && s&C.SCARD_STATE_MUTE == 0
}
func (s readerState) empty() bool      { return s&C.SCARD_STATE_PRESENT == 0 }
func (s readerState) gone() bool       { return s&(C.SCARD_STATE_UNKNOWN|C.SCARD_STATE_UNAVAILABLE) != 0 }
func (s readerState) events() int      { return int(s >> 16) } // pcsc-lite counts card events here
func (s readerState) current() C.DWORD { return C.DWORD(s &^ C.SCARD_STATE_CHANGED) }

// state asks the reader's state now (timeout 0, SCARD_STATE_UNAWARE).
func (c *Context) state(reader *C.char) (readerState, error) {
	var ev C.DWORD
	if r := C.xh_wait(c.h, reader, 0, C.SCARD_STATE_UNAWARE, &ev); r != C.SCARD_S_SUCCESS {
		return 0, fail("SCardGetStatusChange", r)
	}
	return readerState(ev), nil
}

// WaitForCard returns nil when a card is on the reader (at once when one is
// already there), ctx's error when ctx ends first, ErrReaderGone when the
// reader is or goes away.
func (c *Context) WaitForCard(ctx context.Context, reader string) error {
	return c.waitUntil(ctx, reader, readerState.present)
}

// WaitForRemoval returns nil when the reader has no card (at once when it
// has none), ctx's error when ctx ends first, ErrReaderGone when the reader
// is or goes away.
func (c *Context) WaitForRemoval(ctx context.Context, reader string) error {
	return c.waitUntil(ctx, reader, readerState.empty)
}

func (c *Context) waitUntil(ctx context.Context, reader string, done func(readerState) bool) error {
	name := C.CString(reader)
	defer C.free(unsafe.Pointer(name))
	// The cancel runs on its own goroutine: when it has started, wait for it
	// to end, or it would cancel the next wait on this context instead.
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { _ = c.Cancel(); close(cancelled) })
	defer func() {
		if !stop() {
			<-cancelled
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := c.state(name)
	for {
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if st.gone() {
			return &Error{Op: "SCardGetStatusChange", Code: codeUnknownReader}
		}
		if done(st) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ev C.DWORD
		r := C.xh_wait(c.h, name, C.DWORD(slice/time.Millisecond), st.current(), &ev)
		switch uint32(r) {
		case C.SCARD_S_SUCCESS:
			st = readerState(ev)
		case codeTimeout:
			// the state did not change: look at ctx, wait again
		default:
			err = fail("SCardGetStatusChange", r)
		}
	}
}

// Card is a connection to the card on a reader. Use it from the goroutine
// that uses its Context.
type Card struct {
	ctx    *Context
	reader *C.char
	h      C.SCARDHANDLE
	proto  C.DWORD
	atr    []byte
	events int // the reader's card event count at Connect
	buf    []byte

	extOnce sync.Once
	ext     bool
}

// maxResponse is the largest answer pcsc-lite passes (MAX_BUFFER_SIZE_EXTENDED).
const maxResponse = 4 + 3 + 1<<16 + 3 + 2

// Connect connects to the card on reader, shared, T=0 or T=1; ErrNoCard when
// the reader has none, ErrReaderGone when the reader is unknown.
func (c *Context) Connect(reader string) (*Card, error) {
	k := &Card{ctx: c, reader: C.CString(reader)}
	r := C.xh_connect(c.h, k.reader, &k.h, &k.proto)
	if r != C.SCARD_S_SUCCESS {
		C.free(unsafe.Pointer(k.reader))
		err := fail("SCardConnect", r)
		if uint32(r) == codeRemovedCard {
			err.class = ErrNoCard
		}
		return nil, err
	}
	var atr [C.MAX_ATR_SIZE]byte
	n := C.DWORD(len(atr))
	if r := C.xh_status(k.h, (*C.uchar)(unsafe.Pointer(&atr[0])), &n); r != C.SCARD_S_SUCCESS {
		_ = k.Close()
		err := fail("SCardStatus", r)
		if uint32(r) == codeRemovedCard || uint32(r) == codeNoSmartcard {
			err.class = ErrNoCard
		}
		return nil, err
	}
	k.atr = append([]byte(nil), atr[:n]...)
	if st, err := c.state(k.reader); err == nil {
		k.events = st.events()
	}
	return k, nil
}

// ATR is the card's answer to reset.
func (k *Card) ATR() []byte { return append([]byte(nil), k.atr...) }

// Transmit sends one command APDU and returns the response with its status
// word (SW1 SW2 last). ErrRemoved when the card went away, before or during
// the exchange.
func (k *Card) Transmit(apdu []byte) ([]byte, error) {
	if len(apdu) == 0 {
		return nil, &Error{Op: "SCardTransmit", Code: uint32(C.SCARD_E_INVALID_PARAMETER)}
	}
	if k.buf == nil {
		k.buf = make([]byte, maxResponse)
	}
	n := C.DWORD(len(k.buf))
	r := C.xh_transmit(k.h, k.proto, (*C.uchar)(unsafe.Pointer(&apdu[0])), C.DWORD(len(apdu)),
		(*C.uchar)(unsafe.Pointer(&k.buf[0])), &n)
	if r != C.SCARD_S_SUCCESS {
		err := fail("SCardTransmit", r)
		switch uint32(r) {
		case codeRemovedCard, codeNoSmartcard:
			err.class = ErrRemoved
		case codeNotTransacted, codeCommError, codeCommDataLost, codeUnresponsiveCard, codeUnpoweredCard, codeReaderUnavailable:
			if k.gone() {
				err.class = ErrRemoved
			}
		}
		return nil, err
	}
	if n < 2 {
		// Not an answer (every response APDU ends with SW1 SW2): vpcd
		// passes a connection closed mid-command as an empty success.
		if k.gone() {
			return nil, &Error{Op: "SCardTransmit", Code: codeRemovedCard}
		}
		return nil, &Error{Op: "SCardTransmit", Code: codeCommError}
	}
	return append([]byte(nil), k.buf[:n]...), nil
}

// gone says, after a failed exchange, whether the card left the reader:
// pcscd notices at its next presence poll, so this waits a little for a
// change of the reader's state.
func (k *Card) gone() bool {
	st, err := k.ctx.state(k.reader)
	if err != nil {
		return true
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if st.gone() || st.empty() || st.events() != k.events {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		var ev C.DWORD
		r := C.xh_wait(k.ctx.h, k.reader, C.DWORD(left/time.Millisecond), st.current(), &ev)
		switch uint32(r) {
		case C.SCARD_S_SUCCESS:
			st = readerState(ev)
		case codeTimeout:
			return false
		default:
			return true
		}
	}
}

// ExtendedLength says whether extended-length APDUs (Lc up to 65535, Le up
// to 65536) may be sent: the card's ATR historical bytes carry card
// capabilities with "extended Lc and Le fields" (ISO 7816-4 §12.1.1.9,
// third software function byte, bit 0x40), and the reader does not deny
// them: its dwMaxAPDUDataSize (PC/SC part 10 TLV properties) is above 256,
// or it does not answer the query (Debian 12's vpcd does not; it passes
// frames up to 65535 bytes). Best effort: false when the card does not say.
func (k *Card) ExtendedLength() bool {
	k.extOnce.Do(func() {
		if !atrExtendedLength(k.atr) {
			return
		}
		max, known := k.readerMaxAPDU()
		k.ext = !known || max > 256
	})
	return k.ext
}

// readerMaxAPDU asks the reader's dwMaxAPDUDataSize; known is false when
// the reader does not answer.
func (k *Card) readerMaxAPDU() (max int, known bool) {
	var buf [256]byte
	var n C.DWORD
	if r := C.xh_control(k.h, C.xh_feature_request(), (*C.uchar)(unsafe.Pointer(&buf[0])), C.DWORD(len(buf)), &n); r != C.SCARD_S_SUCCESS {
		return 0, false
	}
	ioctl, ok := featureIoctl(buf[:n], featureGetTLVProperties)
	if !ok {
		return 0, false
	}
	if r := C.xh_control(k.h, C.DWORD(ioctl), (*C.uchar)(unsafe.Pointer(&buf[0])), C.DWORD(len(buf)), &n); r != C.SCARD_S_SUCCESS {
		return 0, false
	}
	return tlvProperty(buf[:n], propertyMaxAPDUDataSize)
}

// Close disconnects, leaving the card as it is (SCARD_LEAVE_CARD). A card
// already removed closes without error.
func (k *Card) Close() error {
	if k.reader == nil {
		return nil
	}
	r := C.SCardDisconnect(k.h, C.SCARD_LEAVE_CARD)
	C.free(unsafe.Pointer(k.reader))
	k.reader = nil
	switch uint32(r) {
	case C.SCARD_S_SUCCESS, codeRemovedCard, codeNoSmartcard:
		return nil
	}
	return fail("SCardDisconnect", r)
}

func fail(op string, r C.LONG) *Error {
	return &Error{Op: op, Code: uint32(r)}
}

func stringify(code uint32) string {
	return C.GoString(C.pcsc_stringify_error(C.LONG(code)))
}
