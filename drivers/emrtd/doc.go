// Package emrtd is the reader side of ICAO Doc 9303 Part 11 (security
// mechanisms for machine-readable travel documents): it opens a secured
// channel to an eMRTD chip — the Vietnamese CCCD / Căn cước card carries one —
// and reads its files.
//
// What it does:
//   - access control: BAC (Basic Access Control, 3DES, keys from the MRZ's
//     document number, birth date and expiry) and PACE (generic mapping over
//     ECDH on NIST P-256/P-384/P-521 and brainpoolP256r1/384r1/512r1, with the
//     MRZ or the CAN as password; DH generic mapping on RFC 5114's groups
//     too), Doc 9303 Part 11 §4.3 and §4.4;
//   - secure messaging (§9.8): DO87/DO85, DO97, DO99, DO8E, the send sequence
//     counter, 3DES with the ISO/IEC 9797-1 retail MAC or AES with CMAC, short
//     and extended length; an answer whose MAC fails is ErrSecureMessaging;
//   - files: SELECT by file identifier and READ BINARY in chunks sized from
//     the file's TLV header (odd INS B1 past offset 32767);
//   - active authentication (§6.1): INTERNAL AUTHENTICATE, RSA with ISO/IEC
//     9796-2 scheme 1 message recovery, or ECDSA with a plain r||s signature;
//   - chip authentication (§6.2, version 1): ECDH with the chip's static key
//     of DG14 (MSE:Set KAT for 3DES; MSE:Set AT and GENERAL AUTHENTICATE for
//     AES), secure messaging restarted under the agreed keys, so a cloned
//     chip without the private key cannot answer;
//   - Read: the whole read of one card, raw bytes for drivers/emrtd/lds.
//
// The transport is anything with Transmit (a *pcsc.Card, a test card). The
// exported DeriveKey, SM, MAC, Encrypt/Decrypt and the curves serve the card
// side too: the simulator in chipsim answers with the same code, and the
// worked examples of Doc 9303 Part 11 Appendices D and G pin it.
//
// Key material (MRZ information, CAN, seeds, session keys, nonces) and the
// data read are never logged nor put in errors.
//
// References:
//   - ICAO Doc 9303, 8th edition, Part 11 (security mechanisms), Appendix D
//     (BAC worked example), Appendix G (PACE worked examples):
//     https://www.icao.int/publications/pages/publication.aspx?docnum=9303
//   - BSI TR-03110 Part 3 (PACE, standardised domain parameters, OIDs).
//   - ISO/IEC 7816-4 (APDUs, secure messaging data objects), ISO/IEC 9797-1
//     (MAC algorithm 3, padding method 2), NIST SP 800-38B and RFC 4493
//     (CMAC), ISO/IEC 9796-2 (signature with message recovery), RFC 5639
//     (Brainpool curves).
package emrtd
