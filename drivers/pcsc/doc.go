// Package pcsc talks to smart cards through pcsc-lite (libpcsclite, the
// client library of Debian's pcscd): list readers, wait for a card, connect,
// exchange APDUs, notice a card taken away.
//
// It is a thin cgo layer over the PC/SC API as pcsc-lite implements it
// (winscard.h: SCardEstablishContext, SCardListReaders,
// SCardGetStatusChange, SCardConnect, SCardTransmit, SCardStatus,
// SCardControl, SCardDisconnect, SCardCancel), with the result codes
// (SCARD_E_*, SCARD_W_*) turned into *Error values that errors.Is matches
// against a few classes: ErrNoService (pcscd not running), ErrNoReaders,
// ErrReaderGone (the reader was unplugged or never existed), ErrNoCard
// (nothing on the reader at Connect), ErrRemoved (the card went away while
// connected, also mid-APDU).
//
// pcscd reports a card pulled out during an exchange in several ways
// depending on the driver (SCARD_W_REMOVED_CARD, or a generic
// SCARD_E_NOT_TRANSACTED / SCARD_F_COMM_ERROR until its next presence
// poll); Transmit asks the reader's state after such a failure, so that a
// caller sees ErrRemoved in every case and can start again with the next
// card at once.
//
// Extended-length APDUs (ISO 7816-4 §5.1) pass through when both sides take
// them: the reader's PC/SC part 10 property dwMaxAPDUDataSize and the card's
// "card capabilities" in the ATR's historical bytes; see Card.ExtendedLength.
//
// The client library finds pcscd through the socket /run/pcscd/pcscd.comm,
// or PCSCLITE_CSOCK_NAME when set, read once per process (package
// pcsctest uses it to run a private pcscd for tests).
package pcsc
